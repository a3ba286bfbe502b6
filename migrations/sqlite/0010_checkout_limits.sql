-- Card-testing defence (src/donations/checkout.rs): starting a checkout is limited per client
-- address and per campaign, counted on the checkout sessions themselves so that every node
-- sees the same numbers. `client_hash` is a keyed hash (HMAC-SHA256 with the site's
-- `checkout_limit_key`) of the address, IPv6 by its /64; it is cleared once it is older than
-- the limit's window, and no raw address is stored.
ALTER TABLE checkout_sessions ADD COLUMN client_hash TEXT;
CREATE INDEX checkout_sessions_client_recent ON checkout_sessions (client_hash, created_at)
    WHERE client_hash IS NOT NULL;
CREATE INDEX checkout_sessions_campaign_recent ON checkout_sessions (campaign_id, created_at);
