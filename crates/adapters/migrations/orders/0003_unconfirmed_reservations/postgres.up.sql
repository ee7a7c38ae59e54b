-- Orders whose stock reservation is pending in a separate catalog service (ADR 0031): written
-- in the order's transaction, deleted once catalog confirmed the reservation (or the order was
-- cancelled). The recovery task confirms what a crashed process left here.
CREATE TABLE unconfirmed_reservations (
    order_id       uuid PRIMARY KEY REFERENCES orders (id),
    reservation_id uuid NOT NULL,
    created_at     timestamptz NOT NULL
);
CREATE INDEX unconfirmed_reservations_created_at_idx ON unconfirmed_reservations (created_at);
