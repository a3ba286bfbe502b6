-- Reactions from other sites on our posts, and what federation needs to publish: likes and
-- reposts (fediverse `Like`/`Announce`, Webmention likes and reposts) kept by the blog beside
-- its own likes; the activities our actors published (their outbox); blocked domains and
-- actors; and each remote domain's delivery circuit breaker.

-- One row per remote reaction, keyed by where it came from (the activity's id, or the
-- Webmention source URL): a repeat replaces nothing, an Undo or a 410 removes the row.
CREATE TABLE post_reactions (
    source_key  TEXT PRIMARY KEY,
    post_id     TEXT NOT NULL REFERENCES posts (id),
    kind        TEXT NOT NULL CHECK (kind IN ('like', 'repost')),
    source      TEXT NOT NULL CHECK (source IN ('fediverse', 'webmention')),
    actor_url   TEXT NOT NULL,
    actor_name  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);
CREATE INDEX post_reactions_post ON post_reactions (post_id, kind);
CREATE INDEX post_reactions_actor ON post_reactions (actor_url);
CREATE TRIGGER blog_version_post_reactions_insert AFTER INSERT ON post_reactions BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_post_reactions_update AFTER UPDATE ON post_reactions BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_version_post_reactions_delete AFTER DELETE ON post_reactions BEGIN
    UPDATE blog_version SET version = version + 1 WHERE id = 1;
END;

-- What our actors published (Create, Update, Delete of posts, Update of the actor), newest
-- last: the outbox collection's pages, and the object a later Update or Delete refers to.
CREATE TABLE federation_outbox (
    id           TEXT PRIMARY KEY,
    actor_id     TEXT NOT NULL REFERENCES federation_actors (id),
    kind         TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    body         TEXT NOT NULL,
    published_at TEXT NOT NULL
);
CREATE INDEX federation_outbox_actor ON federation_outbox (actor_id, published_at);
CREATE INDEX federation_outbox_object ON federation_outbox (object_id);

-- Blocked remote servers (a host name) and actors (an actor's id): their activities are
-- refused and nothing is delivered to them.
CREATE TABLE federation_blocks (
    target      TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL
);

-- A remote host's deliveries: after several failures in a row, deliveries to it wait until
-- `open_until` instead of each trying (and timing out) on its own.
CREATE TABLE federation_breakers (
    host        TEXT PRIMARY KEY,
    failures    INTEGER NOT NULL,
    open_until  TEXT,
    last_error  TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL
);

-- What a page shows of a remote actor (a reply's author, who liked or boosted): its
-- display name, `preferredUsername`, profile page and avatar, as last fetched.
ALTER TABLE federation_remote_actors ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE federation_remote_actors ADD COLUMN username TEXT NOT NULL DEFAULT '';
ALTER TABLE federation_remote_actors ADD COLUMN url TEXT;
ALTER TABLE federation_remote_actors ADD COLUMN icon TEXT;

-- The milestones and goals each campaign's actor has announced ("We are halfway!"), by
-- amount in the campaign's currency (the goal too); `announced` is false for those already
-- reached when the campaign was first looked at, which are recorded without a note.
CREATE TABLE federation_milestones (
    campaign_id  TEXT NOT NULL REFERENCES campaigns (id),
    amount_minor INTEGER NOT NULL,
    announced    BOOLEAN NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (campaign_id, amount_minor)
);

-- Remote avatars, served from our origin (`/avatars/{key}`, the key a hash of the actor's
-- id): fetched through the guarded outbound client, decoded and re-encoded as a small
-- square, kept for a week.
ALTER TABLE federation_remote_actors ADD COLUMN avatar_key TEXT;
CREATE INDEX federation_remote_actors_avatar ON federation_remote_actors (avatar_key);
CREATE TABLE federation_avatars (
    key          TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    fetched_at   TEXT NOT NULL
);
