package storetest

import (
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/scim"
)

// editMembers runs fn on a group's membership in an UpdateGroup.
func (e *env) editMembers(groupID string, fn func(m center.Members) error) error {
	_, err := e.s.UpdateGroup(e.ctx, groupID, func(_ *scim.Group, m center.Members) error { return fn(m) })
	return err
}

func testGroupRoundTrip(e *env) {
	a := e.user("a@example.com")
	b := e.user("b@example.com")
	g := newGroup(`Ops "EMEA" <a&b> \ 🚀 Åtgärd`)
	want := *g
	e.noErr("CreateGroup", e.s.CreateGroup(e.ctx, g, []string{a.ID, b.ID}))
	e.sameGroup("GetGroup", e.getGroup(g.ID), &want)
	listed := e.allGroups(100, m(center.AttrID, g.ID))
	if len(listed) != 1 {
		e.t.Fatalf("ListGroups(id) = %d groups, want 1", len(listed))
	}
	e.sameGroup("ListGroups", listed[0], &want)
	e.sameIDs("members", e.members(g.ID), ids(a, b))

	bare := newGroup("bare")
	bare.ExternalID = ""
	e.noErr("CreateGroup", e.s.CreateGroup(e.ctx, bare, nil))
	e.sameGroup("GetGroup(bare)", e.getGroup(bare.ID), bare)
	e.sameIDs("members of bare", e.members(bare.ID), nil)

	// A member listed twice is a member once.
	dups := e.group("dups", a.ID, a.ID)
	e.sameIDs("members of dups", e.members(dups.ID), ids(a))
}

func testGroupNotFound(e *env) {
	e.group("present")
	missing := newID()
	_, err := e.s.GetGroup(e.ctx, missing)
	e.wantErr("GetGroup(missing)", err, center.ErrNotFound)
	called := false
	_, err = e.s.UpdateGroup(e.ctx, missing, func(*scim.Group, center.Members) error { called = true; return nil })
	e.wantErr("UpdateGroup(missing)", err, center.ErrNotFound)
	if called {
		e.t.Error("UpdateGroup called fn for a missing group")
	}
	e.wantErr("DeleteGroup(missing)", e.s.DeleteGroup(e.ctx, missing), center.ErrNotFound)
	// A user id is not a group id.
	u := e.user("u@example.com")
	_, err = e.s.GetGroup(e.ctx, u.ID)
	e.wantErr("GetGroup(user id)", err, center.ErrNotFound)
	_, err = e.s.GetUser(e.ctx, e.allGroups(10)[0].ID)
	e.wantErr("GetUser(group id)", err, center.ErrNotFound)
	if n := e.totalGroups(); n != 1 {
		e.t.Errorf("Total = %d, want 1", n)
	}
}

// displayName is unique compared case-insensitively (AWS: 409 "Group already
// exists"), and so is the id; a refused group leaves nothing behind.
func testGroupConflict(e *env) {
	a := e.user("a@example.com")
	cases := []struct{ stored, dup string }{
		{"Admins", "Admins"},
		{"Developers", "DEVELOPERS"},
		{"ÅTERFÖRSÄLJARE", "återförsäljare"},
	}
	var stored []*scim.Group
	for _, c := range cases {
		g := e.group(c.stored)
		stored = append(stored, g)
		dup := newGroup(c.dup)
		e.wantErr("CreateGroup("+c.dup+") with "+c.stored+" stored", e.s.CreateGroup(e.ctx, dup, []string{a.ID}), center.ErrConflict)
		_, err := e.s.GetGroup(e.ctx, dup.ID)
		e.wantErr("GetGroup(refused group)", err, center.ErrNotFound)
		e.sameIDs("members of "+c.stored, e.members(g.ID), nil)
	}
	e.sameIDs("groups of a", e.groupsOf(a.ID), nil)
	dup := newGroup("another name")
	dup.ID = stored[0].ID
	e.wantErr("CreateGroup with a taken id", e.s.CreateGroup(e.ctx, dup, nil), center.ErrConflict)
	e.sameGroup("first group", e.getGroup(stored[0].ID), stored[0])
	if n := e.totalGroups(); n != len(cases) {
		e.t.Errorf("Total = %d, want %d", n, len(cases))
	}
}

