-- The treasurer's week and reply e-mails (issue 11).
--
-- 1. The day of the ECB reference rate a donation was converted at: an offline gift is
--    converted at the rate of the day it was received (the newest rate on or before it),
--    and the wall and the console show that day. NULL when no conversion was needed and for
--    donations recorded before.
ALTER TABLE donations ADD COLUMN rate_on TEXT;

-- 2. Voided offline donations (src/donations/voids.rs). The ledger stays append-only: a void
--    appends a reversing 'adjustment' entry (entry_id, linked to the donation) and this row
--    marks the donation voided for display. One void per donation (the primary key), and
--    like the ledger nothing here is changed or removed.
CREATE TABLE donation_voids (
    donation_id TEXT PRIMARY KEY REFERENCES donations (id),
    entry_id    TEXT NOT NULL UNIQUE REFERENCES ledger_entries (id),
    reason      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TRIGGER donation_voids_no_update BEFORE UPDATE ON donation_voids
BEGIN SELECT RAISE(ABORT, 'voids are append-only'); END;
CREATE TRIGGER donation_voids_no_delete BEFORE DELETE ON donation_voids
BEGIN SELECT RAISE(ABORT, 'voids are append-only'); END;

-- 3. "E-mail me replies" (src/blog/replies.rs): a comment whose author asked to hear of
--    replies (in the language they wrote in), until they follow the unsubscribe link; and the
--    replies already told, so each reply is mailed at most once (approved, unapproved and
--    approved again included).
CREATE TABLE comment_reply_subscriptions (
    comment_id      TEXT PRIMARY KEY REFERENCES comments (id) ON DELETE CASCADE,
    lang            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    unsubscribed_at TEXT
);
CREATE TABLE comment_reply_notices (
    reply_id TEXT PRIMARY KEY REFERENCES comments (id) ON DELETE CASCADE,
    sent_at  TEXT NOT NULL
);
