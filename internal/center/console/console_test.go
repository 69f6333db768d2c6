package console_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/console"
	"github.com/gatehouse-id/gatehouse/internal/center/samlsp"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

const idpSSO = "https://idp.example.test/sso"

func idpMetadata(t *testing.T) []byte {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-idp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.test/metadata"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>%s</X509Certificate></X509Data></KeyInfo></KeyDescriptor><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="%s"/></IDPSSODescriptor></EntityDescriptor>`,
		base64.StdEncoding.EncodeToString(der), idpSSO))
}

// env is a center with a console, three users (an admin, a read-only
// admin, someone else), their groups, an account and a permission set.
type env struct {
	t       *testing.T
	cs      *centerdb.Store
	srv     *httptest.Server
	cookies map[string]string // user name -> portal cookie
	ids     map[string]string // user or group name -> id
	psARN   string
	removed []string // OnAssignmentRemoved calls, "TYPE:id"
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	cs := centerdb.New(db)
	sp := &samlsp.SP{CenterURL: "https://center.example.test", Store: cs, Users: cs}
	if _, err := sp.UseExternalIdP(ctx, idpMetadata(t)); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, cs: cs, cookies: map[string]string{}, ids: map[string]string{}}
	inst, err := cs.Instance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, name := range []string{"boss@example.test", "viewer@example.test", "dev@example.test"} {
		u := &scim.User{ID: center.NewResourceID(inst.IDPrefix), UserName: name, DisplayName: name, Active: true,
			Meta: &scim.Meta{ResourceType: "User", Created: now, LastModified: now}}
		if err := cs.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		e.ids[name] = u.ID
		cookie := make([]byte, 16)
		rand.Read(cookie)
		c := hex.EncodeToString(cookie)
		sum := sha256.Sum256([]byte(c))
		if err := cs.CompleteSignIn(ctx, &samlsp.SignIn{AssertionID: "a-" + c, AssertionExpires: now.Add(time.Hour), Now: now,
			Session: &samlsp.Session{IDHash: hex.EncodeToString(sum[:]), UserID: u.ID, Created: now, Expires: now.Add(time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		e.cookies[name] = c
	}
	for name, member := range map[string]string{"Center-Admins": "boss@example.test", "Center-Auditors": "viewer@example.test", "Developers": "dev@example.test"} {
		g := &scim.Group{ID: center.NewResourceID(inst.IDPrefix), DisplayName: name, Meta: &scim.Meta{ResourceType: "Group", Created: now, LastModified: now}}
		if err := cs.CreateGroup(ctx, g, []string{e.ids[member]}); err != nil {
			t.Fatal(err)
		}
		e.ids[name] = g.ID
	}
	if err := cs.PutConsoleSettings(ctx, &console.Settings{AdminGroupID: e.ids["Center-Admins"], ReadOnlyGroupID: e.ids["Center-Auditors"], Updated: now}); err != nil {
		t.Fatal(err)
	}
	if err := cs.PutAccount(ctx, &center.Account{ID: "222233334444", Name: "Sandbox", Email: "sandbox@example.test"}); err != nil {
		t.Fatal(err)
	}
	ps := &center.PermissionSet{ARN: center.NewPermissionSetARN(inst.InstanceID), Name: "DeveloperAdmin", SessionDuration: "PT4H",
		ManagedPolicies: []string{"arn:aws:iam::aws:policy/AdministratorAccess"}, CreatedDate: now}
	if err := cs.CreatePermissionSet(ctx, ps); err != nil {
		t.Fatal(err)
	}
	e.psARN = ps.ARN
	mux := http.NewServeMux()
	(&console.Handler{Store: cs, Settings: cs, SP: sp,
		OnAssignmentRemoved: func(_ context.Context, typ center.PrincipalType, id string) {
			e.removed = append(e.removed, string(typ)+":"+id)
		}}).Mount(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (e *env) do(user, method, path string, form url.Values) (int, http.Header, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		req.AddCookie(&http.Cookie{Name: samlsp.CookieName, Value: e.cookies[user]})
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

var reCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (e *env) csrf(user string) string {
	e.t.Helper()
	_, _, body := e.do(user, "GET", "/console", nil)
	m := reCSRF.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("no CSRF token on the overview of %s:\n%s", user, body)
	}
	return m[1]
}

func TestAnonymousIsSentToTheIdP(t *testing.T) {
	e := newEnv(t)
	code, h, _ := e.do("", "GET", "/console/permission-sets", nil)
	if code != http.StatusFound {
		t.Fatalf("status %d, want 302", code)
	}
	loc, _ := url.Parse(h.Get("Location"))
	if !strings.HasPrefix(h.Get("Location"), idpSSO+"?") || loc.Query().Get("SAMLRequest") == "" {
		t.Fatalf("Location %s, want the IdP with a SAMLRequest", loc)
	}
	if rs := loc.Query().Get("RelayState"); rs != "/console/permission-sets" {
		t.Fatalf("RelayState %q", rs)
	}
	if code, _, _ := e.do("", "POST", "/console/accounts", url.Values{"id": {"123456789012"}}); code != http.StatusForbidden {
		t.Fatalf("anonymous POST: %d, want 403", code)
	}
}

func TestNonAdminIsRefused(t *testing.T) {
	e := newEnv(t)
	code, _, body := e.do("dev@example.test", "GET", "/console", nil)
	if code != http.StatusForbidden || !strings.Contains(body, "not a member of the center&#39;s admin group") {
		t.Fatalf("status %d, body %s", code, body)
	}
}

func TestReadOnlyAdminSeesNoFormsAndCannotPost(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/console", "/console/settings", "/console/users", "/console/groups", "/console/permission-sets",
		"/console/accounts", "/console/assignments", "/console/access-graph"} {
		code, h, body := e.do("viewer@example.test", "GET", p, nil)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", p, code)
		}
		if !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Fatalf("%s: CSP %q", p, h.Get("Content-Security-Policy"))
		}
		if n := strings.Count(body, `method="post"`); n != 1 { // only "Sign out"
			t.Fatalf("%s: %d POST forms for a read-only admin", p, n)
		}
	}
	csrf := e.csrf("viewer@example.test")
	code, _, body := e.do("viewer@example.test", "POST", "/console/accounts",
		url.Values{"csrf": {csrf}, "id": {"123456789012"}, "name": {"X"}, "email": {"x@example.test"}})
	if code != http.StatusForbidden || !strings.Contains(body, "read-only") {
		t.Fatalf("read-only POST: %d %s", code, body)
	}
}

func TestCSRFRequired(t *testing.T) {
	e := newEnv(t)
	form := url.Values{"id": {"123456789012"}, "name": {"New"}, "email": {"new@example.test"}}
	if code, _, _ := e.do("boss@example.test", "POST", "/console/accounts", form); code != http.StatusForbidden {
		t.Fatalf("no token: %d, want 403", code)
	}
	form.Set("csrf", "wrong")
	if code, _, _ := e.do("boss@example.test", "POST", "/console/accounts", form); code != http.StatusForbidden {
		t.Fatalf("wrong token: %d, want 403", code)
	}
	form.Set("csrf", e.csrf("boss@example.test"))
	if code, _, body := e.do("boss@example.test", "POST", "/console/accounts", form); code != http.StatusSeeOther {
		t.Fatalf("with token: %d %s", code, body)
	}
	if _, err := e.cs.GetAccount(context.Background(), "123456789012"); err != nil {
		t.Fatal(err)
	}
}

func TestBadInlinePolicyMessageNextToField(t *testing.T) {
	e := newEnv(t)
	code, _, body := e.do("boss@example.test", "POST", "/console/permission-sets", url.Values{
		"csrf": {e.csrf("boss@example.test")}, "name": {"S3Reader"}, "sessionDuration": {"PT2H"},
		"inlinePolicy": {`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"`},
	})
	if code != http.StatusOK {
		t.Fatalf("status %d, want 200 (the form again)", code)
	}
	for _, want := range []string{
		`<textarea id="f-inlinePolicy" name="inlinePolicy" rows="8" spellcheck="false" aria-invalid="true" aria-describedby="err-inlinePolicy">`,
		`<p class="field-error" id="err-inlinePolicy">Value &#39;{&#34;Version&#34;`,
		`at &#39;inlinePolicy&#39; failed to satisfy constraint: Member must be a valid IAM policy document: not a JSON object`,
		`id="f-name" name="name" value="S3Reader"`,
		`<option selected>PT2H</option>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(body, `id="err-name"`) {
		t.Error("a message next to the name, which is valid")
	}
	sets, _ := e.cs.ListPermissionSets(context.Background())
	if len(sets) != 1 {
		t.Fatalf("%d permission sets, want 1: nothing created", len(sets))
	}
	// A bad name and a bad managed policy: each message next to its field.
	_, _, body = e.do("boss@example.test", "POST", "/console/permission-sets", url.Values{
		"csrf": {e.csrf("boss@example.test")}, "name": {"has spaces"}, "sessionDuration": {"PT1H"},
		"managedOther": {"arn:aws:iam::123456789012:policy/Mine"},
	})
	for _, f := range []string{"name", "managedOther"} {
		if !strings.Contains(body, `id="err-`+f+`"`) {
			t.Errorf("no message next to %s", f)
		}
	}
}

func TestCreatePermissionSet(t *testing.T) {
	e := newEnv(t)
	code, h, body := e.do("boss@example.test", "POST", "/console/permission-sets", url.Values{
		"csrf": {e.csrf("boss@example.test")}, "name": {"S3Reader"}, "description": {"Reads buckets"}, "sessionDuration": {"PT8H"},
		"managed":      {"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/SecurityAudit"},
		"managedOther": {"arn:aws:iam::aws:policy/job-function/DataScientist"},
		"inlinePolicy": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`},
	})
	if code != http.StatusSeeOther || h.Get("Location") != "/console/permission-sets?done=ps-created" {
		t.Fatalf("%d %s %s", code, h.Get("Location"), body)
	}
	sets, _ := e.cs.ListPermissionSets(context.Background())
	var got *center.PermissionSet
	for _, ps := range sets {
		if ps.Name == "S3Reader" {
			got = ps
		}
	}
	if got == nil || got.SessionDuration != "PT8H" || len(got.ManagedPolicies) != 3 || got.InlinePolicy == "" {
		t.Fatalf("stored %+v", got)
	}
	// The same name again: refused next to the name.
	_, _, body = e.do("boss@example.test", "POST", "/console/permission-sets", url.Values{
		"csrf": {e.csrf("boss@example.test")}, "name": {"s3reader"}, "sessionDuration": {"PT1H"}})
	if !strings.Contains(body, `<p class="field-error" id="err-name">A permission set named s3reader already exists.</p>`) {
		t.Fatalf("duplicate name: %s", body)
	}
}

