package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// Enterprise applications (Entra's "Enterprise applications" blade): the
// list, a new app from a template, each app's overview with its properties
// and delete (confirmed by typing the app's name), and "Users and groups",
// the app's assignments. Single sign-on is saml.go; provisioning is
// provisioning.go.

// templateCustomSAML is the template of a non-gallery SAML app (Entra's
// "Create your own application"); the SAML benchmark and the IdP's tests
// create their apps with the same value.
const templateCustomSAML = "saml"

// appTemplate is what /console/apps/new offers.
type appTemplate struct{ ID, Label, Description string }

var appTemplates = []appTemplate{
	{provisioning.TemplateAWS, "AWS IAM Identity Center",
		"SAML single sign-on and SCIM provisioning into AWS IAM Identity Center, as Entra's gallery app."},
	{templateCustomSAML, "Custom SAML application",
		"Any SAML 2.0 service provider: configure it from its metadata or by hand."},
}

// templateLabel names a template; unknown ones (an app made through
// another path) show as they are stored.
func templateLabel(id string) string {
	for _, t := range appTemplates {
		if t.ID == id {
			return t.Label
		}
	}
	return id
}

// maxAppName bounds an app's display name, as Entra's displayName of a
// service principal (256 characters).
const maxAppName = 256

func (h *Handler) mountApps(get, post func(string, func(http.ResponseWriter, *http.Request, *access))) {
	get("/apps", h.apps)
	get("/apps/new", h.newApp)
	post("/apps/new", h.createApp)
	get("/apps/{id}", h.app)
	get("/apps/{id}/delete", h.confirmDeleteApp)
	post("/apps/{id}/delete", h.deleteApp)
	get("/apps/{id}/users", h.appUsers)
	post("/apps/{id}/users/add", h.assign)
	post("/apps/{id}/users/remove", h.unassign)
	if h.IdP != nil {
		h.mountSAML(get, post)
	}
}

// mayChange refuses a read-only admin a page that exists only to change
// something (a form page reached by GET).
func (h *Handler) mayChange(w http.ResponseWriter, a *access) bool {
	if !a.canChange() {
		h.deny(w, http.StatusForbidden, "Your console role is read-only: you can view, not change.")
		return false
	}
	return true
}

// provisioningStatus is the app's provisioning state as the overview and
// the apps list show it.
func (h *Handler) provisioningStatus(ctx context.Context, appID string) string {
	if h.Engine != nil {
		if st, err := h.Engine.Status(ctx, appID); err == nil {
			return st.Status
		}
	}
	return provisioning.StatusNotConfigured
}

// appTabs is the app pages' own navigation; Tab is the current one.
type appTabs struct {
	App       *directory.App
	Tab       string
	SSO, Prov bool
}

func (h *Handler) tabs(app *directory.App, tab string) appTabs {
	return appTabs{App: app, Tab: tab, SSO: h.IdP != nil, Prov: h.Engine != nil}
}

// appTabsTemplate is the tabs partial, included by every app page's
// source (each page is parsed on its own, so each carries it).
const appTabsTemplate = `{{define "apptabs"}}<nav class="tabs" aria-label="Application"><ul>
<li><a href="/console/apps/{{.App.ID}}"{{if eq .Tab "overview"}} aria-current="page"{{end}}>Overview</a></li>
<li><a href="/console/apps/{{.App.ID}}/users"{{if eq .Tab "users"}} aria-current="page"{{end}}>Users and groups</a></li>
{{if .SSO}}<li><a href="/console/apps/{{.App.ID}}/saml"{{if eq .Tab "saml"}} aria-current="page"{{end}}>Single sign-on</a></li>{{end}}
{{if .Prov}}<li><a href="/console/apps/{{.App.ID}}/provisioning"{{if eq .Tab "provisioning"}} aria-current="page"{{end}}>Provisioning</a></li>{{end}}
</ul></nav>{{end}}`

// loadApp reads the app named by the path, answering 404 itself.
func (h *Handler) loadApp(w http.ResponseWriter, r *http.Request) (*directory.App, bool) {
	app, err := h.Store.GetApp(r.Context(), r.PathValue("id"))
	if !h.found(w, r, err, "read app") {
		return nil, false
	}
	return app, true
}

// --- the list ---

