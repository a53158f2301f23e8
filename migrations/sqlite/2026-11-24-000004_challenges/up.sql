-- Challenges raised on published values, and the coordinating body's answers.

CREATE TABLE challenges (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    measurement_id BIGINT NOT NULL REFERENCES measurements (id),
    opened_by BIGINT NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'upheld', 'dismissed')),
    answer TEXT,
    answered_by BIGINT REFERENCES users (id),
    opened_at TIMESTAMP NOT NULL,
    answered_at TIMESTAMP,
    CHECK (status = 'open' OR (answer IS NOT NULL AND answered_at IS NOT NULL))
);
CREATE INDEX challenges_measurement ON challenges (measurement_id);
-- One open challenge per person and value.
CREATE UNIQUE INDEX challenges_one_open ON challenges (measurement_id, opened_by) WHERE status = 'open';
