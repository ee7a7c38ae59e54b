-- Every documented sort of the product list (createdAt, name, price, stock) is served in order by
-- an index, the id tie-break included, so a page reads LIMIT rows instead of sorting the table.
-- The composites replace the single-column created_at and price indexes (same leading column,
-- so range filters such as minPrice/maxPrice still use them).
DROP INDEX products_created_at_idx;
DROP INDEX products_price_amount_idx;
CREATE INDEX products_created_at_id_idx ON products (created_at, id);
CREATE INDEX products_price_amount_id_idx ON products (price_amount, id);
CREATE INDEX products_name_id_idx ON products (name, id);
CREATE INDEX products_stock_id_idx ON products (stock, id);
-- The storefront's own listing (active products, newest first) and its total: a partial index
-- holding only active products serves both without reading inactive rows or the table.
CREATE INDEX products_active_created_at_id_idx ON products (created_at, id) WHERE active;
