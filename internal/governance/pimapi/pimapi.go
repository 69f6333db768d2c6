package pimapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	"github.com/gatehouse-id/gatehouse/internal/governance"
	"github.com/gatehouse-id/gatehouse/internal/governance/apiauth"
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
	mux.Handle("POST "+Base+"/eligibilityScheduleRequests", h.wrap(h.postEligibility))
	mux.Handle("GET "+Base+"/eligibilityScheduleRequests", h.wrap(h.listEligibilities))
	mux.Handle("POST "+Base+"/assignmentScheduleRequests", h.wrap(h.postAssignment))
	mux.Handle("GET "+Base+"/assignmentScheduleRequests", h.wrap(h.listRequests))
	mux.Handle("GET "+Base+"/assignmentScheduleRequests/{id}", h.wrap(h.getRequest))
	mux.Handle("POST "+Base+"/assignmentScheduleRequests/{id}/cancel", h.wrap(h.cancel))
	mux.Handle("GET "+Base+"/assignmentApprovals/{id}", h.wrap(h.getApproval))
	mux.Handle("PATCH "+Base+"/assignmentApprovals/{id}/steps/{step}", h.wrap(h.patchStep))
}

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// caller is who makes a request: an admin (bearer token) or a signed-in
// user (session cookie).
type caller struct {
	admin  string // token id
	userID string
	mfa    bool
}

type apiError struct {
	status     int
	code, msg  string
	rules      []string
	authHeader bool
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func badRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "BadRequest", msg: fmt.Sprintf(format, args...)}
}

var (
	errUnauthenticated = &apiError{status: http.StatusUnauthorized, code: "InvalidAuthenticationToken",
		msg: "Access token validation failure.", authHeader: true}
	errAdminOnly = &apiError{status: http.StatusForbidden, code: "Authorization_RequestDenied",
		msg: "Insufficient privileges to complete the operation."}
	errUserOnly = &apiError{status: http.StatusBadRequest, code: "BadRequest",
		msg: "This action is only valid with delegated authentication: sign in as the user."}
)

// authenticate maps apiauth's answer to this API's errors.
func (h *Handler) authenticate(r *http.Request) (*caller, error) {
	c, err := apiauth.Authenticate(r, h.Tokens, h.SignIn)
	switch {
	case errors.Is(err, apiauth.ErrUnauthenticated):
		return nil, errUnauthenticated
	case errors.Is(err, apiauth.ErrNotJSON):
		return nil, &apiError{status: http.StatusUnsupportedMediaType, code: "UnsupportedMediaType",
			msg: "Content-Type must be application/json."}
	case err != nil:
		return nil, err
	}
	return &caller{admin: c.Admin, userID: c.UserID, mfa: c.MFA}, nil
}

func (h *Handler) wrap(fn func(w http.ResponseWriter, r *http.Request, c *caller) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqID := uuid.NewString()
		clientID := r.Header.Get("client-request-id")
		if clientID == "" || len(clientID) > 128 {
			clientID = reqID
		}
		w.Header().Set("request-id", reqID)
		w.Header().Set("client-request-id", clientID)
		c, err := h.authenticate(r)
		if err == nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
			err = fn(w, r, c)
		}
		if err != nil {
			h.writeError(w, r, err, reqID, clientID)
		}
	})
}

