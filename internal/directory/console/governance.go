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
// and remove eligibilities, make time-bound assignments and end them
// early here; users activate, and approvers decide, at My access.

type eligibilityRow struct {
	ID, Group, Principal, Kind string
	MaxHours                   int
	Needs, Approvers, Expires  string
}

type grantRow struct {
	GroupID, UserID                                string
	Group, User, Kind, Status, When, Justification string
	Approvers                                      string
}

// Assignment reports whether the grant is a time-bound assignment, which
// an admin may end early.
func (g grantRow) Assignment() bool { return g.Kind == string(governance.KindAssign) }

type governanceData struct {
	formControls
	Eligibilities []eligibilityRow
	Grants        []grantRow
	Pending       []grantRow
	Approvals     []choice
}

// formControls lends a page's data the Control method with which its
// template draws the "select" and "textarea" partials (samlControls).
type formControls struct{}

// Control builds the control name of page p: its value and error.
func (formControls) Control(p *web.Page, name, label, hint string, opts []choice) control {
	return control{Name: name, Label: label, Hint: hint, Value: p.Form[name], Error: p.Errors[name], Options: opts}
}

// The approval choices of an eligibility.
const (
	approvalNone   = "none"
	approvalNamed  = "named"
	approvalOwners = "owners"
)

var approvals = []choice{
	{approvalNone, "No approval"},
	{approvalNamed, "Named approvers"},
	{approvalOwners, "The group's owners"},
}

const governanceTitle = "Just-in-time access"

func (h *Handler) governancePage(w http.ResponseWriter, r *http.Request, a *access) {
	h.renderGovernance(w, r, a, "", nil, nil)
}

// renderGovernance draws the page; with errs, the form is shown again with
// what was typed (form), a message next to each field at fault, and
// refused at the top (or the message that belongs to no field).
func (h *Handler) renderGovernance(w http.ResponseWriter, r *http.Request, a *access, refused string, errs web.Errors, form map[string]string) {
	d, err := h.loadGovernance(r)
	if err != nil {
		h.fail(w, r, "governance", err)
		return
	}
	p := h.page(r, a, governanceTitle, Prefix+"/governance", d)
	p.Form["approval"] = approvalNone
	for k, v := range form {
		p.Form[k] = v
	}
	if errs.Has() {
		refuse(p, errs, refused+": correct the fields marked below.")
	}
	h.render(w, "governance", formErrorStatus, p)
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
	userNames := func(ids []string) string {
		var out []string
		for _, id := range ids {
			n, _ := name(id)
			out = append(out, n)
		}
		return strings.Join(out, ", ")
	}
	d := &governanceData{Approvals: approvals}
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
			Expires: "never", Approvers: userNames(e.Approvers)}
		var needs []string
		if e.RequireMFA {
			needs = append(needs, "MFA")
		}
		if e.RequireJustification {
			needs = append(needs, "justification")
		}
		if e.RequireTicket {
			needs = append(needs, "ticket")
		}
		if e.NeedsApproval() {
			needs = append(needs, "approval")
		}
		if e.OwnersApprove {
			owners, err := directory.ActiveOwners(ctx, h.Store, e.GroupID)
			if err != nil {
				return nil, err
			}
			who := "the group's owners (" + userNames(owners) + ")"
			if len(owners) == 0 {
				who = "the group's owners (it has none: activations are refused)"
			}
			row.Approvers = strings.TrimPrefix(row.Approvers+", "+who, ", ")
		}
		row.Needs = strings.Join(needs, ", ")
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
		row := grantRow{GroupID: q.GroupID, UserID: q.UserID, Group: g, User: u, Kind: string(q.Kind),
			Status: string(q.Status), Justification: q.Justification, Approvers: userNames(q.Approvers)}
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

// namedGroup resolves the name of a group an admin typed; msg, for the
// field, says what is wrong with it, "" when it names one.
func (h *Handler) namedGroup(r *http.Request, name string) (id, msg string, err error) {
	id, kind, err := h.resolveMember(r, name)
	switch {
	case name == "":
		return "", "Enter the name of a group.", nil
	case errors.Is(err, directory.ErrNotFound) || err == nil && kind != directory.KindGroup:
		return "", "No group has this name.", nil
	}
	return id, "", err
}

// note adds msg, when there is one, for field.
func note(errs web.Errors, field, msg string) {
	if msg != "" {
		errs.Add(field, msg)
	}
}

