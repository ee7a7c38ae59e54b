-- Tags are stored as one delimited text `,a,b,` (tags are [a-z0-9-], so neither `,` nor a LIKE
-- wildcard can occur): a tag filter is `tags LIKE '%,t,%'` on both dialects, and a post reads in
-- one row without a join.
CREATE TABLE posts (
    id         BLOB PRIMARY KEY NOT NULL,
    author_id  BLOB NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    tags       TEXT NOT NULL DEFAULT ',',
    published  INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX posts_created_at_idx ON posts (created_at);
CREATE INDEX posts_author_id_idx ON posts (author_id, created_at);

CREATE TABLE comments (
    id         BLOB PRIMARY KEY NOT NULL,
    post_id    BLOB NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id  BLOB NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX comments_post_id_idx ON comments (post_id, created_at);

-- Full-text index over title and body (external content, kept in sync by triggers).
CREATE VIRTUAL TABLE posts_fts USING fts5(
    title, body, content = 'posts', content_rowid = 'rowid', tokenize = 'porter unicode61'
);
CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts (rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;
CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, title, body) VALUES ('delete', old.rowid, old.title, old.body);
END;
CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, body ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, title, body) VALUES ('delete', old.rowid, old.title, old.body);
    INSERT INTO posts_fts (rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;
