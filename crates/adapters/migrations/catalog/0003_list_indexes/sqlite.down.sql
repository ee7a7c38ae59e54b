DROP INDEX products_active_created_at_id_idx;
DROP INDEX products_stock_id_idx;
DROP INDEX products_name_id_idx;
DROP INDEX products_price_amount_id_idx;
DROP INDEX products_created_at_id_idx;
CREATE INDEX products_price_amount_idx ON products (price_amount);
CREATE INDEX products_created_at_idx ON products (created_at);
