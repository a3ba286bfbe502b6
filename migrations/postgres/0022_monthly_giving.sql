-- Monthly giving through Stripe subscriptions (src/donations/monthly/), and two receipt fixes.
--
-- * monthly_gifts: one row per monthly gift, made with its checkout session ('pending' until
--   Stripe's checkout.session.completed names the subscription; a checkout never finished
--   stays 'pending' and is shown nowhere). Donor details are copied from the checkout: the
--   renewals have no checkout of their own. Each renewal is converted at the newest rate of
--   the day it is paid (the rate is locked per payment), so no rate is kept here.
-- * monthly_payments: which donation paid which month (the invoice is the donation's
--   provider reference, so a replayed or out-of-order invoice.paid records one donation).
CREATE TABLE monthly_gifts (
    id               TEXT PRIMARY KEY,
    checkout_id      TEXT NOT NULL UNIQUE REFERENCES checkout_sessions (id),
    campaign_id      TEXT NOT NULL REFERENCES campaigns (id),
    subscription_ref TEXT UNIQUE,
    customer_ref     TEXT,
    amount_minor     BIGINT NOT NULL CHECK (amount_minor > 0),
    currency         TEXT NOT NULL,
    donor_name       TEXT,
    donor_email      TEXT,
    visibility       TEXT NOT NULL,
    lang             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'active', 'past_due', 'canceled')),
    created_at       TIMESTAMPTZ NOT NULL,
    started_at       TIMESTAMPTZ,
    canceled_at      TIMESTAMPTZ,
    next_payment_at  TIMESTAMPTZ
);
CREATE INDEX monthly_gifts_campaign ON monthly_gifts (campaign_id, status);

CREATE TABLE monthly_payments (
    donation_id TEXT PRIMARY KEY REFERENCES donations (id),
    gift_id     TEXT NOT NULL REFERENCES monthly_gifts (id),
    invoice_ref TEXT NOT NULL UNIQUE,
    paid_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX monthly_payments_gift ON monthly_payments (gift_id);

-- The language a receipt is written in when it has no checkout to take it from (an offline
-- gift: the recording treasurer's language; a monthly renewal: the gift's).
ALTER TABLE receipts ADD COLUMN lang TEXT;

-- A message sent by a job that may be retried keeps one outbox row (its key): a retry
-- delivers that row again instead of adding a second one, and none once it was sent.
ALTER TABLE outbox ADD COLUMN dedupe_key TEXT;
CREATE UNIQUE INDEX outbox_dedupe_key ON outbox (dedupe_key) WHERE dedupe_key IS NOT NULL;
