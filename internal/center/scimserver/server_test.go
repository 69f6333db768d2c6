package scimserver

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
)

func patchBody(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

// expectError checks AWS's error shape: both schema and schemas, a string
// status, a detail, and the x-amzn-RequestId header.
func expectError(t *testing.T, r *response, status int, detail string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if r.JSON["status"] != fmt.Sprint(status) {
		t.Errorf("status field %v, want the string %q", r.JSON["status"], fmt.Sprint(status))
	}
	for _, k := range []string{"schema", "schemas"} {
		if v, _ := r.JSON[k].([]any); len(v) != 1 || v[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
			t.Errorf("%s = %v", k, r.JSON[k])
		}
	}
	if d, _ := r.JSON["detail"].(string); !strings.Contains(d, detail) {
		t.Errorf("detail %q does not contain %q", d, detail)
	}
	if r.Header.Get("x-amzn-RequestId") == "" || r.JSON["exceptionRequestId"] != r.Header.Get("x-amzn-RequestId") {
		t.Errorf("request id header %q, body %v", r.Header.Get("x-amzn-RequestId"), r.JSON["exceptionRequestId"])
	}
}

func (s *testServer) countUsers() int {
	s.t.Helper()
	p, err := s.Store.ListUsers(context.Background(), center.Query{Count: 100, Total: true})
	if err != nil {
		s.t.Fatal(err)
	}
	return p.Total
}

func TestAuthentication(t *testing.T) {
	s := newTestServer(t)
	now := time.Now()
	expired, expiredSecret := center.NewSCIMToken(now.Add(-center.SCIMTokenLifetime - time.Minute))
	if err := s.Store.CreateSCIMToken(context.Background(), expired, expired.Created); err != nil {
		t.Fatal(err)
	}
	revoked, revokedSecret := center.NewSCIMToken(now)
	if err := s.Store.CreateSCIMToken(context.Background(), revoked, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Store.RevokeSCIMToken(context.Background(), revoked.ID, now); err != nil {
		t.Fatal(err)
	}
	id, _, _ := strings.Cut(s.Token, ".")
	for name, auth := range map[string]string{
		"missing":        "",
		"basic":          "Basic " + s.Token,
		"garbage":        "Bearer garbage",
		"wrong secret":   "Bearer " + id + ".AAAA",
		"expired":        "Bearer " + expiredSecret,
		"revoked":        "Bearer " + revokedSecret,
		"unknown id":     "Bearer 0000000000000000.AAAA",
		"empty bearer":   "Bearer ",
		"token with gap": "Bearer " + strings.Replace(s.Token, ".", " ", 1),
	} {
		t.Run(name, func(t *testing.T) {
			r := s.doAuth("POST", "/Users", user("intruder"), auth)
			expectError(t, r, 401, "bearer token")
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate header")
			}
		})
	}
	if n := s.countUsers(); n != 0 {
		t.Fatalf("%d users created without a valid token", n)
	}
	if r := s.doAuth("GET", "/Users", nil, "bearer "+s.Token); r.Status != 200 {
		t.Fatalf("lower-case scheme refused: %d", r.Status)
	}
}

// TestBadUserInput: every refused create is a SCIM 400 and stores nothing.
func TestBadUserInput(t *testing.T) {
	s := newTestServer(t)
	with := func(f func(u map[string]any)) map[string]any {
		u := user("bad")
		f(u)
		return u
	}
	cases := []struct {
		name   string
		body   any
		detail string
	}{
		{"no userName", with(func(u map[string]any) { delete(u, "userName") }), "userName is required"},
		{"no givenName", with(func(u map[string]any) { u["name"] = map[string]any{"familyName": "F"} }), "name.givenName is required"},
		{"no familyName", with(func(u map[string]any) { u["name"] = map[string]any{"givenName": "G"} }), "name.familyName is required"},
		{"no displayName", with(func(u map[string]any) { delete(u, "displayName") }), "displayName is required"},
		{"two emails", with(func(u map[string]any) {
			u["emails"] = []any{map[string]any{"value": "a@x", "primary": true}, map[string]any{"value": "b@x"}}
		}), "Currently list attributes only allow single item"},
		{"two phone numbers", with(func(u map[string]any) {
			u["phoneNumbers"] = []any{map[string]any{"value": "1"}, map[string]any{"value": "2"}}
		}), "only allow single item"},
		{"email not primary", with(func(u map[string]any) {
			u["emails"] = []any{map[string]any{"value": "a@x", "type": "work"}}
		}), "primary"},
		{"email display", with(func(u map[string]any) {
			u["emails"] = []any{map[string]any{"value": "a@x", "primary": true, "display": "A"}}
		}), "display"},
		{"password", with(func(u map[string]any) { u["password"] = "hunter2" }), "password is not supported"},
		{"photos", with(func(u map[string]any) { u["photos"] = []any{} }), "photos is not supported"},
		{"groups on create", with(func(u map[string]any) { u["groups"] = []any{} }), "groups is not supported"},
		{"misspelled attribute", with(func(u map[string]any) { u["adreses"] = []any{} }), `"adreses" is not part of the User schema`},
		{"space in userName", with(func(u map[string]any) { u["userName"] = "a b" }), "whitespace"},
		{"tab in userName", with(func(u map[string]any) { u["userName"] = "a\tb" }), "whitespace"},
		{"long userName", with(func(u map[string]any) { u["userName"] = strings.Repeat("a", 129) }), "longer than 128"},
		{"reserved userName", with(func(u map[string]any) { u["userName"] = "administrator" }), "reserved"},
		{"control character", with(func(u map[string]any) { u["displayName"] = "a\x01b" }), "not allowed"},
		{"long title", with(func(u map[string]any) { u["title"] = strings.Repeat("t", 1025) }), "longer than 1024"},
		{"active not boolean", with(func(u map[string]any) { u["active"] = "maybe" }), "boolean"},
		{"name not object", with(func(u map[string]any) { u["name"] = "G F" }), "violates the schema"},
		{"malformed JSON", `{"userName": "x",`, "not valid JSON"},
		{"array body", `[]`, "JSON object"},
		{"empty body", ``, "empty"},
		{"invalid UTF-8", []byte("{\"userName\":\"\xff\xfe\",\"displayName\":\"x\"}"), "UTF-8"},
		{"oversize", `{"displayName":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, "exceeds the limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expectError(t, s.do("POST", "/Users", c.body), 400, c.detail)
		})
	}
	if n := s.countUsers(); n != 0 {
		t.Fatalf("%d users stored by refused requests", n)
	}
	// String booleans, as legacy Entra sends them, and capitalised
	// sub-attribute names, as the Postman suite sends them, are accepted.
	u := user("ok")
	u["active"] = "False"
	u["emails"] = []any{map[string]any{"Value": "ok@x", "Primary": "True"}}
	r := s.do("POST", "/Users", u)
	if r.Status != 201 || r.JSON["active"] != false || emailOf(r.JSON) != "ok@x" {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
}

func TestDuplicates(t *testing.T) {
	s := newTestServer(t)
	s.mustCreate("/Users", user("Dup@example.com"))
	expectError(t, s.do("POST", "/Users", user("dup@EXAMPLE.com")), 409, "Refused to create a new, duplicate resource.")
	other := s.mustCreate("/Users", user("other"))
	expectError(t, s.do("PATCH", "/Users/"+other, patchBody(`{"op":"replace","path":"userName","value":"DUP@example.com"}`)), 409, "duplicate")
	if r := s.do("GET", "/Users/"+other, nil); r.JSON["userName"] != "other" {
		t.Fatalf("refused rename changed the user: %s", r.Body)
	}
	s.mustCreate("/Groups", map[string]any{"displayName": "Admins"})
	expectError(t, s.do("POST", "/Groups", map[string]any{"displayName": "admins"}), 409, "duplicate")
}

func TestUserPatchRules(t *testing.T) {
	s := newTestServer(t)
	id := s.mustCreate("/Users", user("p"))
	for name, c := range map[string]struct{ body, detail string }{
		"two ops on active":   {patchBody(`{"op":"replace","path":"active","value":false}`, `{"op":"replace","path":"active","value":true}`), "Multiple operations on active"},
		"two ops on userName": {patchBody(`{"op":"replace","path":"userName","value":"a"}`, `{"op":"replace","value":{"userName":"b"}}`), "Multiple operations on username"},
		"remove userName":     {patchBody(`{"op":"remove","path":"userName"}`), "cannot be removed"},
		"remove active":       {patchBody(`{"op":"remove","path":"active"}`), "cannot be removed"},
		"remove without path": {patchBody(`{"op":"remove"}`), "remove needs a path"},
		"unknown op":          {patchBody(`{"op":"move","path":"title","value":"x"}`), `"move"`},
		"no value":            {patchBody(`{"op":"add","path":"title"}`), "needs a value"},
		"no operations":       {patchBody(), "at least one operation"},
		"bad path":            {patchBody(`{"op":"replace","path":"emails[type eq ","value":"x"}`), "invalid path"},
		"ne in path filter":   {patchBody(`{"op":"replace","path":"emails[type ne \"work\"].value","value":"x"}`), "only eq"},
		"unknown attribute":   {patchBody(`{"op":"add","path":"shoeSize","value":"44"}`), "shoeSize"},
		"second email":        {patchBody(`{"op":"add","path":"emails","value":[{"value":"second@x","type":"home"}]}`), "single item"},
		"remove givenName":    {patchBody(`{"op":"remove","path":"name.givenName"}`), "givenName is required"},
		"password":            {patchBody(`{"op":"replace","path":"password","value":"x"}`), "password is not supported"},
	} {
		t.Run(name, func(t *testing.T) {
			expectError(t, s.do("PATCH", "/Users/"+id, c.body), 400, c.detail)
		})
	}
	r := s.do("GET", "/Users/"+id, nil)
	if r.JSON["userName"] != "p" || r.JSON["active"] != true || emailOf(r.JSON) != "p@example.com" {
		t.Fatalf("refused PATCHes changed the user: %s", r.Body)
	}
	// What does apply: manager as a bare id (Entra), remove of a sub-attribute,
	// and a path-less add of the extension.
	mgr := s.mustCreate("/Users", user("boss"))
	r = s.do("PATCH", "/Users/"+id, patchBody(
		`{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"`+mgr+`"}`,
		`{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D"},"title":"Engineer"}}`))
	if r.Status != 200 || enterpriseOf(r.JSON, "department") != "R&D" || r.JSON["title"] != "Engineer" {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	f := s.do("GET", "/Users?filter="+url.QueryEscape(`manager eq "`+mgr+`"`), nil)
	if f.JSON["totalResults"] != 1.0 {
		t.Fatalf("manager filter: %s", f.Body)
	}
	r = s.do("PATCH", "/Users/"+id, patchBody(`{"op":"remove","path":"title"}`,
		`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}`))
	if r.Status != 200 || r.JSON["title"] != nil || strings.Contains(string(r.Body), mgr) {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	}
	if missing := s.do("PATCH", "/Users/0000000000-no", patchBody(`{"op":"replace","path":"title","value":"x"}`)); missing.Status != 404 {
		t.Fatalf("PATCH of a missing user: %d", missing.Status)
	}
}

func TestPutUser(t *testing.T) {
	s := newTestServer(t)
	u := user("put")
	u["title"] = "Before"
	id := s.mustCreate("/Users", u)
	created := s.do("GET", "/Users/"+id, nil).JSON["meta"].(map[string]any)["created"]
	nu := user("put2")
	r := s.do("PUT", "/Users/"+id, nu)
	if r.Status != 200 || r.JSON["userName"] != "put2" || r.JSON["title"] != nil || r.JSON["id"] != id {
		t.Fatalf("PUT: %d %s", r.Status, r.Body)
	}
	if r.JSON["meta"].(map[string]any)["created"] != created {
		t.Fatalf("PUT changed meta.created")
	}
	delete(nu, "displayName")
	expectError(t, s.do("PUT", "/Users/"+id, nu), 400, "displayName is required")
	expectError(t, s.do("PUT", "/Users/nope", user("x")), 404, "not found")
}

func TestGroupRules(t *testing.T) {
	s := newTestServer(t)
	var ids []string
	for i := range 101 {
		ids = append(ids, s.mustCreate("/Users", user(fmt.Sprintf("u%03d", i))))
	}
	members := func(ids []string) []any {
		var out []any
		for _, id := range ids {
			out = append(out, map[string]any{"value": id})
		}
		return out
	}
	expectError(t, s.do("POST", "/Groups", map[string]any{"displayName": "big", "members": members(ids)}), 400, "at most 100 members")
	gid := s.mustCreate("/Groups", map[string]any{"displayName": "g", "members": members(ids[:100])})
	if n := membersOf(s, gid); n != 100 {
		t.Fatalf("%d members after create, want 100", n)
	}
	// 101 changes in one PATCH: refused, and nothing changes.
	over := patchBody(`{"op":"remove","path":"members","value":`+string(mustJSON(members(ids[:50])))+`}`,
		`{"op":"add","path":"members","value":`+string(mustJSON(members(ids[50:])))+`}`)
	expectError(t, s.do("PATCH", "/Groups/"+gid, over), 400, "at most 100 memberships")
	if n := membersOf(s, gid); n != 100 {
		t.Fatalf("refused PATCH changed membership: %d", n)
	}
	other := s.mustCreate("/Groups", map[string]any{"displayName": "other"})
	expectError(t, s.do("PATCH", "/Groups/"+gid, patchBody(`{"op":"add","path":"members","value":[{"value":"`+other+`"}]}`)), 400, "nested groups")
	expectError(t, s.do("PATCH", "/Groups/"+gid, patchBody(`{"op":"add","path":"members","value":[{"value":"`+ids[100]+`"},{"value":"nobody"}]}`)), 400, "not an existing user")
	if n := membersOf(s, gid); n != 100 {
		t.Fatalf("half-applied PATCH: %d members", n)
	}
	expectError(t, s.do("PATCH", "/Groups/"+gid, patchBody(`{"op":"replace","path":"description","value":"x"}`)), 400, "only displayName, externalId and members")
	expectError(t, s.do("PATCH", "/Groups/"+gid, patchBody(`{"op":"add","path":"members","value":"`+ids[100]+`"}`)), 400, "members must be a list")
	expectError(t, s.do("PUT", "/Groups/"+gid, map[string]any{"displayName": "g"}), 400, "not a supported operation")
	expectError(t, s.do("POST", "/Groups", map[string]any{"displayName": "AWSAdministrators"}), 400, "reserved")

	// A group never returns its members, whatever it has.
	if r := s.do("GET", "/Groups/"+gid, nil); string(mustJSON(r.JSON["members"])) != "[]" {
		t.Fatalf("members returned: %s", r.Body)
	}
	// A user's groups are found with members.value.
	r := s.do("GET", "/Groups?filter="+url.QueryEscape(`members.value eq "`+ids[0]+`"`), nil)
	if r.JSON["totalResults"] != 1.0 {
		t.Fatalf("members.value filter: %s", r.Body)
	}
	// Path-less replace with AWS's own example shape, then empty the group
	// with a value-less remove, as Teleport does.
	r = s.do("PATCH", "/Groups/"+gid, patchBody(`{"op":"replace","value":{"id":"`+gid+`","displayName":"renamed","externalId":"ext-1"}}`,
		`{"op":"remove","path":"members"}`))
	if r.Status != 204 || len(r.Body) != 0 {
		t.Fatalf("PATCH: %d %s", r.Status, r.Body)
	}
	g := s.do("GET", "/Groups/"+gid, nil)
	if g.JSON["displayName"] != "renamed" || g.JSON["externalId"] != "ext-1" || membersOf(s, gid) != 0 {
		t.Fatalf("after PATCH: %s, %d members", g.Body, membersOf(s, gid))
	}
	// Deleting a user removes its memberships.
	s.do("PATCH", "/Groups/"+gid, patchBody(`{"op":"add","path":"members","value":[{"value":"`+ids[0]+`"}]}`))
	if s.do("DELETE", "/Users/"+ids[0], nil).Status != 204 || membersOf(s, gid) != 0 {
		t.Fatal("membership outlived its user")
	}
}

func TestFiltersAndPaging(t *testing.T) {
	s := newTestServer(t)
	for i := range 250 {
		u := user(fmt.Sprintf("user%03d", i))
		u["externalId"] = fmt.Sprintf("ext%d", i%2)
		s.mustCreate("/Users", u)
	}
	q := func(params string) *response { return s.do("GET", "/Users?"+params, nil) }
	r := q("")
	if r.JSON["totalResults"] != 250.0 || r.JSON["itemsPerPage"] != 100.0 || r.JSON["startIndex"] != 1.0 {
		t.Fatalf("default page: total %v, items %v", r.JSON["totalResults"], r.JSON["itemsPerPage"])
	}
	if r := q("count=500"); r.JSON["itemsPerPage"] != 100.0 {
		t.Fatalf("count above 100 not capped: %v", r.JSON["itemsPerPage"])
	}
	if r := q("filter=" + url.QueryEscape(`externalId eq "ext1"`) + "&count=7"); r.JSON["totalResults"] != 125.0 || r.JSON["itemsPerPage"] != 7.0 {
		t.Fatalf("externalId filter: %v %v", r.JSON["totalResults"], r.JSON["itemsPerPage"])
	}
	r = q("filter=" + url.QueryEscape(`userName eq "USER007" and externalId eq "ext1"`))
	if r.JSON["totalResults"] != 1.0 {
		t.Fatalf("and filter: %s", r.Body)
	}
	id := r.JSON["Resources"].([]any)[0].(map[string]any)["id"].(string)
	if r := q("filter=" + url.QueryEscape(`id eq "`+id+`"`)); r.JSON["totalResults"] != 1.0 {
		t.Fatalf("id filter: %s", r.Body)
	}

	// Cursor mode: every user exactly once, no totalResults, no nextCursor
	// on the last page.
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		r := s.do("GET", "/Users?count=40&cursor="+url.QueryEscape(cursor), nil)
		if r.Status != 200 || r.JSON["totalResults"] != nil {
			t.Fatalf("cursor page: %d %s", r.Status, r.Body)
		}
		for _, res := range r.JSON["Resources"].([]any) {
			id := res.(map[string]any)["id"].(string)
			if seen[id] {
				t.Fatalf("user %s on two pages", id)
			}
			seen[id] = true
		}
		pages++
		next, ok := r.JSON["nextCursor"].(string)
		if !ok {
			break
		}
		cursor = next
	}
	if len(seen) != 250 || pages != 7 {
		t.Fatalf("cursor mode saw %d users in %d pages", len(seen), pages)
	}

	for params, detail := range map[string]string{
		"filter=" + url.QueryEscape(`userName co "user"`):                    "operator co is not supported",
		"filter=" + url.QueryEscape(`userName eq "a" or userName eq "b"`):    "joined by and",
		"filter=" + url.QueryEscape(`displayName eq "x"`):                    "Filtering users on displayName",
		"filter=" + url.QueryEscape(`emails[type eq "work"].value eq "a@x"`): "joined by and",
		"filter=" + url.QueryEscape(`userName eq`):                           "Invalid filter",
		"filter=" + url.QueryEscape(`active eq true`):                        "Filtering users on active",
		"filter=" + url.QueryEscape(`userName eq true`):                      "must be a string",
		"filter=" + url.QueryEscape(`urn:example:Foo:userName eq "x"`):       "not supported",
		"count=0":         "count must be",
		"count=abc":       "count must be",
		"startIndex=2":    "startIndex is not supported",
		"sortBy=userName": "Sorting is not supported",
		"cursor=%21%21":   "cursor is not valid",
		"frobnicate=1":    `"frobnicate"`,
	} {
		t.Run(params, func(t *testing.T) { expectError(t, q(params), 400, detail) })
	}
	if r := s.do("GET", "/Groups?filter="+url.QueryEscape(`userName eq "x"`), nil); r.Status != 400 {
		t.Fatalf("userName filter on groups: %d", r.Status)
	}
}

func TestUnsupportedEndpoints(t *testing.T) {
	s := newTestServer(t)
	for _, c := range []struct{ method, path string }{
		{"POST", "/Bulk"}, {"GET", "/Me"}, {"POST", "/.search"}, {"POST", "/Users/.search"},
		{"GET", "/Widgets"}, {"DELETE", "/Users"}, {"PUT", "/Groups/x"},
	} {
		expectError(t, s.do(c.method, c.path, "{}"), 400, "not a supported operation")
	}
}

func TestDiscovery(t *testing.T) {
	s := newTestServer(t)
	r := s.do("GET", "/ServiceProviderConfig", nil)
	for attr, want := range map[string]bool{"patch": true, "bulk": false, "filter": true, "sort": false, "etag": false, "changePassword": false} {
		if got := r.JSON[attr].(map[string]any)["supported"]; got != want {
			t.Errorf("%s.supported = %v, want %v", attr, got, want)
		}
	}
	r = s.do("GET", "/Schemas", nil)
	if r.JSON["totalResults"] != 3.0 || !strings.Contains(string(r.Body), "User Account") || strings.Contains(string(r.Body), `"password"`) {
		t.Fatalf("schemas: %.300s", r.Body)
	}
	if r := s.do("GET", "/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", nil); r.JSON["name"] != "EnterpriseUser" {
		t.Fatalf("enterprise schema: %.200s", r.Body)
	}
	r = s.do("GET", "/ResourceTypes", nil)
	if !strings.Contains(string(r.Body), `"endpoint":"/Users"`) || !strings.Contains(string(r.Body), `"endpoint":"/Groups"`) {
		t.Fatalf("resource types: %s", r.Body)
	}
	expectError(t, s.do("GET", "/ResourceTypes/Widget", nil), 404, "not found")
}

// TestConcurrentGroupPatches: 64 clients add one member each to one group at
// the same time; no change is lost.
func TestConcurrentGroupPatches(t *testing.T) {
	s := newTestServer(t)
	gid := s.mustCreate("/Groups", map[string]any{"displayName": "busy"})
	var ids []string
	for i := range 64 {
		ids = append(ids, s.mustCreate("/Users", user(fmt.Sprintf("c%02d", i))))
	}
	var wg sync.WaitGroup
	statuses := make([]int, len(ids))
	for i, id := range ids {
		wg.Go(func() {
			statuses[i] = s.do("PATCH", "/Groups/"+gid, patchBody(`{"op":"add","path":"members","value":[{"value":"`+id+`"}]}`)).Status
		})
	}
	wg.Wait()
	for i, st := range statuses {
		if st != 204 {
			t.Fatalf("PATCH %d: status %d", i, st)
		}
	}
	if n := membersOf(s, gid); n != 64 {
		t.Fatalf("%d members after 64 concurrent adds", n)
	}
	// And 64 concurrent removes leave none.
	for _, id := range ids {
		wg.Go(func() {
			s.do("PATCH", "/Groups/"+gid, patchBody(`{"op":"remove","path":"members[value eq \"`+id+`\"]"}`))
		})
	}
	wg.Wait()
	if n := membersOf(s, gid); n != 0 {
		t.Fatalf("%d members after 64 concurrent removes", n)
	}
}

// TestConcurrentCreatesOfOneUserName: exactly one wins.
func TestConcurrentCreatesOfOneUserName(t *testing.T) {
	s := newTestServer(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	count := map[int]int{}
	for range 32 {
		wg.Go(func() {
			st := s.do("POST", "/Users", user("race")).Status
			mu.Lock()
			count[st]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if count[http.StatusCreated] != 1 || count[http.StatusConflict] != 31 {
		t.Fatalf("statuses %v, want one 201 and 31 409", count)
	}
	if n := s.countUsers(); n != 1 {
		t.Fatalf("%d users stored", n)
	}
}
