package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// chg is an outbox record without its seq and time.
type chg struct{ kind, id string }

func (c chg) String() string { return c.kind + ":" + c.id }

func uc(id string) chg  { return chg{directory.KindUser, id} }
func gc(id string) chg  { return chg{directory.KindGroup, id} }
func ac(id string) chg  { return chg{directory.KindApp, id} }
func asc(id string) chg { return chg{directory.KindAssignment, id} }

// changesAfter reads every outbox record after seq and checks that the seqs
// increase and that LastChange is the newest of them.
func (e *dirEnv) changesAfter(after int64) []directory.Change {
	e.t.Helper()
	out, err := e.s.Changes(e.ctx, after, 100000)
	if err != nil {
		e.t.Fatalf("Changes(%d): %v", after, err)
	}
	prev := after
	for _, c := range out {
		if c.Seq <= prev {
			e.t.Fatalf("Changes(%d): seq %d after %d, want increasing seqs", after, c.Seq, prev)
		}
		prev = c.Seq
	}
	last, err := e.s.LastChange(e.ctx)
	e.noErr("LastChange", err)
	if last != prev {
		e.t.Errorf("LastChange = %d, want %d (the newest record after %d)", last, prev, after)
	}
	return out
}

// noChanges checks that nothing was appended to the outbox after seq.
func (e *dirEnv) noChanges(what string, after int64) {
	e.t.Helper()
	if got := e.changesAfter(after); len(got) != 0 {
		e.t.Errorf("%s appended to the outbox: %v", what, got)
	}
}

// wantChanges checks that the records after seq name every object of want,
// and nothing but want and optional (objects an implementation may record
// without being required to), and returns the newest seq.
func (e *dirEnv) wantChanges(what string, after int64, want []chg, optional ...chg) int64 {
	e.t.Helper()
	return e.wantChangesAt(what, after, time.Time{}, want, optional...)
}

// wantChangesAt is wantChanges that also checks every record's time.
func (e *dirEnv) wantChangesAt(what string, after int64, at time.Time, want []chg, optional ...chg) int64 {
	e.t.Helper()
	got := e.changesAfter(after)
	seen := map[chg]bool{}
	for _, c := range got {
		seen[chg{c.Kind, c.ID}] = true
		if !at.IsZero() {
			if c.At.Location() != time.UTC || !c.At.Equal(at.Truncate(time.Millisecond)) {
				e.t.Errorf("%s: record %d at %v, want %v in UTC milliseconds", what, c.Seq, c.At, at)
			}
		}
	}
	allowed := map[chg]bool{}
	for _, c := range append(slices.Clone(want), optional...) {
		allowed[c] = true
	}
	for _, c := range want {
		if !seen[c] {
			e.t.Errorf("%s: outbox lacks %v; got %v", what, c, got)
		}
	}
	for c := range seen {
		if !allowed[c] {
			e.t.Errorf("%s: outbox has %v, which the write does not affect; got %v", what, c, got)
		}
	}
	if len(got) == 0 {
		return after
	}
	return got[len(got)-1].Seq
}

