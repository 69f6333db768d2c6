package pimapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	"github.com/gatehouse-id/gatehouse/internal/governance"
	"github.com/gatehouse-id/gatehouse/internal/governance/apiauth"
	"github.com/gatehouse-id/gatehouse/internal/governance/govapi"
)

// Base is the path of the API under the directory's listener.
const Base = "/v1.0/identityGovernance/privilegedAccess/group"

// maxBody bounds request bodies.
const maxBody = 64 << 10

// Handler serves the API. Its fields are its dependencies.
type Handler struct {
	Service *governance.Service
	// Tokens checks admin bearer tokens (the Graph API's).
	Tokens directory.TokenStore
	// SignIn resolves session cookies for self actions; nil refuses them.
	SignIn *signin.Handler
	Logger *slog.Logger
}

// Mount registers the routes on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.Handle("POST "+Base+"/eligibilityScheduleRequests", h.api().Wrap(h.postEligibility))
	mux.Handle("GET "+Base+"/eligibilityScheduleRequests", h.api().Wrap(h.listEligibilities))
	mux.Handle("POST "+Base+"/assignmentScheduleRequests", h.api().Wrap(h.postAssignment))
	mux.Handle("GET "+Base+"/assignmentScheduleRequests", h.api().Wrap(h.listRequests))
	mux.Handle("GET "+Base+"/assignmentScheduleRequests/{id}", h.api().Wrap(h.getRequest))
	mux.Handle("POST "+Base+"/assignmentScheduleRequests/{id}/cancel", h.api().Wrap(h.cancel))
	mux.Handle("GET "+Base+"/assignmentApprovals/{id}", h.api().Wrap(h.getApproval))
	mux.Handle("PATCH "+Base+"/assignmentApprovals/{id}/steps/{step}", h.api().Wrap(h.patchStep))
}

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// api is the shared wire layer with this API's error mapping.
func (h *Handler) api() *govapi.API {
	return &govapi.API{Name: "pim api", Tokens: h.Tokens, SignIn: h.SignIn, MaxBody: maxBody, Logger: h.Logger, ToError: toAPIError}
}

// errUserOnly refuses an admin token where a user must act themselves.
var errUserOnly = &govapi.Error{Status: http.StatusBadRequest, Code: "BadRequest",
	Msg: "This action is only valid with delegated authentication: sign in as the user."}

// toAPIError maps the governance domain's errors to Graph's shape in one
// place (nil: not one of them).
func toAPIError(err error) *govapi.Error {
	var pe *governance.PolicyError
	switch {
	case errors.As(err, &pe):
		// Entra: 400 RoleAssignmentRequestPolicyValidationFailed, "The
		// following policy rules failed: ["JustificationRule"]".
		return &govapi.Error{Status: http.StatusBadRequest, Code: "RoleAssignmentRequestPolicyValidationFailed",
			Msg: fmt.Sprintf("The following policy rules failed: [%q]. %s", pe.Rule, pe.Msg)}
	case errors.Is(err, governance.ErrNotEligible):
		return &govapi.Error{Status: http.StatusBadRequest, Code: "RoleAssignmentDoesNotExist",
			Msg: "The role assignment does not exist: the principal is not eligible for this group."}
	case errors.Is(err, governance.ErrApprovalExpired):
		return &govapi.Error{Status: http.StatusBadRequest, Code: "RequestExpired",
			Msg: "The approval window of 24 hours is over; the request expired and must be submitted again."}
	case errors.Is(err, governance.ErrForbidden):
		return &govapi.Error{Status: http.StatusForbidden, Code: "Authorization_RequestDenied", Msg: err.Error()}
	case errors.Is(err, governance.ErrState):
		return &govapi.Error{Status: http.StatusBadRequest, Code: "InvalidRequestState", Msg: err.Error()}
	case errors.Is(err, governance.ErrConflict):
		return &govapi.Error{Status: http.StatusBadRequest, Code: "RoleAssignmentExists", Msg: "The role assignment already exists."}
	case errors.Is(err, governance.ErrInvalid), errors.Is(err, directory.ErrInvalid):
		return govapi.BadRequest("%s", err.Error())
	case errors.Is(err, governance.ErrNotFound), errors.Is(err, directory.ErrNotFound):
		return &govapi.Error{Status: http.StatusNotFound, Code: "ResourceNotFound", Msg: err.Error()}
	}
	return nil
}

