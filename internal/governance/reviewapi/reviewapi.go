package reviewapi

import (
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	"github.com/gatehouse-id/gatehouse/internal/governance/apiauth"
	"github.com/gatehouse-id/gatehouse/internal/governance/govapi"
	"github.com/gatehouse-id/gatehouse/internal/governance/reviews"
)

// Base is the path of the API under the directory's listener.
const Base = "/v1.0/identityGovernance/accessReviews"

const maxBody = 64 << 10

// Handler serves the API. Its fields are its dependencies.
type Handler struct {
	Service *reviews.Service
	// Tokens checks admin bearer tokens (the Graph API's).
	Tokens directory.TokenStore
	// SignIn resolves session cookies for reviewers; nil refuses them.
	SignIn *signin.Handler
	Logger *slog.Logger
}

// Mount registers the routes on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	d := Base + "/definitions"
	i := d + "/{id}/instances/{iid}"
	mux.Handle("POST "+d, h.api().Wrap(h.admin(h.postDefinition)))
	mux.Handle("GET "+d, h.api().Wrap(h.admin(h.listDefinitions)))
	mux.Handle("GET "+d+"/{id}", h.api().Wrap(h.admin(h.getDefinition)))
	mux.Handle("GET "+d+"/{id}/report", h.api().Wrap(h.admin(h.report)))
	mux.Handle("GET "+d+"/{id}/instances", h.api().Wrap(h.admin(h.listInstances)))
	mux.Handle("GET "+i, h.api().Wrap(h.admin(h.getInstance)))
	mux.Handle("POST "+i+"/stop", h.api().Wrap(h.admin(h.stop)))
	mux.Handle("GET "+i+"/report", h.api().Wrap(h.admin(h.report)))
	mux.Handle("GET "+i+"/decisions", h.api().Wrap(h.listDecisions))
	mux.Handle("PATCH "+i+"/decisions/{did}", h.api().Wrap(h.patchDecision))
}

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// api is the shared wire layer with this API's error mapping.
func (h *Handler) api() *govapi.API {
	return &govapi.API{Name: "reviews api", Tokens: h.Tokens, SignIn: h.SignIn, MaxBody: maxBody, Logger: h.Logger, ToError: toAPIError}
}

// errUserOnly refuses an admin token where a reviewer must decide.
var errUserOnly = &govapi.Error{Status: http.StatusBadRequest, Code: "BadRequest",
	Msg: "Decisions are recorded by reviewers: sign in as the reviewer."}

// admin lets only admin tokens through to fn.
func (h *Handler) admin(fn govapi.Handler) govapi.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
		if c.Admin == "" {
			return govapi.ErrAdminOnly
		}
		return fn(w, r, c)
	}
}

// toAPIError maps the reviews domain's errors to Graph's shape in one
// place (nil: not one of them).
func toAPIError(err error) *govapi.Error {
	switch {
	case errors.Is(err, reviews.ErrForbidden):
		return &govapi.Error{Status: http.StatusForbidden, Code: "Authorization_RequestDenied", Msg: err.Error()}
	case errors.Is(err, reviews.ErrState):
		return &govapi.Error{Status: http.StatusConflict, Code: "InvalidAccessReviewState", Msg: err.Error()}
	case errors.Is(err, reviews.ErrInvalid), errors.Is(err, directory.ErrInvalid):
		return govapi.BadRequest("%s", err.Error())
	case errors.Is(err, reviews.ErrConflict):
		return &govapi.Error{Status: http.StatusConflict, Code: "Conflict", Msg: err.Error()}
	case errors.Is(err, reviews.ErrNotFound), errors.Is(err, directory.ErrNotFound):
		return &govapi.Error{Status: http.StatusNotFound, Code: "ResourceNotFound", Msg: err.Error()}
	}
	return nil
}

func collection(w http.ResponseWriter, r *http.Request, set string, vs []map[string]any) {
	if vs == nil {
		vs = []map[string]any{}
	}
	govapi.WriteJSON(w, http.StatusOK, map[string]any{
		"@odata.context": "https://" + r.Host + "/v1.0/$metadata#identityGovernance/accessReviews/" + set, "value": vs})
}

// --- definitions ---

type query struct {
	Query     string `json:"query"`
	QueryType string `json:"queryType,omitempty"`
	QueryRoot string `json:"queryRoot,omitempty"`
}

