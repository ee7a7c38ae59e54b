-- A user's cart: one line per product. Names and prices are read from the catalog when shown.
CREATE TABLE cart_items (
    user_id    BLOB NOT NULL,
    product_id BLOB NOT NULL,
    quantity   INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    added_at   TEXT NOT NULL,
    PRIMARY KEY (user_id, product_id)
);

CREATE TABLE orders (
    id             BLOB PRIMARY KEY NOT NULL,
    user_id        BLOB NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')),
    total_amount   INTEGER NOT NULL CHECK (total_amount >= 0),
    currency       TEXT NOT NULL,
    reservation_id BLOB NOT NULL,
    note           TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX orders_user_id_created_at_idx ON orders (user_id, created_at);
CREATE INDEX orders_created_at_idx ON orders (created_at);

-- Name, SKU and price as they were at checkout: later catalog edits never change a past order.
CREATE TABLE order_items (
    order_id    BLOB NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    product_id  BLOB NOT NULL,
    sku         TEXT NOT NULL,
    name        TEXT NOT NULL,
    unit_amount INTEGER NOT NULL,
    quantity    INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    line_amount INTEGER NOT NULL,
    PRIMARY KEY (order_id, position)
);

CREATE TABLE order_history (
    order_id    BLOB NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    at          TEXT NOT NULL,
    actor_id    BLOB NOT NULL,
    PRIMARY KEY (order_id, position)
);

-- Idempotency-Key of checkouts, per user; the unique index is the lock (ADR 0016). Kept 24 h.
CREATE TABLE idempotency_keys (
    user_id         BLOB NOT NULL,
    key             TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    order_id        BLOB,
    response_status INTEGER,
    response_body   BLOB,
    locked_until    TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX idempotency_keys_user_id_key_key ON idempotency_keys (user_id, key);
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);

-- Payment attempts, recorded before the provider is called; `key` is the provider's
-- idempotency key, so a resumed attempt never charges twice.
CREATE TABLE payments (
    id           BLOB PRIMARY KEY NOT NULL,
    order_id     BLOB NOT NULL REFERENCES orders (id),
    key          TEXT NOT NULL,
    amount       INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('started', 'captured', 'declined', 'refunded')),
    provider_ref TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX payments_key_key ON payments (key);
CREATE INDEX payments_order_id_idx ON payments (order_id);
