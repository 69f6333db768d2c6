package graphapi

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

func TestRecycleBin(t *testing.T) {
	s := newTestServer(t)
	old := s.mustCreate("/users", newUser("pradeep@contoso.com", "Pradeep Gupta"))
	keep := s.mustCreate("/users", newUser("lidia@contoso.com", "Lidia Holloway"))
	sales := s.group("Sales")
	s.do("POST", "/groups/"+sales+"/members/$ref", ref(old)).want(t, 204)

	// 1. Delete: the user moves to deletedItems with its deletion time.
	s.Clock.Add(time.Hour)
	s.do("DELETE", "/users/"+old, nil).want(t, 204)
	r := s.do("GET", "/directory/deletedItems/microsoft.graph.user", nil).want(t, 200)
	v := values(t, r)
	if len(v) != 1 || v[0]["id"] != old || v[0]["deletedDateTime"] != "2026-03-01T10:00:00Z" ||
		r.JSON["@odata.context"] != s.URL+"/$metadata#users" {
		t.Fatalf("deletedItems %s", r.Body)
	}
	// The list takes query options; the lower-case spelling works too.
	v = values(t, s.do("GET", "/directory/deleteditems/microsoft.graph.user?$filter="+
		url.QueryEscape("startswith(userPrincipalName,'prad')")+"&$select=userPrincipalName,deletedDateTime", nil).want(t, 200))
	if len(v) != 1 || len(v[0]) != 3 || v[0]["userPrincipalName"] != "pradeep@contoso.com" {
		t.Fatalf("filtered deletedItems %v", v)
	}
	g := s.do("GET", "/directory/deletedItems/"+old, nil).want(t, 200)
	if g.JSON["@odata.type"] != "#microsoft.graph.user" || g.JSON["deletedDateTime"] != "2026-03-01T10:00:00Z" {
		t.Fatalf("%s", g.Body)
	}
	// A live user is not a deleted item.
	s.do("GET", "/directory/deletedItems/"+keep, nil).wantError(t, 404, "Request_ResourceNotFound",
		"Resource '"+keep+"' does not exist or one of its queried reference-property objects are not present.")
	s.do("POST", "/directory/deletedItems/"+keep+"/restore", nil).want(t, 404)
	s.do("DELETE", "/directory/deletedItems/"+keep, nil).want(t, 404)
	if s.storedUser(keep).Deleted != nil {
		t.Fatal("a live user was touched")
	}

	// 2. Its UPN may be reused; restoring onto a taken UPN is refused.
	reuse := s.mustCreate("/users", newUser("pradeep@contoso.com", "Pradeep Gupta (new)"))
	s.do("POST", "/directory/deletedItems/"+old+"/restore", nil).wantError(t, 400, "Request_BadRequest",
		"cannot restore "+old+": userPrincipalName pradeep@contoso.com is taken by another user")
	s.do("DELETE", "/users/"+reuse, nil).want(t, 204)
	s.do("DELETE", "/directory/deletedItems/"+reuse, nil).want(t, 204)

	// 3. Restore: 200 with the user, live again with its memberships.
	seq := s.lastChange()
	r = s.do("POST", "/directory/deletedItems/"+old+"/restore", nil).want(t, http.StatusOK)
	if r.JSON["id"] != old || r.JSON["deletedDateTime"] != nil || r.JSON["@odata.type"] != "#microsoft.graph.user" ||
		r.JSON["@odata.context"] != s.URL+"/$metadata#directoryObjects/$entity" {
		t.Fatalf("restore %s", r.Body)
	}
	if s.lastChange() <= seq {
		t.Fatal("restore appended nothing to the outbox")
	}
	s.do("GET", "/users/pradeep@contoso.com", nil).want(t, 200)
	if v := values(t, s.do("GET", "/users/"+old+"/memberOf", nil).want(t, 200)); len(v) != 1 {
		t.Fatalf("memberships after restore: %v", v)
	}
	if v := values(t, s.do("GET", "/directory/deletedItems/microsoft.graph.user", nil).want(t, 200)); len(v) != 0 {
		t.Fatalf("deletedItems after restore: %v", v)
	}

	// 4. Permanent delete: gone from everywhere, memberships included.
	s.do("DELETE", "/users/"+old, nil).want(t, 204)
	seq = s.lastChange()
	s.do("DELETE", "/directory/deletedItems/"+old, nil).want(t, 204)
	if s.lastChange() <= seq {
		t.Fatal("purge appended nothing to the outbox")
	}
	s.do("GET", "/directory/deletedItems/"+old, nil).want(t, 404)
	s.do("POST", "/directory/deletedItems/"+old+"/restore", nil).want(t, 404)
	if v := values(t, s.do("GET", "/groups/"+sales+"/members", nil).want(t, 200)); len(v) != 0 {
		t.Fatalf("members after purge: %v", v)
	}

	// 5. After 30 days a deleted user can no longer be seen or restored.
	s.do("DELETE", "/users/"+keep, nil).want(t, 204)
	s.Clock.Add(directory.SoftDeleteRetention - time.Minute)
	s.do("GET", "/directory/deletedItems/"+keep, nil).want(t, 200)
	s.Clock.Add(2 * time.Minute)
	s.do("GET", "/directory/deletedItems/"+keep, nil).want(t, 404)
	s.do("POST", "/directory/deletedItems/"+keep+"/restore", nil).want(t, 404)
	if v := values(t, s.do("GET", "/directory/deletedItems/microsoft.graph.user", nil).want(t, 200)); len(v) != 0 {
		t.Fatalf("expired user listed: %v", v)
	}
	if s.storedUser(keep).Deleted == nil {
		t.Fatal("expired user restored")
	}
}

