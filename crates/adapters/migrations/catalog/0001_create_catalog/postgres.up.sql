CREATE TABLE categories (
    id   uuid PRIMARY KEY,
    slug text NOT NULL,
    name text NOT NULL
);
CREATE UNIQUE INDEX categories_slug_key ON categories (slug);

CREATE TABLE products (
    id             uuid PRIMARY KEY,
    sku            text NOT NULL,
    name           text NOT NULL,
    description    text NOT NULL DEFAULT '',
    price_amount   bigint NOT NULL CHECK (price_amount >= 0),
    price_currency text NOT NULL CHECK (length(price_currency) = 3),
    stock          bigint NOT NULL CHECK (stock >= 0),
    category_id    uuid REFERENCES categories (id) ON DELETE SET NULL,
    active         boolean NOT NULL DEFAULT true,
    version        bigint NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    -- Name weighs more than description (A vs B) so name matches rank first; generated, so it can
    -- never drift from the row.
    search         tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', name), 'A') || setweight(to_tsvector('english', description), 'B')
    ) STORED
);
CREATE UNIQUE INDEX products_sku_key ON products (sku);
CREATE INDEX products_category_id_idx ON products (category_id);
CREATE INDEX products_created_at_idx ON products (created_at);
CREATE INDEX products_price_amount_idx ON products (price_amount);
CREATE INDEX products_search_idx ON products USING gin (search);
