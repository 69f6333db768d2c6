package store

import (
	"path/filepath"
	"strconv"
	"testing"
)

func TestPositional(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT a FROM t WHERE id = $1`, `SELECT a FROM t WHERE id = ?`},
		{`INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)`, `INSERT INTO t (a, b) VALUES (?, ?), (?, ?)`},
		{`UPDATE t SET a = $1 WHERE b = $2 AND c = $3 AND d = $4 AND e = $5 AND f = $6 AND g = $7 AND h = $8 AND i = $9 AND j = $10`,
			`UPDATE t SET a = ? WHERE b = ? AND c = ? AND d = ? AND e = ? AND f = ? AND g = ? AND h = ? AND i = ? AND j = ?`},
		// $ inside literals and quoted names is text, not a placeholder.
		{`SELECT json_extract(doc, '$.name'), "$1" FROM t WHERE id = $1`, `SELECT json_extract(doc, '$.name'), "$1" FROM t WHERE id = ?`},
		{`SELECT 'it''s' FROM t WHERE id = $1`, `SELECT 'it''s' FROM t WHERE id = ?`},
		// Reused or out-of-order numbers bind differently as "?": unchanged.
		{`SELECT a FROM t WHERE id = $1 OR parent = $1`, `SELECT a FROM t WHERE id = $1 OR parent = $1`},
		{`SELECT a FROM t WHERE id = $2 AND b = $1`, `SELECT a FROM t WHERE id = $2 AND b = $1`},
		{`SELECT a FROM t WHERE id = $1 -- $3`, `SELECT a FROM t WHERE id = $1 -- $3`},
		{`SELECT 'open`, `SELECT 'open`},
		{`SELECT a FROM t`, `SELECT a FROM t`},
	} {
		if got := positional(c.in); got != c.want {
			t.Errorf("positional(%q)\n = %q\nwant %q", c.in, got, c.want)
		}
	}
}

// The rewritten statements bind what the originals did: many-row inserts
// through the writer's cache and a reused number through the reader's.
func TestPositionalBindsTheSame(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "b.db"))
	if err := db.Update(t.Context(), func(tx *Tx) error {
		if _, err := tx.Exec(`CREATE TABLE pairs (k TEXT PRIMARY KEY, v BIGINT)`); err != nil {
			return err
		}
		q, args := `INSERT INTO pairs (k, v) VALUES `, []any{}
		for i := range 300 {
			if i > 0 {
				q += ", "
			}
			q += "($" + strconv.Itoa(2*i+1) + ", $" + strconv.Itoa(2*i+2) + ")"
			args = append(args, "k"+strconv.Itoa(i), i*i)
		}
		_, err := tx.Exec(q, args...)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var v int
	if err := db.Read.QueryRowContext(t.Context(), `SELECT v FROM pairs WHERE k = $1 AND v = $2`, "k299", 299*299).Scan(&v); err != nil || v != 299*299 {
		t.Errorf("k299 = %d (%v), want %d", v, err, 299*299)
	}
	var n int
	if err := db.Read.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM pairs WHERE v = $1 OR v = $1 + 1`, 0).Scan(&n); err != nil || n != 2 {
		t.Errorf("rows with v in (0, 1) = %d (%v), want 2", n, err)
	}
}
