// Package governance is the directory's PIM for Groups: eligible group
// membership that a user activates for a bounded time, with the policy
// requirements of Entra's PIM (MFA at activation, a justification, ticket
// information, approval by named approvers or the group's owners within 24
// hours), and time-bound
// direct assignments (a membership with an end date).
//
// An activation or a time-bound assignment is a grant. The directory
// membership (group, user) exists while at least one grant is live or the
// user is a permanent member: governance adds the membership on the first
// live grant when the user is not already a member, records that it did
// (the pim_memberships transition table), and removes the membership when
// the last grant ends only if governance added it. Overlapping grants
// therefore never cut each other short, and permanent members are never
// removed. Every membership change goes through directory.Store's
// AddMember and RemoveMember, which append to the outbox that the
// provisioning engine pushes at once.
//
// The flows (see docs/governance.md and reference/entra-provisioning.md §5):
//
//  1. An admin makes a user or a group eligible (Service.AddEligibility).
//  2. The user activates (Service.Activate): eligibility (direct, or through
//     a group at any nesting depth), duration within the maximum, then each
//     requirement; the request is Active at once, or PendingApproval.
//  3. One of the request's approvers, other than the requester, approves or
//     denies within the 24-hour window (Service.Approve, Service.Deny);
//     approval starts the activation then. The approvers are fixed when the
//     request is made: the eligibility's named approvers and, when the
//     group's owners approve, its active owners (directory.ActiveOwners).
//  4. The Scheduler ends grants at their End, to the second, and expires
//     pending requests past their deadline; Service.Deactivate ends them
//     early. Ending the last grant removes the membership and calls
//     Service.OnEnd so the caller can end sessions of that access.
//
// Domain types, the Store interface and errors are in this package;
// governancedb implements Store on SQLite and PostgreSQL; pimapi serves the
// Graph-shaped API.
package governance