// Each kind of write appends records of the objects it changed, at the
// write's time, with increasing seqs.
func testOutboxEveryWrite(e *dirEnv) {
	seq := e.wantChanges("empty store", 0, nil)
	if seq != 0 {
		e.t.Fatalf("LastChange on an empty store = %d", seq)
	}
	u := e.createUser(fullDirUser("u@example.com"))
	seq = e.wantChangesAt("CreateUser", seq, u.Modified, []chg{uc(u.ID)})
	if seq == 0 {
		e.t.Fatal("CreateUser appended nothing")
	}
	t1 := t0.Add(time.Hour)
	_, err := e.s.UpdateUser(e.ctx, u.ID, func(cur *directory.User) error { cur.City, cur.Modified = "Lund", t1; return nil })
	e.noErr("UpdateUser", err)
	seq = e.wantChangesAt("UpdateUser", seq, t1, []chg{uc(u.ID)})
	t2 := t1.Add(time.Hour)
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, u.ID, t2))
	seq = e.wantChangesAt("DeleteUser", seq, t2, []chg{uc(u.ID)})
	t3 := t2.Add(time.Hour)
	_, err = e.s.RestoreUser(e.ctx, u.ID, t3)
	e.noErr("RestoreUser", err)
	seq = e.wantChangesAt("RestoreUser", seq, t3, []chg{uc(u.ID)})

	g := e.group("g")
	seq = e.wantChangesAt("CreateGroup", seq, g.Modified, []chg{gc(g.ID)})
	_, err = e.s.UpdateGroup(e.ctx, g.ID, func(cur *directory.Group) error { cur.Description, cur.Modified = "new", t1; return nil })
	e.noErr("UpdateGroup", err)
	seq = e.wantChangesAt("UpdateGroup", seq, t1, []chg{gc(g.ID)})
	e.noErr("AddMember", e.s.AddMember(e.ctx, g.ID, u.ID, t2))
	seq = e.wantChangesAt("AddMember", seq, t2, []chg{gc(g.ID), uc(u.ID)})
	e.noErr("RemoveMember", e.s.RemoveMember(e.ctx, g.ID, u.ID, t3))
	seq = e.wantChangesAt("RemoveMember", seq, t3, []chg{gc(g.ID), uc(u.ID)})

	app := &directory.App{ID: newID(), DisplayName: "app", Template: "scim", Created: t1}
	e.noErr("CreateApp", e.s.CreateApp(e.ctx, app))
	seq = e.wantChangesAt("CreateApp", seq, t1, []chg{ac(app.ID)})
	a := &directory.Assignment{ID: newID(), AppID: app.ID, PrincipalID: u.ID, Created: t2}
	e.noErr("Assign", e.s.Assign(e.ctx, a))
	seq = e.wantChangesAt("Assign", seq, t2, []chg{asc(app.ID), uc(u.ID)})
	e.noErr("Unassign", e.s.Unassign(e.ctx, a.ID, t3))
	seq = e.wantChangesAt("Unassign", seq, t3, []chg{asc(app.ID), uc(u.ID)})
	e.noErr("DeleteApp", e.s.DeleteApp(e.ctx, app.ID, t2))
	seq = e.wantChangesAt("DeleteApp", seq, t2, []chg{ac(app.ID)})

	e.noErr("DeleteGroup", e.s.DeleteGroup(e.ctx, g.ID, t3))
	seq = e.wantChangesAt("DeleteGroup", seq, t3, []chg{gc(g.ID)})
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, u.ID, t1))
	seq = e.wantChangesAt("DeleteUser", seq, t1, []chg{uc(u.ID)})
	e.noErr("PurgeUser", e.s.PurgeUser(e.ctx, u.ID, t2))
	e.wantChangesAt("PurgeUser", seq, t2, []chg{uc(u.ID)})
}

// Adding a user records the group, every group above it (on every path)
// and the user; nothing else.
func testOutboxAddUserMember(e *dirEnv) {
	top := e.group("top")
	m1 := e.group("m1")
	m2 := e.group("m2")
	g := e.group("g")
	side := e.group("side")
	u := e.user("u@example.com")
	bystander := e.user("bystander@example.com")
	e.add(top.ID, m1.ID)
	e.add(top.ID, m2.ID)
	e.add(m1.ID, g.ID)
	e.add(m2.ID, g.ID)
	e.add(top.ID, bystander.ID)
	e.add(g.ID, bystander.ID)
	e.add(side.ID, u.ID)
	e.add(g.ID, side.ID)
	seq, _ := e.s.LastChange(e.ctx)

	child := e.group("child")
	seq = e.wantChanges("CreateGroup", seq, []chg{gc(child.ID)})
	e.noErr("AddMember", e.s.AddMember(e.ctx, m2.ID, bystander.ID, t0))
	seq = e.wantChanges("AddMember(m2, bystander)", seq, []chg{gc(m2.ID), gc(top.ID), uc(bystander.ID)})
	e.noErr("AddMember", e.s.AddMember(e.ctx, g.ID, u.ID, t0))
	e.wantChanges("AddMember(g, u)", seq, []chg{gc(g.ID), gc(m1.ID), gc(m2.ID), gc(top.ID), uc(u.ID)})
}

