-- The campaign slice: campaigns, the append-only ledger, donations, checkout sessions,
-- provider events, exchange rates and campaign updates.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE campaigns (
    id                  TEXT PRIMARY KEY,
    slug                TEXT NOT NULL UNIQUE,
    title               TEXT NOT NULL,
    summary             TEXT NOT NULL,
    story_md            TEXT NOT NULL,
    goal_minor          BIGINT NOT NULL CHECK (goal_minor > 0),
    currency            TEXT NOT NULL,
    accepted_currencies TEXT NOT NULL,
    starts_at           TIMESTAMPTZ NOT NULL,
    ends_at             TIMESTAMPTZ,
    beneficiary_name    TEXT NOT NULL,
    beneficiary_place   TEXT NOT NULL,
    cover_image_url     TEXT,
    cover_image_alt     TEXT,
    state               TEXT NOT NULL CHECK (state IN ('draft', 'live', 'funded', 'closed')),
    keep_accepting      BOOLEAN NOT NULL DEFAULT TRUE,
    featured            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE milestones (
    id           TEXT PRIMARY KEY,
    campaign_id  TEXT NOT NULL REFERENCES campaigns (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    label        TEXT NOT NULL
);
CREATE INDEX milestones_campaign ON milestones (campaign_id, amount_minor);

-- Kept in the same transaction as every ledger entry; `ledger verify` recomputes them.
CREATE TABLE campaign_totals (
    campaign_id  TEXT PRIMARY KEY REFERENCES campaigns (id),
    raised_minor BIGINT NOT NULL DEFAULT 0,
    donor_count  BIGINT NOT NULL DEFAULT 0,
    entry_count  BIGINT NOT NULL DEFAULT 0,
    version      BIGINT NOT NULL DEFAULT 0,
    updated_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE donations (
    id                    TEXT PRIMARY KEY,
    campaign_id           TEXT NOT NULL REFERENCES campaigns (id),
    amount_minor          BIGINT NOT NULL CHECK (amount_minor > 0),
    currency              TEXT NOT NULL,
    rate                  TEXT NOT NULL,
    campaign_amount_minor BIGINT NOT NULL,
    donor_name            TEXT,
    donor_email           TEXT,
    message               TEXT,
    visibility            TEXT NOT NULL CHECK (visibility IN ('public', 'anonymous', 'private')),
    provider              TEXT NOT NULL,
    provider_reference    TEXT NOT NULL,
    status                TEXT NOT NULL,
    received_on           DATE,
    note                  TEXT,
    created_at            TIMESTAMPTZ NOT NULL,
    CONSTRAINT donations_provider_reference_key UNIQUE (provider, provider_reference)
);
CREATE INDEX donations_campaign_created ON donations (campaign_id, created_at);

CREATE TABLE ledger_entries (
    seq          BIGSERIAL PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    campaign_id  TEXT NOT NULL REFERENCES campaigns (id),
    donation_id  TEXT REFERENCES donations (id),
    kind         TEXT NOT NULL CHECK (kind IN ('donation', 'refund', 'adjustment')),
    amount_minor BIGINT NOT NULL,
    donor_delta  BIGINT NOT NULL,
    memo         TEXT,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX ledger_campaign ON ledger_entries (campaign_id);

CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only';
END;
$$;
CREATE TRIGGER ledger_entries_no_change BEFORE UPDATE OR DELETE ON ledger_entries
FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();

CREATE TABLE checkout_sessions (
    id           TEXT PRIMARY KEY,
    campaign_id  TEXT NOT NULL REFERENCES campaigns (id),
    provider     TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency     TEXT NOT NULL,
    rate         TEXT NOT NULL,
    campaign_amount_minor BIGINT NOT NULL,
    donor_name   TEXT,
    donor_email  TEXT,
    message      TEXT,
    visibility   TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'succeeded', 'declined', 'canceled')),
    donation_id  TEXT REFERENCES donations (id),
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE provider_events (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider, event_id)
);

CREATE TABLE exchange_rates (
    as_of       DATE NOT NULL,
    currency    TEXT NOT NULL,
    per_eur     TEXT NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (as_of, currency)
);

CREATE TABLE posts (
    id           TEXT PRIMARY KEY,
    campaign_id  TEXT REFERENCES campaigns (id),
    kind         TEXT NOT NULL,
    slug         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    body_md      TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX posts_published ON posts (published_at);
