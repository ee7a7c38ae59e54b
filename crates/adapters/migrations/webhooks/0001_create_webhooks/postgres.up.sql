-- Webhook endpoints, their queued messages (one per event and endpoint; the id is the
-- `webhook-id` of every attempt) and the delivery log (ADR 0019).
CREATE TABLE webhooks (
    id          uuid PRIMARY KEY,
    url         text NOT NULL,
    events      jsonb NOT NULL,
    description text NOT NULL,
    enabled     boolean NOT NULL,
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE TABLE webhook_messages (
    id              uuid PRIMARY KEY,
    webhook_id      uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_type      text NOT NULL,
    body            text NOT NULL,
    attempts        integer NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    locked_until    timestamptz,
    done_at         timestamptz,
    created_at      timestamptz NOT NULL
);
CREATE INDEX webhook_messages_due_idx ON webhook_messages (next_attempt_at) WHERE done_at IS NULL;
CREATE INDEX webhook_messages_webhook_idx ON webhook_messages (webhook_id);
CREATE TABLE webhook_attempts (
    id            uuid PRIMARY KEY,
    webhook_id    uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    message_id    uuid NOT NULL,
    event_type    text NOT NULL,
    attempt       integer NOT NULL,
    status        text NOT NULL,
    response_code integer,
    duration_ms   bigint NOT NULL,
    error         text,
    at            timestamptz NOT NULL
);
CREATE INDEX webhook_attempts_webhook_idx ON webhook_attempts (webhook_id, at);
