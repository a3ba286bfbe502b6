-- Refunds (src/donations/refunds.rs): money that went back to a donor, all or part of a
-- donation, each one a 'refund' ledger entry (the ledger stays append-only). A row per
-- refund: asked for from the console ('requested' until the provider answers, then
-- 'pending' until it is done), 'succeeded' once its ledger entry (entry_id, in the same
-- transaction) is written, or 'failed' (the provider refused it or could not be reached: no
-- entry). provider_refund_id is the provider's id for the refund, unique per provider, so
-- the console's answer and every webhook about the same refund find one row and write one
-- entry. An offline refund (money a treasurer sent back) is 'succeeded' at once, provider
-- 'offline'. requested_by is the member who asked (NULL: made at the provider itself).
-- A refund heard of before the payment it refunds was recorded (webhooks come in any order)
-- is parked: no donation yet, the provider's payment_reference kept; recording that payment
-- claims it and writes its entry in the same transaction.
CREATE TABLE donation_refunds (
    id                    TEXT PRIMARY KEY,
    donation_id           TEXT REFERENCES donations (id),
    campaign_id           TEXT REFERENCES campaigns (id),
    provider              TEXT NOT NULL,
    payment_reference     TEXT,
    provider_refund_id    TEXT,
    amount_minor          BIGINT NOT NULL CHECK (amount_minor > 0),
    currency              TEXT NOT NULL,
    campaign_amount_minor BIGINT,
    status                TEXT NOT NULL
                          CHECK (status IN ('requested', 'pending', 'succeeded', 'failed')),
    reason                TEXT,
    requested_by          TEXT,
    error                 TEXT,
    entry_id              TEXT UNIQUE REFERENCES ledger_entries (id),
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX donation_refunds_provider_id
    ON donation_refunds (provider, provider_refund_id);
CREATE INDEX donation_refunds_donation ON donation_refunds (donation_id);
CREATE INDEX donation_refunds_parked ON donation_refunds (provider, payment_reference);
