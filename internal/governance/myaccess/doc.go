// Package myaccess is the directory's "My access" page for end users, the
// self-service side of PIM for Groups (shared/reference: Entra's "My roles"
// and "Approve requests" blades): a signed-in user sees the groups they
// are eligible for and activates one (duration, justification, ticket as
// the eligibility's rules ask; a second factor when it requires MFA),
// deactivates an active grant or cancels a pending request, approvers
// approve or deny the requests waiting for them, and reviewers decide the
// items of running access reviews. The rules themselves live in packages
// governance and reviews; this package only renders and routes.
package myaccess
