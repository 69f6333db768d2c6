package console_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/console"
	"github.com/gatehouse-id/gatehouse/internal/directory/samlidp"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin/signintest"
	"github.com/gatehouse-id/gatehouse/internal/governance"
	"github.com/gatehouse-id/gatehouse/internal/governance/reviews"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store/auditdb"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/governancedb"
	"github.com/gatehouse-id/gatehouse/internal/store/provisioningdb"
	"github.com/gatehouse-id/gatehouse/internal/store/reviewsdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

// These tests drive the directory console over real HTTP: the sign-in
// handler and the console mounted on one mux as cmd/gatehouse/wire.go does,
// over a SQLite directory store. Users sign in with the password form, so
// the session cookie and CSRF token are the real ones.

// password is every test user's password (long enough for the policy).
const password = "correct horse battery staple"

// Messages of the console that the tests look for.
const (
	msgNoAccess    = "Your account has no access to the directory console."
	msgReadOnly    = "Your console role is read-only: you can view, not change."
	msgFormExpired = "This form has expired. Reload the page and try again."
)

type env struct {
	t     *testing.T
	st    *directorydb.Store
	srv   *httptest.Server
	gov   *governance.Service
	rev   *reviews.Service
	audit *audit.Log
	idp   *samlidp.IdP
	// engine is the provisioning engine, not running: its jobs are read
	// and written, nothing is sent to a target.
	engine *provisioning.Engine
}

// newEnv serves sign-in, the SAML IdP and the console on a real HTTP
// server over a fresh SQLite file, with a provisioning engine that is not
// running.
func newEnv(t *testing.T) *env {
	t.Helper()
	db := storetest.SQLite(t)
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st := directorydb.New(db)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	sh := &signin.Handler{Store: st, Box: box, Logger: quiet, Home: "/myapps"}
	mux := http.NewServeMux()
	sh.Mount(mux)
	gov := &governance.Service{Store: governancedb.New(db), Dir: st, Logger: quiet}
	rs := reviewsdb.New(db)
	rev := &reviews.Service{Store: rs, Dir: st, SignIns: rs, Logger: quiet}
	log := audit.NewLog(auditdb.New(db), []byte("test audit key"))
	idp := &samlidp.IdP{Directory: st, Store: st, Box: box, Auth: sh, Logger: quiet}
	idp.Mount(mux)
	eng := &provisioning.Engine{Dir: st, Store: provisioningdb.New(db), Box: box, Logger: quiet}
	(&console.Handler{Store: st, Credentials: st, Roles: st, MFA: st, SignIn: sh, Governance: gov, Reviews: rev,
		Audit: log, IdP: idp, Engine: eng, Logger: quiet}).Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, st: st, srv: srv, gov: gov, rev: rev, audit: log, idp: idp, engine: eng}
}

