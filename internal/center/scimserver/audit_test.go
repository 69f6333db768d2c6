package scimserver_test

import (
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/center/scimserver"
)

// Changes under the SCIM prefix are audited as SCIM requests; reads and
// other paths are not the SCIM server's to classify.
func TestAuditKind(t *testing.T) {
	for _, c := range []struct {
		method, path, want string
	}{
		{"POST", "/scim/v2/Users", audit.KindSCIMRequest},
		{"PATCH", "/scim/v2/Groups/g1", audit.KindSCIMRequest},
		{"PUT", "/scim/v2/Users/u1", audit.KindSCIMRequest},
		{"DELETE", "/scim/v2/Users/u1", audit.KindSCIMRequest},
		{"GET", "/scim/v2/Users?filter=userName%20eq%20%22a%22", ""},
		{"POST", "/scim/v2x/Users", ""},
		{"POST", "/console/accounts", ""},
	} {
		if got := scimserver.AuditKind(httptest.NewRequest(c.method, c.path, nil)); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.method, c.path, got, c.want)
		}
	}
}
