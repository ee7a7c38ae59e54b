-- Every filter and sort of the order lists (API.md: a buyer's own orders newest first; the admin
-- list by status, userId, from/to, sorted by createdAt, total or status) reads its page in order
-- from an index, the id tie-break included, instead of sorting every matching row. The
-- composites replace the two single-purpose indexes of 0001 (same leading columns).
DROP INDEX orders_user_id_created_at_idx;
DROP INDEX orders_created_at_idx;
CREATE INDEX orders_user_id_created_at_id_idx ON orders (user_id, created_at, id);
CREATE INDEX orders_created_at_id_idx ON orders (created_at, id);
CREATE INDEX orders_status_created_at_id_idx ON orders (status, created_at, id);
CREATE INDEX orders_status_id_idx ON orders (status, id);
CREATE INDEX orders_total_amount_id_idx ON orders (total_amount, id);