// Adding a group records the target group and its ancestors and every user
// under the added group, at any depth.
func testOutboxAddGroupMember(e *dirEnv) {
	top := e.group("top")
	g := e.group("g")
	e.add(top.ID, g.ID)
	u0 := e.user("u0@example.com")
	e.add(g.ID, u0.ID) // already in g: its scope does not change
	u1 := e.user("u1@example.com")
	u2 := e.user("u2@example.com")
	u3 := e.user("u3@example.com")
	subsub := e.group("subsub", u2.ID, u3.ID)
	sub := e.group("sub", u1.ID, subsub.ID, u3.ID)
	e.group("unrelated", e.user("x@example.com").ID, sub.ID) // sub's other parent is not affected
	seq, _ := e.s.LastChange(e.ctx)

	e.noErr("AddMember(g, sub)", e.s.AddMember(e.ctx, g.ID, sub.ID, t0))
	e.wantChanges("AddMember(g, sub)", seq,
		[]chg{gc(g.ID), gc(top.ID), uc(u1.ID), uc(u2.ID), uc(u3.ID)},
		gc(sub.ID), gc(subsub.ID), uc(u0.ID))
}

// Removing a member records what adding it does, computed before the
// membership goes.
func testOutboxRemoveMember(e *dirEnv) {
	top := e.group("top")
	g := e.group("g")
	e.add(top.ID, g.ID)
	u1 := e.user("u1@example.com")
	u2 := e.user("u2@example.com")
	subsub := e.group("subsub", u2.ID)
	sub := e.group("sub", u1.ID, subsub.ID)
	v := e.user("v@example.com")
	e.add(g.ID, sub.ID)
	e.add(g.ID, v.ID)
	e.add(top.ID, e.user("bystander@example.com").ID)
	seq, _ := e.s.LastChange(e.ctx)

	e.noErr("RemoveMember(g, v)", e.s.RemoveMember(e.ctx, g.ID, v.ID, t0))
	seq = e.wantChanges("RemoveMember(g, v)", seq, []chg{gc(g.ID), gc(top.ID), uc(v.ID)})
	e.noErr("RemoveMember(g, sub)", e.s.RemoveMember(e.ctx, g.ID, sub.ID, t0))
	e.wantChanges("RemoveMember(g, sub)", seq, []chg{gc(g.ID), gc(top.ID), uc(u1.ID), uc(u2.ID)},
		gc(sub.ID), gc(subsub.ID))
}

// DeleteGroup records the group, its ancestors and every user under it.
func testOutboxDeleteGroup(e *dirEnv) {
	top := e.group("top")
	mid := e.group("mid")
	g := e.group("g")
	e.add(top.ID, mid.ID)
	e.add(mid.ID, g.ID)
	u1 := e.user("u1@example.com")
	u2 := e.user("u2@example.com")
	sub := e.group("sub", u2.ID)
	e.add(g.ID, u1.ID)
	e.add(g.ID, sub.ID)
	e.add(mid.ID, e.user("bystander@example.com").ID)
	e.group("unrelated", e.user("x@example.com").ID)
	seq, _ := e.s.LastChange(e.ctx)

	at := t0.Add(42 * time.Minute)
	e.noErr("DeleteGroup", e.s.DeleteGroup(e.ctx, g.ID, at))
	e.wantChangesAt("DeleteGroup", seq, at, []chg{gc(g.ID), gc(mid.ID), gc(top.ID), uc(u1.ID), uc(u2.ID)}, gc(sub.ID))
}

// PurgeUser records the user and the groups it was in, with their
// ancestors.
func testOutboxPurgeUser(e *dirEnv) {
	top := e.group("top")
	g1 := e.group("g1")
	g2 := e.group("g2")
	e.add(top.ID, g1.ID)
	u := e.user("u@example.com")
	e.add(g1.ID, u.ID)
	e.add(g2.ID, u.ID)
	e.group("unrelated", e.user("x@example.com").ID)
	e.add(g1.ID, e.user("bystander@example.com").ID)
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, u.ID, t0))
	seq, _ := e.s.LastChange(e.ctx)

	at := t0.Add(31 * 24 * time.Hour)
	e.noErr("PurgeUser", e.s.PurgeUser(e.ctx, u.ID, at))
	e.wantChangesAt("PurgeUser", seq, at, []chg{uc(u.ID), gc(g1.ID), gc(g2.ID), gc(top.ID)})
}

