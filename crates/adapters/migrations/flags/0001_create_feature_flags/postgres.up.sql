-- Feature flags of the flags module. The key is the flag's identity (code and URLs name it), so it
-- is the primary key; the constraint is named by the project convention (`<table>_<columns>_key`,
-- what SQLite's "UNIQUE constraint failed: feature_flags.key" translates to), so a duplicate maps
-- to the same 409 on both backends. Targeting lists are JSON arrays of strings.
CREATE TABLE feature_flags (
    key             text NOT NULL
                    CONSTRAINT feature_flags_key_key PRIMARY KEY
                    CHECK (key ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    enabled         boolean NOT NULL DEFAULT false,
    rollout_percent integer NOT NULL DEFAULT 0 CHECK (rollout_percent BETWEEN 0 AND 100),
    roles           jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(roles) = 'array'),
    tiers           jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(tiers) = 'array'),
    user_ids        jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(user_ids) = 'array'),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
