package storetest

import (
	"context"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

func testDirGroupRoundTrip(e *dirEnv) {
	g := e.group("Tour Operations")
	sameJSON(e.t, "GetGroup", e.getGroup(g.ID), g)
	list, err := e.s.ListGroups(e.ctx, directory.GroupQuery{})
	e.noErr("ListGroups", err)
	if len(list) != 1 {
		e.t.Fatalf("ListGroups = %d groups, want 1", len(list))
	}
	sameJSON(e.t, "ListGroups", list[0], g)

	// Display names need not be unique (as in Entra ID).
	twin := e.group("Tour Operations")
	d := dirGroup("Distribution")
	d.SecurityEnabled, d.Description, d.MailNickname = false, "", ""
	e.noErr("CreateGroup", e.s.CreateGroup(e.ctx, d))
	sameJSON(e.t, "GetGroup(minimal)", e.getGroup(d.ID), d)
	e.same("ListGroups", e.listGroups(directory.GroupQuery{}), sorted([]string{g.ID, twin.ID, d.ID}))
	e.same("Members(new group)", e.members(g.ID), nil)
}

func testDirUpdateGroup(e *dirEnv) {
	g := e.group("before")
	u := e.user("member@example.com")
	e.add(g.ID, u.ID)
	t1 := t0.Add(time.Hour)
	got, err := e.s.UpdateGroup(e.ctx, g.ID, func(cur *directory.Group) error {
		sameJSON(e.t, "fn's group", cur, g)
		cur.DisplayName, cur.Description, cur.SecurityEnabled, cur.Modified = "After", "", false, t1
		cur.ID = "ignored"
		return nil
	})
	e.noErr("UpdateGroup", err)
	want := *g
	want.DisplayName, want.Description, want.SecurityEnabled, want.Modified = "After", "", false, t1
	sameJSON(e.t, "UpdateGroup result", got, &want)
	sameJSON(e.t, "GetGroup after update", e.getGroup(g.ID), &want)
	e.same("ListGroups(Eq displayName after)", e.listGroups(directory.GroupQuery{Eq: kv("displayName", "AFTER")}), []string{g.ID})
	e.same("ListGroups(Eq displayName before)", e.listGroups(directory.GroupQuery{Eq: kv("displayName", "before")}), nil)
	e.same("members kept", e.members(g.ID), []string{userMember(u.ID)})

	last, _ := e.s.LastChange(e.ctx)
	_, err = e.s.UpdateGroup(e.ctx, g.ID, func(cur *directory.Group) error {
		cur.DisplayName = "changed"
		return errFromFn
	})
	e.wantErr("UpdateGroup(fn fails)", err, errFromFn)
	sameJSON(e.t, "group after a failed update", e.getGroup(g.ID), &want)
	e.noChanges("failed UpdateGroup", last)
}

func testDirGroupErrors(e *dirEnv) {
	g := e.group("g")
	_, err := e.s.GetGroup(e.ctx, newID())
	e.wantErr("GetGroup(unknown)", err, directory.ErrNotFound)
	_, err = e.s.UpdateGroup(e.ctx, newID(), func(*directory.Group) error { return nil })
	e.wantErr("UpdateGroup(unknown)", err, directory.ErrNotFound)
	e.wantErr("DeleteGroup(unknown)", e.s.DeleteGroup(e.ctx, newID(), t0), directory.ErrNotFound)
	dup := dirGroup("other")
	dup.ID = g.ID
	e.wantErr("CreateGroup(same id)", e.s.CreateGroup(e.ctx, dup), directory.ErrConflict)
	sameJSON(e.t, "the first group", e.getGroup(g.ID), g)
	// A user's id is no group, and a group's id no user: refused writes
	// leave the object's memberships and assignments alone.
	u := e.user("u@example.com")
	parent := e.group("parent", u.ID, g.ID)
	app := e.app("app")
	ua := e.assign(app.ID, u.ID)
	ga := e.assign(app.ID, g.ID)
	last, _ := e.s.LastChange(e.ctx)
	_, err = e.s.GetGroup(e.ctx, u.ID)
	e.wantErr("GetGroup(a user's id)", err, directory.ErrNotFound)
	e.wantErr("DeleteGroup(a user's id)", e.s.DeleteGroup(e.ctx, u.ID, t0), directory.ErrNotFound)
	e.wantErr("PurgeUser(a group's id)", e.s.PurgeUser(e.ctx, g.ID, t0), directory.ErrNotFound)
	e.wantErr("DeleteUser(a group's id)", e.s.DeleteUser(e.ctx, g.ID, t0), directory.ErrNotFound)
	e.getUser(u.ID)
	e.getGroup(g.ID)
	e.same("Members(parent)", e.members(parent.ID), sorted([]string{userMember(u.ID), groupMember(g.ID)}))
	e.same("AssignmentsOf(u)", e.assignmentsOf(u.ID), []string{ua.ID})
	e.same("AssignmentsOf(g)", e.assignmentsOf(g.ID), []string{ga.ID})
	e.noChanges("refused writes", last)
}

// AddMember takes users and groups; Members and MemberOf list direct
// memberships only.
func testDirAddMember(e *dirEnv) {
	top := e.group("top")
	mid := e.group("mid")
	u1 := e.user("u1@example.com")
	u2 := e.user("u2@example.com")
	e.add(top.ID, mid.ID)
	e.add(top.ID, u1.ID)
	e.add(mid.ID, u1.ID)
	e.add(mid.ID, u2.ID)
	e.same("Members(top)", e.members(top.ID), sorted([]string{groupMember(mid.ID), userMember(u1.ID)}))
	e.same("Members(mid)", e.members(mid.ID), sorted([]string{userMember(u1.ID), userMember(u2.ID)}))
	e.same("MemberOf(u1)", e.memberOf(u1.ID), sorted([]string{top.ID, mid.ID}))
	e.same("MemberOf(u2)", e.memberOf(u2.ID), []string{mid.ID})
	e.same("MemberOf(mid)", e.memberOf(mid.ID), []string{top.ID})
	e.same("MemberOf(top)", e.memberOf(top.ID), nil)
	e.same("MemberOf(unknown)", e.memberOf(newID()), nil)
	e.same("Members(unknown)", e.members(newID()), nil)
	// A diamond is no cycle.
	other := e.group("other", u2.ID)
	e.add(top.ID, other.ID)
	e.add(mid.ID, e.group("leaf").ID)
}

func testDirAddMemberErrors(e *dirEnv) {
	a := e.group("a")
	b := e.group("b")
	c := e.group("c")
	u := e.user("u@example.com")
	e.add(a.ID, b.ID)
	e.add(b.ID, c.ID)
	e.add(c.ID, u.ID)
	gone := e.user("gone@example.com")
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, gone.ID, t0))
	last, _ := e.s.LastChange(e.ctx)

	e.wantErr("AddMember(duplicate user)", e.s.AddMember(e.ctx, c.ID, u.ID, t0), directory.ErrConflict)
	e.wantErr("AddMember(duplicate group)", e.s.AddMember(e.ctx, a.ID, b.ID, t0), directory.ErrConflict)
	e.wantErr("AddMember(self)", e.s.AddMember(e.ctx, a.ID, a.ID, t0), directory.ErrInvalid)
	e.wantErr("AddMember(parent into child)", e.s.AddMember(e.ctx, b.ID, a.ID, t0), directory.ErrInvalid)
	e.wantErr("AddMember(grandparent into grandchild)", e.s.AddMember(e.ctx, c.ID, a.ID, t0), directory.ErrInvalid)
	e.wantErr("AddMember(unknown group)", e.s.AddMember(e.ctx, newID(), u.ID, t0), directory.ErrNotFound)
	e.wantErr("AddMember(into a user)", e.s.AddMember(e.ctx, u.ID, a.ID, t0), directory.ErrNotFound)
	e.wantErr("AddMember(unknown member)", e.s.AddMember(e.ctx, a.ID, newID(), t0), directory.ErrInvalid)
	e.wantErr("AddMember(deleted user)", e.s.AddMember(e.ctx, a.ID, gone.ID, t0), directory.ErrInvalid)

	e.same("Members(a)", e.members(a.ID), []string{groupMember(b.ID)})
	e.same("Members(b)", e.members(b.ID), []string{groupMember(c.ID)})
	e.same("Members(c)", e.members(c.ID), []string{userMember(u.ID)})
	e.noChanges("refused AddMember", last)
}

