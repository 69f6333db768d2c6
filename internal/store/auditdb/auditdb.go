package auditdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

// Store is audit.Store on a store.DB.
type Store struct {
	db *store.DB

	// Appends wait in queue; one goroutine at a time (draining) writes
	// everything queued in one transaction, then the next batch.
	mu       sync.Mutex
	queue    []*pendingRecord
	draining bool
	// full wakes a drain pausing between batches once gatherMax records
	// wait.
	full chan struct{}
}

// pendingRecord is an Append waiting to be written.
type pendingRecord struct {
	r       *audit.Record
	seal    audit.SealFunc
	details string
	done    chan error
}

var _ audit.Store = (*Store)(nil)

// New returns the audit store on db.
func New(db *store.DB) *Store { return &Store{db: db, full: make(chan struct{}, 1)} }

// lockName is the named lock every write to the chain takes.
const lockName = "audit"

const cols = `seq, at, actor, kind, subject, action, outcome, reason, details, prev_hash, hash`

// Append implements audit.Store: lock, read the head, seal, insert, in one
// transaction, and return once it is committed.
//
// Records appended at the same time share that transaction: every SCIM
// change, sign-in and SAML response is appended before it is answered, and
// a transaction of its own for each (a savepoint, a read of the chain's
// head, an insert) cost an audited SAML response a fifth of its time
// (docs/benchmarks.md). Concurrent Appends queue; one goroutine writes the
// queue as one batch (the head read once, the records sealed in order,
// inserted by one statement), then the records queued meanwhile, after a
// pause of up to gatherDelay that lets more of them share the next commit.
func (s *Store) Append(ctx context.Context, r *audit.Record, seal audit.SealFunc) error {
	d, err := r.StoredDetails()
	if err != nil {
		return err
	}
	p := &pendingRecord{r: r, seal: seal, details: string(d), done: make(chan error, 1)}
	s.mu.Lock()
	s.queue = append(s.queue, p)
	if !s.draining {
		s.draining = true
		go s.drain()
	} else if len(s.queue) == gatherMax {
		select {
		case s.full <- struct{}{}:
		default:
		}
	}
	s.mu.Unlock()
	// As store.DB.Update: once queued, the outcome is awaited even if ctx
	// ends, so nil means committed and an error means not.
	return <-p.done
}