type appListRow struct {
	App           *directory.App
	Template      string
	SSO           bool // a SAML configuration exists
	EntityID      string
	CertWarning   bool // a certificate expires within samlidp.ExpiryWarning
	Assignments   int
	Provisioning  string
	ProvisionLink bool
}

type appsData struct {
	Apps []appListRow
	SSO  bool
}

func (h *Handler) apps(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	apps, err := h.Store.ListApps(ctx)
	if err != nil {
		h.fail(w, r, "list apps", err)
		return
	}
	expiring := map[string]bool{}
	if h.IdP != nil {
		certs, err := h.IdP.ExpiringCertificates(ctx, 0)
		if err != nil {
			h.fail(w, r, "expiring certificates", err)
			return
		}
		for _, c := range certs {
			expiring[c.AppID] = true
		}
	}
	d := appsData{SSO: h.IdP != nil}
	for _, app := range apps {
		as, err := h.Store.Assignments(ctx, app.ID)
		if err != nil {
			h.fail(w, r, "list assignments", err)
			return
		}
		row := appListRow{App: app, Template: templateLabel(app.Template), Assignments: len(as),
			CertWarning: expiring[app.ID], Provisioning: h.provisioningStatus(ctx, app.ID), ProvisionLink: h.Engine != nil}
		if h.IdP != nil {
			cfg, err := h.IdP.Config(ctx, app.ID)
			switch {
			case err == nil:
				row.SSO, row.EntityID = true, cfg.EntityID
			case !errors.Is(err, directory.ErrNotFound):
				h.fail(w, r, "read SAML configuration", err)
				return
			}
		}
		d.Apps = append(d.Apps, row)
	}
	h.render(w, "apps", http.StatusOK, h.page(r, a, "Enterprise applications", Prefix+"/apps", d))
}

// --- a new app ---

type newAppData struct{ Templates []appTemplate }

func (h *Handler) newApp(w http.ResponseWriter, r *http.Request, a *access) {
	if !h.mayChange(w, a) {
		return
	}
	p := h.page(r, a, "New application", Prefix+"/apps", newAppData{Templates: appTemplates})
	p.Form["template"] = r.URL.Query().Get("template")
	if p.Form["template"] == "" {
		p.Form["template"] = provisioning.TemplateAWS
	}
	h.render(w, "newapp", http.StatusOK, p)
}

func (h *Handler) createApp(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	f := formValues(r, "displayName", "template")
	errs := web.Errors{}
	switch n := utf8.RuneCountInString(f["displayName"]); {
	case n == 0:
		errs.Add("displayName", "Enter a name for the application.")
	case n > maxAppName:
		errs.Add("displayName", "The name is longer than 256 characters.")
	case strings.ContainsFunc(f["displayName"], func(c rune) bool { return c < ' ' || c == 0x7f }):
		errs.Add("displayName", "The name contains control characters.")
	}
	if !slices.ContainsFunc(appTemplates, func(t appTemplate) bool { return t.ID == f["template"] }) {
		errs.Add("template", "Choose one of the templates.")
	}
	apps, err := h.Store.ListApps(ctx)
	if err != nil {
		h.fail(w, r, "list apps", err)
		return
	}
	// Entra allows two apps of one name, but `gatehouse provisioning` and
	// the demo find an app by its name, so here a name is unique.
	if slices.ContainsFunc(apps, func(x *directory.App) bool { return strings.EqualFold(x.DisplayName, f["displayName"]) }) {
		errs.Add("displayName", "Another application already has this name.")
	}
	if errs.Has() {
		p := h.page(r, a, "New application", Prefix+"/apps", newAppData{Templates: appTemplates})
		p.Form, p.Errors = f, errs
		p.Error = "The application was not created: correct the fields marked below."
		h.render(w, "newapp", formErrorStatus, p)
		return
	}
	app := &directory.App{ID: newID(), DisplayName: f["displayName"], Template: f["template"],
		Created: h.now().UTC().Truncate(time.Millisecond)}
	if err := h.Store.CreateApp(ctx, app); err != nil {
		h.fail(w, r, "create app", err)
		return
	}
	h.log().Info("console: app created", "admin", a.u.UserPrincipalName, "app", app.ID, "name", app.DisplayName,
		"template", app.Template)
	redirect(w, r, Prefix+"/apps/"+app.ID, "app-created")
}