func testDirRemoveMember(e *dirEnv) {
	g := e.group("g")
	sub := e.group("sub")
	u := e.user("u@example.com")
	v := e.user("v@example.com")
	e.add(g.ID, u.ID)
	e.add(g.ID, v.ID)
	e.add(g.ID, sub.ID)
	e.noErr("RemoveMember(user)", e.s.RemoveMember(e.ctx, g.ID, u.ID, t0))
	e.noErr("RemoveMember(group)", e.s.RemoveMember(e.ctx, g.ID, sub.ID, t0))
	e.same("Members", e.members(g.ID), []string{userMember(v.ID)})
	e.same("MemberOf(u)", e.memberOf(u.ID), nil)
	e.same("MemberOf(sub)", e.memberOf(sub.ID), nil)
	last, _ := e.s.LastChange(e.ctx)
	e.wantErr("RemoveMember(again)", e.s.RemoveMember(e.ctx, g.ID, u.ID, t0), directory.ErrNotFound)
	e.wantErr("RemoveMember(unknown group)", e.s.RemoveMember(e.ctx, newID(), v.ID, t0), directory.ErrNotFound)
	e.noChanges("refused RemoveMember", last)
	// Removed members can be added again.
	e.add(g.ID, u.ID)
	e.add(g.ID, sub.ID)
	e.same("Members after re-adding", e.members(g.ID), sorted([]string{userMember(u.ID), userMember(v.ID), groupMember(sub.ID)}))
}

