package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/audit"
)

// AuditBackend is what RunAudit needs of a backend on a new, empty database.
type AuditBackend struct {
	Store audit.Store
	// Node opens another handle on the same database, as a second node (or
	// the CLI beside the server) would.
	Node func() audit.Store
	// Exec runs a statement directly on the database, bypassing the store:
	// the suite edits, deletes and reorders records with it as an attacker
	// with database access would. Statements use the tables of migration
	// 0011_audit.sql.
	Exec func(query string, args ...any) error
}

// OpenAudit gives each subtest a new backend.
type OpenAudit func(t *testing.T) AuditBackend

// RunAudit is the conformance suite of audit.Store: appends form one chain
// (also from many goroutines and two nodes at once), queries and exports
// return what was appended, Verify finds every edit, deletion and reordering
// made behind the store's back, retention keeps the chain verifiable, and
// with an HMAC key a recomputed SHA-256 no longer passes.
func RunAudit(t *testing.T, open OpenAudit) {
	t.Run("AppendLinks", func(t *testing.T) { auditAppendLinks(t, open(t)) })
	t.Run("Query", func(t *testing.T) { auditQuery(t, open(t)) })
	t.Run("Export", func(t *testing.T) { auditExport(t, open(t)) })
	t.Run("Concurrent", func(t *testing.T) { auditConcurrent(t, open(t)) })
	t.Run("DetectEdit", func(t *testing.T) { auditDetectEdit(t, open(t)) })
	t.Run("DetectDelete", func(t *testing.T) { auditDetectDelete(t, open(t)) })
	t.Run("DetectSwap", func(t *testing.T) { auditDetectSwap(t, open(t)) })
	t.Run("TruncatedTail", func(t *testing.T) { auditTruncatedTail(t, open(t)) })
	t.Run("Prune", func(t *testing.T) { auditPrune(t, open(t)) })
	t.Run("PruneAnchorTamper", func(t *testing.T) { auditPruneAnchorTamper(t, open(t)) })
	t.Run("HMAC", func(t *testing.T) { auditHMAC(t, open(t)) })
}

var auditT0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// auditClock returns a clock that ticks one minute per call from auditT0.
func auditClock() func() time.Time {
	var mu sync.Mutex
	now := auditT0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Minute)
		return now
	}
}

func newAuditLog(s audit.Store, key []byte) *audit.Log {
	l := audit.NewLog(s, key)
	l.Now = auditClock()
	return l
}

// auditFill appends n records: i%3 picks the kind, i%2 the actor.
func auditFill(t *testing.T, l *audit.Log, n int) []audit.Record {
	t.Helper()
	kinds := []string{audit.KindSignInSuccess, audit.KindSignInRefused, audit.KindAdminChange}
	var out []audit.Record
	for i := range n {
		r := audit.Record{Actor: []string{"alice", "bob"}[i%2], Kind: kinds[i%3], Subject: fmt.Sprintf("user-%d", i),
			Action: "login", Details: map[string]any{"i": i, "ip": "192.0.2.1"}}
		if r.Kind == audit.KindSignInRefused {
			r.Outcome, r.Reason = audit.OutcomeRefused, "wrong password"
		}
		got, err := l.Append(context.Background(), r)
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		out = append(out, got)
	}
	return out
}

