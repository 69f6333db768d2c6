package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/center"
)

const boss, viewer = "boss@example.test", "viewer@example.test"

// psPage is the console page of the env's permission set, DeveloperAdmin.
func (e *env) psPage() string {
	return "/console/permission-sets/" + e.psARN[strings.LastIndexByte(e.psARN, '/')+1:]
}

func (e *env) ps() *center.PermissionSet {
	e.t.Helper()
	ps, err := e.cs.GetPermissionSet(context.Background(), e.psARN)
	if err != nil {
		e.t.Fatal(err)
	}
	return ps
}

// post sends a form as the admin with a fresh CSRF token.
func (e *env) post(path string, form url.Values) (int, http.Header, string) {
	e.t.Helper()
	form.Set("csrf", e.csrf(boss))
	return e.do(boss, "POST", path, form)
}

// wantSaved checks a change redirected back to the page with its flash.
func wantSaved(t *testing.T, what string, code int, h http.Header, body, location string) {
	t.Helper()
	if code != http.StatusSeeOther || h.Get("Location") != location {
		t.Fatalf("%s: %d %s, want 303 to %s\n%s", what, code, h.Get("Location"), location, body)
	}
}

// wantFieldError checks the form came back (200) with msg next to field
// and the field marked invalid and described by it.
func wantFieldError(t *testing.T, what string, code int, body, field, msg string) {
	t.Helper()
	if code != http.StatusOK {
		t.Fatalf("%s: status %d, want 200 (the form again)", what, code)
	}
	if !strings.Contains(body, `aria-invalid="true" aria-describedby="err-`+field+`"`) {
		t.Errorf("%s: %s not marked invalid", what, field)
	}
	i := strings.Index(body, `id="err-`+field+`"`)
	if i < 0 {
		t.Fatalf("%s: no message next to %s", what, field)
	}
	if end := strings.Index(body[i:], "</p>"); !strings.Contains(body[i:i+end], msg) {
		t.Errorf("%s: message next to %s is %s, want %q", what, field, body[i:i+end], msg)
	}
}

func TestPermissionSetSettings(t *testing.T) {
	e := newEnv(t)
	page := e.psPage()
	code, _, body := e.do(boss, "GET", page, nil)
	if code != http.StatusOK || !strings.Contains(body, `<dd id="ps-name">DeveloperAdmin</dd>`) ||
		!strings.Contains(body, `<option selected>PT4H</option>`) {
		t.Fatalf("page: %d\n%s", code, body)
	}
	// The list links to it.
	if _, _, list := e.do(boss, "GET", "/console/permission-sets", nil); !strings.Contains(list, `<a href="`+page+`">DeveloperAdmin</a>`) {
		t.Error("the list does not link to the permission set's page")
	}
	code, h, body := e.post(page, url.Values{"description": {"Full administration"}, "sessionDuration": {"PT8H"},
		"relayState": {"https://console.aws.amazon.com/s3/"}})
	wantSaved(t, "settings", code, h, body, page+"?done=ps-saved")
	if ps := e.ps(); ps.Description != "Full administration" || ps.SessionDuration != "PT8H" || ps.RelayState != "https://console.aws.amazon.com/s3/" {
		t.Fatalf("stored %+v", ps)
	}
	// A duration beyond PT12H (the select offers none, a crafted form
	// may): refused next to the field, which keeps the value sent.
	code, _, body = e.post(page, url.Values{"description": {"x"}, "sessionDuration": {"PT13H"}})
	wantFieldError(t, "PT13H", code, body, "sessionDuration", "Member must be between PT1H and PT12H")
	if !strings.Contains(body, `<option selected>PT13H</option>`) {
		t.Error("the refused duration is not shown")
	}
	code, _, body = e.post(page, url.Values{"sessionDuration": {"PT1H"}, "relayState": {"console.aws.amazon.com"}})
	wantFieldError(t, "relay state", code, body, "relayState", "absolute http or https URL")
	if ps := e.ps(); ps.SessionDuration != "PT8H" || ps.Description != "Full administration" {
		t.Fatalf("a refused form changed the permission set: %+v", ps)
	}
}

