DELETE FROM measurements WHERE vec_id IS NOT NULL;
DROP INDEX measurements_impact_revision;
ALTER TABLE measurements DROP CONSTRAINT measurements_one_subject;
ALTER TABLE measurements DROP COLUMN basis;
ALTER TABLE measurements DROP COLUMN development_id;
ALTER TABLE measurements DROP COLUMN vec_id;
ALTER TABLE measurements ADD CONSTRAINT measurements_one_subject
    CHECK ((indicator_id IS NULL) <> (variable_id IS NULL));
DROP TABLE developments;
DROP TABLE vecs;
DROP TABLE hybrid_metrics;
DROP TABLE indicator_beneficiaries;
