package reviewapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/graphapi"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	"github.com/gatehouse-id/gatehouse/internal/governance/reviewapi"
	"github.com/gatehouse-id/gatehouse/internal/governance/reviews"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/reviewsdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type fixture struct {
	t     *testing.T
	srv   *httptest.Server
	dir   *directorydb.Store
	now   time.Time
	admin string
}

func setup(t *testing.T) *fixture {
	db := storetest.SQLite(t)
	f := &fixture{t: t, dir: directorydb.New(db), now: t0}
	clock := func() time.Time { return f.now }
	rs := reviewsdb.New(db)
	svc := &reviews.Service{Store: rs, Dir: f.dir, SignIns: rs, Now: clock, Logger: slog.New(slog.DiscardHandler)}
	var err error
	if f.admin, err = graphapi.NewAPIToken(context.Background(), f.dir, "admin", t0); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&reviewapi.Handler{Service: svc, Tokens: f.dir, SignIn: &signin.Handler{Store: f.dir, Now: clock}}).Mount(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) user(upn string) string {
	u := &directory.User{ID: uuid.NewString(), UserPrincipalName: upn, DisplayName: upn, AccountEnabled: true, Created: t0, Modified: t0}
	if err := f.dir.CreateUser(context.Background(), u); err != nil {
		f.t.Fatal(err)
	}
	return u.ID
}

// session signs userID in (a session created now) and returns the cookie.
func (f *fixture) session(userID string) string {
	v := strings.ReplaceAll(uuid.NewString()+uuid.NewString(), "-", "")[:43] // signin's cookie length
	sum := sha256.Sum256([]byte(v))
	s := &directory.Session{ID: hex.EncodeToString(sum[:]), UserID: userID, Created: f.now, LastSeen: f.now,
		Expires: f.now.Add(12 * time.Hour), CSRF: "x"}
	if err := f.dir.CreateSession(context.Background(), s); err != nil {
		f.t.Fatal(err)
	}
	return v
}

