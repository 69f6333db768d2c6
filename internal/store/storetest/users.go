package storetest

import (
	"errors"
	"regexp"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/scim"
)

var (
	identityStoreIDRE = regexp.MustCompile(`^d-[0-9a-f]{10}$`)
	idPrefixRE        = regexp.MustCompile(`^[0-9a-f]{10}$`)
	instanceIDRE      = regexp.MustCompile(`^ssoins-[0-9a-f]{16}$`)
)

// checkInstance checks the formats of AWS's identifiers.
func (e *env) checkInstance(inst *center.Instance) {
	e.t.Helper()
	if !identityStoreIDRE.MatchString(inst.IdentityStoreID) {
		e.t.Errorf("IdentityStoreID = %q, want d-<10 hex>", inst.IdentityStoreID)
	}
	if !idPrefixRE.MatchString(inst.IDPrefix) {
		e.t.Errorf("IDPrefix = %q, want 10 hex digits", inst.IDPrefix)
	}
	if inst.IdentityStoreID != "d-"+inst.IDPrefix {
		e.t.Errorf("IdentityStoreID %q and IDPrefix %q differ; AWS resource ids start with the store id's digits",
			inst.IdentityStoreID, inst.IDPrefix)
	}
	if !instanceIDRE.MatchString(inst.InstanceID) {
		e.t.Errorf("InstanceID = %q, want ssoins-<16 hex>", inst.InstanceID)
	}
	if inst.Created.IsZero() || inst.Created.Location() != time.UTC || inst.Created.Nanosecond()%1e6 != 0 {
		e.t.Errorf("Created = %v, want a time in UTC milliseconds", inst.Created)
	}
	if d := time.Since(inst.Created); d < -time.Minute || d > time.Hour {
		e.t.Errorf("Created = %v, want about now", inst.Created)
	}
}

func (e *env) sameInstance(what string, got, want *center.Instance) {
	e.t.Helper()
	if got.IdentityStoreID != want.IdentityStoreID || got.IDPrefix != want.IDPrefix ||
		got.InstanceID != want.InstanceID || !got.Created.Equal(want.Created) {
		e.t.Errorf("%s: instance = %+v, want %+v", what, *got, *want)
	}
}

// Instance is created on first use and the same forever after: across calls,
// across a reopen of the database.
func testInstance(e *env) {
	first, err := e.s.Instance(e.ctx)
	e.noErr("Instance", err)
	e.checkInstance(first)
	again, err := e.s.Instance(e.ctx)
	e.noErr("Instance again", err)
	e.sameInstance("second call", again, first)

	// Writes in between do not disturb it.
	e.user("someone@example.com")
	s := e.reopen()
	after, err := s.Instance(e.ctx)
	e.noErr("Instance after reopen", err)
	e.sameInstance("after reopen", after, first)
	e.checkInstance(after)
}

// Many first calls at once agree on one instance.
func testInstanceConcurrent(e *env) {
	const n = 16
	got := make([]*center.Instance, n)
	errs := make([]error, n)
	e.concurrently(n, func(i int) { got[i], errs[i] = e.s.Instance(e.ctx) })
	for i := range n {
		e.noErr("Instance", errs[i])
		e.sameInstance("concurrent call", got[i], got[0])
	}
	e.checkInstance(got[0])
	after, err := e.reopen().Instance(e.ctx)
	e.noErr("Instance after reopen", err)
	e.sameInstance("after reopen", after, got[0])
}

// Every attribute, the enterprise extension included, survives a round trip
// through CreateUser and GetUser and a list.
func testUserRoundTrip(e *env) {
	mgr := e.user("manager@example.com")
	u := fullUser("Åsa.Öberg@example.com", mgr.ID)
	want := *u
	e.createUser(u)
	e.sameUser("GetUser", e.getUser(u.ID), &want)

	listed := e.allUsers(100, center.Match{Attr: center.AttrID, Value: u.ID})
	if len(listed) != 1 {
		e.t.Fatalf("ListUsers(id) = %d users, want 1", len(listed))
	}
	e.sameUser("ListUsers", listed[0], &want)
}

