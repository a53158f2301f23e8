-- Plausible values: the range an indicator's or a variable's values must lie in (either
-- bound open; a percentage unit defaults to 0..100 at check time, not here).
ALTER TABLE indicators ADD COLUMN valid_min DOUBLE PRECISION;
ALTER TABLE indicators ADD COLUMN valid_max DOUBLE PRECISION;
ALTER TABLE variables ADD COLUMN valid_min DOUBLE PRECISION;
ALTER TABLE variables ADD COLUMN valid_max DOUBLE PRECISION;

-- Period locks: an ecosystem's figures for a period are closed. Unlocking keeps the row
-- (who, when and why it was reopened); at most one lock of a period is active at a time.
CREATE TABLE period_locks (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ecosystem_id BIGINT NOT NULL REFERENCES ecosystems (id),
    period TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    reason TEXT NOT NULL,
    locked_by BIGINT REFERENCES users (id),
    locked_at TIMESTAMP NOT NULL,
    unlock_reason TEXT,
    unlocked_by BIGINT REFERENCES users (id),
    unlocked_at TIMESTAMP
);
CREATE UNIQUE INDEX period_locks_active ON period_locks (ecosystem_id, period)
    WHERE unlocked_at IS NULL;
CREATE INDEX period_locks_ecosystem ON period_locks (ecosystem_id, period_start, period_end);