// DeleteGroup removes the group, its memberships in both directions and its
// assignments; its members and parents stay.
func testDirDeleteGroup(e *dirEnv) {
	parent := e.group("parent")
	g := e.group("doomed")
	sub := e.group("sub")
	u := e.user("u@example.com")
	e.add(parent.ID, g.ID)
	e.add(g.ID, sub.ID)
	e.add(g.ID, u.ID)
	e.add(parent.ID, u.ID)
	app := e.app("app")
	ga := e.assign(app.ID, g.ID)
	ua := e.assign(app.ID, u.ID)
	e.noErr("DeleteGroup", e.s.DeleteGroup(e.ctx, g.ID, t0))

	_, err := e.s.GetGroup(e.ctx, g.ID)
	e.wantErr("GetGroup(deleted)", err, directory.ErrNotFound)
	e.same("ListGroups", e.listGroups(directory.GroupQuery{}), sorted([]string{parent.ID, sub.ID}))
	e.same("Members(parent)", e.members(parent.ID), []string{userMember(u.ID)})
	e.same("Members(deleted)", e.members(g.ID), nil)
	e.same("MemberOf(deleted)", e.memberOf(g.ID), nil)
	e.same("MemberOf(sub)", e.memberOf(sub.ID), nil)
	e.same("MemberOf(u)", e.memberOf(u.ID), []string{parent.ID})
	e.same("Assignments(app)", e.assignments(app.ID), []string{ua.ID})
	e.same("AssignmentsOf(deleted)", e.assignmentsOf(g.ID), nil)
	e.wantErr("Unassign(the group's assignment)", e.s.Unassign(e.ctx, ga.ID, t0), directory.ErrNotFound)
	e.getGroup(sub.ID)
	e.getUser(u.ID)
	e.wantErr("DeleteGroup(again)", e.s.DeleteGroup(e.ctx, g.ID, t0), directory.ErrNotFound)
	// The id can be used again, without the old memberships.
	again := dirGroup("again")
	again.ID = g.ID
	e.noErr("CreateGroup(the deleted id)", e.s.CreateGroup(e.ctx, again))
	e.same("Members(new group, old id)", e.members(g.ID), nil)
	e.same("MemberOf(new group, old id)", e.memberOf(g.ID), nil)
}

