package storetest

import (
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// testDirSessionUser: SessionUser answers a session with its user as
// GetUser does (soft-deleted included), follows revocation at once, and
// knows no session it was not given.
func testDirSessionUser(e *dirEnv) {
	ss, ok := e.s.(directory.SessionStore)
	if !ok {
		e.t.Fatalf("%T is not a directory.SessionStore", e.s)
	}
	u := e.createUser(fullDirUser("session@example.com"))
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	se := &directory.Session{ID: "5e551011", UserID: u.ID, Created: now, LastSeen: now, Expires: now.Add(8 * time.Hour),
		MFA: true, CSRF: "csrf-token"}
	e.noErr("CreateSession", ss.CreateSession(e.ctx, se))

	got, gu, err := ss.SessionUser(e.ctx, se.ID)
	e.noErr("SessionUser", err)
	if got.ID != se.ID || got.UserID != u.ID || !got.MFA || got.CSRF != "csrf-token" || got.Revoked != nil {
		e.t.Errorf("SessionUser session = %+v", got)
	}
	e.msTime("session expires", got.Expires, se.Expires)
	if gu == nil || gu.ID != u.ID || gu.UserPrincipalName != u.UserPrincipalName || !gu.AccountEnabled || gu.Deleted != nil {
		e.t.Fatalf("SessionUser user = %+v, want %s live", gu, u.ID)
	}
	if want := e.getUser(u.ID); gu.DisplayName != want.DisplayName || gu.Department != want.Department {
		e.t.Errorf("SessionUser user = %+v, GetUser = %+v", gu, want)
	}

	_, _, err = ss.SessionUser(e.ctx, "no-such-session")
	e.wantErr("SessionUser(unknown)", err, directory.ErrNotFound)

	e.noErr("RevokeSession", ss.RevokeSession(e.ctx, se.ID, now.Add(time.Minute)))
	got, _, err = ss.SessionUser(e.ctx, se.ID)
	e.noErr("SessionUser(revoked)", err)
	if got.Revoked == nil {
		e.t.Error("SessionUser after RevokeSession: not revoked")
	}

	// The user's soft delete shows in the same read.
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, u.ID, now.Add(2*time.Minute)))
	_, gu, err = ss.SessionUser(e.ctx, se.ID)
	e.noErr("SessionUser(user deleted)", err)
	if gu == nil || gu.Deleted == nil {
		e.t.Errorf("SessionUser after DeleteUser: user = %+v, want deletedDateTime set", gu)
	}
}
