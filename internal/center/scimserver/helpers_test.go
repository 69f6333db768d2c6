package scimserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

// testServer is a real SCIM server over HTTP on 127.0.0.1, on a SQLite
// file in a temporary directory, with one valid token.
type testServer struct {
	t     testing.TB
	URL   string // the SCIM base URL
	Token string
	Store *centerdb.Store
	DB    *store.DB
}

func newTestServer(t testing.TB) *testServer {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	cs := centerdb.New(db)
	tok, secret := center.NewSCIMToken(time.Now())
	if err := cs.CreateSCIMToken(ctx, tok, time.Now()); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&Handler{Store: cs}).Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close) // before the database closes (cleanups run last-in first-out)
	return &testServer{t: t, URL: srv.URL + Prefix, Token: secret, Store: cs, DB: db}
}

// response is an HTTP answer with its body decoded when it is JSON.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// do sends a request; body may be nil, a string (sent as is) or a value
// (sent as JSON).
func (s *testServer) do(method, path string, body any) *response {
	s.t.Helper()
	return s.doAuth(method, path, body, "Bearer "+s.Token)
}

func (s *testServer) doAuth(method, path string, body any, auth string) *response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	r := &response{Status: res.StatusCode, Header: res.Header}
	r.Body, _ = io.ReadAll(res.Body)
	if len(r.Body) > 0 {
		json.Unmarshal(r.Body, &r.JSON)
	}
	return r
}

// user returns a valid user body with the given userName.
func user(userName string) map[string]any {
	return map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName":    userName,
		"name":        map[string]any{"givenName": "Given", "familyName": "Family"},
		"displayName": "Given Family",
		"emails":      []any{map[string]any{"value": userName + "@example.com", "type": "work", "primary": true}},
	}
}

// mustCreate creates a user or group and returns its id.
func (s *testServer) mustCreate(path string, body any) string {
	s.t.Helper()
	r := s.do("POST", path, body)
	if r.Status != http.StatusCreated {
		s.t.Fatalf("POST %s: %d %s", path, r.Status, r.Body)
	}
	return r.JSON["id"].(string)
}