func TestAssignmentWizard(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Step 2 without an account goes back to step 1 with the message.
	_, _, body := e.do("boss@example.test", "GET", "/console/assignments/new?step=2", nil)
	if !strings.Contains(body, `id="err-account">Choose at least one AWS account.`) {
		t.Fatalf("step 1 message missing: %s", body)
	}
	_, _, body = e.do("boss@example.test", "GET", "/console/assignments/new?step=2&account=222233334444&q=devel", nil)
	if !strings.Contains(body, ">Developers</label>") || strings.Contains(body, ">Center-Admins</label>") {
		t.Fatalf("step 2 search: %s", body)
	}
	principal := "GROUP:" + e.ids["Developers"]
	_, _, body = e.do("boss@example.test", "GET", "/console/assignments/new?step=3&account=222233334444&principal="+url.QueryEscape(principal), nil)
	if !strings.Contains(body, ">DeveloperAdmin</label>") || !strings.Contains(body, "Group Developers") {
		t.Fatalf("step 3: %s", body)
	}
	csrf := e.csrf("boss@example.test")
	_, _, body = e.do("boss@example.test", "POST", "/console/assignments", url.Values{"csrf": {csrf},
		"account": {"222233334444"}, "principal": {principal}})
	if !strings.Contains(body, `id="err-permissionSet">Choose at least one permission set.`) {
		t.Fatalf("no permission set: %s", body)
	}
	code, h, _ := e.do("boss@example.test", "POST", "/console/assignments", url.Values{"csrf": {csrf},
		"account": {"222233334444"}, "principal": {principal}, "permissionSet": {e.psARN}})
	if code != http.StatusSeeOther || h.Get("Location") != "/console/assignments?done=assigned" {
		t.Fatalf("assign: %d %s", code, h.Get("Location"))
	}
	acc, err := e.cs.EffectiveAccess(ctx, e.ids["dev@example.test"])
	if err != nil || len(acc) != 1 || acc[0].PermissionSet.Name != "DeveloperAdmin" || acc[0].Account.Name != "Sandbox" {
		t.Fatalf("effective access %v %v", acc, err)
	}
	_, _, body = e.do("boss@example.test", "GET", "/console/assignments", nil)
	if !strings.Contains(body, `aria-label="Remove DeveloperAdmin in Sandbox from Developers"`) {
		t.Fatalf("list: %s", body)
	}
	_, _, body = e.do("boss@example.test", "GET", "/console/access-graph?user="+e.ids["dev@example.test"], nil)
	for _, want := range []string{`<svg id="access-graph"`, `<title id="graph-title">`, `<desc id="graph-desc">`,
		`<td>dev@example.test</td><td>group Developers</td><td>DeveloperAdmin</td><td>Sandbox (222233334444)</td>`} {
		if !strings.Contains(body, want) {
			t.Errorf("access graph lacks %s", want)
		}
	}
	code, _, _ = e.do("boss@example.test", "POST", "/console/assignments/delete", url.Values{"csrf": {csrf},
		"account": {"222233334444"}, "principal": {principal}, "permissionSet": {e.psARN}})
	if acc, _ := e.cs.EffectiveAccess(ctx, e.ids["dev@example.test"]); code != http.StatusSeeOther || len(acc) != 0 {
		t.Fatalf("delete: %d, access %v", code, acc)
	}
	// The portal is told, so the group members' sessions for it end.
	if len(e.removed) != 1 || e.removed[0] != principal {
		t.Fatalf("assignment-removed hook calls %v, want [%s]", e.removed, principal)
	}
}

