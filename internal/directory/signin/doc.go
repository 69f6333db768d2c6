// Package signin is the directory's interactive sign-in, the part of
// Microsoft Entra ID a person meets in the browser: username and password,
// TOTP multi-factor authentication, and the server-side session that the
// SAML IdP and My Apps read.
//
// Flows (numbered in the code):
//   - Password: argon2id with OWASP's parameters (m=19 MiB, t=2, p=1) stored
//     as a PHC string, verified in constant time; a Hasher semaphore bounds
//     concurrent hashes (default GOMAXPROCS) so a login flood queues
//     instead of exhausting memory; unknown users cost a dummy hash, so
//     timing does not reveal which usernames exist.
//   - Lockout: after LockoutThreshold consecutive failures the account locks
//     for LockoutBase, doubling per further failure up to LockoutMax.
//   - TOTP (RFC 6238: 30 s, 6 digits, SHA-1, ±1 step) through pquerna/otp;
//     enrollment shows a QR code and the secret and is confirmed with a
//     first code; the last accepted step is stored per user and a code of
//     that step or an earlier one is refused (RFC 6238 §5.2).
//   - Sessions: a random 256-bit cookie value (gh_session) whose SHA-256 is
//     the stored id; idle and absolute expiry; revocable one by one or per
//     user. Every read re-checks the user, so disabling a user ends their
//     sessions at once.
//   - MFA: RequireLogin(needMFA) steps a password-only session up, or sends
//     a user without TOTP to enrollment; the per-app "require MFA" policy is
//     the SAML IdP's (samlidp.Config.RequireMFA).
//   - CSRF: every form carries a token compared in constant time: the
//     session's own token, or before sign-in a token in the gh_csrf cookie.
package signin
