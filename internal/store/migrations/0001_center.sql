-- The center (AWS IAM Identity Center role): its identity store, fed by SCIM.
CREATE TABLE center_instance (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    identity_store_id TEXT NOT NULL,
    id_prefix         TEXT NOT NULL,
    instance_id       TEXT NOT NULL,
    created_at        BIGINT NOT NULL
);

CREATE TABLE center_users (
    seq           BIGINT NOT NULL,
    id            TEXT PRIMARY KEY,
    user_name     TEXT NOT NULL,
    user_name_key TEXT NOT NULL UNIQUE,
    external_id   TEXT,
    manager_id    TEXT,
    active        BOOLEAN NOT NULL,
    doc           TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX center_users_seq ON center_users (seq);
CREATE INDEX center_users_external_id ON center_users (external_id);
CREATE INDEX center_users_manager_id ON center_users (manager_id);

CREATE TABLE center_groups (
    seq              BIGINT NOT NULL,
    id               TEXT PRIMARY KEY,
    display_name     TEXT NOT NULL,
    display_name_key TEXT NOT NULL UNIQUE,
    external_id      TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX center_groups_seq ON center_groups (seq);
CREATE INDEX center_groups_external_id ON center_groups (external_id);

CREATE TABLE center_group_members (
    group_id TEXT NOT NULL REFERENCES center_groups (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES center_users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX center_group_members_user ON center_group_members (user_id);

-- Sequence counters: one row per name. Kept in a table rather than in
-- engine-specific sequences so both engines share one SQL text.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('center_users', 0), ('center_groups', 0);

-- SCIM bearer tokens: the secret is kept only as its SHA-256 hash.
CREATE TABLE center_scim_tokens (
    id          TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
