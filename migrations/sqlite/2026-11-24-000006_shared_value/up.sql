-- Shared value, hybrid metrics and cumulative impacts.
--
-- Impact contributions (a development's signed effect on a VEC in a period) are measurements
-- of a (VEC, development) pair: the same table, the same submission/review/revision workflow
-- and audit as indicator values and variable observations. SQLite cannot change a CHECK, so
-- `measurements` is rebuilt again (outside diesel's transaction: see metadata.toml).
PRAGMA foreign_keys = OFF;
BEGIN;

-- Who an indicator's value reaches: actor kinds or named actors (shared value, "what you get").
CREATE TABLE indicator_beneficiaries (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    indicator_id BIGINT NOT NULL REFERENCES indicators (id),
    actor_kind TEXT CHECK (actor_kind IN ('regional_government', 'local_government',
        'national_agency', 'company', 'community', 'civil_society', 'academia', 'coordinating_body')),
    actor_id BIGINT REFERENCES actors (id),
    CHECK ((actor_kind IS NULL) <> (actor_id IS NULL))
);
CREATE INDEX indicator_beneficiaries_indicator ON indicator_beneficiaries (indicator_id);

-- Hybrid metrics (Kramer et al. 2020): a company's social or environmental indicator related
-- to a financial one; proposed until a coordinator adopts it.
CREATE TABLE hybrid_metrics (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ecosystem_id BIGINT NOT NULL REFERENCES ecosystems (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    company_actor_id BIGINT NOT NULL REFERENCES actors (id),
    social_indicator_id BIGINT NOT NULL REFERENCES indicators (id),
    financial_indicator_id BIGINT NOT NULL REFERENCES indicators (id),
    relation TEXT NOT NULL CHECK (relation IN ('ratio', 'inverse_ratio', 'paired')),
    unit TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'adopted')),
    adopted_by BIGINT REFERENCES users (id),
    adopted_at TIMESTAMP,
    adoption_verdict TEXT,
    adoption_justification TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (ecosystem_id, code),
    CHECK (social_indicator_id <> financial_indicator_id),
    CHECK ((status = 'adopted') = (adopted_at IS NOT NULL))
);

-- Valued environmental and social components (IFC 2013), with their limit of acceptable change.
CREATE TABLE vecs (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ecosystem_id BIGINT NOT NULL REFERENCES ecosystems (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('environmental', 'social')),
    unit TEXT NOT NULL,
    baseline_period TEXT NOT NULL,
    baseline_value DOUBLE PRECISION NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('increase', 'decrease')),
    threshold_value DOUBLE PRECISION NOT NULL,
    threshold_limit TEXT NOT NULL CHECK (threshold_limit IN ('upper', 'lower')),
    -- Ubigeo codes, sorted, separated by commas.
    boundary TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (ecosystem_id, code)
);

-- Projects and trends that act on the VECs: existing, planned or reasonably foreseeable.
CREATE TABLE developments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ecosystem_id BIGINT NOT NULL REFERENCES ecosystems (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    sector TEXT NOT NULL CHECK (sector IN ('mining', 'agriculture', 'fisheries', 'urban',
        'infrastructure', 'energy', 'other')),
    actor_id BIGINT NOT NULL REFERENCES actors (id),
    status TEXT NOT NULL CHECK (status IN ('existing', 'planned', 'foreseeable')),
    territory TEXT NOT NULL,
    start_period TEXT NOT NULL,
    end_period TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (ecosystem_id, name)
);

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
    vec_id BIGINT REFERENCES vecs (id),
    development_id BIGINT REFERENCES developments (id),
    basis TEXT CHECK (basis IN ('measured', 'estimated', 'modelled')),
    CHECK ((vec_id IS NULL) = (development_id IS NULL)),
    CHECK ((vec_id IS NULL) = (basis IS NULL)),
    CHECK ((indicator_id IS NOT NULL) + (variable_id IS NOT NULL) + (vec_id IS NOT NULL) = 1),
    CHECK (evidence_url IS NOT NULL OR evidence_text IS NOT NULL),
    CHECK (status <> 'rejected' OR reject_reason IS NOT NULL),
    CHECK (NOT counted OR status = 'approved')
);
INSERT INTO measurements_new (id, indicator_id, period, period_start, period_end, territory, disaggregation, revision, value, evidence_url, evidence_text, comment, actor_id, submitted_by, submitted_at, status, reviewed_by, reviewed_at, reject_reason, counted, variable_id, import_id)
    SELECT id, indicator_id, period, period_start, period_end, territory, disaggregation, revision, value, evidence_url, evidence_text, comment, actor_id, submitted_by, submitted_at, status, reviewed_by, reviewed_at, reject_reason, counted, variable_id, import_id FROM measurements;
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
CREATE UNIQUE INDEX measurements_impact_revision
    ON measurements (vec_id, development_id, period, territory, disaggregation, revision)
    WHERE vec_id IS NOT NULL;

PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
