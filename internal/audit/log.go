package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Log is the audit log over a Store.
type Log struct {
	store Store
	key   []byte
	// Now is the clock; tests replace it.
	Now func() time.Time
}

var _ Appender = (*Log)(nil)

// NewLog returns the log over s. With a key, every hash is HMAC-SHA256 under
// it instead of plain SHA-256.
//
// Why a key: a plain hash chain shows that a record changed only to someone
// who cannot recompute it. Anyone who can write the database can edit a
// record and recompute its SHA-256 and every later one, and the chain verifies
// again. An HMAC needs the key, which lives in the secret key file, not in the
// database, so a database-only attacker (a stolen backup, SQL injection, a
// DBA) cannot produce hashes that verify. The key must be the same for the
// whole life of the chain: the server and `gatehouse audit` derive it from
// the secret key file under KeyLabel.
func NewLog(s Store, key []byte) *Log {
	return &Log{store: s, key: append([]byte(nil), key...), Now: time.Now}
}

// Keyed reports whether the chain uses an HMAC key.
func (l *Log) Keyed() bool { return len(l.key) > 0 }

// seal is the SealFunc of this log: link r to head and hash it.
func (l *Log) seal(r *Record, head Head) error {
	r.Seq, r.PrevHash = head.Seq+1, head.Hash
	h, err := ComputeHash(l.key, r)
	if err != nil {
		return err
	}
	r.Hash = h
	return nil
}

// Append adds r to the chain and returns it as stored, with Seq, PrevHash
// and Hash. Kind is required; Actor defaults to "system", Outcome to
// "success", Time to now.
func (l *Log) Append(ctx context.Context, r Record) (Record, error) {
	if r.Kind == "" {
		return Record{}, fmt.Errorf("%w: kind is empty", ErrInvalid)
	}
	if r.Actor == "" {
		r.Actor = ActorSystem
	}
	if r.Outcome == "" {
		r.Outcome = OutcomeSuccess
	}
	if r.Time.IsZero() {
		r.Time = l.Now()
	}
	if err := normalize(&r); err != nil {
		return Record{}, err
	}
	if err := l.store.Append(ctx, &r, l.seal); err != nil {
		return Record{}, fmt.Errorf("audit: append %s: %w", r.Kind, err)
	}
	r.details = nil // the caller's copy is its own to change
	return r, nil
}

// Prune deletes the oldest records with a Time before `before`, keeping the
// rest verifiable: the last record deleted becomes the anchor, and the prune
// is appended as a record by actor (KindAuditPrune) naming that anchor. It
// returns how many records were deleted.
func (l *Log) Prune(ctx context.Context, actor string, before time.Time) (int64, error) {
	if actor == "" {
		actor = ActorSystem
	}
	now := l.Now()
	var rec Record
	plan := func(last Head, n int64) (*Anchor, *Record, error) {
		rec = Record{Time: now, Actor: actor, Kind: KindAuditPrune, Subject: "audit", Action: "prune", Outcome: OutcomeSuccess,
			Details: map[string]any{"before": before.UTC().Format(time.RFC3339Nano), "records": n}}
		var a *Anchor
		if n > 0 {
			a = &Anchor{Seq: last.Seq, Hash: last.Hash, Time: time.UnixMilli(now.UnixMilli()).UTC()}
			a.MAC = AnchorMAC(l.key, a)
			rec.Details["through_seq"] = last.Seq
			rec.Details["through_hash"] = last.Hash
		} else {
			rec.Reason = "no record older than the cut-off"
		}
		if err := normalize(&rec); err != nil {
			return nil, nil, err
		}
		return a, &rec, nil
	}
	n, err := l.store.Prune(ctx, before, plan, l.seal)
	if err != nil {
		return 0, fmt.Errorf("audit: prune: %w", err)
	}
	return n, nil
}

