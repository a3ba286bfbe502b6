-- Passkeys: the state of a registration or sign-in ceremony between its two requests, kept
-- in the database so that any node can finish what another began. A challenge lives five
-- minutes and is used once (taken with DELETE … RETURNING). `id` is the SHA-256 of the
-- challenge handle given to the browser.

CREATE TABLE passkey_challenges (
    id         TEXT PRIMARY KEY,
    member_id  TEXT REFERENCES members (id),
    kind       TEXT NOT NULL CHECK (kind IN ('register', 'signin')),
    state_json TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX passkey_challenges_expires ON passkey_challenges (expires_at);
CREATE INDEX passkeys_member ON passkeys (member_id);
