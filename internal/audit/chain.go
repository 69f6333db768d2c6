package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// canonical is the encoding a record's hash covers: every field but Hash, in
// a fixed order, with a version so that the encoding can change later. Time
// is Unix milliseconds (what the store keeps); Details is the JSON of the map
// with its keys sorted (encoding/json sorts map keys), so any two encodings of
// one map give the same bytes.
type canonical struct {
	V        int             `json:"v"`
	Seq      int64           `json:"seq"`
	TimeMS   int64           `json:"time_ms"`
	Actor    string          `json:"actor"`
	Kind     string          `json:"kind"`
	Subject  string          `json:"subject"`
	Action   string          `json:"action"`
	Outcome  string          `json:"outcome"`
	Reason   string          `json:"reason"`
	Details  json.RawMessage `json:"details"`
	PrevHash string          `json:"prev_hash"`
}

// Canonical returns the bytes a record's hash covers.
func Canonical(r *Record) ([]byte, error) {
	d, err := r.StoredDetails()
	if err != nil {
		return nil, err
	}
	return json.Marshal(canonical{V: 1, Seq: r.Seq, TimeMS: r.Time.UnixMilli(), Actor: r.Actor, Kind: r.Kind,
		Subject: r.Subject, Action: r.Action, Outcome: r.Outcome, Reason: r.Reason, Details: d, PrevHash: r.PrevHash})
}

// ComputeHash returns the hash of r: hex SHA-256 of Canonical(r), or hex
// HMAC-SHA256 under key when key is not empty.
func ComputeHash(key []byte, r *Record) (string, error) {
	c, err := Canonical(r)
	if err != nil {
		return "", err
	}
	return digest(key, c), nil
}

func digest(key, msg []byte) string {
	if len(key) == 0 {
		sum := sha256.Sum256(msg)
		return hex.EncodeToString(sum[:])
	}
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}

// AnchorMAC is the MAC an anchor carries: over its seq, hash and time, under
// key (SHA-256 alone without one, which detects only accidental edits).
func AnchorMAC(key []byte, a *Anchor) string {
	return digest(key, fmt.Appendf(nil, "gatehouse-audit-anchor-v1\n%d\n%s\n%d\n", a.Seq, a.Hash, a.Time.UnixMilli()))
}

// detailsJSON is the stored and hashed form of a record's details: "{}" when
// there are none.
func detailsJSON(d map[string]any) (json.RawMessage, error) {
	if len(d) == 0 {
		return json.RawMessage("{}"), nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("%w: details: %v", ErrInvalid, err)
	}
	return b, nil
}

// ParseDetails reads what StoredDetails wrote. Numbers stay json.Number, so
// that encoding them again gives the same bytes.
func ParseDetails(s string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var d map[string]any
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("audit: details: %w", err)
	}
	if len(d) == 0 {
		return nil, nil
	}
	return d, nil
}

// normalize puts r in the form the store gives back, so that the hash
// computed before the insert is the one Verify computes after reading it:
// time in UTC milliseconds, valid UTF-8, details through a JSON round trip
// (structs become maps, numbers json.Number). It keeps the details' JSON
// for the store and the hash (StoredDetails).
func normalize(r *Record) error {
	r.Time = time.UnixMilli(r.Time.UnixMilli()).UTC()
	for _, s := range []*string{&r.Actor, &r.Kind, &r.Subject, &r.Action, &r.Outcome, &r.Reason} {
		*s = strings.ToValidUTF8(*s, "\uFFFD")
	}
	switch {
	case len(r.Details) == 0:
		r.Details = nil
	case roundTripsAsIs(r.Details):
		// Decoding its JSON would give back an equal map: copy it instead
		// (a sign-in's details; decoding was a hundredth of its CPU).
		r.Details = maps.Clone(r.Details)
	default:
		d, err := detailsJSON(r.Details)
		if err != nil {
			return err
		}
		if r.Details, err = ParseDetails(string(d)); err != nil {
			return err
		}
	}
	var err error
	r.details, err = detailsJSON(r.Details)
	return err
}

