package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// ErrClosed is returned by Update after Close.
var ErrClosed = errors.New("store: closed")

// maxBatch bounds how many closures share one transaction, so one commit
// never holds the write lock for long.
const maxBatch = 256

// commitDelay is how long the writer waits for more requests before
// committing a small batch under concurrent load (see writer.gather), and
// delayBelow the batch size from which it no longer waits.
const (
	commitDelay = 200 * time.Microsecond
	delayBelow  = 32
)

// stmtTimeout bounds every statement a write closure runs. The batch's
// statements cannot use the callers' contexts: one caller giving up must not
// abort the writes of the others that share its transaction.
const stmtTimeout = 30 * time.Second

// Tx is the transaction handed to a write closure.
type Tx struct {
	tx *sql.Tx
	db *DB
}

// Exec runs a statement that returns no rows.
func (t *Tx) Exec(query string, args ...any) (sql.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), stmtTimeout)
	defer cancel()
	if st := t.db.stmts.get(ctx, query); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

// QueryRow runs a query expected to return at most one row.
func (t *Tx) QueryRow(query string, args ...any) *sql.Row {
	// The row holds the context until Scan; a timeout here would be cancelled
	// too early, so rely on the statement being a point lookup.
	ctx := context.Background()
	if st := t.db.stmts.get(ctx, query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// Query runs a query returning rows; the caller closes them.
func (t *Tx) Query(query string, args ...any) (*sql.Rows, error) {
	ctx := context.Background()
	if st := t.db.stmts.get(ctx, query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

// ForUpdate is DB.ForUpdate for the transaction's engine.
func (t *Tx) ForUpdate() string { return t.db.ForUpdate() }

// Lock serialises, until the transaction ends, every transaction that takes
// the same named lock: a check-then-insert (such as "at most two active
// tokens") stays true with several nodes on PostgreSQL. SQLite has a single
// writer, so it needs nothing.
func (t *Tx) Lock(name string) error {
	if t.db.Dialect != Postgres {
		return nil
	}
	_, err := t.Exec(`SELECT pg_advisory_xact_lock(hashtext($1))`, name)
	return err
}

// NextSeqs allocates n consecutive values of the named counter and returns
// the first.
func (t *Tx) NextSeqs(name string, n int) (int64, error) {
	var v int64
	err := t.QueryRow(`UPDATE counters SET value = value + $2 WHERE name = $1 RETURNING value`, name, n).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("next %s sequence: %w", name, err)
	}
	return v - int64(n) + 1, nil
}

// NextSeq allocates the next value of the named counter. The counters table
// gives both engines one SQL text, and seq orders cursor pagination.
func (t *Tx) NextSeq(name string) (int64, error) { return t.NextSeqs(name, 1) }

type request struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

type writer struct {
	db       *DB
	queue    chan request // unbuffered: a send succeeds only while the writer runs
	stopping chan struct{}
	stopped  chan struct{}
	stopOnce sync.Once // Close may be called more than once
	delay    time.Duration
}

func startWriter(db *DB) *writer {
	w := &writer{db: db, queue: make(chan request), stopping: make(chan struct{}), stopped: make(chan struct{}),
		delay: commitDelay}
	go w.loop()
	return w
}

func (w *writer) stop() {
	w.stopOnce.Do(func() { close(w.stopping) })
	<-w.stopped
}

// Update runs fn inside a write transaction and returns once that transaction
// has committed durably (or fn's error). fn may be run more than once when the
// engine reports a serialization failure, so it must not have effects outside
// the transaction.
//
// Once queued, Update waits for the outcome even if ctx ends, so that a nil
// error always means committed and a non-nil error means not committed.
func (db *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	r := request{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.writer.queue <- r:
		return <-r.done
	case <-db.writer.stopping:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *writer) loop() {
	defer close(w.stopped)
	last := 0 // size of the previous batch
	for {
		select {
		case <-w.stopping:
			return
		case first := <-w.queue:
			batch := w.gather(first, last >= 2)
			last = len(batch)
			w.run(batch)
			w.db.ckpt.poke()
		}
	}
}

// gather collects the requests queued behind first. When writes are
// arriving concurrently (wait: the previous batch had several) and the batch
// is still small, it waits up to w.delay for more, like PostgreSQL's
// commit_delay: one commit, its fsync and the pages every request touches
// (table ends, counters, index roots), then serves more requests. Measured
// on an initial sync: commits of ~5 requests became commits of ~12 and the
// writer's busy time fell by a quarter; a longer wait (1 ms) idled the
// writer enough to cost plain SCIM creates a tenth (docs/benchmarks.md). A
// lone write is never delayed.
func (w *writer) gather(first request, wait bool) []request {
	batch := []request{first}
drain:
	for len(batch) < maxBatch {
		select {
		case r := <-w.queue:
			batch = append(batch, r)
		default:
			break drain
		}
	}
	if !wait || len(batch) >= delayBelow || w.delay <= 0 {
		return batch
	}
	t := time.NewTimer(w.delay)
	defer t.Stop()
	for len(batch) < delayBelow {
		select {
		case r := <-w.queue:
			batch = append(batch, r)
		case <-t.C:
			return batch
		case <-w.stopping:
			return batch
		}
	}
	return batch
}

// run commits one batch, retrying the whole batch when the engine says it
// raced another transaction (PostgreSQL with several nodes, or a CLI process
// holding SQLite's lock beyond busy_timeout).
func (w *writer) run(batch []request) {
	var errs []error
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		errs, err = w.try(batch)
		if err == nil || !isRetryable(err) {
			break
		}
		time.Sleep(time.Duration(1+rand.IntN(10<<attempt)) * time.Millisecond)
	}
	for i, r := range batch {
		if err != nil {
			r.done <- err
		} else {
			r.done <- errs[i]
		}
	}
}

// try runs each closure under its own savepoint and commits once.
func (w *writer) try(batch []request) ([]error, error) {
	ctx := context.Background()
	sqlTx, err := w.db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, db: w.db}
	errs := make([]error, len(batch))
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = err // the caller has gone; nothing was acknowledged
			continue
		}
		if _, err := tx.Exec("SAVEPOINT w"); err != nil {
			sqlTx.Rollback()
			return nil, fmt.Errorf("store: savepoint: %w", err)
		}
		ferr := call(r.fn, tx)
		if ferr != nil && isRetryable(ferr) {
			sqlTx.Rollback()
			return nil, ferr
		}
		if ferr != nil {
			if _, err := tx.Exec("ROLLBACK TO SAVEPOINT w"); err != nil {
				sqlTx.Rollback()
				return nil, fmt.Errorf("store: rollback to savepoint: %w", err)
			}
			errs[i] = ferr
		}
		if _, err := tx.Exec("RELEASE SAVEPOINT w"); err != nil {
			sqlTx.Rollback()
			return nil, fmt.Errorf("store: release savepoint: %w", err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, fmt.Errorf("store: commit: %w", err)
	}
	return errs, nil
}

// call runs fn, turning a panic into an error so one bad closure cannot take
// the writer, and with it every later write, down.
func call(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write panicked: %v", p)
		}
	}()
	return fn(tx)
}