// Assigning and unassigning records the app's assignments and the
// principal, or every user under a group principal.
func testOutboxAssign(e *dirEnv) {
	app := e.app("app")
	u := e.user("u@example.com")
	u1 := e.user("u1@example.com")
	u2 := e.user("u2@example.com")
	sub := e.group("sub", u2.ID)
	g := e.group("g", u1.ID, sub.ID)
	e.group("parent", g.ID, e.user("bystander@example.com").ID)
	seq, _ := e.s.LastChange(e.ctx)

	ua := e.assign(app.ID, u.ID)
	seq = e.wantChanges("Assign(user)", seq, []chg{asc(app.ID), uc(u.ID)})
	ga := e.assign(app.ID, g.ID)
	seq = e.wantChanges("Assign(group)", seq, []chg{asc(app.ID), gc(g.ID), uc(u1.ID), uc(u2.ID)}, gc(sub.ID))
	e.noErr("Unassign(group)", e.s.Unassign(e.ctx, ga.ID, t0))
	seq = e.wantChanges("Unassign(group)", seq, []chg{asc(app.ID), gc(g.ID), uc(u1.ID), uc(u2.ID)}, gc(sub.ID))
	e.noErr("Unassign(user)", e.s.Unassign(e.ctx, ua.ID, t0))
	e.wantChanges("Unassign(user)", seq, []chg{asc(app.ID), uc(u.ID)})
}

// A write that fails appends nothing.
func testOutboxFailedWrites(e *dirEnv) {
	u := e.user("u@example.com")
	old := e.user("old@example.com")
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, old.ID, t0))
	e.user("OLD@example.com")
	parent := e.group("parent")
	g := e.group("g", u.ID)
	e.add(parent.ID, g.ID)
	app := e.app("app")
	a := e.assign(app.ID, u.ID)
	seq, _ := e.s.LastChange(e.ctx)

	dupGroup := dirGroup("dup")
	dupGroup.ID = g.ID
	dupID := dirUser("other@example.com")
	dupID.ID = u.ID
	fails := []struct {
		what string
		err  error
	}{
		{"CreateUser(UPN taken)", e.s.CreateUser(e.ctx, dirUser("U@EXAMPLE.COM"))},
		{"CreateUser(id taken)", e.s.CreateUser(e.ctx, dupID)},
		{"UpdateUser(fn fails)", second(e.s.UpdateUser(e.ctx, u.ID, func(*directory.User) error { return errFromFn }))},
		{"UpdateUser(UPN taken)", second(e.s.UpdateUser(e.ctx, u.ID, func(c *directory.User) error {
			c.UserPrincipalName = "old@example.com"
			return nil
		}))},
		{"DeleteUser(unknown)", e.s.DeleteUser(e.ctx, newID(), t0)},
		{"RestoreUser(UPN taken)", second(e.s.RestoreUser(e.ctx, old.ID, t0))},
		{"RestoreUser(live)", second(e.s.RestoreUser(e.ctx, u.ID, t0))},
		{"PurgeUser(unknown)", e.s.PurgeUser(e.ctx, newID(), t0)},
		{"CreateGroup(id taken)", e.s.CreateGroup(e.ctx, dupGroup)},
		{"UpdateGroup(fn fails)", second(e.s.UpdateGroup(e.ctx, g.ID, func(*directory.Group) error { return errFromFn }))},
		{"DeleteGroup(unknown)", e.s.DeleteGroup(e.ctx, newID(), t0)},
		{"AddMember(duplicate)", e.s.AddMember(e.ctx, g.ID, u.ID, t0)},
		{"AddMember(cycle)", e.s.AddMember(e.ctx, g.ID, parent.ID, t0)},
		{"AddMember(unknown group)", e.s.AddMember(e.ctx, newID(), u.ID, t0)},
		{"RemoveMember(not a member)", e.s.RemoveMember(e.ctx, parent.ID, u.ID, t0)},
		{"CreateApp(id taken)", e.s.CreateApp(e.ctx, &directory.App{ID: app.ID, DisplayName: "x", Template: "scim", Created: t0})},
		{"DeleteApp(unknown)", e.s.DeleteApp(e.ctx, newID(), t0)},
		{"Assign(duplicate)", e.s.Assign(e.ctx, &directory.Assignment{ID: newID(), AppID: app.ID, PrincipalID: u.ID, Created: t0})},
		{"Assign(unknown principal)", e.s.Assign(e.ctx, &directory.Assignment{ID: newID(), AppID: app.ID, PrincipalID: newID(), Created: t0})},
		{"Unassign(unknown)", e.s.Unassign(e.ctx, newID(), t0)},
	}
	for _, f := range fails {
		if f.err == nil {
			e.t.Errorf("%s succeeded", f.what)
		}
	}
	e.noChanges("failed writes", seq)
	// The outbox goes on after them.
	e.noErr("Unassign", e.s.Unassign(e.ctx, a.ID, t0))
	e.wantChanges("Unassign", seq, []chg{asc(app.ID), uc(u.ID)})
}

