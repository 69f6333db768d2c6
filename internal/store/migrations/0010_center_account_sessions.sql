-- Account sessions opened from the center's access portal: a user chose a
-- permission set in an account and signed in to it. Each lasts the
-- permission set's SessionDuration and carries the portal session's tags.
-- Only the SHA-256 of the session id is stored.
CREATE TABLE center_account_sessions (
    id_hash            TEXT PRIMARY KEY,
    portal_session     TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    account_id         TEXT NOT NULL,
    permission_set_arn TEXT NOT NULL,
    role_name          TEXT NOT NULL,
    tags               TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    revoked_at         BIGINT
);
CREATE INDEX center_account_sessions_user ON center_account_sessions (user_id);
CREATE INDEX center_account_sessions_portal ON center_account_sessions (portal_session);
