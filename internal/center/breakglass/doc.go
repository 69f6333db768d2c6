// Package breakglass is the center's emergency access: accounts local to
// the center that still sign in when the identity source (the external
// SAML IdP, the directory) is down, each limited to a fixed set of
// (AWS account, permission set) grants, and each use raising an alert.
//
// Accounts. An account (Account) has a username, an argon2id password hash
// in PHC string format (Hasher: OWASP parameters m = 19 MiB, t = 2, p = 1,
// a bounded number of hashes at once, constant-time comparison), a TOTP
// secret (RFC 6238: 30-second steps, 6 digits, HMAC-SHA-1) sealed with
// secret.Box under the context "breakglass-totp:<id>", the last TOTP time
// step accepted (replay protection) and its grants. NewAccount creates one
// (`gatehouse center break-glass create`), printing the secret once.
// Nothing here reads the directory or the SAML identity source.
//
// Flow of a sign-in (Handler, POST /start/break-glass; fields username,
// password, otp, csrf):
//
//  1. the CSRF token must match the gh_bg_csrf cookie the form was served
//     with (derived from it, compared in constant time);
//  2. an unknown username spends one dummy hash (timing does not reveal
//     which usernames exist) and is refused;
//  3. a locked account (MaxFailures consecutive failures, for LockoutFor)
//     is refused without checking the password;
//  4. the password is checked, then the TOTP code against the steps
//     around now (one either way); a code whose step is not after the last
//     accepted one is a replay and refused;
//  5. in ONE transaction (Store.CompleteBreakGlassSignIn): the step is
//     recorded only if it is still newer (two concurrent uses of one code:
//     one wins), failures reset, the session (1 hour, SessionDuration)
//     stored and an unacknowledged Alert ("Emergency access used by X at
//     T") stored;
//  6. the audit record (Kind "breakglass.use", Outcome success) is
//     appended, a WARN line logged, and the browser gets the gh_breakglass
//     cookie (HttpOnly, SameSite=Strict, Path /start/break-glass).
//
// Every refusal (steps 1-4) is audited (Kind "breakglass.use", Outcome
// "refused", Reason why) and counts toward the lockout when the account
// exists; the lockout itself raises an alert too. The user sees one
// generic message.
//
// With a session, GET /start/break-glass shows the account's grants — its
// current ones, re-read on every request, so that removing the account or
// a grant takes effect at once — and POST /start/break-glass/session opens
// an account session (portal.AccountSession, UserID "breakglass:<name>",
// lasting the permission set's SessionDuration) for a grant of the
// account only; it is audited too. POST /start/break-glass/logout ends the
// session.
//
// Alerts stay until acknowledged (`gatehouse center break-glass ack`);
// `gatehouse center break-glass list` shows them, and Banner, a middleware
// in front of the access portal, puts them in the header of every /start
// page.
package breakglass
