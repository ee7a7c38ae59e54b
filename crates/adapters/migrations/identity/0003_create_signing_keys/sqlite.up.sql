-- Access-token signing keys when none is configured: the unretired key signs, every key whose
-- expires_at is NULL or later than now verifies. private_key is PKCS#8 PEM, so this table is a
-- secret store (ADR 0014); verifiers read only public_key.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY NOT NULL,
    algorithm   TEXT NOT NULL CHECK (algorithm = 'EdDSA'),
    private_key TEXT NOT NULL,
    public_key  BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    retired_at  TEXT,
    expires_at  TEXT,
    CHECK ((retired_at IS NULL) = (expires_at IS NULL))
);
-- At most one signer, whatever races happen between replicas.
CREATE UNIQUE INDEX signing_keys_active_key ON signing_keys ((retired_at IS NULL))
    WHERE retired_at IS NULL;
