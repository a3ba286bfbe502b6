-- Pledges and matching gifts (src/donations/pledges.rs, src/donations/matching.rs): money
-- promised but not yet received. Neither is ever part of "raised" (the ledger's); the campaign
-- page shows the open ones apart as "pledged". A pledge or a match ends once: fulfilled or
-- settled into an offline donation (donation_id, in the same transaction as the donation's
-- ledger entry), or cancelled with a reason. Who did what is in the audit log (pledge.*,
-- match.* actions).
CREATE TABLE pledges (
    id            TEXT PRIMARY KEY,
    campaign_id   TEXT NOT NULL REFERENCES campaigns (id),
    pledger       TEXT NOT NULL,
    amount_minor  BIGINT NOT NULL CHECK (amount_minor > 0),
    currency      TEXT NOT NULL,
    expected_on   DATE,
    note          TEXT,
    visibility    TEXT NOT NULL CHECK (visibility IN ('public', 'anonymous', 'private')),
    status        TEXT NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open', 'fulfilled', 'cancelled')),
    donation_id   TEXT REFERENCES donations (id),
    cancel_reason TEXT,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    closed_at     TIMESTAMPTZ
);
CREATE INDEX pledges_campaign ON pledges (campaign_id, status);

-- A sponsor's promise to match the donations that arrive between starts_at and ends_at:
-- ratio_percent of their campaign-currency amounts (100 = 1:1, 50 = 50p per pound), rounded
-- half-even to a minor unit, at most cap_minor (campaign currency).
CREATE TABLE matching_gifts (
    id            TEXT PRIMARY KEY,
    campaign_id   TEXT NOT NULL REFERENCES campaigns (id),
    sponsor       TEXT NOT NULL,
    ratio_percent BIGINT NOT NULL CHECK (ratio_percent BETWEEN 1 AND 1000),
    cap_minor     BIGINT NOT NULL CHECK (cap_minor > 0),
    starts_at     TIMESTAMPTZ NOT NULL,
    ends_at       TIMESTAMPTZ NOT NULL,
    -- The IANA zone the window was typed in: the page names the end day in it.
    time_zone     TEXT NOT NULL,
    note          TEXT,
    status        TEXT NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open', 'settled', 'cancelled')),
    donation_id   TEXT REFERENCES donations (id),
    cancel_reason TEXT,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    closed_at     TIMESTAMPTZ
);
CREATE INDEX matching_gifts_campaign ON matching_gifts (campaign_id, status);