// invalidMessage is a governance.ErrInvalid error as a sentence for a
// field, without the sentinel's prefix.
func invalidMessage(err error) string {
	return web.Sentence(strings.TrimPrefix(err.Error(), governance.ErrInvalid.Error()+": "))
}

// namedUser resolves the user principal name of a live user an admin
// typed, as namedGroup does a group's name.
func (h *Handler) namedUser(r *http.Request, upn string) (u *directory.User, msg string, err error) {
	if upn == "" {
		return nil, "Enter a user principal name.", nil
	}
	u, err = h.Store.UserByUPN(r.Context(), upn)
	if errors.Is(err, directory.ErrNotFound) {
		return nil, "No user has this user principal name.", nil
	}
	return u, "", err
}

// namedUsers resolves user principal names separated by commas or spaces;
// msg names the first that is no user.
func (h *Handler) namedUsers(r *http.Request, list string) (ids []string, msg string, err error) {
	for _, upn := range strings.FieldsFunc(list, func(c rune) bool { return c == ',' || c == ' ' }) {
		u, err := h.Store.UserByUPN(r.Context(), upn)
		if errors.Is(err, directory.ErrNotFound) {
			return nil, "No user has the user principal name " + upn + ".", nil
		}
		if err != nil {
			return nil, "", err
		}
		ids = append(ids, u.ID)
	}
	return ids, "", nil
}