func testDirApps(e *dirEnv) {
	apps, err := e.s.ListApps(e.ctx)
	e.noErr("ListApps", err)
	if len(apps) != 0 {
		e.t.Errorf("ListApps on an empty store = %d apps", len(apps))
	}
	b := &directory.App{ID: newID(), DisplayName: "Beta", Template: "aws-iam-identity-center", Created: t0}
	a := &directory.App{ID: newID(), DisplayName: "Alpha 'quoted'", Template: "scim", Created: t0.Add(time.Second)}
	e.noErr("CreateApp(b)", e.s.CreateApp(e.ctx, b))
	e.noErr("CreateApp(a)", e.s.CreateApp(e.ctx, a))
	got, err := e.s.GetApp(e.ctx, a.ID)
	e.noErr("GetApp", err)
	sameJSON(e.t, "GetApp", got, a)
	apps, err = e.s.ListApps(e.ctx)
	e.noErr("ListApps", err)
	sameJSON(e.t, "ListApps (by displayName)", apps, []*directory.App{a, b})

	dup := &directory.App{ID: a.ID, DisplayName: "dup", Template: "scim", Created: t0}
	e.wantErr("CreateApp(same id)", e.s.CreateApp(e.ctx, dup), directory.ErrConflict)
	_, err = e.s.GetApp(e.ctx, newID())
	e.wantErr("GetApp(unknown)", err, directory.ErrNotFound)

	// Deleting an app deletes its assignments.
	u := e.user("u@example.com")
	ab := e.assign(b.ID, u.ID)
	e.assign(a.ID, u.ID)
	e.noErr("DeleteApp", e.s.DeleteApp(e.ctx, a.ID, t0))
	_, err = e.s.GetApp(e.ctx, a.ID)
	e.wantErr("GetApp(deleted)", err, directory.ErrNotFound)
	e.same("Assignments(deleted app)", e.assignments(a.ID), nil)
	e.same("AssignmentsOf(u)", e.assignmentsOf(u.ID), []string{ab.ID})
	e.wantErr("DeleteApp(again)", e.s.DeleteApp(e.ctx, a.ID, t0), directory.ErrNotFound)
	apps, err = e.s.ListApps(e.ctx)
	e.noErr("ListApps", err)
	sameJSON(e.t, "ListApps after delete", apps, []*directory.App{b})
}

func testDirAssign(e *dirEnv) {
	app := e.app("app")
	other := e.app("other")
	u := e.user("u@example.com")
	g := e.group("g")
	ua := e.assign(app.ID, u.ID)
	if ua.AppRoleID != directory.DefaultAccessRole {
		e.t.Errorf("Assign without a role: appRoleId = %q, want %q", ua.AppRoleID, directory.DefaultAccessRole)
	}
	if ua.PrincipalKind != directory.KindUser {
		e.t.Errorf("Assign(user): principalType = %q", ua.PrincipalKind)
	}
	ga := &directory.Assignment{ID: newID(), AppID: app.ID, PrincipalID: g.ID, AppRoleID: "role-1", Created: t0.Add(time.Second)}
	e.noErr("Assign(group)", e.s.Assign(e.ctx, ga))
	if ga.PrincipalKind != directory.KindGroup {
		e.t.Errorf("Assign(group): principalType = %q", ga.PrincipalKind)
	}
	// The same principal in another role, or of another app, is fine.
	ur := &directory.Assignment{ID: newID(), AppID: app.ID, PrincipalID: u.ID, AppRoleID: "role-1", Created: t0}
	e.noErr("Assign(user, other role)", e.s.Assign(e.ctx, ur))
	uo := e.assign(other.ID, u.ID)

	as, err := e.s.Assignments(e.ctx, app.ID)
	e.noErr("Assignments", err)
	byID := map[string]*directory.Assignment{}
	for _, a := range as {
		byID[a.ID] = a
	}
	if len(as) != 3 {
		e.t.Errorf("Assignments(app) = %d, want 3", len(as))
	}
	for _, want := range []*directory.Assignment{ua, ga, ur} {
		sameJSON(e.t, "Assignments(app) "+want.ID, byID[want.ID], want)
	}
	e.same("AssignmentsOf(u)", e.assignmentsOf(u.ID), sorted([]string{ua.ID, ur.ID, uo.ID}))
	e.same("AssignmentsOf(g)", e.assignmentsOf(g.ID), []string{ga.ID})
	gas, err := e.s.AssignmentsOf(e.ctx, g.ID)
	e.noErr("AssignmentsOf", err)
	sameJSON(e.t, "AssignmentsOf(g)", gas, []*directory.Assignment{ga})
	e.same("AssignmentsOf(unknown)", e.assignmentsOf(newID()), nil)
	e.same("Assignments(unknown)", e.assignments(newID()), nil)
}

