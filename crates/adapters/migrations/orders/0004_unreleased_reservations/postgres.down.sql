DROP TABLE unreleased_reservations;
