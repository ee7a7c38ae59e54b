-- Event backbone (ADR 0019). The relay publishes an aggregate's events in order: it only claims
-- the oldest undelivered event of each aggregate.
ALTER TABLE outbox ADD COLUMN aggregate_id BLOB;
CREATE INDEX outbox_aggregate_idx ON outbox (aggregate_id, id) WHERE sent_at IS NULL;

-- Which consumer applied which event, written in the transaction of the consumer's effect: a
-- redelivered event finds its row and is skipped.
CREATE TABLE inbox (
    consumer     TEXT NOT NULL,
    event_id     BLOB NOT NULL,
    processed_at TEXT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX inbox_processed_at_idx ON inbox (processed_at);

-- Failed attempts of a consumer on an event; with dead_at set, a dead letter.
CREATE TABLE event_failures (
    id         BLOB PRIMARY KEY NOT NULL,
    consumer   TEXT NOT NULL,
    event_id   BLOB NOT NULL,
    event      TEXT NOT NULL CHECK (json_valid(event)),
    attempts   INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    dead_at    TEXT,
    UNIQUE (consumer, event_id)
);
CREATE INDEX event_failures_dead_idx ON event_failures (dead_at) WHERE dead_at IS NOT NULL;

-- One writer per file, but several processes may open it: only the holder of this lease relays.
CREATE TABLE outbox_relay_lease (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    holder BLOB,
    until  TEXT NOT NULL
);
INSERT INTO outbox_relay_lease (id, holder, until) VALUES (1, NULL, '1970-01-01T00:00:00Z');