type expiration struct {
	Type        string     `json:"type,omitempty"` // afterDuration, afterDateTime, noExpiration
	Duration    string     `json:"duration,omitempty"`
	EndDateTime *time.Time `json:"endDateTime,omitempty"`
}

type scheduleInfo struct {
	StartDateTime *time.Time  `json:"startDateTime,omitempty"`
	Expiration    *expiration `json:"expiration,omitempty"`
}

type ticketInfo struct {
	TicketNumber string `json:"ticketNumber,omitempty"`
	TicketSystem string `json:"ticketSystem,omitempty"`
}

// activationPolicy is Gatehouse's extension on eligibilityScheduleRequests:
// Graph keeps these rules in roleManagementPolicies, per group.
type activationPolicy struct {
	RequireMFA           bool     `json:"requireMfa"`
	RequireJustification bool     `json:"requireJustification"`
	RequireTicketInfo    bool     `json:"requireTicketInfo"`
	Approvers            []string `json:"approvers,omitempty"`
	// OwnersApprove: the group's owners approve (Graph's approval rule
	// naming the group's owners as approvers).
	OwnersApprove bool `json:"ownersApprove,omitempty"`
}

type scheduleRequest struct {
	AccessID         string            `json:"accessId"`
	PrincipalID      string            `json:"principalId"`
	GroupID          string            `json:"groupId"`
	Action           string            `json:"action"`
	Justification    string            `json:"justification"`
	TicketInfo       *ticketInfo       `json:"ticketInfo"`
	ScheduleInfo     *scheduleInfo     `json:"scheduleInfo"`
	ActivationPolicy *activationPolicy `json:"activationPolicy"`
}

func (q *scheduleRequest) check() error {
	if q.AccessID != "" && q.AccessID != "member" {
		return govapi.BadRequest("accessId %q is not supported: only \"member\"", q.AccessID)
	}
	if q.GroupID == "" || q.PrincipalID == "" {
		return govapi.BadRequest("principalId and groupId are required")
	}
	return nil
}

var isoDuration = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)

// parseDuration reads an ISO 8601 duration of days, hours, minutes and
// seconds (PT8H, PT1H30M, P1D).
func parseDuration(s string) (time.Duration, error) {
	m := isoDuration.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil || s == "P" || strings.HasSuffix(s, "T") {
		return 0, govapi.BadRequest("invalid ISO 8601 duration %q", s)
	}
	var d time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if m[i+1] != "" {
			n, err := strconv.Atoi(m[i+1])
			if err != nil || n > 1_000_000 {
				return 0, govapi.BadRequest("invalid ISO 8601 duration %q", s)
			}
			d += time.Duration(n) * unit
		}
	}
	return d, nil
}

func formatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	out := "PT"
	if h > 0 {
		out += strconv.Itoa(h) + "H"
	}
	if m > 0 {
		out += strconv.Itoa(m) + "M"
	}
	if s > 0 || out == "PT" {
		out += strconv.Itoa(s) + "S"
	}
	return out
}

// graphStatus maps a request's status to Graph's request status values.
func graphStatus(s governance.Status) string {
	switch s {
	case governance.StatusActive:
		return "Provisioned"
	default:
		return string(s)
	}
}

func requestView(r *governance.Request) map[string]any {
	action := "selfActivate"
	if r.Kind == governance.KindAssign {
		action = "adminAssign"
	}
	exp := map[string]any{"type": "afterDuration", "duration": formatDuration(r.Duration)}
	sched := map[string]any{"expiration": exp}
	if !r.Start.IsZero() {
		sched["startDateTime"] = r.Start
		exp["endDateTime"] = r.End
	}
	v := map[string]any{
		"id": r.ID, "status": graphStatus(r.Status), "action": action, "accessId": "member",
		"principalId": r.UserID, "groupId": r.GroupID, "targetScheduleId": r.ID,
		"justification": r.Justification, "createdDateTime": r.Requested,
		"createdBy":    map[string]any{"user": map[string]string{"id": r.By}},
		"ticketInfo":   map[string]any{"ticketNumber": r.Ticket},
		"scheduleInfo": sched,
	}
	if r.ApprovalDeadline != nil {
		v["approvalId"] = r.ID
		v["approvalDeadlineDateTime"] = *r.ApprovalDeadline
	}
	if d := r.Decision; d != nil {
		v["decision"] = map[string]any{"reviewedBy": map[string]string{"id": d.By}, "justification": d.Reason, "reviewedDateTime": d.At}
	}
	return v
}