// Creating a group with a member that is not a user is invalid and creates
// nothing.
func testCreateGroupInvalidMembers(e *env) {
	a := e.user("a@example.com")
	other := e.group("other")
	for _, bad := range []string{newID(), other.ID, ""} {
		g := newGroup("new")
		err := e.s.CreateGroup(e.ctx, g, []string{a.ID, bad})
		e.wantErr("CreateGroup with member "+bad, err, center.ErrInvalid)
		_, err = e.s.GetGroup(e.ctx, g.ID)
		e.wantErr("GetGroup(refused group)", err, center.ErrNotFound)
	}
	e.sameIDs("groups of a", e.groupsOf(a.ID), nil)
	if n := e.totalGroups(); n != 1 {
		e.t.Errorf("Total = %d, want 1", n)
	}
	g := e.group("new", a.ID) // the name was never taken
	e.sameIDs("members", e.members(g.ID), ids(a))
}

// Add, Remove and Replace, each idempotent where AWS is: adding a member
// again or removing a non-member changes nothing and is no error.
func testMembers(e *env) {
	a := e.user("a@example.com")
	b := e.user("b@example.com")
	c := e.user("c@example.com")
	d := e.user("d@example.com")
	g := e.group("g", a.ID)
	bystander := e.group("bystander", a.ID, b.ID)

	steps := []struct {
		what string
		fn   func(m center.Members) error
		want []*scim.User
	}{
		{"add b", func(m center.Members) error { return m.Add([]string{b.ID}) }, []*scim.User{a, b}},
		{"add a, b again", func(m center.Members) error { return m.Add([]string{a.ID, b.ID}) }, []*scim.User{a, b}},
		{"add c twice in one call", func(m center.Members) error { return m.Add([]string{c.ID, c.ID}) }, []*scim.User{a, b, c}},
		{"add nothing", func(m center.Members) error { return m.Add(nil) }, []*scim.User{a, b, c}},
		{"remove non-member d", func(m center.Members) error { return m.Remove([]string{d.ID}) }, []*scim.User{a, b, c}},
		{"remove unknown id", func(m center.Members) error { return m.Remove([]string{newID()}) }, []*scim.User{a, b, c}},
		{"remove a", func(m center.Members) error { return m.Remove([]string{a.ID}) }, []*scim.User{b, c}},
		{"remove a again", func(m center.Members) error { return m.Remove([]string{a.ID}) }, []*scim.User{b, c}},
		{"replace with d, a", func(m center.Members) error { return m.Replace([]string{d.ID, a.ID}) }, []*scim.User{a, d}},
		{"replace with the same", func(m center.Members) error { return m.Replace([]string{a.ID, d.ID}) }, []*scim.User{a, d}},
		{"replace with none", func(m center.Members) error { return m.Replace(nil) }, nil},
		{"remove from empty", func(m center.Members) error { return m.Remove([]string{a.ID}) }, nil},
		{"add then remove in one update", func(m center.Members) error {
			if err := m.Add([]string{b.ID, c.ID}); err != nil {
				return err
			}
			return m.Remove([]string{b.ID})
		}, []*scim.User{c}},
		{"add then replace in one update", func(m center.Members) error {
			if err := m.Add([]string{a.ID}); err != nil {
				return err
			}
			return m.Replace([]string{b.ID, d.ID})
		}, []*scim.User{b, d}},
	}
	for _, s := range steps {
		if err := e.editMembers(g.ID, s.fn); err != nil {
			e.t.Fatalf("%s: %v", s.what, err)
		}
		e.sameIDs("members after "+s.what, e.members(g.ID), ids(s.want...))
	}
	e.sameIDs("groups of d", e.groupsOf(d.ID), gids(g))
	e.sameIDs("members of bystander", e.members(bystander.ID), ids(a, b))
}

