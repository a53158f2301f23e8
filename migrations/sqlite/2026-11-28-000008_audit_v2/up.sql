-- Audit record format 2: the format-1 log (whole rows, e-mails and unapproved values in the
-- clear) is sealed, not rewritten. It moves to audit_log_v1, read-only, with its head kept in
-- audit_head_v1; the new log starts again at entry 1. The application writes the new log's
-- first entry (the seal, recording the old head) and a snapshot of every row right after
-- this migration (db::audit::seal_v1).

ALTER TABLE audit_log RENAME TO audit_log_v1;
DROP TRIGGER audit_log_no_update;
DROP TRIGGER audit_log_no_delete;
DROP INDEX audit_log_entity;
CREATE TRIGGER audit_log_v1_no_update BEFORE UPDATE ON audit_log_v1
BEGIN
    SELECT RAISE(ABORT, 'audit_log_v1 is sealed');
END;
CREATE TRIGGER audit_log_v1_no_delete BEFORE DELETE ON audit_log_v1
BEGIN
    SELECT RAISE(ABORT, 'audit_log_v1 is sealed');
END;
CREATE TRIGGER audit_log_v1_no_insert BEFORE INSERT ON audit_log_v1
BEGIN
    SELECT RAISE(ABORT, 'audit_log_v1 is sealed');
END;

CREATE TABLE audit_head_v1 (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head_v1 (id, seq, hash) SELECT id, seq, hash FROM audit_head;
UPDATE audit_head
SET seq = 0, hash = '0000000000000000000000000000000000000000000000000000000000000000';

-- before_state and after_state are the public states; the private parts and their salts are
-- kept beside them and never published.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY NOT NULL,
    at TEXT NOT NULL,
    user_id BIGINT,
    actor_id BIGINT,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    before_private TEXT,
    before_salt TEXT CHECK (before_salt IS NULL OR length(before_salt) = 64),
    after_private TEXT,
    after_salt TEXT CHECK (after_salt IS NULL OR length(after_salt) = 64)
);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
