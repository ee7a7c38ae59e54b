-- Counters of the analytics consumer (ADR 0019), one row per day (and currency / product).
CREATE TABLE analytics_users_daily (
    day   TEXT PRIMARY KEY NOT NULL,
    count INTEGER NOT NULL
);
CREATE TABLE analytics_orders_daily (
    day      TEXT NOT NULL,
    currency TEXT NOT NULL,
    count    INTEGER NOT NULL,
    revenue  INTEGER NOT NULL,
    PRIMARY KEY (day, currency)
);
CREATE TABLE analytics_products_daily (
    day        TEXT NOT NULL,
    product_id BLOB NOT NULL,
    name       TEXT NOT NULL,
    quantity   INTEGER NOT NULL,
    PRIMARY KEY (day, product_id)
);
