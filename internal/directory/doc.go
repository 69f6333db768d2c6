// Package directory is the domain of Gatehouse's directory, the Microsoft
// Entra ID role: the source of truth for people and groups (nested groups
// allowed), enterprise applications and who is assigned to them, and the
// change outbox the provisioning engine consumes.
//
// Attribute names follow Microsoft Graph v1.0 (userPrincipalName, surname,
// accountEnabled, ...), so the Graph-compatible API maps them one to one.
//
// Every write appends to the outbox in the same transaction (see Store), so a
// change can never be committed without the provisioning engine learning of
// it, even if the process dies right after the commit.
package directory
