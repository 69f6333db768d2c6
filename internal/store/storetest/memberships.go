package storetest

import (
	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/scim"
)

// testMembershipIDs: every membership gets an identity store id (a UUID
// version 7) when added, by any path; MembershipIDs reports exactly the
// pairs that are memberships, and Membership resolves an id back; a
// membership removed and added again has a new id, as in AWS.
func testMembershipIDs(e *env) {
	ks, ok := e.s.(center.KeyStore)
	if !ok {
		e.t.Fatalf("%T does not implement center.KeyStore", e.s)
	}
	a, b, c := e.user("a@example.com"), e.user("b@example.com"), e.user("c@example.com")
	g := e.group("g", a.ID)
	h := e.group("h")
	_, err := e.s.UpdateGroup(e.ctx, h.ID, func(_ *scim.Group, m center.Members) error { return m.Replace([]string{b.ID, c.ID}) })
	e.noErr("replace members", err)

	ga, gb := center.MemberPair{GroupID: g.ID, UserID: a.ID}, center.MemberPair{GroupID: g.ID, UserID: b.ID}
	hb, hc := center.MemberPair{GroupID: h.ID, UserID: b.ID}, center.MemberPair{GroupID: h.ID, UserID: c.ID}
	ids, err := ks.MembershipIDs(e.ctx, []center.MemberPair{ga, gb, hb, hc, {GroupID: newID(), UserID: a.ID}})
	e.noErr("MembershipIDs", err)
	if len(ids) != 3 || ids[gb] != "" {
		e.t.Fatalf("MembershipIDs = %v, want ids for g/a, h/b and h/c only", ids)
	}
	seen := map[string]bool{}
	for p, id := range ids {
		if u, err := uuid.Parse(id); err != nil || u.Version() != 7 {
			e.t.Errorf("membership id %q of %v is not a UUID v7", id, p)
		}
		if seen[id] {
			e.t.Errorf("membership id %s given twice", id)
		}
		seen[id] = true
		gid, uid, err := ks.Membership(e.ctx, id)
		e.noErr("Membership", err)
		if gid != p.GroupID || uid != p.UserID {
			e.t.Errorf("Membership(%s) = %s/%s, want %v", id, gid, uid, p)
		}
	}
	if _, _, err := ks.Membership(e.ctx, uuid.NewString()); err != center.ErrNotFound {
		e.t.Errorf("unknown membership id: %v, want ErrNotFound", err)
	}
	if ids, err := ks.MembershipIDs(e.ctx, nil); err != nil || len(ids) != 0 {
		e.t.Errorf("no pairs: %v, %v", ids, err)
	}

	// Removed and added again: a new id; the old one resolves no more.
	old := ids[ga]
	for _, fn := range []func(center.Members) error{
		func(m center.Members) error { return m.Remove([]string{a.ID}) },
		func(m center.Members) error { return m.Add([]string{a.ID}) },
	} {
		_, err := e.s.UpdateGroup(e.ctx, g.ID, func(_ *scim.Group, m center.Members) error { return fn(m) })
		e.noErr("update members", err)
	}
	again, err := ks.MembershipIDs(e.ctx, []center.MemberPair{ga})
	e.noErr("MembershipIDs", err)
	if again[ga] == "" || again[ga] == old {
		e.t.Errorf("re-added membership id %q, want a new one (old %s)", again[ga], old)
	}
	if _, _, err := ks.Membership(e.ctx, old); err != center.ErrNotFound {
		e.t.Errorf("old membership id: %v, want ErrNotFound", err)
	}
}