func TestPermissionSetInlinePolicy(t *testing.T) {
	e := newEnv(t)
	page := e.psPage()
	// A JSON syntax error: the message next to the field says where.
	bad := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\",}]\n}"
	code, _, body := e.post(page+"/inline-policy", url.Values{"inlinePolicy": {bad}})
	wantFieldError(t, "bad JSON", code, body, "inlinePolicy",
		"not a JSON object: invalid character &#39;}&#39; looking for beginning of object key string at line 3, column 36")
	if !strings.Contains(body, `[{&#34;Effect&#34;: &#34;Allow&#34;,}]`) {
		t.Error("the refused policy is not in the field")
	}
	// Valid JSON, not an IAM policy.
	code, _, body = e.post(page+"/inline-policy", url.Values{"inlinePolicy": {`{"Statement":[{"Effect":"Allow","Action":"*"}]}`}})
	wantFieldError(t, "no resource", code, body, "inlinePolicy", "Statement 1: exactly one of Resource and NotResource is required")
	// AWS's limit: 32,768 characters.
	long := `{"Version":"2012-10-17",` + strings.Repeat(" ", center.MaxInlinePolicy) + `"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	code, _, body = e.post(page+"/inline-policy", url.Values{"inlinePolicy": {long}})
	wantFieldError(t, "too long", code, body, "inlinePolicy", "Member must have length less than or equal to 32768")
	if e.ps().InlinePolicy != "" {
		t.Fatal("a refused policy was stored")
	}
	good := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	code, h, body := e.post(page+"/inline-policy", url.Values{"inlinePolicy": {good}})
	wantSaved(t, "inline policy", code, h, body, page+"?done=ps-saved")
	if e.ps().InlinePolicy != good {
		t.Fatalf("inline policy %q", e.ps().InlinePolicy)
	}
	code, h, body = e.post(page+"/inline-policy/delete", url.Values{})
	wantSaved(t, "remove inline policy", code, h, body, page+"?done=ps-saved")
	if e.ps().InlinePolicy != "" {
		t.Fatal("inline policy not removed")
	}
}

func TestPermissionSetPolicies(t *testing.T) {
	e := newEnv(t)
	page := e.psPage()
	// The picker offers what is not attached yet.
	_, _, body := e.do(boss, "GET", page, nil)
	if strings.Contains(body, `name="managed" value="arn:aws:iam::aws:policy/AdministratorAccess"`) ||
		!strings.Contains(body, `name="managed" value="arn:aws:iam::aws:policy/ReadOnlyAccess"`) {
		t.Fatal("the picker offers an attached policy, or not an unattached one")
	}
	code, h, body := e.post(page+"/managed-policies", url.Values{"managed": {"arn:aws:iam::aws:policy/ReadOnlyAccess"},
		"managedOther": {"arn:aws:iam::aws:policy/job-function/DataScientist"}})
	wantSaved(t, "attach", code, h, body, page+"?done=ps-saved")
	if got := e.ps().ManagedPolicies; len(got) != 3 || got[2] != "arn:aws:iam::aws:policy/job-function/DataScientist" {
		t.Fatalf("managed policies %v", got)
	}
	for name, other := range map[string]string{
		"not AWS managed": "arn:aws:iam::123456789012:policy/Mine",
		"attached":        "arn:aws:iam::aws:policy/ReadOnlyAccess",
	} {
		code, _, body = e.post(page+"/managed-policies", url.Values{"managedOther": {other}})
		wantFieldError(t, name, code, body, "managedOther", "Value &#39;")
	}
	code, _, body = e.post(page+"/managed-policies", url.Values{})
	wantFieldError(t, "nothing chosen", code, body, "managedOther", "Choose a policy in the list, or enter its ARN.")
	code, h, body = e.post(page+"/managed-policies/detach", url.Values{"arn": {"arn:aws:iam::aws:policy/AdministratorAccess"}})
	wantSaved(t, "detach", code, h, body, page+"?done=ps-saved")
	if got := e.ps().ManagedPolicies; len(got) != 2 || got[0] != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
		t.Fatalf("after detach %v", got)
	}

	// Customer managed policies: the path defaults to "/".
	code, h, body = e.post(page+"/customer-policies", url.Values{"cmpName": {"TeamBuckets"}})
	wantSaved(t, "attach customer policy", code, h, body, page+"?done=ps-saved")
	code, _, body = e.post(page+"/customer-policies", url.Values{"cmpName": {"Other"}, "cmpPath": {"team"}})
	wantFieldError(t, "bad path", code, body, "cmpPath", "Member must satisfy regular expression pattern")
	code, _, body = e.post(page+"/customer-policies", url.Values{"cmpName": {"has space"}, "cmpPath": {"/"}})
	wantFieldError(t, "bad name", code, body, "cmpName", "Member must satisfy regular expression pattern")
	if got := e.ps().CustomerManagedPolicies; len(got) != 1 || got[0] != (center.CustomerManagedPolicyReference{Name: "TeamBuckets", Path: "/"}) {
		t.Fatalf("customer policies %v", got)
	}
	code, h, body = e.post(page+"/customer-policies/detach", url.Values{"name": {"TeamBuckets"}, "path": {"/"}})
	wantSaved(t, "detach customer policy", code, h, body, page+"?done=ps-saved")
	if got := e.ps().CustomerManagedPolicies; len(got) != 0 {
		t.Fatalf("customer policies after detach %v", got)
	}

	// Permissions boundary: a managed policy, then a customer one, then none.
	code, h, body = e.post(page+"/boundary", url.Values{"boundaryKind": {"managed"}, "boundaryArn": {"arn:aws:iam::aws:policy/PowerUserAccess"}})
	wantSaved(t, "boundary", code, h, body, page+"?done=ps-saved")
	if b := e.ps().PermissionsBoundary; b == nil || b.ManagedPolicyArn != "arn:aws:iam::aws:policy/PowerUserAccess" {
		t.Fatalf("boundary %+v", b)
	}
	code, _, body = e.post(page+"/boundary", url.Values{"boundaryKind": {"managed"}, "boundaryArn": {"PowerUserAccess"}})
	wantFieldError(t, "bad boundary ARN", code, body, "boundaryArn", "Value &#39;PowerUserAccess&#39;")
	code, _, body = e.post(page+"/boundary", url.Values{"boundaryKind": {"customer"}, "boundaryPath": {"/x/"}})
	wantFieldError(t, "boundary without a name", code, body, "boundaryName", "Member must have length greater than or equal to 1")
	code, _, body = e.post(page+"/boundary", url.Values{"boundaryKind": {"both"}})
	wantFieldError(t, "no kind", code, body, "boundaryKind", "Choose no boundary")
	code, h, body = e.post(page+"/boundary", url.Values{"boundaryKind": {"customer"}, "boundaryName": {"Cap"}, "boundaryPath": {"/limits/"}})
	wantSaved(t, "customer boundary", code, h, body, page+"?done=ps-saved")
	if b := e.ps().PermissionsBoundary; b == nil || b.ManagedPolicyArn != "" || *b.CustomerManagedPolicyReference != (center.CustomerManagedPolicyReference{Name: "Cap", Path: "/limits/"}) {
		t.Fatalf("boundary %+v", b)
	}
	if _, _, body = e.do(boss, "GET", page, nil); !strings.Contains(body, `id="bk-customer" name="boundaryKind" value="customer" checked`) {
		t.Error("the stored boundary's kind is not chosen in the form")
	}
	code, h, body = e.post(page+"/boundary", url.Values{"boundaryKind": {"none"}})
	wantSaved(t, "no boundary", code, h, body, page+"?done=ps-saved")
	if b := e.ps().PermissionsBoundary; b != nil {
		t.Fatalf("boundary %+v, want none", b)
	}
}

func TestPermissionSetTags(t *testing.T) {
	e := newEnv(t)
	page := e.psPage()
	for _, v := range []string{"blue", "green"} { // the same key again takes the new value
		code, h, body := e.post(page+"/tags", url.Values{"tagKey": {"team"}, "tagValue": {v}})
		wantSaved(t, "tag", code, h, body, page+"?done=ps-saved")
	}
	if tags := e.ps().Tags; len(tags) != 1 || tags[0] != (center.Tag{Key: "team", Value: "green"}) {
		t.Fatalf("tags %v", tags)
	}
	code, _, body := e.post(page+"/tags", url.Values{"tagKey": {"aws:owner"}, "tagValue": {"x"}})
	wantFieldError(t, "reserved key", code, body, "tagKey", "reserved prefix aws:")
	code, _, body = e.post(page+"/tags", url.Values{"tagKey": {"cost"}, "tagValue": {"a;b"}})
	wantFieldError(t, "bad value", code, body, "tagValue", "Member must satisfy regular expression pattern")
	code, h, body := e.post(page+"/tags/delete", url.Values{"key": {"team"}})
	wantSaved(t, "untag", code, h, body, page+"?done=ps-saved")
	if tags := e.ps().Tags; len(tags) != 0 {
		t.Fatalf("tags after removal %v", tags)
	}
}

// AWS refuses to delete a permission set while it is assigned; the page
// says so next to the button, lists the assignments, and removing one
// from there ends the sessions that relied on it and comes back.
func TestDeletePermissionSetRefusedWhileAssigned(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	page := e.psPage()
	as := &center.AccountAssignment{AccountID: "222233334444", PermissionSetARN: e.psARN, PrincipalType: center.PrincipalGroup, PrincipalID: e.ids["Developers"]}
	if _, err := e.cs.CreateAccountAssignment(ctx, as); err != nil {
		t.Fatal(err)
	}
	code, _, body := e.post(page+"/delete", url.Values{})
	wantFieldError(t, "assigned", code, body, "delete", "DeveloperAdmin is still assigned in AWS accounts, so it cannot be deleted")
	if !strings.Contains(body, `aria-label="Remove DeveloperAdmin in Sandbox from Developers"`) ||
		!strings.Contains(body, `<input type="hidden" name="next" value="`+page+`">`) {
		t.Fatal("the page does not list the assignment with a Remove that comes back")
	}
	e.ps() // still there
	code, h, body := e.post("/console/assignments/delete", url.Values{"account": {"222233334444"}, "permissionSet": {e.psARN},
		"principal": {"GROUP:" + e.ids["Developers"]}, "next": {page}})
	wantSaved(t, "remove assignment", code, h, body, page+"?done=unassigned")
	if len(e.removed) != 1 || e.removed[0] != "GROUP:"+e.ids["Developers"] {
		t.Fatalf("assignment-removed hook calls %v", e.removed)
	}
	code, h, body = e.post(page+"/delete", url.Values{})
	wantSaved(t, "delete", code, h, body, "/console/permission-sets?done=ps-deleted")
	if _, err := e.cs.GetPermissionSet(ctx, e.psARN); err == nil {
		t.Fatal("the permission set is still stored")
	}
	if code, _, _ := e.do(boss, "GET", page, nil); code != http.StatusNotFound {
		t.Fatalf("deleted permission set's page: %d, want 404", code)
	}
}

// A form's way back is a console page, never another site.
func TestAssignmentRemovalReturnsOnlyToConsolePages(t *testing.T) {
	e := newEnv(t)
	for _, next := range []string{"https://evil.example/console/x", "//evil.example/console/", "/elsewhere", "/console/\\evil"} {
		_, h, _ := e.post("/console/assignments/delete", url.Values{"account": {"222233334444"}, "permissionSet": {e.psARN},
			"principal": {"GROUP:" + e.ids["Developers"]}, "next": {next}})
		if loc := h.Get("Location"); loc != "/console/assignments?done=unassigned" {
			t.Errorf("next=%s: Location %s", next, loc)
		}
	}
}

func TestAccountPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	page := "/console/accounts/222233334444"
	if _, _, list := e.do(boss, "GET", "/console/accounts", nil); !strings.Contains(list, `<a href="`+page+`">Sandbox</a>`) {
		t.Error("the list does not link to the account's page")
	}
	code, h, body := e.post(page, url.Values{"name": {"Sandbox EU"}, "email": {"eu-sandbox@example.test"}, "realAWS": {"1"}})
	wantSaved(t, "edit", code, h, body, page+"?done=account-saved")
	acct, err := e.cs.GetAccount(ctx, "222233334444")
	if err != nil || acct.Name != "Sandbox EU" || acct.Email != "eu-sandbox@example.test" || !acct.RealAWS {
		t.Fatalf("stored %+v %v", acct, err)
	}
	code, _, body = e.post(page, url.Values{"name": {"Sandbox EU"}, "email": {"nope"}})
	wantFieldError(t, "bad email", code, body, "email", "at &#39;email&#39;")
	if !strings.Contains(body, `id="f-email" name="email" value="nope"`) {
		t.Error("the refused email is not in the field")
	}
	code, _, body = e.post(page, url.Values{"name": {""}, "email": {"eu-sandbox@example.test"}})
	wantFieldError(t, "no name", code, body, "name", "Member must have length greater than or equal to 1")

	// With assignments, removal waits for the admin to confirm it.
	as := &center.AccountAssignment{AccountID: "222233334444", PermissionSetARN: e.psARN, PrincipalType: center.PrincipalUser, PrincipalID: e.ids["dev@example.test"]}
	if _, err := e.cs.CreateAccountAssignment(ctx, as); err != nil {
		t.Fatal(err)
	}
	_, _, body = e.do(boss, "GET", page, nil)
	if !strings.Contains(body, `<a href="`+e.psPage()+`">DeveloperAdmin</a>`) || !strings.Contains(body, `<a href="/console/users/`+e.ids["dev@example.test"]+`">dev@example.test</a>`) {
		t.Fatalf("the account's assignments are not listed with links:\n%s", body)
	}
	code, _, body = e.post(page+"/delete", url.Values{})
	wantFieldError(t, "unconfirmed", code, body, "confirm", "Tick this box to remove the assignments with the account")
	if _, err := e.cs.GetAccount(ctx, "222233334444"); err != nil {
		t.Fatal("an unconfirmed removal removed the account")
	}
	code, h, body = e.post(page+"/delete", url.Values{"confirm": {"1"}})
	wantSaved(t, "remove", code, h, body, "/console/accounts?done=account-removed")
	if _, err := e.cs.GetAccount(ctx, "222233334444"); err == nil {
		t.Fatal("the account is still stored")
	}
	if acc, _ := e.cs.EffectiveAccess(ctx, e.ids["dev@example.test"]); len(acc) != 0 {
		t.Fatalf("access left after the account's removal: %v", acc)
	}
	if len(e.removed) != 1 || e.removed[0] != "USER:"+e.ids["dev@example.test"] {
		t.Fatalf("assignment-removed hook calls %v", e.removed)
	}
	if code, _, _ := e.do(boss, "GET", page, nil); code != http.StatusNotFound {
		t.Fatalf("removed account's page: %d, want 404", code)
	}
}

func TestUserAndGroupPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dev, devs := e.ids["dev@example.test"], e.ids["Developers"]
	for _, as := range []*center.AccountAssignment{
		{AccountID: "222233334444", PermissionSetARN: e.psARN, PrincipalType: center.PrincipalGroup, PrincipalID: devs},
		{AccountID: "222233334444", PermissionSetARN: e.psARN, PrincipalType: center.PrincipalUser, PrincipalID: dev},
	} {
		if _, err := e.cs.CreateAccountAssignment(ctx, as); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, list := e.do(boss, "GET", "/console/users", nil); !strings.Contains(list, `<a href="/console/users/`+dev+`">dev@example.test</a>`) {
		t.Error("the users list does not link to the user's page")
	}
	code, _, body := e.do(boss, "GET", "/console/users/"+dev, nil)
	if code != http.StatusOK {
		t.Fatalf("user page: %d", code)
	}
	for _, want := range []string{
		`<dd id="user-name">dev@example.test</dd>`,
		`<li><a href="/console/groups/` + devs + `">Developers</a></li>`,
		`<td><a href="/console/accounts/222233334444">Sandbox</a> <span class="muted">222233334444</span></td><td><a href="` + e.psPage() + `">DeveloperAdmin</a></td>`,
		`<td>direct, group <a href="/console/groups/` + devs + `">Developers</a></td>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("user page lacks %s", want)
		}
	}
	if _, _, list := e.do(boss, "GET", "/console/groups", nil); !strings.Contains(list, `<a href="/console/groups/`+devs+`">Developers</a>`) {
		t.Error("the groups list does not link to the group's page")
	}
	code, _, body = e.do(boss, "GET", "/console/groups/"+devs, nil)
	if code != http.StatusOK {
		t.Fatalf("group page: %d", code)
	}
	for _, want := range []string{
		`<dd id="group-name">Developers</dd>`,
		`<td><a href="/console/users/` + dev + `">dev@example.test</a></td>`,
		`aria-label="Remove DeveloperAdmin in Sandbox from Developers"`,
		`<input type="hidden" name="next" value="/console/groups/` + devs + `">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("group page lacks %s", want)
		}
	}
	if strings.Contains(body, "from dev@example.test") {
		t.Error("the group page lists the user's direct assignment")
	}
	for _, p := range []string{"/console/users/nope", "/console/groups/nope", "/console/accounts/999999999999", "/console/permission-sets/ps-0000000000000000"} {
		if code, _, _ := e.do(boss, "GET", p, nil); code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, code)
		}
	}
}

// The object pages show a read-only admin no forms and refuse their
// writes; an admin's write without the CSRF token is refused too.
func TestObjectPagesReadOnlyAndCSRF(t *testing.T) {
	e := newEnv(t)
	ps := e.psPage()
	for _, p := range []string{ps, "/console/accounts/222233334444", "/console/users/" + e.ids["dev@example.test"], "/console/groups/" + e.ids["Developers"]} {
		code, _, body := e.do(viewer, "GET", p, nil)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", p, code)
		}
		if n := strings.Count(body, `method="post"`); n != 1 { // only "Sign out"
			t.Errorf("%s: %d POST forms for a read-only admin", p, n)
		}
	}
	writes := map[string]url.Values{
		ps:                                      {"description": {"changed"}, "sessionDuration": {"PT2H"}},
		ps + "/managed-policies":                {"managed": {"arn:aws:iam::aws:policy/ReadOnlyAccess"}},
		ps + "/managed-policies/detach":         {"arn": {"arn:aws:iam::aws:policy/AdministratorAccess"}},
		ps + "/customer-policies":               {"cmpName": {"Mine"}},
		ps + "/inline-policy":                   {"inlinePolicy": {`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}},
		ps + "/boundary":                        {"boundaryKind": {"managed"}, "boundaryArn": {"arn:aws:iam::aws:policy/ReadOnlyAccess"}},
		ps + "/tags":                            {"tagKey": {"k"}},
		ps + "/delete":                          {},
		"/console/accounts/222233334444":        {"name": {"Changed"}, "email": {"changed@example.test"}},
		"/console/accounts/222233334444/delete": {"confirm": {"1"}},
	}
	csrf := e.csrf(viewer)
	for p, form := range writes {
		f := url.Values{"csrf": {csrf}}
		for k, v := range form {
			f[k] = v
		}
		if code, _, body := e.do(viewer, "POST", p, f); code != http.StatusForbidden || !strings.Contains(body, "read-only") {
			t.Errorf("read-only POST %s: %d", p, code)
		}
		if code, _, _ := e.do(boss, "POST", p, form); code != http.StatusForbidden {
			t.Errorf("POST %s without CSRF token: %d, want 403", p, code)
		}
	}
	got := e.ps()
	if got.Description != "" || got.SessionDuration != "PT4H" || len(got.ManagedPolicies) != 1 || got.InlinePolicy != "" ||
		got.PermissionsBoundary != nil || len(got.Tags) != 0 || len(got.CustomerManagedPolicies) != 0 {
		t.Fatalf("a refused write changed the permission set: %+v", got)
	}
	if acct, err := e.cs.GetAccount(context.Background(), "222233334444"); err != nil || acct.Name != "Sandbox" {
		t.Fatalf("a refused write changed the account: %+v %v", acct, err)
	}
}

