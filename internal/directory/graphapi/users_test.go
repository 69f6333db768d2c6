package graphapi

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

func TestUserCRUD(t *testing.T) {
	s := newTestServer(t)

	// 1. Create, with Graph's documented body (passwordProfile included).
	body := newUser("Adele.Vance@contoso.com", "Adele Vance")
	body["givenName"], body["surname"] = "Adele", "Vance"
	body["jobTitle"], body["department"] = "Retail Manager", "Retail"
	body["businessPhones"] = []string{"+1 425 555 0109"}
	body["usageLocation"] = "us"
	body["officeLocation"] = "18/2111"
	r := s.do("POST", "/users", body).want(t, http.StatusCreated)
	id := r.JSON["id"].(string)
	if len(id) != 36 || strings.Count(id, "-") != 4 {
		t.Fatalf("id %q is not a GUID", id)
	}
	if got := r.JSON["@odata.context"]; got != s.URL+"/$metadata#users/$entity" {
		t.Fatalf("@odata.context %v", got)
	}
	for k, want := range map[string]any{
		"userPrincipalName": "Adele.Vance@contoso.com", "displayName": "Adele Vance", "givenName": "Adele",
		"surname": "Vance", "jobTitle": "Retail Manager", "department": "Retail", "usageLocation": "US",
		"officeLocation": "18/2111", "accountEnabled": true, "mailNickname": "Adele.Vance",
		"createdDateTime": "2026-03-01T09:00:00Z", "mail": nil, "deletedDateTime": nil,
	} {
		if got := r.JSON[k]; got != want {
			t.Errorf("%s = %#v, want %#v", k, got, want)
		}
	}
	if got := r.JSON["businessPhones"]; !reflect.DeepEqual(got, []any{"+1 425 555 0109"}) {
		t.Errorf("businessPhones %v", got)
	}
	if _, ok := r.JSON["passwordProfile"]; ok {
		t.Error("passwordProfile returned")
	}
	if r.Header.Get("request-id") == "" || r.Header.Get("client-request-id") != r.Header.Get("request-id") {
		t.Errorf("request ids %q %q", r.Header.Get("request-id"), r.Header.Get("client-request-id"))
	}
	// The password never reaches the store.
	var doc string
	if err := s.DB.Read.QueryRow(`SELECT doc FROM directory_users WHERE id = $1`, id).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(doc, "xWwvJ") || strings.Contains(doc, "password") {
		t.Fatalf("stored doc holds the password: %s", doc)
	}

	// 2. Read by id and by userPrincipalName, in any case.
	for _, key := range []string{id, "Adele.Vance@contoso.com", "adele.vance@CONTOSO.com"} {
		g := s.do("GET", "/users/"+url.PathEscape(key), nil).want(t, http.StatusOK)
		if g.JSON["id"] != id || g.JSON["displayName"] != "Adele Vance" {
			t.Fatalf("GET %s: %s", key, g.Body)
		}
	}

	// 3. PATCH by UPN: 204, then the change is visible; null clears.
	seq := s.lastChange()
	s.do("PATCH", "/users/Adele.Vance@contoso.com", map[string]any{
		"jobTitle": "Store Manager", "department": nil, "accountEnabled": false,
	}).want(t, http.StatusNoContent)
	if s.lastChange() <= seq {
		t.Fatal("PATCH appended nothing to the outbox")
	}
	g := s.do("GET", "/users/"+id, nil).want(t, http.StatusOK)
	if g.JSON["jobTitle"] != "Store Manager" || g.JSON["department"] != nil || g.JSON["accountEnabled"] != false {
		t.Fatalf("after PATCH: %s", g.Body)
	}
	// A PATCH that changes nothing writes nothing.
	seq = s.lastChange()
	s.do("PATCH", "/users/"+id, map[string]any{"jobTitle": "Store Manager"}).want(t, http.StatusNoContent)
	if s.lastChange() != seq {
		t.Fatal("a PATCH changing nothing appended to the outbox")
	}

	// 4. Renaming the UPN works; the old UPN no longer resolves.
	s.do("PATCH", "/users/"+id, map[string]any{"userPrincipalName": "adele@contoso.com"}).want(t, http.StatusNoContent)
	s.do("GET", "/users/Adele.Vance@contoso.com", nil).wantError(t, 404, "Request_ResourceNotFound",
		"Resource 'Adele.Vance@contoso.com' does not exist or one of its queried reference-property objects are not present.")
	s.do("GET", "/users/adele@contoso.com", nil).want(t, http.StatusOK)

	// 5. Delete (soft): 204, then 404 by id and by UPN.
	s.do("DELETE", "/users/adele@contoso.com", nil).want(t, http.StatusNoContent)
	s.do("GET", "/users/"+id, nil).wantError(t, 404, "Request_ResourceNotFound",
		"Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
	s.do("GET", "/users/adele@contoso.com", nil).want(t, http.StatusNotFound)
	s.do("PATCH", "/users/"+id, map[string]any{"jobTitle": "x"}).want(t, http.StatusNotFound)
	s.do("DELETE", "/users/"+id, nil).want(t, http.StatusNotFound)
	if s.storedUser(id).Deleted == nil {
		t.Fatal("the user is not soft-deleted in the store")
	}
}

func TestUserDefaults(t *testing.T) {
	s := newTestServer(t)
	// accountEnabled and mailNickname may be omitted.
	r := s.do("POST", "/users", map[string]any{"userPrincipalName": "o'neil@contoso.com", "displayName": "Pat O'Neil"}).
		want(t, http.StatusCreated)
	if r.JSON["accountEnabled"] != true || r.JSON["mailNickname"] != "o'neil" {
		t.Fatalf("%s", r.Body)
	}
	if got := r.JSON["businessPhones"]; !reflect.DeepEqual(got, []any{}) {
		t.Fatalf("businessPhones %#v", got)
	}
}

func TestUserValidation(t *testing.T) {
	s := newTestServer(t)
	id := s.mustCreate("/users", newUser("alex@contoso.com", "Alex Wilber"))
	seq := s.lastChange()
	for _, tc := range []struct {
		name string
		body any
		code string
		msg  string
	}{
		{"no UPN", map[string]any{"displayName": "X"}, "Request_BadRequest",
			"Invalid value specified for property 'userPrincipalName' of resource 'User': userPrincipalName is required."},
		{"no displayName", map[string]any{"userPrincipalName": "x@contoso.com"}, "Request_BadRequest",
			"Invalid value specified for property 'displayName' of resource 'User': displayName is required and cannot be empty."},
		{"UPN with a space", newUser("al ex@contoso.com", "X"), "Request_BadRequest",
			"Invalid value specified for property 'userPrincipalName' of resource 'User': \"al ex@contoso.com\" contains a space."},
		{"two phones", func() map[string]any {
			b := newUser("p@contoso.com", "P")
			b["businessPhones"] = []string{"1", "2"}
			return b
		}(), "Request_BadRequest",
			"Invalid value specified for property 'businessPhones' of resource 'User': only one number can be set, 2 were given."},
		{"usageLocation", func() map[string]any {
			b := newUser("u@contoso.com", "U")
			b["usageLocation"] = "USA"
			return b
		}(), "Request_BadRequest", "Invalid value specified for property 'usageLocation' of resource 'User': \"USA\" is not a two-letter country code..."},
		{"wrong type", map[string]any{"userPrincipalName": "w@contoso.com", "displayName": "W", "accountEnabled": "yes"},
			"Request_BadRequest", "Invalid value specified for property 'accountEnabled' of resource 'User': expected true or false (Edm.Boolean)."},
		{"unknown property", map[string]any{"userPrincipalName": "k@contoso.com", "displayName": "K", "favouriteColour": "red"},
			"Request_BadRequest", "Property 'favouriteColour' does not exist as a declared property or extension property."},
		{"unsupported property", map[string]any{"userPrincipalName": "k@contoso.com", "displayName": "K", "otherMails": []string{}},
			"Request_BadRequest", "Property 'otherMails' is not supported by this directory."},
		{"read-only id", map[string]any{"id": "x", "userPrincipalName": "k@contoso.com", "displayName": "K"},
			"Request_BadRequest", "Property 'id' is read-only and cannot be set."},
		{"duplicate UPN", newUser("ALEX@contoso.com", "Alex again"), "Request_BadRequest",
			"Another object with the same value for property userPrincipalName already exists."},
		{"not JSON", "{", "Request_BadRequest", msgBadJSON},
		{"not an object", "[1]", "Request_BadRequest", msgBadJSON},
		{"empty", "", "Request_BadRequest", "Empty Payload. JSON content expected."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.do("POST", "/users", tc.body).wantError(t, 400, tc.code, tc.msg)
		})
	}
	if s.lastChange() != seq {
		t.Fatalf("refused creates wrote to the outbox: %d -> %d", seq, s.lastChange())
	}
	// The duplicate carries Graph's ObjectConflict detail.
	r := s.do("POST", "/users", newUser("alex@contoso.com", "Alex again"))
	details := r.JSON["error"].(map[string]any)["details"].([]any)
	if d := details[0].(map[string]any); d["code"] != "ObjectConflict" || d["target"] != "userPrincipalName" {
		t.Fatalf("details %v", details)
	}

	// Bad PATCHes change nothing.
	other := s.mustCreate("/users", newUser("other@contoso.com", "Other"))
	seq = s.lastChange()
	s.do("PATCH", "/users/"+id, map[string]any{"userPrincipalName": "OTHER@contoso.com"}).wantError(t, 400,
		"Request_BadRequest", "Another object with the same value for property userPrincipalName already exists.")
	s.do("PATCH", "/users/"+id, map[string]any{"passwordProfile": map[string]any{"password": "x"}}).wantError(t, 400,
		"Request_BadRequest", "Property 'passwordProfile' cannot be changed: this directory has no password sign-in yet, so there is no password to reset.")
	before := s.storedUser(id)
	for _, body := range []any{
		map[string]any{"displayName": nil},
		map[string]any{"jobTitle": "ok", "usageLocation": "USA"},
		map[string]any{"jobTitle": "ok", "businessPhones": nil},
		map[string]any{"jobTitle": "ok", "createdDateTime": "2020-01-01T00:00:00Z"},
		map[string]any{"userPrincipalName": "bad"},
		map[string]any{"userPrincipalName": "other@contoso.com"},
		map[string]any{"passwordProfile": map[string]any{"password": "n3w-Pa55word!"}},
		"nonsense",
	} {
		s.do("PATCH", "/users/"+id, body).want(t, http.StatusBadRequest)
	}
	if after := s.storedUser(id); !reflect.DeepEqual(before, after) {
		t.Fatalf("a rejected PATCH changed the user:\n%+v\n%+v", before, after)
	}
	// Only the one valid user exists, and no rejected request wrote.
	users, _ := s.Store.ListUsers(context.Background(), directory.UserQuery{})
	if len(users) != 2 || !sameSet([]string{users[0].ID, users[1].ID}, []string{id, other}) || s.lastChange() != seq {
		t.Fatalf("%d users, outbox %d -> %d", len(users), seq, s.lastChange())
	}
}