// drain writes batches until the queue is empty.
func (s *Store) drain() {
	for {
		s.mu.Lock()
		batch := s.queue
		s.queue = nil
		if len(batch) == 0 {
			s.draining = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		err := s.db.Update(context.Background(), func(tx *store.Tx) error {
			if err := tx.Lock(lockName); err != nil {
				return fmt.Errorf("lock audit chain: %w", err)
			}
			return appendBatchTx(tx, batch)
		})
		for _, p := range batch {
			p.done <- err
		}
		s.gather()
	}
}

// gather is the pause between two batches of one drain: under load it lets
// the next batch grow, and a lone record is not delayed (after the pause
// the queue is empty and the drain ends).
//
// Each commit is an fsync, the same index pages written again, and the
// readers' page caches emptied (a reader of a WAL database drops its cache
// when the log has grown). A commit per one or two records cost audited
// SAML sign-ins a tenth of their rate. Their callers overlap the wait with
// their own work (a SAML response is signed meanwhile), and with 1 ms
// instead of 4 ms they lost 3-5 % more (docs/benchmarks.md). Callers that
// wait for the record before answering, as a SCIM write does, wait at most
// until gatherMax records are queued, so under heavy load batches go out
// as soon as they are large anyway.
func (s *Store) gather() {
	t := time.NewTimer(gatherDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.full:
	}
}

const (
	gatherDelay = 4 * time.Millisecond
	gatherMax   = 64
)

// maxRowsPerInsert keeps one INSERT's parameters (11 per record) well
// inside SQLite's and PostgreSQL's limits.
const maxRowsPerInsert = 500

// appendBatchTx seals the records in order after the chain's head and
// inserts them; the caller holds the chain lock. It may run more than once
// (a retried transaction), sealing again from the head it reads.
func appendBatchTx(tx *store.Tx, batch []*pendingRecord) error {
	head, err := headTx(tx)
	if err != nil {
		return err
	}
	for _, p := range batch {
		if err := p.seal(p.r, head); err != nil {
			return err
		}
		head = audit.Head{Seq: p.r.Seq, Hash: p.r.Hash}
	}
	for len(batch) > 0 {
		n := min(len(batch), maxRowsPerInsert)
		values := make([]string, n)
		args := make([]any, 0, 11*n)
		for i, p := range batch[:n] {
			values[i] = fmt.Sprintf("($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)",
				11*i+1, 11*i+2, 11*i+3, 11*i+4, 11*i+5, 11*i+6, 11*i+7, 11*i+8, 11*i+9, 11*i+10, 11*i+11)
			r := p.r
			args = append(args, r.Seq, r.Time.UnixMilli(), r.Actor, r.Kind, r.Subject, r.Action, r.Outcome, r.Reason,
				p.details, r.PrevHash, r.Hash)
		}
		if _, err := tx.Exec(`INSERT INTO audit_records (`+cols+`) VALUES `+strings.Join(values, ", "), args...); err != nil {
			return fmt.Errorf("insert audit records %d-%d: %w", batch[0].r.Seq, batch[n-1].r.Seq, err)
		}
		batch = batch[n:]
	}
	return nil
}

// appendTx appends r; the caller holds the chain lock.
func appendTx(tx *store.Tx, r *audit.Record, seal audit.SealFunc) error {
	head, err := headTx(tx)
	if err != nil {
		return err
	}
	if err := seal(r, head); err != nil {
		return err
	}
	d, err := r.StoredDetails()
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO audit_records (`+cols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		r.Seq, r.Time.UnixMilli(), r.Actor, r.Kind, r.Subject, r.Action, r.Outcome, r.Reason, string(d), r.PrevHash, r.Hash)
	if err != nil {
		return fmt.Errorf("insert audit record %d: %w", r.Seq, err)
	}
	return nil
}

// headTx returns what the next record links to: the last record, else the
// anchor, else genesis.
func headTx(tx *store.Tx) (audit.Head, error) {
	var h audit.Head
	err := tx.QueryRow(`SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1`).Scan(&h.Seq, &h.Hash)
	if err == nil {
		return h, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return h, fmt.Errorf("read audit head: %w", err)
	}
	err = tx.QueryRow(`SELECT seq, hash FROM audit_anchor WHERE id = 1`).Scan(&h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return audit.Head{Hash: audit.Genesis}, nil
	}
	if err != nil {
		return h, fmt.Errorf("read audit anchor: %w", err)
	}
	return h, nil
}

// Prune implements audit.Store. It deletes a prefix of the chain: the
// records up to the first one whose time is not before `before` (times from
// several nodes need not rise with seq), so the rest stays one chain.
func (s *Store) Prune(ctx context.Context, before time.Time, plan audit.PrunePlan, seal audit.SealFunc) (int64, error) {
	var n int64
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		n = 0
		if err := tx.Lock(lockName); err != nil {
			return fmt.Errorf("lock audit chain: %w", err)
		}
		// 1. The last seq to delete: just before the first record to keep.
		var keep, last sql.NullInt64
		if err := tx.QueryRow(`SELECT MIN(seq) FROM audit_records WHERE at >= $1`, before.UnixMilli()).Scan(&keep); err != nil {
			return fmt.Errorf("find audit cut-off: %w", err)
		}
		q := `SELECT MAX(seq) FROM audit_records`
		args := []any{}
		if keep.Valid {
			q += ` WHERE seq < $1`
			args = append(args, keep.Int64)
		}
		if err := tx.QueryRow(q, args...).Scan(&last); err != nil {
			return fmt.Errorf("find audit cut-off: %w", err)
		}
		var lastHead audit.Head
		if last.Valid {
			lastHead.Seq = last.Int64
			if err := tx.QueryRow(`SELECT hash FROM audit_records WHERE seq = $1`, last.Int64).Scan(&lastHead.Hash); err != nil {
				return fmt.Errorf("read audit record %d: %w", last.Int64, err)
			}
			res, err := tx.Exec(`DELETE FROM audit_records WHERE seq <= $1`, last.Int64)
			if err != nil {
				return fmt.Errorf("delete audit records: %w", err)
			}
			if n, err = res.RowsAffected(); err != nil {
				return err
			}
		}
		// 2. The new anchor, and the record of the prune.
		a, rec, err := plan(lastHead, n)
		if err != nil {
			return err
		}
		if a != nil {
			if _, err := tx.Exec(`INSERT INTO audit_anchor (id, seq, hash, pruned_at, mac) VALUES (1, $1, $2, $3, $4)
				ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, pruned_at = excluded.pruned_at, mac = excluded.mac`,
				a.Seq, a.Hash, a.Time.UnixMilli(), a.MAC); err != nil {
				return fmt.Errorf("write audit anchor: %w", err)
			}
		}
		return appendTx(tx, rec, seal)
	})
	return n, err
}

// Anchor implements audit.Store.
func (s *Store) Anchor(ctx context.Context) (*audit.Anchor, error) {
	var a audit.Anchor
	var at int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT seq, hash, pruned_at, mac FROM audit_anchor WHERE id = 1`).Scan(&a.Seq, &a.Hash, &at, &a.MAC)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read audit anchor: %w", err)
	}
	a.Time = time.UnixMilli(at).UTC()
	return &a, nil
}

