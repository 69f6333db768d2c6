package console

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/samlsp"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// Prefix is where the console is mounted on the center's listener.
const Prefix = "/console"

// Console roles.
const (
	RoleAdmin    = "admin"
	RoleReadOnly = "read-only"
)

// Settings say who may use the console: the active members of the admin
// group (SCIM group id) and of the read-only group.
type Settings struct {
	AdminGroupID    string
	ReadOnlyGroupID string
	Updated         time.Time
}

// SettingsStore keeps the console's settings; internal/store/centerdb
// implements it.
type SettingsStore interface {
	// ConsoleSettings returns the settings, empty when none were stored.
	ConsoleSettings(ctx context.Context) (*Settings, error)
	PutConsoleSettings(ctx context.Context, s *Settings) error
}

// Store is the center's identity and access model.
type Store interface {
	center.Store
	center.AccessStore
}

// Handler serves the console. Its fields are its dependencies.
type Handler struct {
	Store    Store
	Settings SettingsStore
	SP       *samlsp.SP
	Logger   *slog.Logger
	Now      func() time.Time
	// Alerts, if set, lists emergency-access alerts on the settings page
	// for admins to acknowledge.
	Alerts AlertStore
	// OnAssignmentRemoved, if set, is called after an assignment was
	// deleted, so that sessions relying on it end at once.
	OnAssignmentRemoved func(ctx context.Context, principalType center.PrincipalType, principalID string)
}

// maxFormBytes bounds a form body: IdP metadata may be 75,000 characters.
const maxFormBytes = 1 << 20

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
	get("/settings", h.settings)
	post("/settings/identity-source", h.uploadMetadata)
	post("/settings/tokens", h.createToken)
	post("/settings/tokens/{id}/revoke", h.revokeToken)
	post("/settings/admins", h.saveAdmins)
	post("/settings/alerts/{id}/ack", h.ackAlert)
	get("/users", h.users)
	get("/groups", h.groups)
	get("/permission-sets", h.permissionSets)
	post("/permission-sets", h.createPermissionSet)
	get("/accounts", h.accounts)
	post("/accounts", h.createAccount)
	get("/assignments", h.assignments)
	get("/assignments/new", h.assignWizard)
	post("/assignments", h.createAssignments)
	post("/assignments/delete", h.deleteAssignment)
	get("/access-graph", h.accessGraph)
	post("/settings/tokens/{id}/rotate", h.rotateToken)
	h.mountObjects(get, post)
}

// access is the signed-in admin of a request.
type access struct {
	s    *samlsp.Session
	u    *scim.User
	role string
	csrf string
}

func (a *access) canChange() bool { return a.role == RoleAdmin }

