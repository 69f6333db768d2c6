package graphapi

import (
	"context"
	"slices"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// TestWritesAppendToOutbox checks that every write of the API appends the
// changed objects to the outbox (Store.Changes), which is how provisioning
// learns of them, and that refused writes append nothing.
func TestWritesAppendToOutbox(t *testing.T) {
	s := newTestServer(t)
	var uid, boss, gid, parent string
	type change struct{ kind, id string }
	for _, step := range []struct {
		name string
		do   func()
		want func() []change
	}{
		{"create user", func() { uid = s.mustCreate("/users", newUser("amy@contoso.com", "Amy")) },
			func() []change { return []change{{directory.KindUser, uid}} }},
		{"create manager", func() { boss = s.mustCreate("/users", newUser("boss@contoso.com", "Boss")) },
			func() []change { return []change{{directory.KindUser, boss}} }},
		{"patch user", func() { s.do("PATCH", "/users/"+uid, map[string]any{"department": "Sales"}).want(t, 204) },
			func() []change { return []change{{directory.KindUser, uid}} }},
		{"set manager", func() {
			s.do("PUT", "/users/"+uid+"/manager/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/users/" + boss}).want(t, 204)
		}, func() []change { return []change{{directory.KindUser, uid}} }},
		{"create group", func() { gid = s.group("Sales") },
			func() []change { return []change{{directory.KindGroup, gid}} }},
		{"create parent", func() { parent = s.group("All") },
			func() []change { return []change{{directory.KindGroup, parent}} }},
		{"patch group", func() { s.do("PATCH", "/groups/"+gid, map[string]any{"description": "EMEA"}).want(t, 204) },
			func() []change { return []change{{directory.KindGroup, gid}} }},
		{"add user", func() { s.do("POST", "/groups/"+gid+"/members/$ref", ref(uid)).want(t, 204) },
			func() []change { return []change{{directory.KindGroup, gid}, {directory.KindUser, uid}} }},
		{"nest group", func() { s.do("POST", "/groups/"+parent+"/members/$ref", ref(gid)).want(t, 204) },
			func() []change {
				return []change{{directory.KindGroup, parent}, {directory.KindGroup, gid}, {directory.KindUser, uid}}
			}},
		{"remove user", func() { s.do("DELETE", "/groups/"+gid+"/members/"+uid+"/$ref", nil).want(t, 204) },
			func() []change {
				return []change{{directory.KindGroup, gid}, {directory.KindGroup, parent}, {directory.KindUser, uid}}
			}},
		{"clear manager", func() { s.do("DELETE", "/users/"+uid+"/manager/$ref", nil).want(t, 204) },
			func() []change { return []change{{directory.KindUser, uid}} }},
		{"delete user", func() { s.do("DELETE", "/users/"+uid, nil).want(t, 204) },
			func() []change { return []change{{directory.KindUser, uid}} }},
		{"restore user", func() { s.do("POST", "/directory/deletedItems/"+uid+"/restore", nil).want(t, 200) },
			func() []change { return []change{{directory.KindUser, uid}} }},
		{"purge user", func() {
			s.do("DELETE", "/users/"+boss, nil).want(t, 204)
			s.do("DELETE", "/directory/deletedItems/"+boss, nil).want(t, 204)
		}, func() []change { return []change{{directory.KindUser, boss}} }},
		{"delete group", func() { s.do("DELETE", "/groups/"+gid, nil).want(t, 204) },
			func() []change { return []change{{directory.KindGroup, gid}, {directory.KindGroup, parent}} }},
	} {
		seq := s.lastChange()
		step.do()
		got, err := s.Store.Changes(context.Background(), seq, 100)
		if err != nil {
			t.Fatal(err)
		}
		var have []change
		for _, c := range got {
			have = append(have, change{c.Kind, c.ID})
		}
		for _, w := range step.want() {
			if !slices.Contains(have, w) {
				t.Errorf("%s: outbox after seq %d is %v, missing %v", step.name, seq, have, w)
			}
		}
	}

	// Refused writes append nothing.
	seq := s.lastChange()
	s.do("POST", "/users", map[string]any{"displayName": "no upn"}).want(t, 400)
	s.do("PATCH", "/users/"+uid, map[string]any{"usageLocation": "Narnia"}).want(t, 400)
	s.do("POST", "/groups/"+parent+"/members/$ref", ref("missing")).want(t, 404)
	s.do("DELETE", "/groups/"+parent+"/members/"+uid+"/$ref", nil).want(t, 404)
	s.do("PUT", "/users/"+uid+"/manager/$ref", ref(uid)).want(t, 400)
	if s.lastChange() != seq {
		t.Fatalf("refused writes appended to the outbox: %d -> %d", seq, s.lastChange())
	}
}
