DROP TABLE unconfirmed_reservations;
