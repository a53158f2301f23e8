PRAGMA foreign_keys = OFF;
BEGIN;
DELETE FROM measurements WHERE vec_id IS NOT NULL;
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

DROP TABLE developments;
DROP TABLE vecs;
DROP TABLE hybrid_metrics;
DROP TABLE indicator_beneficiaries;
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
