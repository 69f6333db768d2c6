-- Emergency ("break-glass") accounts of the center: local accounts that
-- sign in at /start/break-glass without the identity source. Passwords are
-- argon2id PHC strings; TOTP secrets are sealed with secret.Box; grants is
-- a JSON array of {account_id, permission_set_arn}. last_totp_step makes
-- every one-time code usable once.
CREATE TABLE center_breakglass_accounts (
    id             TEXT PRIMARY KEY,
    username       TEXT NOT NULL,
    username_key   TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    sealed_totp    TEXT NOT NULL,
    grants         TEXT NOT NULL,
    last_totp_step BIGINT NOT NULL DEFAULT 0,
    failures       INTEGER NOT NULL DEFAULT 0,
    locked_until   BIGINT,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT
);
-- Emergency sessions (1 hour); only the SHA-256 of the cookie is stored.
CREATE TABLE center_breakglass_sessions (
    id_hash    TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    username   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX center_breakglass_sessions_account ON center_breakglass_sessions (account_id);
-- Alerts raised by each use (and lockout), shown until acknowledged.
CREATE TABLE center_breakglass_alerts (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    username        TEXT NOT NULL,
    remote          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by TEXT
);
CREATE INDEX center_breakglass_alerts_created ON center_breakglass_alerts (created_at);
