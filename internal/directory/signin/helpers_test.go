package signin_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
)

const goodPassword = "correct horse battery"

// pgDSN, when set (by TestPostgres), gives each env a fresh PostgreSQL
// database instead of a SQLite file.
var pgDSN func(t *testing.T) string

// clock is the injected clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t   *testing.T
	st  *directorydb.Store
	h   *signin.Handler
	clk *clock
	srv *httptest.Server
}

// newEnv serves the sign-in pages and three protected pages on a real HTTP
// server over a SQLite file: /app (password), /secure (MFA) and
// /apps/{id} (the app's policy).
func newEnv(t *testing.T) *env {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "directory.db")
	if pgDSN != nil {
		dsn = pgDSN(t)
	}
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	// Start on a step boundary, so clk+Ns stays in the same TOTP step for N < 30.
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	e := &env{t: t, st: directorydb.New(db), clk: clk}
	e.h = &signin.Handler{Store: e.st, Box: box, Now: clk.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	mux := http.NewServeMux()
	e.h.Mount(mux)
	protected := func(need bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			s, u, ok := e.h.RequireLogin(w, r, need)
			if ok {
				fmt.Fprintf(w, "hello %s mfa=%v", u.UserPrincipalName, s.MFA)
			}
		}
	}
	mux.HandleFunc("GET /app", protected(false))
	mux.HandleFunc("GET /secure", protected(true))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// user creates an enabled user with goodPassword.
func (e *env) user(upn string) *directory.User {
	e.t.Helper()
	ctx := context.Background()
	now := e.clk.Now()
	u := &directory.User{ID: directorydb.NewID(), UserPrincipalName: upn, DisplayName: upn, AccountEnabled: true,
		BusinessPhones: []string{}, Created: now, Modified: now}
	if err := e.st.CreateUser(ctx, u); err != nil {
		e.t.Fatal(err)
	}
	if err := signin.SetPassword(ctx, e.st, u.ID, goodPassword); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// browser is a client with its own cookie jar that follows redirects.
func (e *env) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

// noFollow shares c's cookies but returns redirects instead of following.
func noFollow(c *http.Client) *http.Client {
	return &http.Client{Jar: c.Jar, Timeout: c.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type result struct {
	status int
	path   string // of the final URL, with its query
	body   string
	header http.Header
}

func do(t *testing.T, c *http.Client, req *http.Request) result {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, path: resp.Request.URL.RequestURI(), body: string(b), header: resp.Header}
}

func (e *env) get(c *http.Client, path string) result {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	return do(e.t, c, req)
}

func (e *env) post(c *http.Client, path string, form url.Values) result {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(e.t, c, req)
}

var (
	csrfRe       = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
	secretRe     = regexp.MustCompile(`<code id="secret">([A-Z2-7 ]+)</code>`)
	enrollmentRe = regexp.MustCompile(`name="enrollment" value="([^"]*)"`)
)

func field(t *testing.T, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in page:\n%s", re, body)
	}
	return html.UnescapeString(m[1])
}

// login shows the login form for ret, then submits it.
func (e *env) login(c *http.Client, username, password, otp, ret string) result {
	e.t.Helper()
	page := e.get(c, "/login?return="+url.QueryEscape(ret))
	if page.status != 200 {
		e.t.Fatalf("GET /login: %d %s", page.status, page.body)
	}
	return e.post(c, "/login", url.Values{"csrf": {field(e.t, csrfRe, page.body)}, "return": {ret},
		"username": {username}, "password": {password}, "otp": {otp}})
}

// sessionOf returns the stored session of the browser's cookie.
func (e *env) sessionOf(c *http.Client) (*directory.Session, string) {
	e.t.Helper()
	u, _ := url.Parse(e.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == signin.SessionCookie {
			sum := sha256.Sum256([]byte(ck.Value))
			s, err := e.st.GetSession(context.Background(), hex.EncodeToString(sum[:]))
			if err != nil {
				e.t.Fatalf("stored session: %v", err)
			}
			return s, ck.Value
		}
	}
	e.t.Fatal("no session cookie")
	return nil, ""
}

func hasCookie(e *env, c *http.Client, name string) bool {
	u, _ := url.Parse(e.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return true
		}
	}
	return false
}

func (e *env) creds(id string) *directory.Credentials {
	e.t.Helper()
	c, err := e.st.GetCredentials(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func expect(t *testing.T, r result, status int, path, bodyPart string) {
	t.Helper()
	if r.status != status || (path != "" && r.path != path) || !strings.Contains(r.body, bodyPart) {
		t.Fatalf("got %d %s %q; want %d %s containing %q", r.status, r.path, r.body, status, path, bodyPart)
	}
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := signin.TOTPCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
