-- The workspace at /app.

-- Signed-in browser sessions. The cookie carries a random token; only its SHA-256 is stored,
-- with the session's CSRF token. Idle and absolute expiry are checked against the times.
CREATE TABLE web_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

-- A temporary password set by an administrator: while the row exists, the user must choose
-- a new password before doing anything else in the workspace.
CREATE TABLE temporary_passwords (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users (id),
    set_by BIGINT REFERENCES users (id),
    set_at TIMESTAMP NOT NULL
);

-- Evidence files, stored content-addressed (by SHA-256) in the files directory; a value
-- names its file by that digest.
CREATE TABLE evidence_files (
    sha256 TEXT PRIMARY KEY NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    uploaded_by BIGINT REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL
);
ALTER TABLE measurements ADD COLUMN evidence_file TEXT;

-- The in-app inbox (and, when SMTP is configured, the e-mail sent for each entry).
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    message_es TEXT NOT NULL,
    message_en TEXT NOT NULL,
    link TEXT,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP,
    emailed_at TIMESTAMP
);
CREATE INDEX notifications_user ON notifications (user_id, read_at);

-- Timeliness: a period's values are on time until its end plus this many days.
ALTER TABLE ecosystems ADD COLUMN grace_days INTEGER NOT NULL DEFAULT 60;
