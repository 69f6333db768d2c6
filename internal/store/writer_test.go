package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/testenv"
)

// eachEngine runs fn on a new, empty database of each engine: SQLite always,
// PostgreSQL when GATEHOUSE_TEST_POSTGRES names a server (required under
// make test).
func eachEngine(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "gatehouse.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, testenv.PostgresDSN(t)) })
}

// open opens dsn and closes it when the test ends.
func open(t *testing.T, dsn string) *DB {
	t.Helper()
	db, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openKV opens dsn with a key-value table for the writer tests.
func openKV(t *testing.T, dsn string) *DB {
	t.Helper()
	db := open(t, dsn)
	err := db.Update(t.Context(), func(tx *Tx) error {
		_, err := tx.Exec(`CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)`)
		return err
	})
	if err != nil {
		t.Fatalf("create kv: %v", err)
	}
	return db
}

func put(k string) func(*Tx) error {
	return func(tx *Tx) error {
		_, err := tx.Exec(`INSERT INTO kv (k, v) VALUES ($1, $1)`, k)
		return err
	}
}

// keys lists the kv table's keys, sorted.
func keys(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.Read.QueryContext(t.Context(), `SELECT k FROM kv ORDER BY k`)
	if err != nil {
		t.Fatalf("read kv: %v", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var errBoom = errors.New("boom")

// A batch runs each closure under its own savepoint: a closure that returns
// an error, fails in SQL (which aborts a PostgreSQL transaction until the
// rollback to its savepoint) or panics loses only its own writes; a closure
// whose caller has gone is not run; the rest commit together.
//
// The batch is handed to the writer directly, so it is one batch for
// certain; TestUpdateMixedOutcomes does the same through Update.
func TestBatchRollsBackOnlyFailingClosure(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		db := openKV(t, dsn)
		if err := db.Update(t.Context(), put("a")); err != nil {
			t.Fatal(err)
		}
		gone, cancel := context.WithCancel(t.Context())
		cancel()
		ran := false
		fns := []struct {
			ctx context.Context
			fn  func(*Tx) error
			ok  func(error) bool
		}{
			{t.Context(), put("b"), func(err error) bool { return err == nil }},
			{t.Context(), func(tx *Tx) error {
				if err := put("c")(tx); err != nil {
					return err
				}
				return errBoom
			}, func(err error) bool { return errors.Is(err, errBoom) }},
			{t.Context(), func(tx *Tx) error {
				if err := put("d")(tx); err != nil {
					return err
				}
				return put("a")(tx) // duplicate key
			}, IsUniqueViolation},
			{t.Context(), func(tx *Tx) error {
				if err := put("e")(tx); err != nil {
					return err
				}
				panic("closure bug")
			}, func(err error) bool { return err != nil && strings.Contains(err.Error(), "panicked") }},
			{gone, func(tx *Tx) error { ran = true; return put("f")(tx) },
				func(err error) bool { return errors.Is(err, context.Canceled) }},
			{t.Context(), put("g"), func(err error) bool { return err == nil }},
		}
		batch := make([]request, len(fns))
		for i, f := range fns {
			batch[i] = request{ctx: f.ctx, fn: f.fn, done: make(chan error, 1)}
		}
		db.writer.run(batch)
		for i, r := range batch {
			if err := <-r.done; !fns[i].ok(err) {
				t.Errorf("closure %d: err = %v", i, err)
			}
		}
		if ran {
			t.Error("the closure of a caller that had gone was run")
		}
		if got, want := keys(t, db), []string{"a", "b", "g"}; !slices.Equal(got, want) {
			t.Errorf("keys = %v, want %v", got, want)
		}
		// The writer goes on.
		if err := db.Update(t.Context(), put("h")); err != nil {
			t.Errorf("Update after the batch: %v", err)
		}
	})
}

// Many closures at once through Update, a third failing and a sixth
// panicking after their writes: every caller gets its own outcome and
// exactly the successful writes are stored. A first closure holds the writer
// while the others queue, so that they share batches.
func TestUpdateMixedOutcomes(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		db := openKV(t, dsn)
		const n = 60
		started, release := make(chan struct{}), make(chan struct{})
		var hold sync.WaitGroup
		hold.Go(func() {
			err := db.Update(t.Context(), func(tx *Tx) error {
				close(started)
				<-release
				return put("holder")(tx)
			})
			if err != nil {
				t.Errorf("holder: %v", err)
			}
		})
		<-started
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				k := fmt.Sprintf("k%02d", i)
				errs[i] = db.Update(t.Context(), func(tx *Tx) error {
					if err := put(k)(tx); err != nil {
						return err
					}
					switch i % 6 {
					case 0, 3:
						return fmt.Errorf("closure %d: %w", i, errBoom)
					case 1:
						panic(i)
					}
					return nil
				})
			})
		}
		close(release)
		hold.Wait()
		wg.Wait()
		want := []string{"holder"}
		for i, err := range errs {
			switch i % 6 {
			case 0, 3:
				if !errors.Is(err, errBoom) {
					t.Errorf("closure %d: err = %v, want errBoom", i, err)
				}
			case 1:
				if err == nil || !strings.Contains(err.Error(), "panicked") {
					t.Errorf("closure %d: err = %v, want the panic", i, err)
				}
			default:
				if err != nil {
					t.Errorf("closure %d: %v", i, err)
				}
				want = append(want, fmt.Sprintf("k%02d", i))
			}
		}
		slices.Sort(want)
		if got := keys(t, db); !slices.Equal(got, want) {
			t.Errorf("keys = %v\nwant %v", got, want)
		}
	})
}