// --- the overview ---

type appData struct {
	Tabs         appTabs
	App          *directory.App
	Template     string
	Users        int
	Groups       int
	SSO          bool
	EntityID     string
	Certificates int
	Provisioning string
}

func (h *Handler) loadAppData(w http.ResponseWriter, r *http.Request, tab string) (*appData, bool) {
	app, ok := h.loadApp(w, r)
	if !ok {
		return nil, false
	}
	ctx := r.Context()
	d := &appData{Tabs: h.tabs(app, tab), App: app, Template: templateLabel(app.Template),
		Provisioning: h.provisioningStatus(ctx, app.ID)}
	as, err := h.Store.Assignments(ctx, app.ID)
	if err != nil {
		h.fail(w, r, "list assignments", err)
		return nil, false
	}
	for _, as := range as {
		if as.PrincipalKind == directory.KindGroup {
			d.Groups++
		} else {
			d.Users++
		}
	}
	if h.IdP != nil {
		cfg, err := h.IdP.Config(ctx, app.ID)
		switch {
		case err == nil:
			d.SSO, d.EntityID = true, cfg.EntityID
		case !errors.Is(err, directory.ErrNotFound):
			h.fail(w, r, "read SAML configuration", err)
			return nil, false
		}
		certs, err := h.IdP.Certificates(ctx, app.ID)
		if err != nil {
			h.fail(w, r, "list certificates", err)
			return nil, false
		}
		d.Certificates = len(certs)
	}
	return d, true
}

func (h *Handler) app(w http.ResponseWriter, r *http.Request, a *access) {
	d, ok := h.loadAppData(w, r, "overview")
	if !ok {
		return
	}
	h.render(w, "app", http.StatusOK, h.page(r, a, d.App.DisplayName, Prefix+"/apps", d))
}

// --- delete ---

func (h *Handler) confirmDeleteApp(w http.ResponseWriter, r *http.Request, a *access) {
	if !h.mayChange(w, a) {
		return
	}
	d, ok := h.loadAppData(w, r, "overview")
	if !ok {
		return
	}
	h.render(w, "deleteapp", http.StatusOK, h.page(r, a, "Delete "+d.App.DisplayName, Prefix+"/apps", d))
}

// deleteApp deletes the app once its name was typed to confirm. The store
// deletes its assignments, SAML configuration and certificates with it,
// and its provisioning job is deleted after it. Provisioning is stopped
// first: with the assignments gone, a job left
// running would take every user out of scope and deprovision them from
// the target, where Entra, deleting an app, stops its provisioning and
// leaves the target's objects as they are.
func (h *Handler) deleteApp(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	d, ok := h.loadAppData(w, r, "overview")
	if !ok {
		return
	}
	if !h.typedName(w, r, a, d.App.DisplayName, "application", "deleteapp", Prefix+"/apps", d) {
		return
	}
	if h.Engine != nil {
		if err := h.Engine.SetEnabled(ctx, d.App.ID, false); err != nil && !errors.Is(err, provisioning.ErrNotFound) {
			h.fail(w, r, "stop provisioning", err)
			return
		}
	}
	err := h.Store.DeleteApp(ctx, d.App.ID, h.now())
	if !h.found(w, r, err, "delete app") {
		return
	}
	if h.IdP != nil {
		// The store dropped the SAML configuration and certificates; the
		// IdP's copy in memory goes too, so sign-in to the app ends now.
		h.IdP.ForgetApp(d.App.ID)
	}
	if h.Engine != nil {
		// The stopped job goes with its app (its sealed token included).
		if err := h.Engine.DeleteJob(ctx, d.App.ID); err != nil && !errors.Is(err, provisioning.ErrNotFound) {
			h.fail(w, r, "delete provisioning", err)
			return
		}
	}
	h.log().Info("console: app deleted", "admin", a.u.UserPrincipalName, "app", d.App.ID, "name", d.App.DisplayName,
		"users", d.Users, "groups", d.Groups)
	redirect(w, r, Prefix+"/apps", "app-deleted")
}

// --- users and groups ---

type assignmentRow struct {
	ID, PrincipalID, Kind, Name, Detail string
	Enabled                             bool
	Created                             time.Time
}