func TestRotateToken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for range 2 {
		e.post("/console/settings/tokens", url.Values{})
	}
	toks, _ := e.cs.ListSCIMTokens(ctx)
	if len(toks) != 2 {
		t.Fatalf("%d tokens", len(toks))
	}
	old := toks[0].ID
	_, _, body := e.do(boss, "GET", "/console/settings", nil)
	if !strings.Contains(body, `action="/console/settings/tokens/`+old+`/rotate"`) {
		t.Fatal("no Rotate button")
	}
	// Two are active, the most AWS allows: rotating still works.
	code, _, body := e.post("/console/settings/tokens/"+old+"/rotate", url.Values{})
	if code != http.StatusOK || !strings.Contains(body, `<code id="new-token">`) || !strings.Contains(body, "Token "+old+" was revoked") {
		t.Fatalf("rotate: %d\n%s", code, body)
	}
	toks, _ = e.cs.ListSCIMTokens(ctx)
	active := 0
	for _, tk := range toks {
		if tk.ID == old && tk.Revoked == nil {
			t.Fatal("the rotated token is still active")
		}
		if tk.Active(tk.Created) {
			active++
		}
	}
	if len(toks) != 3 || active != 2 {
		t.Fatalf("%d tokens, %d active; want 3 and 2", len(toks), active)
	}
	code, _, body = e.post("/console/settings/tokens/"+old+"/rotate", url.Values{})
	wantFieldError(t, "rotate a revoked token", code, body, "token", "no longer active")
	if code, _, _ := e.post("/console/settings/tokens/nope/rotate", url.Values{}); code != http.StatusNotFound {
		t.Fatalf("unknown token: %d", code)
	}
	if code, _, _ := e.do(boss, "POST", "/console/settings/tokens/"+toks[1].ID+"/rotate", url.Values{}); code != http.StatusForbidden {
		t.Fatalf("rotate without CSRF: %d", code)
	}
}
