// Package provisioning is the directory's outbound SCIM provisioning engine,
// the role Microsoft Entra ID's provisioning service plays, built to fix what
// its users complain about (shared/reference/entra-provisioning.md §1, §7).
//
// A Job provisions one enterprise app's users and groups into one SCIM
// target. Its parts:
//
//  1. Mappings turn a directory user or group into the SCIM resource the
//     target should hold, with Entra's expression language (package expr).
//  2. Scope decides which objects belong in the target: assigned only or
//     all, plus scoping filters with Entra's operators.
//  3. The planner (pure: desired state + target state -> SCIM operations) is
//     where the lifecycle lives: create, update including removal of
//     attributes cleared at the source, disable, delete, group membership
//     with nested groups flattened.
//  4. The engine runs the plans: at once for every directory change (read
//     from the transactional outbox), and in full reconciliation cycles that
//     read the target and repair drift. It rate-limits, retries 5xx, timeouts
//     and 429 (honouring Retry-After) with backoff and jitter, escrows
//     failing objects, quarantines a job by Entra's rules, stages deletes
//     above a threshold, and logs every action with Entra's fields.
//
// The engine talks to the target only over SCIM, so the target may be the
// center, a real AWS IAM Identity Center, or any SCIM 2.0 service.
package provisioning
