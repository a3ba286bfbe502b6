-- Hashtag days and challenges (issue 15): an awareness day's event page of a campaign, with
-- its hashtag, call to action and challenge, and the entries supporters send to it.

-- An event of a campaign, `/campaigns/{slug}/events/{event}`. `day` is the date
-- (YYYY-MM-DD); `hashtag` is kept without its '#'; `call_md` and `challenge_md` are
-- Markdown; `state` is 'draft' (only the console sees it) or 'published'.
CREATE TABLE campaign_events (
    id           TEXT PRIMARY KEY,
    campaign_id  TEXT NOT NULL REFERENCES campaigns (id),
    slug         TEXT NOT NULL,
    title        TEXT NOT NULL,
    day          TEXT NOT NULL,
    hashtag      TEXT NOT NULL,
    call_md      TEXT NOT NULL DEFAULT '',
    challenge_md TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL DEFAULT 'draft',
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (campaign_id, slug)
);

-- An entry to an event's challenge: a link with its title and an optional name, from the
-- event page's form ('form'), a fediverse post ('fediverse') or a Webmention
-- ('webmention'). `status`: 'pending' until the team approves ('approved', shown in the
-- gallery, `favourite` ones first) or rejects it ('rejected'). One link once per event.
CREATE TABLE event_entries (
    id          TEXT PRIMARY KEY,
    event_id    TEXT NOT NULL REFERENCES campaign_events (id),
    source      TEXT NOT NULL,
    url         TEXT NOT NULL,
    title       TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'pending',
    favourite   BOOLEAN NOT NULL DEFAULT FALSE,
    received_at TIMESTAMPTZ NOT NULL,
    UNIQUE (event_id, url)
);
CREATE INDEX event_entries_event ON event_entries (event_id, status, received_at);
