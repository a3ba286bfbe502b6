-- The treasurer's week and reply e-mails (issue 11).
--
-- 1. The day of the ECB reference rate a donation was converted at: an offline gift is
--    converted at the rate of the day it was received (the newest rate on or before it),
--    and the wall and the console show that day. NULL when no conversion was needed and for
--    donations recorded before.
ALTER TABLE donations ADD COLUMN rate_on DATE;

-- 2. Voided offline donations (src/donations/voids.rs). The ledger stays append-only: a void
--    appends a reversing 'adjustment' entry (entry_id, linked to the donation) and this row
--    marks the donation voided for display. One void per donation (the primary key), and
--    like the ledger nothing here is changed or removed.
CREATE TABLE donation_voids (
    donation_id TEXT PRIMARY KEY REFERENCES donations (id),
    entry_id    TEXT NOT NULL UNIQUE REFERENCES ledger_entries (id),
    reason      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE FUNCTION donation_voids_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'voids are append-only';
END;
$$;
CREATE TRIGGER donation_voids_no_change BEFORE UPDATE OR DELETE ON donation_voids
FOR EACH ROW EXECUTE FUNCTION donation_voids_append_only();
CREATE TRIGGER donation_voids_no_truncate BEFORE TRUNCATE ON donation_voids
FOR EACH STATEMENT EXECUTE FUNCTION donation_voids_append_only();

-- 3. "E-mail me replies" (src/blog/replies.rs): a comment whose author asked to hear of
--    replies (in the language they wrote in), until they follow the unsubscribe link; and the
--    replies already told, so each reply is mailed at most once (approved, unapproved and
--    approved again included).
CREATE TABLE comment_reply_subscriptions (
    comment_id      TEXT PRIMARY KEY REFERENCES comments (id) ON DELETE CASCADE,
    lang            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    unsubscribed_at TIMESTAMPTZ
);
CREATE TABLE comment_reply_notices (
    reply_id TEXT PRIMARY KEY REFERENCES comments (id) ON DELETE CASCADE,
    sent_at  TIMESTAMPTZ NOT NULL
);
