-- Cancelled orders whose reservation a separate catalog service has not released yet (ADR
-- 0031): written in the cancelling transaction, deleted once catalog released the units. The
-- release runs after the commit, so a failed commit never gives stock back for an order that
-- keeps it; the recovery task retries what a failure or crash left here.
CREATE TABLE unreleased_reservations (
    order_id       uuid PRIMARY KEY REFERENCES orders (id),
    reservation_id uuid NOT NULL,
    created_at     timestamptz NOT NULL
);
CREATE INDEX unreleased_reservations_created_at_idx ON unreleased_reservations (created_at);
