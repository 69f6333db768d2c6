package graphapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
)

// The synchronization API: Graph's provisioning job endpoints
// (servicePrincipals/{id}/synchronization/jobs, provisionOnDemand) and the
// provisioning logs (auditLogs/provisioning). A job is named by its app's
// id, in place of Graph's "<template>.<ids>" job ids.

func (h *Handler) mountSync(route func(string, func(http.ResponseWriter, *http.Request) error)) {
	route("GET /servicePrincipals/{id}/synchronization/jobs", h.listJobs)
	route("GET /servicePrincipals/{id}/synchronization/jobs/{job}", h.getJob)
	route("POST /servicePrincipals/{id}/synchronization/jobs/{job}/start", h.jobAction)
	route("POST /servicePrincipals/{id}/synchronization/jobs/{job}/pause", h.jobAction)
	route("POST /servicePrincipals/{id}/synchronization/jobs/{job}/restart", h.jobAction)
	route("POST /servicePrincipals/{id}/synchronization/jobs/{job}/provisionOnDemand", h.provisionOnDemand)
	route("GET /auditLogs/provisioning", h.provisioningLogs)
	route("GET /auditLogs/directoryAudits", h.directoryAudits)
}

// jobJSON is Graph's synchronizationJob, with its status.
func (h *Handler) jobJSON(r *http.Request, app *directory.App) (map[string]any, error) {
	st, err := h.Provisioning.Status(r.Context(), app.ID)
	if err != nil {
		return nil, err
	}
	state := "Active"
	if st.Status == provisioning.StatusPaused || st.Status == provisioning.StatusNotConfigured {
		state = "Disabled"
	}
	status := map[string]any{"code": st.Status, "escrowsPruned": false, "countSuccessiveCompleteFailures": 0,
		"synchronizedEntryCountByType": []map[string]any{
			{"key": "User", "value": st.Provisioned[directory.KindUser]},
			{"key": "Group", "value": st.Provisioned[directory.KindGroup]},
		}}
	if q := st.Quarantine; q != nil {
		status["quarantine"] = map[string]any{"reason": q.Reason, "currentBegan": q.Began, "nextAttempt": q.NextAttempt,
			"error": map[string]any{"message": q.Error}}
	}
	if c := st.LastCycle; c != nil {
		status["lastExecution"] = map[string]any{"activityIdentifier": c.ID, "timeBegan": c.Started, "timeEnded": c.Finished,
			"state": map[bool]string{true: "Failed", false: "Succeeded"}[c.Error != ""], "countEntitled": c.Counts}
	}
	if run := st.Running; run != nil {
		status["progress"] = []map[string]any{{"completedUnits": run.Done, "totalUnits": run.Total, "units": "Objects",
			"phase": run.Phase, "activityIdentifier": run.ID}}
	}
	return map[string]any{"id": app.ID, "templateId": app.Template,
		"schedule": map[string]any{"interval": "PT40M", "state": state}, "status": status}, nil
}

