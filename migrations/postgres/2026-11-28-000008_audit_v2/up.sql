-- Audit record format 2: the format-1 log (whole rows, e-mails and unapproved values in the
-- clear) is sealed, not rewritten. It moves to audit_log_v1, read-only, with its head kept in
-- audit_head_v1; the new log starts again at entry 1. The application writes the new log's
-- first entry (the seal, recording the old head) and a snapshot of every row right after
-- this migration (db::audit::seal_v1).

ALTER TABLE audit_log RENAME TO audit_log_v1;
ALTER INDEX audit_log_pkey RENAME TO audit_log_v1_pkey;
ALTER INDEX audit_log_hash_key RENAME TO audit_log_v1_hash_key;
ALTER INDEX audit_log_entity RENAME TO audit_log_v1_entity;
DROP TRIGGER audit_log_no_update ON audit_log_v1;
DROP TRIGGER audit_log_no_truncate ON audit_log_v1;

CREATE FUNCTION audit_log_v1_sealed() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log_v1 is sealed';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_v1_no_write BEFORE INSERT OR UPDATE OR DELETE ON audit_log_v1
    FOR EACH ROW EXECUTE FUNCTION audit_log_v1_sealed();
CREATE TRIGGER audit_log_v1_no_truncate BEFORE TRUNCATE ON audit_log_v1
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_v1_sealed();

CREATE TABLE audit_head_v1 (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head_v1 (id, seq, hash) SELECT id, seq, hash FROM audit_head;
UPDATE audit_head
SET seq = 0, hash = '0000000000000000000000000000000000000000000000000000000000000000';

-- before_state and after_state are the public states; the private parts and their salts are
-- kept beside them and never published.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
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
    before_salt TEXT CHECK (before_salt IS NULL OR char_length(before_salt) = 64),
    after_private TEXT,
    after_salt TEXT CHECK (after_salt IS NULL OR char_length(after_salt) = 64)
);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
