ALTER TABLE outbox RENAME TO outbox_previous;
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
INSERT INTO outbox (id, kind, payload, attempts, next_attempt_at, locked_until, last_error, sent_at, created_at)
    SELECT id, kind, payload, attempts, next_attempt_at, locked_until, last_error, sent_at, created_at
    FROM outbox_previous WHERE kind <> 'job';
DROP TABLE outbox_previous;
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL;
