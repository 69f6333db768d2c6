package console_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/console"
)

func (e *env) groupCount() int {
	e.t.Helper()
	gs, err := e.st.ListGroups(context.Background(), directory.GroupQuery{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(gs)
}

func TestAdminCreatesGroup(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	b := e.signIn("admin@gatehouse.example")

	want(t, e.get(b, "/console/groups"), http.StatusOK, `href="/console/groups/new"`)
	page := e.get(b, "/console/groups/new")
	want(t, page, http.StatusOK, `action="/console/groups/new"`, `name="displayName"`, `name="description"`)
	r := e.post(b, "/console/groups/new", url.Values{"csrf": {e.csrfIn(page.Body)}, "displayName": {" AWS-Auditors "},
		"description": {"Read-only access to every account"}})
	gs, err := e.st.ListGroups(context.Background(), directory.GroupQuery{Eq: map[string]string{"displayName": "AWS-Auditors"}, Limit: 2})
	if err != nil || len(gs) != 1 {
		t.Fatalf("stored groups %v %v", gs, err)
	}
	g := gs[0]
	wantRedirect(t, r, "/console/groups/"+g.ID+"?done=group-created")
	if !g.SecurityEnabled || g.Description != "Read-only access to every account" || g.MailNickname != "AWS-Auditors" {
		t.Errorf("stored %+v", g)
	}
	want(t, e.get(b, r.Location), http.StatusOK, "The group was created.", "No members.")

	for _, tc := range []struct{ name, description, field, msg string }{
		{"  ", "", "displayName", "DisplayName is required and cannot be empty."},
		{"aws-auditors", "", "displayName", "Another group already has this name."},
		{"Finance", strings.Repeat("x", 1025), "description", "It is 1025 characters long; the maximum is 1024."},
	} {
		n := e.groupCount()
		r := e.post(b, "/console/groups/new", url.Values{"csrf": {e.csrfIn(page.Body)}, "displayName": {tc.name},
			"description": {tc.description}})
		want(t, r, http.StatusOK, "The group was not created")
		if got := fieldError(r.Body, tc.field); got != tc.msg {
			t.Errorf("%q: message next to %s = %q, want %q", tc.name, tc.field, got, tc.msg)
		}
		if e.groupCount() != n {
			t.Fatalf("a refused form created a group")
		}
	}
}

func TestAdminDeletesGroup(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	dev := e.user("dev@gatehouse.example", false)
	g := e.group("Developers")
	parent := e.group("Engineering")
	app := e.app("Payroll", "saml")
	if err := e.st.AddMember(ctx, g.ID, dev.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddMember(ctx, parent.ID, g.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.assign(app.ID, g.ID)
	b := e.signIn("admin@gatehouse.example")
	path := "/console/groups/" + g.ID + "/delete"

	want(t, e.get(b, "/console/groups/"+g.ID), http.StatusOK, `href="`+path+`"`)
	page := e.get(b, path)
	want(t, page, http.StatusOK, "its 1 direct members", "its membership of 1 other groups", "its 1 application assignments")
	csrf := e.csrfIn(page.Body)

	r := e.post(b, path, url.Values{"csrf": {csrf}, "confirmName": {"developers"}})
	want(t, r, http.StatusOK, "The group was not deleted.")
	if got := fieldError(r.Body, "confirmName"); got != "Type the group's name exactly as shown to confirm." {
		t.Errorf("message %q", got)
	}
	if _, err := e.st.GetGroup(ctx, g.ID); err != nil {
		t.Fatalf("a refused confirmation deleted the group: %v", err)
	}

	wantRedirect(t, e.post(b, path, url.Values{"csrf": {csrf}, "confirmName": {"Developers"}}), "/console/groups?done=group-deleted")
	if _, err := e.st.GetGroup(ctx, g.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("GetGroup after delete: %v", err)
	}
	if got := e.members(parent.ID); len(got) != 0 {
		t.Errorf("the parent still has %v", got)
	}
	if of, err := e.st.MemberOf(ctx, dev.ID); err != nil || len(of) != 0 {
		t.Errorf("the member's groups: %v %v", of, err)
	}
	if got := e.assigned(app.ID); len(got) != 0 {
		t.Errorf("the app's assignments: %v", got)
	}
	want(t, e.get(b, "/console/groups?done=group-deleted"), http.StatusOK, "The group was deleted")
	want(t, e.get(b, path), http.StatusNotFound)
}

func TestAdminNestsGroups(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	outer := e.group("Engineering")
	inner := e.group("Developers")
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)

	wantRedirect(t, e.post(b, "/console/groups/"+outer.ID+"/members/add", url.Values{"csrf": {csrf}, "member": {"Developers"}}),
		"/console/groups/"+outer.ID+"?done=group-added")
	if got := e.members(outer.ID); !slices.Equal(got, []string{inner.ID}) {
		t.Fatalf("members %v", got)
	}
	want(t, e.get(b, "/console/groups/"+outer.ID), http.StatusOK, `<a href="/console/groups/`+inner.ID+`">Developers</a>`)
	want(t, e.get(b, "/console/groups/"+inner.ID), http.StatusOK, "Member of", `<a href="/console/groups/`+outer.ID+`">Engineering</a>`)

	// A cycle is refused next to the field.
	for _, gid := range []string{inner.ID, outer.ID} {
		r := e.post(b, "/console/groups/"+gid+"/members/add", url.Values{"csrf": {csrf}, "member": {"Engineering"}})
		if got := fieldError(r.Body, "member"); got != "A group cannot contain itself or a group that contains it." {
			t.Errorf("cycle into %s: %q", gid, got)
		}
	}
	if got := e.members(inner.ID); len(got) != 0 {
		t.Fatalf("a cycle was made: %v", got)
	}
}
