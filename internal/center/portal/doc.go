// Package portal is the center's AWS access portal, in the role of the IAM
// Identity Center portal (https://<d-xxxxxxxxxx>.awsapps.com/start;
// shared/reference/aws-identity-center.md §3.4, §4).
//
// Routes (Handler.Mount; the SP mounts /saml/metadata and /saml/acs):
//
//   - GET /start: without a portal session (samlsp cookie gh_portal), an
//     SP-initiated sign-in at the identity source (SP.Begin, RelayState
//     "/start"). With one: who is signed in, and per account the permission
//     sets the user may use (center.AccessStore.EffectiveAccess: directly
//     and through groups), each with its session duration, an "Open" button
//     and, for accounts marked RealAWS, "Management console".
//   - POST /start/session (account_id, permission_set_arn, csrf): checks the
//     CSRF token, that the user is still active and still has that access,
//     then opens an account session (AccountSession) lasting the permission
//     set's SessionDuration and carrying the portal session's tags
//     (AccessControl:* attributes of the sign-in), and says "Signed in to
//     <account> as <permission set> until <time>".
//   - POST /start/console: the same, then a federated sign-in to the AWS
//     console, offered only for accounts marked RealAWS (others answer 400
//     and show no "Management console" button). With IdPCerts and Box set,
//     Handler.FederateConsole answers with an auto-submitting form
//     (samlproto.WritePOSTResponse, SAML bindings §3.5.4) that posts a
//     SAML Response signed by the center's own IdP (CenterIdP) to AWS
//     sign-in, https://signin.aws.amazon.com/saml, with the permission
//     set's RelayState. The Response (samlproto.BuildResponse) is
//     IdP-initiated: Issuer <center_url>/saml/idp/metadata; Destination,
//     Recipient and Audience https://signin.aws.amazon.com/saml (the
//     audience the roles' trust policy requires, SAML:aud, reference
//     aws-identity-center.md §4.1); NameID persistent = userName; the
//     Assertion signed with RSA-SHA256 and exclusive C14N; attributes
//     (ConsoleSignIn) https://aws.amazon.com/SAML/Attributes/Role =
//     "arn:aws:iam::<account>:role/<RoleName>,arn:aws:iam::<account>:saml-provider/Gatehouse",
//     RoleSessionName = userName, SessionDuration = the permission set's
//     in seconds, and PrincipalTag:<key> per session tag (§3.3). A Console
//     federator replaces it; with neither, the page shows what the sign-in
//     would carry.
//   - GET /saml/idp/metadata: the center's IdP metadata (SAML metadata
//     §2.4.3; entity id = this URL, the signing certificate, NameID format
//     persistent, SingleSignOnService = the portal), 404 without IdPCerts
//     and Box. Each member account's IAM SAML provider trusts it.
//   - GET /start/sessions: the user's active account sessions.
//   - POST /start/logout (csrf): ends the portal session and the account
//     sessions opened from it.
//
// Leavers. Handler.RevokeUser ends every account session and every portal
// session of a user at once; Handler.OnUserChange has the signature of
// scimserver.Handler.OnUserChange and calls it for deactivated or deleted
// users (use it instead of SP.OnUserChange). Independently, every request
// re-reads the user: one no longer provisioned or not active is refused
// with MsgAccessRemoved ("Your access has been removed; ask your
// administrator.") and its sessions are ended — also when the cookie names
// a session that was already revoked for that reason. This is stricter than
// AWS, whose role sessions outlive a disabled user by up to 12 h (§4.3).
//
// CSRF. Every form carries a token derived from the portal cookie's secret
// (SHA-256 with a label), compared in constant time: only the browser that
// holds the cookie can know it, and every node derives the same one without
// storing it. Pages are html/template with a strict Content-Security-Policy
// (no scripts, no external assets), labelled landmarks and buttons.
//
// The center's IdP. CenterIdP holds one RSA-2048 signing certificate
// valid 3 years, created on first use (console sign-in, metadata or
// export-iam), stored through IdPCertStore (centerdb, table
// center_idp_keys, migration 0013) with its private key sealed with
// secret.Box (context "center-idp-key:<id>"); at most one is active, so
// nodes racing to create it end up sharing the first one stored.
//
// Member accounts. IAMTemplate writes the CloudFormation template
// `gatehouse center export-iam` prints: a SAML provider named Gatehouse and
// one role per permission set, named RoleName (AWSReservedSSO_<name>_<16
// hex of SHA-256 of the permission set ARN>) — the same name the portal
// puts in account sessions and the console Role attribute. export-iam
// embeds the center's IdP metadata (CenterIdP.Metadata, from the store) by
// default; --idp-metadata-url embeds another IdP's instead.
package portal
