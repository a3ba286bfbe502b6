-- Referral links and cookie-less insight (issue 15): supporters' own links to a campaign,
-- what a donation came through, and page views counted without cookies or addresses.

-- A supporter's (or a team member's) link `/r/{code}` to a campaign. `public_name` is
-- optional; only links with `on_leaderboard` show it on the supporters' board.
-- `manage_hash` is the SHA-256 of the secret manage link's token (NULL: made in the console).
CREATE TABLE referral_links (
    code           TEXT PRIMARY KEY,
    campaign_id    TEXT NOT NULL REFERENCES campaigns (id),
    public_name    TEXT NOT NULL DEFAULT '',
    on_leaderboard BOOLEAN NOT NULL DEFAULT FALSE,
    manage_hash    TEXT,
    member_id      TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX referral_links_campaign ON referral_links (campaign_id, created_at);

-- What brought a checkout (and so its donation): the referral code and the `utm_source`
-- of the campaign page the donate form was posted from (its same-origin Referer), as typed:
-- donations do not know promotion's links; the report joins them.
ALTER TABLE checkout_sessions ADD COLUMN ref_code TEXT;
ALTER TABLE checkout_sessions ADD COLUMN utm_source TEXT;

-- Page views per page and UTC day and dimensions, added to by every node's flush (upserts
-- add). `visitors`: visitors first seen on that page that day (by the day's salted hash).
CREATE TABLE page_views (
    day           TEXT NOT NULL,
    path          TEXT NOT NULL,
    referrer_host TEXT NOT NULL DEFAULT '',
    ref_code      TEXT NOT NULL DEFAULT '',
    utm_source    TEXT NOT NULL DEFAULT '',
    device        TEXT NOT NULL DEFAULT '',
    lang          TEXT NOT NULL DEFAULT '',
    views         INTEGER NOT NULL DEFAULT 0,
    visitors      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, path, referrer_host, ref_code, utm_source, device, lang)
);

-- The day's visitor hashes (SHA-256 of the day's salt and the address key), per page and
-- for the whole site (`scope` ''): only to tell a new visitor from one seen today; rows of
-- past days are deleted (their salt is gone, so they could no longer be tied to anyone).
CREATE TABLE page_visitors (
    day          TEXT NOT NULL,
    scope        TEXT NOT NULL,
    visitor_hash TEXT NOT NULL,
    PRIMARY KEY (day, scope, visitor_hash)
);

-- Visitors of the whole site per UTC day.
CREATE TABLE visitor_days (
    day      TEXT PRIMARY KEY,
    visitors INTEGER NOT NULL DEFAULT 0
);