func TestAuth(t *testing.T) {
	s := newTestServer(t)
	id, sec, _ := secret.SplitToken(s.Bearer)
	for _, tc := range []struct {
		name, auth, msg string
	}{
		{"no header", "", "Access token is empty."},
		{"empty bearer", "Bearer ", "Access token is empty."},
		{"basic", "Basic dXNlcjpwYXNz", "Access token validation failure."},
		{"no dot", "Bearer abcdef", "Access token validation failure."},
		{"wrong secret", "Bearer " + id + ".wrong", "Access token validation failure."},
		{"unknown id", "Bearer 0011223344556677." + sec, "Access token validation failure."},
		{"a JWT", "Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20ifQ.sig", "Access token validation failure."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/users", "/groups/x", "/nowhere"} {
				r := s.doAuth("GET", path, nil, tc.auth)
				r.wantError(t, 401, "InvalidAuthenticationToken", tc.msg)
				if r.Header.Get("WWW-Authenticate") == "" {
					t.Fatal("no WWW-Authenticate")
				}
			}
		})
	}
	// A write without a token changes nothing.
	seq := s.lastChange()
	s.doAuth("POST", "/users", newUser("x@contoso.com", "X"), "").want(t, 401)
	if s.lastChange() != seq {
		t.Fatal("an unauthenticated write was stored")
	}

	// The scheme is case-insensitive; client-request-id is echoed.
	r := s.doAuth("GET", "/users", nil, "bearer "+s.Bearer, "client-request-id", "my-id-1")
	r.want(t, 200)
	if r.Header.Get("client-request-id") != "my-id-1" || r.Header.Get("request-id") == "" || r.Header.Get("request-id") == "my-id-1" {
		t.Fatalf("ids %q %q", r.Header.Get("request-id"), r.Header.Get("client-request-id"))
	}
	r = s.doAuth("GET", "/users/nobody", nil, "Bearer "+s.Bearer, "client-request-id", "my-id-2")
	r.wantError(t, 404, "Request_ResourceNotFound", "Resource 'nobody' does not exist...")
	if r.JSON["error"].(map[string]any)["innerError"].(map[string]any)["client-request-id"] != "my-id-2" {
		t.Fatalf("%s", r.Body)
	}

	// A second token works until it is revoked.
	other, err := NewAPIToken(t.Context(), s.Store, "ci", t0)
	if err != nil {
		t.Fatal(err)
	}
	s.doAuth("GET", "/users", nil, "Bearer "+other).want(t, 200)
	oid, _, _ := secret.SplitToken(other)
	if err := s.Store.RevokeAPIToken(t.Context(), oid, t0); err != nil {
		t.Fatal(err)
	}
	s.doAuth("GET", "/users", nil, "Bearer "+other).wantError(t, 401, "InvalidAuthenticationToken", "Access token validation failure.")
	s.doAuth("GET", "/users", nil, "Bearer "+s.Bearer).want(t, 200)

	// Tokens are stored hashed.
	tok, err := s.Store.GetAPIToken(t.Context(), id)
	if err != nil || tok.Name != "test" || tok.SecretHash == sec || len(tok.SecretHash) != 64 || tok.Revoked != nil {
		t.Fatalf("%+v %v", tok, err)
	}
	if _, err := NewAPIToken(t.Context(), s.Store, " ", t0); err == nil {
		t.Fatal("a token without a name was created")
	}
}
