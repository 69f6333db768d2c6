// Package auditdb implements audit.Store on a store.DB, in the SQL both
// SQLite and PostgreSQL accept (migration 0011_audit.sql).
//
// Every write runs in one store.DB.Update transaction that first takes the
// "audit" lock (store.Tx.Lock: a PostgreSQL advisory lock; SQLite has a single
// writer), so that the read of the chain's head and the insert of the next
// record cannot interleave with another node's, and the chain stays one
// unbroken sequence. Reads use the read pool; each Scan is one SELECT, hence
// one consistent snapshot in both engines.
package auditdb
