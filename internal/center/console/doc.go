// Package console is the center's admin console, served at /console on the
// center's listener, the AWS IAM Identity Center console's counterpart:
// settings (the identity source with an IdP metadata upload and the SP
// metadata download; automatic provisioning with the SCIM endpoint and its
// access tokens, each secret shown once, at most two active, revoked or
// rotated), the users and groups SCIM brought (read-only, each with its
// access), permission sets (a page each: settings, AWS and customer managed
// policies, an inline policy validated as an IAM policy document, the
// permissions boundary, tags, deletion refused while assigned), accounts
// (a page each: edit, remove with its assignments), account assignments (a
// wizard: accounts, then users or groups, then permission sets) and an
// access graph (users -> groups -> permission sets -> accounts, a
// server-drawn SVG with a table beside it). Changes to permission sets and
// accounts go through the domain's validation (internal/center), as the
// AWS API's do.
//
// Admins sign in like everyone else at the center: through the identity
// source over SAML (samlsp.SP.Begin with RelayState /console...), which
// opens an access-portal session. A session's user is an admin when it is
// an active member of the configured admin group and read-only when it is
// a member of the read-only group (Settings); anyone else gets 403. A
// read-only admin sees the same pages without their forms, and a POST from
// one is refused with 403. Every form carries a CSRF token derived from
// the portal cookie as the access portal derives its own, so the layout's
// "Sign out" posts to the portal's /start/logout.
//
// Pages use internal/web's layout: field messages next to their fields,
// landmarks, and a strict Content-Security-Policy.
package console