// csrfToken derives the CSRF token of a portal session from its cookie
// secret, exactly as the access portal does, so that the console's forms
// and the portal's sign-out share it.
func csrfToken(cookie string) string {
	h := sha256.Sum256([]byte("gatehouse portal csrf v1\x00" + cookie))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// guard requires a portal session whose user is an active member of the
// admin or read-only group; for writes, the admin role and the CSRF token.
//
//  1. No session: a GET starts an SP-initiated sign-in that comes back to
//     the page (RelayState); a POST is refused.
//  2. The session's user must still be provisioned and active.
//  3. The role comes from group membership in the center's identity store.
//  4. Writes: admin role, then the CSRF token in constant time.
func (h *Handler) guard(write bool, fn func(http.ResponseWriter, *http.Request, *access)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if write {
			if err := web.ReadForm(w, r, maxFormBytes); err != nil {
				h.deny(w, http.StatusBadRequest, "The form could not be read.")
				return
			}
		}
		// 1.
		se, err := h.SP.CurrentSession(r)
		if errors.Is(err, samlsp.ErrNotFound) {
			if write {
				h.deny(w, http.StatusForbidden, "Your session has ended. Sign in again at the console.")
				return
			}
			relay := r.URL.RequestURI()
			if len(relay) > 80 {
				relay = r.URL.Path
			}
			if len(relay) > 80 {
				relay = Prefix
			}
			h.SP.Begin(w, r, relay)
			return
		}
		if err != nil {
			h.fail(w, r, "portal session", err)
			return
		}
		c, _ := r.Cookie(samlsp.CookieName)
		// 2.
		u, err := h.Store.GetUser(r.Context(), se.UserID)
		if errors.Is(err, center.ErrNotFound) || err == nil && !bool(u.Active) {
			h.deny(w, http.StatusForbidden, "Your account is no longer active in the identity store.")
			return
		}
		if err != nil {
			h.fail(w, r, "read user", err)
			return
		}
		// 3.
		role, err := h.role(r.Context(), u.ID)
		if err != nil {
			h.fail(w, r, "console role", err)
			return
		}
		if role == "" {
			h.log().Warn("center console: refused, not in an admin group", "user", u.UserName)
			h.deny(w, http.StatusForbidden, "Your account ("+u.UserName+") is not a member of the center's admin group or read-only group, so it has no access to the center console. Ask an administrator to add you to the group.")
			return
		}
		a := &access{s: se, u: u, role: role, csrf: csrfToken(c.Value)}
		// 4.
		if write {
			if !a.canChange() {
				h.log().Warn("center console: refused a change by a read-only admin", "user", u.UserName, "path", r.URL.Path)
				h.deny(w, http.StatusForbidden, "Your console role is read-only: you can view, not change.")
				return
			}
			got := r.PostFormValue("csrf")
			if len(got) != len(a.csrf) || subtle.ConstantTimeCompare([]byte(got), []byte(a.csrf)) != 1 {
				h.log().Warn("center console: CSRF token missing or wrong", "user", u.UserName, "path", r.URL.Path)
				h.deny(w, http.StatusForbidden, "This form has expired. Reload the page and try again.")
				return
			}
		}
		fn(w, r, a)
	})
}

// role is the user's console role from its group memberships: admin wins
// over read-only; "" is none.
func (h *Handler) role(ctx context.Context, userID string) (string, error) {
	st, err := h.Settings.ConsoleSettings(ctx)
	if err != nil {
		return "", err
	}
	if st.AdminGroupID == "" && st.ReadOnlyGroupID == "" {
		return "", nil
	}
	groups, err := h.userGroups(ctx, userID)
	if err != nil {
		return "", err
	}
	role := ""
	for _, g := range groups {
		switch g.ID {
		case st.AdminGroupID:
			return RoleAdmin, nil
		case st.ReadOnlyGroupID:
			role = RoleReadOnly
		}
	}
	return role, nil
}

// userGroups returns the groups the user is a member of.
func (h *Handler) userGroups(ctx context.Context, userID string) ([]*scim.Group, error) {
	var out []*scim.Group
	q := center.Query{Match: []center.Match{{Attr: center.AttrMembers, Value: userID}}, Count: 100}
	for {
		p, err := h.Store.ListGroups(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Groups...)
		if p.Next == 0 {
			break
		}
		q.After = p.Next
	}
	return out, nil
}

func (h *Handler) allUsers(ctx context.Context) ([]*scim.User, error) {
	var out []*scim.User
	q := center.Query{Count: 100}
	for {
		p, err := h.Store.ListUsers(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Users...)
		if p.Next == 0 {
			break
		}
		q.After = p.Next
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].UserName) < strings.ToLower(out[j].UserName) })
	return out, nil
}