func second[T any](_ T, err error) error { return err }

// Changes pages through the outbox oldest first; LastChange is its newest
// seq.
func testOutboxPaging(e *dirEnv) {
	got, err := e.s.Changes(e.ctx, 0, 10)
	e.noErr("Changes", err)
	if len(got) != 0 {
		e.t.Errorf("Changes on an empty store = %v", got)
	}
	var want []chg
	for i := range 11 {
		u := e.user(fmt.Sprintf("u%02d@example.com", i))
		want = append(want, uc(u.ID))
	}
	all := e.changesAfter(0)
	if len(all) != len(want) {
		e.t.Fatalf("Changes = %d records, want %d", len(all), len(want))
	}
	for i, c := range all {
		if (chg{c.Kind, c.ID}) != want[i] {
			e.t.Errorf("record %d = %v, want %v (oldest first)", i, chg{c.Kind, c.ID}, want[i])
		}
	}
	for _, limit := range []int{1, 4, 11, 50} {
		var paged []directory.Change
		after := int64(0)
		for pages := 0; ; pages++ {
			if pages > len(all) {
				e.t.Fatalf("Changes paging with limit %d does not end", limit)
			}
			p, err := e.s.Changes(e.ctx, after, limit)
			e.noErr("Changes", err)
			if len(p) > limit {
				e.t.Fatalf("Changes(limit %d) = %d records", limit, len(p))
			}
			if len(p) == 0 {
				break
			}
			paged = append(paged, p...)
			after = p[len(p)-1].Seq
		}
		if !slices.Equal(paged, all) {
			e.t.Errorf("pages of %d = %v, want %v", limit, paged, all)
		}
	}
	p, err := e.s.Changes(e.ctx, all[4].Seq, 3)
	e.noErr("Changes", err)
	if !slices.Equal(p, all[5:8]) {
		e.t.Errorf("Changes(after record 4, 3) = %v, want %v", p, all[5:8])
	}
	p, err = e.s.Changes(e.ctx, all[len(all)-1].Seq, 10)
	e.noErr("Changes", err)
	if len(p) != 0 {
		e.t.Errorf("Changes(after the newest) = %v", p)
	}
}

// Notify fires after a local write, without the writer waiting for a
// reader.
func testDirNotify(e *dirEnv) {
	ch := e.s.Notify()
	drain := func() {
		for {
			select {
			case <-ch:
			default:
				return
			}
		}
	}
	wait := func(what string) {
		e.t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			e.t.Fatalf("no notification after %s", what)
		}
	}
	drain()
	u := e.user("u@example.com")
	wait("CreateUser")
	drain()
	g := e.group("g")
	wait("CreateGroup")
	drain()
	e.add(g.ID, u.ID)
	wait("AddMember")
	drain()
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, u.ID, t0))
	wait("DeleteUser")
	// Nobody reads: the writes still return.
	for i := range 5 {
		e.user(fmt.Sprintf("unread%d@example.com", i))
	}
	wait("unread writes")
}

