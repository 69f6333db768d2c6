package storetest

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
)

// tf is a time far from the wall clock, so a store that looks at the clock
// instead of the now it is given fails the limit tests.
var tf = time.Date(2040, 6, 1, 12, 0, 0, 0, time.UTC)

// newToken makes a token created at created that expires after life.
func newToken(created time.Time, life time.Duration) (*center.SCIMToken, string) {
	tok, bearer := center.NewSCIMToken(created)
	tok.Expires = created.Add(life)
	return tok, bearer
}

func (e *env) createToken(tok *center.SCIMToken, now time.Time) {
	e.t.Helper()
	if err := e.s.CreateSCIMToken(e.ctx, tok, now); err != nil {
		e.t.Fatalf("CreateSCIMToken(%s) at %v: %v", tok.ID, now, err)
	}
}

func (e *env) getToken(id string) *center.SCIMToken {
	e.t.Helper()
	tok, err := e.s.GetSCIMToken(e.ctx, id)
	if err != nil {
		e.t.Fatalf("GetSCIMToken(%s): %v", id, err)
	}
	return tok
}

func (e *env) sameToken(what string, got, want *center.SCIMToken) {
	e.t.Helper()
	if got.ID != want.ID || got.SecretHash != want.SecretHash {
		e.t.Errorf("%s: id %q hash %q, want %q %q", what, got.ID, got.SecretHash, want.ID, want.SecretHash)
	}
	e.sameTime(what+" created", got.Created, want.Created)
	e.sameTime(what+" expires", got.Expires, want.Expires)
	switch {
	case (got.Revoked == nil) != (want.Revoked == nil):
		e.t.Errorf("%s: revoked = %v, want %v", what, got.Revoked, want.Revoked)
	case got.Revoked != nil:
		e.sameTime(what+" revoked", *got.Revoked, *want.Revoked)
	}
}

// tokenIDs lists the stored tokens' ids, sorted.
func (e *env) tokenIDs() []string {
	e.t.Helper()
	list, err := e.s.ListSCIMTokens(e.ctx)
	e.noErr("ListSCIMTokens", err)
	out := []string{}
	for _, t := range list {
		out = append(out, t.ID)
	}
	slices.Sort(out)
	return out
}

func tokenIDs(toks ...*center.SCIMToken) []string {
	out := []string{}
	for _, t := range toks {
		out = append(out, t.ID)
	}
	slices.Sort(out)
	return out
}

func testTokenRoundTrip(e *env) {
	e.sameIDs("tokens of an empty store", e.tokenIDs(), nil)
	a, _ := center.NewSCIMToken(t0)
	e.createToken(a, t0)
	e.sameToken("GetSCIMToken", e.getToken(a.ID), a)
	b, _ := center.NewSCIMToken(t0.Add(time.Minute))
	e.createToken(b, t0.Add(time.Minute))
	list, err := e.s.ListSCIMTokens(e.ctx)
	e.noErr("ListSCIMTokens", err)
	if len(list) != 2 {
		e.t.Fatalf("ListSCIMTokens = %d tokens, want 2", len(list))
	}
	for _, got := range list {
		want := a
		if got.ID == b.ID {
			want = b
		}
		e.sameToken("listed token", got, want)
	}
	// A taken id is a conflict, even with room for another active token.
	e.noErr("RevokeSCIMToken", e.s.RevokeSCIMToken(e.ctx, b.ID, t0.Add(time.Hour)))
	dup, _ := center.NewSCIMToken(t0)
	dup.ID = a.ID
	e.wantErr("CreateSCIMToken with a taken id", e.s.CreateSCIMToken(e.ctx, dup, t0.Add(time.Hour)), center.ErrConflict)
	e.sameToken("first token", e.getToken(a.ID), a)
}

