package myaccess

import (
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	"github.com/gatehouse-id/gatehouse/internal/governance"
	"github.com/gatehouse-id/gatehouse/internal/governance/reviews"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// msgInternal is shown when the server failed; the log has the cause.
const msgInternal = "Something went wrong. Try again; if it persists, tell your administrator."

// Path is where the page is served.
const Path = "/myaccess"

// maxFormBytes bounds a form body.
const maxFormBytes = 16 << 10

// Handler serves the page. Its fields are its dependencies.
type Handler struct {
	Service *governance.Service
	// Reviews, when set, adds the access reviews the user is to decide.
	Reviews *reviews.Service
	Dir     directory.Store
	SignIn  *signin.Handler
	Logger  *slog.Logger
	Now     func() time.Time
}

// Mount registers the routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Path, h.page)
	for _, a := range []string{"activate", "deactivate", "cancel", "approve", "deny", "review"} {
		mux.HandleFunc("POST "+Path+"/"+a, h.post)
	}
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// eligibleRow is a group the user may activate.
type eligibleRow struct {
	GroupID, Group string
	MaxHours       int
	Hours          []int
	Needs          []string
	MFA, Just, Tkt bool
	Approval       bool
}

// requestRow is a request shown to its requester or an approver.
type requestRow struct {
	ID, GroupID, Group, User string
	Status, When             string
	Justification, Ticket    string
	Hours                    int
	Active                   bool
}

type data struct {
	Eligible  []eligibleRow
	Mine      []requestRow
	ToApprove []requestRow
	Reviews   []reviewRow
	// DecisionLabels label the review decisions (sorted by value when
	// ranged over: Approve, Deny, DontKnow).
	DecisionLabels map[string]string
}

var pages = web.Templates(map[string]string{"myaccess": tmpl})

var flashes = map[string]string{
	"activated":   "Activated: you are a member of the group now.",
	"requested":   "Requested: an approver has 24 hours to decide.",
	"deactivated": "Deactivated: you are no longer a member through this activation.",
	"canceled":    "The request is canceled.",
	"approved":    "Approved: the requester is a member of the group now.",
	"denied":      "Denied.",
	"reviewed":    "Your review decision is recorded.",
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	s, u, ok := h.SignIn.RequireLogin(w, r, false)
	if !ok {
		return
	}
	h.render(w, r, s, u, http.StatusOK, nil)
}

// render draws the page for u; fill, when set, adds messages to it.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, s *signin.Session, u *directory.User, status int, fill func(*web.Page)) {
	d, err := h.load(r, u)
	if err != nil {
		h.log().Error("myaccess: load", "user", u.ID, "err", err)
		http.Error(w, "Something went wrong.", http.StatusInternalServerError)
		return
	}
	p := &web.Page{Console: "My access", Static: "/console/static/", Title: "My access",
		Nav: []web.NavItem{{Label: "My Apps", Href: "/myapps"}, {Label: "My access", Href: Path}}, Current: Path,
		User: u.UserPrincipalName, Role: "user", CSRF: h.SignIn.CSRFToken(s), CanChange: true,
		Flash: flashes[r.URL.Query().Get("done")], Errors: web.Errors{}, Form: map[string]string{}, Data: d}
	if fill != nil {
		fill(p)
	}
	web.Render(w, h.log(), pages["myaccess"], status, p)
}

