-- The blog: articles, notes and pages with drafts, scheduling, authors, terms, slug history,
-- comments, likes, old-permalink redirects, full-text search, and the background job queue.

-- posts grows from the campaign slice's minimal table (expand: copy, swap).
CREATE TABLE posts_v2 (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('article', 'note', 'page')),
    status             TEXT NOT NULL CHECK (status IN ('draft', 'pending', 'scheduled', 'published', 'private')),
    slug               TEXT NOT NULL UNIQUE,
    title              TEXT NOT NULL DEFAULT '',
    body_md            TEXT NOT NULL,
    excerpt            TEXT NOT NULL DEFAULT '',
    author_id          TEXT REFERENCES members (id),
    campaign_id        TEXT REFERENCES campaigns (id),
    sticky             BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash      TEXT,
    comment_status     TEXT NOT NULL DEFAULT 'open' CHECK (comment_status IN ('open', 'closed')),
    featured_image_url TEXT,
    -- When it was (or, for 'scheduled', will be) published; NULL for drafts.
    published_at       TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    -- Where an imported post came from (e.g. 'wp:<site url>:<post id>'): re-imports match on it.
    source_key         TEXT UNIQUE
);
INSERT INTO posts_v2 (id, kind, status, slug, title, body_md, excerpt, campaign_id, published_at, created_at, updated_at)
    SELECT id, kind, 'published', slug, title, body_md, '', campaign_id, published_at, published_at, published_at FROM posts;
DROP TABLE posts;
ALTER TABLE posts_v2 RENAME TO posts;
CREATE INDEX posts_listing ON posts (status, kind, published_at);
CREATE INDEX posts_campaign ON posts (campaign_id, published_at);
CREATE INDEX posts_author ON posts (author_id, published_at);

-- An old slug answers 301 to the post's current URL.
CREATE TABLE post_slug_history (
    old_slug   TEXT PRIMARY KEY,
    post_id    TEXT NOT NULL REFERENCES posts (id),
    changed_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE terms (
    id          TEXT PRIMARY KEY,
    taxonomy    TEXT NOT NULL CHECK (taxonomy IN ('category', 'tag')),
    slug        TEXT NOT NULL,
    name        TEXT NOT NULL,
    parent_id   TEXT REFERENCES terms (id),
    description TEXT NOT NULL DEFAULT '',
    UNIQUE (taxonomy, slug)
);

CREATE TABLE post_terms (
    post_id TEXT NOT NULL REFERENCES posts (id),
    term_id TEXT NOT NULL REFERENCES terms (id),
    PRIMARY KEY (post_id, term_id)
);
CREATE INDEX post_terms_term ON post_terms (term_id);

CREATE TABLE comments (
    id           TEXT PRIMARY KEY,
    post_id      TEXT NOT NULL REFERENCES posts (id),
    parent_id    TEXT REFERENCES comments (id),
    kind         TEXT NOT NULL DEFAULT 'comment' CHECK (kind IN ('comment', 'pingback', 'trackback', 'webmention', 'fediverse')),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'spam', 'trash')),
    author_name  TEXT NOT NULL,
    author_email TEXT,
    author_url   TEXT,
    member_id    TEXT REFERENCES members (id),
    body         TEXT NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    source_key   TEXT UNIQUE
);
CREATE INDEX comments_post ON comments (post_id, status, created_at);
CREATE INDEX comments_status ON comments (status, created_at);

-- One like per visitor per day: visitor_hash = SHA-256(daily salt, IP, user agent), no cookie.
CREATE TABLE likes (
    post_id      TEXT NOT NULL REFERENCES posts (id),
    visitor_hash TEXT NOT NULL,
    day          DATE NOT NULL,
    source       TEXT NOT NULL DEFAULT 'site' CHECK (source IN ('site', 'fediverse')),
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (post_id, visitor_hash, day)
);

-- Old permalinks (WordPress's and others) that now live elsewhere.
CREATE TABLE redirects (
    from_path  TEXT PRIMARY KEY,
    to_path    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Background jobs: typed, retried with backoff, de-duplicated by key. Workers claim a job by
-- moving locked_until forward in one UPDATE (SKIP LOCKED on PostgreSQL).
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    dedupe_key   TEXT UNIQUE,
    run_at       TIMESTAMPTZ NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 10,
    locked_until TIMESTAMPTZ,
    last_error   TEXT,
    done_at      TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX jobs_due ON jobs (done_at, run_at);

-- Full-text search over posts (PostgreSQL: a generated tsvector with a GIN index).
ALTER TABLE posts ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(body_md, ''))) STORED;
CREATE INDEX posts_search ON posts USING GIN (search);
