-- Accounts of the identity module.
CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL CHECK (length(email) <= 254),
    password_hash text NOT NULL,
    name          text NOT NULL,
    age           integer CHECK (age BETWEEN 1 AND 120),
    profile       jsonb NOT NULL DEFAULT '{}'::jsonb,
    role          text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    tier          text NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'pro', 'enterprise')),
    is_verified   boolean NOT NULL DEFAULT false,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_created_at_idx ON users (created_at);