func TestSettingsTokensAndMetadata(t *testing.T) {
	e := newEnv(t)
	csrf := e.csrf("boss@example.test")
	_, _, body := e.do("boss@example.test", "GET", "/console/settings", nil)
	for _, want := range []string{"https://idp.example.test/metadata", `href="/saml/metadata" download`, "https://center.example.test/scim/v2"} {
		if !strings.Contains(body, want) {
			t.Errorf("settings lacks %s", want)
		}
	}
	for i := 0; i < 2; i++ {
		code, _, body := e.do("boss@example.test", "POST", "/console/settings/tokens", url.Values{"csrf": {csrf}})
		if code != http.StatusOK || !strings.Contains(body, `<code id="new-token">`) {
			t.Fatalf("token %d: %d %s", i+1, code, body)
		}
	}
	_, _, body = e.do("boss@example.test", "POST", "/console/settings/tokens", url.Values{"csrf": {csrf}})
	if !strings.Contains(body, `id="err-token" role="alert">You already have two active access tokens`) || strings.Contains(body, `id="new-token"`) {
		t.Fatalf("third token: %s", body)
	}
	toks, _ := e.cs.ListSCIMTokens(context.Background())
	code, _, _ := e.do("boss@example.test", "POST", "/console/settings/tokens/"+toks[0].ID+"/revoke", url.Values{"csrf": {csrf}})
	if code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", code)
	}
	_, _, body = e.do("boss@example.test", "POST", "/console/settings/identity-source", url.Values{"csrf": {csrf}, "metadataText": {"<nope/>"}})
	if !strings.Contains(body, `<p class="field-error" id="err-metadata">`) {
		t.Fatalf("bad metadata: %s", body)
	}
	// An admin cannot pick an admin group they are not in.
	_, _, body = e.do("boss@example.test", "POST", "/console/settings/admins", url.Values{"csrf": {csrf}, "adminGroup": {e.ids["Developers"]}})
	if !strings.Contains(body, `id="err-adminGroup">You are not a member of this group`) {
		t.Fatalf("lock-out: %s", body)
	}
}
