PRAGMA foreign_keys = OFF;
BEGIN;
DELETE FROM measurements WHERE variable_id IS NOT NULL;
CREATE TABLE measurements_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    indicator_id BIGINT NOT NULL REFERENCES indicators (id),
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
    UNIQUE (indicator_id, period, territory, disaggregation, revision),
    CHECK (evidence_url IS NOT NULL OR evidence_text IS NOT NULL),
    CHECK (status <> 'rejected' OR reject_reason IS NOT NULL),
    CHECK (NOT counted OR status = 'approved')
);
INSERT INTO measurements_old (id, indicator_id, period, period_start, period_end, territory, disaggregation, revision, value, evidence_url, evidence_text, comment, actor_id, submitted_by, submitted_at, status, reviewed_by, reviewed_at, reject_reason, counted)
    SELECT id, indicator_id, period, period_start, period_end, territory, disaggregation, revision, value, evidence_url, evidence_text, comment, actor_id, submitted_by, submitted_at, status, reviewed_by, reviewed_at, reject_reason, counted FROM measurements;
DROP TABLE measurements;
ALTER TABLE measurements_old RENAME TO measurements;
CREATE INDEX measurements_counted ON measurements (indicator_id, counted, territory, disaggregation, period_end);
CREATE INDEX measurements_status ON measurements (status, indicator_id);
DROP TABLE indicator_inputs;
ALTER TABLE indicators DROP COLUMN formula;
DROP TABLE imports;
DROP TABLE ecosystem_variables;
DROP TABLE variables;
COMMIT;
PRAGMA foreign_keys = ON;
