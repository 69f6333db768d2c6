-- Admin consoles: a directory user's console role. No row means no access;
-- "admin" may change things, "read-only" may only look.
CREATE TABLE directory_console_roles (
    user_id    TEXT PRIMARY KEY REFERENCES directory_users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
