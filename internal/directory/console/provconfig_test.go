package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center/scimserver/scimtest"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/console"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
)

// These tests configure provisioning through the console: admin
// credentials, Test Connection against a real center SCIM server, settings,
// scoping filters and attribute mappings, each change read back from the
// provisioning store.

// provApp creates an AWS IAM Identity Center app, not yet provisioned.
func (e *env) provApp() *directory.App {
	e.t.Helper()
	return e.app("AWS IAM Identity Center", provisioning.TemplateAWS)
}

// provAdmin starts most tests of the provisioning pages: an app to
// provision (provApp) and an admin's browser signed in to the console.
func provAdmin(t *testing.T) (*env, *directory.App, *http.Client) {
	t.Helper()
	e := newEnv(t)
	app := e.provApp()
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	return e, app, e.signIn("admin@gatehouse.example")
}

// provJob is the app's stored job.
func (e *env) provJob(appID string) *provisioning.Job {
	e.t.Helper()
	j, err := e.engine.Store.GetJob(context.Background(), appID)
	if err != nil {
		e.t.Fatalf("job of %s: %v", appID, err)
	}
	return j
}

// configured gives the app a job with the default settings.
func (e *env) configured(app *directory.App, tenantURL string) *provisioning.Job {
	e.t.Helper()
	j, err := e.engine.Configure(context.Background(), app.ID, provisioning.DefaultSettings(tenantURL), "stored-token")
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

// centerSCIM serves a real center's SCIM endpoint (AWS semantics) and
// returns its base URL and a bearer token it accepts.
func centerSCIM(t *testing.T) (base, token string) {
	t.Helper()
	s := scimtest.Start(t, nil)
	return s.URL, s.Token
}

// settingsForm is a complete, valid settings form.
func settingsForm(csrf, tenantURL, token string) url.Values {
	return url.Values{"csrf": {csrf}, "tenantUrl": {tenantURL}, "token": {token}, "scope": {"assigned"},
		"provisionGroups": {"on"}, "deletionThreshold": {"25"}, "interval": {"2h"}, "rateLimit": {"20"}, "dialect": {"aws"}}
}

func TestProvisioningCredentialsAndSettings(t *testing.T) {
	e, app, b := provAdmin(t)
	page := "/console/apps/" + app.ID + "/provisioning/settings"

	r := e.get(b, page)
	want(t, r, http.StatusOK, "Provisioning is not configured", "Admin credentials", "Test Connection", `id="f-token"`)
	csrf := e.csrfIn(r.Body)

	// A new job needs a token; every bad field has its message, and
	// nothing is stored.
	bad := settingsForm(csrf, "ftp://scim.example", "")
	bad.Set("interval", "10s")
	bad.Set("deletionThreshold", "-1")
	bad.Set("rateLimit", "fast")
	bad.Set("scope", "some")
	r = e.post(b, page, bad)
	want(t, r, http.StatusOK, "Nothing was saved: correct the fields marked below.")
	for field, msg := range map[string]string{
		"token":             "Enter the secret token",
		"tenantUrl":         "Enter an http or https URL",
		"interval":          "at least 1m",
		"deletionThreshold": "0 or more",
		"rateLimit":         "requests per second",
		"scope":             "Choose whether to sync",
	} {
		if got := fieldError(r.Body, field); !strings.Contains(got, msg) {
			t.Errorf("%s: message %q, want it to contain %q", field, got, msg)
		}
	}
	if _, err := e.engine.Store.GetJob(context.Background(), app.ID); err == nil {
		t.Fatal("a refused form created a job")
	}

	// Saved: the token is sealed, and never shown again.
	const token = "scim-secret-token-0123456789"
	wantRedirect(t, e.post(b, page, settingsForm(csrf, "https://scim.example/scim/v2/", token)), page+"?done=prov-saved")
	j := e.provJob(app.ID)
	set := j.Settings
	if set.TenantURL != "https://scim.example/scim/v2" || set.Scope != provisioning.ScopeAssigned || set.DeletionThreshold != 25 ||
		time.Duration(set.Interval) != 2*time.Hour || set.RateLimit != 20 || !set.ProvisionGroups || set.FlattenNested ||
		set.Dialect != provisioning.DialectAWS {
		t.Fatalf("stored settings %+v", set)
	}
	if !reflect.DeepEqual(set.Users, provisioning.AWSUserMappings()) {
		t.Error("a new job does not start with the default user mappings")
	}
	if set.TokenSealed == "" || strings.Contains(set.TokenSealed, token) {
		t.Fatalf("token stored as %q", set.TokenSealed)
	}
	if got, err := e.engine.Box.Open(set.TokenSealed, app.ID); err != nil || got != token {
		t.Fatalf("sealed token opens to %q, %v", got, err)
	}
	r = e.get(b, page+"?done=prov-saved")
	want(t, r, http.StatusOK, "The provisioning settings were saved", "A token is set", `value="https://scim.example/scim/v2"`,
		`value="2h"`)
	if strings.Contains(r.Body, token) || strings.Contains(r.Body, set.TokenSealed) {
		t.Fatal("the settings page shows the token")
	}

	// An empty token keeps the stored one; a new one replaces it.
	form := settingsForm(csrf, "https://scim.example/scim/v2", "")
	form.Set("scope", "all")
	form.Set("flattenNested", "on")
	form.Del("provisionGroups")
	wantRedirect(t, e.post(b, page, form), page+"?done=prov-saved")
	j = e.provJob(app.ID)
	if j.Settings.TokenSealed != set.TokenSealed || j.Settings.Scope != provisioning.ScopeAll || !j.Settings.FlattenNested ||
		j.Settings.ProvisionGroups {
		t.Fatalf("after a save without token: %+v", j.Settings)
	}
	wantRedirect(t, e.post(b, page, settingsForm(csrf, "https://scim.example/scim/v2", "another-token")), page+"?done=prov-saved")
	if got, _ := e.engine.Box.Open(e.provJob(app.ID).Settings.TokenSealed, app.ID); got != "another-token" {
		t.Fatalf("replaced token opens to %q", got)
	}
	// A refused form does not echo a typed token either.
	bad = settingsForm(csrf, "not a url", "typed-secret-value")
	r = e.post(b, page, bad)
	want(t, r, http.StatusOK, "Nothing was saved")
	if strings.Contains(r.Body, "typed-secret-value") {
		t.Fatal("a refused form shows the typed token")
	}
}

func TestProvisioningTestConnection(t *testing.T) {
	e, app, b := provAdmin(t)
	scimURL, bearer := centerSCIM(t)
	page := "/console/apps/" + app.ID + "/provisioning/settings"
	csrf := e.csrfIn(e.get(b, page).Body)
	test := func(tenantURL, token string) response {
		t.Helper()
		r := e.post(b, page+"/test", settingsForm(csrf, tenantURL, token))
		want(t, r, http.StatusOK, `id="test-result"`)
		if token != "" && strings.Contains(r.Body, token) {
			t.Fatal("the test result shows the typed token")
		}
		return r
	}

	// What is typed is tested before it is saved, as in Entra.
	want(t, test(scimURL, bearer), http.StatusOK, "The connection works")
	if _, err := e.engine.Store.GetJob(context.Background(), app.ID); err == nil {
		t.Fatal("Test Connection saved the job")
	}
	want(t, test(scimURL, "wrong-token"), http.StatusOK, "The target refused the secret token (HTTP 401)")
	want(t, test(strings.TrimSuffix(scimURL, "/scim/v2")+"/nothing-here", bearer), http.StatusOK,
		"There is no SCIM service at this tenant URL (HTTP 404)")
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	want(t, test(closed.URL, bearer), http.StatusOK, "The target could not be reached")
	r := test("", "")
	want(t, r, http.StatusOK, "Not tested:")
	if fieldError(r.Body, "tenantUrl") == "" || fieldError(r.Body, "token") == "" {
		t.Fatalf("no messages next to the fields:\n%s", r.Body)
	}

	// Once saved, an empty token field tests the stored token.
	wantRedirect(t, e.post(b, page, settingsForm(csrf, scimURL, bearer)), page+"?done=prov-saved")
	want(t, test(scimURL, ""), http.StatusOK, "The connection works")
}

func TestProvisioningScopingFilters(t *testing.T) {
	e, app, b := provAdmin(t)
	page := "/console/apps/" + app.ID + "/provisioning/settings"
	csrf := e.csrfIn(e.get(b, page).Body)
	clause := func(filter, attr, op, value string) url.Values {
		return url.Values{"csrf": {csrf}, "filter": {filter}, "attribute": {attr}, "operator": {op}, "value": {value}}
	}

	// Not before the job exists.
	want(t, e.post(b, page[:len(page)-len("settings")]+"filters", clause("new", "department", "EQUALS", "Sales")),
		http.StatusOK, "Provisioning is not configured yet")
	e.configured(app, "https://scim.example/scim/v2")
	add := page[:len(page)-len("settings")] + "filters"

	wantRedirect(t, e.post(b, add, clause("new", "Department", "EQUALS", "Sales")), page+"?done=clause-added")
	wantRedirect(t, e.post(b, add, clause("1", "jobTitle", "IS NOT NULL", "ignored")), page+"?done=clause-added")
	wantRedirect(t, e.post(b, add, clause("new", "employeeId", "Greater_Than", "1000")), page+"?done=clause-added")
	wantFilters := []provisioning.ScopingFilter{
		{Clauses: []provisioning.Clause{{Attribute: "department", Operator: "EQUALS", Value: "Sales"},
			{Attribute: "jobTitle", Operator: "IS NOT NULL"}}},
		{Clauses: []provisioning.Clause{{Attribute: "employeeId", Operator: "Greater_Than", Value: "1000"}}},
	}
	if got := e.provJob(app.ID).Settings.ScopingFilters; !reflect.DeepEqual(got, wantFilters) {
		t.Fatalf("filters %+v", got)
	}
	r := e.get(b, page)
	want(t, r, http.StatusOK, `id="filter-1"`, `id="filter-2"`, "<td>department</td><td>EQUALS</td><td>Sales</td>")

	// Refused, each next to its field, and nothing stored.
	for _, c := range []struct {
		form         url.Values
		field, words string
	}{
		{clause("1", "departement", "EQUALS", "Sales"), "attribute", `Users have no attribute "departement"`},
		{clause("1", "", "EQUALS", "Sales"), "attribute", "Enter the source attribute"},
		{clause("1", "department", "EQUALS", ""), "value", "Enter the value EQUALS compares with"},
		{clause("1", "department", "REGEX MATCH", "(Sales"), "value", "missing closing )"},
		{clause("2", "employeeId", "Greater_Than", "many"), "value", "compares integers only"},
		{clause("1", "department", "LIKE", "S%"), "operator", "Choose an operator"},
		{clause("7", "department", "EQUALS", "Sales"), "filter", "Choose a filter"},
	} {
		r := e.post(b, add, c.form)
		want(t, r, http.StatusOK, "The clause was not added")
		if got := fieldError(r.Body, c.field); !strings.Contains(got, c.words) {
			t.Errorf("%v: %s message %q, want %q", c.form, c.field, got, c.words)
		}
	}
	if got := e.provJob(app.ID).Settings.ScopingFilters; !reflect.DeepEqual(got, wantFilters) {
		t.Fatalf("a refused clause changed the filters: %+v", got)
	}

	// Removing names the clause by position and content: a stale form
	// removes nothing; removing a filter's last clause removes the filter.
	remove := func(filter, n string, c provisioning.Clause) url.Values {
		return url.Values{"csrf": {csrf}, "filter": {filter}, "clause": {n}, "attribute": {c.Attribute},
			"operator": {c.Operator}, "value": {c.Value}}
	}
	want(t, e.post(b, add+"/remove", remove("1", "1", wantFilters[0].Clauses[1])), http.StatusOK,
		"the configuration changed since this page was loaded")
	wantRedirect(t, e.post(b, add+"/remove", remove("2", "1", wantFilters[1].Clauses[0])), page+"?done=clause-removed")
	wantRedirect(t, e.post(b, add+"/remove", remove("1", "1", wantFilters[0].Clauses[0])), page+"?done=clause-removed")
	got := e.provJob(app.ID).Settings.ScopingFilters
	if len(got) != 1 || !reflect.DeepEqual(got[0].Clauses, wantFilters[0].Clauses[1:]) {
		t.Fatalf("after removals %+v", got)
	}
}

func TestProvisioningMappings(t *testing.T) {
	e, app, b := provAdmin(t)
	page := "/console/apps/" + app.ID + "/provisioning/mappings"

	// Before the job exists: the mappings it will start with, no forms.
	r := e.get(b, page)
	want(t, r, http.StatusOK, "these are the mappings it will start with", "<code>userName</code>")
	if strings.Contains(r.Body, `action="`+page+`"`) {
		t.Fatal("mapping forms before the job exists")
	}
	e.configured(app, "https://scim.example/scim/v2")
	r = e.get(b, page)
	want(t, r, http.StatusOK, `id="user-mappings"`, `id="group-mappings"`, "<code>name.formatted</code>",
		"<code>Join(&#34; &#34;, [givenName], [surname])</code>", "precedence 1", `hx-get="`+page+`/check"`,
		`hx-trigger="input changed delay:300ms"`)
	csrf := e.csrfIn(r.Body)
	mapping := func(kind, was, typ, source, target, match, apply string) url.Values {
		return url.Values{"csrf": {csrf}, "kind": {kind}, "was": {was}, "type": {typ}, "source": {source},
			"target": {target}, "matchPrecedence": {match}, "apply": {apply}}
	}
	users := func() []provisioning.Mapping { return e.provJob(app.ID).Settings.Users }
	find := func(target string) *provisioning.Mapping {
		for _, m := range users() {
			if m.Target == target {
				return &m
			}
		}
		return nil
	}

	// A bad expression is refused with its position, next to the field.
	r = e.post(b, page, mapping("user", "", "expression", `Join(".", [givenName] [surname])`, "nickName", "", "always"))
	want(t, r, http.StatusOK, "The mapping was not saved", "<mark>[</mark>")
	if got := fieldError(r.Body, "source"); !strings.HasPrefix(got, "At position 23: unexpected '[' in the arguments of Join") {
		t.Fatalf("source message %q", got)
	}
	if find("nickName") != nil {
		t.Fatal("a bad expression was stored")
	}

	// Added, edited (create only), shown in the form, deleted.
	wantRedirect(t, e.post(b, page, mapping("user", "", "expression", `Join(".", [givenName], [surname])`, "nickName", "", "always")),
		page+"?done=mapping-added")
	if m := find("nickName"); m == nil || m.Type != "expression" || m.Source != `Join(".", [givenName], [surname])` || m.Apply != "" {
		t.Fatalf("added mapping %+v", m)
	}
	wantRedirect(t, e.post(b, page, mapping("user", "nickName", "direct", "MAILnickname", "nickName", "", "create")),
		page+"?done=mapping-saved")
	if m := find("nickName"); m == nil || m.Type != "direct" || m.Source != "mailNickname" || m.Apply != "create" {
		t.Fatalf("edited mapping %+v", m)
	}
	r = e.get(b, page+"?kind=user&edit=nickName")
	want(t, r, http.StatusOK, "Edit the mapping to nickName", `name="was" value="nickName"`, ">mailNickname</textarea>",
		`<option value="create" selected>`)
	want(t, e.get(b, page+"?kind=user&edit=noSuchAttribute"), http.StatusNotFound)

	// The target attribute is unique, paths must parse, direct sources exist.
	for _, c := range []struct {
		form         url.Values
		field, words string
	}{
		{mapping("user", "", "direct", "jobTitle", "userName", "", "always"), "target", "Another user mapping already sets userName"},
		{mapping("user", "", "direct", "jobTitle", `emails[type eq "work"`, "", "always"), "target", "not a SCIM attribute path"},
		{mapping("user", "", "direct", "jobTitel", "title2", "", "always"), "source", `Users have no attribute "jobTitel"`},
		{mapping("group", "", "direct", "jobTitle", "title2", "", "always"), "source", `Groups have no attribute "jobTitle"`},
		{mapping("user", "", "cosmic", "jobTitle", "title2", "", "always"), "type", "Choose the mapping type"},
		{mapping("user", "", "direct", "jobTitle", "title2", "first", "always"), "matchPrecedence", "Enter a whole number"},
		{mapping("user", "", "direct", "jobTitle", "title2", "", "sometimes"), "apply", "Choose when the mapping applies"},
		{mapping("user", "userName", "direct", "userPrincipalName", "userName", "", "always"), "matchPrecedence",
			"The user mappings need a matching attribute"},
	} {
		r := e.post(b, page, c.form)
		want(t, r, http.StatusOK, "The mapping was not saved")
		if got := fieldError(r.Body, c.field); !strings.Contains(got, c.words) {
			t.Errorf("%v: %s message %q, want %q", c.form, c.field, got, c.words)
		}
	}
	if find("title2") != nil || find("userName").Match != 1 {
		t.Fatal("a refused mapping changed the mappings")
	}

	wantRedirect(t, e.post(b, page+"/delete", url.Values{"csrf": {csrf}, "kind": {"user"}, "target": {"nickName"}}),
		page+"?done=mapping-deleted")
	if find("nickName") != nil {
		t.Fatal("the mapping was not deleted")
	}
	// The only matching attribute stays; an unknown one is stale.
	want(t, e.post(b, page+"/delete", url.Values{"csrf": {csrf}, "kind": {"user"}, "target": {"userName"}}),
		http.StatusOK, "userName is the only matching attribute of the user mappings")
	want(t, e.post(b, page+"/delete", url.Values{"csrf": {csrf}, "kind": {"user"}, "target": {"nickName"}}),
		http.StatusOK, "the configuration changed since this page was loaded")
	if find("userName") == nil {
		t.Fatal("the only matching attribute was deleted")
	}

	// Restore: the defaults again.
	wantRedirect(t, e.post(b, page+"/delete", url.Values{"csrf": {csrf}, "kind": {"user"}, "target": {"title"}}),
		page+"?done=mapping-deleted")
	wantRedirect(t, e.post(b, page+"/reset", url.Values{"csrf": {csrf}, "kind": {"user"}}), page+"?done=mappings-reset")
	if !reflect.DeepEqual(users(), provisioning.AWSUserMappings()) {
		t.Fatalf("after reset %+v", users())
	}
}

func TestProvisioningMappingSourceCheck(t *testing.T) {
	e := newEnv(t)
	app := e.provApp()
	e.configured(app, "https://scim.example/scim/v2")
	e.consoleUser("auditor@gatehouse.example", console.RoleReadOnly)
	b := e.signIn("auditor@gatehouse.example")
	check := func(kind, typ, source string) response {
		t.Helper()
		q := url.Values{"kind": {kind}, "type": {typ}, "source": {source}}
		return e.get(b, "/console/apps/"+app.ID+"/provisioning/mappings/check?"+q.Encode())
	}

	// The fragment htmx swaps in next to the field.
	r := check("user", "expression", `Join(" ", [givenName], [surname])`)
	want(t, r, http.StatusOK, `<div id="check-source" aria-live="polite">`, "Valid expression.")
	if strings.Contains(r.Body, "<html") {
		t.Fatal("the check answers a whole page")
	}
	r = check("user", "expression", `Jion(" ", [givenName])`)
	want(t, r, http.StatusOK, "<mark>J</mark>ion(")
	if got := fieldError(r.Body, "source"); !strings.HasPrefix(got, "At position 1:") || !strings.Contains(got, "Jion") {
		t.Fatalf("unknown function: %q", got)
	}
	r = check("user", "expression", `Join(" ", [givenName],`)
	want(t, r, http.StatusOK, "<mark>(end)</mark>")
	if got := fieldError(r.Body, "source"); !strings.HasPrefix(got, "At position 23:") {
		t.Fatalf("unclosed call: %q", got)
	}
	want(t, check("user", "direct", "department"), http.StatusOK, "A source attribute.")
	if got := fieldError(check("group", "direct", "department").Body, "source"); !strings.Contains(got, `Groups have no attribute "department"`) {
		t.Fatalf("group attribute: %q", got)
	}
	want(t, check("user", "constant", "AWS"), http.StatusOK, "A constant")
	want(t, e.get(b, "/console/apps/no-such-app/provisioning/mappings/check?type=constant&source=x"), http.StatusNotFound)
}

func TestProvisioningConfigReadOnlyAndCSRF(t *testing.T) {
	e := newEnv(t)
	app := e.provApp()
	before := e.configured(app, "https://scim.example/scim/v2")
	e.consoleUser("auditor@gatehouse.example", console.RoleReadOnly)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	base := "/console/apps/" + app.ID + "/provisioning"

	// The read-only admin sees the configuration, and no form.
	ro := e.signIn("auditor@gatehouse.example")
	r := e.get(ro, base+"/settings")
	want(t, r, http.StatusOK, `<dd id="tenant-url">https://scim.example/scim/v2</dd>`, "set (stored encrypted, never shown)",
		"Sync only assigned users and groups", "No scoping filters")
	r2 := e.get(ro, base+"/mappings?kind=user&edit=userName")
	want(t, r2, http.StatusOK, "<code>userName</code>")
	for _, body := range []string{r.Body, r2.Body} {
		for _, form := range []string{`action="` + base + `/settings"`, "Test Connection", `action="` + base + `/filters"`,
			`action="` + base + `/mappings"`, "/mappings/delete", "/mappings/reset", "Edit the mapping"} {
			if strings.Contains(body, form) {
				t.Fatalf("the read-only admin sees %q", form)
			}
		}
	}

	// Every write is refused to them, even with the session's token, and
	// to an admin without it.
	admin := e.signIn("admin@gatehouse.example")
	writes := map[string]url.Values{
		"/settings":        settingsForm("", "https://evil.example/scim/v2", "evil-token"),
		"/settings/test":   settingsForm("", "https://evil.example/scim/v2", "evil-token"),
		"/filters":         {"filter": {"new"}, "attribute": {"department"}, "operator": {"EQUALS"}, "value": {"x"}},
		"/filters/remove":  {"filter": {"1"}, "clause": {"1"}},
		"/mappings":        {"kind": {"user"}, "type": {"constant"}, "source": {"x"}, "target": {"title"}, "apply": {"always"}},
		"/mappings/delete": {"kind": {"user"}, "target": {"title"}},
		"/mappings/reset":  {"kind": {"group"}},
	}
	for path, form := range writes {
		for who, c := range map[string]struct {
			client *http.Client
			csrf   string
			msg    string
		}{
			"read-only":  {ro, e.session(ro).CSRF, msgReadOnly},
			"no csrf":    {admin, "", msgFormExpired},
			"wrong csrf": {admin, "not-the-token", msgFormExpired},
		} {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			f.Set("csrf", c.csrf)
			if r := e.post(c.client, base+path, f); r.Status != http.StatusForbidden || !strings.Contains(r.Body, c.msg) {
				t.Errorf("%s: POST %s answered %d:\n%s", who, path, r.Status, r.Body)
			}
		}
	}
	if after := e.provJob(app.ID); !reflect.DeepEqual(after.Settings, before.Settings) {
		t.Fatalf("a refused write changed the job: %+v", after.Settings)
	}
}
