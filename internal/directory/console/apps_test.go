package console_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/console"
	"github.com/gatehouse-id/gatehouse/internal/directory/samlidp"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
)

// --- app fixtures, written straight to the store ---

func (e *env) app(name, template string) *directory.App {
	e.t.Helper()
	a := &directory.App{ID: directorydb.NewID(), DisplayName: name, Template: template,
		Created: time.Now().UTC().Truncate(time.Millisecond)}
	if err := e.st.CreateApp(context.Background(), a); err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) assign(appID, principalID string) {
	e.t.Helper()
	if err := e.st.Assign(context.Background(), &directory.Assignment{ID: directorydb.NewID(), AppID: appID,
		PrincipalID: principalID, Created: time.Now()}); err != nil {
		e.t.Fatal(err)
	}
}

// assigned lists the principal ids assigned to the app.
func (e *env) assigned(appID string) []string {
	e.t.Helper()
	as, err := e.st.Assignments(context.Background(), appID)
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for _, a := range as {
		ids = append(ids, a.PrincipalID)
	}
	slices.Sort(ids)
	return ids
}

func (e *env) appCount() int {
	e.t.Helper()
	apps, err := e.st.ListApps(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return len(apps)
}

// samlApp configures SAML single sign-on for the app, as the demo does.
func (e *env) samlApp(appID, entityID string) *samlidp.Config {
	e.t.Helper()
	c, err := e.idp.Configure(context.Background(), &samlidp.Config{AppID: appID, EntityID: entityID,
		ACSURLs: []string{"https://sp.example/saml/acs"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func TestAdminCreatesAppFromTemplate(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	b := e.signIn("admin@gatehouse.example")

	want(t, e.get(b, "/console/apps"), http.StatusOK, "0 applications", `href="/console/apps/new"`,
		`<a href="/console/apps" aria-current="page">Enterprise apps</a>`)
	page := e.get(b, "/console/apps/new")
	want(t, page, http.StatusOK, `value="aws-iam-identity-center"`, "AWS IAM Identity Center", `value="saml"`,
		"Custom SAML application")
	for tmpl, name := range map[string]string{"aws-iam-identity-center": "AWS IAM Identity Center", "saml": "Payroll"} {
		r := e.post(b, "/console/apps/new", url.Values{"csrf": {e.csrfIn(page.Body)}, "displayName": {" " + name + " "},
			"template": {tmpl}})
		apps, err := e.st.ListApps(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(apps, func(a *directory.App) bool { return a.DisplayName == name })
		if i < 0 || apps[i].Template != tmpl {
			t.Fatalf("%s: stored apps %+v", name, apps)
		}
		wantRedirect(t, r, "/console/apps/"+apps[i].ID+"?done=app-created")
		want(t, e.get(b, r.Location), http.StatusOK, "The application was created", `<dd id="app-name">`+name+`</dd>`,
			`href="/console/apps/`+apps[i].ID+`/saml"`, `href="/console/apps/`+apps[i].ID+`/provisioning"`)
	}
	// The list and the overview name both, linked to their pages.
	list := e.get(b, "/console/apps")
	want(t, list, http.StatusOK, "2 applications", "<td>AWS IAM Identity Center</td>", "<td>Custom SAML application</td>",
		"not configured", "NotConfigured")
	over := e.get(b, "/console")
	for _, a := range []string{"AWS IAM Identity Center", "Payroll"} {
		if !strings.Contains(list.Body, `">`+a+`</a></td>`) || !strings.Contains(over.Body, `">`+a+`</a></td>`) {
			t.Errorf("%s is not linked to its page from the list and the overview", a)
		}
	}
}

func TestCreateAppRefusesBadForm(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	e.app("Payroll", "saml")
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)
	for _, tc := range []struct{ name, tmpl, field, msg string }{
		{"  ", "saml", "displayName", "Enter a name for the application."},
		{"payroll", "saml", "displayName", "Another application already has this name."},
		{strings.Repeat("x", 257), "saml", "displayName", "The name is longer than 256 characters."},
		{"Tab\there", "saml", "displayName", "The name contains control characters."},
		{"Wiki", "oidc", "template", "Choose one of the templates."},
	} {
		r := e.post(b, "/console/apps/new", url.Values{"csrf": {csrf}, "displayName": {tc.name}, "template": {tc.tmpl}})
		want(t, r, http.StatusOK, "The application was not created")
		if got := fieldError(r.Body, tc.field); got != tc.msg {
			t.Errorf("%q/%q: message next to %s = %q, want %q", tc.name, tc.tmpl, tc.field, got, tc.msg)
		}
		if n := e.appCount(); n != 1 {
			t.Fatalf("%d apps after a refused form", n)
		}
	}
}

func TestAppUsersAndGroups(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	dev := e.user("dev@gatehouse.example", false)
	g := e.group("Finance")
	app := e.app("Payroll", "saml")
	other := e.app("Wiki", "saml")
	e.assign(other.ID, dev.ID)
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)
	path := "/console/apps/" + app.ID + "/users"

	want(t, e.get(b, path), http.StatusOK, "Nobody is assigned.", `action="`+path+`/add"`)
	wantRedirect(t, e.post(b, path+"/add", url.Values{"csrf": {csrf}, "principal": {"DEV@gatehouse.example"}}), path+"?done=assigned")
	wantRedirect(t, e.post(b, path+"/add", url.Values{"csrf": {csrf}, "principal": {"Finance"}}), path+"?done=assigned")
	wantIDs := []string{dev.ID, g.ID}
	slices.Sort(wantIDs)
	if got := e.assigned(app.ID); !slices.Equal(got, wantIDs) {
		t.Fatalf("assigned %v, want %v", got, wantIDs)
	}
	want(t, e.get(b, path), http.StatusOK, "2 assigned", `<a href="/console/users/`+dev.ID+`">`,
		`<a href="/console/groups/`+g.ID+`">Finance</a>`)

	for _, tc := range []struct{ principal, msg string }{
		{"", "Enter a user principal name or a group name."},
		{"nobody@gatehouse.example", "No user has this user principal name and no group has this name."},
		{"Finance", "This user or group is already assigned to the application."},
	} {
		r := e.post(b, path+"/add", url.Values{"csrf": {csrf}, "principal": {tc.principal}})
		want(t, r, http.StatusOK, "Nobody was assigned")
		if got := fieldError(r.Body, "principal"); got != tc.msg {
			t.Errorf("%q: message %q, want %q", tc.principal, got, tc.msg)
		}
		if got := e.assigned(app.ID); !slices.Equal(got, wantIDs) {
			t.Fatalf("assigned after refused %q: %v", tc.principal, got)
		}
	}

	// Another app's assignment cannot be removed through this app's URL.
	theirs, err := e.st.Assignments(context.Background(), other.ID)
	if err != nil {
		t.Fatal(err)
	}
	want(t, e.post(b, path+"/remove", url.Values{"csrf": {csrf}, "assignment": {theirs[0].ID}}), http.StatusNotFound)
	if got := e.assigned(other.ID); len(got) != 1 {
		t.Fatalf("the other app's assignments: %v", got)
	}
	mine, err := e.st.AssignmentsOf(context.Background(), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, e.post(b, path+"/remove", url.Values{"csrf": {csrf}, "assignment": {mine[0].ID}}), path+"?done=unassigned")
	if got := e.assigned(app.ID); !slices.Equal(got, []string{dev.ID}) {
		t.Fatalf("assigned after remove: %v", got)
	}
}

func TestAdminDeletesApp(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	dev := e.user("dev@gatehouse.example", false)
	app := e.app("AWS IAM Identity Center", provisioning.TemplateAWS)
	e.assign(app.ID, dev.ID)
	e.samlApp(app.ID, "https://sp.example/saml")
	if _, err := e.engine.Configure(ctx, app.ID, provisioning.DefaultSettings("https://scim.example/scim/v2"), "token"); err != nil {
		t.Fatal(err)
	}
	if err := e.engine.SetEnabled(ctx, app.ID, true); err != nil {
		t.Fatal(err)
	}
	b := e.signIn("admin@gatehouse.example")
	path := "/console/apps/" + app.ID + "/delete"

	want(t, e.get(b, "/console/apps/"+app.ID), http.StatusOK, `href="`+path+`"`)
	page := e.get(b, path)
	want(t, page, http.StatusOK, "Are you sure?", "its assignments (1 users, 0 groups)", "1 signing certificates",
		"its provisioning (Active) and its settings, stopped first")
	csrf := e.csrfIn(page.Body)

	for _, typed := range []string{"", "aws iam identity center", "Payroll"} {
		r := e.post(b, path, url.Values{"csrf": {csrf}, "confirmName": {typed}})
		want(t, r, http.StatusOK, "The application was not deleted.")
		if got := fieldError(r.Body, "confirmName"); got != "Type the application's name exactly as shown to confirm." {
			t.Errorf("%q: message %q", typed, got)
		}
		if _, err := e.st.GetApp(ctx, app.ID); err != nil {
			t.Fatalf("refused confirmation %q: the app is gone: %v", typed, err)
		}
	}

	wantRedirect(t, e.post(b, path, url.Values{"csrf": {csrf}, "confirmName": {" AWS IAM Identity Center "}}),
		"/console/apps?done=app-deleted")
	if _, err := e.st.GetApp(ctx, app.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("GetApp after delete: %v", err)
	}
	if as, err := e.st.AssignmentsOf(ctx, dev.ID); err != nil || len(as) != 0 {
		t.Errorf("the user's assignments after delete: %v %v", as, err)
	}
	if _, err := e.idp.Config(ctx, app.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("SAML configuration after delete: %v", err)
	}
	if certs, err := e.idp.Certificates(ctx, app.ID); err != nil || len(certs) != 0 {
		t.Errorf("certificates after delete: %d %v", len(certs), err)
	}
	// Provisioning stopped before the assignments went, so the target keeps
	// its users instead of a cycle deprovisioning them all; then the job
	// went with the app.
	if j, err := e.engine.Store.GetJob(ctx, app.ID); !errors.Is(err, provisioning.ErrNotFound) {
		t.Errorf("provisioning job after delete: %+v %v", j, err)
	}
	want(t, e.get(b, "/console/apps?done=app-deleted"), http.StatusOK, "The application was deleted", "0 applications")
	want(t, e.get(b, "/console/apps/"+app.ID), http.StatusNotFound)
	want(t, e.post(b, path, url.Values{"csrf": {csrf}, "confirmName": {"AWS IAM Identity Center"}}), http.StatusNotFound)
}

// writeCase is one console write, for the read-only and CSRF tests: the
// form it posts and how to tell that nothing changed.
type writeCase struct {
	name, path string
	form       url.Values
}

// appWrites are the writes of the enterprise apps, single sign-on and
// group pages, each with a form that would succeed for an admin.
func appWrites(e *env) (app *directory.App, cases []writeCase, unchanged func(t *testing.T)) {
	ctx := context.Background()
	dev := e.user("dev@gatehouse.example", false)
	g := e.group("Finance")
	app = e.app("Payroll", "saml")
	e.assign(app.ID, dev.ID)
	cfg := e.samlApp(app.ID, "https://payroll.example/saml")
	cert, err := e.idp.NewCertificate(ctx, app.ID, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	as, _ := e.st.Assignments(ctx, app.ID)
	base := "/console/apps/" + app.ID
	cases = []writeCase{
		{"create app", "/console/apps/new", url.Values{"displayName": {"Wiki"}, "template": {"saml"}}},
		{"delete app", base + "/delete", url.Values{"confirmName": {"Payroll"}}},
		{"assign", base + "/users/add", url.Values{"principal": {"Finance"}}},
		{"unassign", base + "/users/remove", url.Values{"assignment": {as[0].ID}}},
		{"save SAML", base + "/saml", url.Values{"entityId": {"https://other.example"}, "acsUrls": {"https://other.example/acs"},
			"nameIdFormat": {samlidp.NameIDEmail}, "nameIdSource": {"mail"}, "signing": {samlidp.SignBoth},
			"signatureAlgorithm": {samlidp.RSASHA256}}},
		{"SP metadata", base + "/saml/metadata", url.Values{"metadataText": {spMetadata("https://other.example", "")}}},
		{"save claim", base + "/saml/claims", url.Values{"claimKind": {"custom"}, "claimName": {"dept"}, "claimSource": {"department"}}},
		{"remove claim", base + "/saml/claims/remove", url.Values{"claim": {cfg.Claims[0].Name}}},
		{"reset claims", base + "/saml/claims/reset", url.Values{}},
		{"AWS roles", base + "/saml/claims/aws-roles", url.Values{"awsRoles": {awsRole}}},
		{"new certificate", base + "/saml/certificates", url.Values{"certYears": {"1"}}},
		{"activate certificate", base + "/saml/certificates/activate", url.Values{"cert": {cert.ID}}},
		{"remove certificate", base + "/saml/certificates/remove", url.Values{"cert": {cert.ID}}},
		{"create group", "/console/groups/new", url.Values{"displayName": {"Auditors"}}},
		{"delete group", "/console/groups/" + g.ID + "/delete", url.Values{"confirmName": {"Finance"}}},
	}
	return app, cases, func(t *testing.T) {
		t.Helper()
		if n := e.appCount(); n != 1 {
			t.Errorf("%d apps", n)
		}
		if got := e.assigned(app.ID); !slices.Equal(got, []string{dev.ID}) {
			t.Errorf("assigned %v", got)
		}
		now, err := e.idp.Config(ctx, app.ID)
		if err != nil || now.EntityID != cfg.EntityID || len(now.Claims) != len(cfg.Claims) || !now.Updated.Equal(cfg.Updated) {
			t.Errorf("SAML configuration changed: %+v %v", now, err)
		}
		if certs, err := e.idp.Certificates(ctx, app.ID); err != nil || len(certs) != 2 || !certs[0].Active || certs[0].ID == cert.ID {
			t.Errorf("certificates changed: %v", err)
		}
		if gs, err := e.st.ListGroups(ctx, directory.GroupQuery{Limit: 100}); err != nil || len(gs) != 1 {
			t.Errorf("groups changed: %d %v", len(gs), err)
		}
	}
}

func TestAppWritesRefusedToReadOnly(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("auditor@gatehouse.example", console.RoleReadOnly)
	app, cases, unchanged := appWrites(e)
	b := e.signIn("auditor@gatehouse.example")

	// The pages show, without their forms.
	for _, p := range []string{"/console/apps", "/console/apps/" + app.ID, "/console/apps/" + app.ID + "/users",
		"/console/apps/" + app.ID + "/saml", "/console/groups"} {
		r := e.get(b, p)
		want(t, r, http.StatusOK)
		if strings.Contains(r.Body, `<form method="post" action="/console/apps`) ||
			strings.Contains(r.Body, `<form class="inline" method="post" action="/console/apps`) ||
			strings.Contains(r.Body, `href="/console/apps/new"`) || strings.Contains(r.Body, `href="/console/groups/new"`) ||
			strings.Contains(r.Body, "/delete") {
			t.Errorf("%s offers a read-only admin a change:\n%s", p, r.Body)
		}
	}
	for _, p := range []string{"/console/apps/new", "/console/apps/" + app.ID + "/delete", "/console/groups/new"} {
		want(t, e.get(b, p), http.StatusForbidden, msgReadOnly)
	}
	csrf := e.consoleCSRF(b)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.form.Set("csrf", csrf)
			want(t, e.post(b, c.path, c.form), http.StatusForbidden, msgReadOnly)
		})
	}
	unchanged(t)
}

func TestAppWritesNeedCSRF(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	_, cases, unchanged := appWrites(e)
	b := e.signIn("admin@gatehouse.example")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want(t, e.post(b, c.path, c.form), http.StatusForbidden, msgFormExpired)
			c.form.Set("csrf", strings.Repeat("A", 43))
			want(t, e.post(b, c.path, c.form), http.StatusForbidden, msgFormExpired)
		})
	}
	unchanged(t)
}

func TestUnknownAppIsNotFound(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)
	for _, p := range []string{"/console/apps/nope", "/console/apps/nope/users", "/console/apps/nope/saml",
		"/console/apps/nope/delete", "/console/apps/nope/saml/certificates/x"} {
		want(t, e.get(b, p), http.StatusNotFound, "There is no such object.")
	}
	want(t, e.post(b, "/console/apps/nope/users/add", url.Values{"csrf": {csrf}, "principal": {"x"}}), http.StatusNotFound)
	want(t, e.post(b, "/console/apps/nope/saml/certificates", url.Values{"csrf": {csrf}, "certYears": {"1"}}), http.StatusNotFound)
}
