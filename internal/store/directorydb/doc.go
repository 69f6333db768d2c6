// Package directorydb implements directory.Store on a store.DB for SQLite and
// PostgreSQL with one SQL text.
//
// Each write appends its outbox records (directory_changes) in the same
// transaction. A membership or assignment change also records the objects
// whose provisioning it affects, computed while the before-state is still at
// hand: the group and its ancestors (their flattened membership changed) and
// every user under the member (their scope may have changed).
package directorydb
