package graphapi

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"testing"
)

func TestOwners(t *testing.T) {
	s := newTestServer(t)
	alex := s.mustCreate("/users", newUser("alex@contoso.com", "Alex"))
	megan := s.mustCreate("/users", newUser("megan@contoso.com", "Megan"))
	sales := s.group("Sales")
	all := s.group("All Staff")
	ctx := context.Background()

	// 1. Add with each accepted @odata.id form: 204, nothing in the
	// outbox (owners are not provisioned), and the owner is no member.
	seq := s.lastChange()
	s.do("POST", "/groups/"+sales+"/owners/$ref", ref(alex)).want(t, 204)
	s.do("POST", "/groups/"+sales+"/owners/$ref", map[string]any{"@odata.id": s.URL + "/users/" + megan}).want(t, 204)
	s.do("POST", "/groups/"+all+"/owners/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/users/megan@contoso.com"}).want(t, 204)
	if s.lastChange() != seq {
		t.Fatal("adding owners appended to the outbox")
	}
	if ids, _ := s.Store.Owners(ctx, sales); !sameSet(ids, []string{alex, megan}) {
		t.Fatalf("stored owners of Sales %v", ids)
	}
	if v := values(t, s.do("GET", "/groups/"+sales+"/members", nil).want(t, 200)); len(v) != 0 {
		t.Fatalf("owners became members: %v", v)
	}

	// 2. Graph's errors: twice, unknown owner or group, a group as owner,
	// a bad reference, no body.
	s.do("POST", "/groups/"+sales+"/owners/$ref", ref(alex)).wantError(t, 400, "Request_BadRequest",
		"One or more added object references already exist for the following modified properties: 'owners'.")
	s.do("POST", "/groups/"+sales+"/owners/$ref", ref("11111111-2222-3333-4444-555555555555")).wantError(t, 404,
		"Request_ResourceNotFound", "Resource '11111111-2222-3333-4444-555555555555' does not exist or one of its queried reference-property objects are not present.")
	s.do("POST", "/groups/no-such-group/owners/$ref", ref(alex)).wantError(t, 404, "Request_ResourceNotFound",
		"Resource 'no-such-group' does not exist or one of its queried reference-property objects are not present.")
	s.do("POST", "/groups/"+sales+"/owners/$ref", ref(all)).wantError(t, 400, "Request_BadRequest",
		"Group '"+all+"' cannot be an owner: a group's owners are users.")
	s.do("POST", "/groups/"+sales+"/owners/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/applications/x"}).
		wantError(t, 400, "Request_BadRequest", "Invalid object identifier 'https://graph.microsoft.com/v1.0/applications/x'.")
	s.do("POST", "/groups/"+sales+"/owners/$ref", "").wantError(t, 400, "Request_BadRequest", "Empty Payload. JSON content expected.")
	s.do("PUT", "/groups/"+sales+"/owners/$ref", ref(alex)).want(t, http.StatusMethodNotAllowed)

	// 3. The owners, typed; the casts; $select; paging; ownedObjects.
	r := s.do("GET", "/groups/"+sales+"/owners", nil).want(t, 200)
	v := values(t, r)
	if got := typesAndNames(v); !reflect.DeepEqual(got, []string{"#microsoft.graph.user Alex", "#microsoft.graph.user Megan"}) ||
		r.JSON["@odata.context"] != s.URL+"/$metadata#directoryObjects" {
		t.Fatalf("owners of Sales: %s", r.Body)
	}
	r = s.do("GET", "/groups/"+sales+"/owners/microsoft.graph.user?$select=userPrincipalName", nil).want(t, 200)
	if got := fieldOf(values(t, r), "userPrincipalName"); !sameSet(got, []string{"alex@contoso.com", "megan@contoso.com"}) ||
		r.JSON["@odata.context"] != s.URL+"/$metadata#users(userPrincipalName)" {
		t.Fatalf("owners cast: %s", r.Body)
	}
	if v := values(t, s.do("GET", "/groups/"+sales+"/owners/microsoft.graph.group", nil).want(t, 200)); len(v) != 0 {
		t.Fatalf("group owners: %v", v)
	}
	r = s.do("GET", "/groups/"+sales+"/owners?$top=1", nil).want(t, 200)
	next, _ := r.JSON["@odata.nextLink"].(string)
	if len(values(t, r)) != 1 || next == "" || len(values(t, s.do("GET", next, nil).want(t, 200))) != 1 {
		t.Fatalf("paging owners: %s", r.Body)
	}
	s.do("GET", "/groups/nope/owners", nil).want(t, 404)
	r = s.do("GET", "/users/megan@contoso.com/ownedObjects", nil).want(t, 200)
	v = values(t, r)
	if got := typesAndNames(v); !reflect.DeepEqual(got, []string{"#microsoft.graph.group All Staff", "#microsoft.graph.group Sales"}) {
		t.Fatalf("ownedObjects of Megan: %s", r.Body)
	}

	// 4. Remove: 204; again, or a non-owner: 404 naming the owner.
	s.do("DELETE", "/groups/"+sales+"/owners/"+alex+"/$ref", nil).want(t, 204)
	s.do("DELETE", "/groups/"+sales+"/owners/"+alex+"/$ref", nil).wantError(t, 404, "Request_ResourceNotFound",
		"Resource '"+alex+"' does not exist or one of its queried reference-property objects are not present.")
	s.do("DELETE", "/groups/nope/owners/"+alex+"/$ref", nil).wantError(t, 404, "Request_ResourceNotFound",
		"Resource 'nope' does not exist or one of its queried reference-property objects are not present.")
	if v := values(t, s.do("GET", "/users/"+alex+"/ownedObjects", nil).want(t, 200)); len(v) != 0 {
		t.Fatalf("ownedObjects after removal %v", v)
	}

	// 5. A soft-deleted owner leaves the list and comes back restored; a
	// hard-deleted one is gone from the store.
	s.do("DELETE", "/users/"+megan, nil).want(t, 204)
	if v := values(t, s.do("GET", "/groups/"+sales+"/owners", nil).want(t, 200)); len(v) != 0 {
		t.Fatalf("owners with Megan deleted %v", v)
	}
	s.do("POST", "/directory/deletedItems/"+megan+"/restore", nil).want(t, 200)
	if v := values(t, s.do("GET", "/groups/"+sales+"/owners", nil).want(t, 200)); len(v) != 1 {
		t.Fatalf("owners after restore %v", v)
	}
	s.do("DELETE", "/users/"+megan, nil).want(t, 204)
	s.do("DELETE", "/directory/deletedItems/"+megan, nil).want(t, 204)
	for _, g := range []string{sales, all} {
		if ids, _ := s.Store.Owners(ctx, g); len(ids) != 0 {
			t.Fatalf("owners of %s after purge: %v", g, ids)
		}
	}
}

