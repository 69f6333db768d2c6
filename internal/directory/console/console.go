package console

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/samlidp"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	"github.com/gatehouse-id/gatehouse/internal/governance"
	"github.com/gatehouse-id/gatehouse/internal/governance/reviews"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// Prefix is where the console is mounted.
const Prefix = "/console"

// Console roles.
const (
	RoleAdmin    = "admin"
	RoleReadOnly = "read-only"
)

// RoleStore reads a user's console role ("" for none).
type RoleStore interface {
	ConsoleRole(ctx context.Context, userID string) (string, error)
}

// MFAResetter removes a user's TOTP enrollment.
type MFAResetter interface {
	ResetMFA(ctx context.Context, userID string, at time.Time) error
}

// Handler serves the console. Its fields are its dependencies.
type Handler struct {
	Store       directory.Store
	Credentials directory.CredentialStore
	Roles       RoleStore
	MFA         MFAResetter
	SignIn      *signin.Handler
	// Engine is the provisioning engine; nil hides provisioning.
	Engine *provisioning.Engine
	// Governance is PIM for Groups; nil hides the governance page.
	Governance *governance.Service
	// Reviews are the access reviews; nil hides their page.
	Reviews *reviews.Service
	// Audit reads the audit log; nil hides its page.
	Audit AuditReader
	// IdP is the SAML identity provider whose per-app single sign-on the
	// apps' SAML pages manage; nil hides them.
	IdP    *samlidp.IdP
	Logger *slog.Logger
	Now    func() time.Time
}

// maxFormBytes bounds a form body: an SP's metadata may be up to 1 MiB
// (samlidp.ParseSPMetadata), and a multipart upload adds its framing.
const maxFormBytes = 1<<20 + 64<<10

// Mount registers the console's routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.Handle("GET "+Prefix+"/static/", web.Static(Prefix+"/static/"))
	get := func(p string, fn func(http.ResponseWriter, *http.Request, *access)) {
		mux.Handle("GET "+Prefix+p, h.guard(false, fn))
	}
	post := func(p string, fn func(http.ResponseWriter, *http.Request, *access)) {
		mux.Handle("POST "+Prefix+p, h.guard(true, fn))
	}
	get("", h.overview)
	get("/{$}", h.overview)
	get("/users", h.users)
	get("/users/new", h.newUser)
	post("/users/new", h.createUser)
	get("/users/{id}", h.user)
	post("/users/{id}", h.editUser)
	post("/users/{id}/enable", h.setEnabled(true))
	post("/users/{id}/disable", h.setEnabled(false))
	post("/users/{id}/password", h.resetPassword)
	post("/users/{id}/mfa", h.resetMFA)
	post("/users/{id}/groups/add", h.addUserGroup)
	post("/users/{id}/groups/remove", h.removeUserGroup)
	get("/groups", h.groups)
	h.mountGroupAdmin(get, post)
	get("/groups/{id}", h.group)
	post("/groups/{id}/members/add", h.addMember)
	post("/groups/{id}/members/remove", h.removeGroupMember)
	post("/groups/{id}/owners/add", h.addOwner)
	post("/groups/{id}/owners/remove", h.removeOwner)
	if h.Governance != nil {
		get("/governance", h.governancePage)
		post("/governance/eligibilities", h.addEligibility)
		post("/governance/eligibilities/remove", h.removeEligibility)
		post("/governance/assignments", h.assignUntil)
		post("/governance/assignments/end", h.endAssignment)
	}
	if h.Reviews != nil {
		get("/reviews", h.reviewsPage)
		post("/reviews", h.createCampaign)
	}
	if h.Audit != nil {
		get("/audit", h.auditPage)
	}
	h.mountApps(get, post)
	get("/apps/{id}/provisioning", h.provisioning)
	post("/apps/{id}/provisioning/{action}", h.provisioningAction)
	h.mountProvisioningConfig(get, post)
}

// access is the signed-in admin of a request.
type access struct {
	s    *signin.Session
	u    *directory.User
	role string
}

func (a *access) canChange() bool { return a.role == RoleAdmin }