type appUsersData struct {
	Tabs        appTabs
	App         *directory.App
	Assignments []assignmentRow
}

func (h *Handler) loadAppUsers(w http.ResponseWriter, r *http.Request) (*appUsersData, bool) {
	app, ok := h.loadApp(w, r)
	if !ok {
		return nil, false
	}
	ctx := r.Context()
	as, err := h.Store.Assignments(ctx, app.ID)
	if err != nil {
		h.fail(w, r, "list assignments", err)
		return nil, false
	}
	d := &appUsersData{Tabs: h.tabs(app, "users"), App: app}
	for _, as := range as {
		row := assignmentRow{ID: as.ID, PrincipalID: as.PrincipalID, Kind: as.PrincipalKind, Name: as.PrincipalID,
			Enabled: true, Created: as.Created}
		if as.PrincipalKind == directory.KindGroup {
			if g, err := h.Store.GetGroup(ctx, as.PrincipalID); err == nil {
				row.Name = g.DisplayName
			}
		} else if u, err := h.Store.GetUser(ctx, as.PrincipalID); err == nil {
			row.Name, row.Detail, row.Enabled = u.DisplayName, u.UserPrincipalName, u.AccountEnabled && u.Deleted == nil
		}
		d.Assignments = append(d.Assignments, row)
	}
	slices.SortFunc(d.Assignments, func(x, y assignmentRow) int {
		return strings.Compare(x.Kind+strings.ToLower(x.Name), y.Kind+strings.ToLower(y.Name))
	})
	return d, true
}

func (h *Handler) appUsers(w http.ResponseWriter, r *http.Request, a *access) {
	d, ok := h.loadAppUsers(w, r)
	if !ok {
		return
	}
	h.render(w, "appusers", http.StatusOK, h.page(r, a, "Users and groups: "+d.App.DisplayName, Prefix+"/apps", d))
}

// assign gives a user (by userPrincipalName) or a group (by name) access
// to the app in its default role, as Entra's "Add user/group".
func (h *Handler) assign(w http.ResponseWriter, r *http.Request, a *access) {
	name := strings.TrimSpace(r.PostFormValue("principal"))
	fail := func(msg string) {
		d, ok := h.loadAppUsers(w, r)
		if !ok {
			return
		}
		p := h.page(r, a, "Users and groups: "+d.App.DisplayName, Prefix+"/apps", d)
		p.Form["principal"], p.Errors = name, web.Errors{"principal": msg}
		p.Error = "Nobody was assigned: correct the field marked below."
		h.render(w, "appusers", formErrorStatus, p)
	}
	app, ok := h.loadApp(w, r)
	if !ok {
		return
	}
	id, _, msg, err := h.namedPrincipal(r, name)
	if err != nil {
		h.fail(w, r, "find principal", err)
		return
	}
	if msg != "" {
		fail(msg)
		return
	}
	err = h.Store.Assign(r.Context(), &directory.Assignment{ID: newID(), AppID: app.ID, PrincipalID: id,
		Created: h.now().UTC().Truncate(time.Millisecond)})
	switch {
	case errors.Is(err, directory.ErrConflict):
		fail("This user or group is already assigned to the application.")
		return
	case errors.Is(err, directory.ErrNotFound):
		h.notFound(w)
		return
	case err != nil:
		h.fail(w, r, "assign", err)
		return
	}
	h.log().Info("console: assigned", "admin", a.u.UserPrincipalName, "app", app.ID, "principal", id)
	redirect(w, r, Prefix+"/apps/"+app.ID+"/users", "assigned")
}

// unassign removes one of the app's assignments; provisioning then takes
// the user, or the group's members, out of scope.
func (h *Handler) unassign(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	app, ok := h.loadApp(w, r)
	if !ok {
		return
	}
	as, err := h.Store.Assignments(ctx, app.ID)
	if err != nil {
		h.fail(w, r, "list assignments", err)
		return
	}
	id := r.PostFormValue("assignment")
	// Only an assignment of this app, so that the URL says what changes.
	if !slices.ContainsFunc(as, func(x *directory.Assignment) bool { return x.ID == id }) {
		h.notFound(w)
		return
	}
	if err := h.Store.Unassign(ctx, id, h.now()); err != nil && !errors.Is(err, directory.ErrNotFound) {
		h.fail(w, r, "unassign", err)
		return
	}
	h.log().Info("console: unassigned", "admin", a.u.UserPrincipalName, "app", app.ID, "assignment", id)
	redirect(w, r, Prefix+"/apps/"+app.ID+"/users", "unassigned")
}

