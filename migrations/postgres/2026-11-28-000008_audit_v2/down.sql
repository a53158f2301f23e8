-- Back to format 1: the format-2 entries are dropped and the sealed log becomes the log again.
DROP TABLE audit_log;
UPDATE audit_head SET seq = (SELECT seq FROM audit_head_v1), hash = (SELECT hash FROM audit_head_v1);
DROP TABLE audit_head_v1;
DROP TRIGGER audit_log_v1_no_write ON audit_log_v1;
DROP TRIGGER audit_log_v1_no_truncate ON audit_log_v1;
DROP FUNCTION audit_log_v1_sealed();
ALTER TABLE audit_log_v1 RENAME TO audit_log;
ALTER INDEX audit_log_v1_pkey RENAME TO audit_log_pkey;
ALTER INDEX audit_log_v1_hash_key RENAME TO audit_log_hash_key;
ALTER INDEX audit_log_v1_entity RENAME TO audit_log_entity;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
