DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_no_update;
DROP TABLE audit_log;
DROP TABLE audit_head;
DROP TABLE settings;
DROP TABLE users;
DROP TABLE actors;
