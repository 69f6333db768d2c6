package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

// The engines Gatehouse runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// ErrConflict is returned when a write would break a uniqueness constraint.
// Domain packages map it to their own conflict error.
var ErrConflict = errors.New("store: unique constraint violated")

// DB is an open, migrated database.
type DB struct {
	Dialect Dialect
	// Read serves reads; with SQLite in WAL mode they run beside the writer.
	Read   *Reader
	write  *sql.DB
	writer *writer
	// stmts are the writer's prepared statements (nil on PostgreSQL).
	stmts *stmtCache
	// ckpt checkpoints SQLite's WAL in the background (nil on PostgreSQL).
	ckpt *checkpointer
}

// Reader is the pool that serves reads. On SQLite it runs each query text
// as a statement prepared once (see stmtCache); its other methods are the
// pool's own.
type Reader struct {
	*sql.DB
	stmts *stmtCache
}

// QueryContext runs a query returning rows, prepared once on SQLite.
func (r *Reader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := r.stmts.get(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.DB.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query expected to return at most one row,
// prepared once on SQLite.
func (r *Reader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.stmts.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.DB.QueryRowContext(ctx, query, args...)
}

// Query is QueryContext without a context.
func (r *Reader) Query(query string, args ...any) (*sql.Rows, error) {
	return r.QueryContext(context.Background(), query, args...)
}

// QueryRow is QueryRowContext without a context.
func (r *Reader) QueryRow(query string, args ...any) *sql.Row {
	return r.QueryRowContext(context.Background(), query, args...)
}

// Open opens the database named by dsn and applies pending migrations.
//
// A dsn starting with postgres:// or postgresql:// selects PostgreSQL; any
// other value is a SQLite file path (an optional "sqlite:" prefix is removed).
func Open(ctx context.Context, dsn string) (*DB, error) {
	var db *DB
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err = openPostgres(dsn)
	} else {
		db, err = openSQLite(strings.TrimPrefix(dsn, "sqlite:"))
	}
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	db.writer = startWriter(db)
	return db, nil
}

func openSQLite(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: empty SQLite path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: create %s: %w", dir, err)
		}
	}
	// WAL lets readers run beside the one writer; synchronous=FULL makes every
	// acknowledged commit survive power loss, not only a crash of the process;
	// _txlock=immediate takes the write lock at BEGIN, so two processes (the
	// server and a CLI command) queue on busy_timeout instead of deadlocking.
	// The pragmas run in order: busy_timeout comes first so that switching a
	// new file to WAL, which needs an exclusive lock, waits for another
	// process opening it at the same time.
	q := url.Values{}
	// cache_size (32 MiB) and, for the writer, mmap_size (256 MiB) keep
	// the indexes of a large directory in memory instead of reading pages
	// with a system call each time. Readers map nothing: a reader of a WAL
	// database drops its page cache and its mapping of the file whenever
	// the log has grown since its last read, so under writes a mapping
	// only adds a munmap, a new mmap and page faults per commit. Measured
	// (docs/benchmarks.md): audited SAML responses 5 % less CPU each, and
	// the initial sync no slower. The writer runs each request of a batch
	// under a savepoint, whose sub-journal (the pages' prior contents)
	// temp_store keeps in memory rather than in a temporary file written
	// page by page.
	// wal_autocheckpoint at 20,000 pages (80 MiB of WAL) instead of 1,000:
	// a checkpoint copies each page once however often it changed since the
	// last one, so the randomly placed index pages a bulk load rewrites in
	// every commit (members by user) are copied once per 20,000 frames
	// instead of once per 1,000. Measured: the initial sync of 100,000 users
	// and 1,000,000 memberships 70-74 s -> 62 s (docs/benchmarks.md). That
	// is the backstop: the checkpointer copies the log every 100 ms off the
	// writer's path, and journal_size_limit then truncates the log file to
	// 64 MiB when it restarts.
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)",
		"cache_size(-32768)", "temp_store(MEMORY)", "wal_autocheckpoint(20000)",
		"journal_size_limit(67108864)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	write, err := sql.Open("sqlite", dsn+"&"+url.Values{"_pragma": {"mmap_size(268435456)"}}.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// Two connections: the writer's transactions use one at a time; the
	// other lets statements be prepared for the cache (see DB.stmt) while a
	// transaction holds the first.
	write.SetMaxOpenConns(2)
	read, err := sql.Open("sqlite", dsn)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	ckpt, err := sql.Open("sqlite", dsn)
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// SQLite still answers SQLITE_BUSY without waiting when waiting could
	// deadlock, which the switch to WAL can meet; opening again then succeeds.
	err = write.Ping()
	for attempt := 0; err != nil && isRetryable(err) && attempt < 20; attempt++ {
		time.Sleep(time.Duration(1+rand.IntN(10)) * time.Millisecond)
		err = write.Ping()
	}
	if err != nil {
		write.Close()
		read.Close()
		ckpt.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &DB{Dialect: SQLite, Read: &Reader{DB: read, stmts: &stmtCache{pool: read}}, write: write,
		stmts: &stmtCache{pool: write}, ckpt: startCheckpointer(ckpt)}, nil
}

func openPostgres(dsn string) (*DB, error) {
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	pool.SetMaxOpenConns(16)
	pool.SetMaxIdleConns(16)
	if err := pool.Ping(); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	return &DB{Dialect: Postgres, Read: &Reader{DB: pool}, write: pool}, nil
}

// Close stops the writer, waiting for queued writes, and closes the pools.
func (db *DB) Close() error {
	if db.writer != nil {
		db.writer.stop()
	}
	db.ckpt.close()
	db.stmts.close()
	db.Read.stmts.close()
	err := db.Read.Close()
	if db.write != db.Read.DB {
		if werr := db.write.Close(); err == nil {
			err = werr
		}
	}
	return err
}

// Ping checks that the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error { return db.Read.PingContext(ctx) }

// ForUpdate is the suffix that locks the rows a read-modify-write selects.
// SQLite has one writer at a time, so it needs (and accepts) nothing.
func (db *DB) ForUpdate() string {
	if db.Dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// IsUniqueViolation reports whether err is a unique or primary key violation
// in either engine (SQLite extended codes 2067 and 1555, PostgreSQL SQLSTATE
// 23505).
func IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// IsForeignKeyViolation reports whether err is a foreign key violation: a
// row referring to one that does not exist.
func IsForeignKeyViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

// isRetryable reports whether a transaction failed only because it raced
// another one (PostgreSQL serialization failure or deadlock, SQLite busy), so
// running it again is safe.
func isRetryable(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// Scanner is a row or rows: what a scan function reads from.
type Scanner = interface{ Scan(dest ...any) error }

// Query runs a query and reads every row with scan.
func Query[T any](ctx context.Context, db *Reader, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
