-- Live coverage of an event (issue 15): a post in live mode takes short timestamped entries
-- from the team; ending the coverage appends them to the post's text in order.

-- The posts in live mode (one row each; removed when the coverage ends).
CREATE TABLE live_posts (
    post_id    TEXT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    started_by TEXT,
    started_at TEXT NOT NULL
);

-- A live post's entries. `kind`: 'text' or 'quote'; `image_url`: a media store path.
CREATE TABLE live_entries (
    id         TEXT PRIMARY KEY,
    post_id    TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id  TEXT,
    kind       TEXT NOT NULL CHECK (kind IN ('text', 'quote')),
    body_md    TEXT NOT NULL,
    image_url  TEXT,
    image_alt  TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX live_entries_post ON live_entries (post_id, created_at, id);

-- The public post page shows a live post's entries: a change invalidates the blog's pages.
CREATE TRIGGER blog_version_live_posts_insert AFTER INSERT ON live_posts BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_live_posts_delete AFTER DELETE ON live_posts BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_live_entries_insert AFTER INSERT ON live_entries BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_live_entries_update AFTER UPDATE ON live_entries BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_live_entries_delete AFTER DELETE ON live_entries BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
