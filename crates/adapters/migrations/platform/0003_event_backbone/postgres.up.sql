-- Event backbone (ADR 0019). The relay publishes an aggregate's events in order: it only claims
-- the oldest undelivered event of each aggregate.
ALTER TABLE outbox ADD COLUMN aggregate_id uuid;
CREATE INDEX outbox_aggregate_idx ON outbox (aggregate_id, id) WHERE sent_at IS NULL;

-- Which consumer applied which event, written in the transaction of the consumer's effect: a
-- redelivered event finds its row and is skipped.
CREATE TABLE inbox (
    consumer     text NOT NULL,
    event_id     uuid NOT NULL,
    processed_at timestamptz NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX inbox_processed_at_idx ON inbox (processed_at);

-- Failed attempts of a consumer on an event; with dead_at set, a dead letter.
CREATE TABLE event_failures (
    id         uuid PRIMARY KEY,
    consumer   text NOT NULL,
    event_id   uuid NOT NULL,
    event      jsonb NOT NULL,
    attempts   integer NOT NULL,
    last_error text NOT NULL,
    updated_at timestamptz NOT NULL,
    dead_at    timestamptz,
    UNIQUE (consumer, event_id)
);
CREATE INDEX event_failures_dead_idx ON event_failures (dead_at) WHERE dead_at IS NOT NULL;

-- SQLite has one writer per file, but several processes may open it: only the holder of this
-- lease relays (Postgres relays in parallel with FOR UPDATE SKIP LOCKED and ignores it).
CREATE TABLE outbox_relay_lease (
    id     integer PRIMARY KEY CHECK (id = 1),
    holder uuid,
    until  timestamptz NOT NULL
);
INSERT INTO outbox_relay_lease (id, holder, until) VALUES (1, NULL, '1970-01-01T00:00:00Z');
