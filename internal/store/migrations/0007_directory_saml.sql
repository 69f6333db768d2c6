-- The directory's SAML 2.0 IdP: per-app configuration and signing
-- certificates (private keys sealed with secret.Box).
CREATE TABLE directory_saml_apps (
    app_id        TEXT PRIMARY KEY REFERENCES directory_apps (id) ON DELETE CASCADE,
    entity_id_key TEXT NOT NULL,
    doc           TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);
-- An SP entity id (Entra's "Identifier") belongs to one app.
CREATE UNIQUE INDEX directory_saml_apps_entity_id ON directory_saml_apps (entity_id_key);

CREATE TABLE directory_saml_certs (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES directory_apps (id) ON DELETE CASCADE,
    cert_der   TEXT NOT NULL,
    sealed_key TEXT NOT NULL,
    active     INTEGER NOT NULL,
    not_before BIGINT NOT NULL,
    not_after  BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX directory_saml_certs_app ON directory_saml_certs (app_id);
CREATE INDEX directory_saml_certs_not_after ON directory_saml_certs (not_after);
-- At most one active certificate per app.
CREATE UNIQUE INDEX directory_saml_certs_active ON directory_saml_certs (app_id) WHERE active = 1;
