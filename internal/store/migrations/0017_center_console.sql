-- The center console's settings (one row): the SCIM group ids whose active
-- members may sign in to /console on the center through SAML, as "admin"
-- or as "read-only". Empty means nobody has that role.
CREATE TABLE center_console_settings (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    admin_group_id     TEXT NOT NULL DEFAULT '',
    read_only_group_id TEXT NOT NULL DEFAULT '',
    updated_at         BIGINT NOT NULL
);
