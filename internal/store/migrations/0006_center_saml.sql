-- The center's SAML 2.0 service provider (AWS IAM Identity Center role):
-- identity source, outstanding AuthnRequests, the assertion replay cache and
-- access-portal sessions.

-- The identity source: 'center' (its own users) or 'external' (a SAML IdP
-- described by the uploaded metadata, kept verbatim and parsed on load).
CREATE TABLE center_saml_source (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    source       TEXT NOT NULL,
    idp_metadata TEXT,
    updated_at   BIGINT NOT NULL
);

-- AuthnRequest IDs sent in SP-initiated flows, for InResponseTo checking
-- (SAML profiles §4.1.4.3); a row is deleted when a response consumes it.
CREATE TABLE center_saml_requests (
    id         TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX center_saml_requests_expires ON center_saml_requests (expires_at);

-- IDs of assertions already used, until they could no longer be valid
-- (SAML profiles §4.1.4.5): shared by every node through the database.
CREATE TABLE center_saml_assertions (
    id         TEXT PRIMARY KEY,
    used_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX center_saml_assertions_expires ON center_saml_assertions (expires_at);

-- Access-portal sessions. Only the SHA-256 of the cookie value is stored.
CREATE TABLE center_portal_sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    tags       TEXT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX center_portal_sessions_user ON center_portal_sessions (user_id);
