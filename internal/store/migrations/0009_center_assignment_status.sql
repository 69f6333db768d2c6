-- The sso-admin API's asynchronous request statuses, kept by request id so
-- that clients can poll them across restarts and after the assignment a
-- creation status names is gone (a deletion's status outlives its row by
-- definition). kind is ASSIGNMENT_CREATION, ASSIGNMENT_DELETION or
-- PERMISSION_SET_PROVISIONING; doc is the status object as the API returns
-- it. And the instance's ABAC configuration
-- (InstanceAccessControlAttributeConfiguration, one per instance).
CREATE TABLE center_request_status (
    request_id TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    doc        TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX center_request_status_kind ON center_request_status (kind, created_at);

CREATE TABLE center_access_control_attributes (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    doc        TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