func TestUserSelect(t *testing.T) {
	s := newTestServer(t)
	body := newUser("megan@contoso.com", "Megan Bowen")
	body["jobTitle"] = "Auditor"
	id := s.mustCreate("/users", body)

	r := s.do("GET", "/users/"+id+"?$select=displayName,JobTitle", nil).want(t, 200)
	keys := slices.Sorted(mapKeys(r.JSON))
	if !reflect.DeepEqual(keys, []string{"@odata.context", "displayName", "id", "jobTitle"}) {
		t.Fatalf("keys %v", keys)
	}
	if r.JSON["@odata.context"] != s.URL+"/$metadata#users(displayName,jobTitle)/$entity" {
		t.Fatalf("context %v", r.JSON["@odata.context"])
	}
	l := s.do("GET", "/users?$select=userPrincipalName", nil).want(t, 200)
	if l.JSON["@odata.context"] != s.URL+"/$metadata#users(userPrincipalName)" {
		t.Fatalf("context %v", l.JSON["@odata.context"])
	}
	v := values(t, l)
	if len(v) != 1 || len(v[0]) != 2 || v[0]["id"] != id || v[0]["userPrincipalName"] != "megan@contoso.com" {
		t.Fatalf("%s", l.Body)
	}
	// Without $ too, as Graph allows.
	if v := values(t, s.do("GET", "/users?select=id", nil).want(t, 200)); len(v[0]) != 1 {
		t.Fatalf("%v", v)
	}
	s.do("GET", "/users?$select=displayName,shoeSize", nil).wantError(t, 400, "Request_BadRequest",
		"Parsing OData Select and Expand failed: Could not find a property named 'shoeSize' on type 'microsoft.graph.user'.")
}

func mapKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestManager(t *testing.T) {
	s := newTestServer(t)
	alex := s.mustCreate("/users", newUser("alex@contoso.com", "Alex"))
	boss := s.mustCreate("/users", newUser("boss@contoso.com", "Boss"))
	grp := s.group("Managers")

	s.do("GET", "/users/"+alex+"/manager", nil).wantError(t, 404, "Request_ResourceNotFound",
		"Resource 'manager' does not exist or one of its queried reference-property objects are not present.")
	s.do("DELETE", "/users/"+alex+"/manager/$ref", nil).want(t, 404)

	seq := s.lastChange()
	s.do("PUT", "/users/"+alex+"/manager/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/users/" + boss}).
		want(t, http.StatusNoContent)
	if s.lastChange() <= seq {
		t.Fatal("manager change appended nothing to the outbox")
	}
	if s.storedUser(alex).ManagerID != boss {
		t.Fatal("manager not stored")
	}
	r := s.do("GET", "/users/alex@contoso.com/manager", nil).want(t, 200)
	if r.JSON["@odata.type"] != "#microsoft.graph.user" || r.JSON["id"] != boss || r.JSON["displayName"] != "Boss" ||
		r.JSON["@odata.context"] != s.URL+"/$metadata#directoryObjects/$entity" {
		t.Fatalf("%s", r.Body)
	}
	// Our own URL and the UPN form work as well.
	s.do("PUT", "/users/"+alex+"/manager/$ref", map[string]any{"@odata.id": s.URL + "/users/boss@contoso.com"}).
		want(t, http.StatusNoContent)

	s.do("PUT", "/users/"+alex+"/manager/$ref", ref("00000000-0000-0000-0000-00000000abcd")).wantError(t, 404,
		"Request_ResourceNotFound", "Resource '00000000-0000-0000-0000-00000000abcd' does not exist or one of its queried reference-property objects are not present.")
	s.do("PUT", "/users/"+alex+"/manager/$ref", ref(grp)).wantError(t, 400, "Request_BadRequest",
		"The manager must be a user; '"+grp+"' is a group.")
	s.do("PUT", "/users/"+alex+"/manager/$ref", ref(alex)).wantError(t, 400, "Request_BadRequest",
		"Invalid value specified for property 'manager' of resource 'User': a user cannot be their own manager.")
	s.do("PUT", "/users/"+alex+"/manager/$ref", map[string]any{"@odata.id": "not a url"}).wantError(t, 400,
		"Request_BadRequest", "Invalid object identifier 'not a url'.")
	if s.storedUser(alex).ManagerID != boss {
		t.Fatal("a refused manager change changed the manager")
	}

	// A deleted manager is no manager.
	s.do("DELETE", "/users/"+boss, nil).want(t, 204)
	s.do("GET", "/users/"+alex+"/manager", nil).want(t, 404)
	s.do("POST", "/directory/deletedItems/"+boss+"/restore", nil).want(t, 200)
	s.do("GET", "/users/"+alex+"/manager", nil).want(t, 200)

	s.do("DELETE", "/users/"+alex+"/manager/$ref", nil).want(t, http.StatusNoContent)
	s.do("GET", "/users/"+alex+"/manager", nil).want(t, 404)
	if s.storedUser(alex).ManagerID != "" {
		t.Fatal("manager not cleared")
	}
}
