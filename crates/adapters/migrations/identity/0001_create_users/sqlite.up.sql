-- Accounts of the identity module. UUIDs are BLOB(16) so the same Rust code binds them on SQLite
-- and Postgres; timestamps are RFC 3339 text, which sorts chronologically.
CREATE TABLE users (
    id            BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    email         TEXT NOT NULL CHECK (length(email) <= 254),
    password_hash TEXT NOT NULL,
    name          TEXT NOT NULL,
    age           INTEGER CHECK (age BETWEEN 1 AND 120),
    profile       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(profile)),
    role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    tier          TEXT NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'pro', 'enterprise')),
    is_verified   INTEGER NOT NULL DEFAULT 0 CHECK (is_verified IN (0, 1)),
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_created_at_idx ON users (created_at);
