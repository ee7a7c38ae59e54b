-- Single-use mailed tokens (verification, password reset); only SHA-256 hashes are stored.
CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX email_tokens_user_id_idx ON email_tokens (user_id);

-- Refresh tokens; every token rotated from one login shares a family (= session id).
CREATE TABLE refresh_tokens (
    id         BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id  BLOB NOT NULL,
    token_hash TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    revoked_at TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);

-- Access tokens (jti:…) and sessions (sid:…) denied before they expire.
CREATE TABLE denied_tokens (
    key        TEXT PRIMARY KEY NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX denied_tokens_expires_at_idx ON denied_tokens (expires_at);

-- Security audit trail.
CREATE TABLE audit_log (
    id         BLOB PRIMARY KEY NOT NULL,
    action     TEXT NOT NULL,
    actor_id   BLOB,
    subject_id BLOB,
    ip         TEXT,
    details    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
    created_at TEXT NOT NULL
);
CREATE INDEX audit_log_created_at_idx ON audit_log (created_at);
