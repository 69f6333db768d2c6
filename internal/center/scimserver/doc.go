// Package scimserver is the center's inbound SCIM 2.0 server (RFC 7643,
// RFC 7644) with the semantics of AWS IAM Identity Center, answer for answer,
// so that an identity provider configured for AWS (Microsoft Entra ID first of
// all) provisions into Gatehouse unchanged. The facts it follows are in
// shared/reference/aws-identity-center.md §1; the main ones:
//
//  1. Users: POST, GET, PUT, PATCH (200 with the user), DELETE (204).
//     Groups: POST, GET, PATCH (204, no body), DELETE; no PUT.
//  2. Filters are `attr eq "value"` joined by `and`, on userName, externalId,
//     id, manager and groups.value for users and displayName, externalId, id
//     and members.value for groups; pages hold at most 100 resources, with an
//     optional cursor mode.
//  3. Groups are always returned with an empty members list; at most 100
//     members on create and 100 member changes per PATCH; no nested groups.
//  4. List attributes (emails, addresses, phoneNumbers, roles) hold one value.
//  5. Bulk, /Me, /.search, sorting, ETags and passwords are refused with 400.
//  6. Errors carry both "schema" and "schemas" and a string status.
//
// Both PATCH dialects that Entra sends are accepted: capitalised ops, "True"
// and "False" as strings, members[value eq "id"] paths, path-less replace with
// dotted keys, and the RFC form.
package scimserver
