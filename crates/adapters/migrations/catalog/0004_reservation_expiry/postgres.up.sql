-- Reservations made across processes are pending until the caller confirms them (ADR 0031):
-- `expires_at` is set while pending and cleared by the confirm; the sweeper returns the units of
-- unreleased reservations whose time ran out. Existing rows were made in the caller's
-- transaction, so they are final (NULL).
ALTER TABLE stock_reservations ADD COLUMN expires_at timestamptz;
ALTER TABLE stock_reservations ADD COLUMN confirmed_at timestamptz;
CREATE INDEX stock_reservations_expires_at_idx ON stock_reservations (expires_at)
    WHERE expires_at IS NOT NULL AND released_at IS NULL;
