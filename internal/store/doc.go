// Package store opens Gatehouse's database, embedded SQLite by default or
// PostgreSQL for scale-out, applies the embedded schema migrations, and runs
// every write through a group-commit writer.
//
// One SQL text serves both engines: modernc.org/sqlite binds $N placeholders by
// number, as PostgreSQL does, so queries are written once with $1..$n.
//
// Writes are closures run inside a transaction (the pattern of
// benbjohnson/wtf), so read-modify-write such as a SCIM PATCH is atomic. The
// writer batches the closures that arrive together into one transaction, each
// under its own SAVEPOINT so that one failing closure rolls back only its own
// changes, and answers them all after the single durable COMMIT. With fsync on
// every commit that turns ~2,500 commits/s into ~10,000 writes/s on the
// reference machines (shared/reference/perf-anchors.md §2.6).
//
// Each half of Gatehouse keeps its own tables and implements its own store
// interface on top of DB: see centerdb.
package store
