// Package pimapi serves governance (PIM for Groups) in the shape of
// Microsoft Graph v1.0's privilegedAccess/group API, under /v1.0:
//
//	POST  .../identityGovernance/privilegedAccess/group/eligibilityScheduleRequests   adminAssign, adminRemove (admin token)
//	GET   .../eligibilityScheduleRequests                                             eligibilities (admin token)
//	POST  .../assignmentScheduleRequests     selfActivate, selfDeactivate (session); adminAssign, adminRemove (admin token)
//	GET   .../assignmentScheduleRequests[?$filter=...]                                requests
//	GET   .../assignmentScheduleRequests/{id}
//	POST  .../assignmentScheduleRequests/{id}/cancel                                  (session, the requester)
//	GET   .../assignmentApprovals/{id}                                                (session, an approver)
//	PATCH .../assignmentApprovals/{id}/steps/{stepId}  {"reviewResult":"Approve"|"Deny","justification"}
//
// Admin actions take the Graph API's bearer tokens; self actions (the
// caller is the user) take the directory's sign-in session cookie, whose
// MFA flag answers the MfaRule. Errors have Graph's shape. Differences from
// Graph are listed in docs/governance.md.
package pimapi
