-- Jobs: work a use case defers until after its answer (e.g. the password-reset lookup), run by
-- the relay through the handler its context registered (ADR 0015).
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('mail', 'event', 'job'));
