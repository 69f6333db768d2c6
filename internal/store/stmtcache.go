package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// stmtCache keeps one prepared statement per query text for a pool.
// modernc.org/sqlite parses every unprepared statement anew, which cost a
// tenth of a bulk load's CPU on the writer and a quarter of a SAML
// sign-in's non-signing work on the readers (docs/benchmarks.md). pgx
// caches statements itself, so PostgreSQL pools have no stmtCache (nil).
type stmtCache struct {
	pool *sql.DB
	m    sync.Map // query -> *sql.Stmt
	n    atomic.Int32
}

// maxStmts bounds a cache: statements with a variable number of rows or
// IN values make at most a few hundred distinct texts.
const maxStmts = 2048

// get returns the prepared statement for query, or nil to run it
// unprepared (no cache, cache full, or the text does not prepare: the
// plain call then reports the error).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	if st, ok := c.m.Load(query); ok {
		return st.(*sql.Stmt)
	}
	if c.n.Load() >= maxStmts {
		return nil
	}
	st, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if prev, loaded := c.m.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt)
	}
	c.n.Add(1)
	return st
}

// close closes the cached statements.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.m.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
}
