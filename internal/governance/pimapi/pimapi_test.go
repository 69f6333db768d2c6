package pimapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
	"github.com/gatehouse-id/gatehouse/internal/governance"
	"github.com/gatehouse-id/gatehouse/internal/governance/pimapi"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/governancedb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type fixture struct {
	t     *testing.T
	srv   *httptest.Server
	dir   *directorydb.Store
	svc   *governance.Service
	now   time.Time
	admin string
}

func setup(t *testing.T) *fixture {
	db := storetest.SQLite(t)
	f := &fixture{t: t, dir: directorydb.New(db), now: t0}
	clock := func() time.Time { return f.now }
	f.svc = &governance.Service{Store: governancedb.New(db), Dir: f.dir, Now: clock}
	var err error
	f.admin, err = graphapi.NewAPIToken(context.Background(), f.dir, "admin", t0)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&pimapi.Handler{Service: f.svc, Tokens: f.dir, SignIn: &signin.Handler{Store: f.dir, Now: clock}}).Mount(mux)
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

func (f *fixture) group(name string) string {
	g := &directory.Group{ID: uuid.NewString(), DisplayName: name, SecurityEnabled: true, Created: t0, Modified: t0}
	if err := f.dir.CreateGroup(context.Background(), g); err != nil {
		f.t.Fatal(err)
	}
	return g.ID
}

// session signs userID in and returns the cookie value.
func (f *fixture) session(userID string, mfa bool) string {
	v := strings.Repeat("a", 42) + string(rune('a'+len(userID)%26))
	v = uuid.NewString()[:8] + v[8:]
	sum := sha256.Sum256([]byte(v))
	s := &directory.Session{ID: hex.EncodeToString(sum[:]), UserID: userID, Created: f.now, LastSeen: f.now,
		Expires: f.now.Add(12 * time.Hour), MFA: mfa, CSRF: "x"}
	if err := f.dir.CreateSession(context.Background(), s); err != nil {
		f.t.Fatal(err)
	}
	return v
}