func testDirAPITokens(e *dirEnv) {
	list, err := e.s.ListAPITokens(e.ctx)
	e.noErr("ListAPITokens", err)
	if len(list) != 0 {
		e.t.Errorf("ListAPITokens on an empty store = %d tokens", len(list))
	}
	t2 := &directory.APIToken{ID: newID(), Name: `deploy "bot" 'x' \`, SecretHash: "sha256:bbbb", Created: t0.Add(time.Second)}
	t1 := &directory.APIToken{ID: newID(), Name: "admin", SecretHash: "sha256:aaaa", Created: t0}
	e.noErr("CreateAPIToken(t2)", e.s.CreateAPIToken(e.ctx, t2))
	e.noErr("CreateAPIToken(t1)", e.s.CreateAPIToken(e.ctx, t1))
	got, err := e.s.GetAPIToken(e.ctx, t2.ID)
	e.noErr("GetAPIToken", err)
	sameJSON(e.t, "GetAPIToken", got, t2)
	list, err = e.s.ListAPITokens(e.ctx)
	e.noErr("ListAPITokens", err)
	sameJSON(e.t, "ListAPITokens (oldest first)", list, []*directory.APIToken{t1, t2})
	dup := &directory.APIToken{ID: t1.ID, Name: "dup", SecretHash: "sha256:cccc", Created: t0}
	e.wantErr("CreateAPIToken(id taken)", e.s.CreateAPIToken(e.ctx, dup), directory.ErrConflict)
	got, err = e.s.GetAPIToken(e.ctx, t1.ID)
	e.noErr("GetAPIToken", err)
	sameJSON(e.t, "the first token", got, t1)
	_, err = e.s.GetAPIToken(e.ctx, newID())
	e.wantErr("GetAPIToken(unknown)", err, directory.ErrNotFound)
}

// RevokeAPIToken marks a token revoked at the first revocation's time.
func testDirAPITokenRevoke(e *dirEnv) {
	tok := &directory.APIToken{ID: newID(), Name: "t", SecretHash: "h", Created: t0}
	keep := &directory.APIToken{ID: newID(), Name: "k", SecretHash: "h2", Created: t0}
	e.noErr("CreateAPIToken", e.s.CreateAPIToken(e.ctx, tok))
	e.noErr("CreateAPIToken", e.s.CreateAPIToken(e.ctx, keep))
	at := time.Date(2025, 5, 1, 8, 0, 0, 999_999_999, time.FixedZone("UTC-3", -3*60*60))
	e.noErr("RevokeAPIToken", e.s.RevokeAPIToken(e.ctx, tok.ID, at))
	got, err := e.s.GetAPIToken(e.ctx, tok.ID)
	e.noErr("GetAPIToken", err)
	if got.Revoked == nil {
		e.t.Fatal("revoked token has no revocation time")
	}
	e.msTime("revoked", *got.Revoked, at)
	e.noErr("RevokeAPIToken(again)", e.s.RevokeAPIToken(e.ctx, tok.ID, at.Add(time.Hour)))
	got, err = e.s.GetAPIToken(e.ctx, tok.ID)
	e.noErr("GetAPIToken", err)
	e.msTime("revoked after a second revocation", *got.Revoked, at)
	other, err := e.s.GetAPIToken(e.ctx, keep.ID)
	e.noErr("GetAPIToken", err)
	if other.Revoked != nil {
		e.t.Errorf("revoking one token revoked another")
	}
	e.wantErr("RevokeAPIToken(unknown)", e.s.RevokeAPIToken(e.ctx, newID(), at), directory.ErrNotFound)
}

// msTime checks that got is want to the millisecond, in UTC.
func (e *dirEnv) msTime(what string, got, want time.Time) {
	e.t.Helper()
	if got.Location() != time.UTC || got.Nanosecond()%int(time.Millisecond) != 0 {
		e.t.Errorf("%s = %v, want UTC milliseconds", what, got)
	}
	if !got.Equal(want.Truncate(time.Millisecond)) && !got.Equal(want.Round(time.Millisecond)) {
		e.t.Errorf("%s = %v, want %v to the millisecond", what, got, want)
	}
}

func (e *dirEnv) concurrently(n int, fn func(i int)) { concurrently(n, fn) }

// concurrently runs fn(0..n-1) on n goroutines released together, and
// returns when all have returned.
func concurrently(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// Creators of one UPN in different cases: one wins, the others get
// ErrConflict and leave nothing in the outbox.
func testDirConcurrentSameUPN(e *dirEnv) {
	const n = 16
	names := []string{"Same@example.com", "same@example.com", "SAME@EXAMPLE.COM", "sAmE@example.com"}
	users := make([]*directory.User, n)
	errs := make([]error, n)
	for i := range users {
		users[i] = fullDirUser(names[i%len(names)])
	}
	e.concurrently(n, func(i int) { errs[i] = e.s.CreateUser(e.ctx, users[i]) })
	var won []*directory.User
	for i, err := range errs {
		switch {
		case err == nil:
			won = append(won, users[i])
		case !errors.Is(err, directory.ErrConflict):
			e.t.Errorf("CreateUser: %v, want nil or ErrConflict", err)
		}
	}
	if len(won) != 1 {
		e.t.Fatalf("%d of %d creators of one UPN succeeded, want exactly 1", len(won), n)
	}
	e.same("users", e.listUsers(directory.UserQuery{}), []string{won[0].ID})
	e.wantChanges("outbox", 0, []chg{uc(won[0].ID)})
}

// Writers on several nodes of one database: every write is in the outbox
// exactly once, in seq order, and every node reads every write.
func testDirConcurrentNodesOutbox(e *dirEnv) {
	nodes := []Directory{e.s, e.node(), e.node()}
	const per = 20
	n := per * len(nodes)
	users := make([]*directory.User, n)
	errs := make([]error, n)
	for i := range users {
		users[i] = dirUser(fmt.Sprintf("node%d-%02d@example.com", i%len(nodes), i))
	}
	e.concurrently(n, func(i int) { errs[i] = nodes[i%len(nodes)].CreateUser(e.ctx, users[i]) })
	for _, err := range errs {
		e.noErr("CreateUser", err)
	}
	var want []chg
	for _, u := range users {
		want = append(want, uc(u.ID))
	}
	got := e.changesAfter(0)
	if len(got) != n {
		e.t.Errorf("outbox has %d records for %d writes", len(got), n)
	}
	e.wantChanges("outbox", 0, want)
	for i, node := range nodes {
		us, err := node.ListUsers(e.ctx, directory.UserQuery{})
		e.noErr("ListUsers", err)
		if len(us) != n {
			e.t.Errorf("node %d lists %d users, want %d", i, len(us), n)
		}
		last, err := node.LastChange(e.ctx)
		e.noErr("LastChange", err)
		if last != got[len(got)-1].Seq {
			e.t.Errorf("node %d: LastChange = %d, want %d", i, last, got[len(got)-1].Seq)
		}
	}
}

// Two nodes adding two groups into each other at once: one succeeds, the
// other sees the cycle; no cycle is ever stored.
func testDirConcurrentNodesCycle(e *dirEnv) {
	a, b := e.s, e.node()
	const rounds = 20
	for r := range rounds {
		g1 := e.group(fmt.Sprintf("g1-%d", r))
		g2 := e.group(fmt.Sprintf("g2-%d", r))
		var err1, err2 error
		e.concurrently(2, func(i int) {
			if i == 0 {
				err1 = a.AddMember(e.ctx, g1.ID, g2.ID, t0)
			} else {
				err2 = b.AddMember(e.ctx, g2.ID, g1.ID, t0)
			}
		})
		ok := 0
		for _, err := range []error{err1, err2} {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, directory.ErrInvalid):
				e.t.Errorf("round %d: AddMember: %v, want nil or ErrInvalid", r, err)
			}
		}
		in1, in2 := len(e.memberOf(g1.ID)), len(e.memberOf(g2.ID))
		if ok != 1 || in1+in2 != 1 {
			e.t.Fatalf("round %d: %d of 2 crossing AddMembers succeeded, %d memberships stored; want 1 and 1 (no cycle)",
				r, ok, in1+in2)
		}
	}
}