// guard requires a sign-in session and a console role; for writes, the
// admin role and the session's CSRF token.
func (h *Handler) guard(write bool, fn func(http.ResponseWriter, *http.Request, *access)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if write {
			if err := web.ReadForm(w, r, maxFormBytes); err != nil {
				h.deny(w, http.StatusBadRequest, "The form could not be read.")
				return
			}
		}
		s, u, ok := h.SignIn.RequireLogin(w, r, false)
		if !ok {
			return
		}
		role, err := h.Roles.ConsoleRole(r.Context(), u.ID)
		if err != nil {
			h.fail(w, r, "read console role", err)
			return
		}
		if role != RoleAdmin && role != RoleReadOnly {
			h.log().Warn("console: refused, no console role", "user", u.UserPrincipalName)
			h.deny(w, http.StatusForbidden, "Your account has no access to the directory console.")
			return
		}
		a := &access{s: s, u: u, role: role}
		if write {
			if !a.canChange() {
				h.log().Warn("console: refused a change by a read-only admin", "user", u.UserPrincipalName, "path", r.URL.Path)
				h.deny(w, http.StatusForbidden, "Your console role is read-only: you can view, not change.")
				return
			}
			if !h.SignIn.CheckCSRF(r, s) {
				h.log().Warn("console: CSRF token missing or wrong", "user", u.UserPrincipalName, "path", r.URL.Path)
				h.deny(w, http.StatusForbidden, "This form has expired. Reload the page and try again.")
				return
			}
		}
		fn(w, r, a)
	})
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

