-- Feature flags of the flags module. The key is the primary key; a duplicate reports
-- "UNIQUE constraint failed: feature_flags.key", translated to `feature_flags_key_key` like the
-- Postgres constraint. SQLite has no regular expressions: GLOB checks the key pattern
-- `^[a-z0-9][a-z0-9-]{1,62}$`. Targeting lists are JSON arrays of strings.
CREATE TABLE feature_flags (
    key             TEXT PRIMARY KEY NOT NULL
                    CHECK (length(key) BETWEEN 2 AND 63
                           AND key GLOB '[a-z0-9]*'
                           AND key NOT GLOB '*[^a-z0-9-]*'),
    description     TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    enabled         INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    rollout_percent INTEGER NOT NULL DEFAULT 0 CHECK (rollout_percent BETWEEN 0 AND 100),
    roles           TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(roles) AND json_type(roles) = 'array'),
    tiers           TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tiers) AND json_type(tiers) = 'array'),
    user_ids        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(user_ids) AND json_type(user_ids) = 'array'),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) WITHOUT ROWID;