// Adding an id that is not a user (unknown, a group, empty) fails with
// ErrInvalid and the whole update changes nothing.
func testMembersInvalid(e *env) {
	a := e.user("a@example.com")
	b := e.user("b@example.com")
	other := e.group("other", b.ID)
	g := e.group("g", a.ID)
	before := e.getGroup(g.ID)
	for _, bad := range []string{newID(), other.ID, g.ID, ""} {
		edits := []struct {
			what string
			fn   func(m center.Members) error
		}{
			{"add", func(m center.Members) error { return m.Add([]string{b.ID, bad}) }},
			{"replace", func(m center.Members) error { return m.Replace([]string{b.ID, bad}) }},
			{"remove then add", func(m center.Members) error {
				if err := m.Remove([]string{a.ID}); err != nil {
					return err
				}
				return m.Add([]string{bad})
			}},
		}
		for _, ed := range edits {
			var merr error
			_, err := e.s.UpdateGroup(e.ctx, g.ID, func(cur *scim.Group, m center.Members) error {
				cur.DisplayName = "renamed"
				merr = ed.fn(m)
				return merr
			})
			what := ed.what + " " + bad
			e.wantErr(what+": the Members call", merr, center.ErrInvalid)
			e.wantErr(what+": UpdateGroup", err, center.ErrInvalid)
			// The error names the member, and says when it is a group.
			if err != nil && (!strings.Contains(err.Error(), "member "+bad+" is") ||
				(bad == other.ID || bad == g.ID) != strings.Contains(err.Error(), "is a group")) {
				e.t.Errorf("%s: UpdateGroup error %q does not say what %q is", what, err, bad)
			}
			e.sameIDs("members after "+what, e.members(g.ID), ids(a))
			e.sameGroup("group after "+what, e.getGroup(g.ID), before)
		}
	}
	e.sameIDs("members of other", e.members(other.ID), ids(b))
	e.sameIDs("groups of b", e.groupsOf(b.ID), gids(other))
}

// UpdateGroup stores what fn made of the group, returns it, and keeps the
// filters in step.
func testUpdateGroup(e *env) {
	a := e.user("a@example.com")
	b := e.user("b@example.com")
	g := newGroup("Sales")
	g.ExternalID = "S-1"
	e.noErr("CreateGroup", e.s.CreateGroup(e.ctx, g, []string{a.ID}))
	var want scim.Group
	got, err := e.s.UpdateGroup(e.ctx, g.ID, func(cur *scim.Group, mem center.Members) error {
		e.sameGroup("fn's argument", cur, g)
		cur.DisplayName = "Sales EMEA"
		cur.ExternalID = "S-2"
		cur.Meta.LastModified = t0.Add(time.Hour)
		want = *cur
		return mem.Add([]string{b.ID})
	})
	e.noErr("UpdateGroup", err)
	if got == nil {
		e.t.Fatal("UpdateGroup returned no group")
	}
	e.sameGroup("UpdateGroup result", got, &want)
	e.sameGroup("GetGroup after update", e.getGroup(g.ID), &want)
	e.sameIDs("members", e.members(g.ID), ids(a, b))

	by := func(attr, v string) []string { return e.groupIDs(m(attr, v)) }
	e.sameIDs("displayName eq old", by(center.AttrDisplayName, "Sales"), nil)
	e.sameIDs("displayName eq new", by(center.AttrDisplayName, "sales emea"), gids(g))
	e.sameIDs("externalId eq old", by(center.AttrExternalID, "S-1"), nil)
	e.sameIDs("externalId eq new", by(center.AttrExternalID, "S-2"), gids(g))

	// A case-only rename is no conflict; the old name is free for others.
	_, err = e.s.UpdateGroup(e.ctx, g.ID, func(cur *scim.Group, _ center.Members) error {
		cur.DisplayName = "SALES EMEA"
		cur.ExternalID = ""
		return nil
	})
	e.noErr("UpdateGroup (case only)", err)
	if cur := e.getGroup(g.ID); cur.DisplayName != "SALES EMEA" || cur.ExternalID != "" {
		e.t.Errorf("after update: displayName %q externalId %q, want SALES EMEA and none", cur.DisplayName, cur.ExternalID)
	}
	e.sameIDs("externalId eq after clearing", by(center.AttrExternalID, "S-2"), nil)
	e.group("sales")
}

