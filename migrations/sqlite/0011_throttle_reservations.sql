-- Atomic throttling (src/team/throttle.rs): an attempt is reserved before its password or
-- code is checked, in one write transaction that first locks the key's row here, reads the
-- key's failures and, unless the key is locked, inserts the attempt as a failure. A right
-- password deletes its own rows again by `attempt` (a random id per reservation). So
-- simultaneous guesses are counted one after another, on every node.
ALTER TABLE login_failures ADD COLUMN attempt TEXT;

-- One row per throttle key, locked (upserted) by every reservation of that key; rows not
-- touched for a day are deleted.
CREATE TABLE throttle_keys (
    key        TEXT PRIMARY KEY,
    touched_at TEXT NOT NULL
);
CREATE INDEX throttle_keys_touched ON throttle_keys (touched_at);