// toAPIError maps domain errors to Graph's shape in one place.
func toAPIError(err error) *apiError {
	var ae *apiError
	var pe *governance.PolicyError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &pe):
		// Entra: 400 RoleAssignmentRequestPolicyValidationFailed, "The
		// following policy rules failed: ["JustificationRule"]".
		return &apiError{status: http.StatusBadRequest, code: "RoleAssignmentRequestPolicyValidationFailed",
			msg: fmt.Sprintf("The following policy rules failed: [%q]. %s", pe.Rule, pe.Msg), rules: []string{pe.Rule}}
	case errors.Is(err, governance.ErrNotEligible):
		return &apiError{status: http.StatusBadRequest, code: "RoleAssignmentDoesNotExist",
			msg: "The role assignment does not exist: the principal is not eligible for this group."}
	case errors.Is(err, governance.ErrApprovalExpired):
		return &apiError{status: http.StatusBadRequest, code: "RequestExpired",
			msg: "The approval window of 24 hours is over; the request expired and must be submitted again."}
	case errors.Is(err, governance.ErrForbidden):
		return &apiError{status: http.StatusForbidden, code: "Authorization_RequestDenied", msg: err.Error()}
	case errors.Is(err, governance.ErrState):
		return &apiError{status: http.StatusBadRequest, code: "InvalidRequestState", msg: err.Error()}
	case errors.Is(err, governance.ErrConflict):
		return &apiError{status: http.StatusBadRequest, code: "RoleAssignmentExists", msg: "The role assignment already exists."}
	case errors.Is(err, governance.ErrInvalid), errors.Is(err, directory.ErrInvalid):
		return badRequest("%s", err.Error())
	case errors.Is(err, governance.ErrNotFound), errors.Is(err, directory.ErrNotFound):
		return &apiError{status: http.StatusNotFound, code: "ResourceNotFound", msg: err.Error()}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &apiError{status: http.StatusRequestEntityTooLarge, code: "RequestEntityTooLarge", msg: "The request body is too large."}
	}
	return &apiError{status: http.StatusInternalServerError, code: "generalException", msg: "An unspecified error has occurred."}
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error, reqID, clientID string) {
	ae := toAPIError(err)
	if ae.status >= 500 {
		h.log().ErrorContext(r.Context(), "pim api: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if ae.authHeader {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", error="invalid_token"`)
	}
	writeJSON(w, ae.status, map[string]any{"error": map[string]any{
		"code": ae.code, "message": ae.msg,
		"innerError": map[string]string{"date": time.Now().UTC().Format("2006-01-02T15:04:05"),
			"request-id": reqID, "client-request-id": clientID},
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(status)
	w.Write(b)
}

func readJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badRequest("Unable to read JSON request payload: %v", err)
	}
	return nil
}

// --- wire shapes ---

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
		return badRequest("accessId %q is not supported: only \"member\"", q.AccessID)
	}
	if q.GroupID == "" || q.PrincipalID == "" {
		return badRequest("principalId and groupId are required")
	}
	return nil
}

var isoDuration = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)

// parseDuration reads an ISO 8601 duration of days, hours, minutes and
// seconds (PT8H, PT1H30M, P1D).
func parseDuration(s string) (time.Duration, error) {
	m := isoDuration.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil || s == "P" || strings.HasSuffix(s, "T") {
		return 0, badRequest("invalid ISO 8601 duration %q", s)
	}
	var d time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if m[i+1] != "" {
			n, err := strconv.Atoi(m[i+1])
			if err != nil || n > 1_000_000 {
				return 0, badRequest("invalid ISO 8601 duration %q", s)
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
	writeJSON(w, status, v)
}

func (h *Handler) collection(w http.ResponseWriter, r *http.Request, set string, vs []map[string]any) {
	if vs == nil {
		vs = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": "https://" + r.Host + "/v1.0/$metadata#identityGovernance/privilegedAccess/group/" + set,
		"value":          vs,
	})
}

// --- eligibilities ---

// postEligibility: adminAssign makes principalId eligible for groupId;
// scheduleInfo.expiration.duration is the maximum activation duration and
// an endDateTime ends the eligibility. adminRemove deletes it.
func (h *Handler) postEligibility(w http.ResponseWriter, r *http.Request, c *caller) error {
	if c.admin == "" {
		return errAdminOnly
	}
	var q scheduleRequest
	if err := readJSON(r, &q); err != nil {
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
	return badRequest("action %q is not supported here: adminAssign or adminRemove", q.Action)
}

func (h *Handler) listEligibilities(w http.ResponseWriter, r *http.Request, c *caller) error {
	if c.admin == "" {
		return errAdminOnly
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
			return nil, &apiError{status: http.StatusBadRequest, code: "Request_UnsupportedQuery",
				msg: fmt.Sprintf("Unsupported $filter clause %q: use <field> eq '<value>' joined by and", part)}
		}
		ok := false
		for _, f := range fields {
			if strings.EqualFold(f, m[1]) {
				out[f], ok = strings.ReplaceAll(m[2], "''", "'"), true
			}
		}
		if !ok {
			return nil, &apiError{status: http.StatusBadRequest, code: "Request_UnsupportedQuery",
				msg: fmt.Sprintf("Unsupported $filter property %q: one of %s", m[1], strings.Join(fields, ", "))}
		}
	}
	return out, nil
}

// --- assignment requests ---

func (h *Handler) postAssignment(w http.ResponseWriter, r *http.Request, c *caller) error {
	var q scheduleRequest
	if err := readJSON(r, &q); err != nil {
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
		if c.userID == "" {
			return errUserOnly
		}
		if q.PrincipalID != c.userID {
			return &apiError{status: http.StatusForbidden, code: "Authorization_RequestDenied",
				msg: "principalId must be the signed-in user for self actions."}
		}
		if q.Action == "selfDeactivate" {
			ended, err := h.Service.Deactivate(ctx, q.GroupID, c.userID)
			if err != nil {
				return err
			}
			v := requestView(ended[0])
			v["action"], v["status"] = "selfDeactivate", "Revoked"
			h.entity(w, r, http.StatusCreated, "assignmentScheduleRequests", v)
			return nil
		}
		in := governance.ActivateInput{GroupID: q.GroupID, UserID: c.userID, Duration: dur,
			Justification: q.Justification, MFA: c.mfa}
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
		if c.admin == "" {
			return errAdminOnly
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
			return badRequest("adminAssign needs scheduleInfo.expiration with an endDateTime or a duration: permanent membership is a plain member ($ref) in the directory")
		}
		req, err := h.Service.Assign(ctx, q.GroupID, q.PrincipalID, until, "token:"+c.admin)
		if err != nil && req == nil {
			return err
		}
		h.entity(w, r, http.StatusCreated, "assignmentScheduleRequests", requestView(req))
		return nil
	}
	return badRequest("action %q is not supported: selfActivate, selfDeactivate, adminAssign or adminRemove", q.Action)
}

// listRequests: an admin sees every request; a user sees their own and
// those they may approve. $filter on principalId, groupId and status
// (Graph's status names: Provisioned for an active grant).
func (h *Handler) listRequests(w http.ResponseWriter, r *http.Request, c *caller) error {
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
		if c.admin == "" && !visible(req, c.userID) {
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

func (h *Handler) lookup(r *http.Request, c *caller) (*governance.Request, error) {
	req, err := h.Service.Request(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if c.admin == "" && !visible(req, c.userID) {
		return nil, governance.ErrNotFound
	}
	return req, nil
}

func (h *Handler) getRequest(w http.ResponseWriter, r *http.Request, c *caller) error {
	req, err := h.lookup(r, c)
	if err != nil {
		return err
	}
	h.entity(w, r, http.StatusOK, "assignmentScheduleRequests", requestView(req))
	return nil
}

func (h *Handler) cancel(w http.ResponseWriter, r *http.Request, c *caller) error {
	if c.userID == "" {
		return errUserOnly
	}
	if _, err := h.Service.Cancel(r.Context(), r.PathValue("id"), c.userID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- approvals: one approval per request (its id), with one step (the
// same id); the first approver to decide settles it, as in Entra. ---

func (h *Handler) getApproval(w http.ResponseWriter, r *http.Request, c *caller) error {
	req, err := h.lookup(r, c)
	if err != nil {
		return err
	}
	if req.ApprovalDeadline == nil {
		return governance.ErrNotFound
	}
	step := map[string]any{"id": req.ID, "displayName": nil, "assignedToMe": c.userID != "" && visible(req, c.userID) && req.UserID != c.userID,
		"reviewResult": "NotReviewed", "status": "InProgress", "justification": nil}
	if req.Status != governance.StatusPendingApproval {
		step["status"] = "Completed"
	}
	if d := req.Decision; d != nil {
		step["reviewResult"] = map[bool]string{true: "Approve", false: "Deny"}[req.Status != governance.StatusDenied]
		step["justification"], step["reviewedDateTime"] = d.Reason, d.At
		step["reviewedBy"] = map[string]string{"id": d.By}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": "https://" + r.Host + "/v1.0/$metadata#identityGovernance/privilegedAccess/group/assignmentApprovals/$entity",
		"id":             req.ID, "steps": []any{step},
	})
	return nil
}

func (h *Handler) patchStep(w http.ResponseWriter, r *http.Request, c *caller) error {
	if c.userID == "" {
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
	if err := readJSON(r, &body); err != nil {
		return err
	}
	var req *governance.Request
	var err error
	switch body.ReviewResult {
	case "Approve":
		req, err = h.Service.Approve(r.Context(), id, c.userID, body.Justification)
	case "Deny":
		req, err = h.Service.Deny(r.Context(), id, c.userID, body.Justification)
	default:
		return badRequest("reviewResult must be Approve or Deny")
	}
	// A decision recorded whose membership is still to be added (the
	// scheduler retries it) is a success for the approver.
	if err != nil && (req == nil || errors.Is(err, governance.ErrApprovalExpired)) {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
