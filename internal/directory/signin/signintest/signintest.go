package signintest

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Response is what a request got back.
type Response struct {
	Status   int
	Location string
	Body     string
}

// Browser is a client with its own cookie jar that does not follow
// redirects.
func Browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Do sends req and reads the whole answer.
func Do(t testing.TB, c *http.Client, req *http.Request) Response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(b)}
}

// Get fetches u.
func Get(t testing.TB, c *http.Client, u string) Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return Do(t, c, req)
}

// Post submits form to u as a browser submits a form.
func Post(t testing.TB, c *http.Client, u string, form url.Values) Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return Do(t, c, req)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// CSRFIn is the first CSRF token of a page's forms.
func CSRFIn(t testing.TB, body string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in page:\n%s", body)
	}
	return html.UnescapeString(m[1])
}

// SignIn signs upn in at base (the directory's URL) through the password
// form and returns the browser holding the session cookie; sign-in must
// send it on to ret.
func SignIn(t testing.TB, base, upn, password, ret string) *http.Client {
	t.Helper()
	c := Browser()
	page := Get(t, c, base+"/login?return="+url.QueryEscape(ret))
	if page.Status != http.StatusOK {
		t.Fatalf("GET /login: %d %s", page.Status, page.Body)
	}
	r := Post(t, c, base+"/login", url.Values{"csrf": {CSRFIn(t, page.Body)}, "return": {ret},
		"username": {upn}, "password": {password}})
	if r.Status != http.StatusSeeOther || r.Location != ret {
		t.Fatalf("sign-in of %s: %d to %q\n%s", upn, r.Status, r.Location, r.Body)
	}
	return c
}

// Want fails unless r has the status and its body contains every part.
func Want(t testing.TB, r Response, status int, parts ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d (Location %q), want %d; body:\n%s", r.Status, r.Location, status, r.Body)
	}
	for _, p := range parts {
		if !strings.Contains(r.Body, p) {
			t.Fatalf("body lacks %q:\n%s", p, r.Body)
		}
	}
}

// WantRedirect fails unless r is a 303 to location.
func WantRedirect(t testing.TB, r Response, location string) {
	t.Helper()
	if r.Status != http.StatusSeeOther || r.Location != location {
		t.Fatalf("got %d to %q, want 303 to %q; body:\n%s", r.Status, r.Location, location, r.Body)
	}
}

// FieldError is the message shown next to the form field whose message
// element has id "err-<field>", "" for none.
func FieldError(body, field string) string {
	re := regexp.MustCompile(`<p class="field-error" id="err-` + regexp.QuoteMeta(field) + `">([^<]*)</p>`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}
