-- Team accounts and security: members, scoped role grants, sessions, one-time links,
-- two-factor, API tokens, login throttling, the audit log and the mail outbox.

CREATE TABLE members (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,   -- stored lowercased
    display_name  TEXT NOT NULL,
    time_zone     TEXT NOT NULL DEFAULT 'UTC',
    languages     TEXT NOT NULL DEFAULT 'en',
    avatar_url    TEXT,
    password_hash TEXT,                   -- NULL until the member sets one
    totp_secret   TEXT,                   -- base32; NULL unless two-factor is set up
    totp_enabled  BOOLEAN NOT NULL DEFAULT FALSE,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('invited', 'active', 'removed')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- scope '' = the whole site, otherwise a campaign id.
CREATE TABLE grants (
    member_id  TEXT NOT NULL REFERENCES members (id),
    role       TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'treasurer', 'member')),
    scope      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    PRIMARY KEY (member_id, role, scope)
);

-- The cookie holds a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    member_id    TEXT NOT NULL REFERENCES members (id),
    mfa_pending  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    user_agent   TEXT,
    ip           TEXT
);
CREATE INDEX sessions_member ON sessions (member_id);

-- Single-use, expiring links: sign-in, invitation, password reset.
CREATE TABLE login_tokens (
    token_hash TEXT PRIMARY KEY,
    member_id  TEXT NOT NULL REFERENCES members (id),
    purpose    TEXT NOT NULL CHECK (purpose IN ('signin', 'invite', 'reset')),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);

CREATE TABLE recovery_codes (
    member_id TEXT NOT NULL REFERENCES members (id),
    code_hash TEXT NOT NULL,
    used_at   TEXT,
    PRIMARY KEY (member_id, code_hash)
);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    member_id    TEXT NOT NULL REFERENCES members (id),
    label        TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

CREATE TABLE passkeys (
    id            TEXT PRIMARY KEY,
    member_id     TEXT NOT NULL REFERENCES members (id),
    credential_id TEXT NOT NULL UNIQUE,
    passkey_json  TEXT NOT NULL,
    label         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT
);

-- Failed sign-in attempts, per key ('account:<email>' or 'ip:<addr>'), shared by all nodes.
CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  TEXT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);

CREATE TABLE known_devices (
    member_id   TEXT NOT NULL REFERENCES members (id),
    device_hash TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    PRIMARY KEY (member_id, device_hash)
);

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    actor_id   TEXT,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    ip         TEXT,
    user_agent TEXT
);
CREATE INDEX audit_log_action ON audit_log (action, at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Every message sent or kept: the console shows it; without SMTP it is also an .eml file.
CREATE TABLE outbox (
    id         TEXT PRIMARY KEY,
    to_addr    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    text_body  TEXT NOT NULL,
    html_body  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at    TEXT,
    error      TEXT
);