type definitionBody struct {
	DisplayName       string  `json:"displayName"`
	Scope             query   `json:"scope"`
	Reviewers         []query `json:"reviewers"`
	FallbackReviewers []query `json:"fallbackReviewers"`
	Settings          struct {
		InstanceDurationInDays    int    `json:"instanceDurationInDays"`
		DefaultDecisionEnabled    bool   `json:"defaultDecisionEnabled"`
		DefaultDecision           string `json:"defaultDecision"`
		AutoApplyDecisionsEnabled bool   `json:"autoApplyDecisionsEnabled"`
		// ReminderInterval (ISO 8601 days/hours, "P3D") is Gatehouse's:
		// Entra only sends a mid-review reminder.
		ReminderInterval string `json:"reminderInterval"`
		Recurrence       *struct {
			Pattern struct {
				Type     string `json:"type"`
				Interval int    `json:"interval"`
			} `json:"pattern"`
			Range struct {
				StartDate string `json:"startDate"`
			} `json:"range"`
		} `json:"recurrence"`
	} `json:"settings"`
}

var (
	groupScope = regexp.MustCompile(`^/groups/([^/]+)/(?:transitive)?members$`)
	appScope   = regexp.MustCompile(`^/servicePrincipals/([^/]+)/appRoleAssignedTo$`)
	userQuery  = regexp.MustCompile(`^/users/([^/]+)$`)
	ownerQuery = regexp.MustCompile(`^/groups/([^/]+)/owners$`)
	isoDays    = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?)?$`)
)

func users(qs []query) ([]string, error) {
	var out []string
	for _, q := range qs {
		m := userQuery.FindStringSubmatch(q.Query)
		if m == nil {
			return nil, govapi.BadRequest("reviewer query %q: use /users/{id}", q.Query)
		}
		out = append(out, m[1])
	}
	return out, nil
}

// campaign reads a definition body:
//
//	scope.query       /groups/{id}/members, or /servicePrincipals/{appId}/appRoleAssignedTo
//	reviewers         [] self-review; [{query: ./manager, queryRoot: decisions}] managers;
//	                  [{query: /users/{id}}, ...] named; [{query: /groups/{id}/owners}] the
//	                  reviewed group's owners
//	fallbackReviewers [{query: /users/{id}}]: for the items neither the owners nor a
//	                  manager may review
//	settings          instanceDurationInDays, recurrence.pattern (weekly/1,
//	                  absoluteMonthly/1 or /3), recurrence.range.startDate,
//	                  defaultDecisionEnabled + defaultDecision (Approve, Deny,
//	                  Recommendation, None), autoApplyDecisionsEnabled,
//	                  reminderInterval
func (b *definitionBody) campaign() (*reviews.Campaign, error) {
	c := &reviews.Campaign{Name: b.DisplayName, Default: reviews.DefaultNone, Recurrence: reviews.RecurNone,
		AutoApply: b.Settings.AutoApplyDecisionsEnabled}
	if m := groupScope.FindStringSubmatch(b.Scope.Query); m != nil {
		c.GroupID = m[1]
	} else if m := appScope.FindStringSubmatch(b.Scope.Query); m != nil {
		c.AppID = m[1]
	} else {
		return nil, govapi.BadRequest("scope.query %q: /groups/{id}/members or /servicePrincipals/{id}/appRoleAssignedTo", b.Scope.Query)
	}
	fallback, err := users(b.FallbackReviewers)
	if err != nil {
		return nil, err
	}
	switch {
	case len(b.Reviewers) == 0:
		c.Reviewers = reviews.ReviewersSelf
	case len(b.Reviewers) == 1 && b.Reviewers[0].Query == "./manager":
		c.Reviewers, c.ReviewerIDs = reviews.ReviewersManagers, fallback
	case len(b.Reviewers) == 1 && ownerQuery.MatchString(b.Reviewers[0].Query):
		if m := ownerQuery.FindStringSubmatch(b.Reviewers[0].Query); c.GroupID != "" && m[1] != c.GroupID {
			return nil, govapi.BadRequest("reviewers %q: owners review the group in scope, /groups/%s/owners", b.Reviewers[0].Query, c.GroupID)
		}
		c.Reviewers, c.ReviewerIDs = reviews.ReviewersOwners, fallback
	default:
		if c.ReviewerIDs, err = users(b.Reviewers); err != nil {
			return nil, err
		}
		c.Reviewers = reviews.ReviewersNamed
	}
	s := b.Settings
	days := s.InstanceDurationInDays
	if days == 0 {
		days = 14
	}
	c.Duration = time.Duration(days) * 24 * time.Hour
	if s.DefaultDecisionEnabled {
		c.Default = reviews.Default(strings.ToLower(s.DefaultDecision))
	}
	if s.ReminderInterval != "" {
		m := isoDays.FindStringSubmatch(s.ReminderInterval)
		if m == nil || s.ReminderInterval == "P" {
			return nil, govapi.BadRequest("reminderInterval %q: an ISO 8601 duration of days and hours (P3D, PT12H)", s.ReminderInterval)
		}
		d, _ := strconv.Atoi(m[1])
		hrs, _ := strconv.Atoi(m[2])
		c.ReminderInterval = time.Duration(d)*24*time.Hour + time.Duration(hrs)*time.Hour
	}
	if rc := s.Recurrence; rc != nil {
		switch p := rc.Pattern; {
		case p.Type == "":
		case p.Type == "weekly" && p.Interval <= 1:
			c.Recurrence = reviews.RecurWeekly
		case p.Type == "absoluteMonthly" && p.Interval <= 1:
			c.Recurrence = reviews.RecurMonthly
		case p.Type == "absoluteMonthly" && p.Interval == 3:
			c.Recurrence = reviews.RecurQuarterly
		default:
			return nil, govapi.BadRequest("recurrence %s every %d: weekly, absoluteMonthly every 1 or 3", p.Type, p.Interval)
		}
		if sd := rc.Range.StartDate; sd != "" {
			t, err := time.Parse(time.RFC3339, sd)
			if err != nil {
				if t, err = time.Parse(time.DateOnly, sd); err != nil {
					return nil, govapi.BadRequest("recurrence.range.startDate %q: a date or an RFC 3339 time", sd)
				}
			}
			c.Start = t.UTC()
		}
	}
	return c, nil
}

func definitionView(c *reviews.Campaign) map[string]any {
	kind, id := c.Scope()
	scope := "/groups/" + id + "/members"
	if kind == "app" {
		scope = "/servicePrincipals/" + id + "/appRoleAssignedTo"
	}
	qs := func(ids []string) []map[string]any {
		out := []map[string]any{}
		for _, id := range ids {
			out = append(out, map[string]any{"query": "/users/" + id, "queryType": "MicrosoftGraph"})
		}
		return out
	}
	reviewers, fallback := qs(c.ReviewerIDs), []map[string]any{}
	switch c.Reviewers {
	case reviews.ReviewersSelf:
		reviewers = []map[string]any{}
	case reviews.ReviewersManagers:
		reviewers, fallback = []map[string]any{{"query": "./manager", "queryType": "MicrosoftGraph", "queryRoot": "decisions"}}, qs(c.ReviewerIDs)
	case reviews.ReviewersOwners:
		reviewers, fallback = []map[string]any{{"query": "/groups/" + id + "/owners", "queryType": "MicrosoftGraph"}}, qs(c.ReviewerIDs)
	}
	pattern := map[string]any{}
	switch c.Recurrence {
	case reviews.RecurWeekly:
		pattern = map[string]any{"type": "weekly", "interval": 1}
	case reviews.RecurMonthly:
		pattern = map[string]any{"type": "absoluteMonthly", "interval": 1}
	case reviews.RecurQuarterly:
		pattern = map[string]any{"type": "absoluteMonthly", "interval": 3}
	}
	status := "InProgress"
	if c.NextStart == nil {
		status = "Completed"
	}
	v := map[string]any{
		"id": c.ID, "displayName": c.Name, "createdDateTime": c.Created, "status": status,
		"createdBy": map[string]any{"id": c.By},
		"scope":     map[string]any{"query": scope, "queryType": "MicrosoftGraph"},
		"reviewers": reviewers, "fallbackReviewers": fallback,
		"settings": map[string]any{
			"instanceDurationInDays":    int(c.Duration / (24 * time.Hour)),
			"defaultDecisionEnabled":    c.Default != reviews.DefaultNone,
			"defaultDecision":           strings.ToUpper(string(c.Default[:1])) + string(c.Default[1:]),
			"autoApplyDecisionsEnabled": c.AutoApply,
			"recommendationsEnabled":    true,
			"reminderInterval":          c.ReminderInterval.String(),
			"recurrence": map[string]any{"pattern": pattern,
				"range": map[string]any{"type": "noEnd", "startDate": c.Start.Format(time.DateOnly)}},
		},
	}
	if c.NextStart != nil {
		v["nextInstanceStartDateTime"] = *c.NextStart
	}
	return v
}

func (h *Handler) postDefinition(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	var b definitionBody
	if err := govapi.ReadJSON(r, &b); err != nil {
		return err
	}
	camp, err := b.campaign()
	if err != nil {
		return err
	}
	camp.By = "token:" + c.Admin
	if err := h.Service.CreateCampaign(r.Context(), camp); err != nil {
		return err
	}
	v := definitionView(camp)
	v["@odata.context"] = "https://" + r.Host + "/v1.0/$metadata#identityGovernance/accessReviews/definitions/$entity"
	govapi.WriteJSON(w, http.StatusCreated, v)
	return nil
}

func (h *Handler) listDefinitions(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	cs, err := h.Service.Campaigns(r.Context())
	if err != nil {
		return err
	}
	var out []map[string]any
	for _, c := range cs {
		out = append(out, definitionView(c))
	}
	collection(w, r, "definitions", out)
	return nil
}

func (h *Handler) getDefinition(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	camp, err := h.Service.Campaign(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	govapi.WriteJSON(w, http.StatusOK, definitionView(camp))
	return nil
}

// --- instances ---

func instanceView(in *reviews.Instance) map[string]any {
	return map[string]any{"id": in.ID, "status": string(in.Status), "startDateTime": in.Start, "endDateTime": in.End,
		"definitionId": in.CampaignID}
}

// instance returns the path's instance, which must belong to the path's
// definition.
func (h *Handler) instance(r *http.Request) (*reviews.Instance, error) {
	in, err := h.Service.Instance(r.Context(), r.PathValue("iid"))
	if err != nil {
		return nil, err
	}
	if in.CampaignID != r.PathValue("id") {
		return nil, reviews.ErrNotFound
	}
	return in, nil
}

func (h *Handler) listInstances(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	if _, err := h.Service.Campaign(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	ins, err := h.Service.Instances(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	var out []map[string]any
	for _, in := range ins {
		out = append(out, instanceView(in))
	}
	collection(w, r, "definitions/instances", out)
	return nil
}

func (h *Handler) getInstance(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	in, err := h.instance(r)
	if err != nil {
		return err
	}
	govapi.WriteJSON(w, http.StatusOK, instanceView(in))
	return nil
}

// stop ends the instance now and applies it (Graph: POST .../stop).
func (h *Handler) stop(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	in, err := h.instance(r)
	if err != nil {
		return err
	}
	if _, err := h.Service.Close(r.Context(), in.ID, "token:"+c.Admin); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- decisions ---

func graphRecommendation(rec string) string {
	switch {
	case rec == reviews.RecommendApprove:
		return "Approve"
	case strings.HasPrefix(rec, "deny"):
		return "Deny"
	}
	return "NotAvailable"
}

func decisionView(it *reviews.Item) map[string]any {
	v := map[string]any{
		"id": it.ID, "accessReviewId": it.InstanceID, "decision": string(it.Decision), "justification": it.Reason,
		"recommendation": graphRecommendation(it.Recommendation), "recommendationReason": it.Recommendation,
		"principal":   map[string]any{"id": it.UserID, "userPrincipalName": it.UPN},
		"applyResult": "New",
	}
	if it.AssignmentID != "" {
		v["resource"] = map[string]any{"id": it.AssignmentID}
	}
	if !it.LastSignIn.IsZero() {
		v["principalLastSignInDateTime"] = it.LastSignIn
	}
	if it.ReviewedBy != "" {
		v["reviewedBy"] = map[string]any{"id": it.ReviewedBy}
		v["reviewedDateTime"] = it.ReviewedAt
	}
	if it.Applied {
		v["applyResult"], v["appliedDateTime"] = "AppliedSuccessfully", it.AppliedAt
	}
	return v
}

// listDecisions: an admin sees every item; a reviewer those they may
// decide (Graph's filterByCurrentUser(on='reviewer')).
func (h *Handler) listDecisions(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	in, err := h.instance(r)
	if err != nil {
		return err
	}
	its, err := h.Service.Items(r.Context(), in.ID, c.UserID)
	if err != nil {
		return err
	}
	var out []map[string]any
	for _, it := range its {
		out = append(out, decisionView(it))
	}
	collection(w, r, "definitions/instances/decisions", out)
	return nil
}

// patchDecision records the signed-in reviewer's decision:
// {"decision": "Approve"|"Deny"|"DontKnow", "justification": "..."}.
func (h *Handler) patchDecision(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	if c.UserID == "" {
		return errUserOnly
	}
	in, err := h.instance(r)
	if err != nil {
		return err
	}
	it, err := h.Service.Item(r.Context(), r.PathValue("did"))
	if err != nil {
		return err
	}
	if it.InstanceID != in.ID {
		return reviews.ErrNotFound
	}
	var b struct {
		Decision      string `json:"decision"`
		Justification string `json:"justification"`
	}
	if err := govapi.ReadJSON(r, &b); err != nil {
		return err
	}
	if _, err := h.Service.Decide(r.Context(), reviews.DecideInput{ItemID: it.ID, ReviewerID: c.UserID,
		Decision: reviews.Decision(b.Decision), Reason: b.Justification}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// report serves the CSV report of a definition, or of one instance.
func (h *Handler) report(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	id, iid := r.PathValue("id"), r.PathValue("iid")
	if iid != "" {
		if _, err := h.instance(r); err != nil {
			return err
		}
	} else if _, err := h.Service.Campaign(r.Context(), id); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="access-review-`+id+`.csv"`)
	if err := h.Service.Report(r.Context(), w, id, iid); err != nil {
		h.log().ErrorContext(r.Context(), "reviews api: report failed mid-stream", "definition", id, "err", err)
	}
	return nil
}