func eligibilityView(e *governance.Eligibility) map[string]any {
	exp := map[string]any{"type": "afterDuration", "duration": formatDuration(e.MaxDuration)}
	if e.Expires != nil {
		exp["endDateTime"] = *e.Expires
	}
	approvers := e.Approvers
	if approvers == nil {
		approvers = []string{}
	}
	return map[string]any{
		"id": e.ID, "status": "Provisioned", "action": "adminAssign", "accessId": "member",
		"principalId": e.PrincipalID, "groupId": e.GroupID, "createdDateTime": e.Created,
		"scheduleInfo": map[string]any{"startDateTime": e.Created, "expiration": exp},
		"activationPolicy": map[string]any{"requireMfa": e.RequireMFA, "requireJustification": e.RequireJustification,
			"requireTicketInfo": e.RequireTicket, "approvers": approvers, "ownersApprove": e.OwnersApprove},
	}
}

func (h *Handler) entity(w http.ResponseWriter, r *http.Request, status int, set string, v map[string]any) {
	v["@odata.context"] = "https://" + r.Host + "/v1.0/$metadata#identityGovernance/privilegedAccess/group/" + set + "/$entity"
	govapi.WriteJSON(w, status, v)
}

func (h *Handler) collection(w http.ResponseWriter, r *http.Request, set string, vs []map[string]any) {
	if vs == nil {
		vs = []map[string]any{}
	}
	govapi.WriteJSON(w, http.StatusOK, map[string]any{
		"@odata.context": "https://" + r.Host + "/v1.0/$metadata#identityGovernance/privilegedAccess/group/" + set,
		"value":          vs,
	})
}

// --- eligibilities ---

// postEligibility: adminAssign makes principalId eligible for groupId;
// scheduleInfo.expiration.duration is the maximum activation duration and
// an endDateTime ends the eligibility. adminRemove deletes it.
func (h *Handler) postEligibility(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	if c.Admin == "" {
		return govapi.ErrAdminOnly
	}
	var q scheduleRequest
	if err := govapi.ReadJSON(r, &q); err != nil {
		return err
	}
	if err := q.check(); err != nil {
		return err
	}
	ctx := r.Context()
	switch q.Action {
	case "adminAssign":
		e := &governance.Eligibility{GroupID: q.GroupID, PrincipalID: q.PrincipalID}
		if si := q.ScheduleInfo; si != nil && si.Expiration != nil {
			if si.Expiration.Duration != "" {
				d, err := parseDuration(si.Expiration.Duration)
				if err != nil {
					return err
				}
				e.MaxDuration = d
			}
			if t := si.Expiration.EndDateTime; t != nil {
				end := t.UTC()
				e.Expires = &end
			}
		}
		if p := q.ActivationPolicy; p != nil {
			e.RequireMFA, e.RequireJustification, e.RequireTicket, e.Approvers, e.OwnersApprove =
				p.RequireMFA, p.RequireJustification, p.RequireTicketInfo, p.Approvers, p.OwnersApprove
		}
		if err := h.Service.AddEligibility(ctx, e); err != nil {
			return err
		}
		h.entity(w, r, http.StatusCreated, "eligibilityScheduleRequests", eligibilityView(e))
		return nil
	case "adminRemove":
		els, err := h.Service.Eligibilities(ctx, governance.EligibilityQuery{GroupID: q.GroupID, PrincipalID: q.PrincipalID})
		if err != nil {
			return err
		}
		if len(els) == 0 {
			return governance.ErrNotFound
		}
		if err := h.Service.RemoveEligibility(ctx, els[0].ID); err != nil {
			return err
		}
		v := eligibilityView(els[0])
		v["action"], v["status"] = "adminRemove", "Revoked"
		h.entity(w, r, http.StatusCreated, "eligibilityScheduleRequests", v)
		return nil
	}
	return govapi.BadRequest("action %q is not supported here: adminAssign or adminRemove", q.Action)
}

func (h *Handler) listEligibilities(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	if c.Admin == "" {
		return govapi.ErrAdminOnly
	}
	f, err := parseFilter(r.URL.Query().Get("$filter"), "groupId", "principalId")
	if err != nil {
		return err
	}
	els, err := h.Service.Eligibilities(r.Context(), governance.EligibilityQuery{GroupID: f["groupId"], PrincipalID: f["principalId"]})
	if err != nil {
		return err
	}
	var out []map[string]any
	for _, e := range els {
		out = append(out, eligibilityView(e))
	}
	h.collection(w, r, "eligibilityScheduleRequests", out)
	return nil
}

