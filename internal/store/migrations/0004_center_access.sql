-- The center's access model: permission sets, accounts and account
-- assignments (shared/reference/aws-identity-center.md §2.4, §4.2).
CREATE TABLE center_permission_sets (
    arn        TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    -- Names are unique per instance compared case-insensitively, as the IAM
    -- role names they become are.
    name_key   TEXT NOT NULL UNIQUE,
    doc        TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE center_accounts (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    real_aws   BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);

-- An assignment's principal is a user or a group, so it has no foreign key:
-- deleting a user or group deletes its assignments in the same transaction.
-- A permission set cannot be deleted while assigned (no ON DELETE action).
CREATE TABLE center_account_assignments (
    account_id         TEXT NOT NULL REFERENCES center_accounts (id) ON DELETE CASCADE,
    permission_set_arn TEXT NOT NULL REFERENCES center_permission_sets (arn),
    principal_type     TEXT NOT NULL CHECK (principal_type IN ('USER', 'GROUP')),
    principal_id       TEXT NOT NULL,
    status             TEXT NOT NULL,
    request_id         TEXT NOT NULL UNIQUE,
    failure_reason     TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    PRIMARY KEY (account_id, permission_set_arn, principal_type, principal_id)
);
CREATE INDEX center_account_assignments_principal ON center_account_assignments (principal_type, principal_id);
CREATE INDEX center_account_assignments_permission_set ON center_account_assignments (permission_set_arn);
