package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/scim"
)

// concurrently runs fn(0..n-1) on n goroutines released together, and
// returns when all have returned.
func (e *env) concurrently(n int, fn func(i int)) {
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

// msTime checks that got is want to the millisecond (truncated or rounded),
// in UTC.
func (e *env) msTime(what string, got, want time.Time) {
	e.t.Helper()
	if got.Location() != time.UTC || got.Nanosecond()%int(time.Millisecond) != 0 {
		e.t.Errorf("%s = %v, want UTC milliseconds", what, got)
	}
	if !got.Equal(want.Truncate(time.Millisecond)) && !got.Equal(want.Round(time.Millisecond)) {
		e.t.Errorf("%s = %v, want %v to the millisecond", what, got, want)
	}
}

// Time values given in any zone and at any precision come back as the same
// instant in UTC, to the millisecond, from every method that returns them
// (after dex's storage/conformance testTimezones).
func testTimezones(e *env) {
	zone := time.FixedZone("UTC-5", -5*60*60)
	exact := time.Date(2025, 11, 2, 1, 30, 15, 250_000_000, zone)
	fine := time.Date(2025, 11, 2, 1, 30, 15, 250_987_654, zone)
	later := time.Date(2026, 1, 2, 3, 4, 5, 6_007_008, time.FixedZone("UTC+13:45", (13*60+45)*60))

	u := fullUser("tz@example.com", "")
	u.Meta.Created, u.Meta.LastModified = exact, fine
	e.createUser(u)
	checkUser := func(what string, got *scim.User, lastModified time.Time) {
		e.t.Helper()
		e.msTime(what+" meta.created", got.Meta.Created, exact)
		e.msTime(what+" meta.lastModified", got.Meta.LastModified, lastModified)
	}
	checkUser("GetUser", e.getUser(u.ID), fine)
	checkUser("ListUsers", e.allUsers(10, m(center.AttrID, u.ID))[0], fine)
	upd, err := e.s.UpdateUser(e.ctx, u.ID, func(cur *scim.User) error { cur.Meta.LastModified = later; return nil })
	e.noErr("UpdateUser", err)
	checkUser("UpdateUser result", upd, later)
	checkUser("GetUser after update", e.getUser(u.ID), later)

	g := newGroup("tz")
	g.Meta.Created, g.Meta.LastModified = exact, fine
	e.noErr("CreateGroup", e.s.CreateGroup(e.ctx, g, nil))
	checkGroup := func(what string, got *scim.Group, lastModified time.Time) {
		e.t.Helper()
		e.msTime(what+" meta.created", got.Meta.Created, exact)
		e.msTime(what+" meta.lastModified", got.Meta.LastModified, lastModified)
	}
	checkGroup("GetGroup", e.getGroup(g.ID), fine)
	checkGroup("ListGroups", e.allGroups(10, m(center.AttrID, g.ID))[0], fine)
	gupd, err := e.s.UpdateGroup(e.ctx, g.ID, func(cur *scim.Group, _ center.Members) error {
		cur.Meta.LastModified = later
		return nil
	})
	e.noErr("UpdateGroup", err)
	checkGroup("UpdateGroup result", gupd, later)
	checkGroup("GetGroup after update", e.getGroup(g.ID), later)

	tok, _ := center.NewSCIMToken(exact)
	tok.Created, tok.Expires = exact, fine.Add(center.SCIMTokenLifetime)
	e.createToken(tok, exact)
	checkToken := func(what string, got *center.SCIMToken) {
		e.t.Helper()
		e.msTime(what+" created", got.Created, exact)
		e.msTime(what+" expires", got.Expires, fine.Add(center.SCIMTokenLifetime))
	}
	checkToken("GetSCIMToken", e.getToken(tok.ID))
	e.noErr("RevokeSCIMToken", e.s.RevokeSCIMToken(e.ctx, tok.ID, later))
	got := e.getToken(tok.ID)
	checkToken("GetSCIMToken after revoke", got)
	if got.Revoked == nil {
		e.t.Fatal("revoked token has no revocation time")
	}
	e.msTime("revoked", *got.Revoked, later)
	list, err := e.s.ListSCIMTokens(e.ctx)
	e.noErr("ListSCIMTokens", err)
	checkToken("ListSCIMTokens", list[0])
}

// 64 writers each adding one member to the same group: none is lost.
func testConcurrentGroupMembers(e *env) {
	const n = 64
	users := make([]*scim.User, n)
	errs := make([]error, n)
	e.concurrently(n, func(i int) {
		users[i] = minimalUser(fmt.Sprintf("member%02d@example.com", i))
		errs[i] = e.s.CreateUser(e.ctx, users[i])
	})
	for _, err := range errs {
		e.noErr("CreateUser", err)
	}
	g := e.group("crowded")
	e.concurrently(n, func(i int) {
		_, errs[i] = e.s.UpdateGroup(e.ctx, g.ID, func(_ *scim.Group, m center.Members) error {
			return m.Add([]string{users[i].ID})
		})
	})
	for _, err := range errs {
		e.noErr("UpdateGroup", err)
	}
	e.sameIDs("members", e.members(g.ID), ids(users...))
	p, err := e.s.ListUsers(e.ctx, center.Query{Match: []center.Match{m(center.AttrGroups, g.ID)}, Count: 1, Total: true})
	e.noErr("ListUsers", err)
	if p.Total != n {
		e.t.Errorf("Total members = %d, want %d", p.Total, n)
	}
}

// 64 read-modify-writes of one user: each sees the others' results, so none
// is lost (UpdateUser is atomic).
func testConcurrentUpdateUser(e *env) {
	const n = 64
	u := e.user("busy@example.com")
	errs := make([]error, n)
	e.concurrently(n, func(i int) {
		_, errs[i] = e.s.UpdateUser(e.ctx, u.ID, func(cur *scim.User) error {
			cur.Roles = append(cur.Roles, scim.Role{Value: fmt.Sprint(i)})
			cur.Title += "x"
			return nil
		})
	})
	for _, err := range errs {
		e.noErr("UpdateUser", err)
	}
	got := e.getUser(u.ID)
	seen := map[string]int{}
	for _, r := range got.Roles {
		seen[r.Value]++
	}
	for i := range n {
		if seen[fmt.Sprint(i)] != 1 {
			e.t.Errorf("update %d is in the user %d times, want once", i, seen[fmt.Sprint(i)])
		}
	}
	if len(got.Roles) != n || got.Title != strings.Repeat("x", n) {
		e.t.Errorf("after %d updates: %d roles, title %q", n, len(got.Roles), got.Title)
	}
}

// 32 creators of one userName (in different letter cases): exactly one wins,
// every other gets ErrConflict.
func testConcurrentSameUserName(e *env) {
	const n = 32
	users := make([]*scim.User, n)
	errs := make([]error, n)
	names := []string{"Same.Person@example.com", "same.person@example.com", "SAME.PERSON@EXAMPLE.COM", "sAmE.pErSoN@example.com"}
	for i := range users {
		users[i] = fullUser(names[i%len(names)], "")
	}
	e.concurrently(n, func(i int) { errs[i] = e.s.CreateUser(e.ctx, users[i]) })
	var won []*scim.User
	for i, err := range errs {
		switch {
		case err == nil:
			won = append(won, users[i])
		case !errors.Is(err, center.ErrConflict):
			e.t.Errorf("CreateUser: %v, want nil or ErrConflict", err)
		}
	}
	if len(won) != 1 {
		e.t.Fatalf("%d of %d creators of one userName succeeded, want exactly 1", len(won), n)
	}
	e.sameIDs("users", e.userIDs(), ids(won...))
	e.sameUser("the winner", e.getUser(won[0].ID), won[0])
}

// 200 concurrent creates are all acknowledged and all still there after the
// database is closed and opened again.
func testConcurrentCreateDurable(e *env) {
	const n = 200
	inst, err := e.s.Instance(e.ctx)
	e.noErr("Instance", err)
	mgr := e.user("manager@example.com")
	users := make([]*scim.User, n)
	for i := range users {
		users[i] = fullUser(fmt.Sprintf("durable%03d@example.com", i), mgr.ID)
	}
	errs := make([]error, n)
	e.concurrently(n, func(i int) { errs[i] = e.s.CreateUser(e.ctx, users[i]) })
	for _, err := range errs {
		e.noErr("CreateUser", err)
	}
	g := e.group("all", ids(users...)...)

	s := e.reopen()
	e.s = s
	for _, u := range users {
		e.sameUser("after reopen", e.getUser(u.ID), u)
	}
	e.sameIDs("users reporting to the manager", e.userIDs(m(center.AttrManager, mgr.ID)), ids(users...))
	e.sameIDs("members", e.members(g.ID), ids(users...))
	if got := e.totalUsers(); got != n+1 {
		e.t.Errorf("Total = %d after reopen, want %d", got, n+1)
	}
	after, err := s.Instance(e.ctx)
	e.noErr("Instance after reopen", err)
	e.sameInstance("after reopen", after, inst)
	// The reopened store goes on where the old one stopped.
	late := e.user("late@example.com")
	all := e.allUsers(100)
	if len(all) != n+2 || all[len(all)-1].ID != late.ID {
		e.t.Errorf("after reopen a new user is not listed last of %d", len(all))
	}
}
