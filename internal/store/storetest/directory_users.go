package storetest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// Every attribute comes back as stored, from GetUser, UserByUPN and
// ListUsers.
func testDirUserRoundTrip(e *dirEnv) {
	u := e.createUser(fullDirUser("Asa.Oberg@Example.com"))
	sameJSON(e.t, "GetUser", e.getUser(u.ID), u)
	byUPN, err := e.s.UserByUPN(e.ctx, "asa.oberg@EXAMPLE.COM")
	e.noErr("UserByUPN", err)
	sameJSON(e.t, "UserByUPN (other case)", byUPN, u)
	list, err := e.s.ListUsers(e.ctx, directory.UserQuery{})
	e.noErr("ListUsers", err)
	if len(list) != 1 {
		e.t.Fatalf("ListUsers = %d users, want 1", len(list))
	}
	sameJSON(e.t, "ListUsers", list[0], u)

	// A disabled user with no phones: false and the empty list survive.
	v := fullDirUser("disabled@example.com")
	v.AccountEnabled, v.BusinessPhones = false, []string{}
	e.createUser(v)
	sameJSON(e.t, "GetUser(disabled)", e.getUser(v.ID), v)
}

// A user with only the required attributes reads back with the optional
// ones empty and businessPhones an empty list, not null (as in Graph).
func testDirUserMinimal(e *dirEnv) {
	u := e.user("min@example.com")
	got := e.getUser(u.ID)
	if got.BusinessPhones == nil {
		e.t.Errorf("businessPhones is nil, want an empty list")
	}
	want := *u
	want.BusinessPhones = []string{}
	sameJSON(e.t, "GetUser", got, &want)
	if got.Deleted != nil {
		e.t.Errorf("Deleted = %v on a live user", got.Deleted)
	}
}

func testDirUserNotFound(e *dirEnv) {
	e.user("someone@example.com")
	_, err := e.s.GetUser(e.ctx, newID())
	e.wantErr("GetUser(unknown)", err, directory.ErrNotFound)
	_, err = e.s.UserByUPN(e.ctx, "nobody@example.com")
	e.wantErr("UserByUPN(unknown)", err, directory.ErrNotFound)
	_, err = e.s.UpdateUser(e.ctx, newID(), func(*directory.User) error { return nil })
	e.wantErr("UpdateUser(unknown)", err, directory.ErrNotFound)
	e.wantErr("DeleteUser(unknown)", e.s.DeleteUser(e.ctx, newID(), t0), directory.ErrNotFound)
	_, err = e.s.RestoreUser(e.ctx, newID(), t0)
	e.wantErr("RestoreUser(unknown)", err, directory.ErrNotFound)
	e.wantErr("PurgeUser(unknown)", e.s.PurgeUser(e.ctx, newID(), t0), directory.ErrNotFound)
}

// A second user with an id in use is ErrConflict, and the first is kept.
func testDirUserIDConflict(e *dirEnv) {
	u := e.createUser(fullDirUser("first@example.com"))
	v := dirUser("second@example.com")
	v.ID = u.ID
	e.wantErr("CreateUser(same id)", e.s.CreateUser(e.ctx, v), directory.ErrConflict)
	sameJSON(e.t, "the first user", e.getUser(u.ID), u)
	_, err := e.s.UserByUPN(e.ctx, "second@example.com")
	e.wantErr("UserByUPN(the refused user)", err, directory.ErrNotFound)
}

// userPrincipalName is unique among live users whatever the letter case.
func testDirUPNUnique(e *dirEnv) {
	u := e.user("Ann.Lee@Example.com")
	for _, upn := range []string{"Ann.Lee@Example.com", "ann.lee@example.com", "ANN.LEE@EXAMPLE.COM"} {
		e.wantErr("CreateUser("+upn+")", e.s.CreateUser(e.ctx, dirUser(upn)), directory.ErrConflict)
	}
	e.same("users", e.listUsers(directory.UserQuery{}), []string{u.ID})
	// A different UPN is fine.
	e.user("ann.lee2@example.com")
}