func mustVerify(t *testing.T, l *audit.Log) *audit.Report {
	t.Helper()
	rep, err := l.Verify(context.Background())
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

// wantIntact checks an intact chain from first to last.
func wantIntact(t *testing.T, rep *audit.Report, first, last int64) {
	t.Helper()
	if rep.Break != nil {
		t.Fatalf("verify: %v", rep.Break)
	}
	if rep.First != first || rep.Last != last || rep.Records != last-first+1 {
		t.Fatalf("verify: records %d, seq %d..%d; want %d..%d", rep.Records, rep.First, rep.Last, first, last)
	}
}

// wantBreak checks that Verify stops at seq with kind.
func wantBreak(t *testing.T, rep *audit.Report, seq int64, kind audit.BreakKind) {
	t.Helper()
	if rep.Break == nil {
		t.Fatalf("verify found no break; want %s at seq %d", kind, seq)
	}
	if rep.Break.Seq != seq || rep.Break.Kind != kind {
		t.Fatalf("verify: break %s at seq %d (%s); want %s at seq %d", rep.Break.Kind, rep.Break.Seq, rep.Break.Message, kind, seq)
	}
}

func mustExec(t *testing.T, b AuditBackend, q string, args ...any) {
	t.Helper()
	if err := b.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func auditAppendLinks(t *testing.T, b AuditBackend) {
	ctx := context.Background()
	l := newAuditLog(b.Store, nil)
	type target struct {
		App  string `json:"app"`
		Zone string `json:"zone"`
	}
	r1, err := l.Append(ctx, audit.Record{Kind: audit.KindSAMLResponse, Actor: "u-1", Subject: "app-aws", Action: "issue",
		Details: map[string]any{"target": target{App: "aws", Zone: "é<>&"}, "n": 12345678901234, "f": 1.5, "ok": true, "list": []string{"b", "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	// Defaults: actor "system", outcome "success", time from the clock.
	r2, err := l.Append(ctx, audit.Record{Kind: audit.KindPIMActivation, Subject: "grp-admins", Action: "expire"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, audit.Record{Actor: "x"}); !errors.Is(err, audit.ErrInvalid) {
		t.Fatalf("append without kind: %v; want ErrInvalid", err)
	}
	if r1.Seq != 1 || r2.Seq != 2 || r1.PrevHash != audit.Genesis || r2.PrevHash != r1.Hash {
		t.Fatalf("chain: seq %d prev %s, seq %d prev %s", r1.Seq, r1.PrevHash, r2.Seq, r2.PrevHash)
	}
	if r2.Actor != audit.ActorSystem || r2.Outcome != audit.OutcomeSuccess || !r2.Time.Equal(auditT0.Add(2*time.Minute)) {
		t.Fatalf("defaults: %+v", r2)
	}
	if h, _ := audit.ComputeHash(nil, &r1); h != r1.Hash || len(h) != 64 {
		t.Fatalf("hash %s; recomputed %s", r1.Hash, h)
	}
	// What is read back is exactly what Append returned.
	for _, want := range []audit.Record{r1, r2} {
		got, err := b.Store.Get(ctx, want.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("read back seq %d:\n got %#v\nwant %#v", want.Seq, *got, want)
		}
	}
	if _, err := b.Store.Get(ctx, 99); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("get 99: %v", err)
	}
	if tgt := r1.Details["target"].(map[string]any); tgt["zone"] != "é<>&" {
		t.Fatalf("details: %#v", r1.Details)
	}
	wantIntact(t, mustVerify(t, l), 1, 2)
}

func auditQuery(t *testing.T, b AuditBackend) {
	ctx := context.Background()
	l := newAuditLog(b.Store, nil)
	auditFill(t, l, 12) // times auditT0+1m .. +12m
	seqs := func(f audit.Filter) string {
		t.Helper()
		rs, err := l.Query(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, r := range rs {
			s = append(s, fmt.Sprint(r.Seq))
		}
		return strings.Join(s, ",")
	}
	for _, c := range []struct {
		f    audit.Filter
		want string
	}{
		{audit.Filter{}, "12,11,10,9,8,7,6,5,4,3,2,1"},
		{audit.Filter{Limit: 3}, "12,11,10"},
		{audit.Filter{Limit: 3, BeforeSeq: 10}, "9,8,7"},
		{audit.Filter{Kind: audit.KindSignInRefused}, "11,8,5,2"},
		{audit.Filter{Kind: "signin.*"}, "11,10,8,7,5,4,2,1"},
		{audit.Filter{Kind: "signin"}, ""},
		{audit.Filter{Actor: "alice", Kind: audit.KindAdminChange}, "9,3"},
		{audit.Filter{Outcome: audit.OutcomeRefused, Actor: "bob"}, "8,2"},
		{audit.Filter{Subject: "user-4"}, "5"},
		{audit.Filter{Since: auditT0.Add(10 * time.Minute)}, "12,11,10"},
		{audit.Filter{Since: auditT0.Add(2 * time.Minute), Until: auditT0.Add(4 * time.Minute)}, "3,2"},
	} {
		if got := seqs(c.f); got != c.want {
			t.Errorf("query %+v: %q; want %q", c.f, got, c.want)
		}
	}
	rs, _ := l.Query(ctx, audit.Filter{Subject: "user-1"})
	if len(rs) != 1 || rs[0].Reason != "wrong password" || rs[0].Outcome != audit.OutcomeRefused || rs[0].Details["ip"] != "192.0.2.1" {
		t.Fatalf("record: %+v", rs)
	}
}

func auditExport(t *testing.T, b AuditBackend) {
	ctx := context.Background()
	l := newAuditLog(b.Store, nil)
	recs := auditFill(t, l, 5)
	var buf bytes.Buffer
	n, err := l.Export(ctx, &buf, time.Time{})
	if err != nil || n != 5 {
		t.Fatalf("export: %d, %v", n, err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("export: %d lines", len(lines))
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["seq"] != 1.0 || first["hash"] != recs[0].Hash || first["prev_hash"] != audit.Genesis || first["kind"] != audit.KindSignInSuccess {
		t.Fatalf("first line: %s", lines[0])
	}
	rep, err := audit.VerifyJSONL(strings.NewReader(buf.String()), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantIntact(t, rep, 1, 5)
	// An external verifier sees an edited line.
	edited := strings.Replace(buf.String(), `"wrong password"`, `"right password"`, 1)
	rep, _ = audit.VerifyJSONL(strings.NewReader(edited), nil)
	wantBreak(t, rep, 2, audit.BreakEdited)
	// and a dropped one.
	dropped := strings.Join(append(lines[:2:2], lines[3:]...), "\n")
	rep, _ = audit.VerifyJSONL(strings.NewReader(dropped), nil)
	wantBreak(t, rep, 3, audit.BreakMissing)
	// --since starts in the middle of the chain; it still verifies.
	buf.Reset()
	if n, err := l.Export(ctx, &buf, auditT0.Add(4*time.Minute)); err != nil || n != 2 {
		t.Fatalf("export since: %d, %v", n, err)
	}
	rep, _ = audit.VerifyJSONL(&buf, nil)
	wantIntact(t, rep, 4, 5)
}

func auditConcurrent(t *testing.T, b AuditBackend) {
	ctx := context.Background()
	nodes := []*audit.Log{audit.NewLog(b.Store, nil), audit.NewLog(b.Node(), nil)}
	const workers, each = 64, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			l := nodes[w%2]
			for i := range each {
				if _, err := l.Append(ctx, audit.Record{Kind: audit.KindSCIMRequest, Actor: fmt.Sprintf("node-%d", w%2),
					Subject: fmt.Sprintf("w%d-%d", w, i), Action: "POST /scim/v2/Users"}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	wantIntact(t, mustVerify(t, nodes[0]), 1, workers*each)
	wantIntact(t, mustVerify(t, nodes[1]), 1, workers*each)
	// Every append is there exactly once.
	rs, err := nodes[0].Query(ctx, audit.Filter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rs {
		seen[r.Subject] = true
	}
	if len(rs) != workers*each || len(seen) != workers*each {
		t.Fatalf("%d records, %d distinct; want %d", len(rs), len(seen), workers*each)
	}
}

func auditDetectEdit(t *testing.T, b AuditBackend) {
	l := newAuditLog(b.Store, nil)
	auditFill(t, l, 8)
	wantIntact(t, mustVerify(t, l), 1, 8)
	mustExec(t, b, `UPDATE audit_records SET reason = 'allowed' WHERE seq = 5`)
	rep := mustVerify(t, l)
	wantBreak(t, rep, 5, audit.BreakEdited)
	if rep.Records != 4 || rep.Last != 4 || !strings.Contains(rep.Break.Message, "edited") {
		t.Fatalf("report: %+v %+v", rep, rep.Break)
	}
	// Each column is covered by the hash.
	for _, set := range []string{`at = at + 1`, `actor = 'mallory'`, `kind = 'signin.success'`, `subject = 'x'`, `action = 'x'`,
		`outcome = 'failure'`, `details = '{"i":2,"ip":"10.0.0.1"}'`, `hash = 'ab'`} {
		mustExec(t, b, `UPDATE audit_records SET reason = 'wrong password' WHERE seq = 5`)
		wantIntact(t, mustVerify(t, l), 1, 8)
		mustExec(t, b, `CREATE TABLE audit_save AS SELECT * FROM audit_records WHERE seq = 3`)
		mustExec(t, b, `UPDATE audit_records SET `+set+` WHERE seq = 3`)
		if rep := mustVerify(t, l); rep.Break == nil || rep.Break.Seq != 3 || rep.Break.Kind != audit.BreakEdited {
			t.Fatalf("SET %s: break %+v; want edited at seq 3", set, rep.Break)
		}
		mustExec(t, b, `DELETE FROM audit_records WHERE seq = 3`)
		mustExec(t, b, `INSERT INTO audit_records SELECT * FROM audit_save`)
		mustExec(t, b, `DROP TABLE audit_save`)
	}
	// Editing prev_hash breaks the link instead.
	mustExec(t, b, `UPDATE audit_records SET prev_hash = hash WHERE seq = 6`)
	wantBreak(t, mustVerify(t, l), 6, audit.BreakOrder)
}

func auditDetectDelete(t *testing.T, b AuditBackend) {
	l := newAuditLog(b.Store, nil)
	auditFill(t, l, 8)
	mustExec(t, b, `DELETE FROM audit_records WHERE seq = 5`)
	rep := mustVerify(t, l)
	wantBreak(t, rep, 5, audit.BreakMissing)
	if !strings.Contains(rep.Break.Message, "seq 5 is missing") {
		t.Fatalf("message: %s", rep.Break.Message)
	}
	// Deleting the first records, with no anchor to explain it, is seen too.
	mustExec(t, b, `DELETE FROM audit_records WHERE seq <= 2`)
	wantBreak(t, mustVerify(t, l), 1, audit.BreakMissing)
	// Renumbering to close the gap leaves the hashes wrong.
	mustExec(t, b, `DELETE FROM audit_records WHERE seq > 4`)
	mustExec(t, b, `UPDATE audit_records SET seq = seq - 2`)
	wantBreak(t, mustVerify(t, l), 1, audit.BreakOrder)
}

func auditDetectSwap(t *testing.T, b AuditBackend) {
	l := newAuditLog(b.Store, nil)
	auditFill(t, l, 8)
	// Swap the positions of records 4 and 5.
	mustExec(t, b, `UPDATE audit_records SET seq = -1 WHERE seq = 4`)
	mustExec(t, b, `UPDATE audit_records SET seq = 4 WHERE seq = 5`)
	mustExec(t, b, `UPDATE audit_records SET seq = 5 WHERE seq = -1`)
	rep := mustVerify(t, l)
	wantBreak(t, rep, 4, audit.BreakOrder)
	if !strings.Contains(rep.Break.Message, "reordered") {
		t.Fatalf("message: %s", rep.Break.Message)
	}
	// Swapping back restores the chain: the check is of content, not of rows.
	mustExec(t, b, `UPDATE audit_records SET seq = -1 WHERE seq = 4`)
	mustExec(t, b, `UPDATE audit_records SET seq = 4 WHERE seq = 5`)
	mustExec(t, b, `UPDATE audit_records SET seq = 5 WHERE seq = -1`)
	wantIntact(t, mustVerify(t, l), 1, 8)
	// Swapping every column but seq (the contents) is seen as well.
	mustExec(t, b, `UPDATE audit_records SET seq = -1 WHERE seq = 6`)
	mustExec(t, b, `UPDATE audit_records SET seq = 6 WHERE seq = 7`)
	mustExec(t, b, `UPDATE audit_records SET seq = 7 WHERE seq = -1`)
	wantBreak(t, mustVerify(t, l), 6, audit.BreakOrder)
}

func auditTruncatedTail(t *testing.T, b AuditBackend) {
	ctx := context.Background()
	l := newAuditLog(b.Store, nil)
	auditFill(t, l, 8)
	rep := mustVerify(t, l)
	kept := audit.Head{Seq: rep.Last, Hash: rep.LastHash}
	if err := l.CheckHead(ctx, kept); err != nil {
		t.Fatal(err)
	}
	// The chain alone cannot tell that its newest records were cut off...
	mustExec(t, b, `DELETE FROM audit_records WHERE seq >= 7`)
	wantIntact(t, mustVerify(t, l), 1, 6)
	// ...but a head kept outside the database can.
	if err := l.CheckHead(ctx, kept); err == nil || !strings.Contains(err.Error(), "seq 8") {
		t.Fatalf("check head after truncation: %v", err)
	}
	// Appending again reuses seq 7 and 8 with other hashes: still caught.
	auditFill(t, l, 2)
	if err := l.CheckHead(ctx, kept); err == nil || !strings.Contains(err.Error(), "rewritten") {
		t.Fatalf("check head after rewrite: %v", err)
	}
}

func auditPrune(t *testing.T, b AuditBackend) {
	ctx := context.Background()
	l := newAuditLog(b.Store, nil)
	recs := auditFill(t, l, 10) // seq 1..10 at auditT0 + 1..10 min
	n, err := l.Prune(ctx, "admin", auditT0.Add(5*time.Minute+30*time.Second))
	if err != nil || n != 5 {
		t.Fatalf("prune: %d, %v", n, err)
	}
	a, err := b.Store.Anchor(ctx)
	if err != nil || a == nil || a.Seq != 5 || a.Hash != recs[4].Hash {
		t.Fatalf("anchor: %+v, %v", a, err)
	}
	rep := mustVerify(t, l)
	wantIntact(t, rep, 6, 11)
	if rep.Anchor == nil || rep.Anchor.Seq != 5 {
		t.Fatalf("report anchor: %+v", rep.Anchor)
	}
	// The prune is itself a record, naming the anchor.
	p, err := b.Store.Get(ctx, 11)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != audit.KindAuditPrune || p.Actor != "admin" || p.PrevHash != recs[9].Hash ||
		fmt.Sprint(p.Details["through_seq"]) != "5" || p.Details["through_hash"] != recs[4].Hash || fmt.Sprint(p.Details["records"]) != "5" {
		t.Fatalf("prune record: %+v", p)
	}
	if _, err := b.Store.Get(ctx, 5); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("seq 5 after prune: %v", err)
	}
	// Nothing older: no deletion, the anchor stays, the attempt is logged.
	if n, err := l.Prune(ctx, "admin", auditT0); err != nil || n != 0 {
		t.Fatalf("prune nothing: %d, %v", n, err)
	}
	auditFill(t, l, 2) // seq 13, 14
	wantIntact(t, mustVerify(t, l), 6, 14)
	// Prune everything: the chain continues from the anchor alone.
	if n, err := l.Prune(ctx, "admin", auditT0.Add(24*time.Hour)); err != nil || n != 9 {
		t.Fatalf("prune all: %d, %v", n, err)
	}
	wantIntact(t, mustVerify(t, l), 15, 15)
	auditFill(t, l, 1)
	wantIntact(t, mustVerify(t, l), 15, 16)
	// Deleting a record after the anchor is still caught.
	mustExec(t, b, `DELETE FROM audit_records WHERE seq = 15`)
	wantBreak(t, mustVerify(t, l), 15, audit.BreakMissing)
}

func auditPruneAnchorTamper(t *testing.T, b AuditBackend) {
	ctx := context.Background()
	l := newAuditLog(b.Store, nil)
	recs := auditFill(t, l, 10)
	if _, err := l.Prune(ctx, "admin", auditT0.Add(3*time.Minute+30*time.Second)); err != nil {
		t.Fatal(err)
	}
	wantIntact(t, mustVerify(t, l), 4, 11)
	// Moving the anchor to hide seq 4..5 (with a correct MAC, as someone
	// without a key can compute) is caught: no prune record names it.
	mustExec(t, b, `DELETE FROM audit_records WHERE seq <= 5`)
	a := &audit.Anchor{Seq: 5, Hash: recs[4].Hash, Time: auditT0}
	mustExec(t, b, `UPDATE audit_anchor SET seq = $1, hash = $2, pruned_at = $3, mac = $4`, a.Seq, a.Hash, a.Time.UnixMilli(), audit.AnchorMAC(nil, a))
	rep := mustVerify(t, l)
	wantBreak(t, rep, 5, audit.BreakAnchor)
	// An anchor edited without recomputing its MAC is caught first.
	mustExec(t, b, `UPDATE audit_anchor SET pruned_at = pruned_at + 1`)
	wantBreak(t, mustVerify(t, l), 5, audit.BreakAnchor)
	// Deleting the anchor leaves the chain starting at an unexplained seq.
	mustExec(t, b, `DELETE FROM audit_anchor`)
	wantBreak(t, mustVerify(t, l), 1, audit.BreakMissing)
}

// auditRewrite edits record seq and recomputes its hash and every later one
// with key, as an attacker with database access (and key, if given) would.
func auditRewrite(t *testing.T, b AuditBackend, key []byte, seq int64, reason string) {
	t.Helper()
	var recs []*audit.Record
	if err := b.Store.Scan(context.Background(), seq-1, time.Time{}, func(r *audit.Record) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	prev := recs[0].PrevHash
	if recs[0].Seq != seq {
		prev = recs[0].Hash
		recs = recs[1:]
	}
	for _, r := range recs {
		if r.Seq == seq {
			r.Reason = reason
		}
		r.PrevHash = prev
		h, err := audit.ComputeHash(key, r)
		if err != nil {
			t.Fatal(err)
		}
		r.Hash, prev = h, h
		mustExec(t, b, `UPDATE audit_records SET reason = $1, prev_hash = $2, hash = $3 WHERE seq = $4`, r.Reason, r.PrevHash, r.Hash, r.Seq)
	}
}

func auditHMAC(t *testing.T, b AuditBackend) {
	key := []byte("0123456789abcdef0123456789abcdef")
	keyed := newAuditLog(b.Store, key)
	recs := auditFill(t, keyed, 8)
	if h, _ := audit.ComputeHash(nil, &recs[0]); h == recs[0].Hash {
		t.Fatal("keyed hash equals plain SHA-256")
	}
	if h, _ := audit.ComputeHash(key, &recs[0]); h != recs[0].Hash {
		t.Fatal("keyed hash is not HMAC-SHA256 under the key")
	}
	wantIntact(t, mustVerify(t, keyed), 1, 8)
	// Without the key, or with another, nothing verifies.
	wantBreak(t, mustVerify(t, audit.NewLog(b.Store, nil)), 1, audit.BreakEdited)
	wantBreak(t, mustVerify(t, audit.NewLog(b.Store, []byte("another key"))), 1, audit.BreakEdited)
	// Edit seq 5 and recompute SHA-256 over it and every later record: a
	// keyless chain would verify again; the keyed one does not.
	auditRewrite(t, b, nil, 5, "allowed")
	rep := mustVerify(t, keyed)
	wantBreak(t, rep, 5, audit.BreakEdited)
	if !strings.Contains(rep.Break.Message, "plain SHA-256") {
		t.Fatalf("message: %s", rep.Break.Message)
	}
	// Only the key's holder can rewrite: the reason the key exists.
	auditRewrite(t, b, key, 5, "allowed")
	wantIntact(t, mustVerify(t, keyed), 1, 8)
	// Prune anchors are keyed too.
	if _, err := keyed.Prune(context.Background(), "admin", auditT0.Add(2*time.Minute+30*time.Second)); err != nil {
		t.Fatal(err)
	}
	wantIntact(t, mustVerify(t, keyed), 3, 9)
	a, _ := b.Store.Anchor(context.Background())
	mustExec(t, b, `UPDATE audit_anchor SET mac = $1`, audit.AnchorMAC(nil, a))
	wantBreak(t, mustVerify(t, keyed), 2, audit.BreakAnchor)
}
