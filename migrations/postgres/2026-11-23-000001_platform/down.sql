DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE audit_head;
DROP TABLE settings;
DROP TABLE users;
DROP TABLE actors;
