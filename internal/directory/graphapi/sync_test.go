package graphapi

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/center/scimserver/scimtest"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/provisioningdb"
)

// A job is set up through the API as a Graph script sets one up in Entra:
// create it (NotConfigured), check credentials against a real SCIM
// server, store them (the token sealed, never shown), start, delete. Bad
// input gets Graph's error and changes nothing.
func TestSynchronizationSetup(t *testing.T) {
	ctx := t.Context()
	target := scimtest.Start(t, nil)
	tenantURL, bearer := target.URL, target.Token

	box, err := secret.LoadOrCreateKey(filepath.Join(t.TempDir(), "key"))
	if err != nil {
		t.Fatal(err)
	}
	var engine *provisioning.Engine
	s := newTestServer(t, func(h *Handler, db *store.DB) {
		engine = &provisioning.Engine{Dir: h.Store, Store: provisioningdb.New(db), Box: box}
		h.Provisioning = engine
	})
	if err := s.Store.CreateApp(ctx, &directory.App{ID: "app-aws", DisplayName: "AWS", Template: provisioning.TemplateAWS, Created: t0}); err != nil {
		t.Fatal(err)
	}
	base := "/servicePrincipals/app-aws/synchronization"
	creds := func(field, url, token string) map[string]any {
		var kv []map[string]string
		if url != "" {
			kv = append(kv, map[string]string{"key": "BaseAddress", "value": url})
		}
		if token != "" {
			kv = append(kv, map[string]string{"key": "SecretToken", "value": token})
		}
		return map[string]any{field: kv}
	}
	wantError := func(what string, r *response, status int, code, msgPart string) {
		t.Helper()
		e, _ := r.JSON["error"].(map[string]any)
		if r.Status != status || e["code"] != code || !strings.Contains(e["message"].(string), msgPart) {
			t.Errorf("%s: %d %s, want %d %s containing %q", what, r.Status, r.Body, status, code, msgPart)
		}
	}

	// Created without credentials: NotConfigured, and it cannot start.
	r := s.do("POST", base+"/jobs", map[string]any{"templateId": "aWSSingleSignOn"})
	if r.Status != 201 || r.JSON["id"] != "app-aws" || r.JSON["status"].(map[string]any)["code"] != provisioning.StatusNotConfigured {
		t.Fatalf("create job: %d %s", r.Status, r.Body)
	}
	wantError("create again", s.do("POST", base+"/jobs", map[string]any{"templateId": "aWSSingleSignOn"}), 409,
		"Request_MultipleObjectsWithSameKeyValue", "already has a synchronization job")
	wantError("start without credentials", s.do("POST", base+"/jobs/app-aws/start", nil), 400, codeBadRequest, "no credentials")

	// Test Connection: a wrong token is refused with the reason, the
	// right one passes; neither is stored.
	wantError("validate a wrong token", s.do("POST", base+"/jobs/app-aws/validateCredentials", creds("credentials", tenantURL, "wrong")),
		400, "CredentialValidationFailure", "did not accept")
	if r := s.do("POST", base+"/jobs/app-aws/validateCredentials", creds("credentials", tenantURL, bearer)); r.Status != 204 {
		t.Fatalf("validate the right token: %d %s", r.Status, r.Body)
	}

	// Secrets: refused input changes nothing.
	for _, tc := range []struct {
		what    string
		body    any
		msgPart string
	}{
		{"no token", creds("value", tenantURL, ""), "SecretToken is required"},
		{"relative URL", creds("value", "/scim/v2", bearer), "Tenant URL must be an http(s) URL"},
		{"unknown key", map[string]any{"value": []map[string]string{{"key": "Password", "value": "x"}}}, `Unsupported synchronization secret "Password"`},
		{"not a list", map[string]any{"value": "BaseAddress"}, "value must be a list"},
		{"not JSON", "{", msgBadJSON},
	} {
		wantError("secrets, "+tc.what, s.do("PUT", base+"/secrets", tc.body), 400, codeBadRequest, tc.msgPart)
		if j, err := engine.Store.GetJob(ctx, "app-aws"); err != nil || j.Settings.TenantURL != "" || j.Settings.TokenSealed != "" {
			t.Fatalf("secrets, %s: the job changed: %+v %v", tc.what, j, err)
		}
	}
	if r := s.do("PUT", base+"/secrets", creds("value", tenantURL, bearer)); r.Status != 204 {
		t.Fatalf("put secrets: %d %s", r.Status, r.Body)
	}
	j, err := engine.Store.GetJob(ctx, "app-aws")
	if err != nil || j.Settings.TenantURL != tenantURL || j.Settings.TokenSealed == "" || strings.Contains(j.Settings.TokenSealed, bearer) {
		t.Fatalf("stored job: %+v %v", j, err)
	}
	got := s.do("GET", base+"/jobs/app-aws", nil)
	if strings.Contains(string(got.Body), bearer) || got.JSON["status"].(map[string]any)["code"] != provisioning.StatusPaused {
		t.Fatalf("job after secrets: %s", got.Body)
	}
	// The saved credentials stand in for what validateCredentials omits.
	if r := s.do("POST", base+"/jobs/app-aws/validateCredentials", map[string]any{"useSavedCredentials": true}); r.Status != 204 {
		t.Fatalf("validate saved credentials: %d %s", r.Status, r.Body)
	}
	if r := s.do("POST", base+"/jobs/app-aws/start", nil); r.Status != 204 {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	if j, _ := engine.Store.GetJob(ctx, "app-aws"); !j.Enabled {
		t.Fatal("started job not enabled")
	}

	// Deleted: gone with its secret; a second delete is a 404.
	if r := s.do("DELETE", base+"/jobs/app-aws", nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if _, err := engine.Store.GetJob(ctx, "app-aws"); err != provisioning.ErrNotFound {
		t.Fatalf("job after delete: %v", err)
	}
	wantError("delete again", s.do("DELETE", base+"/jobs/app-aws", nil), 404, codeNotFound, "app-aws")
	if r := s.do("GET", base+"/jobs", nil); r.Status != 200 || len(r.JSON["value"].([]any)) != 0 {
		t.Fatalf("jobs after delete: %d %s", r.Status, r.Body)
	}
	// Secrets without a job create one, configured.
	if r := s.do("PUT", base+"/secrets", creds("value", tenantURL, bearer)); r.Status != 204 {
		t.Fatalf("secrets without a job: %d %s", r.Status, r.Body)
	}
	if j, err := engine.Store.GetJob(ctx, "app-aws"); err != nil || j.Settings.TenantURL != tenantURL {
		t.Fatalf("job made by secrets: %+v %v", j, err)
	}
}
