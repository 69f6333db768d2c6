-- The center's AWS-compatible API: access keys for SigV4 (the secret kept
-- encrypted, since verifying a signature needs it), and identity store
-- membership ids.
CREATE TABLE center_access_keys (
    id            TEXT PRIMARY KEY,
    secret_sealed TEXT NOT NULL,
    description   TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

ALTER TABLE center_group_members ADD COLUMN membership_id TEXT;
CREATE UNIQUE INDEX center_group_members_membership ON center_group_members (membership_id);
