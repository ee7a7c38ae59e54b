DROP INDEX stock_reservations_expires_at_idx;
ALTER TABLE stock_reservations DROP COLUMN confirmed_at;
ALTER TABLE stock_reservations DROP COLUMN expires_at;