func testDirAssignErrors(e *dirEnv) {
	app := e.app("app")
	u := e.user("u@example.com")
	a := e.assign(app.ID, u.ID)
	v := e.user("v@example.com")
	gone := e.user("gone@example.com")
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, gone.ID, t0))
	last, _ := e.s.LastChange(e.ctx)

	dupRole := &directory.Assignment{ID: newID(), AppID: app.ID, PrincipalID: u.ID, Created: t0}
	e.wantErr("Assign(duplicate)", e.s.Assign(e.ctx, dupRole), directory.ErrConflict)
	dupID := &directory.Assignment{ID: a.ID, AppID: app.ID, PrincipalID: v.ID, Created: t0}
	e.wantErr("Assign(same id)", e.s.Assign(e.ctx, dupID), directory.ErrConflict)
	unknown := &directory.Assignment{ID: newID(), AppID: app.ID, PrincipalID: newID(), Created: t0}
	e.wantErr("Assign(unknown principal)", e.s.Assign(e.ctx, unknown), directory.ErrInvalid)
	noApp := &directory.Assignment{ID: newID(), AppID: newID(), PrincipalID: u.ID, Created: t0}
	e.wantErr("Assign(unknown app)", e.s.Assign(e.ctx, noApp), directory.ErrNotFound)
	toGone := &directory.Assignment{ID: newID(), AppID: app.ID, PrincipalID: gone.ID, Created: t0}
	e.wantErr("Assign(deleted user)", e.s.Assign(e.ctx, toGone), directory.ErrInvalid)
	e.same("Assignments", e.assignments(app.ID), []string{a.ID})
	e.noChanges("refused Assign", last)
}

func testDirUnassign(e *dirEnv) {
	app := e.app("app")
	u := e.user("u@example.com")
	g := e.group("g")
	ua := e.assign(app.ID, u.ID)
	ga := e.assign(app.ID, g.ID)
	e.noErr("Unassign(user)", e.s.Unassign(e.ctx, ua.ID, t0))
	e.same("Assignments", e.assignments(app.ID), []string{ga.ID})
	e.same("AssignmentsOf(u)", e.assignmentsOf(u.ID), nil)
	e.noErr("Unassign(group)", e.s.Unassign(e.ctx, ga.ID, t0))
	e.same("Assignments", e.assignments(app.ID), nil)
	last, _ := e.s.LastChange(e.ctx)
	e.wantErr("Unassign(again)", e.s.Unassign(e.ctx, ua.ID, t0), directory.ErrNotFound)
	e.noChanges("refused Unassign", last)
	// The same principal can be assigned again.
	e.assign(app.ID, u.ID)
}