func (f *fixture) do(method, path, auth string, body any) (int, http.Header, []byte) {
	f.t.Helper()
	var rd io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, f.srv.URL+reviewapi.Base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if auth == "admin" {
		req.Header.Set("Authorization", "Bearer "+f.admin)
	} else if auth != "" {
		req.AddCookie(&http.Cookie{Name: signin.SessionCookie, Value: auth})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func obj(b []byte) map[string]any {
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func TestAPI(t *testing.T) {
	f := setup(t)
	rev, amy, bob := f.user("rev@x"), f.user("amy@x"), f.user("bob@x")
	g := &directory.Group{ID: uuid.NewString(), DisplayName: "ops", Created: t0, Modified: t0}
	f.dir.CreateGroup(context.Background(), g)
	f.dir.AddMember(context.Background(), g.ID, amy, t0)
	f.dir.AddMember(context.Background(), g.ID, bob, t0)
	revS, amyS := f.session(rev), f.session(amy) // amy signed in now; bob never

	def := map[string]any{"displayName": "Ops review",
		"scope":     map[string]any{"query": "/groups/" + g.ID + "/members", "queryType": "MicrosoftGraph"},
		"reviewers": []any{map[string]any{"query": "/users/" + rev, "queryType": "MicrosoftGraph"}},
		"settings": map[string]any{"instanceDurationInDays": 7, "defaultDecisionEnabled": true, "defaultDecision": "Recommendation",
			"autoApplyDecisionsEnabled": true, "reminderInterval": "P2D",
			"recurrence": map[string]any{"pattern": map[string]any{"type": "weekly", "interval": 1},
				"range": map[string]any{"startDate": "2026-03-02"}}}}
	if st, _, _ := f.do("POST", "/definitions", revS, def); st != http.StatusForbidden {
		t.Fatalf("definition by a user: %d", st)
	}
	if st, _, _ := f.do("POST", "/definitions", "", def); st != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d", st)
	}
	st, _, body := f.do("POST", "/definitions", "admin", def)
	if st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, body)
	}
	d := obj(body)
	id := d["id"].(string)
	if s := d["settings"].(map[string]any); s["instanceDurationInDays"] != float64(7) || s["autoApplyDecisionsEnabled"] != true ||
		s["defaultDecision"] != "Recommendation" {
		t.Fatalf("definition view: %s", body)
	}
	_, _, body = f.do("GET", "/definitions/"+id+"/instances", "admin", nil)
	vals := obj(body)["value"].([]any)
	if len(vals) != 1 {
		t.Fatalf("instances: %s", body)
	}
	iid := vals[0].(map[string]any)["id"].(string)
	base := "/definitions/" + id + "/instances/" + iid

	// The reviewer sees both decisions; amy (not a reviewer) sees none.
	_, _, body = f.do("GET", base+"/decisions", revS, nil)
	decs := map[string]map[string]any{}
	for _, v := range obj(body)["value"].([]any) {
		m := v.(map[string]any)
		decs[m["principal"].(map[string]any)["userPrincipalName"].(string)] = m
	}
	if len(decs) != 2 || decs["bob@x"]["recommendation"] != "Deny" || decs["amy@x"]["recommendation"] != "Approve" {
		t.Fatalf("decisions: %s", body)
	}
	if _, _, body := f.do("GET", base+"/decisions", amyS, nil); len(obj(body)["value"].([]any)) != 0 {
		t.Fatalf("a non-reviewer's decisions: %s", body)
	}
	amyItem := decs["amy@x"]["id"].(string)
	if st, _, _ := f.do("PATCH", base+"/decisions/"+amyItem, amyS, map[string]any{"decision": "Approve"}); st != http.StatusForbidden {
		t.Fatalf("self-approval by a non-reviewer: %d", st)
	}
	st, _, body = f.do("PATCH", base+"/decisions/"+amyItem, revS, map[string]any{"decision": "Deny"})
	if st != http.StatusBadRequest || !strings.Contains(string(body), "reason") {
		t.Fatalf("deny without justification: %d %s", st, body)
	}
	if st, _, _ := f.do("PATCH", base+"/decisions/"+amyItem, "admin", map[string]any{"decision": "Approve"}); st != http.StatusBadRequest {
		t.Fatalf("admin decision: %d", st)
	}
	if st, _, body := f.do("PATCH", base+"/decisions/"+amyItem, revS, map[string]any{"decision": "Approve", "justification": "on call"}); st != http.StatusNoContent {
		t.Fatalf("approve: %d %s", st, body)
	}

	// Stop: bob (never signed in) is denied by recommendation and removed.
	f.now = t0.Add(24 * time.Hour)
	if st, _, body := f.do("POST", base+"/stop", "admin", nil); st != http.StatusNoContent {
		t.Fatalf("stop: %d %s", st, body)
	}
	if st, _, _ := f.do("POST", base+"/stop", "admin", nil); st != http.StatusConflict {
		t.Fatalf("stop twice: %d", st)
	}
	if gs, _ := f.dir.MemberOf(context.Background(), bob); slices.Contains(gs, g.ID) {
		t.Fatal("bob still a member")
	}
	if gs, _ := f.dir.MemberOf(context.Background(), amy); !slices.Contains(gs, g.ID) {
		t.Fatal("amy removed")
	}
	_, _, body = f.do("GET", base, "admin", nil)
	if obj(body)["status"] != "Applied" {
		t.Fatalf("instance: %s", body)
	}

	// The CSV report.
	st, hdr, body := f.do("GET", "/definitions/"+id+"/report", "admin", nil)
	if st != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
		t.Fatalf("report: %d %s", st, hdr.Get("Content-Type"))
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][3] != "user_upn" {
		t.Fatalf("report rows: %q %v", rows, err)
	}
	want := map[string][]string{"amy@x": {"Approve", "rev@x", "on call", "false"}, "bob@x": {"Deny", "system", "", "true"}}
	for _, r := range rows[1:] {
		w := want[r[3]]
		if r[4] != w[0] || r[5] != w[1] || w[2] != "" && r[6] != w[2] || r[9] != w[3] {
			t.Errorf("row %q, want %q", r, w)
		}
	}
	if st, _, _ := f.do("GET", "/definitions/"+id+"/report", f.session(rev), nil); st != http.StatusForbidden {
		t.Fatalf("report by a user: %d", st)
	}
	if st, _, _ := f.do("GET", "/definitions/nope/instances/"+iid, "admin", nil); st != http.StatusNotFound {
		t.Fatalf("instance under another definition: %d", st)
	}
}
