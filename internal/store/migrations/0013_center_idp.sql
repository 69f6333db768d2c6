-- The center's own SAML 2.0 identity provider toward AWS sign-in
-- (https://signin.aws.amazon.com/saml): the access portal's "Management
-- console" action signs a Response with it, and each member account's IAM
-- SAML provider (gatehouse center export-iam) trusts its metadata. Private
-- keys are sealed with secret.Box; certificates are base64 DER.
CREATE TABLE center_idp_keys (
    id         TEXT PRIMARY KEY,
    cert_der   TEXT NOT NULL,
    sealed_key TEXT NOT NULL,
    active     INTEGER NOT NULL,
    not_before BIGINT NOT NULL,
    not_after  BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
-- At most one active key: the first node to create one wins, the others
-- read it back.
CREATE UNIQUE INDEX center_idp_keys_active ON center_idp_keys (active) WHERE active = 1;
