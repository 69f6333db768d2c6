package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/governance"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// The governance page: who is eligible for which group (PIM for Groups),
// the grants in force and the requests waiting for approval. Admins add
// and remove eligibilities here; users activate at My access.

type eligibilityRow struct {
	ID, Group, Principal, Kind string
	MaxHours                   int
	Needs, Approvers, Expires  string
}

type grantRow struct {
	Group, User, Kind, Status, When, Justification string
}

type governanceData struct {
	Eligibilities []eligibilityRow
	Grants        []grantRow
	Pending       []grantRow
}

func (h *Handler) governancePage(w http.ResponseWriter, r *http.Request, a *access) {
	d, err := h.loadGovernance(r)
	if err != nil {
		h.fail(w, r, "governance", err)
		return
	}
	h.render(w, "governance", http.StatusOK, h.page(r, a, "Just-in-time access", Prefix+"/governance", d))
}

func (h *Handler) loadGovernance(r *http.Request) (*governanceData, error) {
	ctx := r.Context()
	now := h.now()
	names := map[string][2]string{} // id -> name, kind
	name := func(id string) (string, string) {
		if n, ok := names[id]; ok {
			return n[0], n[1]
		}
		n := [2]string{id, ""}
		if u, err := h.Store.GetUser(ctx, id); err == nil {
			n = [2]string{u.UserPrincipalName, directory.KindUser}
		} else if g, err := h.Store.GetGroup(ctx, id); err == nil {
			n = [2]string{g.DisplayName, directory.KindGroup}
		}
		names[id] = n
		return n[0], n[1]
	}
	d := &governanceData{}
	els, err := h.Governance.Eligibilities(ctx, governance.EligibilityQuery{})
	if err != nil {
		return nil, err
	}
	for _, e := range els {
		if !e.Live(now) {
			continue
		}
		g, _ := name(e.GroupID)
		p, kind := name(e.PrincipalID)
		row := eligibilityRow{ID: e.ID, Group: g, Principal: p, Kind: kind, MaxHours: int(e.MaxDuration / time.Hour),
			Expires: "never"}
		var needs, approvers []string
		if e.RequireMFA {
			needs = append(needs, "MFA")
		}
		if e.RequireJustification {
			needs = append(needs, "justification")
		}
		if e.RequireTicket {
			needs = append(needs, "ticket")
		}
		for _, id := range e.Approvers {
			n, _ := name(id)
			approvers = append(approvers, n)
		}
		if len(approvers) > 0 {
			needs = append(needs, "approval")
		}
		row.Needs, row.Approvers = strings.Join(needs, ", "), strings.Join(approvers, ", ")
		if e.Expires != nil {
			row.Expires = fmtConsoleTime(*e.Expires)
		}
		d.Eligibilities = append(d.Eligibilities, row)
	}
	reqs, err := h.Governance.Requests(ctx, governance.RequestQuery{
		Status: []governance.Status{governance.StatusActive, governance.StatusPendingApproval}})
	if err != nil {
		return nil, err
	}
	for _, q := range reqs {
		g, _ := name(q.GroupID)
		u, _ := name(q.UserID)
		row := grantRow{Group: g, User: u, Kind: string(q.Kind), Status: string(q.Status), Justification: q.Justification}
		switch {
		case q.Live(now):
			row.When = "until " + fmtConsoleTime(q.End)
			d.Grants = append(d.Grants, row)
		case q.Status == governance.StatusPendingApproval && q.ApprovalDeadline != nil:
			row.When = "decision due by " + fmtConsoleTime(*q.ApprovalDeadline)
			d.Pending = append(d.Pending, row)
		}
	}
	return d, nil
}

func fmtConsoleTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// addEligibility makes a user or a group's members eligible for a group.
func (h *Handler) addEligibility(w http.ResponseWriter, r *http.Request, a *access) {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	errs := web.Errors{}
	var el governance.Eligibility
	groupID, kind, err := h.resolveMember(r, f("group"))
	switch {
	case f("group") == "":
		errs.Add("group", "Enter the name of the group to activate.")
	case errors.Is(err, directory.ErrNotFound) || err == nil && kind != directory.KindGroup:
		errs.Add("group", "No group has this name.")
	case err != nil:
		h.fail(w, r, "find group", err)
		return
	}
	principal, _, err := h.resolveMember(r, f("principal"))
	switch {
	case f("principal") == "":
		errs.Add("principal", "Enter a user principal name or a group name.")
	case errors.Is(err, directory.ErrNotFound):
		errs.Add("principal", "No user has this user principal name and no group has this name.")
	case err != nil:
		h.fail(w, r, "find principal", err)
		return
	}
	hours, err := strconv.Atoi(f("maxHours"))
	if err != nil || hours < 1 || hours > 24 {
		errs.Add("maxHours", "Enter a whole number of hours from 1 to 24.")
	}
	for _, upn := range strings.FieldsFunc(f("approvers"), func(c rune) bool { return c == ',' || c == ' ' }) {
		u, err := h.Store.UserByUPN(r.Context(), upn)
		if err != nil {
			errs.Add("approvers", "No user has the user principal name "+upn+".")
			break
		}
		el.Approvers = append(el.Approvers, u.ID)
	}
	if !errs.Has() {
		el.GroupID, el.PrincipalID, el.MaxDuration = groupID, principal, time.Duration(hours)*time.Hour
		el.RequireMFA, el.RequireJustification, el.RequireTicket = f("requireMfa") != "", f("requireJustification") != "",
			f("requireTicket") != ""
		err = h.Governance.AddEligibility(r.Context(), &el)
		switch {
		case errors.Is(err, governance.ErrConflict):
			errs.Add("principal", "This principal is already eligible for this group.")
		case errors.Is(err, governance.ErrInvalid):
			errs.Add("", web.Sentence(err.Error()))
		case err != nil:
			h.fail(w, r, "add eligibility", err)
			return
		}
	}
	if errs.Has() {
		d, err := h.loadGovernance(r)
		if err != nil {
			h.fail(w, r, "governance", err)
			return
		}
		p := h.page(r, a, "Just-in-time access", Prefix+"/governance", d)
		p.Errors, p.Error = errs, "The eligibility was not added: correct the fields marked below."
		for _, k := range []string{"group", "principal", "maxHours", "approvers", "requireMfa", "requireJustification", "requireTicket"} {
			p.Form[k] = f(k)
		}
		h.render(w, "governance", formErrorStatus, p)
		return
	}
	h.log().Info("console: eligibility added", "admin", a.u.UserPrincipalName, "group", groupID, "principal", principal)
	redirect(w, r, Prefix+"/governance", "eligible")
}

func (h *Handler) removeEligibility(w http.ResponseWriter, r *http.Request, a *access) {
	id := r.PostFormValue("eligibility")
	err := h.Governance.RemoveEligibility(r.Context(), id)
	if errors.Is(err, governance.ErrNotFound) {
		h.notFound(w)
		return
	}
	if err != nil {
		h.fail(w, r, "remove eligibility", err)
		return
	}
	h.log().Info("console: eligibility removed", "admin", a.u.UserPrincipalName, "eligibility", id)
	redirect(w, r, Prefix+"/governance", "ineligible")
}