// do sends a request as admin (auth "admin") or with a session cookie.
func (f *fixture) do(method, path, auth string, body any) (int, map[string]any) {
	f.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, f.srv.URL+pimapi.Base+strings.ReplaceAll(path, " ", "%20"), rd)
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
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (f *fixture) isMember(g, u string) bool {
	gs, _ := f.dir.MemberOf(context.Background(), u)
	return slices.Contains(gs, g)
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestAPI(t *testing.T) {
	f := setup(t)
	alice, boss := f.user("alice@x"), f.user("boss@x")
	priv := f.group("priv")
	aliceNoMFA, aliceMFA, bossS := f.session(alice, false), f.session(alice, true), f.session(boss, true)

	// Admin makes alice eligible: 4h max, MFA, justification, ticket.
	elig := map[string]any{"accessId": "member", "principalId": alice, "groupId": priv, "action": "adminAssign",
		"scheduleInfo":     map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "PT4H"}},
		"activationPolicy": map[string]any{"requireMfa": true, "requireJustification": true, "requireTicketInfo": true}}
	if st, _ := f.do("POST", "/eligibilityScheduleRequests", aliceMFA, elig); st != http.StatusForbidden {
		t.Fatalf("eligibility by a user: %d, want 403", st)
	}
	if st, _ := f.do("POST", "/eligibilityScheduleRequests", "", elig); st != http.StatusUnauthorized {
		t.Fatalf("eligibility without auth: %d, want 401", st)
	}
	st, body := f.do("POST", "/eligibilityScheduleRequests", "admin", elig)
	if st != http.StatusCreated || body["groupId"] != priv {
		t.Fatalf("eligibility: %d %v", st, body)
	}
	st, body = f.do("GET", "/eligibilityScheduleRequests?$filter=groupId eq '"+priv+"'", "admin", nil)
	if vs, _ := body["value"].([]any); st != 200 || len(vs) != 1 {
		t.Fatalf("list eligibilities: %d %v", st, body)
	}

	act := map[string]any{"action": "selfActivate", "principalId": alice, "groupId": priv,
		"justification": "INC-9", "ticketInfo": map[string]any{"ticketNumber": "INC-9"},
		"scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "PT2H"}}}
	// Without MFA in the session: MfaRule.
	st, body = f.do("POST", "/assignmentScheduleRequests", aliceNoMFA, act)
	if st != 400 || errCode(body) != "RoleAssignmentRequestPolicyValidationFailed" ||
		!strings.Contains(body["error"].(map[string]any)["message"].(string), "MfaRule") {
		t.Fatalf("activation without MFA: %d %v", st, body)
	}
	// Someone else's principalId: refused.
	act2 := map[string]any{"action": "selfActivate", "principalId": alice, "groupId": priv}
	if st, _ := f.do("POST", "/assignmentScheduleRequests", bossS, act2); st != http.StatusForbidden {
		t.Fatalf("activation for another user: %d", st)
	}
	st, body = f.do("POST", "/assignmentScheduleRequests", aliceMFA, act)
	if st != http.StatusCreated || body["status"] != "Provisioned" {
		t.Fatalf("activation: %d %v", st, body)
	}
	if !f.isMember(priv, alice) {
		t.Fatal("alice is not a member after activation")
	}
	st, body = f.do("GET", "/assignmentScheduleRequests?$filter=principalId eq '"+alice+"' and status eq 'Provisioned'", aliceMFA, nil)
	if vs, _ := body["value"].([]any); st != 200 || len(vs) != 1 {
		t.Fatalf("list own requests: %d %v", st, body)
	}
	st, body = f.do("POST", "/assignmentScheduleRequests", aliceMFA,
		map[string]any{"action": "selfDeactivate", "principalId": alice, "groupId": priv})
	if st != http.StatusCreated || body["status"] != "Revoked" || f.isMember(priv, alice) {
		t.Fatalf("deactivation: %d %v member=%v", st, body, f.isMember(priv, alice))
	}

	// Approval flow on a second group.
	ops := f.group("ops")
	st, _ = f.do("POST", "/eligibilityScheduleRequests", "admin", map[string]any{"principalId": alice, "groupId": ops,
		"action": "adminAssign", "activationPolicy": map[string]any{"approvers": []string{boss}}})
	if st != http.StatusCreated {
		t.Fatalf("eligibility with approver: %d", st)
	}
	st, body = f.do("POST", "/assignmentScheduleRequests", aliceNoMFA,
		map[string]any{"action": "selfActivate", "principalId": alice, "groupId": ops,
			"scheduleInfo": map[string]any{"expiration": map[string]any{"duration": "PT1H"}}})
	if st != http.StatusCreated || body["status"] != "PendingApproval" || body["approvalId"] == nil {
		t.Fatalf("pending activation: %d %v", st, body)
	}
	id := body["approvalId"].(string)
	st, body = f.do("GET", "/assignmentApprovals/"+id, bossS, nil)
	steps, _ := body["steps"].([]any)
	if st != 200 || len(steps) != 1 || steps[0].(map[string]any)["assignedToMe"] != true {
		t.Fatalf("approval for boss: %d %v", st, body)
	}
	if st, body := f.do("PATCH", "/assignmentApprovals/"+id+"/steps/"+id, aliceMFA,
		map[string]any{"reviewResult": "Approve", "justification": "me"}); st != http.StatusForbidden {
		t.Fatalf("self-approval: %d %v", st, body)
	}
	f.now = f.now.Add(30 * time.Minute) // within the sessions' idle timeout
	if st, body := f.do("PATCH", "/assignmentApprovals/"+id+"/steps/"+id, bossS,
		map[string]any{"reviewResult": "Approve", "justification": "ok"}); st != http.StatusNoContent {
		t.Fatalf("approve: %d %v", st, body)
	}
	if !f.isMember(ops, alice) {
		t.Fatal("alice not a member of ops after approval")
	}
	st, body = f.do("GET", "/assignmentScheduleRequests/"+id, aliceMFA, nil)
	if sched := body["scheduleInfo"].(map[string]any); st != 200 || body["status"] != "Provisioned" ||
		sched["startDateTime"] != t0.Add(30*time.Minute).Format(time.RFC3339) {
		t.Fatalf("approved request: %d %v", st, body)
	}

	// Time-bound direct assignment by the admin.
	bob := f.user("bob@x")
	until := t0.Add(48 * time.Hour)
	st, body = f.do("POST", "/assignmentScheduleRequests", "admin", map[string]any{"action": "adminAssign",
		"principalId": bob, "groupId": priv, "scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDateTime", "endDateTime": until}}})
	if st != http.StatusCreated || !f.isMember(priv, bob) {
		t.Fatalf("adminAssign: %d %v", st, body)
	}
	if st, body := f.do("GET", "/assignmentScheduleRequests?$filter=bogus eq 'x'", "admin", nil); st != 400 || errCode(body) != "Request_UnsupportedQuery" {
		t.Fatalf("bad filter: %d %v", st, body)
	}
}
