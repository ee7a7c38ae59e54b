-- Single-use mailed tokens (verification, password reset); only SHA-256 hashes are stored.
CREATE TABLE email_tokens (
    token_hash text PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL
);
CREATE INDEX email_tokens_user_id_idx ON email_tokens (user_id);

-- Refresh tokens; every token rotated from one login shares a family (= session id).
CREATE TABLE refresh_tokens (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id  uuid NOT NULL,
    token_hash text NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);

-- Access tokens (jti:…) and sessions (sid:…) denied before they expire.
CREATE TABLE denied_tokens (
    key        text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX denied_tokens_expires_at_idx ON denied_tokens (expires_at);

-- Security audit trail.
CREATE TABLE audit_log (
    id         uuid PRIMARY KEY,
    action     text NOT NULL,
    actor_id   uuid,
    subject_id uuid,
    ip         text,
    details    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL
);
CREATE INDEX audit_log_created_at_idx ON audit_log (created_at);
