DROP TABLE outbox_relay_lease;
DROP TABLE event_failures;
DROP TABLE inbox;
DROP INDEX outbox_aggregate_idx;
ALTER TABLE outbox DROP COLUMN aggregate_id;
