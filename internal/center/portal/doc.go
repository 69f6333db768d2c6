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
//     console through Handler.Console (ConsoleSignIn: the Role attribute
//     "role-arn,provider-arn", RoleSessionName, SessionDuration and
//     PrincipalTag:* values). The center has no IdP signing key of its own
//     yet, so without a ConsoleFederator the page shows what the sign-in
//     would carry.
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
// Member accounts. IAMTemplate writes the CloudFormation template
// `gatehouse center export-iam` prints: a SAML provider named Gatehouse and
// one role per permission set, named RoleName (AWSReservedSSO_<name>_<16
// hex of SHA-256 of the permission set ARN>) — the same name the portal
// puts in account sessions and the console Role attribute.
package portal
