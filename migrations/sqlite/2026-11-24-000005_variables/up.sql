-- Variables, their observations and formula indicators.
--
-- Observations are measurements of a variable instead of an indicator: the same table, the
-- same submission/review/revision workflow and audit. SQLite cannot drop a NOT NULL, so
-- `measurements` is rebuilt (the documented 12-step procedure, outside diesel's transaction:
-- see metadata.toml).
PRAGMA foreign_keys = OFF;
BEGIN;

-- The variable repository: statistical variables shared by every ecosystem.
CREATE TABLE variables (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    unit TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('pdrc', 'siigorem', 'inei', 'mef', 'minsa', 'minedu',
        'midis', 'ana', 'oefa', 'sunass', 'minem', 'company_report', 'community_survey', 'other')),
    source_detail TEXT NOT NULL,
    source_reference TEXT NOT NULL,
    periodicity TEXT NOT NULL CHECK (periodicity IN ('yearly', 'six_monthly', 'quarterly', 'monthly')),
    level TEXT NOT NULL CHECK (level IN ('department', 'province', 'district')),
    -- Theme codes, sorted, separated by commas.
    themes TEXT NOT NULL,
    availability TEXT NOT NULL CHECK (availability IN ('available', 'partial', 'not_available')),
    availability_note TEXT NOT NULL,
    responsible_actor_id BIGINT REFERENCES actors (id),
    rollup TEXT NOT NULL CHECK (rollup IN ('sum', 'mean', 'weighted_mean', 'none')),
    weight_variable_id BIGINT REFERENCES variables (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((rollup = 'weighted_mean') = (weight_variable_id IS NOT NULL))
);

-- Which variables an ecosystem uses.
CREATE TABLE ecosystem_variables (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ecosystem_id BIGINT NOT NULL REFERENCES ecosystems (id),
    variable_id BIGINT NOT NULL REFERENCES variables (id),
    UNIQUE (ecosystem_id, variable_id)
);
CREATE INDEX ecosystem_variables_variable ON ecosystem_variables (variable_id);

-- Bulk imports of observations: one audit entry per import carries the digest of its rows.
CREATE TABLE imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ecosystem_id BIGINT NOT NULL REFERENCES ecosystems (id),
    actor_id BIGINT NOT NULL REFERENCES actors (id),
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_created BIGINT NOT NULL,
    rows_unchanged BIGINT NOT NULL,
    rows_digest TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

-- Formula indicators: the formula's text, and the variables it reads.
ALTER TABLE indicators ADD COLUMN formula TEXT;
CREATE TABLE indicator_inputs (
    indicator_id BIGINT NOT NULL REFERENCES indicators (id),
    variable_id BIGINT NOT NULL REFERENCES variables (id),
    PRIMARY KEY (indicator_id, variable_id)
);
CREATE INDEX indicator_inputs_variable ON indicator_inputs (variable_id);

CREATE TABLE measurements_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    indicator_id BIGINT REFERENCES indicators (id),
    period TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    territory TEXT NOT NULL,
    disaggregation TEXT NOT NULL,
    revision INTEGER NOT NULL CHECK (revision >= 1),
    value DOUBLE PRECISION NOT NULL,
    evidence_url TEXT,
    evidence_text TEXT,
    comment TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES actors (id),
    submitted_by BIGINT REFERENCES users (id),
    submitted_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected')),
    reviewed_by BIGINT REFERENCES users (id),
    reviewed_at TIMESTAMP,
    reject_reason TEXT,
    counted BOOLEAN NOT NULL,
    variable_id BIGINT REFERENCES variables (id),
    import_id BIGINT REFERENCES imports (id),
    CHECK ((indicator_id IS NULL) <> (variable_id IS NULL)),
    CHECK (evidence_url IS NOT NULL OR evidence_text IS NOT NULL),
    CHECK (status <> 'rejected' OR reject_reason IS NOT NULL),
    CHECK (NOT counted OR status = 'approved')
);
INSERT INTO measurements_new (id, indicator_id, period, period_start, period_end, territory, disaggregation, revision, value, evidence_url, evidence_text, comment, actor_id, submitted_by, submitted_at, status, reviewed_by, reviewed_at, reject_reason, counted)
    SELECT id, indicator_id, period, period_start, period_end, territory, disaggregation, revision, value, evidence_url, evidence_text, comment, actor_id, submitted_by, submitted_at, status, reviewed_by, reviewed_at, reject_reason, counted FROM measurements;
DROP TABLE measurements;
ALTER TABLE measurements_new RENAME TO measurements;
CREATE UNIQUE INDEX measurements_indicator_revision
    ON measurements (indicator_id, period, territory, disaggregation, revision) WHERE indicator_id IS NOT NULL;
-- The indicator-only indexes skip observations (bulk imports stay fast).
CREATE INDEX measurements_counted ON measurements (indicator_id, counted, territory, disaggregation, period_end)
    WHERE indicator_id IS NOT NULL;
CREATE INDEX measurements_status ON measurements (status, indicator_id) WHERE indicator_id IS NOT NULL;

CREATE UNIQUE INDEX measurements_variable_revision
    ON measurements (variable_id, period, territory, disaggregation, revision) WHERE variable_id IS NOT NULL;
CREATE INDEX measurements_import ON measurements (import_id) WHERE import_id IS NOT NULL;

PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