func testDirUpdateUser(e *dirEnv) {
	u := e.createUser(fullDirUser("before@example.com"))
	t1 := t0.Add(time.Hour)
	runs := 0
	got, err := e.s.UpdateUser(e.ctx, u.ID, func(cur *directory.User) error {
		runs++
		sameJSON(e.t, "fn's user", cur, u)
		cur.UserPrincipalName = "After@Example.com"
		cur.Department = "Finance"
		cur.JobTitle = ""
		cur.BusinessPhones = []string{"+1 555 0100"}
		cur.AccountEnabled = false
		cur.Modified = t1
		cur.ID = "ignored" // the id cannot change
		return nil
	})
	e.noErr("UpdateUser", err)
	if runs == 0 {
		e.t.Fatal("UpdateUser did not run fn")
	}
	want := *u
	want.UserPrincipalName, want.Department, want.JobTitle = "After@Example.com", "Finance", ""
	want.BusinessPhones, want.AccountEnabled, want.Modified = []string{"+1 555 0100"}, false, t1
	sameJSON(e.t, "UpdateUser result", got, &want)
	sameJSON(e.t, "GetUser after update", e.getUser(u.ID), &want)
	_, err = e.s.GetUser(e.ctx, "ignored")
	e.wantErr("GetUser(the id fn set)", err, directory.ErrNotFound)

	// The new UPN is found, the old one is free.
	byUPN, err := e.s.UserByUPN(e.ctx, "after@example.com")
	e.noErr("UserByUPN(new)", err)
	if byUPN.ID != u.ID {
		e.t.Errorf("UserByUPN(new) = %s, want %s", byUPN.ID, u.ID)
	}
	_, err = e.s.UserByUPN(e.ctx, "before@example.com")
	e.wantErr("UserByUPN(old)", err, directory.ErrNotFound)
	e.user("BEFORE@example.com")

	// A case-only rename of the user's own UPN is no conflict.
	_, err = e.s.UpdateUser(e.ctx, u.ID, func(cur *directory.User) error {
		cur.UserPrincipalName = "AFTER@example.com"
		return nil
	})
	e.noErr("UpdateUser(case-only rename)", err)
	if got := e.getUser(u.ID).UserPrincipalName; got != "AFTER@example.com" {
		e.t.Errorf("userPrincipalName = %q after a case-only rename", got)
	}
}

func testDirUpdateUserErrors(e *dirEnv) {
	u := e.createUser(fullDirUser("u@example.com"))
	other := e.user("Other@example.com")
	last, _ := e.s.LastChange(e.ctx)

	// fn's error is returned and nothing is written.
	_, err := e.s.UpdateUser(e.ctx, u.ID, func(cur *directory.User) error {
		cur.Department = "changed"
		return errFromFn
	})
	e.wantErr("UpdateUser(fn fails)", err, errFromFn)
	sameJSON(e.t, "user after a failed update", e.getUser(u.ID), u)

	// Renaming onto another live user's UPN, in any case, is ErrConflict.
	_, err = e.s.UpdateUser(e.ctx, u.ID, func(cur *directory.User) error {
		cur.UserPrincipalName = "OTHER@EXAMPLE.COM"
		cur.Department = "changed"
		return nil
	})
	e.wantErr("UpdateUser(rename onto another UPN)", err, directory.ErrConflict)
	sameJSON(e.t, "user after a refused rename", e.getUser(u.ID), u)
	if got := e.getUser(other.ID).UserPrincipalName; got != "Other@example.com" {
		e.t.Errorf("other user's UPN = %q", got)
	}
	e.noChanges("failed updates", last)

	// A soft-deleted user cannot be updated.
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, u.ID, t0))
	_, err = e.s.UpdateUser(e.ctx, u.ID, func(cur *directory.User) error { cur.Department = "x"; return nil })
	e.wantErr("UpdateUser(deleted)", err, directory.ErrNotFound)
}