// A panicking closure becomes its caller's error; the writer survives it.
func TestPanicDoesNotKillWriter(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		db := openKV(t, dsn)
		for i, p := range []any{"string", errBoom, nil} {
			err := db.Update(t.Context(), func(tx *Tx) error {
				if err := put(fmt.Sprintf("p%d", i))(tx); err != nil {
					return err
				}
				panic(p)
			})
			if err == nil || !strings.Contains(err.Error(), "panicked") || errors.Is(err, ErrClosed) {
				t.Errorf("panic(%v): err = %v", p, err)
			}
			if err := db.Update(t.Context(), put(fmt.Sprintf("ok%d", i))); err != nil {
				t.Fatalf("Update after panic(%v): %v", p, err)
			}
		}
		if got, want := keys(t, db), []string{"ok0", "ok1", "ok2"}; !slices.Equal(got, want) {
			t.Errorf("keys = %v, want %v", got, want)
		}
	})
}

// Update after Close returns ErrClosed without running the closure; Close
// may be called again.
func TestUpdateAfterClose(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		db := openKV(t, dsn)
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		ran := false
		err := db.Update(t.Context(), func(tx *Tx) error { ran = true; return nil })
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Update after Close: err = %v, want ErrClosed", err)
		}
		if ran {
			t.Error("Update after Close ran the closure")
		}
		if err := db.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

// Updates racing Close either commit (nil, and the write is there after a
// reopen) or are refused (ErrClosed, and it is not): never in between.
func TestCloseRacingUpdates(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		db := openKV(t, dsn)
		const n = 100
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = db.Update(context.Background(), put(fmt.Sprintf("k%03d", i)))
			})
		}
		close(start)
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		wg.Wait()
		var want []string
		for i, err := range errs {
			switch {
			case err == nil:
				want = append(want, fmt.Sprintf("k%03d", i))
			case !errors.Is(err, ErrClosed):
				t.Errorf("Update %d: err = %v, want nil or ErrClosed", i, err)
			}
		}
		db2 := open(t, dsn)
		if got := keys(t, db2); !slices.Equal(got, append([]string{}, want...)) {
			t.Errorf("after reopen keys = %v\nwant the %d acknowledged: %v", got, len(want), want)
		}
	})
}