func (h *Handler) syncApp(r *http.Request) (*directory.App, error) {
	if h.Provisioning == nil {
		return nil, notFound("synchronization")
	}
	app, err := h.Store.GetApp(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if job := r.PathValue("job"); job != "" && job != app.ID {
		return nil, notFound(job)
	}
	return app, nil
}

func (h *Handler) listJobs(w http.ResponseWriter, r *http.Request) error {
	app, err := h.syncApp(r)
	if err != nil {
		return err
	}
	jobs := []any{}
	if j, err := h.jobJSON(r, app); err == nil {
		jobs = append(jobs, j)
	} else if !errors.Is(err, provisioning.ErrNotFound) {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": h.apiBase(r) + "/$metadata#synchronizationJobs", "value": jobs})
	return nil
}

func (h *Handler) getJob(w http.ResponseWriter, r *http.Request) error {
	app, err := h.syncApp(r)
	if err != nil {
		return err
	}
	j, err := h.jobJSON(r, app)
	if errors.Is(err, provisioning.ErrNotFound) {
		return notFound(r.PathValue("job"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

// jobAction: start, pause and restart answer 204, as Graph does.
func (h *Handler) jobAction(w http.ResponseWriter, r *http.Request) error {
	app, err := h.syncApp(r)
	if err != nil {
		return err
	}
	switch r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:] {
	case "start":
		err = h.Provisioning.SetEnabled(r.Context(), app.ID, true)
	case "pause":
		err = h.Provisioning.SetEnabled(r.Context(), app.ID, false)
	default:
		err = h.Provisioning.Restart(r.Context(), app.ID)
	}
	if errors.Is(err, provisioning.ErrNotFound) {
		return notFound(r.PathValue("job"))
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// provisionOnDemand takes Graph's body
// {"parameters":[{"subjects":[{"objectId":…,"objectTypeName":"User"}],"ruleId":…}]}
// and answers a stringKeyStringValuePair whose value is the log entry.
func (h *Handler) provisionOnDemand(w http.ResponseWriter, r *http.Request) error {
	app, err := h.syncApp(r)
	if err != nil {
		return err
	}
	var body struct {
		Parameters []struct {
			Subjects []struct {
				ObjectID       string `json:"objectId"`
				ObjectTypeName string `json:"objectTypeName"`
			} `json:"subjects"`
		} `json:"parameters"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	if len(body.Parameters) != 1 || len(body.Parameters[0].Subjects) != 1 {
		return badRequest("provisionOnDemand takes exactly one subject.")
	}
	s := body.Parameters[0].Subjects[0]
	kind := strings.ToLower(s.ObjectTypeName)
	if kind != directory.KindUser && kind != directory.KindGroup {
		return badRequest("objectTypeName must be User or Group.")
	}
	logs, err := h.Provisioning.ProvisionOnDemand(r.Context(), app.ID, kind, s.ObjectID)
	if err != nil && len(logs) == 0 {
		return err
	}
	result := map[string]any{"result": "Skipped", "details": map[string]any{"reason": "nothing to change, or out of scope"}}
	var value any = map[string]any{}
	if len(logs) > 0 {
		e := logs[len(logs)-1]
		result = map[string]any{"result": map[string]string{"success": "Success", "failure": "Failure", "warning": "Success",
			"skipped": "Skipped"}[e.Status], "details": map[string]any{"errorCode": e.ErrorCode, "errorMessage": e.ErrorMsg}}
		value = e
	}
	k, _ := json.Marshal(result)
	v, _ := json.Marshal(value)
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": h.apiBase(r) + "/$metadata#microsoft.graph.stringKeyStringValuePair",
		"key": string(k), "value": string(v)})
	return nil
}

// logResource describes the provisioning log's filterable properties.
var logResource = newResource("ProvisioningObjectSummary", "microsoft.graph.provisioningObjectSummary", []propInfo{
	{"jobId", opEq}, {"cycleId", opEq}, {"changeId", opEq}, {"provisioningAction", opEq}, {"status", opEq}, {"sourceId", opEq},
})

// provisioningLogs lists log entries newest first; $filter takes eq on
// jobId, cycleId, provisioningAction, status and sourceId; $top up to 999.
func (h *Handler) provisioningLogs(w http.ResponseWriter, r *http.Request) error {
	if h.Provisioning == nil {
		return notFound("provisioning")
	}
	q, err := parseQuery(r, logResource)
	if err != nil {
		return err
	}
	lq := provisioning.LogQuery{Limit: q.top}
	for _, c := range q.conds {
		switch c.attr {
		case "jobId":
			lq.AppID = c.value
		case "cycleId":
			lq.CycleID = c.value
		case "provisioningAction":
			lq.Action = strings.ToUpper(c.value[:1]) + c.value[1:]
		case "status":
			lq.Status = strings.ToLower(c.value)
		case "sourceId":
			lq.SourceID = c.value
		default:
			return unsupportedQuery("Filtering on %s is not supported.", c.attr)
		}
	}
	entries, err := h.Provisioning.Store.Logs(r.Context(), lq)
	if err != nil {
		return err
	}
	out := make([]any, len(entries))
	for i, e := range entries {
		out[i] = e
	}
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": h.apiBase(r) + "/$metadata#auditLogs/provisioning",
		"value": out, "@odata.count": strconv.Itoa(len(out)), "retrieved": time.Now().UTC()})
	return nil
}
