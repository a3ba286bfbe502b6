-- Card-testing defence (src/donations/card_testing.rs, src/donations/challenge.rs).
--
-- Checkouts per donor e-mail address: counted on checkout_sessions by the lower-cased
-- address within the window (donations.checkouts_per_email).
CREATE INDEX checkout_sessions_email ON checkout_sessions (LOWER(donor_email), created_at);

-- Declined card attempts the payment provider reported (Stripe's payment_intent.payment_failed
-- and charge.failed), one row per attempt (the two events of one decline share it): the
-- card's fingerprint (the provider's opaque hash of the card number) and, when the event
-- names our checkout, its campaign. Past donations.challenge_after_* within the window the
-- campaign's donate form asks for a proof of work. Rows older than the window are deleted.
CREATE TABLE card_declines (
    provider     TEXT NOT NULL,
    attempt      TEXT NOT NULL,
    campaign_id  TEXT REFERENCES campaigns (id),
    fingerprint  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (provider, attempt)
);
CREATE INDEX card_declines_campaign ON card_declines (campaign_id, created_at);

-- Proof-of-work challenges already used (their nonce), kept until they expire so none is
-- used twice, on any node.
CREATE TABLE pow_spent (
    nonce       TEXT PRIMARY KEY,
    expires_at  TEXT NOT NULL
);