// DeleteUser soft-deletes: the user is kept, marked, out of UserByUPN and
// the live lists; RestoreUser brings it back unchanged.
func testDirSoftDelete(e *dirEnv) {
	u := e.createUser(fullDirUser("gone@example.com"))
	g := e.group("team", u.ID)
	app := e.app("app")
	a := e.assign(app.ID, u.ID)
	zone := time.FixedZone("UTC+2", 2*60*60)
	at := time.Date(2025, 4, 1, 12, 0, 0, 123_456_789, zone)
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, u.ID, at))

	got := e.getUser(u.ID)
	if got.Deleted == nil {
		e.t.Fatal("GetUser after DeleteUser: deletedDateTime not set")
	}
	e.msTime("deletedDateTime", *got.Deleted, at)
	e.msTime("modifiedDateTime after delete", got.Modified, at)
	_, err := e.s.UserByUPN(e.ctx, u.UserPrincipalName)
	e.wantErr("UserByUPN(deleted)", err, directory.ErrNotFound)
	e.same("live users", e.listUsers(directory.UserQuery{}), nil)
	e.same("deleted users", e.listUsers(directory.UserQuery{Deleted: true}), []string{u.ID})
	e.wantErr("DeleteUser(again)", e.s.DeleteUser(e.ctx, u.ID, at), directory.ErrNotFound)

	// Memberships and assignments are kept for a restore.
	e.same("memberOf(deleted)", e.memberOf(u.ID), []string{g.ID})
	e.same("assignmentsOf(deleted)", e.assignmentsOf(u.ID), []string{a.ID})

	restoredAt := at.Add(time.Hour)
	r, err := e.s.RestoreUser(e.ctx, u.ID, restoredAt)
	e.noErr("RestoreUser", err)
	if r.Deleted != nil {
		e.t.Errorf("RestoreUser result: deletedDateTime = %v", r.Deleted)
	}
	e.msTime("modifiedDateTime after restore", r.Modified, restoredAt)
	want := *u
	want.Modified = r.Modified
	sameJSON(e.t, "RestoreUser result", r, &want)
	sameJSON(e.t, "GetUser after restore", e.getUser(u.ID), &want)
	byUPN, err := e.s.UserByUPN(e.ctx, "GONE@example.com")
	e.noErr("UserByUPN(restored)", err)
	if byUPN.ID != u.ID {
		e.t.Errorf("UserByUPN(restored) = %s", byUPN.ID)
	}
	e.same("live users after restore", e.listUsers(directory.UserQuery{}), []string{u.ID})
	e.same("memberOf(restored)", e.memberOf(u.ID), []string{g.ID})

	// Restoring a live user is ErrInvalid.
	_, err = e.s.RestoreUser(e.ctx, u.ID, restoredAt)
	e.wantErr("RestoreUser(live)", err, directory.ErrInvalid)
}

// A soft-deleted user's UPN may be taken by a new user; restoring the old
// one then fails with ErrInvalid naming the UPN, and leaves it deleted.
func testDirUPNReuse(e *dirEnv) {
	old := e.user("Reuse@example.com")
	e.noErr("DeleteUser(old)", e.s.DeleteUser(e.ctx, old.ID, t0))
	cur := e.user("REUSE@example.com")
	byUPN, err := e.s.UserByUPN(e.ctx, "reuse@example.com")
	e.noErr("UserByUPN", err)
	if byUPN.ID != cur.ID {
		e.t.Errorf("UserByUPN = %s, want the live user %s", byUPN.ID, cur.ID)
	}

	last, _ := e.s.LastChange(e.ctx)
	_, err = e.s.RestoreUser(e.ctx, old.ID, t0.Add(time.Minute))
	e.wantErr("RestoreUser(UPN taken)", err, directory.ErrInvalid)
	var inv *directory.InvalidError
	if !errors.As(err, &inv) || !strings.Contains(strings.ToLower(inv.Msg), "reuse@example.com") {
		e.t.Errorf("RestoreUser(UPN taken): err = %v, want an InvalidError naming the userPrincipalName", err)
	}
	if got := e.getUser(old.ID); got.Deleted == nil {
		e.t.Error("the refused user was restored")
	}
	e.noChanges("refused restore", last)

	// Two deleted users may share a UPN; the first restore wins.
	e.noErr("DeleteUser(cur)", e.s.DeleteUser(e.ctx, cur.ID, t0))
	e.same("deleted users", e.listUsers(directory.UserQuery{Deleted: true}), sorted([]string{old.ID, cur.ID}))
	_, err = e.s.RestoreUser(e.ctx, old.ID, t0.Add(time.Hour))
	e.noErr("RestoreUser(old, UPN free)", err)
	_, err = e.s.RestoreUser(e.ctx, cur.ID, t0.Add(time.Hour))
	e.wantErr("RestoreUser(cur, UPN taken)", err, directory.ErrInvalid)
}

// PurgeUser removes a user for good, with its memberships and assignments.
func testDirPurgeUser(e *dirEnv) {
	u := e.user("purged@example.com")
	keep := e.user("kept@example.com")
	g := e.group("team", u.ID, keep.ID)
	app := e.app("app")
	e.assign(app.ID, u.ID)
	ka := e.assign(app.ID, keep.ID)
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, u.ID, t0))
	e.noErr("PurgeUser", e.s.PurgeUser(e.ctx, u.ID, t0.Add(time.Minute)))

	_, err := e.s.GetUser(e.ctx, u.ID)
	e.wantErr("GetUser(purged)", err, directory.ErrNotFound)
	e.same("deleted users", e.listUsers(directory.UserQuery{Deleted: true}), nil)
	e.same("members", e.members(g.ID), []string{userMember(keep.ID)})
	e.same("memberOf(purged)", e.memberOf(u.ID), nil)
	e.same("assignments", e.assignments(app.ID), []string{ka.ID})
	e.same("assignmentsOf(purged)", e.assignmentsOf(u.ID), nil)
	_, err = e.s.RestoreUser(e.ctx, u.ID, t0)
	e.wantErr("RestoreUser(purged)", err, directory.ErrNotFound)
	e.wantErr("PurgeUser(again)", e.s.PurgeUser(e.ctx, u.ID, t0), directory.ErrNotFound)
	// The UPN is free, even for a live user.
	e.user("PURGED@example.com")
}

