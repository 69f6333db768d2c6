-- Governance: PIM for Groups. Eligibilities, requests (activations and
-- time-bound assignments; an Active request is a grant), and the transition
-- table of the memberships governance added (written before and after each
-- directory call, so a crash between them is finished by the scheduler).
CREATE TABLE pim_eligibilities (
    id           TEXT PRIMARY KEY,
    group_id     TEXT NOT NULL,
    principal_id TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    doc          TEXT NOT NULL,
    UNIQUE (group_id, principal_id)
);
CREATE INDEX pim_eligibilities_principal ON pim_eligibilities (principal_id);

CREATE TABLE pim_requests (
    id           TEXT PRIMARY KEY,
    group_id     TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    status       TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    due_at       BIGINT,
    doc          TEXT NOT NULL
);
CREATE INDEX pim_requests_pair ON pim_requests (group_id, user_id, status);
CREATE INDEX pim_requests_status ON pim_requests (status, due_at);
CREATE INDEX pim_requests_due ON pim_requests (due_at);

CREATE TABLE pim_memberships (
    group_id   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    state      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
