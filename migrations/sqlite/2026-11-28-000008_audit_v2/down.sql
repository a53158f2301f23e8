-- Back to format 1: the format-2 entries are dropped and the sealed log becomes the log again.
DROP TRIGGER audit_log_no_update;
DROP TRIGGER audit_log_no_delete;
DROP TABLE audit_log;
UPDATE audit_head SET seq = (SELECT seq FROM audit_head_v1), hash = (SELECT hash FROM audit_head_v1);
DROP TABLE audit_head_v1;
DROP TRIGGER audit_log_v1_no_update;
DROP TRIGGER audit_log_v1_no_delete;
DROP TRIGGER audit_log_v1_no_insert;
ALTER TABLE audit_log_v1 RENAME TO audit_log;
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
