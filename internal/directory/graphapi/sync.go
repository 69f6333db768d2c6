package graphapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// The synchronization API: Graph's provisioning job endpoints
// (servicePrincipals/{id}/synchronization/jobs: create, read, delete,
// start, pause, restart, validateCredentials, provisionOnDemand; and
// synchronization/secrets) and the provisioning logs
// (auditLogs/provisioning). A job is named by its app's id, in place of
// Graph's "<template>.<ids>" job ids; an app has at most one.
//
// Set up as a script does it for Entra:
//
//	POST .../synchronization/jobs {"templateId": "aws"}         201, status NotConfigured
//	PUT  .../synchronization/secrets {"value": [{"key": "BaseAddress", ...}, {"key": "SecretToken", ...}]}  204
//	POST .../synchronization/jobs/{job}/validateCredentials {"credentials": [...]}  204, or 400 saying why
//	POST .../synchronization/jobs/{job}/start                   204

func (h *Handler) mountSync(route func(string, func(http.ResponseWriter, *http.Request) error)) {
	route("GET /servicePrincipals/{id}/synchronization/jobs", h.listJobs)
	route("POST /servicePrincipals/{id}/synchronization/jobs", h.createJob)
	route("PUT /servicePrincipals/{id}/synchronization/secrets", h.putSecrets)
	route("GET /servicePrincipals/{id}/synchronization/jobs/{job}", h.getJob)
	route("DELETE /servicePrincipals/{id}/synchronization/jobs/{job}", h.deleteJob)
	route("POST /servicePrincipals/{id}/synchronization/jobs/{job}/validateCredentials", h.validateCredentials)
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

// createJob creates the app's job, without credentials yet (Graph's
// templateId is accepted and the app's own template used).
func (h *Handler) createJob(w http.ResponseWriter, r *http.Request) error {
	app, err := h.syncApp(r)
	if err != nil {
		return err
	}
	if _, err := readObject(r); err != nil {
		return err
	}
	_, err = h.Provisioning.CreateJob(r.Context(), app.ID)
	if errors.Is(err, provisioning.ErrConflict) {
		return &graphError{status: http.StatusConflict, code: "Request_MultipleObjectsWithSameKeyValue",
			msg: "The application already has a synchronization job: " + app.ID + "."}
	}
	if err != nil {
		return err
	}
	j, err := h.jobJSON(r, app)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, j)
	return nil
}

// credentials reads Graph's key-value list of synchronization secrets
// (under field): BaseAddress is the tenant URL, SecretToken the bearer
// token; other keys are refused.
func credentials(r *http.Request, field string) (baseAddress, token string, err error) {
	m, err := readObject(r)
	if err != nil {
		return "", "", err
	}
	var kvs []struct{ Key, Value string }
	if raw, ok := m[field]; ok {
		if err := json.Unmarshal(raw, &kvs); err != nil {
			return "", "", badRequest("%s must be a list of {\"key\", \"value\"} pairs.", field)
		}
	}
	for _, kv := range kvs {
		switch kv.Key {
		case "BaseAddress":
			baseAddress = strings.TrimSpace(kv.Value)
		case "SecretToken":
			token = strings.TrimSpace(kv.Value)
		default:
			return "", "", badRequest("Unsupported synchronization secret %q: use BaseAddress and SecretToken.", kv.Key)
		}
	}
	return baseAddress, token, nil
}

// putSecrets sets the job's tenant URL and secret token (sealed, never
// shown again), creating the job when the app has none. Every change of
// credentials starts a new initial cycle, as in Entra.
func (h *Handler) putSecrets(w http.ResponseWriter, r *http.Request) error {
	app, err := h.syncApp(r)
	if err != nil {
		return err
	}
	base, token, err := credentials(r, "value")
	if err != nil {
		return err
	}
	set, tokenSet := provisioning.DefaultSettings(""), false
	j, err := h.Provisioning.Store.GetJob(r.Context(), app.ID)
	switch {
	case err == nil:
		set, tokenSet = j.Settings, j.Settings.TokenSealed != ""
	case !errors.Is(err, provisioning.ErrNotFound):
		return err
	}
	if base != "" {
		set.TenantURL = base
	}
	if token == "" && !tokenSet {
		return badRequest("SecretToken is required: the job has no secret token yet.")
	}
	if err := provisioning.Validate(&set); err != nil {
		return badRequest("%s", web.Sentence(err.Error()))
	}
	if _, err := h.Provisioning.Configure(r.Context(), app.ID, set, token); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// validateCredentials tests a tenant URL and token as Entra's Test
// Connection does (a request the target must answer as a SCIM server),
// with the saved ones standing in for what is not given.
func (h *Handler) validateCredentials(w http.ResponseWriter, r *http.Request) error {
	app, err := h.syncApp(r)
	if err != nil {
		return err
	}
	base, token, err := credentials(r, "credentials")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), validateTimeout)
	defer cancel()
	err = h.Provisioning.TestCredentials(ctx, app.ID, base, token)
	if errors.Is(err, provisioning.ErrNotFound) {
		return badRequest("There are no saved credentials: give BaseAddress and SecretToken.")
	}
	if err != nil {
		return &graphError{status: http.StatusBadRequest, code: "CredentialValidationFailure",
			msg: "The target did not accept the credentials: " + err.Error()}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// validateTimeout bounds a credentials test.
const validateTimeout = 15 * time.Second

// deleteJob stops the job, then deletes it with its settings and secret
// (its logs stay); the target's objects stay as they are.
func (h *Handler) deleteJob(w http.ResponseWriter, r *http.Request) error {
	app, err := h.syncApp(r)
	if err != nil {
		return err
	}
	if err := h.Provisioning.SetEnabled(r.Context(), app.ID, false); err != nil {
		if errors.Is(err, provisioning.ErrNotFound) {
			return notFound(r.PathValue("job"))
		}
		return err
	}
	if err := h.Provisioning.DeleteJob(r.Context(), app.ID); err != nil && !errors.Is(err, provisioning.ErrNotFound) {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// jobAction: start, pause and restart answer 204, as Graph does. A job
// without credentials cannot start.
func (h *Handler) jobAction(w http.ResponseWriter, r *http.Request) error {
	app, err := h.syncApp(r)
	if err != nil {
		return err
	}
	switch r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:] {
	case "start":
		if j, gerr := h.Provisioning.Store.GetJob(r.Context(), app.ID); gerr == nil && j.Status() == provisioning.StatusNotConfigured {
			return badRequest("The job has no credentials yet: PUT synchronization/secrets with BaseAddress and SecretToken first.")
		}
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
