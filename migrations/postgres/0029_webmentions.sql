-- Webmention: mentions of our posts and campaign pages received from other sites, and the
-- notifications our posts sent to the pages they link to.

-- One row per (source, target): a re-sent mention updates its row. `status`: 'pending'
-- (received, not verified yet), 'verified' (the source links to the target: a post's reply
-- or reaction handed to the blog, which moderates it; a campaign's mention held for
-- approval), 'approved' (a campaign's mention shown on its page), 'spam', 'gone' (the source
-- answered 410 or no longer links), 'invalid' (the source never linked or could not be read).
-- Exactly one of post_id and campaign_id names what the target is.
CREATE TABLE webmentions (
    id            TEXT PRIMARY KEY,
    source        TEXT NOT NULL,
    target        TEXT NOT NULL,
    post_id       TEXT REFERENCES posts (id),
    campaign_id   TEXT REFERENCES campaigns (id),
    status        TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'approved', 'spam', 'gone', 'invalid')),
    kind          TEXT NOT NULL DEFAULT 'mention' CHECK (kind IN ('mention', 'reply', 'like', 'repost')),
    author_name   TEXT NOT NULL DEFAULT '',
    author_url    TEXT NOT NULL DEFAULT '',
    author_photo  TEXT NOT NULL DEFAULT '',
    title         TEXT NOT NULL DEFAULT '',
    content       TEXT NOT NULL DEFAULT '',
    url           TEXT NOT NULL DEFAULT '',
    published_at  TIMESTAMPTZ,
    -- The sender's address key (IPv6 by /64), for the rate limit.
    client_key    TEXT NOT NULL DEFAULT '',
    received_at   TIMESTAMPTZ NOT NULL,
    verified_at   TIMESTAMPTZ,
    last_error    TEXT NOT NULL DEFAULT '',
    UNIQUE (source, target),
    CHECK ((post_id IS NULL) <> (campaign_id IS NULL))
);
CREATE INDEX webmentions_campaign ON webmentions (campaign_id, status, published_at);
CREATE INDEX webmentions_status ON webmentions (status, received_at);
CREATE INDEX webmentions_client ON webmentions (client_key, received_at);
CREATE INDEX webmentions_author ON webmentions (author_url, status);

-- A campaign's shown mentions are part of its page: its version moves with them (and the
-- other nodes hear of it, like live::bump_version).
CREATE FUNCTION campaign_version_webmentions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cid TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN cid := OLD.campaign_id; ELSE cid := NEW.campaign_id; END IF;
    UPDATE campaign_totals SET version = version + 1 WHERE campaign_id = cid;
    PERFORM pg_notify('shelfraiser_live', cid);
    RETURN NULL;
END;
$$;
CREATE TRIGGER campaign_version_webmentions_insert AFTER INSERT ON webmentions FOR EACH ROW
    WHEN (NEW.campaign_id IS NOT NULL AND NEW.status = 'approved')
    EXECUTE FUNCTION campaign_version_webmentions();
CREATE TRIGGER campaign_version_webmentions_update AFTER UPDATE ON webmentions FOR EACH ROW
    WHEN (NEW.campaign_id IS NOT NULL AND (OLD.status = 'approved' OR NEW.status = 'approved'))
    EXECUTE FUNCTION campaign_version_webmentions();
CREATE TRIGGER campaign_version_webmentions_delete AFTER DELETE ON webmentions FOR EACH ROW
    WHEN (OLD.campaign_id IS NOT NULL AND OLD.status = 'approved')
    EXECUTE FUNCTION campaign_version_webmentions();

-- The pages a post linked to when it was last sent, and what their endpoints answered: an
-- update notifies the pages it no longer links to as well.
CREATE TABLE webmention_sends (
    post_id   TEXT NOT NULL REFERENCES posts (id),
    target    TEXT NOT NULL,
    endpoint  TEXT NOT NULL DEFAULT '',
    outcome   TEXT NOT NULL DEFAULT '',
    sent_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (post_id, target)
);
