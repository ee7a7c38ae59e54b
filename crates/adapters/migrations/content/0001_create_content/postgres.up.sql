-- Tags are stored as one delimited text `,a,b,` (see the SQLite migration): one tag filter for
-- both dialects.
CREATE TABLE posts (
    id         uuid PRIMARY KEY,
    author_id  uuid NOT NULL,
    title      text NOT NULL,
    body       text NOT NULL,
    tags       text NOT NULL DEFAULT ',',
    published  boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    -- Title weighs more than body; generated, so it never drifts from the row.
    search     tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
    ) STORED
);
CREATE INDEX posts_created_at_idx ON posts (created_at);
CREATE INDEX posts_author_id_idx ON posts (author_id, created_at);
CREATE INDEX posts_search_idx ON posts USING gin (search);

CREATE TABLE comments (
    id         uuid PRIMARY KEY,
    post_id    uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id  uuid NOT NULL,
    body       text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX comments_post_id_idx ON comments (post_id, created_at);