func testTokenNotFound(e *env) {
	a, _ := center.NewSCIMToken(t0)
	e.createToken(a, t0)
	_, err := e.s.GetSCIMToken(e.ctx, "0123456789abcdef")
	e.wantErr("GetSCIMToken(missing)", err, center.ErrNotFound)
	_, err = e.s.GetSCIMToken(e.ctx, "")
	e.wantErr("GetSCIMToken(\"\")", err, center.ErrNotFound)
	e.wantErr("RevokeSCIMToken(missing)", e.s.RevokeSCIMToken(e.ctx, "0123456789abcdef", t0), center.ErrNotFound)
	e.sameToken("the stored token", e.getToken(a.ID), a)
}

// Revoking records the time once; revoking again succeeds and keeps it.
func testTokenRevoke(e *env) {
	a, _ := center.NewSCIMToken(t0)
	b, _ := center.NewSCIMToken(t0)
	e.createToken(a, t0)
	e.createToken(b, t0)
	at := t0.Add(time.Hour)
	e.noErr("RevokeSCIMToken", e.s.RevokeSCIMToken(e.ctx, a.ID, at))
	want := *a
	want.Revoked = &at
	e.sameToken("revoked token", e.getToken(a.ID), &want)
	e.sameToken("other token", e.getToken(b.ID), b)
	e.noErr("RevokeSCIMToken again", e.s.RevokeSCIMToken(e.ctx, a.ID, at.Add(time.Hour)))
	e.sameToken("token revoked twice", e.getToken(a.ID), &want)
	if e.getToken(a.ID).Active(t0.Add(2 * time.Minute)) {
		e.t.Error("a revoked token is active")
	}
	// Revoked tokens stay listed.
	e.sameIDs("tokens", e.tokenIDs(), tokenIDs(a, b))
}

// At most two tokens are active at a time; a refused token is not stored,
// and revoking one makes room.
func testTokenLimit(e *env) {
	a, _ := center.NewSCIMToken(tf)
	b, _ := center.NewSCIMToken(tf)
	e.createToken(a, tf)
	e.createToken(b, tf)
	c, _ := center.NewSCIMToken(tf)
	e.wantErr("third active token", e.s.CreateSCIMToken(e.ctx, c, tf), center.ErrConflict)
	_, err := e.s.GetSCIMToken(e.ctx, c.ID)
	e.wantErr("GetSCIMToken(refused)", err, center.ErrNotFound)
	e.sameIDs("tokens", e.tokenIDs(), tokenIDs(a, b))

	e.noErr("RevokeSCIMToken", e.s.RevokeSCIMToken(e.ctx, a.ID, tf.Add(time.Minute)))
	e.createToken(c, tf.Add(2*time.Minute))
	d, _ := center.NewSCIMToken(tf)
	e.wantErr("third active token after a revocation", e.s.CreateSCIMToken(e.ctx, d, tf.Add(3*time.Minute)), center.ErrConflict)
	e.sameIDs("tokens", e.tokenIDs(), tokenIDs(a, b, c))
}

// Expired tokens do not count against the limit, judged at the given now:
// a token expiring exactly at now is no longer active (SCIMToken.Active).
func testTokenLimitExpired(e *env) {
	a, _ := newToken(tf, time.Hour)
	b, _ := newToken(tf, 2*time.Hour)
	e.createToken(a, tf)
	e.createToken(b, tf)
	c, _ := newToken(tf.Add(time.Hour), 3*time.Hour)
	e.wantErr("third token while both are active", e.s.CreateSCIMToken(e.ctx, c, tf.Add(time.Hour-time.Millisecond)), center.ErrConflict)
	e.createToken(c, tf.Add(time.Hour)) // a has just expired
	d, _ := newToken(tf.Add(time.Hour), 4*time.Hour)
	e.wantErr("third token with b and c active", e.s.CreateSCIMToken(e.ctx, d, tf.Add(time.Hour)), center.ErrConflict)
	d.Created = tf.Add(2*time.Hour + time.Millisecond)
	e.createToken(d, d.Created) // b has expired
	e.sameIDs("tokens", e.tokenIDs(), tokenIDs(a, b, c, d))

	// No more than two were ever active at once.
	list, err := e.s.ListSCIMTokens(e.ctx)
	e.noErr("ListSCIMTokens", err)
	for at := tf; at.Before(tf.Add(8 * time.Hour)); at = at.Add(time.Minute) {
		n := 0
		for _, t := range list {
			if t.Active(at) && !t.Created.After(at) {
				n++
			}
		}
		if n > center.MaxActiveSCIMTokens {
			e.t.Errorf("%d tokens active at %v", n, at)
		}
	}
}

