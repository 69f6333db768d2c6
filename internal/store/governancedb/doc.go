// Package governancedb implements governance.Store on a store.DB for
// SQLite and PostgreSQL with one SQL text (migration 0012_pim.sql). Each
// eligibility and request is kept as a JSON document beside the columns
// its queries select on.
package governancedb