// filterClause is one "<field> eq '<value>'".
var filterClause = regexp.MustCompile(`^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$`)

// parseFilter reads the $filter subset the API supports: clauses
// "<field> eq '<value>'" joined by "and".
func parseFilter(s string, fields ...string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range regexp.MustCompile(`(?i)\s+and\s+`).Split(s, -1) {
		m := filterClause.FindStringSubmatch(part)
		if m == nil {
			return nil, &govapi.Error{Status: http.StatusBadRequest, Code: "Request_UnsupportedQuery",
				Msg: fmt.Sprintf("Unsupported $filter clause %q: use <field> eq '<value>' joined by and", part)}
		}
		ok := false
		for _, f := range fields {
			if strings.EqualFold(f, m[1]) {
				out[f], ok = strings.ReplaceAll(m[2], "''", "'"), true
			}
		}
		if !ok {
			return nil, &govapi.Error{Status: http.StatusBadRequest, Code: "Request_UnsupportedQuery",
				Msg: fmt.Sprintf("Unsupported $filter property %q: one of %s", m[1], strings.Join(fields, ", "))}
		}
	}
	return out, nil
}

// --- assignment requests ---

func (h *Handler) postAssignment(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	var q scheduleRequest
	if err := govapi.ReadJSON(r, &q); err != nil {
		return err
	}
	if err := q.check(); err != nil {
		return err
	}
	ctx := r.Context()
	var dur time.Duration
	var end *time.Time
	if si := q.ScheduleInfo; si != nil && si.Expiration != nil {
		if si.Expiration.Duration != "" {
			d, err := parseDuration(si.Expiration.Duration)
			if err != nil {
				return err
			}
			dur = d
		}
		end = si.Expiration.EndDateTime
	}
	switch q.Action {
	case "selfActivate", "selfDeactivate":
		if c.UserID == "" {
			return errUserOnly
		}
		if q.PrincipalID != c.UserID {
			return &govapi.Error{Status: http.StatusForbidden, Code: "Authorization_RequestDenied",
				Msg: "principalId must be the signed-in user for self actions."}
		}
		if q.Action == "selfDeactivate" {
			ended, err := h.Service.Deactivate(ctx, q.GroupID, c.UserID)
			if err != nil {
				return err
			}
			v := requestView(ended[0])
			v["action"], v["status"] = "selfDeactivate", "Revoked"
			h.entity(w, r, http.StatusCreated, "assignmentScheduleRequests", v)
			return nil
		}
		in := governance.ActivateInput{GroupID: q.GroupID, UserID: c.UserID, Duration: dur,
			Justification: q.Justification, MFA: c.MFA}
		if end != nil && dur == 0 {
			in.Duration = time.Until(*end)
		}
		if q.TicketInfo != nil {
			in.Ticket = q.TicketInfo.TicketNumber
		}
		req, err := h.Service.Activate(ctx, in)
		if err != nil && req == nil {
			return err
		}
		if err != nil {
			h.log().Warn("pim api: activation recorded, membership pending", "request", req.ID, "err", err)
		}
		h.entity(w, r, http.StatusCreated, "assignmentScheduleRequests", requestView(req))
		return nil
	case "adminAssign", "adminRemove":
		if c.Admin == "" {
			return govapi.ErrAdminOnly
		}
		if q.Action == "adminRemove" {
			ended, err := h.Service.Unassign(ctx, q.GroupID, q.PrincipalID)
			if err != nil {
				return err
			}
			v := requestView(ended[0])
			v["action"], v["status"] = "adminRemove", "Revoked"
			h.entity(w, r, http.StatusCreated, "assignmentScheduleRequests", v)
			return nil
		}
		var until time.Time
		switch {
		case end != nil:
			until = *end
		case dur > 0:
			until = time.Now().Add(dur)
			if h.Service.Now != nil {
				until = h.Service.Now().Add(dur)
			}
		default:
			return govapi.BadRequest("adminAssign needs scheduleInfo.expiration with an endDateTime or a duration: permanent membership is a plain member ($ref) in the directory")
		}
		req, err := h.Service.Assign(ctx, q.GroupID, q.PrincipalID, until, "token:"+c.Admin)
		if err != nil && req == nil {
			return err
		}
		h.entity(w, r, http.StatusCreated, "assignmentScheduleRequests", requestView(req))
		return nil
	}
	return govapi.BadRequest("action %q is not supported: selfActivate, selfDeactivate, adminAssign or adminRemove", q.Action)
}

