-- Directory sign-in: credentials (argon2id password hash, sealed TOTP secret,
-- last used TOTP step, lockout counters), server-side sessions, and the
-- per-app "require MFA" policy. Times are Unix milliseconds.
CREATE TABLE directory_credentials (
    user_id        TEXT PRIMARY KEY REFERENCES directory_users (id) ON DELETE CASCADE,
    password_hash  TEXT NOT NULL DEFAULT '',
    totp_secret    TEXT NOT NULL DEFAULT '',
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    failures       INTEGER NOT NULL DEFAULT 0,
    locked_until   BIGINT NOT NULL DEFAULT 0,
    updated_at     BIGINT NOT NULL
);

-- id is the SHA-256 (hex) of the cookie's value; the value itself is never
-- stored.
CREATE TABLE directory_sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES directory_users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    mfa          INTEGER NOT NULL DEFAULT 0,
    csrf         TEXT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX directory_sessions_user ON directory_sessions (user_id);
CREATE INDEX directory_sessions_expires ON directory_sessions (expires_at);

CREATE TABLE directory_app_signin_policy (
    app_id      TEXT PRIMARY KEY REFERENCES directory_apps (id) ON DELETE CASCADE,
    require_mfa INTEGER NOT NULL DEFAULT 0
);