// Verify walks the chain from its anchor (or genesis) in seq order and
// reports the first break. The error is for failures to read, not breaks.
func (l *Log) Verify(ctx context.Context) (*Report, error) {
	for attempt := 0; ; attempt++ {
		rep, stable, err := l.verifyOnce(ctx)
		if err != nil || stable || attempt == 4 {
			return rep, err
		}
		// A prune moved the anchor while we read: read again.
	}
}

func (l *Log) verifyOnce(ctx context.Context) (*Report, bool, error) {
	a, err := l.store.Anchor(ctx)
	if err != nil {
		return nil, false, err
	}
	start := Head{Hash: Genesis}
	if a != nil {
		start = Head{Seq: a.Seq, Hash: a.Hash}
	}
	v := NewVerifier(l.key, &start)
	if v.checkAnchor(a) == nil {
		errStop := errors.New("stop")
		// From the lowest seq there is: a record moved below the anchor or
		// to seq 0 shows up out of place instead of being skipped.
		err = l.store.Scan(ctx, math.MinInt64, time.Time{}, func(r *Record) error {
			if v.Add(r) != nil {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return nil, false, err
		}
		v.finishAnchor(a)
	}
	b, err := l.store.Anchor(ctx)
	if err != nil {
		return nil, false, err
	}
	return v.Report(), sameAnchor(a, b), nil
}

func sameAnchor(a, b *Anchor) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Seq == b.Seq && a.Hash == b.Hash
}

// CheckHead checks that the chain still holds the record h names, with the
// same hash: a head kept outside the database (printed by `gatehouse audit
// verify`) detects that the newest records were cut off, which the chain
// alone cannot. Run it after Verify reports the chain intact.
func (l *Log) CheckHead(ctx context.Context, h Head) error {
	r, err := l.store.Get(ctx, h.Seq)
	if errors.Is(err, ErrNotFound) {
		if a, aerr := l.store.Anchor(ctx); aerr == nil && a != nil && h.Seq <= a.Seq {
			if h.Seq == a.Seq && h.Hash != a.Hash {
				return fmt.Errorf("audit: the anchor at seq %d has hash %s, not %s", h.Seq, a.Hash, h.Hash)
			}
			return nil // pruned since; nothing left to compare
		}
		return fmt.Errorf("audit: record seq %d, a head kept earlier, is gone: the newest records were deleted", h.Seq)
	}
	if err != nil {
		return err
	}
	if r.Hash != h.Hash {
		return fmt.Errorf("audit: record seq %d has hash %s, not the %s kept earlier: the chain was rewritten", h.Seq, r.Hash, h.Hash)
	}
	return nil
}

// Query returns the records that match f, newest first.
func (l *Log) Query(ctx context.Context, f Filter) ([]Record, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 10000)
	return l.store.Query(ctx, f)
}

// Export writes the records with Time >= since (zero: all) as JSON lines,
// oldest first, with their hashes, so that VerifyJSONL (or any other
// verifier that has the key) can check them. It streams and returns how many
// records it wrote.
func (l *Log) Export(ctx context.Context, w io.Writer, since time.Time) (int64, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	var n int64
	err := l.store.Scan(ctx, 0, since, func(r *Record) error {
		n++
		return enc.Encode(r)
	})
	if err != nil {
		return n, fmt.Errorf("audit: export: %w", err)
	}
	return n, bw.Flush()
}

// VerifyJSONL checks an export: every record's hash, and the links between
// consecutive records. The first record's seq and PrevHash are taken as
// given, since an export may start in the middle of the chain.
func VerifyJSONL(r io.Reader, key []byte) (*Report, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	v := NewVerifier(key, nil)
	for {
		var rec Record
		err := dec.Decode(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("audit: read export after seq %d: %w", v.report.Last, err)
		}
		if len(rec.Details) == 0 {
			rec.Details = nil
		}
		if v.Add(&rec) != nil {
			break
		}
	}
	return v.Report(), nil
}
