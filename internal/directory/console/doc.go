// Package console is the directory's admin console, served at /console on
// the directory's listener: users (create, edit, disable and enable, reset
// password and MFA, group memberships), groups (create, delete, members,
// nested groups included, owners), just-in-time access (eligibilities,
// time-bound assignments), access review campaigns, enterprise apps (create from a template, delete,
// assignments, SAML single sign-on: settings, SP metadata, claims,
// signing certificates) and each app's provisioning (status with the running
// cycle's progress, the quarantine banner with its reason, start, stop,
// restart, provision on demand, and the provisioning logs with filters).
//
// Access needs a directory sign-in session (signin.Handler; an anonymous
// visitor goes to /login?return=/console...) and a console role: "admin"
// may change things, "read-only" sees the same pages without their forms,
// and a POST from it is refused with 403. Every form carries the session's
// CSRF token, checked in constant time before anything changes.
//
// Pages are html/template with the shared layout of internal/web: labelled
// fields with their validation message next to them (directory.AttrError
// names the attribute), landmarks, a responsive stylesheet, and a strict
// Content-Security-Policy (scripts and styles from 'self' only; htmx is
// served from /console/static/).
package console