// in is e for a subtest: helpers must fail the test running on their own
// goroutine, not its parent.
func (e *env) in(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// --- directory fixtures, written straight to the store ---

// user creates an enabled user; withPassword costs an argon2id hash, so
// users that never sign in go without.
func (e *env) user(upn string, withPassword bool) *directory.User {
	e.t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	u := &directory.User{ID: directorydb.NewID(), UserPrincipalName: upn, Mail: upn, DisplayName: "User " + upn,
		AccountEnabled: true, BusinessPhones: []string{}, Created: now, Modified: now}
	directory.FillUserDefaults(u)
	if err := e.st.CreateUser(ctx, u); err != nil {
		e.t.Fatal(err)
	}
	if withPassword {
		if err := signin.SetPassword(ctx, e.st, u.ID, password); err != nil {
			e.t.Fatal(err)
		}
	}
	return u
}

// consoleUser creates a user who can sign in, with the given console role
// ("" for none).
func (e *env) consoleUser(upn, role string) *directory.User {
	e.t.Helper()
	u := e.user(upn, true)
	e.setRole(u.ID, role)
	return u
}

func (e *env) setRole(userID, role string) {
	e.t.Helper()
	if err := e.st.SetConsoleRole(context.Background(), userID, role, time.Now()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) group(name string) *directory.Group {
	e.t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	g := &directory.Group{ID: directorydb.NewID(), DisplayName: name, SecurityEnabled: true, Created: now, Modified: now}
	directory.FillGroupDefaults(g)
	if err := e.st.CreateGroup(context.Background(), g); err != nil {
		e.t.Fatal(err)
	}
	return g
}

// --- store reads the assertions use ---

func (e *env) stored(id string) *directory.User {
	e.t.Helper()
	u, err := e.st.GetUser(context.Background(), id)
	if err != nil {
		e.t.Fatalf("stored user %s: %v", id, err)
	}
	return u
}

// userCount counts live users, to show that a refused form created nobody.
func (e *env) userCount() int {
	e.t.Helper()
	us, err := e.st.ListUsers(context.Background(), directory.UserQuery{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(us)
}

// members lists the ids of a group's direct members.
func (e *env) members(groupID string) []string {
	e.t.Helper()
	ms, err := e.st.Members(context.Background(), groupID)
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

// --- HTTP (through signintest, as a browser) ---

type response = signintest.Response

func (e *env) browser() *http.Client { return signintest.Browser() }

func (e *env) do(c *http.Client, req *http.Request) response {
	e.t.Helper()
	return signintest.Do(e.t, c, req)
}

func (e *env) get(c *http.Client, path string) response {
	e.t.Helper()
	return signintest.Get(e.t, c, e.srv.URL+path)
}

func (e *env) post(c *http.Client, path string, form url.Values) response {
	e.t.Helper()
	return signintest.Post(e.t, c, e.srv.URL+path, form)
}

func (e *env) csrfIn(body string) string { e.t.Helper(); return signintest.CSRFIn(e.t, body) }

// signIn signs upn in through the password form, as a browser does, and
// returns the browser holding the session cookie.
func (e *env) signIn(upn string) *http.Client {
	e.t.Helper()
	return signintest.SignIn(e.t, e.srv.URL, upn, password, "/console")
}

// cookie is the value of the browser's cookie name on the test server.
func (e *env) cookie(c *http.Client, name string) string {
	e.t.Helper()
	u, _ := url.Parse(e.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	e.t.Fatalf("no %s cookie", name)
	return ""
}

// session is the stored session behind the browser's cookie (the store
// keys it by the cookie's SHA-256).
func (e *env) session(c *http.Client) *directory.Session {
	e.t.Helper()
	sum := sha256.Sum256([]byte(e.cookie(c, signin.SessionCookie)))
	s, err := e.st.GetSession(context.Background(), hex.EncodeToString(sum[:]))
	if err != nil {
		e.t.Fatalf("stored session: %v", err)
	}
	return s
}

// consoleCSRF is the session's token as the console's own pages carry it
// (every page has it, in the sign-out form at least).
func (e *env) consoleCSRF(c *http.Client) string {
	e.t.Helper()
	r := e.get(c, "/console")
	want(e.t, r, http.StatusOK, "Overview")
	return e.csrfIn(r.Body)
}

var (
	want         = signintest.Want
	wantRedirect = signintest.WantRedirect
	fieldError   = signintest.FieldError
)

// --- tests ---

func TestAnonymousVisitorIsSentToSignIn(t *testing.T) {
	e := newEnv(t)
	target := e.user("target@gatehouse.example", false)
	b := e.browser()

	// The return path brings the visitor back to the page asked for.
	wantRedirect(t, e.get(b, "/console/users"), "/login?return=%2Fconsole%2Fusers")
	wantRedirect(t, e.get(b, "/console"), "/login?return=%2Fconsole")

	// A change without a session goes to sign-in too, and changes nothing.
	r := e.post(b, "/console/users/"+target.ID+"/disable", url.Values{"csrf": {"x"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login?") {
		t.Fatalf("anonymous POST: %d to %q", r.Status, r.Location)
	}
	if !e.stored(target.ID).AccountEnabled {
		t.Fatal("an anonymous POST disabled the user")
	}
	// Sign-in brings it back to the page the form was on, not to the
	// form's action (POST only); a foreign Referer is not followed.
	for referer, wantLoc := range map[string]string{
		e.srv.URL + "/console/users/" + target.ID: "/login?return=%2Fconsole%2Fusers%2F" + target.ID,
		"https://evil.example/console/users":      "/login?return=%2Fmyapps",
		"":                                        "/login?return=%2Fmyapps",
	} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/console/users/"+target.ID+"/disable",
			strings.NewReader("csrf=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if referer != "" {
			req.Header.Set("Referer", referer)
		}
		resp, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != wantLoc {
			t.Errorf("Referer %q: %d to %q, want %q", referer, resp.StatusCode, loc, wantLoc)
		}
	}
}

func TestSignedInUserWithoutConsoleRoleIsRefused(t *testing.T) {
	e := newEnv(t)
	target := e.user("target@gatehouse.example", false)
	e.consoleUser("employee@gatehouse.example", "")
	b := e.signIn("employee@gatehouse.example")

	for _, p := range []string{"/console", "/console/users", "/console/groups", "/console/users/" + target.ID} {
		r := e.get(b, p)
		want(t, r, http.StatusForbidden, msgNoAccess)
		if strings.Contains(r.Body, target.UserPrincipalName) {
			t.Fatalf("%s: the refusal shows directory data:\n%s", p, r.Body)
		}
	}

	// Even with the session's own CSRF token (which the user could read
	// from another page, e.g. My Apps), a change is refused.
	r := e.post(b, "/console/users/"+target.ID+"/disable", url.Values{"csrf": {e.session(b).CSRF}})
	want(t, r, http.StatusForbidden, msgNoAccess)
	if !e.stored(target.ID).AccountEnabled {
		t.Fatal("a user without a console role disabled another user")
	}

	// The role is read on every request: granting one opens the console to
	// the same session, which also shows the 403s above came from the role.
	e.setRole(e.session(b).UserID, console.RoleReadOnly)
	want(t, e.get(b, "/console/users"), http.StatusOK, target.UserPrincipalName)
}

func TestReadOnlyRoleCanViewButNotChange(t *testing.T) {
	e := newEnv(t)
	target := e.user("target@gatehouse.example", false)
	e.consoleUser("auditor@gatehouse.example", console.RoleReadOnly)
	b := e.signIn("auditor@gatehouse.example")

	r := e.get(b, "/console/users")
	want(t, r, http.StatusOK, target.UserPrincipalName, `<span class="badge">read-only</span>`)
	if strings.Contains(r.Body, `href="/console/users/new"`) {
		t.Error("the users page offers a read-only admin the New user link")
	}
	r = e.get(b, "/console/users/"+target.ID)
	want(t, r, http.StatusOK, target.UserPrincipalName)
	if strings.Contains(r.Body, "/disable") {
		t.Error("the user page offers a read-only admin the disable form")
	}
	csrf := e.csrfIn(r.Body) // a good token: the refusal is about the role
	before := e.stored(target.ID)

	r = e.post(b, "/console/users/"+target.ID+"/disable", url.Values{"csrf": {csrf}})
	want(t, r, http.StatusForbidden, msgReadOnly)
	if after := e.stored(target.ID); !after.AccountEnabled || !after.Modified.Equal(before.Modified) {
		t.Fatalf("refused disable changed the user: %+v", after)
	}

	n := e.userCount()
	r = e.post(b, "/console/users/new", url.Values{"csrf": {csrf}, "upn": {"new@gatehouse.example"},
		"displayName": {"New"}, "password": {password}})
	want(t, r, http.StatusForbidden, msgReadOnly)
	if e.userCount() != n {
		t.Fatal("a read-only admin created a user")
	}
	want(t, e.get(b, "/console/users/new"), http.StatusForbidden, msgReadOnly)
}

func TestAdminChangeNeedsTheSessionCSRFToken(t *testing.T) {
	e := newEnv(t)
	target := e.user("target@gatehouse.example", false)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	b := e.signIn("admin@gatehouse.example")
	path := "/console/users/" + target.ID + "/disable"

	for name, form := range map[string]url.Values{
		"missing": {},
		"empty":   {"csrf": {""}},
		// Same length as a real token, so only the value is wrong.
		"wrong": {"csrf": {strings.Repeat("A", 43)}},
		// The login form's pre-session token (gh_csrf cookie) is a real
		// token, but not this session's.
		"pre-session": {"csrf": {e.cookie(b, signin.CSRFCookie)}},
	} {
		t.Run(name, func(t *testing.T) {
			e := e.in(t)
			want(t, e.post(b, path, form), http.StatusForbidden, msgFormExpired)
			if !e.stored(target.ID).AccountEnabled {
				t.Fatal("a POST without the session's CSRF token disabled the user")
			}
		})
	}

	// With the token the console's pages carry, the same POST works.
	wantRedirect(t, e.post(b, path, url.Values{"csrf": {e.consoleCSRF(b)}}),
		"/console/users/"+target.ID+"?done=disabled")
	if e.stored(target.ID).AccountEnabled {
		t.Fatal("the user is still enabled")
	}
}

func TestAdminCreatesUser(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	b := e.signIn("admin@gatehouse.example")

	page := e.get(b, "/console/users/new")
	want(t, page, http.StatusOK, `action="/console/users/new"`, `name="upn"`, `name="password"`)
	const newPW = "a brand new long password"
	r := e.post(b, "/console/users/new", url.Values{"csrf": {e.csrfIn(page.Body)},
		"upn": {"grace@gatehouse.example"}, "displayName": {" Grace Hopper "}, "givenName": {"Grace"},
		"surname": {"Hopper"}, "jobTitle": {"Rear admiral"}, "department": {"Navy"}, "password": {newPW}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/console/users/") ||
		!strings.HasSuffix(r.Location, "?done=created") {
		t.Fatalf("create: %d to %q\n%s", r.Status, r.Location, r.Body)
	}

	u, err := e.st.UserByUPN(context.Background(), "grace@gatehouse.example")
	if err != nil {
		t.Fatalf("the created user is not in the store: %v", err)
	}
	if r.Location != "/console/users/"+u.ID+"?done=created" {
		t.Errorf("redirect to %q, not to the new user %s", r.Location, u.ID)
	}
	if !u.AccountEnabled || u.DisplayName != "Grace Hopper" || u.GivenName != "Grace" || u.Surname != "Hopper" ||
		u.JobTitle != "Rear admiral" || u.Department != "Navy" || u.Mail != "grace@gatehouse.example" || u.MailNickname == "" {
		t.Errorf("stored user %+v", u)
	}
	want(t, e.get(b, r.Location), http.StatusOK, "The user was created.", "grace@gatehouse.example")

	// The password set in the form is the one that signs the user in.
	c := e.browser()
	login := e.get(c, "/login")
	r = e.post(c, "/login", url.Values{"csrf": {e.csrfIn(login.Body)}, "username": {"grace@gatehouse.example"},
		"password": {newPW}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("the new user cannot sign in with the form's password: %d\n%s", r.Status, r.Body)
	}
}

func TestCreateUserRefusesBadForm(t *testing.T) {
	e := newEnv(t)
	admin := e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)

	good := func() url.Values {
		return url.Values{"csrf": {csrf}, "upn": {"grace@gatehouse.example"}, "displayName": {"Grace Hopper"},
			"department": {"Navy"}, "password": {"a brand new long password"}}
	}
	for _, tc := range []struct {
		name, field, value string
		errField, msg      string
	}{
		{"upn not alias@domain", "upn", "grace hopper", "upn", `"grace hopper" is not of the form alias@domain.`},
		{"upn with a space", "upn", "grace hopper@gatehouse.example", "upn", "contains a space"},
		{"upn taken", "upn", admin.UserPrincipalName, "upn", "Another user already has this user principal name."},
		{"no display name", "displayName", "  ", "displayName", "DisplayName is required and cannot be empty."},
		{"no password", "password", "", "password", "Enter a password for the user."},
		{"short password", "password", "too short", "password", "The password must be at least 12 characters long."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.in(t)
			n := e.userCount()
			form := good()
			form.Set(tc.field, tc.value)
			r := e.post(b, "/console/users/new", form)
			// The form comes back with 200, not 4xx: console.go's
			// formErrorStatus chooses 200 on purpose (a browser logs a 4xx
			// document as a console error). What matters is that it is
			// not the 303 of a success.
			want(t, r, http.StatusOK, "The user was not created: correct the fields marked below.")
			if got := fieldError(r.Body, tc.errField); !strings.Contains(got, tc.msg) {
				t.Errorf("message next to %s = %q, want it to contain %q", tc.errField, got, tc.msg)
			}
			if !strings.Contains(r.Body, `aria-describedby="err-`+tc.errField+`"`) {
				t.Errorf("the %s input is not tied to its message", tc.errField)
			}
			// What was typed is kept, except the password.
			if !strings.Contains(r.Body, `value="Navy"`) {
				t.Error("the form lost the department typed")
			}
			if strings.Contains(r.Body, "a brand new long password") {
				t.Error("the page echoes the password")
			}
			if e.userCount() != n {
				t.Fatal("a refused form created a user")
			}
		})
	}
	if _, err := e.st.UserByUPN(context.Background(), "grace@gatehouse.example"); err == nil {
		t.Fatal("grace@gatehouse.example exists after refused forms only")
	}
}

func TestAdminDisablesAndEnablesUser(t *testing.T) {
	e := newEnv(t)
	admin := e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	target := e.consoleUser("leaver@gatehouse.example", "")
	b := e.signIn("admin@gatehouse.example")
	leaver := e.signIn("leaver@gatehouse.example")
	csrf := e.consoleCSRF(b)

	r := e.post(b, "/console/users/"+target.ID+"/disable", url.Values{"csrf": {csrf}})
	wantRedirect(t, r, "/console/users/"+target.ID+"?done=disabled")
	if e.stored(target.ID).AccountEnabled {
		t.Fatal("the store shows the user still enabled")
	}
	// The console revokes the leaver's sessions itself: checked before the
	// leaver's browser makes a request (which would revoke it anyway).
	if s := e.session(leaver); s.Revoked == nil {
		t.Error("the disabled user's session was not revoked")
	}
	want(t, e.get(b, r.Location), http.StatusOK, "The user is disabled", `<span class="badge off">disabled</span>`,
		`action="/console/users/`+target.ID+`/enable"`)
	if r := e.get(leaver, "/console"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login?") {
		t.Errorf("the disabled user's browser: %d to %q, want a redirect to sign-in", r.Status, r.Location)
	}

	wantRedirect(t, e.post(b, "/console/users/"+target.ID+"/enable", url.Values{"csrf": {csrf}}),
		"/console/users/"+target.ID+"?done=enabled")
	if !e.stored(target.ID).AccountEnabled {
		t.Fatal("the store shows the user still disabled after enable")
	}

	// An admin cannot lock themselves out.
	r = e.post(b, "/console/users/"+admin.ID+"/disable", url.Values{"csrf": {csrf}})
	want(t, r, http.StatusOK, "You cannot disable your own account.")
	if !e.stored(admin.ID).AccountEnabled {
		t.Fatal("the admin disabled their own account")
	}

	want(t, e.post(b, "/console/users/no-such-user/disable", url.Values{"csrf": {csrf}}),
		http.StatusNotFound, "There is no such object.")
}

func TestAdminAddsAndRemovesGroupMember(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	u := e.user("dev@gatehouse.example", false)
	g := e.group("Developers")
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)
	groupPath := "/console/groups/" + g.ID

	// The UPN is matched case-insensitively, as at sign-in.
	r := e.post(b, groupPath+"/members/add", url.Values{"csrf": {csrf}, "member": {" Dev@Gatehouse.example "}})
	wantRedirect(t, r, groupPath+"?done=group-added")
	if got := e.members(g.ID); !slices.Equal(got, []string{u.ID}) {
		t.Fatalf("members after add = %v, want [%s]", got, u.ID)
	}
	if of, err := e.st.MemberOf(context.Background(), u.ID); err != nil || !slices.Contains(of, g.ID) {
		t.Fatalf("MemberOf(user) = %v, %v", of, err)
	}
	want(t, e.get(b, r.Location), http.StatusOK, "Added to the group.", u.UserPrincipalName)

	// Refused additions say why next to the field and change nothing.
	for _, tc := range []struct{ member, msg string }{
		{u.UserPrincipalName, "This is already a member of the group."},
		{"nobody@gatehouse.example", "No user has this user principal name and no group has this name."},
		{"", "Enter a user principal name or a group name."},
	} {
		r := e.post(b, groupPath+"/members/add", url.Values{"csrf": {csrf}, "member": {tc.member}})
		want(t, r, http.StatusOK, "No member was added")
		if got := fieldError(r.Body, "member"); got != tc.msg {
			t.Errorf("member %q: message %q, want %q", tc.member, got, tc.msg)
		}
		if got := e.members(g.ID); !slices.Equal(got, []string{u.ID}) {
			t.Fatalf("members after refused add of %q = %v", tc.member, got)
		}
	}

	r = e.post(b, groupPath+"/members/remove", url.Values{"csrf": {csrf}, "member": {u.ID}})
	wantRedirect(t, r, groupPath+"?done=group-remove")
	if got := e.members(g.ID); len(got) != 0 {
		t.Fatalf("members after remove = %v, want none", got)
	}
	want(t, e.get(b, r.Location), http.StatusOK, "Removed from the group.", "No members.")
	// A second click on Remove changes nothing and says so.
	r = e.post(b, groupPath+"/members/remove", url.Values{"csrf": {csrf}, "member": {u.ID}})
	wantRedirect(t, r, groupPath+"?done=not-member")
	want(t, e.get(b, r.Location), http.StatusOK, "That was not a member of the group: nothing changed.", "No members.")
}

func TestPasswordResetEndsTheUsersSessions(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	target := e.consoleUser("mover@gatehouse.example", "")
	b := e.signIn("admin@gatehouse.example")
	victim := e.signIn("mover@gatehouse.example")
	csrf := e.consoleCSRF(b)

	// A password the policy refuses changes nothing, sessions included.
	want(t, e.post(b, "/console/users/"+target.ID+"/password", url.Values{"csrf": {csrf}, "newPassword": {"short"}}),
		http.StatusOK)
	if s := e.session(victim); s.Revoked != nil {
		t.Fatal("a refused reset revoked the session")
	}
	r := e.post(b, "/console/users/"+target.ID+"/password", url.Values{"csrf": {csrf}, "newPassword": {"a fresh long passphrase 42"}})
	wantRedirect(t, r, "/console/users/"+target.ID+"?done=password")
	if s := e.session(victim); s.Revoked == nil {
		t.Error("the user's session survived the password reset")
	}
}

func TestAddingUnknownUserToGroupIsNotFound(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	g := e.group("Developers")
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)
	want(t, e.post(b, "/console/users/no-such-user/groups/add", url.Values{"csrf": {csrf}, "group": {g.ID}}),
		http.StatusNotFound, "There is no such object.")
	if got := e.members(g.ID); len(got) != 0 {
		t.Fatalf("members = %v, want none", got)
	}
}

// From a user's page: add to a group, remove, and remove again (nothing
// to do, and the page says so).
func TestUserPageGroupMembership(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	u := e.user("member@gatehouse.example", false)
	g := e.group("Developers")
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)
	userPath := "/console/users/" + u.ID
	wantRedirect(t, e.post(b, userPath+"/groups/add", url.Values{"csrf": {csrf}, "group": {g.ID}}), userPath+"?done=group-added")
	if got := e.members(g.ID); !slices.Equal(got, []string{u.ID}) {
		t.Fatalf("members = %v, want the user", got)
	}
	r := e.post(b, userPath+"/groups/remove", url.Values{"csrf": {csrf}, "group": {g.ID}})
	wantRedirect(t, r, userPath+"?done=group-remove")
	if got := e.members(g.ID); len(got) != 0 {
		t.Fatalf("members after remove = %v, want none", got)
	}
	r = e.post(b, userPath+"/groups/remove", url.Values{"csrf": {csrf}, "group": {g.ID}})
	wantRedirect(t, r, userPath+"?done=not-member")
	want(t, e.get(b, r.Location), http.StatusOK, "That was not a member of the group: nothing changed.")
}

func TestGovernanceEligibilities(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	e.consoleUser("auditor@gatehouse.example", console.RoleReadOnly)
	dev := e.user("dev@gatehouse.example", false)
	boss := e.user("boss@gatehouse.example", false)
	g := e.group("Prod-Admins")
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)
	want(t, e.get(b, "/console/governance"), http.StatusOK, "Nobody is eligible for any group.", "Make eligible")
	stored := func() []*governance.Eligibility {
		t.Helper()
		els, err := e.gov.Eligibilities(context.Background(), governance.EligibilityQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return els
	}

	// Bad input: each message next to its field, nothing stored.
	r := e.post(b, "/console/governance/eligibilities", url.Values{"csrf": {csrf}, "group": {"No-Such-Group"},
		"principal": {"nobody@gatehouse.example"}, "maxHours": {"30"}, "approvers": {"ghost@gatehouse.example"}})
	want(t, r, http.StatusOK, "The eligibility was not added")
	wantFields(t, r.Body, map[string]string{
		"group":     "No group has this name.",
		"principal": "No user has this user principal name and no group has this name.",
		"maxHours":  "Enter a whole number of hours from 1 to 24.",
		"approvers": "No user has the user principal name ghost@gatehouse.example.",
	})
	if n := len(stored()); n != 0 {
		t.Fatalf("%d eligibilities stored after a refused form", n)
	}

	// A good form.
	wantRedirect(t, e.post(b, "/console/governance/eligibilities", url.Values{"csrf": {csrf}, "group": {"Prod-Admins"},
		"principal": {"dev@gatehouse.example"}, "maxHours": {"4"}, "approvers": {"boss@gatehouse.example"},
		"requireJustification": {"1"}, "requireTicket": {"1"}}), "/console/governance?done=eligible")
	els := stored()
	if len(els) != 1 || els[0].GroupID != g.ID || els[0].PrincipalID != dev.ID || els[0].MaxDuration != 4*time.Hour ||
		!els[0].RequireJustification || !els[0].RequireTicket || els[0].RequireMFA || !slices.Equal(els[0].Approvers, []string{boss.ID}) {
		t.Fatalf("stored %+v", els)
	}
	want(t, e.get(b, "/console/governance"), http.StatusOK, "<td>Prod-Admins</td><td>dev@gatehouse.example</td><td>4 h</td>",
		"justification, ticket, approval", "boss@gatehouse.example")
	// The same again is a conflict, said next to the principal.
	r = e.post(b, "/console/governance/eligibilities", url.Values{"csrf": {csrf}, "group": {"Prod-Admins"},
		"principal": {"dev@gatehouse.example"}, "maxHours": {"2"}})
	if got := fieldError(r.Body, "principal"); got != "This principal is already eligible for this group." {
		t.Errorf("duplicate: %q", got)
	}

	// Read-only: sees it, cannot change it.
	ro := e.signIn("auditor@gatehouse.example")
	r = e.get(ro, "/console/governance")
	want(t, r, http.StatusOK, "dev@gatehouse.example")
	if strings.Contains(r.Body, "Make eligible") {
		t.Error("read-only admin sees the form")
	}
	want(t, e.post(ro, "/console/governance/eligibilities/remove", url.Values{"csrf": {e.consoleCSRF(ro)},
		"eligibility": {els[0].ID}}), http.StatusForbidden, msgReadOnly)

	wantRedirect(t, e.post(b, "/console/governance/eligibilities/remove", url.Values{"csrf": {csrf}, "eligibility": {els[0].ID}}),
		"/console/governance?done=ineligible")
	if n := len(stored()); n != 0 {
		t.Fatalf("%d eligibilities after remove", n)
	}
}

func TestReviewsPage(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	b := e.signIn("admin@gatehouse.example")
	want(t, e.get(b, "/console/reviews"), http.StatusOK, "No access review campaigns.")

	ctx := context.Background()
	g := e.group("Finance")
	reviewer := e.user("lead@gatehouse.example", false)
	for _, upn := range []string{"x@gatehouse.example", "y@gatehouse.example"} {
		u := e.user(upn, false)
		if err := e.st.AddMember(ctx, g.ID, u.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	c := &reviews.Campaign{Name: "Finance quarterly", GroupID: g.ID, Reviewers: reviews.ReviewersNamed,
		ReviewerIDs: []string{reviewer.ID}, Start: time.Now(), Duration: 48 * time.Hour, Recurrence: reviews.RecurQuarterly}
	if err := e.rev.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	ins, err := e.rev.Instances(ctx, c.ID)
	if err != nil || len(ins) != 1 {
		t.Fatalf("instances %v %v", ins, err)
	}
	items, err := e.rev.Items(ctx, ins[0].ID, "")
	if err != nil || len(items) != 2 {
		t.Fatalf("items %v %v", items, err)
	}
	if _, err := e.rev.Decide(ctx, reviews.DecideInput{ItemID: items[0].ID, ReviewerID: reviewer.ID, Decision: reviews.Deny,
		Reason: "left the team"}); err != nil {
		t.Fatal(err)
	}
	want(t, e.get(b, "/console/reviews"), http.StatusOK, "<td>Finance quarterly</td><td>group Finance</td><td>named</td><td>quarterly</td>",
		"InProgress", `<progress max="2" value="1"`, "1 of 2 decided, 1 denied")
}

func TestAuditLogPage(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	ctx := context.Background()
	// 101 sign-ins, one refused with a reason, and one SCIM write.
	for i := 0; i < 101; i++ {
		r := audit.Record{Kind: audit.KindSignInSuccess, Actor: fmt.Sprintf("user%d@gatehouse.example", i), Subject: "u", Action: "login"}
		if i == 50 {
			r.Kind, r.Outcome, r.Reason = audit.KindSignInRefused, audit.OutcomeRefused, "wrong password <script>"
		}
		if _, err := e.audit.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.audit.Append(ctx, audit.Record{Kind: audit.KindSCIMRequest, Actor: "token1", Subject: "g1", Action: "PATCH /scim/v2/Groups/g1"}); err != nil {
		t.Fatal(err)
	}
	b := e.signIn("admin@gatehouse.example")
	r := e.get(b, "/console/audit")
	want(t, r, http.StatusOK, "PATCH /scim/v2/Groups/g1", "Older records")
	if n := strings.Count(r.Body, "<tr><td>"); n != 100 {
		t.Errorf("%d rows on the first page, want 100", n)
	}
	// The reason is shown escaped; filtering by outcome finds the refusal.
	r = e.get(b, "/console/audit?outcome=refused")
	want(t, r, http.StatusOK, "user50@gatehouse.example", "wrong password &lt;script&gt;")
	if n := strings.Count(r.Body, "<tr><td>"); n != 1 || strings.Contains(r.Body, "Older records") {
		t.Errorf("refused filter: %d rows", n)
	}
	// The next page holds what the first did not.
	m := regexp.MustCompile(`href="/console/audit\?([^"]+)">Older records`).FindStringSubmatch(e.get(b, "/console/audit").Body)
	if m == nil {
		t.Fatal("no link to older records")
	}
	r = e.get(b, "/console/audit?"+html.UnescapeString(m[1]))
	if n := strings.Count(r.Body, "<tr><td>"); n != 2 || !strings.Contains(r.Body, "user0@gatehouse.example") {
		t.Errorf("second page: %d rows\n%s", n, r.Body)
	}
	want(t, e.get(b, "/console/audit?kind=scim.*"), http.StatusOK, "PATCH /scim/v2/Groups/g1")
	want(t, e.get(b, "/console/audit?before=x"), http.StatusBadRequest)
}
