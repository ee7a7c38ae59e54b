DROP TABLE payments;
DROP TABLE idempotency_keys;
DROP TABLE order_history;
DROP TABLE order_items;
DROP TABLE orders;
DROP TABLE cart_items;