// fn's error is returned and nothing fn changed is stored, membership
// included.
func testUpdateGroupErrorRollsBack(e *env) {
	a := e.user("a@example.com")
	b := e.user("b@example.com")
	g := e.group("g", a.ID)
	before := e.getGroup(g.ID)
	for _, ferr := range []error{errFromFn, center.Invalidf("bad value")} {
		got, err := e.s.UpdateGroup(e.ctx, g.ID, func(cur *scim.Group, mem center.Members) error {
			cur.DisplayName = "changed"
			cur.ExternalID = "changed"
			if err := mem.Replace([]string{b.ID}); err != nil {
				return err
			}
			return ferr
		})
		e.wantErr("UpdateGroup with failing fn", err, ferr)
		if got != nil {
			e.t.Errorf("UpdateGroup with failing fn returned a group: %+v", got)
		}
		e.sameGroup("group after failed update", e.getGroup(g.ID), before)
		e.sameIDs("members after failed update", e.members(g.ID), ids(a))
		e.sameIDs("displayName eq changed", e.groupIDs(m(center.AttrDisplayName, "changed")), nil)
	}
}

// Renaming into a taken displayName is a conflict and changes nothing, not
// even the membership fn changed.
func testUpdateGroupRenameConflict(e *env) {
	a := e.user("a@example.com")
	b := e.user("b@example.com")
	ga := e.group("Team A", a.ID)
	gb := e.group("Team B", b.ID)
	_, err := e.s.UpdateGroup(e.ctx, ga.ID, func(cur *scim.Group, mem center.Members) error {
		cur.DisplayName = "TEAM b"
		cur.ExternalID = "should-not-stick"
		return mem.Add([]string{b.ID})
	})
	e.wantErr("rename into a taken displayName", err, center.ErrConflict)
	e.sameGroup("renamed group", e.getGroup(ga.ID), ga)
	e.sameGroup("other group", e.getGroup(gb.ID), gb)
	e.sameIDs("members of A", e.members(ga.ID), ids(a))
	e.sameIDs("members of B", e.members(gb.ID), ids(b))
	e.sameIDs("externalId eq", e.groupIDs(m(center.AttrExternalID, "should-not-stick")), nil)
}

// DeleteGroup removes the group and its memberships, not the users.
func testDeleteGroup(e *env) {
	a := e.user("a@example.com")
	b := e.user("b@example.com")
	g := e.group("doomed", a.ID, b.ID)
	other := e.group("other", a.ID)
	e.noErr("DeleteGroup", e.s.DeleteGroup(e.ctx, g.ID))
	_, err := e.s.GetGroup(e.ctx, g.ID)
	e.wantErr("GetGroup after delete", err, center.ErrNotFound)
	e.wantErr("DeleteGroup again", e.s.DeleteGroup(e.ctx, g.ID), center.ErrNotFound)
	e.sameIDs("members of the deleted group", e.members(g.ID), nil)
	e.sameIDs("groups of a", e.groupsOf(a.ID), gids(other))
	e.sameIDs("groups of b", e.groupsOf(b.ID), nil)
	e.sameIDs("members of other", e.members(other.ID), ids(a))
	e.getUser(a.ID)
	e.getUser(b.ID)
	_, err = e.s.UpdateGroup(e.ctx, g.ID, func(*scim.Group, center.Members) error { return nil })
	e.wantErr("UpdateGroup after delete", err, center.ErrNotFound)
	again := e.group("DOOMED")
	e.sameIDs("members of the new group", e.members(again.ID), nil)
	if n := e.totalGroups(); n != 2 {
		e.t.Errorf("Total = %d, want 2", n)
	}
}