// An Update whose context has ended does not run its closure.
func TestUpdateCanceledContext(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		db := openKV(t, dsn)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		for range 20 { // both ways out of Update's select
			ran := false
			err := db.Update(ctx, func(tx *Tx) error { ran = true; return put("x")(tx) })
			if !errors.Is(err, context.Canceled) || ran {
				t.Fatalf("Update with a canceled context: err = %v, ran = %v", err, ran)
			}
		}
		if got := keys(t, db); len(got) != 0 {
			t.Errorf("keys = %v, want none", got)
		}
	})
}

// NextSeq hands out each value once, under any number of writers.
func TestNextSeqConcurrent(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		const n = 100
		got := make([]int64, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				err := db.Update(t.Context(), func(tx *Tx) error {
					v, err := tx.NextSeq("center_users")
					got[i] = v
					return err
				})
				if err != nil {
					t.Errorf("NextSeq: %v", err)
				}
			})
		}
		wg.Wait()
		slices.Sort(got)
		for i, v := range got {
			if v != int64(i+1) {
				t.Fatalf("sequence values %v, want 1..%d each once", got, n)
			}
		}
	})
}

// migrationNames lists the embedded migrations.
func migrationNames(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("embedded migrations: %v %v", names, err)
	}
	slices.Sort(names)
	return names
}

type applied struct {
	version string
	at      int64
}

