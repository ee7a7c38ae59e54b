-- Units taken from stock per reservation (orders' checkouts reserve through catalog's Inventory
-- port; the id makes a reservation idempotent and releasable once).
CREATE TABLE stock_reservations (
    reservation_id uuid NOT NULL,
    product_id     uuid NOT NULL REFERENCES products (id),
    quantity       bigint NOT NULL CHECK (quantity > 0),
    created_at     timestamptz NOT NULL,
    released_at    timestamptz,
    PRIMARY KEY (reservation_id, product_id)
);
