// Package provisioningdb implements provisioning.Store on a store.DB for
// SQLite and PostgreSQL with one SQL text.
package provisioningdb
