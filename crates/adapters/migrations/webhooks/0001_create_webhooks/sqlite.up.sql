-- Webhook endpoints, their queued messages (one per event and endpoint; the id is the
-- `webhook-id` of every attempt) and the delivery log (ADR 0019).
CREATE TABLE webhooks (
    id          BLOB PRIMARY KEY NOT NULL,
    url         TEXT NOT NULL,
    events      TEXT NOT NULL CHECK (json_valid(events)),
    description TEXT NOT NULL,
    enabled     INTEGER NOT NULL,
    secret      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE webhook_messages (
    id              BLOB PRIMARY KEY NOT NULL,
    webhook_id      BLOB NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_type      TEXT NOT NULL,
    body            TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    locked_until    TEXT,
    done_at         TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX webhook_messages_due_idx ON webhook_messages (next_attempt_at) WHERE done_at IS NULL;
CREATE INDEX webhook_messages_webhook_idx ON webhook_messages (webhook_id);
CREATE TABLE webhook_attempts (
    id            BLOB PRIMARY KEY NOT NULL,
    webhook_id    BLOB NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    message_id    BLOB NOT NULL,
    event_type    TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    status        TEXT NOT NULL,
    response_code INTEGER,
    duration_ms   INTEGER NOT NULL,
    error         TEXT,
    at            TEXT NOT NULL
);
CREATE INDEX webhook_attempts_webhook_idx ON webhook_attempts (webhook_id, at);