// roundTripsAsIs reports whether ParseDetails(detailsJSON(d)) equals d:
// d holds only booleans and valid UTF-8 strings, which JSON carries
// unchanged.
func roundTripsAsIs(d map[string]any) bool {
	for _, v := range d {
		switch v := v.(type) {
		case bool:
		case string:
			if !utf8.ValidString(v) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// BreakKind classifies a break in the chain.
type BreakKind string

// The breaks Verify reports.
const (
	BreakEdited  BreakKind = "edited"  // the record's hash does not match its content
	BreakMissing BreakKind = "missing" // a seq is missing: records were deleted
	BreakOrder   BreakKind = "order"   // PrevHash does not link: reordered, inserted or replaced
	BreakAnchor  BreakKind = "anchor"  // the prune anchor was altered or does not match its prune record
)

// Break is the first point where the chain does not hold.
type Break struct {
	Seq     int64     `json:"seq"`
	Kind    BreakKind `json:"kind"`
	Message string    `json:"message"`
}

// Error makes a Break an error, so that the CLI can return it.
func (b *Break) Error() string {
	return fmt.Sprintf("audit chain broken at seq %d (%s): %s", b.Seq, b.Kind, b.Message)
}

// Report is the outcome of a verification.
type Report struct {
	Records  int64   `json:"records"`   // records checked
	First    int64   `json:"first"`     // seq of the first record checked (0 if none)
	Last     int64   `json:"last"`      // seq of the last record checked
	LastHash string  `json:"last_hash"` // its hash: keep it elsewhere to detect truncation later
	Anchor   *Anchor `json:"anchor,omitempty"`
	Break    *Break  `json:"break,omitempty"`
}

// OK reports whether the chain is intact.
func (r *Report) OK() bool { return r.Break == nil }

// Verifier checks records one at a time, in seq order, and stops at the first
// break. Log.Verify and VerifyJSONL use it; an external verifier can too.
type Verifier struct {
	key     []byte
	trust   bool // take seq and PrevHash of the first record as given
	next    int64
	prev    string
	report  Report
	pruneAt *Head // through_seq and through_hash of the last prune record seen
}

// NewVerifier returns a verifier for a chain that starts after start (the
// anchor, or {0, Genesis}). With start nil it trusts the first record's seq
// and PrevHash: for an export that begins in the middle of a chain.
func NewVerifier(key []byte, start *Head) *Verifier {
	v := &Verifier{key: key}
	if start == nil {
		v.trust = true
	} else {
		v.next, v.prev = start.Seq+1, start.Hash
	}
	return v
}

// Add checks the next record and returns the break it shows, if any. After a
// break it returns that break again without checking more.
func (v *Verifier) Add(r *Record) *Break {
	if v.report.Break != nil {
		return v.report.Break
	}
	if v.trust {
		v.next, v.prev, v.trust = r.Seq, r.PrevHash, false
	}
	// 1. The seq must follow: a gap means deleted records.
	switch {
	case r.Seq > v.next:
		return v.fail(v.next, BreakMissing, fmt.Sprintf("record seq %d is missing (the next record present is seq %d): %d record(s) deleted",
			v.next, r.Seq, r.Seq-v.next))
	case r.Seq < v.next:
		return v.fail(r.Seq, BreakOrder, fmt.Sprintf("record seq %d is out of place (seq %d expected next): records were reordered or inserted", r.Seq, v.next))
	}
	// 2. PrevHash must be the hash of the record before.
	if r.PrevHash != v.prev {
		return v.fail(r.Seq, BreakOrder, fmt.Sprintf("prev_hash of seq %d does not match the hash of seq %d: a record was reordered, inserted or replaced",
			r.Seq, r.Seq-1))
	}
	// 3. The hash must be that of the content.
	want, err := ComputeHash(v.key, r)
	if err != nil {
		return v.fail(r.Seq, BreakEdited, err.Error())
	}
	if !hmac.Equal([]byte(want), []byte(r.Hash)) {
		msg := fmt.Sprintf("hash of seq %d does not match its content: the record was edited after it was written", r.Seq)
		if plain, _ := ComputeHash(nil, r); len(v.key) > 0 && plain == r.Hash {
			msg += " (its hash is a plain SHA-256, not the HMAC under the key: recomputed by someone without the key, or written without a key)"
		}
		return v.fail(r.Seq, BreakEdited, msg)
	}
	if r.Kind == KindAuditPrune {
		if h, ok := pruneThrough(r); ok {
			v.pruneAt = &h
		}
	}
	if v.report.Records == 0 {
		v.report.First = r.Seq
	}
	v.report.Records++
	v.report.Last, v.report.LastHash = r.Seq, r.Hash
	v.next, v.prev = r.Seq+1, r.Hash
	return nil
}

func (v *Verifier) fail(seq int64, kind BreakKind, msg string) *Break {
	v.report.Break = &Break{Seq: seq, Kind: kind, Message: msg}
	return v.report.Break
}

// checkAnchor checks the anchor's MAC before the walk.
func (v *Verifier) checkAnchor(a *Anchor) *Break {
	v.report.Anchor = a
	if a == nil {
		return nil
	}
	if !hmac.Equal([]byte(AnchorMAC(v.key, a)), []byte(a.MAC)) {
		return v.fail(a.Seq, BreakAnchor, fmt.Sprintf("the prune anchor (seq %d) does not match its MAC: it was altered", a.Seq))
	}
	return nil
}

// finishAnchor checks, after the walk, that the last prune record in the
// chain names the anchor: moving the anchor forward to hide deleted records
// would need a forged prune record, which the chain's hashes expose.
func (v *Verifier) finishAnchor(a *Anchor) *Break {
	if v.report.Break != nil || a == nil {
		return v.report.Break
	}
	switch {
	case v.pruneAt == nil:
		return v.fail(a.Seq, BreakAnchor, fmt.Sprintf("the chain starts at a prune anchor (seq %d) but no prune record names it", a.Seq))
	case v.pruneAt.Seq != a.Seq || v.pruneAt.Hash != a.Hash:
		return v.fail(a.Seq, BreakAnchor, fmt.Sprintf("the prune anchor (seq %d) is not the one the last prune record names (seq %d)",
			a.Seq, v.pruneAt.Seq))
	}
	return nil
}

// Report returns the outcome so far.
func (v *Verifier) Report() *Report { r := v.report; return &r }

// pruneThrough reads the anchor a prune record names.
func pruneThrough(r *Record) (Head, bool) {
	s, ok1 := r.Details["through_seq"]
	h, ok2 := r.Details["through_hash"].(string)
	if !ok1 || !ok2 {
		return Head{}, false
	}
	seq, err := strconv.ParseInt(fmt.Sprint(s), 10, 64)
	if err != nil {
		return Head{}, false
	}
	return Head{Seq: seq, Hash: h}, true
}