// PurgeDeletedBefore hard-deletes exactly the users soft-deleted before t.
func testDirPurgeDeletedBefore(e *dirEnv) {
	cut := t0.Add(30 * 24 * time.Hour)
	old1 := e.user("old1@example.com")
	old2 := e.user("old2@example.com")
	recent := e.user("recent@example.com")
	live := e.user("live@example.com")
	g := e.group("team", old1.ID, recent.ID, live.ID)
	e.noErr("DeleteUser(old1)", e.s.DeleteUser(e.ctx, old1.ID, cut.Add(-48*time.Hour)))
	e.noErr("DeleteUser(old2)", e.s.DeleteUser(e.ctx, old2.ID, cut.Add(-time.Millisecond)))
	e.noErr("DeleteUser(recent)", e.s.DeleteUser(e.ctx, recent.ID, cut.Add(time.Millisecond)))

	last, _ := e.s.LastChange(e.ctx)
	n, err := e.s.PurgeDeletedBefore(e.ctx, cut)
	e.noErr("PurgeDeletedBefore", err)
	if n != 2 {
		e.t.Errorf("PurgeDeletedBefore = %d, want 2", n)
	}
	for _, u := range []*directory.User{old1, old2} {
		if _, err := e.s.GetUser(e.ctx, u.ID); !errors.Is(err, directory.ErrNotFound) {
			e.t.Errorf("GetUser(%s) after purge: err = %v, want ErrNotFound", u.UserPrincipalName, err)
		}
	}
	if e.getUser(recent.ID).Deleted == nil || e.getUser(live.ID).Deleted != nil {
		e.t.Error("PurgeDeletedBefore touched a user deleted after the cut or a live one")
	}
	e.same("deleted users", e.listUsers(directory.UserQuery{Deleted: true}), []string{recent.ID})
	e.same("members", e.members(g.ID), sorted([]string{userMember(recent.ID), userMember(live.ID)}))
	e.wantChanges("PurgeDeletedBefore", last, []chg{
		{directory.KindUser, old1.ID}, {directory.KindUser, old2.ID}, {directory.KindGroup, g.ID}})

	n, err = e.s.PurgeDeletedBefore(e.ctx, cut)
	e.noErr("PurgeDeletedBefore(again)", err)
	if n != 0 {
		e.t.Errorf("PurgeDeletedBefore(again) = %d, want 0", n)
	}
}

// A user restored while PurgeDeletedBefore runs is never purged: each user
// ends either restored (and RestoreUser succeeded) or purged (and counted).
func testDirPurgeRacesRestore(e *dirEnv) {
	const n = 40
	users := make([]*directory.User, n)
	for i := range users {
		users[i] = e.user(fmt.Sprintf("race%02d@example.com", i))
		e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, users[i].ID, t0))
	}
	restoreErrs := make([]error, n)
	var purged int
	var purgeErr error
	e.concurrently(n+1, func(i int) {
		if i == n {
			purged, purgeErr = e.s.PurgeDeletedBefore(e.ctx, t0.Add(time.Hour))
			return
		}
		_, restoreErrs[i] = e.s.RestoreUser(e.ctx, users[i].ID, t0.Add(time.Minute))
	})
	e.noErr("PurgeDeletedBefore", purgeErr)
	gone := 0
	for i, u := range users {
		got, err := e.s.GetUser(e.ctx, u.ID)
		switch {
		case restoreErrs[i] == nil && err != nil:
			e.t.Errorf("%s: RestoreUser succeeded but the user is gone (%v)", u.UserPrincipalName, err)
		case restoreErrs[i] == nil && got.Deleted != nil:
			e.t.Errorf("%s: RestoreUser succeeded but the user is deleted", u.UserPrincipalName)
		case restoreErrs[i] != nil && !errors.Is(restoreErrs[i], directory.ErrNotFound):
			e.t.Errorf("%s: RestoreUser: %v, want nil or ErrNotFound", u.UserPrincipalName, restoreErrs[i])
		case restoreErrs[i] != nil && !errors.Is(err, directory.ErrNotFound):
			e.t.Errorf("%s: RestoreUser failed but the user was not purged", u.UserPrincipalName)
		}
		if errors.Is(err, directory.ErrNotFound) {
			gone++
		}
	}
	if purged != gone {
		e.t.Errorf("PurgeDeletedBefore = %d, but %d users are gone", purged, gone)
	}
}