func (h *Handler) allGroups(ctx context.Context) ([]*scim.Group, error) {
	var out []*scim.Group
	q := center.Query{Count: 100}
	for {
		p, err := h.Store.ListGroups(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Groups...)
		if p.Next == 0 {
			break
		}
		q.After = p.Next
	}
	sort.Slice(out, func(i, j int) bool {
		return strings.ToLower(out[i].DisplayName) < strings.ToLower(out[j].DisplayName)
	})
	return out, nil
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
<title>Access denied · Gatehouse</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/console/static/console.css"></head>
<body><main id="main"><h1>Access denied</h1><p class="error" role="alert">{{.}}</p>
<p><a href="/console">Center console</a> · <a href="/start">AWS access portal</a></p></main></body></html>`))

func (h *Handler) deny(w http.ResponseWriter, status int, msg string) {
	web.Secure(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	denyPage.Execute(w, msg)
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log().Error("center console: "+what, "path", r.URL.Path, "err", err)
	h.deny(w, http.StatusInternalServerError, "Something went wrong. Please try again.")
}

var nav = []web.NavItem{
	{Label: "Overview", Href: Prefix},
	{Label: "Settings", Href: Prefix + "/settings"},
	{Label: "Users", Href: Prefix + "/users"},
	{Label: "Groups", Href: Prefix + "/groups"},
	{Label: "Permission sets", Href: Prefix + "/permission-sets"},
	{Label: "AWS accounts", Href: Prefix + "/accounts"},
	{Label: "Assignments", Href: Prefix + "/assignments"},
	{Label: "Access graph", Href: Prefix + "/access-graph"},
}

// flashes are the fixed messages a redirect after a change may name.
var flashes = map[string]string{
	"metadata":        "The identity provider's metadata was saved: sign-in now goes to it.",
	"revoked":         "The SCIM access token was revoked.",
	"admins":          "The console's admin groups were saved.",
	"acknowledged":    "The emergency-access alert was acknowledged.",
	"ps-created":      "The permission set was created.",
	"account":         "The account was added.",
	"assigned":        "The assignments were created.",
	"unassigned":      "The assignment was removed.",
	"ps-saved":        "The permission set was saved.",
	"ps-deleted":      "The permission set was deleted.",
	"account-saved":   "The account was saved.",
	"account-removed": "The account and its assignments were removed.",
}

func (h *Handler) page(r *http.Request, a *access, title, current string, data any) *web.Page {
	name := a.u.UserName
	return &web.Page{
		Console: "Center console", Static: Prefix + "/static/", Title: title, Nav: nav, Current: current,
		User: name, Role: a.role, CSRF: a.csrf, CanChange: a.canChange(), Logout: "/start/logout",
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

// formErrorStatus is the status of a form shown again with its errors:
// 200, as the directory console does, since a browser logs any 4xx
// document as a failed load in its console.
const formErrorStatus = http.StatusOK

// --- overview ---

type overviewData struct {
	Users, Groups, PermissionSets, Accounts, Assignments int
	Source, IdPEntityID                                  string
}

func (h *Handler) overview(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	var d overviewData
	users, err := h.allUsers(ctx)
	if err != nil {
		h.fail(w, r, "list users", err)
		return
	}
	groups, err := h.allGroups(ctx)
	if err != nil {
		h.fail(w, r, "list groups", err)
		return
	}
	sets, err := h.Store.ListPermissionSets(ctx)
	if err != nil {
		h.fail(w, r, "list permission sets", err)
		return
	}
	accts, err := h.Store.ListAccounts(ctx)
	if err != nil {
		h.fail(w, r, "list accounts", err)
		return
	}
	rows, err := h.assignmentRows(ctx, accts, sets)
	if err != nil {
		h.fail(w, r, "list assignments", err)
		return
	}
	d.Users, d.Groups, d.PermissionSets, d.Accounts, d.Assignments = len(users), len(groups), len(sets), len(accts), len(rows)
	src, idp, err := h.SP.IdentitySource(ctx)
	if err != nil {
		h.fail(w, r, "identity source", err)
		return
	}
	d.Source = src
	if idp != nil {
		d.IdPEntityID = idp.EntityID
	}
	h.render(w, "overview", http.StatusOK, h.page(r, a, "Overview", Prefix, d))
}
