CREATE TABLE denied_tokens (
    key        TEXT PRIMARY KEY NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX denied_tokens_expires_at_idx ON denied_tokens (expires_at);
