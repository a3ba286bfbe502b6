-- Federation (ActivityPub): the site's and each campaign's actor with its RSA key pair, the
-- remote actors whose keys we checked, who follows our actors, and the activities received
-- (each handled once).

-- Our actors: 'site' (the site's actor) or a campaign's id. The key pair is made when the
-- actor is first needed; rotating it replaces both PEMs and moves key_created_at.
CREATE TABLE federation_actors (
    id                  TEXT PRIMARY KEY,
    campaign_id         TEXT UNIQUE REFERENCES campaigns (id),
    public_key_pem      TEXT NOT NULL,
    private_key_pem     TEXT NOT NULL,
    key_created_at      TEXT NOT NULL,
    -- Follow requests wait for a member's approval instead of being accepted at once.
    manually_approves   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          TEXT NOT NULL
);

-- Remote actors as last fetched: where to deliver, and the key that signs their requests.
CREATE TABLE federation_remote_actors (
    id             TEXT PRIMARY KEY,
    inbox          TEXT NOT NULL,
    shared_inbox   TEXT,
    key_id         TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    fetched_at     TEXT NOT NULL
);
CREATE INDEX federation_remote_actors_key ON federation_remote_actors (key_id);

-- Who follows which of our actors: 'accepted', or 'pending' while waiting for approval.
CREATE TABLE federation_followers (
    actor_id     TEXT NOT NULL REFERENCES federation_actors (id),
    follower     TEXT NOT NULL,
    follow_id    TEXT NOT NULL,
    inbox        TEXT NOT NULL,
    shared_inbox TEXT,
    state        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (actor_id, follower)
);
CREATE INDEX federation_followers_follow ON federation_followers (follow_id);

-- Activities received, by id: a repeated delivery is answered without acting twice.
CREATE TABLE federation_seen_activities (
    id          TEXT PRIMARY KEY,
    actor       TEXT NOT NULL,
    received_at TEXT NOT NULL
);
