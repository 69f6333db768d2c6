package main

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// browser is an HTTP client with cookies, following redirects, that can
// submit the forms of a page as a browser would (the SAML POST binding's
// auto-submitting form included).
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar}}
}

func (b *browser) get(u string) (*http.Response, string) {
	b.t.Helper()
	res, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func (b *browser) post(u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	res, err := b.c.PostForm(u, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

var (
	formRe   = regexp.MustCompile(`(?s)<form[^>]*method="post"[^>]*action="([^"]*)"[^>]*>(.*?)</form>`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)
)

// submit posts the page's first POST form with its hidden fields plus
// extra, resolving the action against the page's URL.
func (b *browser) submit(res *http.Response, page string, extra url.Values) (*http.Response, string) {
	b.t.Helper()
	m := formRe.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no form on %s:\n%.500s", res.Request.URL, page)
	}
	form := url.Values{}
	for _, h := range hiddenRe.FindAllStringSubmatch(m[2], -1) {
		form.Set(h[1], html.UnescapeString(h[2]))
	}
	for k, v := range extra {
		form[k] = v
	}
	action, err := res.Request.URL.Parse(html.UnescapeString(m[1]))
	if err != nil {
		b.t.Fatal(err)
	}
	return b.post(action.String(), form)
}

// TestSignInToThePortal: a demo user signs in at My Apps, clicks the AWS
// tile, the directory's IdP posts a signed SAML response to the center's
// SP, and the user lands at the center with a portal session; a leaver is
// refused at once.
func TestSignInToThePortal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := gatehouseBinary(t)
	data := t.TempDir()
	_, d := startDemo(t, bin, data, freeAddr(t), freeAddr(t))
	u := d.Users[0]

	b := newBrowser(t)
	res, page := b.get(d.MyAppsURL)
	if !strings.Contains(res.Request.URL.Path, "/login") {
		t.Fatalf("My Apps without a session went to %s", res.Request.URL)
	}
	res, page = b.submit(res, page, url.Values{"username": {u.Username}, "password": {"wrong password!"}})
	if !strings.Contains(page, "incorrect") {
		t.Fatalf("wrong password: %d %.300s", res.StatusCode, page)
	}
	res, page = b.submit(res, page, url.Values{"username": {u.Username}, "password": {u.Password}})
	if res.Request.URL.Path != "/myapps" || !strings.Contains(page, "AWS IAM Identity Center") {
		t.Fatalf("after sign-in: %s %.300s", res.Request.URL, page)
	}
	res, page = b.get(d.DirectoryURL + "/saml/" + d.AppID + "/start")
	if !strings.Contains(page, "SAMLResponse") {
		t.Fatalf("IdP-initiated sign-in: %d %.300s", res.StatusCode, page)
	}
	res, page = b.submit(res, page, nil) // the auto-submitting form, to the center's ACS
	if res.StatusCode >= 400 && res.Request.URL.Path != "/start" {
		t.Fatalf("ACS refused the response: %d %s %.500s", res.StatusCode, res.Request.URL, page)
	}
	centerURL, _ := url.Parse(d.CenterURL)
	portal := false
	for _, c := range b.c.Jar.Cookies(centerURL) {
		portal = portal || c.Name == "gh_portal"
	}
	if !portal {
		t.Fatalf("no portal session at the center after the SAML response (landed on %s)", res.Request.URL)
	}
	// The portal offers exactly what the user's groups grant: the demo's
	// first user is in AWS-Developers-ReadOnly (DeveloperReadOnly in AWSDemo
	// and Sandbox), and in no group granting the others.
	if res.Request.URL.Path != "/start" {
		t.Fatalf("landed on %s, not the portal", res.Request.URL)
	}
	for _, want := range []string{u.Username, "AWSDemo", "Sandbox", "DeveloperReadOnly"} {
		if !strings.Contains(page, want) {
			t.Fatalf("portal lacks %q:\n%.1500s", want, page)
		}
	}
	for _, not := range []string{"DeveloperAdmin", "DeveloperPowerUser", "Production"} {
		if strings.Contains(page, not) {
			t.Fatalf("portal offers %q, which the user's groups do not grant:\n%.1500s", not, page)
		}
	}

	// Leaver: sign-in blocked in the directory; the next sign-in is refused.
	var users struct{ Value []struct{ ID string } }
	call(t, "GET", d.GraphURL+"/users?$filter="+url.QueryEscape("userPrincipalName eq '"+u.Username+"'"), d.GraphToken, nil, &users)
	if st := call(t, "PATCH", d.GraphURL+"/users/"+users.Value[0].ID, d.GraphToken, map[string]any{"accountEnabled": false}, nil); st != 204 {
		t.Fatalf("disable: %d", st)
	}
	// Provisioning sends active=false to the center, which ends the portal
	// session at once.
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, page = b.get(d.PortalURL)
		if res.StatusCode == http.StatusForbidden && strings.Contains(page, "access has been removed") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the leaver's portal session still works: %d %.300s", res.StatusCode, page)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, page = b.get(d.DirectoryURL + "/saml/" + d.AppID + "/start")
	if strings.Contains(page, "SAMLResponse") {
		t.Fatal("a disabled user still got a SAML response")
	}
	b2 := newBrowser(t)
	res, page = b2.get(d.MyAppsURL)
	res, page = b2.submit(res, page, url.Values{"username": {u.Username}, "password": {u.Password}})
	if res.Request.URL.Path == "/myapps" {
		t.Fatalf("a disabled user signed in again: %.300s", page)
	}

	// The audit log holds the story, with reasons, and its chain verifies.
	dbPath := filepath.Join(data, "gatehouse.db")
	out, err := exec.Command(bin, "audit", "query", "--database", dbPath, "--kind", "signin.*", "--json").Output()
	if err != nil {
		t.Fatalf("audit query: %v", err)
	}
	for _, want := range []string{`"wrong username or password"`, `"account disabled"`, `"signin.success"`} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("audit log lacks %s:\n%s", want, out)
		}
	}
	out, err = exec.Command(bin, "audit", "verify", "--database", dbPath).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "chain intact") {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
	out, _ = exec.Command(bin, "audit", "query", "--database", dbPath, "--kind", "saml.response", "--json").Output()
	if !strings.Contains(string(out), u.Username) {
		t.Fatalf("the SAML response issued to %s is not in the audit log:\n%.1000s", u.Username, out)
	}
	out, _ = exec.Command(bin, "audit", "query", "--database", dbPath, "--kind", "scim.request", "--json").Output()
	if !strings.Contains(string(out), `"PATCH /scim/v2/Users/`) {
		t.Fatalf("the SCIM PATCH that disabled the user is not in the audit log:\n%.1000s", out)
	}
}
