-- Transactional outbox: mails and events written with the change that caused them, delivered
-- after commit by the relay, retried with backoff until delivered.
CREATE TABLE outbox (
    id              uuid PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('mail', 'event')),
    payload         jsonb NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    locked_until    timestamptz,
    last_error      text,
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL;

-- The embedded mailbox: where mail goes when no SMTP server is configured.
CREATE TABLE mailbox (
    id         uuid PRIMARY KEY,
    to_address text NOT NULL,
    subject    text NOT NULL,
    text_body  text NOT NULL,
    html_body  text NOT NULL,
    sent_at    timestamptz NOT NULL
);
CREATE INDEX mailbox_to_address_idx ON mailbox (to_address, sent_at);
CREATE INDEX mailbox_sent_at_idx ON mailbox (sent_at);
