package graphapi

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

func TestGroupCRUD(t *testing.T) {
	s := newTestServer(t)
	r := s.do("POST", "/groups", map[string]any{
		"description": "Self help community for library", "displayName": "Library Assist",
		"groupTypes": []string{}, "mailEnabled": false, "mailNickname": "library", "securityEnabled": true,
	}).want(t, http.StatusCreated)
	id := r.JSON["id"].(string)
	want := map[string]any{
		"@odata.context": s.URL + "/$metadata#groups/$entity", "id": id, "displayName": "Library Assist",
		"description": "Self help community for library", "mailNickname": "library", "mailEnabled": false,
		"securityEnabled": true, "groupTypes": []any{}, "mail": nil, "createdDateTime": "2026-03-01T09:00:00Z",
		"deletedDateTime": nil,
	}
	if !reflect.DeepEqual(r.JSON, want) {
		t.Fatalf("created group\n got %v\nwant %v", r.JSON, want)
	}
	g := s.do("GET", "/groups/"+id, nil).want(t, 200)
	want["@odata.context"] = s.URL + "/$metadata#groups/$entity"
	if !reflect.DeepEqual(g.JSON, want) {
		t.Fatalf("GET group %s", g.Body)
	}

	s.do("PATCH", "/groups/"+id, map[string]any{"description": nil, "displayName": "Library Assistants"}).want(t, 204)
	g = s.do("GET", "/groups/"+id+"?$select=displayName,description", nil).want(t, 200)
	if g.JSON["displayName"] != "Library Assistants" || g.JSON["description"] != nil || len(g.JSON) != 4 {
		t.Fatalf("after PATCH: %s", g.Body)
	}

	// Refused bodies change nothing.
	for _, tc := range []struct {
		method string
		body   map[string]any
		msg    string
	}{
		{"POST", map[string]any{"displayName": "M365", "mailEnabled": true, "mailNickname": "m", "securityEnabled": false, "groupTypes": []string{"Unified"}},
			"groupTypes [\"Unified\"] is not supported: this directory holds security groups with assigned membership only (groupTypes []); Microsoft 365 (Unified) and dynamic groups are not."},
		{"POST", map[string]any{"displayName": "Mail", "mailEnabled": true, "mailNickname": "m"},
			"Mail-enabled groups are not supported: this directory holds security groups; set mailEnabled to false."},
		{"POST", map[string]any{"displayName": "Dyn", "groupTypes": []string{"DynamicMembership"}},
			"groupTypes [\"DynamicMembership\"] is not supported..."},
		{"POST", map[string]any{"displayName": "", "mailNickname": "x"},
			"Invalid value specified for property 'displayName' of resource 'Group': displayName is required and cannot be empty."},
		{"POST", map[string]any{"displayName": "X", "mailNickname": "a b"},
			"Invalid value specified for property 'mailNickname' of resource 'Group': \"a b\" contains ' '..."},
		{"POST", map[string]any{"displayName": "X", "owners@odata.bind": []string{"https://graph.microsoft.com/v1.0/users/nobody"}},
			"Resource 'nobody' does not exist..."},
		{"POST", map[string]any{"displayName": "X", "members@odata.bind": []string{"https://graph.microsoft.com/v1.0/users/nobody"}},
			"Resource 'nobody' does not exist..."},
		{"PATCH", map[string]any{"displayName": nil}, "Invalid value specified for property 'displayName' of resource 'Group'..."},
		{"PATCH", map[string]any{"members@odata.bind": []string{}}, "members@odata.bind is only accepted when a group is created..."},
		{"PATCH", map[string]any{"visibility": "Private"}, "Property 'visibility' is not supported by this directory."},
	} {
		path := "/groups"
		if tc.method == "PATCH" {
			path += "/" + id
		}
		status, code := 400, "Request_BadRequest"
		if tc.msg == "Resource 'nobody' does not exist..." {
			status, code = 404, "Request_ResourceNotFound"
		}
		s.do(tc.method, path, tc.body).wantError(t, status, code, tc.msg)
	}
	groups, _ := s.Store.ListGroups(context.Background(), directory.GroupQuery{})
	if len(groups) != 1 || groups[0].DisplayName != "Library Assistants" {
		t.Fatalf("groups after refused requests: %v", groups)
	}

	// mailNickname defaults from displayName, as in the admin center.
	r = s.do("POST", "/groups", map[string]any{"displayName": "Sales (EMEA)"}).want(t, 201)
	if r.JSON["mailNickname"] != "SalesEMEA" || r.JSON["securityEnabled"] != true {
		t.Fatalf("%s", r.Body)
	}

	s.do("DELETE", "/groups/"+id, nil).want(t, 204)
	s.do("GET", "/groups/"+id, nil).wantError(t, 404, "Request_ResourceNotFound",
		"Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
	s.do("DELETE", "/groups/"+id, nil).want(t, 404)
	// Security groups never enter the recycle bin.
	r = s.do("GET", "/directory/deletedItems/microsoft.graph.group", nil).want(t, 200)
	if len(values(t, r)) != 0 || r.JSON["@odata.context"] != s.URL+"/$metadata#groups" {
		t.Fatalf("%s", r.Body)
	}
}

func TestMembers(t *testing.T) {
	s := newTestServer(t)
	alex := s.mustCreate("/users", newUser("alex@contoso.com", "Alex"))
	megan := s.mustCreate("/users", newUser("megan@contoso.com", "Megan"))
	sales := s.group("Sales")
	all := s.group("All Staff")

	// 1. Add with each accepted @odata.id form.
	seq := s.lastChange()
	s.do("POST", "/groups/"+sales+"/members/$ref", ref(alex)).want(t, 204)
	if s.lastChange() <= seq {
		t.Fatal("adding a member appended nothing to the outbox")
	}
	s.do("POST", "/groups/"+sales+"/members/$ref", map[string]any{"@odata.id": s.URL + "/users/" + megan}).want(t, 204)
	s.do("POST", "/groups/"+all+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/groups/" + sales}).want(t, 204)

	// 2. Adding twice is Graph's 400; nothing is appended.
	seq = s.lastChange()
	s.do("POST", "/groups/"+sales+"/members/$ref", ref(alex)).wantError(t, 400, "Request_BadRequest",
		"One or more added object references already exist for the following modified properties: 'members'.")
	if s.lastChange() != seq {
		t.Fatal("a refused add appended to the outbox")
	}

	// 3. Unknown member, unknown group, wrong kind, cycle, bad reference.
	s.do("POST", "/groups/"+sales+"/members/$ref", ref("11111111-2222-3333-4444-555555555555")).wantError(t, 404,
		"Request_ResourceNotFound", "Resource '11111111-2222-3333-4444-555555555555' does not exist or one of its queried reference-property objects are not present.")
	s.do("POST", "/groups/no-such-group/members/$ref", ref(alex)).wantError(t, 404, "Request_ResourceNotFound",
		"Resource 'no-such-group' does not exist or one of its queried reference-property objects are not present.")
	s.do("POST", "/groups/"+sales+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/groups/" + alex}).
		wantError(t, 404, "Request_ResourceNotFound", "Resource '"+alex+"' does not exist...")
	s.do("POST", "/groups/"+sales+"/members/$ref", ref(all)).wantError(t, 400, "Request_BadRequest",
		"adding group "+all+" to "+sales+" would make a cycle")
	s.do("POST", "/groups/"+sales+"/members/$ref", ref(sales)).want(t, 400)
	s.do("POST", "/groups/"+sales+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/applications/x"}).
		wantError(t, 400, "Request_BadRequest", "Invalid object identifier 'https://graph.microsoft.com/v1.0/applications/x'.")
	s.do("POST", "/groups/"+sales+"/members/$ref", map[string]any{"id": alex}).want(t, 400)

	// 4. Members, with their types; the casts; transitive members.
	r := s.do("GET", "/groups/"+all+"/members", nil).want(t, 200)
	v := values(t, r)
	if len(v) != 1 || v[0]["@odata.type"] != "#microsoft.graph.group" || v[0]["id"] != sales ||
		r.JSON["@odata.context"] != s.URL+"/$metadata#directoryObjects" {
		t.Fatalf("members of All Staff: %s", r.Body)
	}
	v = values(t, s.do("GET", "/groups/"+sales+"/members", nil).want(t, 200))
	if got := typesAndNames(v); !reflect.DeepEqual(got, []string{"#microsoft.graph.user Alex", "#microsoft.graph.user Megan"}) {
		t.Fatalf("members of Sales: %v", got)
	}
	v = values(t, s.do("GET", "/groups/"+all+"/transitiveMembers", nil).want(t, 200))
	if got := typesAndNames(v); !reflect.DeepEqual(got, []string{"#microsoft.graph.group Sales", "#microsoft.graph.user Alex", "#microsoft.graph.user Megan"}) {
		t.Fatalf("transitive members: %v", got)
	}
	r = s.do("GET", "/groups/"+all+"/members/microsoft.graph.user", nil).want(t, 200)
	if len(values(t, r)) != 0 || r.JSON["@odata.context"] != s.URL+"/$metadata#users" {
		t.Fatalf("%s", r.Body)
	}
	v = values(t, s.do("GET", "/groups/"+sales+"/members/microsoft.graph.user?$select=userPrincipalName", nil).want(t, 200))
	if got := fieldOf(v, "userPrincipalName"); len(v[0]) != 2 || !sameSet(got, []string{"alex@contoso.com", "megan@contoso.com"}) {
		t.Fatalf("%v", v)
	}
	v = values(t, s.do("GET", "/groups/"+sales+"/members?$filter="+url.QueryEscape("startswith(displayName,'Meg')"), nil).want(t, 200))
	if got := fieldOf(v, "displayName"); !slices.Equal(got, []string{"Megan"}) {
		t.Fatalf("filtered members %v", got)
	}
	// Paging in memory: one at a time.
	r = s.do("GET", "/groups/"+sales+"/members?$top=1", nil).want(t, 200)
	next, _ := r.JSON["@odata.nextLink"].(string)
	r2 := s.do("GET", next, nil).want(t, 200)
	if len(values(t, r)) != 1 || len(values(t, r2)) != 1 || r2.JSON["@odata.nextLink"] != nil ||
		values(t, r)[0]["id"] == values(t, r2)[0]["id"] {
		t.Fatalf("pages %s / %s", r.Body, r2.Body)
	}

	// 5. memberOf (direct) and transitiveMemberOf, by id and by UPN.
	r = s.do("GET", "/users/alex@contoso.com/memberOf", nil).want(t, 200)
	v = values(t, r)
	if len(v) != 1 || v[0]["@odata.type"] != "#microsoft.graph.group" || v[0]["displayName"] != "Sales" ||
		r.JSON["@odata.context"] != s.URL+"/$metadata#directoryObjects" {
		t.Fatalf("memberOf %s", r.Body)
	}
	v = values(t, s.do("GET", "/users/"+alex+"/transitiveMemberOf", nil).want(t, 200))
	if got := fieldOf(v, "displayName"); !sameSet(got, []string{"Sales", "All Staff"}) {
		t.Fatalf("transitiveMemberOf %v", got)
	}
	v = values(t, s.do("GET", "/groups/"+sales+"/memberOf", nil).want(t, 200))
	if got := fieldOf(v, "displayName"); !slices.Equal(got, []string{"All Staff"}) {
		t.Fatalf("group memberOf %v", got)
	}
	// directoryObjects resolves either kind.
	if o := s.do("GET", "/directoryObjects/"+sales, nil).want(t, 200); o.JSON["@odata.type"] != "#microsoft.graph.group" {
		t.Fatalf("%s", o.Body)
	}
	if o := s.do("GET", "/directoryObjects/"+alex, nil).want(t, 200); o.JSON["@odata.type"] != "#microsoft.graph.user" {
		t.Fatalf("%s", o.Body)
	}

	// 6. A soft-deleted user leaves the member lists; restored, it returns.
	s.do("DELETE", "/users/"+megan, nil).want(t, 204)
	v = values(t, s.do("GET", "/groups/"+sales+"/members", nil).want(t, 200))
	if got := fieldOf(v, "displayName"); !slices.Equal(got, []string{"Alex"}) {
		t.Fatalf("members after delete %v", got)
	}
	s.do("POST", "/directory/deletedItems/"+megan+"/restore", nil).want(t, 200)
	if v = values(t, s.do("GET", "/groups/"+sales+"/members", nil).want(t, 200)); len(v) != 2 {
		t.Fatalf("members after restore %v", v)
	}

	// 7. Remove: 204; again, or a non-member: 404 naming the member.
	seq = s.lastChange()
	s.do("DELETE", "/groups/"+sales+"/members/"+alex+"/$ref", nil).want(t, 204)
	if s.lastChange() <= seq {
		t.Fatal("removing a member appended nothing to the outbox")
	}
	s.do("DELETE", "/groups/"+sales+"/members/"+alex+"/$ref", nil).wantError(t, 404, "Request_ResourceNotFound",
		"Resource '"+alex+"' does not exist or one of its queried reference-property objects are not present.")
	s.do("DELETE", "/groups/nope/members/"+alex+"/$ref", nil).wantError(t, 404, "Request_ResourceNotFound",
		"Resource 'nope' does not exist or one of its queried reference-property objects are not present.")
	if v := values(t, s.do("GET", "/users/"+alex+"/memberOf", nil).want(t, 200)); len(v) != 0 {
		t.Fatalf("memberOf after removal %v", v)
	}

	// 8. Create with members@odata.bind.
	r = s.do("POST", "/groups", map[string]any{
		"displayName": "Project X", "mailEnabled": false, "mailNickname": "projx", "securityEnabled": true,
		"members@odata.bind": []string{
			"https://graph.microsoft.com/v1.0/users/" + alex,
			"https://graph.microsoft.com/v1.0/directoryObjects/" + sales,
			"https://graph.microsoft.com/v1.0/users/" + alex,
		},
	}).want(t, 201)
	v = values(t, s.do("GET", "/groups/"+r.JSON["id"].(string)+"/members", nil).want(t, 200))
	if got := typesAndNames(v); !reflect.DeepEqual(got, []string{"#microsoft.graph.group Sales", "#microsoft.graph.user Alex"}) {
		t.Fatalf("members of new group %v", got)
	}
}

func typesAndNames(v []map[string]any) []string {
	var out []string
	for _, o := range v {
		out = append(out, o["@odata.type"].(string)+" "+o["displayName"].(string))
	}
	slices.Sort(out)
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