var denyPage = template.Must(template.New("").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Access denied · Gatehouse</title><link rel="stylesheet" href="/console/static/console.css"></head>
<body><main id="main"><h1>Access denied</h1><p class="error" role="alert">{{.}}</p>
<p><a href="/console">Directory console</a> · <a href="/myapps">My Apps</a></p></main></body></html>`))

func (h *Handler) deny(w http.ResponseWriter, status int, msg string) {
	web.Secure(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	denyPage.Execute(w, msg)
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log().Error("console: "+what, "path", r.URL.Path, "err", err)
	h.deny(w, http.StatusInternalServerError, "Something went wrong. Please try again.")
}

func (h *Handler) notFound(w http.ResponseWriter) {
	h.deny(w, http.StatusNotFound, "There is no such object.")
}

// found reports whether a store call succeeded; else it answers for the
// handler, which then returns: 404 when there is no such object, 500 on
// another error (logged as what). The center console has its own.
func (h *Handler) found(w http.ResponseWriter, r *http.Request, err error, what string) bool {
	switch {
	case errors.Is(err, directory.ErrNotFound):
		h.notFound(w)
	case err != nil:
		h.fail(w, r, what, err)
	default:
		return true
	}
	return false
}

var nav = []web.NavItem{
	{Label: "Overview", Href: Prefix},
	{Label: "Users", Href: Prefix + "/users"},
	{Label: "Groups", Href: Prefix + "/groups"},
	{Label: "Enterprise apps", Href: Prefix + "/apps"},
	{Label: "Just-in-time access", Href: Prefix + "/governance"},
	{Label: "Access reviews", Href: Prefix + "/reviews"},
	{Label: "Audit log", Href: Prefix + "/audit"},
}

// flashes are the fixed messages a redirect after a change may name.
var flashes = map[string]string{
	"created":      "The user was created.",
	"saved":        "Changes saved.",
	"enabled":      "The user can sign in again.",
	"disabled":     "The user is disabled: their sessions ended and provisioning deactivates them in the apps.",
	"password":     "The password was reset.",
	"mfa":          "The user's MFA was reset: they enroll again at their next sign-in that needs it.",
	"group-added":  "Added to the group.",
	"group-remove": "Removed from the group.",
	"not-member":   "That was not a member of the group: nothing changed.",
	"started":      "Provisioning started.",
	"stopped":      "Provisioning stopped.",
	"restarted":    "Provisioning restarted: quarantine and escrows cleared, an initial cycle begins.",
	"eligible":     "The eligibility was added: the principal can activate the group at My access.",
	"ineligible":   "The eligibility was removed. Activations already in force run until they end.",

	// Group owners, time-bound assignments and access review campaigns.
	"owner-added":      "The user owns the group now.",
	"owner-removed":    "The owner was removed.",
	"assigned-until":   "The time-bound assignment was made: the user is a member until it ends.",
	"assignment-ended": "The time-bound assignment ended: the membership goes unless another grant keeps it.",
	"campaign-created": "The campaign was created; its first review has started and its reviewers see it at My access.",

	// Provisioning configuration: every save starts an initial cycle.
	"prov-saved":      "The provisioning settings were saved: an initial cycle starts now.",
	"clause-added":    "The scoping clause was added: an initial cycle starts now.",
	"clause-removed":  "The scoping clause was removed: an initial cycle starts now.",
	"mapping-added":   "The mapping was added: an initial cycle starts now.",
	"mapping-saved":   "The mapping was saved: an initial cycle starts now.",
	"mapping-deleted": "The mapping was deleted: an initial cycle starts now.",
	"mappings-reset":  "The default mappings are back: an initial cycle starts now.",

	// Groups created and deleted, enterprise apps and their single sign-on.
	"group-created": "The group was created.",
	"group-deleted": "The group was deleted: its members, memberships and app assignments went with it.",
	"app-created":   "The application was created: set up its single sign-on and assign users and groups.",
	"app-deleted":   "The application was deleted: its assignments, single sign-on settings and certificates went with it.",
	"assigned":      "The user or group was assigned to the application.",
	"unassigned":    "The assignment was removed.",
	"saml-saved":    "The single sign-on settings were saved.",
	"metadata":      "The service provider's metadata was applied.",
	"claim-saved":   "The claim was saved.",
	"claim-removed": "The claim was removed.",
	"claims-reset":  "The claims are the defaults again.",
	"aws-roles":     "The AWS IAM role claims were saved.",
	"cert-created":  "A new certificate was created, inactive: publish it to the service provider, then make it active.",
	"cert-active":   "The certificate is now the one responses are signed with.",
	"cert-removed":  "The certificate was deleted.",
}

func (h *Handler) page(r *http.Request, a *access, title, current string, data any) *web.Page {
	return &web.Page{
		Console: "Directory console", Static: Prefix + "/static/", Title: title, Nav: nav, Current: current,
		User: a.u.UserPrincipalName, Role: a.role, CSRF: h.SignIn.CSRFToken(a.s), CanChange: a.canChange(),
		Flash: flashes[r.URL.Query().Get("done")], Errors: web.Errors{}, Form: map[string]string{}, Data: data,
	}
}

func (h *Handler) render(w http.ResponseWriter, name string, status int, p *web.Page) {
	web.Render(w, h.log(), pages[name], status, p)
}

func redirect(w http.ResponseWriter, r *http.Request, path, done string) {
	if done != "" {
		path += "?done=" + done
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// --- overview ---

type overviewData struct {
	Users, Groups int
	Apps          []appRow
}

type appRow struct {
	App    *directory.App
	Status string
}

func (h *Handler) overview(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	users, err := h.Store.ListUsers(ctx, directory.UserQuery{Limit: 1000})
	if err != nil {
		h.fail(w, r, "list users", err)
		return
	}
	groups, err := h.Store.ListGroups(ctx, directory.GroupQuery{Limit: 1000})
	if err != nil {
		h.fail(w, r, "list groups", err)
		return
	}
	apps, err := h.Store.ListApps(ctx)
	if err != nil {
		h.fail(w, r, "list apps", err)
		return
	}
	d := overviewData{Users: len(users), Groups: len(groups)}
	for _, app := range apps {
		d.Apps = append(d.Apps, appRow{App: app, Status: h.provisioningStatus(ctx, app.ID)})
	}
	h.render(w, "overview", http.StatusOK, h.page(r, a, "Overview", Prefix, d))
}

// --- users ---

type usersData struct {
	Query string
	Users []*directory.User
}

func (h *Handler) users(w http.ResponseWriter, r *http.Request, a *access) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	ctx := r.Context()
	var list []*directory.User
	if q == "" {
		var err error
		if list, err = h.Store.ListUsers(ctx, directory.UserQuery{Limit: 500}); err != nil {
			h.fail(w, r, "list users", err)
			return
		}
	} else {
		seen := map[string]bool{}
		for _, attr := range []string{"userPrincipalName", "displayName", "surname"} {
			us, err := h.Store.ListUsers(ctx, directory.UserQuery{StartsWith: map[string]string{attr: q}, Limit: 200})
			if err != nil {
				h.fail(w, r, "search users", err)
				return
			}
			for _, u := range us {
				if !seen[u.ID] {
					seen[u.ID] = true
					list = append(list, u)
				}
			}
		}
	}
	slices.SortFunc(list, func(x, y *directory.User) int {
		return strings.Compare(strings.ToLower(x.UserPrincipalName), strings.ToLower(y.UserPrincipalName))
	})
	h.render(w, "users", http.StatusOK, h.page(r, a, "Users", Prefix+"/users", usersData{Query: q, Users: list}))
}

// userFields maps Graph attributes to the form's fields.
var userFields = map[string]string{
	"userPrincipalName": "upn", "displayName": "displayName", "givenName": "givenName", "surname": "surname",
	"mailNickname": "upn", "mail": "upn", "jobTitle": "jobTitle", "department": "department",
}

func (h *Handler) newUser(w http.ResponseWriter, r *http.Request, a *access) {
	if !h.mayChange(w, a) {
		return
	}
	h.render(w, "newuser", http.StatusOK, h.page(r, a, "New user", Prefix+"/users", nil))
}

func formValues(r *http.Request, names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = strings.TrimSpace(r.PostFormValue(n))
	}
	return m
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	f := formValues(r, "upn", "displayName", "givenName", "surname", "jobTitle", "department")
	pw := r.PostFormValue("password")
	now := h.now().UTC().Truncate(time.Millisecond)
	u := &directory.User{
		ID: newID(), UserPrincipalName: f["upn"], Mail: f["upn"], DisplayName: f["displayName"],
		GivenName: f["givenName"], Surname: f["surname"], JobTitle: f["jobTitle"], Department: f["department"],
		AccountEnabled: true, BusinessPhones: []string{}, Created: now, Modified: now,
	}
	directory.NormalizeUser(u)
	directory.FillUserDefaults(u)
	errs := fromValidation(directory.ValidateUser(u), userFields)
	if pw == "" {
		errs.Add("password", "Enter a password for the user.")
	} else if err := signin.CheckPasswordPolicy(pw); err != nil {
		errs.Add("password", web.Sentence(err.Error()))
	}
	if !errs.Has() {
		if _, err := h.Store.UserByUPN(ctx, u.UserPrincipalName); err == nil {
			errs.Add("upn", "Another user already has this user principal name.")
		}
	}
	if !errs.Has() {
		// The user and the password in one transaction.
		err := signin.CreateUser(ctx, h.Credentials, u, pw)
		switch {
		case errors.Is(err, directory.ErrConflict):
			errs.Add("upn", "Another user already has this user principal name.")
		case errors.Is(err, directory.ErrInvalid):
			errs = fromValidation(err, userFields)
		case err != nil:
			h.fail(w, r, "create user", err)
			return
		}
	}
	if errs.Has() {
		p := h.page(r, a, "New user", Prefix+"/users", nil)
		p.Form = f
		refuse(p, errs, "The user was not created: correct the fields marked below.")
		h.render(w, "newuser", formErrorStatus, p)
		return
	}
	h.log().Info("console: user created", "admin", a.u.UserPrincipalName, "user", u.UserPrincipalName)
	redirect(w, r, Prefix+"/users/"+u.ID, "created")
}

type userData struct {
	U        *directory.User
	Groups   []*directory.Group // direct memberships
	Others   []*directory.Group // groups the user is not directly in
	HasMFA   bool
	HasPW    bool
	IsMyself bool
}

func (h *Handler) loadUser(w http.ResponseWriter, r *http.Request, a *access) (*userData, bool) {
	ctx := r.Context()
	u, err := h.Store.GetUser(ctx, r.PathValue("id"))
	if errors.Is(err, directory.ErrNotFound) || (err == nil && u.Deleted != nil) {
		h.notFound(w)
		return nil, false
	}
	if err != nil {
		h.fail(w, r, "read user", err)
		return nil, false
	}
	d := &userData{U: u, IsMyself: u.ID == a.u.ID}
	ids, err := h.Store.MemberOf(ctx, u.ID)
	if err != nil {
		h.fail(w, r, "read memberships", err)
		return nil, false
	}
	all, err := h.Store.ListGroups(ctx, directory.GroupQuery{Limit: 1000})
	if err != nil {
		h.fail(w, r, "list groups", err)
		return nil, false
	}
	sortGroups(all)
	for _, g := range all {
		if slices.Contains(ids, g.ID) {
			d.Groups = append(d.Groups, g)
		} else {
			d.Others = append(d.Others, g)
		}
	}
	if c, err := h.Credentials.GetCredentials(ctx, u.ID); err == nil {
		d.HasMFA, d.HasPW = c.TOTPSecret != "", c.PasswordHash != ""
	}
	return d, true
}

func sortGroups(gs []*directory.Group) {
	slices.SortFunc(gs, func(x, y *directory.Group) int {
		return strings.Compare(strings.ToLower(x.DisplayName), strings.ToLower(y.DisplayName))
	})
}

func userForm(u *directory.User) map[string]string {
	return map[string]string{"displayName": u.DisplayName, "givenName": u.GivenName, "surname": u.Surname,
		"jobTitle": u.JobTitle, "department": u.Department}
}

func (h *Handler) user(w http.ResponseWriter, r *http.Request, a *access) {
	d, ok := h.loadUser(w, r, a)
	if !ok {
		return
	}
	p := h.page(r, a, d.U.DisplayName, Prefix+"/users", d)
	p.Form = userForm(d.U)
	h.render(w, "user", http.StatusOK, p)
}

// userError re-renders the user page with errs next to their fields.
func (h *Handler) userError(w http.ResponseWriter, r *http.Request, a *access, errs web.Errors, form map[string]string) {
	d, ok := h.loadUser(w, r, a)
	if !ok {
		return
	}
	p := h.page(r, a, d.U.DisplayName, Prefix+"/users", d)
	p.Form = userForm(d.U)
	for k, v := range form {
		p.Form[k] = v
	}
	refuse(p, errs, "Nothing was changed: correct the field marked below.")
	h.render(w, "user", formErrorStatus, p)
}

func (h *Handler) editUser(w http.ResponseWriter, r *http.Request, a *access) {
	f := formValues(r, "displayName", "givenName", "surname", "jobTitle", "department")
	id := r.PathValue("id")
	_, err := h.Store.UpdateUser(r.Context(), id, func(u *directory.User) error {
		u.DisplayName, u.GivenName, u.Surname, u.JobTitle, u.Department =
			f["displayName"], f["givenName"], f["surname"], f["jobTitle"], f["department"]
		u.Modified = h.now().UTC().Truncate(time.Millisecond)
		directory.NormalizeUser(u)
		return directory.ValidateUser(u)
	})
	switch {
	case errors.Is(err, directory.ErrInvalid):
		h.userError(w, r, a, fromValidation(err, userFields), f)
		return
	case errors.Is(err, directory.ErrNotFound):
		h.notFound(w)
		return
	case err != nil:
		h.fail(w, r, "update user", err)
		return
	}
	redirect(w, r, Prefix+"/users/"+id, "saved")
}

func (h *Handler) setEnabled(on bool) func(http.ResponseWriter, *http.Request, *access) {
	return func(w http.ResponseWriter, r *http.Request, a *access) {
		id := r.PathValue("id")
		if !on && id == a.u.ID {
			h.userError(w, r, a, web.Errors{"": "You cannot disable your own account."}, nil)
			return
		}
		_, err := h.Store.UpdateUser(r.Context(), id, func(u *directory.User) error {
			u.AccountEnabled = on
			u.Modified = h.now().UTC().Truncate(time.Millisecond)
			return nil
		})
		if !h.found(w, r, err, "enable or disable user") {
			return
		}
		done := "enabled"
		if !on {
			done = "disabled"
			// The directory's sessions end now; provisioning deactivates
			// the user in the apps, which ends their sessions there.
			if _, err := h.SignIn.RevokeAllForUser(r.Context(), id); err != nil {
				h.fail(w, r, "revoke sessions", err)
				return
			}
		}
		h.log().Info("console: user "+done, "admin", a.u.UserPrincipalName, "user", id)
		redirect(w, r, Prefix+"/users/"+id, done)
	}
}

func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request, a *access) {
	id := r.PathValue("id")
	pw := r.PostFormValue("newPassword")
	if pw == "" {
		h.userError(w, r, a, web.Errors{"newPassword": "Enter the new password."}, nil)
		return
	}
	if err := signin.CheckPasswordPolicy(pw); err != nil {
		h.userError(w, r, a, web.Errors{"newPassword": web.Sentence(err.Error())}, nil)
		return
	}
	err := signin.SetPassword(r.Context(), h.Credentials, id, pw)
	if !h.found(w, r, err, "reset password") {
		return
	}
	// Whoever held the old password may hold a session made with it: a
	// reset ends them all (as Entra revokes refresh tokens on reset).
	if _, err := h.SignIn.RevokeAllForUser(r.Context(), id); err != nil {
		h.fail(w, r, "end sessions after password reset", err)
		return
	}
	h.log().Info("console: password reset, sessions ended", "admin", a.u.UserPrincipalName, "user", id)
	redirect(w, r, Prefix+"/users/"+id, "password")
}

func (h *Handler) resetMFA(w http.ResponseWriter, r *http.Request, a *access) {
	id := r.PathValue("id")
	err := h.MFA.ResetMFA(r.Context(), id, h.now())
	if !h.found(w, r, err, "reset MFA") {
		return
	}
	redirect(w, r, Prefix+"/users/"+id, "mfa")
}

func (h *Handler) addUserGroup(w http.ResponseWriter, r *http.Request, a *access) {
	id, gid := r.PathValue("id"), r.PostFormValue("group")
	if gid == "" {
		h.userError(w, r, a, web.Errors{"group": "Choose a group."}, nil)
		return
	}
	err := h.Store.AddMember(r.Context(), gid, id, h.now())
	switch {
	case errors.Is(err, directory.ErrConflict):
		h.userError(w, r, a, web.Errors{"group": "The user is already a member of this group."}, nil)
		return
	case errors.Is(err, directory.ErrNotFound):
		h.userError(w, r, a, web.Errors{"group": "There is no such group."}, nil)
		return
	case errors.Is(err, directory.ErrInvalid):
		// The member is what is invalid: this user does not exist.
		h.notFound(w)
		return
	case err != nil:
		h.fail(w, r, "add member", err)
		return
	}
	redirect(w, r, Prefix+"/users/"+id, "group-added")
}

func (h *Handler) removeUserGroup(w http.ResponseWriter, r *http.Request, a *access) {
	id, gid := r.PathValue("id"), r.PostFormValue("group")
	if done := h.removeMember(w, r, gid, id); done != "" {
		redirect(w, r, Prefix+"/users/"+id, done)
	}
}

// formErrorStatus is the status of a form shown again with its errors:
// 200, as a browser treats any 4xx document as a failed load and logs it
// as an error in its console, and the page itself is a good response (the
// messages are next to the fields, marked aria-invalid).
const formErrorStatus = http.StatusOK

// refuse puts a refused form's messages on its page, the same way on every
// form: each next to its field, and at the top the message that belongs to
// no field (errs[""]) if there is one, else msg.
func refuse(p *web.Page, errs web.Errors, msg string) {
	p.Errors, p.Error = errs, msg
	if m := errs[""]; m != "" {
		p.Error = m
	}
}
