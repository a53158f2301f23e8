DROP TABLE adjustments;
DROP INDEX measurements_variable_revision;
CREATE UNIQUE INDEX measurements_variable_revision
    ON measurements (variable_id, period, territory, disaggregation, revision) WHERE variable_id IS NOT NULL;
DROP INDEX measurements_indicator_revision;
CREATE UNIQUE INDEX measurements_indicator_revision
    ON measurements (indicator_id, period, territory, disaggregation, revision) WHERE indicator_id IS NOT NULL;
ALTER TABLE variables DROP COLUMN actor_rule;
ALTER TABLE indicators DROP COLUMN actor_rule;
