// Package reviews is the directory's access reviews (Entra ID Governance,
// reference/entra-provisioning.md §6): campaigns that ask reviewers to
// confirm who still needs a group's membership or an app's assignment,
// once or on a recurrence, and that remove what reviewers denied.
//
// A Campaign (Graph's accessReviewScheduleDefinition) names its scope (the
// direct user members of a group, or the direct user assignments of an
// app), its reviewers (named users, the group's owners, each user's
// manager, or the users themselves; owners and managers with fallback
// reviewers for the items they cannot review), a start, a duration, a recurrence, what happens to
// items nobody reviewed, whether results are applied automatically, and a
// reminder interval.
//
// The flow:
//
//  1. The Scheduler starts an Instance (accessReviewInstance) when the
//     campaign's NextStart is due. It snapshots the scope into Items, one
//     per user, each with its reviewers resolved and a recommendation
//     computed then: "deny: account disabled" for a disabled user, "deny:
//     no sign-in for 30 days" when the user's last successful sign-in (the
//     newest directory sign-in session) is older than 30 days or absent,
//     "approve" otherwise.
//  2. Reviewers decide each item (Service.Decide): Approve, Deny (a reason
//     is required) or DontKnow; only a reviewer of the item may, and may
//     change the decision until the instance ends. Each decision is
//     recorded in the audit log (audit.KindReviewDecision).
//  3. Every ReminderInterval the Scheduler reminds the reviewers who still
//     have items to decide: an audit record (KindReviewReminder) per
//     reviewer, and RemindedAt on the items.
//  4. At End (to the millisecond: the Scheduler's timer is armed on the
//     next due instant) the instance goes InProgress → Applying: undecided
//     items take the DefaultDecision; with AutoApply each denied item is
//     removed through directory.Store (RemoveMember for a group,
//     Unassign for an app), which writes the outbox that provisioning
//     pushes at once, and is marked applied and audited; then the
//     instance is Applied (or Completed without AutoApply). The Applying
//     state is stored before the first removal, so a crash is finished by
//     the next tick; removals are idempotent.
//  5. With a recurrence the next instance starts one period after the
//     previous start.
//
// Service.Report writes the CSV report. The Store interface is
// implemented by store/reviewsdb; reviewapi serves the Graph-shaped API.
package reviews
