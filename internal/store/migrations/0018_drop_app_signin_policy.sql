-- The per-app "require MFA" policy is the SAML IdP's app configuration
-- (directory_saml_apps); this second copy of it was never read.
DROP TABLE directory_app_signin_policy;
