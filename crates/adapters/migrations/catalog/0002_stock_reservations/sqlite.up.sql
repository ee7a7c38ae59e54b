-- Units taken from stock per reservation (orders' checkouts reserve through catalog's Inventory
-- port; the id makes a reservation idempotent and releasable once).
CREATE TABLE stock_reservations (
    reservation_id BLOB NOT NULL,
    product_id     BLOB NOT NULL REFERENCES products (id),
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    created_at     TEXT NOT NULL,
    released_at    TEXT,
    PRIMARY KEY (reservation_id, product_id)
);
