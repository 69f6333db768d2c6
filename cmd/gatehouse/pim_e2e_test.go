package main

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// postJSON sends a JSON body with the browser's cookies (a self-service
// call of the signed-in user).
func (b *browser) postJSON(u string, body any) (int, map[string]any) {
	b.t.Helper()
	j, _ := json.Marshal(body)
	res, err := b.c.Post(u, "application/json", bytes.NewReader(j))
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// signInToPortal signs a demo user in at the directory and follows the AWS
// tile into the center's access portal.
func signInToPortal(t *testing.T, d demoFile, u demoUser) *browser {
	t.Helper()
	b := newBrowser(t)
	res, page := b.get(d.MyAppsURL)
	res, page = b.submit(res, page, url.Values{"username": {u.Username}, "password": {u.Password}})
	if res.Request.URL.Path != "/myapps" {
		t.Fatalf("sign-in failed: %s %.300s", res.Request.URL, page)
	}
	res, page = b.get(d.DirectoryURL + "/saml/" + d.AppID + "/start")
	res, page = b.submit(res, page, nil)
	if res.Request.URL.Path != "/start" {
		t.Fatalf("portal sign-in landed on %s: %.300s", res.Request.URL, page)
	}
	return b
}

// TestJustInTimeAccess: an admin makes the demo user eligible for
// AWS-Developers-Admin; the user activates it with a justification; the
// membership reaches the center and the portal offers DeveloperAdmin; early
// deactivation takes it away again.
func TestJustInTimeAccess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := gatehouseBinary(t)
	_, d := startDemo(t, bin, t.TempDir(), freeAddr(t), freeAddr(t))
	u := d.Users[0]
	var users, groups struct{ Value []struct{ ID string } }
	call(t, "GET", d.GraphURL+"/users?$filter="+url.QueryEscape("userPrincipalName eq '"+u.Username+"'"), d.GraphToken, nil, &users)
	call(t, "GET", d.GraphURL+"/groups?$filter="+url.QueryEscape("displayName eq 'AWS-Developers-Admin'"), d.GraphToken, nil, &groups)
	uid, gid := users.Value[0].ID, groups.Value[0].ID
	pim := d.DirectoryURL + "/v1.0/identityGovernance/privilegedAccess/group"

	// The demo made the user eligible (justification required); making
	// them eligible again is refused as Entra refuses it.
	var els struct {
		Value []struct {
			ActivationPolicy struct{ RequireJustification bool } `json:"activationPolicy"`
		}
	}
	filter := url.QueryEscape("principalId eq '" + uid + "' and groupId eq '" + gid + "'")
	if st := call(t, "GET", pim+"/eligibilityScheduleRequests?$filter="+filter, d.GraphToken, nil, &els); st != 200 ||
		len(els.Value) != 1 || !els.Value[0].ActivationPolicy.RequireJustification {
		t.Fatalf("the demo's eligibility: %d %+v", st, els)
	}
	var refusal struct{ Error struct{ Code string } }
	if st := call(t, "POST", pim+"/eligibilityScheduleRequests", d.GraphToken, map[string]any{
		"accessId": "member", "principalId": uid, "groupId": gid, "action": "adminAssign",
		"scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "PT2H"}},
	}, &refusal); st != 400 || refusal.Error.Code != "RoleAssignmentExists" {
		t.Fatalf("a second eligibility: %d %+v, want 400 RoleAssignmentExists", st, refusal)
	}

	b := signInToPortal(t, d, u)
	if _, page := b.get(d.PortalURL); strings.Contains(page, "DeveloperAdmin") {
		t.Fatal("DeveloperAdmin offered before activation")
	}
	activate := map[string]any{"action": "selfActivate", "principalId": uid, "groupId": gid, "accessId": "member",
		"scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "PT1H"}}}
	if st, out := b.postJSON(pim+"/assignmentScheduleRequests", activate); st != 400 {
		t.Fatalf("activation without the required justification: %d %v", st, out)
	}
	activate["justification"] = "incident INC-42"
	st, out := b.postJSON(pim+"/assignmentScheduleRequests", activate)
	if st != 201 {
		t.Fatalf("activate: %d %v", st, out)
	}
	activated := time.Now()
	offered := func() bool {
		_, page := b.get(d.PortalURL)
		return strings.Contains(page, "DeveloperAdmin")
	}
	waitUntil(t, "the portal offers DeveloperAdmin after activation", offered)
	t.Logf("activation -> access in the portal: %s", time.Since(activated).Round(time.Millisecond))

	deact := map[string]any{"action": "selfDeactivate", "principalId": uid, "groupId": gid, "accessId": "member"}
	if st, out := b.postJSON(pim+"/assignmentScheduleRequests", deact); st != 201 && st != 200 {
		t.Fatalf("deactivate: %d %v", st, out)
	}
	ended := time.Now()
	waitUntil(t, "DeveloperAdmin gone after deactivation", func() bool { return !offered() })
	t.Logf("deactivation -> access gone: %s", time.Since(ended).Round(time.Millisecond))
	// The user's permanent access is untouched.
	if _, page := b.get(d.PortalURL); !strings.Contains(page, "DeveloperReadOnly") {
		t.Fatal("deactivation took the permanent access too")
	}
}

// waitUntil polls cond for a generous while; latency is measured by
// benchmarks, not asserted here.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