func appliedMigrations(t *testing.T, db *DB) []applied {
	t.Helper()
	rows, err := db.Read.QueryContext(t.Context(), `SELECT version, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []applied
	for rows.Next() {
		var a applied
		if err := rows.Scan(&a.version, &a.at); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func nextSeq(t *testing.T, db *DB) int64 {
	t.Helper()
	var v int64
	if err := db.Update(t.Context(), func(tx *Tx) (err error) { v, err = tx.NextSeq("center_groups"); return err }); err != nil {
		t.Fatal(err)
	}
	return v
}

// Every migration is applied once: reopening applies nothing again, so data
// the migrations seed (the counters) is not reset.
func TestMigrationsIdempotent(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		names := migrationNames(t)
		db, err := Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		first := appliedMigrations(t, db)
		var versions []string
		for _, a := range first {
			versions = append(versions, a.version)
		}
		if !slices.Equal(versions, names) {
			t.Fatalf("applied %v, want %v", versions, names)
		}
		for want := int64(1); want <= 3; want++ {
			if got := nextSeq(t, db); got != want {
				t.Fatalf("NextSeq = %d, want %d", got, want)
			}
		}
		db.Close()
		for want := int64(4); want <= 5; want++ {
			db := open(t, dsn)
			if got := appliedMigrations(t, db); !slices.Equal(got, first) {
				t.Errorf("after reopen schema_migrations = %v, want %v", got, first)
			}
			if got := nextSeq(t, db); got != want {
				t.Errorf("NextSeq after reopen = %d, want %d (the counters were reset)", got, want)
			}
			db.Close()
		}
	})
}

// Several processes starting at once on a new database: one migrates, the
// others find it done.
func TestConcurrentOpen(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		const n = 4
		dbs := make([]*DB, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				dbs[i], errs[i] = Open(t.Context(), dsn)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Open %d: %v", i, err)
				continue
			}
			defer dbs[i].Close()
			if got := appliedMigrations(t, dbs[i]); len(got) != len(migrationNames(t)) {
				t.Errorf("Open %d: applied %v", i, got)
			}
		}
	})
}

// Open takes a SQLite path with or without the "sqlite:" prefix, creating
// the directory, and refuses an empty one.
func TestOpenSQLitePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "g.db")
	db, err := Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatalf("Open(sqlite:%s): %v", path, err)
	}
	if db.Dialect != SQLite {
		t.Errorf("Dialect = %s", db.Dialect)
	}
	if err := db.Update(t.Context(), func(tx *Tx) error { _, err := tx.NextSeq("center_users"); return err }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = open(t, path) // the same file without the prefix
	if got := nextSeq(t, db); got != 1 {
		t.Errorf("NextSeq(center_groups) = %d, want 1", got)
	}
	var v int64
	if err := db.Read.QueryRowContext(t.Context(), `SELECT value FROM counters WHERE name = 'center_users'`).Scan(&v); err != nil || v != 1 {
		t.Errorf("center_users counter = %d (%v), want 1: not the same file", v, err)
	}
	if _, err := Open(t.Context(), ""); err == nil {
		t.Error("Open(\"\") succeeded")
	}
}

// Every SQLite connection, the writer's and the readers', is opened with
// the settings Open documents: durable WAL commits, foreign keys, the
// savepoints' sub-journal in memory, the writer's checkpoint backstop at
// 20,000 pages and the log truncated to 64 MiB; only the writer maps the
// file into memory.
func TestSQLitePragmas(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "p.db"))
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1",
		"temp_store": "2", "wal_autocheckpoint": "20000", "cache_size": "-32768", "journal_size_limit": "67108864"}
	for name, v := range want {
		pragmaIs(t, db, name, v, v)
	}
	pragmaIs(t, db, "mmap_size", "0", "268435456")
}

// pragmaIs checks a pragma's value on a reader and on the writer.
func pragmaIs(t *testing.T, db *DB, name, reader, writer string) {
	t.Helper()
	var got string
	if err := db.Read.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&got); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	if got != reader {
		t.Errorf("reader PRAGMA %s = %s, want %s", name, got, reader)
	}
	if err := db.Update(t.Context(), func(tx *Tx) error {
		return tx.QueryRow("PRAGMA " + name).Scan(&got)
	}); err != nil {
		t.Fatalf("writer PRAGMA %s: %v", name, err)
	}
	if got != writer {
		t.Errorf("writer PRAGMA %s = %s, want %s", name, got, writer)
	}
}

// The checkpointer copies committed pages into the database file without the
// writer's backstop (20,000 pages) being reached: the file grows while the
// writes stay in the log otherwise.
func TestCheckpointerCopiesTheLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	db := openKV(t, path)
	before := fileSize(t, path)
	big := strings.Repeat("x", 2000)
	for i := range 200 { // ~100 pages, far below the backstop
		if err := db.Update(t.Context(), func(tx *Tx) error {
			_, err := tx.Exec(`INSERT INTO kv (k, v) VALUES ($1, $2)`, fmt.Sprint(i), big)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for fileSize(t, path) < before+200*2000 {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes (%d before 400 kB of writes): the log was not checkpointed", fileSize(t, path), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// Under concurrent load the writer waits for more requests before
// committing a small batch; a lone request is not kept waiting. The delay is
// set far beyond the test's run so only the batch size can end the wait.
func TestGatherWaitsOnlyUnderLoad(t *testing.T) {
	db := openKV(t, filepath.Join(t.TempDir(), "g.db"))
	w := &writer{db: db, queue: make(chan request), stopping: make(chan struct{}), delay: time.Hour}
	req := func() request { return request{ctx: t.Context(), fn: put("x"), done: make(chan error, 1)} }
	if got := w.gather(req(), false); len(got) != 1 {
		t.Errorf("lone request: batch of %d, want 1", len(got))
	}
	go func() {
		for range delayBelow - 1 {
			w.queue <- req()
		}
	}()
	if got := w.gather(req(), true); len(got) != delayBelow {
		t.Errorf("under load: batch of %d, want %d (waited for the requests sent one by one)", len(got), delayBelow)
	}
	// Closing the writer ends the wait with what was gathered.
	close(w.stopping)
	if got := w.gather(req(), true); len(got) != 1 {
		t.Errorf("stopping: batch of %d, want 1", len(got))
	}
}
