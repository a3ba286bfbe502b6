-- Receipts (src/donations/receipts/): one row per donation, numbered per campaign.
--
-- * number: 1, 2, 3, ... per campaign with no gaps, given in the transaction that records the
--   donation (donations::record_in): that transaction already holds the campaign's totals
--   row (PostgreSQL: row lock; SQLite: BEGIN IMMEDIATE), so concurrent donations to one
--   campaign take their numbers one after another, and a rolled-back donation takes its
--   number back with it. The unique key is the last guard. Shown as <SLUG>-000042.
-- * Donations recorded before this migration are numbered here, in the order they came.
CREATE TABLE receipts (
    donation_id TEXT PRIMARY KEY REFERENCES donations (id),
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    number      BIGINT NOT NULL CHECK (number > 0),
    created_at  TEXT NOT NULL,
    UNIQUE (campaign_id, number)
);

INSERT INTO receipts (donation_id, campaign_id, number, created_at)
SELECT id, campaign_id,
       ROW_NUMBER() OVER (PARTITION BY campaign_id ORDER BY created_at, id),
       created_at
FROM donations;

-- The donor's page language at checkout (the receipt e-mail and PDF are written in it);
-- NULL for sessions from before, and for offline gifts there is no session: English.
ALTER TABLE checkout_sessions ADD COLUMN lang TEXT;
CREATE INDEX checkout_sessions_donation ON checkout_sessions (donation_id)
    WHERE donation_id IS NOT NULL;

-- The attachments of a kept message: "name (type, N bytes)" per line, for the console's
-- outbox; the bytes themselves are in the sent message (or its .eml file).
ALTER TABLE outbox ADD COLUMN attachments TEXT NOT NULL DEFAULT '';
