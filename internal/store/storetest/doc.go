// Package storetest is the conformance suite that every store backend must
// pass (DESIGN.md practice 2, after dexidp/dex's storage/conformance).
//
// RunCenter pins down the contract of center.Store: the instance identifiers,
// users, groups and their membership, list queries with every filterable
// attribute and cursor paging, SCIM tokens and their limit of two active,
// time values (milliseconds, UTC), and behaviour under concurrent writers,
// including durability across a close and reopen of the database.
//
// RunDirectory does the same for directory.Store and directory.TokenStore:
// users with soft delete, restore and purge, UPN uniqueness among live users,
// list queries, groups and nested membership, apps and assignments, API
// tokens, and the outbox every write appends to in its own transaction.
// RunProvisioning covers provisioning.Store: jobs, links and escrow, logs,
// staged deletes and the driver lease. Both hooks can open further nodes on
// the same database, so that the rules hold across processes too.
//
// A backend's own test calls it with an Open hook that gives each subtest a
// new, empty database:
//
//	func TestCenter(t *testing.T) {
//		storetest.RunCenter(t, func(t *testing.T) (center.Store, func() center.Store) {
//			... open a fresh database, close it in t.Cleanup ...
//		})
//	}
//
// The tests assert concrete outcomes, never sleep to synchronise, and use
// nothing but the stores' interfaces, so a new backend (or an in-memory
// fake) is checked by exactly the rules the SQL backends are.
package storetest
