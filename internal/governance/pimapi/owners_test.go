package pimapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// An eligibility whose group's owners approve: the API stores and shows
// ownersApprove, refuses an activation nobody but the requester could
// approve (ApprovalRule), and an owner decides through assignmentApprovals.
func TestOwnersApprove(t *testing.T) {
	f := setup(t)
	alice, owner := f.user("alice@x"), f.user("owner@x")
	priv := f.group("priv")
	aliceS, ownerS := f.session(alice, false), f.session(owner, false)
	st, body := f.do("POST", "/eligibilityScheduleRequests", "admin", map[string]any{"principalId": alice, "groupId": priv,
		"action": "adminAssign", "activationPolicy": map[string]any{"ownersApprove": true}})
	if p, _ := body["activationPolicy"].(map[string]any); st != http.StatusCreated || p["ownersApprove"] != true {
		t.Fatalf("eligibility: %d %v", st, body)
	}
	act := map[string]any{"action": "selfActivate", "principalId": alice, "groupId": priv,
		"scheduleInfo": map[string]any{"expiration": map[string]any{"duration": "PT1H"}}}
	st, body = f.do("POST", "/assignmentScheduleRequests", aliceS, act)
	if st != 400 || errCode(body) != "RoleAssignmentRequestPolicyValidationFailed" ||
		!strings.Contains(body["error"].(map[string]any)["message"].(string), `["ApprovalRule"]`) {
		t.Fatalf("activation without owners: %d %v", st, body)
	}
	if err := f.dir.AddOwner(context.Background(), priv, owner, t0); err != nil {
		t.Fatal(err)
	}
	st, body = f.do("POST", "/assignmentScheduleRequests", aliceS, act)
	if st != http.StatusCreated || body["status"] != "PendingApproval" {
		t.Fatalf("activation: %d %v", st, body)
	}
	id := body["approvalId"].(string)
	st, body = f.do("GET", "/assignmentApprovals/"+id, ownerS, nil)
	if steps, _ := body["steps"].([]any); st != 200 || len(steps) != 1 || steps[0].(map[string]any)["assignedToMe"] != true {
		t.Fatalf("approval for the owner: %d %v", st, body)
	}
	if st, body := f.do("PATCH", "/assignmentApprovals/"+id+"/steps/"+id, ownerS,
		map[string]any{"reviewResult": "Approve", "justification": "ok"}); st != http.StatusNoContent {
		t.Fatalf("approve: %d %v", st, body)
	}
	if !f.isMember(priv, alice) {
		t.Fatal("alice is not a member after the owner approved")
	}
}
