CREATE TABLE denied_tokens (
    key        text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX denied_tokens_expires_at_idx ON denied_tokens (expires_at);
