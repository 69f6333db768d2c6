package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// TestCanonicalPinned pins the encoding and the hash of one record: a change
// to either would break every chain already written.
func TestCanonicalPinned(t *testing.T) {
	r := Record{Seq: 7, Time: time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC), Actor: "alice", Kind: KindSignInRefused,
		Subject: "alice", Action: "login", Outcome: OutcomeRefused, Reason: "wrong password",
		Details: map[string]any{"z": 1, "a": "<b>", "m": map[string]any{"y": true, "x": nil}}, PrevHash: Genesis}
	if err := normalize(&r); err != nil {
		t.Fatal(err)
	}
	c, err := Canonical(&r)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"v":1,"seq":7,"time_ms":1772442000123,"actor":"alice","kind":"signin.refused","subject":"alice","action":"login",` +
		`"outcome":"refused","reason":"wrong password","details":{"a":"\u003cb\u003e","m":{"x":null,"y":true},"z":1},` +
		`"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000"}`
	if string(c) != want {
		t.Fatalf("canonical:\n got %s\nwant %s", c, want)
	}
	h, _ := ComputeHash(nil, &r)
	k, _ := ComputeHash([]byte("k"), &r)
	if h != "df8ae026fbf3ba761dd95264f32eabfce9cc28f158bb8b11cfcaa61332ecf51a" || k == h || len(k) != 64 {
		t.Fatalf("sha256 %s, hmac %s", h, k)
	}
	// Struct details hash as the map they read back as.
	type s struct {
		Z int    `json:"z"`
		A string `json:"a"`
	}
	r1 := Record{Kind: "k", Details: map[string]any{"s": s{Z: 1, A: "x"}}}
	r2 := Record{Kind: "k", Details: map[string]any{"s": map[string]any{"a": "x", "z": json.Number("1")}}}
	normalize(&r1)
	normalize(&r2)
	h1, _ := ComputeHash(nil, &r1)
	h2, _ := ComputeHash(nil, &r2)
	if h1 != h2 {
		t.Fatalf("struct and map details hash differently: %s %s", h1, h2)
	}
}

// normalize gives details of strings and booleans back unchanged without a
// JSON round trip, as a copy, and still replaces invalid UTF-8; the JSON
// it keeps for the store and the hash is what the read-back record gives.
func TestNormalizeDetails(t *testing.T) {
	in := map[string]any{"sp": "https://sp.example.test/metadata", "mfa": true}
	r := Record{Kind: "k", Details: in}
	if err := normalize(&r); err != nil {
		t.Fatal(err)
	}
	in["sp"] = "changed by the caller"
	if r.Details["sp"] != "https://sp.example.test/metadata" || r.Details["mfa"] != true || len(r.Details) != 2 {
		t.Errorf("details %v", r.Details)
	}
	if d, _ := r.StoredDetails(); string(d) != `{"mfa":true,"sp":"https://sp.example.test/metadata"}` {
		t.Errorf("stored details %s", d)
	}
	bad := Record{Kind: "k", Details: map[string]any{"name": "a\xffb", "n": 2}}
	if err := normalize(&bad); err != nil {
		t.Fatal(err)
	}
	if bad.Details["name"] != "a\uFFFDb" || bad.Details["n"] != json.Number("2") {
		t.Errorf("details %#v", bad.Details)
	}
	for _, d := range []map[string]any{nil, {}} {
		e := Record{Kind: "k", Details: d}
		if err := normalize(&e); err != nil || e.Details != nil {
			t.Errorf("normalize(%#v): details %#v, %v", d, e.Details, err)
		}
		if got, _ := e.StoredDetails(); string(got) != "{}" {
			t.Errorf("stored details of %#v: %s", d, got)
		}
	}
}

// memStore is the smallest Store: a slice under no lock (tests are serial).
type memStore struct {
	recs   []Record
	anchor *Anchor
}

func (m *memStore) head() Head {
	if n := len(m.recs); n > 0 {
		return Head{m.recs[n-1].Seq, m.recs[n-1].Hash}
	}
	if m.anchor != nil {
		return Head{m.anchor.Seq, m.anchor.Hash}
	}
	return Head{Hash: Genesis}
}

func (m *memStore) Append(_ context.Context, r *Record, seal SealFunc) error {
	if err := seal(r, m.head()); err != nil {
		return err
	}
	m.recs = append(m.recs, *r)
	return nil
}

func (m *memStore) Prune(_ context.Context, before time.Time, plan PrunePlan, seal SealFunc) (int64, error) {
	var n int
	for n < len(m.recs) && m.recs[n].Time.Before(before) {
		n++
	}
	var last Head
	if n > 0 {
		last = Head{m.recs[n-1].Seq, m.recs[n-1].Hash}
	}
	m.recs = m.recs[n:]
	a, r, err := plan(last, int64(n))
	if err != nil {
		return 0, err
	}
	if a != nil {
		m.anchor = a
	}
	return int64(n), m.Append(context.Background(), r, seal)
}

func (m *memStore) Anchor(context.Context) (*Anchor, error) { return m.anchor, nil }

func (m *memStore) Scan(_ context.Context, after int64, since time.Time, fn func(*Record) error) error {
	for i := range m.recs {
		r := m.recs[i]
		if r.Seq > after && !r.Time.Before(since) {
			if err := fn(&r); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *memStore) Get(_ context.Context, seq int64) (*Record, error) {
	for _, r := range m.recs {
		if r.Seq == seq {
			return &r, nil
		}
	}
	return nil, ErrNotFound
}

func (m *memStore) Query(context.Context, Filter) ([]Record, error) { return nil, nil }

func TestLogOnMemStore(t *testing.T) {
	ctx := context.Background()
	m := &memStore{}
	l := NewLog(m, []byte("key"))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.Now = func() time.Time { now = now.Add(time.Hour); return now }
	for range 6 {
		if _, err := l.Append(ctx, Record{Kind: KindReviewDecision, Actor: "owner", Subject: "review-1", Action: "approve"}); err != nil {
			t.Fatal(err)
		}
	}
	rep, _ := l.Verify(ctx)
	if !rep.OK() || rep.Records != 6 || !l.Keyed() {
		t.Fatalf("report %+v", rep)
	}
	if n, err := l.Prune(ctx, "", now.Add(-150*time.Minute)); err != nil || n != 3 {
		t.Fatalf("prune: %d %v", n, err)
	}
	rep, _ = l.Verify(ctx)
	if !rep.OK() || rep.First != 4 || rep.Last != 7 || m.recs[3].Actor != ActorSystem {
		t.Fatalf("after prune: %+v %+v", rep, rep.Break)
	}
	var buf bytes.Buffer
	if n, err := l.Export(ctx, &buf, time.Time{}); err != nil || n != 4 {
		t.Fatalf("export: %d %v", n, err)
	}
	if rep, err := VerifyJSONL(bytes.NewReader(buf.Bytes()), []byte("key")); err != nil || !rep.OK() || rep.First != 4 || rep.Last != 7 {
		t.Fatalf("verify export: %+v %v", rep, err)
	}
	// Lines in another order are caught by an external verifier.
	lines := strings.SplitAfter(buf.String(), "\n")
	swapped := lines[0] + lines[2] + lines[1] + lines[3]
	if rep, _ := VerifyJSONL(strings.NewReader(swapped), []byte("key")); rep.OK() || rep.Break.Kind != BreakMissing || rep.Break.Seq != 5 {
		t.Fatalf("swapped export: %+v", rep.Break)
	}
	if _, err := VerifyJSONL(strings.NewReader("{not json"), nil); err == nil {
		t.Fatal("malformed export accepted")
	}
	if r, err := Discard.Append(ctx, Record{Kind: "x"}); err != nil || r.Kind != "x" {
		t.Fatal("discard")
	}
}

func TestVerifierMessages(t *testing.T) {
	v := NewVerifier(nil, &Head{Hash: Genesis})
	r := Record{Seq: 1, Kind: "k", PrevHash: Genesis}
	r.Hash, _ = ComputeHash(nil, &r)
	if b := v.Add(&r); b != nil {
		t.Fatal(b)
	}
	r3 := Record{Seq: 3, Kind: "k", PrevHash: r.Hash}
	b := v.Add(&r3)
	if b == nil || b.Kind != BreakMissing || b.Seq != 2 ||
		b.Error() != "audit chain broken at seq 2 (missing): record seq 2 is missing (the next record present is seq 3): 1 record(s) deleted" {
		t.Fatalf("break: %v", b)
	}
	if v.Add(&r) != b || v.Report().Records != 1 {
		t.Fatal("verifier went on after a break")
	}
}

// TestDerivedKey checks the key the server and the CLI derive from the
// secret key file: stable, 32 bytes, and specific to the audit label.
func TestDerivedKey(t *testing.T) {
	box, err := secret.NewBox(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	k1, k2, other := box.DeriveKey(KeyLabel), box.DeriveKey(KeyLabel), box.DeriveKey("something else")
	if len(k1) != 32 || !bytes.Equal(k1, k2) || bytes.Equal(k1, other) || bytes.Equal(k1, bytes.Repeat([]byte{7}, 32)) {
		t.Fatalf("derived keys: %x %x %x", k1, k2, other)
	}
}
