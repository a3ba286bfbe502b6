-- Our actors following accounts elsewhere on the fediverse: whom each follows, the posts
-- those accounts send us (the team's reading list in the console), and the likes and boosts
-- our actors gave them (so a second press takes one back with an Undo).

-- One row per (our actor, the account followed): 'pending' until the account's server
-- answers the Follow with an Accept; a Reject or an unfollow removes the row.
CREATE TABLE federation_following (
    actor_id    TEXT NOT NULL REFERENCES federation_actors (id),
    target      TEXT NOT NULL,
    follow_id   TEXT NOT NULL UNIQUE,
    inbox       TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (actor_id, target)
);
CREATE INDEX federation_following_target ON federation_following (target);

-- Posts (Notes and Articles) from followed accounts, and our own replies to them, by object
-- id: an Update replaces the text, a Delete removes the row. Text only (the HTML read into
-- plain text), so nothing from another server reaches a page as markup.
CREATE TABLE federation_timeline (
    object_id    TEXT PRIMARY KEY,
    author       TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('note', 'article')),
    name         TEXT NOT NULL DEFAULT '',
    text         TEXT NOT NULL,
    url          TEXT,
    in_reply_to  TEXT,
    published_at TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ,
    received_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX federation_timeline_published ON federation_timeline (published_at);
CREATE INDEX federation_timeline_author ON federation_timeline (author);

-- Likes and boosts our actors sent, with the activity's id (an Undo names it).
CREATE TABLE federation_sent_reactions (
    actor_id    TEXT NOT NULL REFERENCES federation_actors (id),
    object_id   TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('Like', 'Announce')),
    activity_id TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (actor_id, object_id, kind)
);
