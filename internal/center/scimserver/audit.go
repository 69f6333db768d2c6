package scimserver

import (
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/audit"
)

// AuditKind classifies a request for the audit log (audit.HTTP): every
// SCIM request that may change something (all but GET) is recorded as
// received, with its outcome; reads are not, or a reconciliation cycle
// would write a record per page it reads.
func AuditKind(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, Prefix+"/") && r.Method != http.MethodGet {
		return audit.KindSCIMRequest
	}
	return ""
}