// A user with only the required attributes comes back without invented ones.
func testUserMinimal(e *env) {
	u := minimalUser("min@example.com")
	u.Active = false
	e.createUser(u)
	got := e.getUser(u.ID)
	e.sameUser("GetUser", got, u)
	if got.Enterprise != nil || got.Name != nil || got.Emails != nil || got.ExternalID != "" {
		e.t.Errorf("minimal user came back with attributes it never had: %+v", got)
	}
}

// The store keeps its own copy: changing the value given to CreateUser or
// returned by GetUser does not change what is stored.
func testUserIsCopied(e *env) {
	u := fullUser("copy@example.com", "")
	want := *u
	want.Emails = append([]scim.Email(nil), u.Emails...)
	e.createUser(u)
	u.Title = "changed after create"
	u.Emails[0].Value = "changed@example.com"
	got := e.getUser(u.ID)
	got.Title = "changed after get"
	got.Enterprise.Department = "changed after get"
	e.sameUser("GetUser", e.getUser(u.ID), &want)
}

func testUserNotFound(e *env) {
	e.user("present@example.com")
	missing := newID()
	_, err := e.s.GetUser(e.ctx, missing)
	e.wantErr("GetUser(missing)", err, center.ErrNotFound)
	called := false
	_, err = e.s.UpdateUser(e.ctx, missing, func(u *scim.User) error { called = true; return nil })
	e.wantErr("UpdateUser(missing)", err, center.ErrNotFound)
	if called {
		e.t.Error("UpdateUser called fn for a missing user")
	}
	e.wantErr("DeleteUser(missing)", e.s.DeleteUser(e.ctx, missing), center.ErrNotFound)
	_, err = e.s.GetUser(e.ctx, "")
	e.wantErr("GetUser(\"\")", err, center.ErrNotFound)
	if n := e.totalUsers(); n != 1 {
		e.t.Errorf("Total = %d after failed operations, want 1", n)
	}
}

// userName is unique compared case-insensitively, non-ASCII letters
// included; the loser of a conflict leaves nothing behind.
func testUserNameConflict(e *env) {
	cases := []struct{ stored, dup string }{
		{"alice@example.com", "alice@example.com"},
		{"bob@example.com", "BOB@Example.COM"},
		{"ÅSA@x", "åsa@x"},
		{"émile@x", "ÉMILE@X"},
		{"straße@x", "STRAßE@x"},
		{"дмитрий@x", "ДМИТРИЙ@x"},
	}
	var stored []*scim.User
	for _, c := range cases {
		u := e.user(c.stored)
		stored = append(stored, u)
		dup := fullUser(c.dup, "")
		err := e.s.CreateUser(e.ctx, dup)
		e.wantErr("CreateUser("+c.dup+") with "+c.stored+" stored", err, center.ErrConflict)
		if _, err := e.s.GetUser(e.ctx, dup.ID); !errors.Is(err, center.ErrNotFound) {
			e.t.Errorf("the refused user %q was stored (GetUser: %v)", c.dup, err)
		}
		e.sameUser("the first "+c.stored, e.getUser(u.ID), u)
	}
	// Names that differ by more than case are distinct.
	distinct := []string{"asa@x", "emile@x", "alice@example.org"}
	for _, name := range distinct {
		e.user(name)
	}
	if n := e.totalUsers(); n != len(cases)+len(distinct) {
		e.t.Errorf("Total = %d, want %d", n, len(cases)+len(distinct))
	}
	// The stored case is kept, and a filter in any case finds the user.
	for i, c := range cases {
		got := e.userIDs(center.Match{Attr: center.AttrUserName, Value: c.dup})
		e.sameIDs("ListUsers(userName eq "+c.dup+")", got, ids(stored[i]))
		if u := e.getUser(stored[i].ID); u.UserName != c.stored {
			e.t.Errorf("userName = %q, want %q as given", u.UserName, c.stored)
		}
	}
}