// appPages are the enterprise apps' pages (single sign-on's are samlPages).
var appPages = map[string]string{
	"apps": `{{define "content"}}
<section class="card" aria-labelledby="h-apps"><h2 id="h-apps">{{len .Data.Apps}} applications</h2>
{{if .CanChange}}<p><a href="/console/apps/new">New application</a></p>{{end}}
<div class="table-wrap"><table id="apps"><thead><tr><th scope="col">Name</th><th scope="col">Template</th>{{if .Data.SSO}}<th scope="col">Single sign-on</th>{{end}}<th scope="col">Users and groups</th><th scope="col">Provisioning</th></tr></thead><tbody>
{{range .Data.Apps}}<tr><td><a href="/console/apps/{{.App.ID}}">{{.App.DisplayName}}</a></td><td>{{.Template}}</td>
{{if $.Data.SSO}}<td>{{if .SSO}}<a href="/console/apps/{{.App.ID}}/saml">SAML</a> <code>{{.EntityID}}</code>{{else}}<a href="/console/apps/{{.App.ID}}/saml">not configured</a>{{end}}{{if .CertWarning}} <span class="badge warn">certificate expiring</span>{{end}}</td>{{end}}
<td><a href="/console/apps/{{.App.ID}}/users">{{.Assignments}} assigned</a></td>
<td>{{if .ProvisionLink}}<a href="/console/apps/{{.App.ID}}/provisioning">{{.Provisioning}}</a>{{else}}{{.Provisioning}}{{end}}</td></tr>
{{else}}<tr><td colspan="5">No applications.</td></tr>{{end}}</tbody></table></div></section>
{{end}}`,

	"newapp": `{{define "content"}}
<section class="card" aria-labelledby="h-new"><h2 id="h-new">Application</h2>
<form method="post" action="/console/apps/new" novalidate>{{template "csrf" .}}
{{template "field" (hint "As people see it on My Apps" (required (auto "off" (field . "displayName" "Name" "text"))))}}
<fieldset class="checks"{{with index .Errors "template"}} aria-invalid="true" aria-describedby="err-template"{{end}}><legend>Template</legend>
{{range .Data.Templates}}<div><input type="radio" id="tpl-{{.ID}}" name="template" value="{{.ID}}" aria-describedby="tpl-{{.ID}}-d"{{if eq .ID (index $.Form "template")}} checked{{end}}>
<label class="inline-label" for="tpl-{{.ID}}">{{.Label}}</label><p class="muted" id="tpl-{{.ID}}-d">{{.Description}}</p></div>
{{end}}{{with index .Errors "template"}}<p class="field-error" id="err-template">{{.}}</p>{{end}}</fieldset>
<button type="submit">Create application</button></form></section>
{{end}}`,

	"app": appTabsTemplate + `{{define "content"}}{{$d := .Data}}{{template "apptabs" $d.Tabs}}
<section class="card" aria-labelledby="h-props"><h2 id="h-props">Properties</h2>
<dl class="facts"><dt>Name</dt><dd id="app-name">{{$d.App.DisplayName}}</dd>
<dt>Template</dt><dd>{{$d.Template}}</dd>
<dt>Object id</dt><dd><code>{{$d.App.ID}}</code></dd>
<dt>Created</dt><dd>{{$d.App.Created.UTC.Format "2006-01-02 15:04 MST"}}</dd>
<dt>Assigned</dt><dd><a href="/console/apps/{{$d.App.ID}}/users">{{$d.Users}} users, {{$d.Groups}} groups</a></dd>
{{if $d.Tabs.SSO}}<dt>Single sign-on</dt><dd id="app-sso">{{if $d.SSO}}SAML, identifier <code>{{$d.EntityID}}</code>, {{$d.Certificates}} certificates{{else}}not configured{{end}} · <a href="/console/apps/{{$d.App.ID}}/saml">Single sign-on</a></dd>{{end}}
{{if $d.Tabs.Prov}}<dt>Provisioning</dt><dd><a href="/console/apps/{{$d.App.ID}}/provisioning">{{$d.Provisioning}}</a></dd>{{end}}</dl>
</section>
<section class="card" aria-labelledby="h-start"><h2 id="h-start">Getting started</h2><ol>
<li><a href="/console/apps/{{$d.App.ID}}/users">Assign users and groups</a>: they, and the members of the groups, may sign in and are provisioned.</li>
{{if $d.Tabs.SSO}}<li><a href="/console/apps/{{$d.App.ID}}/saml">Set up single sign-on</a>: upload the service provider's metadata, give it this app's federation metadata.</li>{{end}}
{{if $d.Tabs.Prov}}<li><a href="/console/apps/{{$d.App.ID}}/provisioning">Provision</a> users and groups into the application over SCIM.</li>{{end}}
</ol></section>
{{if .CanChange}}<section class="card" aria-labelledby="h-del"><h2 id="h-del">Delete</h2>
<p>Deleting the application removes its assignments and single sign-on, and stops its provisioning.</p>
<p><a href="/console/apps/{{$d.App.ID}}/delete" id="delete-app">Delete this application</a></p></section>{{end}}
{{end}}`,

	"deleteapp": `{{define "content"}}{{$d := .Data}}
<section class="card" aria-labelledby="h-conf"><h2 id="h-conf">Are you sure?</h2>
<p>Deleting <strong>{{$d.App.DisplayName}}</strong> cannot be undone. With it go:</p>
<ul><li>its assignments ({{$d.Users}} users, {{$d.Groups}} groups): nobody can sign in to it any more;</li>
{{if $d.SSO}}<li>its single sign-on settings and {{$d.Certificates}} signing certificates: the service provider's sign-ins are refused;</li>{{end}}
{{if $d.Tabs.Prov}}<li>its provisioning ({{$d.Provisioning}}) and its settings, stopped first: the users and groups already in the target stay there; its logs are kept.</li>{{end}}</ul>
<form method="post" action="/console/apps/{{$d.App.ID}}/delete" novalidate>{{template "csrf" .}}
{{template "field" (hint "Type the name exactly as shown above" (required (auto "off" (field . "confirmName" "Name of the application to delete" "text"))))}}
<button type="submit" class="danger">Delete application</button></form>
<p><a href="/console/apps/{{$d.App.ID}}">Cancel</a></p></section>
{{end}}`,

	"appusers": appTabsTemplate + `{{define "content"}}{{$d := .Data}}{{template "apptabs" $d.Tabs}}
<section class="card" aria-labelledby="h-as"><h2 id="h-as">{{len $d.Assignments}} assigned</h2>
<p class="muted">Assigned users, and the members of assigned groups (nested groups included), may sign in to the application and are provisioned to it.</p>
<div class="table-wrap"><table id="assignments"><thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Detail</th><th scope="col">Assigned</th>{{if .CanChange}}<th scope="col"><span class="muted">Action</span></th>{{end}}</tr></thead><tbody>
{{range $d.Assignments}}<tr><td>{{if eq .Kind "group"}}<a href="/console/groups/{{.PrincipalID}}">{{.Name}}</a>{{else}}<a href="/console/users/{{.PrincipalID}}">{{.Name}}</a>{{end}}</td>
<td>{{.Kind}}</td><td>{{.Detail}}{{if not .Enabled}} <span class="badge off">disabled</span>{{end}}</td><td>{{.Created.UTC.Format "2006-01-02"}}</td>
{{if $.CanChange}}<td><form method="post" action="/console/apps/{{$d.App.ID}}/users/remove">{{template "csrf" $}}<input type="hidden" name="assignment" value="{{.ID}}"><button type="submit" class="secondary" aria-label="Remove {{.Name}}">Remove</button></form></td>{{end}}</tr>
{{else}}<tr><td colspan="5">Nobody is assigned.</td></tr>{{end}}</tbody></table></div>
{{if .CanChange}}<form method="post" action="/console/apps/{{$d.App.ID}}/users/add" novalidate>{{template "csrf" .}}
{{template "field" (hint "A user principal name, or the name of a group" (required (field . "principal" "Add user or group" "text")))}}
<button type="submit">Assign</button></form>{{end}}</section>
{{end}}`,
}
