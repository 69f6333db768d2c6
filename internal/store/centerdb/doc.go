// Package centerdb implements center.Store on a store.DB, for both SQLite and
// PostgreSQL with one SQL text.
//
// A user is kept as its SCIM JSON document plus the columns AWS lets clients
// filter on (userName, externalId, id, manager) so every allowed filter is an
// index lookup. Names are matched case-insensitively through *_key columns
// holding the Go-lowercased value: SQL lower() folds ASCII only in SQLite.
package centerdb