func (h *Handler) load(r *http.Request, u *directory.User) (*data, error) {
	ctx := r.Context()
	now := h.now()
	names := map[string]string{}
	name := func(get func() (string, error), id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		n, err := get()
		if err != nil || n == "" {
			n = id
		}
		names[id] = n
		return n
	}
	group := func(id string) string {
		return name(func() (string, error) {
			g, err := h.Dir.GetGroup(ctx, id)
			if err != nil {
				return "", err
			}
			return g.DisplayName, nil
		}, id)
	}
	user := func(id string) string {
		return name(func() (string, error) {
			x, err := h.Dir.GetUser(ctx, id)
			if err != nil {
				return "", err
			}
			return x.DisplayName + " (" + x.UserPrincipalName + ")", nil
		}, id)
	}
	d := &data{DecisionLabels: map[string]string{string(reviews.Approve): "Approve", string(reviews.Deny): "Deny",
		string(reviews.DontKnow): "Don't know"}}
	els, err := h.Service.EligibilitiesOf(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, e := range els {
		row := eligibleRow{GroupID: e.GroupID, Group: group(e.GroupID), MaxHours: int(e.MaxDuration / time.Hour),
			MFA: e.RequireMFA, Just: e.RequireJustification, Tkt: e.RequireTicket, Approval: e.NeedsApproval()}
		for hrs := 1; hrs <= row.MaxHours; hrs++ {
			row.Hours = append(row.Hours, hrs)
		}
		if row.MFA {
			row.Needs = append(row.Needs, "a second factor")
		}
		if row.Just {
			row.Needs = append(row.Needs, "a justification")
		}
		if row.Tkt {
			row.Needs = append(row.Needs, "a ticket number")
		}
		switch {
		case e.OwnersApprove:
			row.Needs = append(row.Needs, "approval by the group's owners")
		case row.Approval:
			row.Needs = append(row.Needs, "approval")
		}
		d.Eligible = append(d.Eligible, row)
	}
	view := func(q *governance.Request) requestRow {
		row := requestRow{ID: q.ID, GroupID: q.GroupID, Group: group(q.GroupID), User: user(q.UserID), Status: string(q.Status),
			Justification: q.Justification, Ticket: q.Ticket, Hours: int(q.Duration / time.Hour)}
		switch {
		case q.Live(now):
			row.Active, row.When = true, "until "+fmtTime(q.End)
		case q.ApprovalDeadline != nil:
			row.When = "decision due by " + fmtTime(*q.ApprovalDeadline)
		}
		return row
	}
	mine, err := h.Service.Requests(ctx, governance.RequestQuery{UserID: u.ID,
		Status: []governance.Status{governance.StatusActive, governance.StatusPendingApproval}})
	if err != nil {
		return nil, err
	}
	for _, q := range mine {
		if q.Kind == governance.KindActivate && (q.Live(now) || q.Status == governance.StatusPendingApproval) {
			d.Mine = append(d.Mine, view(q))
		}
	}
	// Approvers, the group's owners among them, were named on each request
	// when it was made.
	pending, err := h.Service.Requests(ctx, governance.RequestQuery{Status: []governance.Status{governance.StatusPendingApproval}})
	if err != nil {
		return nil, err
	}
	for _, q := range pending {
		if slices.Contains(q.Approvers, u.ID) && q.UserID != u.ID {
			d.ToApprove = append(d.ToApprove, view(q))
		}
	}
	if d.Reviews, err = h.reviewItems(ctx, u); err != nil {
		return nil, err
	}
	return d, nil
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// post handles every form: a session and its CSRF token first, then the
// action named by the path.
func (h *Handler) post(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read.", http.StatusBadRequest)
		return
	}
	action := strings.TrimPrefix(r.URL.Path, Path+"/")
	s, u, ok := h.SignIn.RequireLogin(w, r, false)
	if !ok {
		return
	}
	if !h.SignIn.CheckCSRF(r, s) {
		h.render(w, r, s, u, http.StatusForbidden, func(p *web.Page) {
			p.Error = "This form has expired. Reload the page and try again."
		})
		return
	}
	ctx := r.Context()
	id, reason := r.PostFormValue("request"), r.PostFormValue("reason")
	var err error
	done := action + "d"
	switch action {
	case "activate":
		h.activate(w, r, s, u)
		return
	case "review":
		h.review(w, r, s, u)
		return
	case "deactivate":
		_, err = h.Service.Deactivate(ctx, r.PostFormValue("group"), u.ID)
	case "cancel":
		done = "canceled"
		_, err = h.Service.Cancel(ctx, id, u.ID)
	case "approve":
		_, err = h.Service.Approve(ctx, id, u.ID, reason)
	case "deny":
		done = "denied"
		_, err = h.Service.Deny(ctx, id, u.ID, reason)
	}
	if err != nil {
		h.log().Warn("myaccess: refused", "action", action, "user", u.ID, "err", err)
		h.render(w, r, s, u, statusOf(err), func(p *web.Page) { p.Error = message(err) })
		return
	}
	h.log().Info("myaccess: "+action, "user", u.ID, "request", id)
	http.Redirect(w, r, Path+"?done="+done, http.StatusSeeOther)
}

func (h *Handler) activate(w http.ResponseWriter, r *http.Request, s *signin.Session, u *directory.User) {
	groupID := r.PostFormValue("group")
	in := governance.ActivateInput{GroupID: groupID, UserID: u.ID, MFA: s.MFA,
		Justification: r.PostFormValue("justification"), Ticket: r.PostFormValue("ticket")}
	if v := r.PostFormValue("hours"); v != "" {
		hrs, err := strconv.Atoi(v)
		if err != nil || hrs < 1 {
			h.fieldError(w, r, s, u, groupID, "hours", "Choose how many hours.")
			return
		}
		in.Duration = time.Duration(hrs) * time.Hour
	}
	q, err := h.Service.Activate(r.Context(), in)
	var pe *governance.PolicyError
	if errors.As(err, &pe) {
		if pe.Rule == governance.RuleMFA {
			// Step up: sign-in asks for the second factor and brings the
			// browser back to this page (the form's Referer).
			h.SignIn.RequireLogin(w, r, true)
			return
		}
		field, ok := map[string]string{governance.RuleJustification: "justification", governance.RuleTicket: "ticket",
			governance.RuleExpiration: "hours"}[pe.Rule]
		if !ok {
			// No field can fix it (ApprovalRule: nobody could approve).
			h.log().Warn("myaccess: activation refused", "user", u.ID, "group", groupID, "rule", pe.Rule)
			h.render(w, r, s, u, http.StatusOK, func(p *web.Page) { p.Error = web.Sentence(pe.Msg) })
			return
		}
		h.fieldError(w, r, s, u, groupID, field, web.Sentence(pe.Msg))
		return
	}
	if err != nil && q == nil {
		h.log().Warn("myaccess: activation refused", "user", u.ID, "group", groupID, "err", err)
		h.render(w, r, s, u, statusOf(err), func(p *web.Page) { p.Error = message(err) })
		return
	}
	done := "activated"
	if q.Status == governance.StatusPendingApproval {
		done = "requested"
	}
	h.log().Info("myaccess: activation", "user", u.ID, "group", groupID, "request", q.ID, "status", q.Status)
	http.Redirect(w, r, Path+"?done="+done, http.StatusSeeOther)
}

// fieldError shows the page again with msg next to the field of the
// group's activation form, and what was typed kept.
func (h *Handler) fieldError(w http.ResponseWriter, r *http.Request, s *signin.Session, u *directory.User, groupID, field, msg string) {
	h.render(w, r, s, u, http.StatusOK, func(p *web.Page) {
		p.Error = "The group was not activated: correct the field marked below."
		p.Errors[groupID+":"+field] = msg
		for _, f := range []string{"justification", "ticket", "hours"} {
			p.Form[groupID+":"+f] = r.PostFormValue(f)
		}
	})
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, governance.ErrForbidden), errors.Is(err, governance.ErrNotEligible):
		return http.StatusForbidden
	case errors.Is(err, governance.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, governance.ErrState), errors.Is(err, governance.ErrApprovalExpired):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

func message(err error) string {
	switch {
	case errors.Is(err, governance.ErrForbidden):
		return "You are not allowed to do this."
	case errors.Is(err, governance.ErrNotEligible):
		return "You are not eligible for this group."
	case errors.Is(err, governance.ErrNotFound):
		return "There is no such request or group."
	case errors.Is(err, governance.ErrApprovalExpired):
		return "The 24 hours to decide are over: the request has expired."
	case errors.Is(err, governance.ErrState):
		return "The request was already decided, canceled or ended."
	}
	return msgInternal
}
