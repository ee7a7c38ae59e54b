DROP INDEX orders_total_amount_id_idx;
DROP INDEX orders_status_id_idx;
DROP INDEX orders_status_created_at_id_idx;
DROP INDEX orders_created_at_id_idx;
DROP INDEX orders_user_id_created_at_id_idx;
CREATE INDEX orders_created_at_idx ON orders (created_at);
CREATE INDEX orders_user_id_created_at_idx ON orders (user_id, created_at);
