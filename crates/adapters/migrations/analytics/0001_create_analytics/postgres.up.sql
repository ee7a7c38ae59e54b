-- Counters of the analytics consumer (ADR 0019), one row per day (and currency / product).
CREATE TABLE analytics_users_daily (
    day   date PRIMARY KEY,
    count bigint NOT NULL
);
CREATE TABLE analytics_orders_daily (
    day      date NOT NULL,
    currency text NOT NULL,
    count    bigint NOT NULL,
    revenue  bigint NOT NULL,
    PRIMARY KEY (day, currency)
);
CREATE TABLE analytics_products_daily (
    day        date NOT NULL,
    product_id uuid NOT NULL,
    name       text NOT NULL,
    quantity   bigint NOT NULL,
    PRIMARY KEY (day, product_id)
);
