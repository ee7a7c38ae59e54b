-- Access-token signing keys when none is configured: the unretired key signs, every key whose
-- expires_at is NULL or later than now verifies. private_key is PKCS#8 PEM, so this table is a
-- secret store (ADR 0014); verifiers read only public_key.
CREATE TABLE signing_keys (
    kid         text PRIMARY KEY,
    algorithm   text NOT NULL CHECK (algorithm = 'EdDSA'),
    private_key text NOT NULL,
    public_key  bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    retired_at  timestamptz,
    expires_at  timestamptz,
    CHECK ((retired_at IS NULL) = (expires_at IS NULL))
);
-- At most one signer, whatever races happen between replicas.
CREATE UNIQUE INDEX signing_keys_active_key ON signing_keys ((retired_at IS NULL))
    WHERE retired_at IS NULL;
