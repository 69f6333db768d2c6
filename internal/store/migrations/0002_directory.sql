-- The directory (Microsoft Entra ID role): users, groups, apps, assignments,
-- and the change outbox written in the same transaction as each change.
CREATE TABLE directory_users (
    id          TEXT PRIMARY KEY,
    upn_key     TEXT NOT NULL,
    employee_id TEXT,
    deleted_at  BIGINT,
    doc         TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
-- A soft-deleted user keeps its row; its userPrincipalName may be reused.
CREATE UNIQUE INDEX directory_users_upn ON directory_users (upn_key) WHERE deleted_at IS NULL;
CREATE INDEX directory_users_employee_id ON directory_users (employee_id);
CREATE INDEX directory_users_deleted_at ON directory_users (deleted_at);

CREATE TABLE directory_groups (
    id               TEXT PRIMARY KEY,
    display_name_key TEXT NOT NULL,
    doc              TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX directory_groups_display_name ON directory_groups (display_name_key);

CREATE TABLE directory_members (
    group_id    TEXT NOT NULL REFERENCES directory_groups (id) ON DELETE CASCADE,
    member_id   TEXT NOT NULL,
    member_kind TEXT NOT NULL,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX directory_members_member ON directory_members (member_id);

CREATE TABLE directory_apps (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    template     TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE directory_assignments (
    id             TEXT PRIMARY KEY,
    app_id         TEXT NOT NULL REFERENCES directory_apps (id) ON DELETE CASCADE,
    principal_id   TEXT NOT NULL,
    principal_kind TEXT NOT NULL,
    app_role_id    TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    UNIQUE (app_id, principal_id, app_role_id)
);
CREATE INDEX directory_assignments_principal ON directory_assignments (principal_id);

CREATE TABLE directory_changes (
    seq       BIGINT PRIMARY KEY,
    kind      TEXT NOT NULL,
    object_id TEXT NOT NULL,
    at        BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('directory_changes', 0);

CREATE TABLE directory_api_tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