// testDirAncestors: Ancestors lists every group above a user or a group,
// nearest first (by nesting steps, then by id), each once however many
// paths lead to it, and nothing for an object in no group.
func testDirAncestors(e *dirEnv) {
	u := e.user("nested@example.com")
	team := e.group("team", u.ID)
	a, b := e.group("dept a", team.ID), e.group("dept b", team.ID)
	org := e.group("org", a.ID, b.ID) // reached through both departments
	top := e.group("top", org.ID)
	other := e.group("other", u.ID)
	depts := sorted([]string{a.ID, b.ID})
	e.same("Ancestors(user)", e.ancestors(u.ID), append(append(sorted([]string{team.ID, other.ID}), depts...), org.ID, top.ID))
	e.same("Ancestors(team)", e.ancestors(team.ID), append(depts, org.ID, top.ID))
	e.same("Ancestors(org)", e.ancestors(org.ID), []string{top.ID})
	if got := e.ancestors(top.ID); len(got) != 0 {
		e.t.Errorf("Ancestors(top) = %v, want none", got)
	}
	if got := e.ancestors(newID()); len(got) != 0 {
		e.t.Errorf("Ancestors(unknown) = %v, want none", got)
	}
	e.noErr("RemoveMember", e.s.RemoveMember(e.ctx, a.ID, team.ID, t0))
	e.same("Ancestors(team) after leaving dept a", e.ancestors(team.ID), []string{b.ID, org.ID, top.ID})

	// Within a step the order is by id, not by the path: the first group
	// of the first step has the second parent of the next.
	v := e.user("order@example.com")
	g1, g2 := e.group("g1", v.ID), e.group("g2", v.ID)
	first, second := g1, g2
	if second.ID < first.ID {
		first, second = second, first
	}
	p1, p2 := e.group("p1"), e.group("p2")
	low, high := p1, p2
	if high.ID < low.ID {
		low, high = high, low
	}
	e.add(high.ID, first.ID)
	e.add(low.ID, second.ID)
	e.same("Ancestors(v)", e.ancestors(v.ID), []string{first.ID, second.ID, low.ID, high.ID})
}

func (e *dirEnv) ancestors(id string) []string { return e.idsOf("Ancestors", e.s.Ancestors, id) }

// idsOf calls a store method that lists ids for id, failing on an error.
func (e *dirEnv) idsOf(name string, list func(context.Context, string) ([]string, error), id string) []string {
	e.t.Helper()
	got, err := list(e.ctx, id)
	if err != nil {
		e.t.Fatalf("%s(%s): %v", name, id, err)
	}
	return got
}

// testDirAppsOf: AppsOf lists the apps assigned to a principal directly or
// through the groups above it at any depth, each once, by id, and follows
// membership and assignment changes at once.
func testDirAppsOf(e *dirEnv) {
	u := e.user("apps@example.com")
	team := e.group("team", u.ID)
	dept := e.group("dept", team.ID)
	outsider := e.group("outsider")
	direct, viaDept, notMine := e.app("direct"), e.app("via dept"), e.app("not mine")
	e.assign(direct.ID, u.ID)
	e.assign(viaDept.ID, dept.ID)
	e.assign(viaDept.ID, team.ID) // a second path to the same app
	e.assign(notMine.ID, outsider.ID)
	e.same("AppsOf(user)", e.appsOf(u.ID), sorted([]string{direct.ID, viaDept.ID}))
	e.same("AppsOf(team)", e.appsOf(team.ID), []string{viaDept.ID})
	e.same("AppsOf(outsider)", e.appsOf(outsider.ID), []string{notMine.ID})
	if got := e.appsOf(newID()); len(got) != 0 {
		e.t.Errorf("AppsOf(unknown) = %v, want none", got)
	}
	e.add(outsider.ID, dept.ID)
	e.same("AppsOf(user) with dept in outsider", e.appsOf(u.ID), sorted([]string{direct.ID, viaDept.ID, notMine.ID}))
	e.noErr("RemoveMember", e.s.RemoveMember(e.ctx, team.ID, u.ID, t0))
	e.same("AppsOf(user) after leaving team", e.appsOf(u.ID), []string{direct.ID})
}

func (e *dirEnv) appsOf(id string) []string { return e.idsOf("AppsOf", e.s.AppsOf, id) }