// A second user with a taken id is refused.
func testUserIDConflict(e *env) {
	u := e.user("one@example.com")
	dup := minimalUser("two@example.com")
	dup.ID = u.ID
	e.wantErr("CreateUser with a taken id", e.s.CreateUser(e.ctx, dup), center.ErrConflict)
	e.sameUser("the first", e.getUser(u.ID), u)
	if got := e.userIDs(center.Match{Attr: center.AttrUserName, Value: "two@example.com"}); len(got) != 0 {
		e.t.Errorf("the refused user is listed: %v", got)
	}
}

// UpdateUser stores what fn made of the user, returns it, and keeps every
// filterable attribute in step: the old values no longer match, the new do,
// and the old userName is free again.
func testUpdateUser(e *env) {
	m1 := e.user("m1@example.com")
	m2 := e.user("m2@example.com")
	u := e.createUser(fullUser("before@example.com", m1.ID))
	var want scim.User
	got, err := e.s.UpdateUser(e.ctx, u.ID, func(cur *scim.User) error {
		e.sameUser("fn's argument", cur, u)
		cur.UserName = "After@Example.com"
		cur.ExternalID = "ext-after"
		cur.Enterprise.Manager.Value = m2.ID
		cur.Enterprise.Department = "Research"
		cur.Active = false
		cur.Emails = []scim.Email{{Value: "after@example.com", Type: "work", Primary: true}}
		cur.Name = nil
		cur.Meta.LastModified = t0.Add(time.Hour)
		want = *cur
		return nil
	})
	e.noErr("UpdateUser", err)
	e.sameUser("UpdateUser result", got, &want)
	e.sameUser("GetUser after update", e.getUser(u.ID), &want)

	by := func(attr, v string) []string { return e.userIDs(center.Match{Attr: attr, Value: v}) }
	e.sameIDs("userName eq old", by(center.AttrUserName, "before@example.com"), nil)
	e.sameIDs("userName eq new", by(center.AttrUserName, "after@example.com"), ids(u))
	e.sameIDs("externalId eq old", by(center.AttrExternalID, "ext-before@example.com"), nil)
	e.sameIDs("externalId eq new", by(center.AttrExternalID, "ext-after"), ids(u))
	e.sameIDs("manager eq old", by(center.AttrManager, m1.ID), nil)
	e.sameIDs("manager eq new", by(center.AttrManager, m2.ID), ids(u))

	// The old name can be taken by someone else now.
	e.user("BEFORE@example.com")

	// Removing the enterprise extension clears the manager filter too.
	_, err = e.s.UpdateUser(e.ctx, u.ID, func(cur *scim.User) error {
		cur.Enterprise = nil
		cur.Schemas = []string{scim.SchemaUser}
		cur.ExternalID = ""
		return nil
	})
	e.noErr("UpdateUser (drop extension)", err)
	e.sameIDs("manager eq after drop", by(center.AttrManager, m2.ID), nil)
	e.sameIDs("externalId eq after drop", by(center.AttrExternalID, "ext-after"), nil)
	if got := e.getUser(u.ID); got.Enterprise != nil || got.ExternalID != "" {
		e.t.Errorf("after dropping them, enterprise = %+v, externalId = %q", got.Enterprise, got.ExternalID)
	}
}

// Changing only the case of one's own userName is no conflict.
func testUpdateUserCaseOnlyRename(e *env) {
	u := e.user("carol@example.com")
	_, err := e.s.UpdateUser(e.ctx, u.ID, func(cur *scim.User) error { cur.UserName = "CAROL@example.com"; return nil })
	e.noErr("UpdateUser (case only)", err)
	if got := e.getUser(u.ID).UserName; got != "CAROL@example.com" {
		e.t.Errorf("userName = %q, want CAROL@example.com", got)
	}
	e.sameIDs("userName eq", e.userIDs(center.Match{Attr: center.AttrUserName, Value: "carol@EXAMPLE.com"}), ids(u))
}

