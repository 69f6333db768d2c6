// Package reviewsdb implements reviews.Store on a store.DB for SQLite and
// PostgreSQL with one SQL text (migration 0014_reviews.sql), and
// reviews.SignIns by reading the directory's sign-in sessions
// (directory_sessions) without writing them.
package reviewsdb
