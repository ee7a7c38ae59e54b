CREATE TABLE categories (
    id   BLOB PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE UNIQUE INDEX categories_slug_key ON categories (slug);

CREATE TABLE products (
    id             BLOB PRIMARY KEY NOT NULL,
    sku            TEXT NOT NULL,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    price_amount   INTEGER NOT NULL CHECK (price_amount >= 0),
    price_currency TEXT NOT NULL CHECK (length(price_currency) = 3),
    stock          INTEGER NOT NULL CHECK (stock >= 0),
    category_id    BLOB REFERENCES categories (id) ON DELETE SET NULL,
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX products_sku_key ON products (sku);
CREATE INDEX products_category_id_idx ON products (category_id);
CREATE INDEX products_created_at_idx ON products (created_at);
CREATE INDEX products_price_amount_idx ON products (price_amount);

-- Full-text index over name and description, an external-content FTS5 table kept in sync by
-- triggers; porter stemming so "knives" finds "knife".
CREATE VIRTUAL TABLE products_fts USING fts5(
    name, description, content = 'products', content_rowid = 'rowid', tokenize = 'porter unicode61'
);
CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
    INSERT INTO products_fts (rowid, name, description) VALUES (new.rowid, new.name, new.description);
END;
CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, description)
    VALUES ('delete', old.rowid, old.name, old.description);
END;
CREATE TRIGGER products_fts_update AFTER UPDATE OF name, description ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, description)
    VALUES ('delete', old.rowid, old.name, old.description);
    INSERT INTO products_fts (rowid, name, description) VALUES (new.rowid, new.name, new.description);
END;
