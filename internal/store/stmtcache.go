package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
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
	st, err := c.pool.PrepareContext(ctx, positional(query))
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

// positional rewrites the PostgreSQL-style placeholders $1..$n of a SQLite
// statement as anonymous "?" when each appears once and in order, which
// binds the same values. SQLite keeps a list of numbered parameters that
// sqlite3_bind_parameter_name scans from the start, and the driver asks
// for every parameter's name: binding a multi-row INSERT of n parameters
// cost O(n^2), 2.6 s of a large initial sync's CPU; anonymous parameters
// are not on that list. Any other use of $ (a repeated or out-of-order
// number, $ inside a string literal, quoted name or comment) leaves the
// text as it was.
func positional(query string) string {
	out := make([]byte, 0, len(query))
	next := 1
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				return query
			}
			out = append(out, query[i:i+end+2]...)
			i += end + 1
		case c == '-' && strings.HasPrefix(query[i:], "--"), c == '/' && strings.HasPrefix(query[i:], "/*"):
			return query // comments are rare in our SQL: not worth parsing
		case c == '$' && i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			if n, err := strconv.Atoi(query[i+1 : j]); err != nil || n != next {
				return query
			}
			next++
			out = append(out, '?')
			i = j - 1
		default:
			out = append(out, c)
		}
	}
	return string(out)
}
