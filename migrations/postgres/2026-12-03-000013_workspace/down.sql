ALTER TABLE ecosystems DROP COLUMN grace_days;
DROP TABLE notifications;
ALTER TABLE measurements DROP COLUMN evidence_file;
DROP TABLE evidence_files;
DROP TABLE temporary_passwords;
DROP TABLE web_sessions;
