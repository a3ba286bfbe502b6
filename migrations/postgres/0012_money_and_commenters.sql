-- Penetration-test fixes (issue 9), money and blog share.
--
-- 1. Offline donation references are scoped to their campaign: the stored
--    provider_reference of an offline donation is '<campaign id>:<reference>'
--    (src/donations/offline.rs), so the one-donation-per-(provider, reference) rule holds per
--    campaign and an entry never meets a donation of another campaign. Existing rows follow.
UPDATE donations SET provider_reference = campaign_id || ':' || provider_reference
    WHERE provider = 'offline';

-- 2. A donation whose money was captured for a checkout that could no longer be paid
--    (expired, declined or canceled session, or a campaign that stopped accepting) is
--    recorded (the donor must not lose it) and flagged for the treasurer: review_reason is
--    'session-expired', 'session-declined', 'session-canceled' or 'campaign-not-accepting'.
ALTER TABLE donations ADD COLUMN review_reason TEXT;
CREATE INDEX donations_needs_review ON donations (campaign_id, created_at)
    WHERE review_reason IS NOT NULL;

-- 3. Guest commenters' confirmed e-mail addresses (src/blog/comments.rs). Only a keyed hash
--    of the lower-cased address is kept. A guest comment is approved at once only when its
--    address is confirmed (the link mailed to it was followed); confirm_sent_at limits the
--    confirmation mails to one per address per day.
CREATE TABLE commenter_emails (
    email_hash      TEXT PRIMARY KEY,
    confirmed_at    TIMESTAMPTZ,
    confirm_sent_at TIMESTAMPTZ
);
