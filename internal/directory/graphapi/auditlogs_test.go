package graphapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/audit"
)

// auditLogs/directoryAudits serves the audit log newest first, as Graph's
// directoryAudit, filtered by category and result, paged by nextLink.
func TestDirectoryAudits(t *testing.T) {
	s := newTestServer(t)
	ctx := context.Background()
	for i, rec := range []audit.Record{
		{Kind: audit.KindSignInSuccess, Actor: "ada@contoso.com", Action: "sign in"},
		{Kind: audit.KindSignInRefused, Actor: "ada@contoso.com", Action: "sign in", Outcome: audit.OutcomeRefused, Reason: "wrong password"},
		{Kind: audit.KindSAMLResponse, Actor: "ada@contoso.com", Subject: "app-aws", Action: "issue SAML response",
			Details: map[string]any{"sp": "https://signin.aws.amazon.com/saml", "mfa": true}},
		{Kind: audit.KindAdminChange, Actor: "system", Subject: "g1", Action: "POST /v1.0/groups"},
	} {
		rec.Time = t0.Add(time.Duration(i) * time.Second)
		if _, err := s.Audit.Append(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}

	r := s.do("GET", "/auditLogs/directoryAudits", nil)
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	v := r.JSON["value"].([]any)
	if len(v) != 4 || r.JSON["@odata.nextLink"] != nil {
		t.Fatalf("%d records, nextLink %v", len(v), r.JSON["@odata.nextLink"])
	}
	first := v[0].(map[string]any)
	if first["id"] != "4" || first["category"] != audit.KindAdminChange || first["activityDisplayName"] != "POST /v1.0/groups" ||
		first["result"] != "success" || first["initiatedBy"].(map[string]any)["app"].(map[string]any)["displayName"] != "system" {
		t.Fatalf("newest record %v", first)
	}
	saml := v[1].(map[string]any)
	details := map[string]string{}
	for _, d := range saml["additionalDetails"].([]any) {
		kv := d.(map[string]any)
		details[kv["key"].(string)] = kv["value"].(string)
	}
	if saml["initiatedBy"].(map[string]any)["user"].(map[string]any)["userPrincipalName"] != "ada@contoso.com" ||
		saml["targetResources"].([]any)[0].(map[string]any)["id"] != "app-aws" ||
		details["sp"] != "https://signin.aws.amazon.com/saml" || details["mfa"] != "true" || details["seq"] != "3" ||
		len(details["hash"]) != 64 || len(details["prevHash"]) != 64 {
		t.Fatalf("SAML record %v", saml)
	}
	refused := v[2].(map[string]any)
	if refused["result"] != "failure" || refused["resultReason"] != "wrong password" {
		t.Fatalf("refusal %v", refused)
	}

	// Filters.
	for filter, want := range map[string][]string{
		"category eq 'signin.refused'":                        {"2"},
		"category eq 'signin.*'":                              {"2", "1"},
		"result eq 'refused'":                                 {"2"},
		"result eq 'success' and category eq 'saml.response'": {"3"},
	} {
		r := s.do("GET", "/auditLogs/directoryAudits?$filter="+queryEscape(filter), nil)
		var got []string
		for _, x := range r.JSON["value"].([]any) {
			got = append(got, x.(map[string]any)["id"].(string))
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: %v, want %v", filter, got, want)
		}
	}

	// Pages of two, by nextLink, with nothing lost or repeated.
	var ids []string
	next := s.URL + "/auditLogs/directoryAudits?$top=2"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		r := s.do("GET", strings.TrimPrefix(next, s.URL), nil)
		for _, x := range r.JSON["value"].([]any) {
			ids = append(ids, x.(map[string]any)["id"].(string))
		}
		next, _ = r.JSON["@odata.nextLink"].(string)
	}
	if strings.Join(ids, ",") != "4,3,2,1" {
		t.Fatalf("paged ids %v", ids)
	}

	// Bad input in Graph's error shape; no token, no log.
	s.do("GET", "/auditLogs/directoryAudits?$filter="+queryEscape("actor eq 'x'"), nil).wantError(t, 400, "Request_UnsupportedQuery",
		"Unsupported or invalid query filter clause specified for property 'actor' of resource 'DirectoryAudit'.")
	s.do("GET", "/auditLogs/directoryAudits?$skiptoken=bogus", nil).wantError(t, 400, "Request_BadRequest",
		"The $skiptoken 'bogus' is not valid; use the @odata.nextLink of a previous page as it is.")
	s.do("GET", "/auditLogs/directoryAudits?$skiptoken="+encodeSkipToken("x"), nil).wantError(t, 400, "Request_BadRequest",
		"The $skiptoken is not valid; use the @odata.nextLink of a previous page as it is.")
	if r := s.doAuth("GET", "/auditLogs/directoryAudits", nil, ""); r.Status != 401 {
		t.Fatalf("without a token: %d", r.Status)
	}
}
