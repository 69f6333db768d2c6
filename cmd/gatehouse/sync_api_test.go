package main

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"
)

// TestSynchronizationAPI drives the demo's provisioning job through the
// Graph-shaped API: job status, on-demand provisioning, logs, pause.
func TestSynchronizationAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := gatehouseBinary(t)
	_, d := startDemo(t, bin, t.TempDir(), freeAddr(t), freeAddr(t))
	jobs := d.GraphURL + "/servicePrincipals/" + d.AppID + "/synchronization/jobs"

	var job map[string]any
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if call(t, "GET", jobs+"/"+d.AppID, d.GraphToken, nil, &job) == 200 && job["status"].(map[string]any)["lastExecution"] != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	st := job["status"].(map[string]any)
	if st["code"] != "Active" || st["lastExecution"] == nil {
		t.Fatalf("job status: %v", job)
	}

	var users struct{ Value []struct{ ID string } }
	call(t, "GET", d.GraphURL+"/users?$filter="+url.QueryEscape("userPrincipalName eq 'shen@gatehouse.example'"), d.GraphToken, nil, &users)
	if len(users.Value) != 1 {
		t.Fatalf("seeded user: %v", users)
	}
	uid := users.Value[0].ID
	// Change Shen's title, then provision on demand and read the result.
	if s := call(t, "PATCH", d.GraphURL+"/users/"+uid, d.GraphToken, map[string]any{"jobTitle": "Principal"}, nil); s != 204 {
		t.Fatalf("patch: %d", s)
	}
	var pod struct{ Key, Value string }
	body := map[string]any{"parameters": []any{map[string]any{"subjects": []any{map[string]any{"objectId": uid, "objectTypeName": "User"}}}}}
	if s := call(t, "POST", jobs+"/"+d.AppID+"/provisionOnDemand", d.GraphToken, body, &pod); s != 200 {
		t.Fatalf("provisionOnDemand: %d", s)
	}
	var key map[string]any
	json.Unmarshal([]byte(pod.Key), &key)
	// The change may have been pushed by the outbox already: on demand then
	// finds nothing to do (Skipped); otherwise it updates (Success).
	if r := key["result"]; r != "Success" && r != "Skipped" {
		t.Fatalf("provisionOnDemand result %v (%s)", key, pod.Value)
	}
	var logs struct {
		Value []struct {
			ProvisioningAction string
			SourceID           string
			ModifiedProperties []struct{ DisplayName, NewValue string }
		}
	}
	// When the outbox pushed the change, its log entries are stored when
	// its batch ends, which may be just after provisionOnDemand answered.
	found := false
	for deadline := time.Now().Add(10 * time.Second); !found && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		call(t, "GET", d.GraphURL+"/auditLogs/provisioning?$filter="+url.QueryEscape("sourceId eq '"+uid+"' and provisioningAction eq 'Update'"), d.GraphToken, nil, &logs)
		for _, l := range logs.Value {
			for _, m := range l.ModifiedProperties {
				found = found || (m.DisplayName == "title" && m.NewValue == "Principal")
			}
		}
	}
	if !found {
		t.Fatalf("no Update log with title -> Principal: %+v", logs)
	}
	if s := call(t, "POST", jobs+"/"+d.AppID+"/pause", d.GraphToken, nil, nil); s != 204 {
		t.Fatalf("pause: %d", s)
	}
	call(t, "GET", jobs+"/"+d.AppID, d.GraphToken, nil, &job)
	if job["status"].(map[string]any)["code"] != "Paused" || job["schedule"].(map[string]any)["state"] != "Disabled" {
		t.Fatalf("after pause: %v", job)
	}
	if s := call(t, "GET", jobs+"/not-a-job", d.GraphToken, nil, nil); s != 404 {
		t.Fatalf("unknown job: %d", s)
	}
}
