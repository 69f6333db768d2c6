// Package scim holds the SCIM 2.0 protocol as data, with no I/O: the User and
// Group resources (RFC 7643 §4) with the enterprise extension (RFC 7643 §4.3),
// list responses (RFC 7644 §3.4.2), PATCH requests (RFC 7644 §3.5.2) and error
// bodies (RFC 7644 §3.12).
//
// Both halves of Gatehouse use it: the center's SCIM server answers with these
// types, and the directory's provisioning engine sends them. The shapes follow
// what AWS IAM Identity Center accepts and returns (see
// shared/reference/aws-identity-center.md §1), which is a strict subset of the
// RFC: list attributes hold one value, there is no password, and errors carry
// both "schema" and "schemas".
//
// Filter and PATCH path grammar live in the filter subpackage.
package scim
