-- Donor privacy: marketing consent asked on the donate form (double opt-in), erasure of a
-- donor's personal data (pseudonymised; the ledger stays), and the record of each erasure.

-- The donor ticked "Send me news about this campaign" (asked once the donation is recorded).
ALTER TABLE checkout_sessions ADD COLUMN wants_news BOOLEAN NOT NULL DEFAULT FALSE;
-- When the donor's personal data was erased (the row keeps a pseudonym and its money).
ALTER TABLE donations ADD COLUMN erased_at TEXT;

-- Marketing consent per address and campaign: valid only once confirmed and not withdrawn.
CREATE TABLE consents (
    id           TEXT PRIMARY KEY,
    email        TEXT NOT NULL,
    campaign_id  TEXT NOT NULL REFERENCES campaigns (id),
    source       TEXT NOT NULL,
    lang         TEXT NOT NULL,
    asked_at     TEXT NOT NULL,
    confirmed_at TEXT,
    withdrawn_at TEXT
);
CREATE INDEX consents_email ON consents (email);
CREATE INDEX consents_campaign ON consents (campaign_id, confirmed_at);

-- One row per erasure: no personal data, only the keyed hash of the address (so a later
-- request or provider event for it is recognised), the pseudonym used and what was changed.
CREATE TABLE erasures (
    id           TEXT PRIMARY KEY,
    address_hash TEXT NOT NULL,
    pseudonym    TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    donations    BIGINT NOT NULL,
    sessions     BIGINT NOT NULL,
    messages     BIGINT NOT NULL,
    consents     BIGINT NOT NULL,
    pledges      BIGINT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX erasures_address ON erasures (address_hash);