// Scan implements audit.Store with one SELECT, so one snapshot.
func (s *Store) Scan(ctx context.Context, after int64, since time.Time, fn func(*audit.Record) error) error {
	q := `SELECT ` + cols + ` FROM audit_records WHERE seq > $1`
	args := []any{after}
	if !since.IsZero() {
		q += ` AND at >= $2`
		args = append(args, since.UnixMilli())
	}
	rows, err := s.db.Read.QueryContext(ctx, q+` ORDER BY seq`, args...)
	if err != nil {
		return fmt.Errorf("scan audit records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Get implements audit.Store.
func (s *Store) Get(ctx context.Context, seq int64) (*audit.Record, error) {
	r, err := scanRecord(s.db.Read.QueryRowContext(ctx, `SELECT `+cols+` FROM audit_records WHERE seq = $1`, seq))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, audit.ErrNotFound
	}
	return r, err
}

// Query implements audit.Store.
func (s *Store) Query(ctx context.Context, f audit.Filter) ([]audit.Record, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if !f.Since.IsZero() {
		add(`at >= ?`, f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		add(`at < ?`, f.Until.UnixMilli())
	}
	if prefix, ok := strings.CutSuffix(f.Kind, "*"); ok {
		add(`kind LIKE ? ESCAPE '\'`, likeEscape(prefix)+"%")
	} else if f.Kind != "" {
		add(`kind = ?`, f.Kind)
	}
	if f.Actor != "" {
		add(`actor = ?`, f.Actor)
	}
	if f.Subject != "" {
		add(`subject = ?`, f.Subject)
	}
	if f.Outcome != "" {
		add(`outcome = ?`, f.Outcome)
	}
	if f.BeforeSeq > 0 {
		add(`seq < ?`, f.BeforeSeq)
	}
	q := `SELECT ` + cols + ` FROM audit_records`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(` ORDER BY seq DESC LIMIT $%d`, len(args))
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query audit records: %w", err)
	}
	defer rows.Close()
	var out []audit.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func scanRecord(row interface{ Scan(...any) error }) (*audit.Record, error) {
	var r audit.Record
	var at int64
	var details string
	if err := row.Scan(&r.Seq, &at, &r.Actor, &r.Kind, &r.Subject, &r.Action, &r.Outcome, &r.Reason, &details, &r.PrevHash, &r.Hash); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("read audit record: %w", err)
	}
	r.Time = time.UnixMilli(at).UTC()
	d, err := audit.ParseDetails(details)
	if err != nil {
		// An edited details column is a tampered record: keep it readable so
		// that Verify reports it as a hash mismatch.
		d = map[string]any{"_unparsable_details": details}
	}
	r.Details = d
	return &r, nil
}
