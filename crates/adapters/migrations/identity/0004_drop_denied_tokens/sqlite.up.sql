-- Revocation is read from refresh_tokens and users (ADR 0018); the denylist table is unused.
DROP TABLE denied_tokens;
