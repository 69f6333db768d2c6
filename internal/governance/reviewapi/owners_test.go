package reviewapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// A definition reviewed by the group's owners: the owners query must name
// the group in scope; without an owner or fallback reviewer it is refused;
// the owner decides the members' items and the view says who reviews.
func TestOwnersReviewDefinition(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	owner, amy := f.user("owner@x"), f.user("amy@x")
	g := &directory.Group{ID: uuid.NewString(), DisplayName: "ops", Created: t0, Modified: t0}
	f.dir.CreateGroup(ctx, g)
	f.dir.AddMember(ctx, g.ID, amy, t0)
	def := func(ownersOf string) map[string]any {
		return map[string]any{"displayName": "Ops by owners",
			"scope":     map[string]any{"query": "/groups/" + g.ID + "/members"},
			"reviewers": []any{map[string]any{"query": "/groups/" + ownersOf + "/owners"}},
			"settings":  map[string]any{"instanceDurationInDays": 3}}
	}
	st, _, body := f.do("POST", "/definitions", "admin", def("other-group"))
	if st != http.StatusBadRequest || !strings.Contains(string(body), "owners review the group in scope") {
		t.Fatalf("owners of another group: %d %s", st, body)
	}
	st, _, body = f.do("POST", "/definitions", "admin", def(g.ID))
	if st != http.StatusBadRequest || !strings.Contains(string(body), "the group has no active owners") {
		t.Fatalf("a group without owners: %d %s", st, body)
	}
	if err := f.dir.AddOwner(ctx, g.ID, owner, t0); err != nil {
		t.Fatal(err)
	}
	st, _, body = f.do("POST", "/definitions", "admin", def(g.ID))
	if st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, body)
	}
	d := obj(body)
	if rs := d["reviewers"].([]any); len(rs) != 1 || rs[0].(map[string]any)["query"] != "/groups/"+g.ID+"/owners" {
		t.Fatalf("reviewers view: %s", body)
	}
	_, _, body = f.do("GET", "/definitions/"+d["id"].(string)+"/instances", "admin", nil)
	iid := obj(body)["value"].([]any)[0].(map[string]any)["id"].(string)
	_, _, body = f.do("GET", "/definitions/"+d["id"].(string)+"/instances/"+iid+"/decisions", f.session(owner), nil)
	if vals := obj(body)["value"].([]any); len(vals) != 1 {
		t.Fatalf("the owner's decisions: %s", body)
	}
}
