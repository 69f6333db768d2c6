package console

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// Filter choices of the provisioning logs.
var (
	logActions  = []string{"Create", "Update", "Disable", "Delete", "Skip", "StagedDelete", "Other"}
	logStatuses = []string{"success", "failure", "skipped", "warning"}
)

type provData struct {
	Tabs     appTabs
	Nav      provNav
	App      *directory.App
	St       *provisioning.JobStatus
	Percent  int
	Logs     []provisioning.LogEntry
	Action   string
	Status   string
	Object   string
	Actions  []string
	Statuses []string
	OnDemand []provisioning.LogEntry
	Dash     *dashboard
}

func (h *Handler) loadProv(w http.ResponseWriter, r *http.Request) (*provData, bool) {
	ctx := r.Context()
	app, err := h.Store.GetApp(ctx, r.PathValue("id"))
	if errors.Is(err, directory.ErrNotFound) || (err == nil && h.Engine == nil) {
		h.notFound(w)
		return nil, false
	}
	if err != nil {
		h.fail(w, r, "read app", err)
		return nil, false
	}
	d := &provData{Tabs: h.tabs(app, "provisioning"), Nav: provNav{app.ID, "status"}, App: app, Actions: logActions, Statuses: logStatuses}
	st, err := h.Engine.Status(ctx, app.ID)
	if errors.Is(err, provisioning.ErrNotFound) {
		st = &provisioning.JobStatus{AppID: app.ID, Status: provisioning.StatusNotConfigured}
	} else if err != nil {
		h.fail(w, r, "provisioning status", err)
		return nil, false
	}
	d.St = st
	if st.Running != nil && st.Running.Total > 0 {
		d.Percent = int(st.Running.Done * 100 / st.Running.Total)
	}
	now := h.now()
	recent, err := h.Engine.Store.Logs(ctx, provisioning.LogQuery{AppID: app.ID, Since: now.Add(-dashLogWindow), Limit: dashLogLimit})
	if err != nil {
		h.fail(w, r, "provisioning logs", err)
		return nil, false
	}
	d.Dash = buildDashboard(st, recent, now)
	q := r.URL.Query()
	d.Action, d.Status, d.Object = q.Get("action"), q.Get("status"), strings.TrimSpace(q.Get("object"))
	lq := provisioning.LogQuery{AppID: app.ID, Limit: 100}
	for _, a := range logActions {
		if a == d.Action {
			lq.Action = a
		}
	}
	for _, s := range logStatuses {
		if s == d.Status {
			lq.Status = s
		}
	}
	if d.Object != "" {
		lq.Limit = 2000
	}
	logs, err := h.Engine.Store.Logs(ctx, lq)
	if err != nil {
		h.fail(w, r, "provisioning logs", err)
		return nil, false
	}
	obj := strings.ToLower(d.Object)
	for _, l := range logs {
		if obj != "" && l.SourceID != d.Object && !strings.Contains(strings.ToLower(l.SourceName), obj) &&
			!strings.EqualFold(l.Kind, obj) {
			continue
		}
		d.Logs = append(d.Logs, l)
		if len(d.Logs) == 100 {
			break
		}
	}
	return d, true
}

func (h *Handler) provisioning(w http.ResponseWriter, r *http.Request, a *access) {
	d, ok := h.loadProv(w, r)
	if !ok {
		return
	}
	h.render(w, "provisioning", http.StatusOK, h.page(r, a, "Provisioning: "+d.App.DisplayName, Prefix+"/apps", d))
}

func (h *Handler) provisioningAction(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	id := r.PathValue("id")
	if h.Engine == nil {
		h.notFound(w)
		return
	}
	back := Prefix + "/apps/" + id + "/provisioning"
	var err error
	var done string
	switch r.PathValue("action") {
	case "start":
		err, done = h.Engine.SetEnabled(ctx, id, true), "started"
	case "stop":
		err, done = h.Engine.SetEnabled(ctx, id, false), "stopped"
	case "restart":
		err, done = h.Engine.Restart(ctx, id), "restarted"
	case "ondemand":
		h.onDemand(w, r, a)
		return
	default:
		h.notFound(w)
		return
	}
	if errors.Is(err, provisioning.ErrNotFound) {
		h.notFound(w)
		return
	}
	if err != nil {
		h.fail(w, r, "provisioning "+done, err)
		return
	}
	h.log().Info("console: provisioning "+done, "admin", a.u.UserPrincipalName, "app", id)
	redirect(w, r, back, done)
}

// onDemand provisions one user (by userPrincipalName) or group (by name)
// now and shows the steps.
func (h *Handler) onDemand(w http.ResponseWriter, r *http.Request, a *access) {
	name := strings.TrimSpace(r.PostFormValue("subject"))
	show := func(status int, errs web.Errors, flash, msg string, entries []provisioning.LogEntry) {
		d, ok := h.loadProv(w, r)
		if !ok {
			return
		}
		d.OnDemand = entries
		p := h.page(r, a, "Provisioning: "+d.App.DisplayName, Prefix+"/apps", d)
		p.Form["subject"], p.Errors, p.Flash, p.Error = name, errs, flash, msg
		h.render(w, "provisioning", status, p)
	}
	oid, kind, msg, err := h.namedPrincipal(r, name)
	if err != nil {
		h.fail(w, r, "find object", err)
		return
	}
	if msg != "" {
		show(formErrorStatus, web.Errors{"subject": msg}, "", "Nothing was provisioned: correct the field marked below.", nil)
		return
	}
	entries, err := h.Engine.ProvisionOnDemand(r.Context(), r.PathValue("id"), kind, oid)
	if err != nil {
		show(http.StatusOK, web.Errors{}, "", "Provisioning on demand failed: "+err.Error(), entries)
		return
	}
	show(http.StatusOK, web.Errors{}, fmt.Sprintf("Provisioned %s on demand (%d steps logged).", name, len(entries)), "", entries)
}
