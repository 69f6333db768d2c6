package graphapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/auditdb"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

// clock is a settable time for the handler.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testServer is the API over HTTP on 127.0.0.1, on a SQLite file in a
// temporary directory, with one valid token.
type testServer struct {
	t      testing.TB
	Root   string // the server's URL, without /v1.0
	URL    string // Root + /v1.0
	Bearer string
	Store  *directorydb.Store
	DB     *store.DB
	Clock  *clock
	Audit  *audit.Log
}

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// newTestServer starts the API; each option may complete the handler
// (a provisioning engine on the same database, say) before it is mounted.
func newTestServer(t testing.TB, options ...func(h *Handler, db *store.DB)) *testServer {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	ds := directorydb.New(db)
	bearer, err := NewAPIToken(ctx, ds, "test", t0)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: t0}
	trail := audit.NewLog(auditdb.New(db), nil)
	mux := http.NewServeMux()
	h := &Handler{Store: ds, Tokens: ds, Now: clk.Now, Logger: slog.New(slog.DiscardHandler), Audit: trail}
	for _, o := range options {
		o(h, db)
	}
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close) // before the database closes (cleanups run last-in first-out)
	return &testServer{t: t, Root: srv.URL, URL: srv.URL + Prefix, Bearer: bearer, Store: ds, DB: db, Clock: clk, Audit: trail}
}

// response is an HTTP answer with its body decoded when it is JSON.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// do sends a request to the API; body may be nil, a string (sent as is) or
// a value (sent as JSON). path is relative to /v1.0 unless it is a full URL.
func (s *testServer) do(method, path string, body any) *response {
	s.t.Helper()
	return s.doAuth(method, path, body, "Bearer "+s.Bearer)
}

func (s *testServer) doAuth(method, path string, body any, auth string, headers ...string) *response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = s.URL + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
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

// want fails unless the response has the status.
func (r *response) want(t testing.TB, status int) *response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

// wantError checks a Graph error document: status, code and message (the
// message exactly, unless msg ends with "..." when it is a prefix).
func (r *response) wantError(t testing.TB, status int, code, msg string) {
	t.Helper()
	r.want(t, status)
	e, ok := r.JSON["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object: %s", r.Body)
	}
	if e["code"] != code {
		t.Fatalf("code %v, want %s: %s", e["code"], code, r.Body)
	}
	m, _ := e["message"].(string)
	if p, ok := strings.CutSuffix(msg, "..."); ok {
		if !strings.HasPrefix(m, p) {
			t.Fatalf("message %q, want prefix %q", m, p)
		}
	} else if m != msg {
		t.Fatalf("message %q, want %q", m, msg)
	}
	inner, ok := e["innerError"].(map[string]any)
	if !ok {
		t.Fatalf("no innerError: %s", r.Body)
	}
	if inner["request-id"] != r.Header.Get("request-id") || inner["request-id"] == "" {
		t.Fatalf("innerError request-id %v, header %q", inner["request-id"], r.Header.Get("request-id"))
	}
	if inner["client-request-id"] != r.Header.Get("client-request-id") {
		t.Fatalf("innerError client-request-id %v, header %q", inner["client-request-id"], r.Header.Get("client-request-id"))
	}
	if d, _ := inner["date"].(string); d == "" {
		t.Fatalf("innerError date missing")
	} else if _, err := time.Parse("2006-01-02T15:04:05", d); err != nil {
		t.Fatalf("innerError date %q: %v", d, err)
	}
}

// newUser is a valid Graph create body.
func newUser(upn, displayName string) map[string]any {
	alias, _, _ := strings.Cut(upn, "@")
	return map[string]any{
		"accountEnabled":    true,
		"displayName":       displayName,
		"mailNickname":      alias,
		"userPrincipalName": upn,
		"passwordProfile":   map[string]any{"forceChangePasswordNextSignIn": true, "password": "xWwvJ]6NMw+bWH-d"},
	}
}

// mustCreate POSTs to a collection and returns the new object's id.
func (s *testServer) mustCreate(path string, body any) string {
	s.t.Helper()
	r := s.do("POST", path, body)
	if r.Status != http.StatusCreated {
		s.t.Fatalf("POST %s: %d %s", path, r.Status, r.Body)
	}
	return r.JSON["id"].(string)
}

func (s *testServer) group(name string) string {
	s.t.Helper()
	return s.mustCreate("/groups", map[string]any{
		"displayName": name, "mailEnabled": false, "mailNickname": strings.ReplaceAll(name, " ", ""), "securityEnabled": true,
	})
}

// ref is the body of a $ref request, in Graph's own URL form.
func ref(id string) map[string]any {
	return map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + id}
}

// lastChange is the newest outbox seq.
func (s *testServer) lastChange() int64 {
	s.t.Helper()
	n, err := s.Store.LastChange(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

// values returns the "value" array of a collection response.
func values(t testing.TB, r *response) []map[string]any {
	t.Helper()
	raw, ok := r.JSON["value"].([]any)
	if !ok {
		t.Fatalf("no value array: %s", r.Body)
	}
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i] = v.(map[string]any)
	}
	return out
}

// fieldOf returns one property of every object.
func fieldOf(objs []map[string]any, name string) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i], _ = o[name].(string)
	}
	return out
}

// storedUser reads a user from the store.
func (s *testServer) storedUser(id string) *directory.User {
	s.t.Helper()
	u, err := s.Store.GetUser(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return u
}
