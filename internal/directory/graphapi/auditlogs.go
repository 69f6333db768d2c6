package graphapi

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/audit"
)

// The audit log over Graph's auditLogs/directoryAudits: every record of
// the hash-chained log (admin changes, sign-ins and their refusals, SAML
// responses, SCIM requests, activations, approvals, review decisions),
// newest first, each as a directoryAudit. Graph keeps sign-ins apart
// (auditLogs/signIns); here they are the records of category
// signin.success and signin.refused. Each record also carries its place in
// the chain (seq, hash, prevHash in additionalDetails), so a client can
// check what it exported against `gatehouse audit verify`.

// auditResource describes the filterable properties: category is the
// record's kind, result its outcome (success, failure or refused).
var auditResource = newResource("DirectoryAudit", "microsoft.graph.directoryAudit", []propInfo{
	{"category", opEq}, {"result", opEq},
})

// directoryAudits lists records newest first: $filter eq on category and
// result, $top up to 999, @odata.nextLink with the position as $skiptoken.
func (h *Handler) directoryAudits(w http.ResponseWriter, r *http.Request) error {
	if h.Audit == nil {
		return notFound("auditLogs")
	}
	q, err := parseQuery(r, auditResource)
	if err != nil {
		return err
	}
	if q.sel != nil {
		return unsupportedQuery("$select is not supported on directoryAudits.")
	}
	f := audit.Filter{Limit: q.top}
	for _, c := range q.conds {
		switch c.attr {
		case "category":
			f.Kind = c.value
		case "result":
			f.Outcome = c.value
		}
	}
	if q.after != "" {
		seq, err := strconv.ParseInt(q.after, 10, 64)
		if err != nil || seq < 1 {
			return badRequest("The $skiptoken is not valid; use the @odata.nextLink of a previous page as it is.")
		}
		f.BeforeSeq = seq
	}
	recs, err := h.Audit.Query(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(recs))
	for i, rec := range recs {
		out[i] = directoryAudit(rec)
	}
	body := map[string]any{"@odata.context": h.contextURL(r, "auditLogs/directoryAudits"), "value": out}
	if len(recs) == q.top {
		body["@odata.nextLink"] = q.nextLink(h.apiBase(r), "/auditLogs/directoryAudits", strconv.FormatInt(recs[len(recs)-1].Seq, 10))
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// directoryAudit is Graph's directoryAudit for one record. Graph's result
// is success or failure; a refusal is a failure whose outcome (refused) is
// kept in additionalDetails with the record's details.
func directoryAudit(rec audit.Record) map[string]any {
	result := "success"
	if rec.Outcome != audit.OutcomeSuccess {
		result = "failure"
	}
	initiatedBy := map[string]any{"app": map[string]any{"displayName": rec.Actor}}
	if strings.Contains(rec.Actor, "@") {
		initiatedBy = map[string]any{"user": map[string]any{"userPrincipalName": rec.Actor}}
	}
	var targets []map[string]any
	if rec.Subject != "" {
		targets = []map[string]any{{"id": rec.Subject}}
	}
	details := []map[string]string{
		{"key": "outcome", "value": rec.Outcome},
		{"key": "seq", "value": strconv.FormatInt(rec.Seq, 10)},
		{"key": "prevHash", "value": rec.PrevHash},
		{"key": "hash", "value": rec.Hash},
	}
	keys := make([]string, 0, len(rec.Details))
	for k := range rec.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		details = append(details, map[string]string{"key": k, "value": fmt.Sprint(rec.Details[k])})
	}
	return map[string]any{
		"id":                  strconv.FormatInt(rec.Seq, 10),
		"category":            rec.Kind,
		"activityDateTime":    rec.Time.UTC(),
		"activityDisplayName": rec.Action,
		"result":              result,
		"resultReason":        rec.Reason,
		"loggedByService":     "Gatehouse",
		"initiatedBy":         initiatedBy,
		"targetResources":     targets,
		"additionalDetails":   details,
	}
}