// A group is created with owners@odata.bind (users only), at most 20
// references with the members.
func TestCreateGroupWithOwners(t *testing.T) {
	s := newTestServer(t)
	alex := s.mustCreate("/users", newUser("alex@contoso.com", "Alex"))
	sales := s.group("Sales")
	r := s.do("POST", "/groups", map[string]any{
		"displayName": "Project X", "mailEnabled": false, "mailNickname": "projx", "securityEnabled": true,
		"owners@odata.bind":  []string{"https://graph.microsoft.com/v1.0/users/" + alex, "https://graph.microsoft.com/v1.0/users/" + alex},
		"members@odata.bind": []string{"https://graph.microsoft.com/v1.0/directoryObjects/" + sales},
	}).want(t, 201)
	id := r.JSON["id"].(string)
	if ids, _ := s.Store.Owners(context.Background(), id); !slices.Equal(ids, []string{alex}) {
		t.Fatalf("owners of the new group %v", ids)
	}
	if v := values(t, s.do("GET", "/groups/"+id+"/members", nil).want(t, 200)); len(v) != 1 || v[0]["id"] != sales {
		t.Fatalf("members of the new group %v", v)
	}

	before := s.lastChange()
	s.do("POST", "/groups", map[string]any{"displayName": "Bad", "owners@odata.bind": []string{"https://graph.microsoft.com/v1.0/groups/" + sales}}).
		wantError(t, 400, "Request_BadRequest", "Group '"+sales+"' cannot be an owner: a group's owners are users.")
	var many []string
	for range 21 {
		many = append(many, "https://graph.microsoft.com/v1.0/users/"+alex)
	}
	s.do("POST", "/groups", map[string]any{"displayName": "Big", "owners@odata.bind": many[:11], "members@odata.bind": many[11:]}).
		wantError(t, 400, "Request_BadRequest", "A group can be created with at most 20 members@odata.bind and owners@odata.bind together...")
	s.do("PATCH", "/groups/"+id, map[string]any{"owners@odata.bind": []string{}}).wantError(t, 400, "Request_BadRequest",
		"owners@odata.bind is only accepted when a group is created; add owners with POST /groups/{id}/owners/$ref.")
	if s.lastChange() != before {
		t.Fatal("refused creates wrote to the directory")
	}
}
