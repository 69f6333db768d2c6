-- Group owners (Graph's groups/{id}/owners): the users who own a group.
-- Governance reads them: PIM's "owners approve" and access reviews by the
-- group's owners. Owners are not members and are not provisioned, so they
-- have no outbox records. An ownership goes with its group and with its
-- user when the user is purged (hard-deleted); a soft-deleted user keeps it
-- until then, so a restored user owns what they owned.
CREATE TABLE directory_group_owners (
    group_id   TEXT NOT NULL REFERENCES directory_groups (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES directory_users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX directory_group_owners_user ON directory_group_owners (user_id);