var errFromFn = errors.New("storetest: fn refused")

// fn's error is returned as is (wrapped at most) and nothing fn changed is
// stored.
func testUpdateUserErrorRollsBack(e *env) {
	mgr := e.user("mgr@example.com")
	u := e.createUser(fullUser("dave@example.com", mgr.ID))
	for _, ferr := range []error{errFromFn, center.Invalidf("bad value")} {
		got, err := e.s.UpdateUser(e.ctx, u.ID, func(cur *scim.User) error {
			cur.UserName = "changed@example.com"
			cur.ExternalID = "changed"
			cur.Enterprise = nil
			cur.Title = "changed"
			return ferr
		})
		e.wantErr("UpdateUser with failing fn", err, ferr)
		if got != nil {
			e.t.Errorf("UpdateUser with failing fn returned a user: %+v", got)
		}
		e.sameUser("user after failed update", e.getUser(u.ID), u)
		e.sameIDs("userName eq unchanged", e.userIDs(center.Match{Attr: center.AttrUserName, Value: "dave@example.com"}), ids(u))
		e.sameIDs("userName eq changed", e.userIDs(center.Match{Attr: center.AttrUserName, Value: "changed@example.com"}), nil)
		e.sameIDs("manager eq", e.userIDs(center.Match{Attr: center.AttrManager, Value: mgr.ID}), ids(u))
	}
	// The name fn tried is still free.
	e.user("changed@example.com")
}

// Renaming into a taken userName is a conflict and changes nothing, not even
// the other attributes fn changed.
func testUpdateUserRenameConflict(e *env) {
	a := e.createUser(fullUser("erin@example.com", ""))
	b := e.createUser(fullUser("frank@example.com", ""))
	_, err := e.s.UpdateUser(e.ctx, a.ID, func(cur *scim.User) error {
		cur.UserName = "FRANK@example.com"
		cur.Title = "should not stick"
		cur.ExternalID = "should-not-stick"
		return nil
	})
	e.wantErr("rename into a taken userName", err, center.ErrConflict)
	e.sameUser("renamed user", e.getUser(a.ID), a)
	e.sameUser("other user", e.getUser(b.ID), b)
	e.sameIDs("externalId eq", e.userIDs(center.Match{Attr: center.AttrExternalID, Value: "should-not-stick"}), nil)
	e.sameIDs("userName eq frank", e.userIDs(center.Match{Attr: center.AttrUserName, Value: "frank@example.com"}), ids(b))
}

// DeleteUser removes the user and every membership; the userName is free.
func testDeleteUser(e *env) {
	u := e.user("gone@example.com")
	other := e.user("stays@example.com")
	g1 := e.group("g1", u.ID, other.ID)
	g2 := e.group("g2", u.ID)
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, u.ID))
	_, err := e.s.GetUser(e.ctx, u.ID)
	e.wantErr("GetUser after delete", err, center.ErrNotFound)
	e.wantErr("DeleteUser again", e.s.DeleteUser(e.ctx, u.ID), center.ErrNotFound)
	e.sameIDs("members of g1", e.members(g1.ID), ids(other))
	e.sameIDs("members of g2", e.members(g2.ID), nil)
	e.sameIDs("groups of the deleted user", e.groupsOf(u.ID), nil)
	e.sameIDs("groups of the other user", e.groupsOf(other.ID), gids(g1))
	e.sameIDs("userName eq", e.userIDs(center.Match{Attr: center.AttrUserName, Value: "gone@example.com"}), nil)
	if n := e.totalUsers(); n != 1 {
		e.t.Errorf("Total = %d, want 1", n)
	}
	// The groups themselves stay, and the name can be used again.
	e.getGroup(g2.ID)
	again := e.user("Gone@example.com")
	e.sameIDs("groups of the new user", e.groupsOf(again.ID), nil)
}
