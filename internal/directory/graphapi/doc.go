// Package graphapi is the directory's admin API, compatible with Microsoft
// Graph v1.0 for users and groups, so that a script written for Graph works
// by changing its base URL from https://graph.microsoft.com/v1.0 to
// <directory URL>/v1.0. It is mounted at /v1.0 on the directory listener.
//
// Routes (all need "Authorization: Bearer <id>.<secret>", a token made by
// NewAPIToken; see auth.go):
//
//	GET/POST           /users
//	GET/PATCH/DELETE   /users/{id | userPrincipalName}
//	GET                /users/{id}/memberOf, /users/{id}/transitiveMemberOf
//	GET                /users/{id}/manager, /users/{id}/ownedObjects
//	PUT/DELETE         /users/{id}/manager/$ref
//	GET/POST           /groups
//	GET/PATCH/DELETE   /groups/{id}
//	GET                /groups/{id}/members, .../members/microsoft.graph.user (or .group),
//	                   /groups/{id}/transitiveMembers, /groups/{id}/memberOf, .../transitiveMemberOf
//	POST               /groups/{id}/members/$ref
//	DELETE             /groups/{id}/members/{memberId}/$ref
//	GET                /groups/{id}/owners, .../owners/microsoft.graph.user (or .group)
//	POST               /groups/{id}/owners/$ref
//	DELETE             /groups/{id}/owners/{ownerId}/$ref
//	GET                /directoryObjects/{id}
//	GET                /directory/deletedItems/microsoft.graph.user (and .group, always empty)
//	GET/DELETE         /directory/deletedItems/{id}
//	POST               /directory/deletedItems/{id}/restore
//	GET                /servicePrincipals/{id}/synchronization/jobs[/{job}], POST .../start|pause|restart|provisionOnDemand
//	GET                /auditLogs/provisioning, /auditLogs/directoryAudits (the audit log)
//
// The flow of a request:
//
//  1. wrap gives it a request-id (and echoes client-request-id), checks the
//     bearer token and bounds the body.
//  2. The handler parses the query options (odata.go: $filter with eq and
//     startswith joined by and, $select, $top with @odata.nextLink and an
//     opaque $skiptoken), resolves the objects in the path (404 when absent)
//     and reads the whole body before it writes anything.
//  3. Writes go through directory.Store, whose every write but an owner's
//     appends to the change outbox in the same transaction; users and groups are checked
//     with directory.ValidateUser and ValidateGroup first, and a PATCH is
//     applied and validated inside the store's update closure, so bad input
//     changes nothing.
//  4. Errors, domain ones included, become Graph's error document in one
//     place (toGraphError in errors.go), with Graph's codes: Request_BadRequest,
//     Request_ResourceNotFound, Request_UnsupportedQuery, and
//     InvalidAuthenticationToken for 401.
//
// Differences from Graph, on purpose: every supported property is returned
// without $select (Graph returns a default subset); mailNickname may be
// omitted on create (it is derived from the userPrincipalName, as the Entra
// admin center does); on create, passwordProfile is accepted and discarded,
// never stored or logged, until password sign-in exists, and a PATCH that
// sets it (a password reset) is refused; $count, $orderby,
// $search and $expand are refused with Request_UnsupportedQuery; only
// security groups exist (mailEnabled false, groupTypes empty), so
// Microsoft 365 and dynamic groups are refused with a message saying so;
// a group's owners are users (no service principals), and its last owner
// may be removed (owners.go).
package graphapi