// addEligibility makes a user or a group's members eligible for a group.
func (h *Handler) addEligibility(w http.ResponseWriter, r *http.Request, a *access) {
	f := formValues(r, "group", "principal", "maxHours", "approval", "approvers", "requireMfa", "requireJustification",
		"requireTicket")
	errs := web.Errors{}
	var el governance.Eligibility
	groupID, msg, err := h.namedGroup(r, f["group"])
	if err != nil {
		h.fail(w, r, "find group", err)
		return
	}
	note(errs, "group", msg)
	principal, _, msg, err := h.namedPrincipal(r, f["principal"])
	if err != nil {
		h.fail(w, r, "find principal", err)
		return
	}
	note(errs, "principal", msg)
	hours, err := strconv.Atoi(f["maxHours"])
	if err != nil || hours < 1 || hours > 24 {
		errs.Add("maxHours", "Enter a whole number of hours from 1 to 24.")
	}
	if el.Approvers, msg, err = h.namedUsers(r, f["approvers"]); err != nil {
		h.fail(w, r, "find approvers", err)
		return
	}
	note(errs, "approvers", msg)
	if f["approval"] == "" {
		// A form without the choice (a script) names approvers or none.
		f["approval"] = approvalNone
		if f["approvers"] != "" {
			f["approval"] = approvalNamed
		}
	}
	switch f["approval"] {
	case approvalNamed:
		if f["approvers"] == "" {
			errs.Add("approvers", "Enter the approvers' user principal names, or choose another approval.")
		}
	case approvalOwners:
		el.OwnersApprove = true
	case approvalNone:
		if f["approvers"] != "" {
			errs.Add("approvers", "Approvers are only asked with named approvers or the group's owners; clear this field or choose one.")
		}
	default:
		errs.Add("approval", "Choose an approval.")
	}
	if !errs.Has() {
		el.GroupID, el.PrincipalID, el.MaxDuration = groupID, principal, time.Duration(hours)*time.Hour
		el.RequireMFA, el.RequireJustification, el.RequireTicket = f["requireMfa"] != "", f["requireJustification"] != "",
			f["requireTicket"] != ""
		err = h.Governance.AddEligibility(r.Context(), &el)
		switch {
		case errors.Is(err, governance.ErrConflict):
			errs.Add("principal", "This principal is already eligible for this group.")
		case errors.Is(err, governance.ErrInvalid):
			errs.Add("", invalidMessage(err))
		case err != nil:
			h.fail(w, r, "add eligibility", err)
			return
		}
	}
	if errs.Has() {
		h.renderGovernance(w, r, a, "The eligibility was not added", errs, f)
		return
	}
	h.log().Info("console: eligibility added", "admin", a.u.UserPrincipalName, "group", groupID, "principal", principal,
		"ownersApprove", el.OwnersApprove)
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

// untilLayout is how a datetime-local input sends its value; the console
// reads and shows times in UTC.
const untilLayout = "2006-01-02T15:04"

// assignUntil makes a time-bound direct assignment: the user is a member of the
// group until the end given, as a date and time (UTC) or a number of
// hours from now (Service.Assign; the scheduler ends it to the second).
func (h *Handler) assignUntil(w http.ResponseWriter, r *http.Request, a *access) {
	f := formValues(r, "assignUser", "assignGroup", "assignUntil", "assignHours")
	errs := web.Errors{}
	u, msg, err := h.namedUser(r, f["assignUser"])
	if err != nil {
		h.fail(w, r, "find user", err)
		return
	}
	note(errs, "assignUser", msg)
	groupID, msg, err := h.namedGroup(r, f["assignGroup"])
	if err != nil {
		h.fail(w, r, "find group", err)
		return
	}
	note(errs, "assignGroup", msg)
	var until time.Time
	endField := "assignUntil"
	switch {
	case f["assignUntil"] != "" && f["assignHours"] != "":
		errs.Add("assignHours", "Give an end or a number of hours, not both.")
	case f["assignHours"] != "":
		endField = "assignHours"
		hours, err := strconv.Atoi(f["assignHours"])
		if err != nil || hours < 1 {
			errs.Add("assignHours", "Enter a whole number of hours, 1 or more.")
		}
		until = h.now().Add(time.Duration(hours) * time.Hour)
	case f["assignUntil"] != "":
		if until, err = time.Parse(untilLayout, f["assignUntil"]); err != nil {
			errs.Add("assignUntil", "Enter a date and time such as 2026-04-01T18:00 (UTC).")
		}
	default:
		errs.Add("assignUntil", "Enter when the assignment ends, or a number of hours.")
	}
	const refused = "No assignment was made"
	if errs.Has() {
		h.renderGovernance(w, r, a, refused, errs, f)
		return
	}
	q, err := h.Governance.Assign(r.Context(), groupID, u.ID, until, a.u.UserPrincipalName)
	switch {
	case errors.Is(err, governance.ErrInvalid):
		h.renderGovernance(w, r, a, refused, web.Errors{endField: invalidMessage(err)}, f)
		return
	case q != nil && err != nil:
		// Recorded; the scheduler retries the membership.
		h.log().Warn("console: time-bound assignment recorded, membership pending", "group", groupID, "user", u.ID, "err", err)
	case err != nil:
		h.fail(w, r, "time-bound assignment", err)
		return
	}
	h.log().Info("console: time-bound assignment", "admin", a.u.UserPrincipalName, "group", groupID, "user", u.ID,
		"until", until)
	redirect(w, r, Prefix+"/governance", "assigned-until")
}

// endAssignment ends the user's time-bound assignments to the group now
// (Service.Unassign); the membership goes unless another grant or a
// permanent membership keeps it.
func (h *Handler) endAssignment(w http.ResponseWriter, r *http.Request, a *access) {
	groupID, userID := r.PostFormValue("group"), r.PostFormValue("user")
	_, err := h.Governance.Unassign(r.Context(), groupID, userID)
	if errors.Is(err, governance.ErrNotFound) {
		h.renderGovernance(w, r, a, "", web.Errors{"": "This time-bound assignment has already ended."}, nil)
		return
	}
	if err != nil {
		h.fail(w, r, "end time-bound assignment", err)
		return
	}
	h.log().Info("console: time-bound assignment ended", "admin", a.u.UserPrincipalName, "group", groupID, "user", userID)
	redirect(w, r, Prefix+"/governance", "assignment-ended")
}

// governancePages is the just-in-time access page.
var governancePages = map[string]string{
	"governance": samlControls + `{{define "content"}}{{$d := .Data}}
<section class="card" aria-labelledby="h-el"><h2 id="h-el">Eligible assignments</h2>
<p class="muted">People activate these at <a href="/myaccess">My access</a>; an activation is a group membership for its duration, provisioned at once.</p>
<div class="table-wrap"><table id="eligibilities"><thead><tr><th scope="col">Group</th><th scope="col">Eligible</th><th scope="col">Up to</th><th scope="col">Needs</th><th scope="col">Approvers</th><th scope="col">Ends</th>{{if .CanChange}}<th scope="col">Action</th>{{end}}</tr></thead><tbody>
{{range $d.Eligibilities}}<tr><td>{{.Group}}</td><td>{{.Principal}}{{if eq .Kind "group"}} (members){{end}}</td><td>{{.MaxHours}} h</td><td>{{.Needs}}</td><td>{{.Approvers}}</td><td>{{.Expires}}</td>
{{if $.CanChange}}<td><form method="post" action="/console/governance/eligibilities/remove">{{template "csrf" $}}<input type="hidden" name="eligibility" value="{{.ID}}"><button type="submit" class="secondary" aria-label="Remove the eligibility of {{.Principal}} for {{.Group}}">Remove</button></form></td>{{end}}</tr>
{{else}}<tr><td colspan="7">Nobody is eligible for any group.</td></tr>{{end}}</tbody></table></div>
{{if .CanChange}}<h3>Make eligible</h3>
<form method="post" action="/console/governance/eligibilities" novalidate>{{template "csrf" .}}
{{template "field" (hint "The group people activate" (required (field . "group" "Group" "text")))}}
{{template "field" (hint "A user principal name, or a group whose members become eligible" (required (field . "principal" "Eligible user or group" "text")))}}
{{template "field" (hint "1 to 24" (required (field . "maxHours" "Longest activation (hours)" "number")))}}
{{template "select" ($d.Control . "approval" "Approval" "The group's owners when the request is made, never the requester; set owners on the group's page" $d.Approvals)}}
{{template "field" (hint "User principal names, separated by commas: the named approvers, or more approvers besides the owners" (field . "approvers" "Approvers" "text"))}}
<fieldset class="checks"><legend>Activation requires</legend>
<label><input type="checkbox" name="requireMfa" value="1"{{if index .Form "requireMfa"}} checked{{end}}> MFA</label>
<label><input type="checkbox" name="requireJustification" value="1"{{if index .Form "requireJustification"}} checked{{end}}> a justification</label>
<label><input type="checkbox" name="requireTicket" value="1"{{if index .Form "requireTicket"}} checked{{end}}> a ticket number</label>
</fieldset>
<button type="submit">Make eligible</button></form>{{end}}
</section>
<section class="card" aria-labelledby="h-gr"><h2 id="h-gr">In force</h2>
<div class="table-wrap"><table id="grants"><thead><tr><th scope="col">Group</th><th scope="col">User</th><th scope="col">Kind</th><th scope="col">When</th><th scope="col">Justification</th>{{if .CanChange}}<th scope="col">Action</th>{{end}}</tr></thead><tbody>
{{range $d.Grants}}<tr><td>{{.Group}}</td><td>{{.User}}</td><td>{{.Kind}}</td><td>{{.When}}</td><td>{{.Justification}}</td>
{{if $.CanChange}}<td>{{if .Assignment}}<form method="post" action="/console/governance/assignments/end">{{template "csrf" $}}<input type="hidden" name="group" value="{{.GroupID}}"><input type="hidden" name="user" value="{{.UserID}}"><button type="submit" class="secondary" aria-label="End the assignment of {{.User}} to {{.Group}} now">End now</button></form>{{end}}</td>{{end}}</tr>
{{else}}<tr><td colspan="6">No activations or time-bound assignments in force.</td></tr>{{end}}</tbody></table></div>
{{if .CanChange}}<h3>Time-bound assignment</h3>
<p class="muted">Makes the user a member of the group until the end, without an eligibility or activation; it ends to the second, or early with End now.</p>
<form method="post" action="/console/governance/assignments" novalidate>{{template "csrf" .}}
{{template "field" (required (field . "assignUser" "User principal name" "text"))}}
{{template "field" (required (field . "assignGroup" "Group" "text"))}}
{{template "field" (hint "UTC" (field . "assignUntil" "Until" "datetime-local"))}}
{{template "field" (hint "Instead of an end: this many hours from now" (field . "assignHours" "Or for (hours)" "number"))}}
<button type="submit">Assign until the end</button></form>{{end}}
</section>
<section class="card" aria-labelledby="h-pe"><h2 id="h-pe">Waiting for approval</h2>
<div class="table-wrap"><table id="pending"><thead><tr><th scope="col">Group</th><th scope="col">User</th><th scope="col">When</th><th scope="col">Justification</th><th scope="col">Approvers</th></tr></thead><tbody>
{{range $d.Pending}}<tr><td>{{.Group}}</td><td>{{.User}}</td><td>{{.When}}</td><td>{{.Justification}}</td><td>{{.Approvers}}</td></tr>
{{else}}<tr><td colspan="5">No requests are waiting.</td></tr>{{end}}</tbody></table></div>
</section>
{{end}}`,
}
