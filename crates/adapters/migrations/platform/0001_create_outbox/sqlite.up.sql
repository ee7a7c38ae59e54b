-- Transactional outbox: mails and events written with the change that caused them, delivered
-- after commit by the relay, retried with backoff until delivered.
CREATE TABLE outbox (
    id              BLOB PRIMARY KEY NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('mail', 'event')),
    payload         TEXT NOT NULL CHECK (json_valid(payload)),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    locked_until    TEXT,
    last_error      TEXT,
    sent_at         TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL;

-- The embedded mailbox: where mail goes when no SMTP server is configured.
CREATE TABLE mailbox (
    id         BLOB PRIMARY KEY NOT NULL,
    to_address TEXT NOT NULL,
    subject    TEXT NOT NULL,
    text_body  TEXT NOT NULL,
    html_body  TEXT NOT NULL,
    sent_at    TEXT NOT NULL
);
CREATE INDEX mailbox_to_address_idx ON mailbox (to_address, sent_at);
CREATE INDEX mailbox_sent_at_idx ON mailbox (sent_at);