// Racing creators get exactly two tokens in.
func testTokenLimitConcurrent(e *env) {
	const n = 8
	toks := make([]*center.SCIMToken, n)
	for i := range toks {
		toks[i], _ = center.NewSCIMToken(tf)
	}
	errs := make([]error, n)
	e.concurrently(n, func(i int) { errs[i] = e.s.CreateSCIMToken(e.ctx, toks[i], tf) })
	var won []*center.SCIMToken
	for i, err := range errs {
		switch {
		case err == nil:
			won = append(won, toks[i])
		case !errors.Is(err, center.ErrConflict):
			e.t.Errorf("CreateSCIMToken: %v, want nil or ErrConflict", err)
		}
	}
	if len(won) != center.MaxActiveSCIMTokens {
		e.t.Errorf("%d of %d racing tokens were created, want %d", len(won), n, center.MaxActiveSCIMTokens)
	}
	e.sameIDs("tokens", e.tokenIDs(), tokenIDs(won...))
}

// center.VerifySCIMToken on this store accepts exactly the good, unexpired,
// unrevoked bearer tokens.
func testVerifySCIMToken(e *env) {
	now := tf
	a, bearerA := center.NewSCIMToken(now)
	b, bearerB := center.NewSCIMToken(now)
	e.createToken(a, now)
	e.createToken(b, now)
	secretA := bearerA[strings.IndexByte(bearerA, '.')+1:]
	secretB := bearerB[strings.IndexByte(bearerB, '.')+1:]

	good := func(what, bearer string, at time.Time, want *center.SCIMToken) {
		e.t.Helper()
		got, err := center.VerifySCIMToken(e.ctx, e.s, bearer, at)
		if err != nil {
			e.t.Errorf("%s: %v", what, err)
			return
		}
		if got.ID != want.ID {
			e.t.Errorf("%s: token %s, want %s", what, got.ID, want.ID)
		}
	}
	bad := func(what, bearer string, at time.Time) {
		e.t.Helper()
		got, err := center.VerifySCIMToken(e.ctx, e.s, bearer, at)
		if !errors.Is(err, center.ErrUnauthorized) || got != nil {
			e.t.Errorf("%s: token %v, err %v, want ErrUnauthorized", what, got, err)
		}
	}
	good("token a", bearerA, now, a)
	good("token b", bearerB, now, b)
	good("token a just before expiry", bearerA, a.Expires.Add(-time.Millisecond), a)
	bad("token a at expiry", bearerA, a.Expires)
	bad("token a after expiry", bearerA, a.Expires.Add(time.Hour))
	bad("a's id with b's secret", a.ID+"."+secretB, now)
	bad("a's id with a changed secret", a.ID+"."+strings.ToUpper(secretA), now)
	bad("unknown id", "0123456789abcdef."+secretA, now)
	for _, s := range []string{"", ".", bearerA[:strings.IndexByte(bearerA, '.')], "." + secretA, a.ID + ".", secretA} {
		bad("malformed "+s, s, now)
	}
	e.noErr("RevokeSCIMToken", e.s.RevokeSCIMToken(e.ctx, a.ID, now.Add(time.Minute)))
	bad("revoked token a", bearerA, now.Add(2*time.Minute))
	good("token b after a's revocation", bearerB, now.Add(2*time.Minute), b)
}