// listRequests: an admin sees every request; a user sees their own and
// those they may approve. $filter on principalId, groupId and status
// (Graph's status names: Provisioned for an active grant).
func (h *Handler) listRequests(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	f, err := parseFilter(r.URL.Query().Get("$filter"), "principalId", "groupId", "status")
	if err != nil {
		return err
	}
	q := governance.RequestQuery{UserID: f["principalId"], GroupID: f["groupId"]}
	if st, ok := f["status"]; ok {
		if st == "Provisioned" {
			st = string(governance.StatusActive)
		}
		q.Status = []governance.Status{governance.Status(st)}
	}
	reqs, err := h.Service.Requests(r.Context(), q)
	if err != nil {
		return err
	}
	var out []map[string]any
	for _, req := range reqs {
		if c.Admin == "" && !visible(req, c.UserID) {
			continue
		}
		out = append(out, requestView(req))
	}
	h.collection(w, r, "assignmentScheduleRequests", out)
	return nil
}

func visible(req *governance.Request, userID string) bool {
	if req.UserID == userID {
		return true
	}
	for _, a := range req.Approvers {
		if a == userID {
			return true
		}
	}
	return false
}

func (h *Handler) lookup(r *http.Request, c *apiauth.Caller) (*governance.Request, error) {
	req, err := h.Service.Request(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if c.Admin == "" && !visible(req, c.UserID) {
		return nil, governance.ErrNotFound
	}
	return req, nil
}

func (h *Handler) getRequest(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	req, err := h.lookup(r, c)
	if err != nil {
		return err
	}
	h.entity(w, r, http.StatusOK, "assignmentScheduleRequests", requestView(req))
	return nil
}

func (h *Handler) cancel(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	if c.UserID == "" {
		return errUserOnly
	}
	if _, err := h.Service.Cancel(r.Context(), r.PathValue("id"), c.UserID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- approvals: one approval per request (its id), with one step (the
// same id); the first approver to decide settles it, as in Entra. ---

func (h *Handler) getApproval(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	req, err := h.lookup(r, c)
	if err != nil {
		return err
	}
	if req.ApprovalDeadline == nil {
		return governance.ErrNotFound
	}
	step := map[string]any{"id": req.ID, "displayName": nil, "assignedToMe": c.UserID != "" && visible(req, c.UserID) && req.UserID != c.UserID,
		"reviewResult": "NotReviewed", "status": "InProgress", "justification": nil}
	if req.Status != governance.StatusPendingApproval {
		step["status"] = "Completed"
	}
	if d := req.Decision; d != nil {
		step["reviewResult"] = map[bool]string{true: "Approve", false: "Deny"}[req.Status != governance.StatusDenied]
		step["justification"], step["reviewedDateTime"] = d.Reason, d.At
		step["reviewedBy"] = map[string]string{"id": d.By}
	}
	govapi.WriteJSON(w, http.StatusOK, map[string]any{
		"@odata.context": "https://" + r.Host + "/v1.0/$metadata#identityGovernance/privilegedAccess/group/assignmentApprovals/$entity",
		"id":             req.ID, "steps": []any{step},
	})
	return nil
}

func (h *Handler) patchStep(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
	if c.UserID == "" {
		return errUserOnly
	}
	id := r.PathValue("id")
	if r.PathValue("step") != id {
		return governance.ErrNotFound
	}
	var body struct {
		ReviewResult  string `json:"reviewResult"`
		Justification string `json:"justification"`
	}
	if err := govapi.ReadJSON(r, &body); err != nil {
		return err
	}
	var req *governance.Request
	var err error
	switch body.ReviewResult {
	case "Approve":
		req, err = h.Service.Approve(r.Context(), id, c.UserID, body.Justification)
	case "Deny":
		req, err = h.Service.Deny(r.Context(), id, c.UserID, body.Justification)
	default:
		return govapi.BadRequest("reviewResult must be Approve or Deny")
	}
	// A decision recorded whose membership is still to be added (the
	// scheduler retries it) is a success for the approver.
	if err != nil && (req == nil || errors.Is(err, governance.ErrApprovalExpired)) {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
