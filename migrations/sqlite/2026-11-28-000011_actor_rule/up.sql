-- Values from several actors. Each actor keeps its own series of revisions in a cell (the
-- same subject, period, territory and disaggregation): the unique keys of revisions name the
-- actor, and `counted` marks the latest approved revision of each actor's series. The
-- indicator's or variable's actor rule combines the actors' counted values: SUM, MEAN, MAX,
-- LATEST (the default: the most recently approved) or PREFERRED:<actor ids in order>.
ALTER TABLE indicators ADD COLUMN actor_rule TEXT NOT NULL DEFAULT 'LATEST'
    CHECK (actor_rule IN ('SUM', 'MEAN', 'MAX', 'LATEST') OR actor_rule LIKE 'PREFERRED:%');
ALTER TABLE variables ADD COLUMN actor_rule TEXT NOT NULL DEFAULT 'LATEST'
    CHECK (actor_rule IN ('SUM', 'MEAN', 'MAX', 'LATEST') OR actor_rule LIKE 'PREFERRED:%');

DROP INDEX measurements_indicator_revision;
CREATE UNIQUE INDEX measurements_indicator_revision
    ON measurements (indicator_id, period, territory, disaggregation, actor_id, revision)
    WHERE indicator_id IS NOT NULL;
DROP INDEX measurements_variable_revision;
CREATE UNIQUE INDEX measurements_variable_revision
    ON measurements (variable_id, period, territory, disaggregation, actor_id, revision)
    WHERE variable_id IS NOT NULL;

-- A coordinator's de-duplication adjustment of a cell (the same people counted by two
-- partners): added to the combined value, with its reason. One per cell.
CREATE TABLE adjustments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    indicator_id BIGINT REFERENCES indicators (id),
    variable_id BIGINT REFERENCES variables (id),
    period TEXT NOT NULL,
    territory TEXT NOT NULL,
    disaggregation TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((indicator_id IS NULL) <> (variable_id IS NULL))
);
CREATE UNIQUE INDEX adjustments_indicator_cell
    ON adjustments (indicator_id, period, territory, disaggregation) WHERE indicator_id IS NOT NULL;
CREATE UNIQUE INDEX adjustments_variable_cell
    ON adjustments (variable_id, period, territory, disaggregation) WHERE variable_id IS NOT NULL;
