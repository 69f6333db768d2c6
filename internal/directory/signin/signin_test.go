package signin_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
)

const badCreds = "The username or password is incorrect."

func TestLoginGood(t *testing.T) {
	e := newEnv(t)
	e.user("alice@example.com")
	b := e.browser()
	r := e.login(b, "Alice@Example.com", goodPassword, "", "/app?x=1")
	expect(t, r, 200, "/app?x=1", "hello alice@example.com mfa=false")

	// The cookie holds the id; only its SHA-256 is stored.
	s, raw := e.sessionOf(b)
	if s.ID == raw || len(raw) != 43 || s.MFA || !s.Expires.Equal(e.clk.Now().Add(12*time.Hour)) {
		t.Fatalf("session %+v (cookie %q)", s, raw)
	}
	if _, err := e.st.GetSession(context.Background(), raw); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("session findable by the raw cookie value: %v", err)
	}
	// The login page of a signed-in browser goes straight to return.
	expect(t, e.get(b, "/login?return=/app"), 200, "/app", "hello")
}

func TestSessionCookieAttributes(t *testing.T) {
	for _, tc := range []struct {
		trust, header, secure bool
	}{{false, false, false}, {false, true, false}, {true, true, true}, {true, false, false}} {
		e := newEnv(t)
		e.h.TrustForwardedProto = tc.trust
		e.user("alice@example.com")
		b := e.browser()
		page := e.get(b, "/login")
		form := url.Values{"csrf": {field(t, csrfRe, page.body)}, "username": {"alice@example.com"}, "password": {goodPassword}}
		req, _ := http.NewRequest("POST", e.srv.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tc.header {
			req.Header.Set("X-Forwarded-Proto", "https")
		}
		r := do(t, noFollow(b), req)
		var sc string
		for _, v := range r.header.Values("Set-Cookie") {
			if strings.HasPrefix(v, signin.SessionCookie+"=") {
				sc = v
			}
		}
		if r.status != http.StatusSeeOther || !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") ||
			!strings.Contains(sc, "Path=/") || strings.Contains(sc, "Secure") != tc.secure {
			t.Errorf("%+v: %d Set-Cookie %q", tc, r.status, sc)
		}
	}
}

func TestWrongPasswordAndUnknownUser(t *testing.T) {
	e := newEnv(t)
	u := e.user("alice@example.com")
	hashes := e.h.Hasher
	if hashes == nil {
		e.h.Hasher = signin.NewHasher(0)
		hashes = e.h.Hasher
	}
	b := e.browser()
	wrong := e.login(b, "alice@example.com", "not the password!", "", "/app")
	expect(t, wrong, http.StatusUnauthorized, "/login", badCreds)
	unknown := e.login(b, "nobody@example.com", "not the password!", "", "/app")
	expect(t, unknown, http.StatusUnauthorized, "/login", badCreds)
	// The same page apart from the echoed username, and one hash each: an
	// unknown user costs a dummy hash, so timing does not tell them apart.
	// (The CSRF token is the same: the browser keeps its gh_csrf cookie.)
	if strings.ReplaceAll(wrong.body, "alice@example.com", "X") != strings.ReplaceAll(unknown.body, "nobody@example.com", "X") {
		t.Errorf("pages differ:\n%s\n---\n%s", wrong.body, unknown.body)
	}
	if n := hashes.Count(); n != 2 {
		t.Errorf("hashes computed = %d, want 2", n)
	}
	if hasCookie(e, b, signin.SessionCookie) {
		t.Error("a failed login set a session cookie")
	}
	if c := e.creds(u.ID); c.Failures != 1 || !c.LockedUntil.IsZero() {
		t.Errorf("after one failure: %+v", c)
	}
	expect(t, e.get(b, "/app"), 200, "/login?return=%2Fapp", `autocomplete="current-password"`)
}

func TestLockoutAndExpiry(t *testing.T) {
	e := newEnv(t)
	u := e.user("alice@example.com")
	b := e.browser()
	for i := 1; i <= 5; i++ {
		expect(t, e.login(b, "alice@example.com", "wrong password "+string(rune('a'+i)), "", "/app"), 401, "", badCreds)
	}
	c := e.creds(u.ID)
	if c.Failures != 5 || !c.LockedUntil.Equal(e.clk.Now().Add(time.Minute)) {
		t.Fatalf("after 5 failures: %+v", c)
	}
	// Locked: even the right password is refused, and the page says for how long.
	expect(t, e.login(b, "alice@example.com", goodPassword, "", "/app"), http.StatusTooManyRequests, "",
		"locked after too many failed sign-in attempts. Try again in 1 minute.")
	e.clk.Add(30 * time.Second)
	expect(t, e.login(b, "alice@example.com", goodPassword, "", "/app"), 429, "", "Try again in 30 seconds.")
	// The lock expires; a further failure doubles it.
	e.clk.Add(31 * time.Second)
	expect(t, e.login(b, "alice@example.com", "still wrong!!", "", "/app"), 401, "", badCreds)
	if c := e.creds(u.ID); c.Failures != 6 || !c.LockedUntil.Equal(e.clk.Now().Add(2*time.Minute)) {
		t.Fatalf("after 6 failures: %+v", c)
	}
	expect(t, e.login(b, "alice@example.com", goodPassword, "", "/app"), 429, "", "Try again in 2 minutes.")
	e.clk.Add(2*time.Minute + time.Second)
	// A success resets the count.
	expect(t, e.login(b, "alice@example.com", goodPassword, "", "/app"), 200, "/app", "hello alice@example.com")
	if c := e.creds(u.ID); c.Failures != 0 || !c.LockedUntil.IsZero() {
		t.Fatalf("after success: %+v", c)
	}
}

func TestLockoutFor(t *testing.T) {
	for n, want := range map[int]time.Duration{0: 0, 4: 0, 5: time.Minute, 6: 2 * time.Minute, 7: 4 * time.Minute,
		9: 16 * time.Minute, 10: 30 * time.Minute, 11: 30 * time.Minute, 100: 30 * time.Minute} {
		if got := signin.LockoutFor(n); got != want {
			t.Errorf("LockoutFor(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestDisabledUserRefusedAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.user("alice@example.com")
	b := e.browser()
	expect(t, e.login(b, "alice@example.com", goodPassword, "", "/app"), 200, "/app", "hello")
	other := e.browser()
	expect(t, e.login(other, "alice@example.com", goodPassword, "", "/app"), 200, "/app", "hello")
	s, _ := e.sessionOf(b)

	if _, err := e.st.UpdateUser(ctx, u.ID, func(u *directory.User) error { u.AccountEnabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	// The very next request is refused, and every session of the user revoked.
	expect(t, e.get(b, "/app"), 200, "/login?return=%2Fapp", "Sign in")
	if got, _ := e.st.GetSession(ctx, s.ID); got.Revoked == nil {
		t.Fatal("session of a disabled user not revoked")
	}
	if so, _ := e.sessionOf(other); so.Revoked == nil {
		t.Fatal("the user's other session not revoked")
	}
	// A disabled user cannot sign in, even with the right password.
	expect(t, e.login(b, "alice@example.com", goodPassword, "", "/app"), 403, "", "Your account is disabled.")
	expect(t, e.login(b, "alice@example.com", "wrong password!", "", "/app"), 401, "", badCreds)

	// Enabled again, the old sessions stay revoked; a new login works.
	if _, err := e.st.UpdateUser(ctx, u.ID, func(u *directory.User) error { u.AccountEnabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	expect(t, e.get(other, "/app"), 200, "/login?return=%2Fapp", "Sign in")
	expect(t, e.login(b, "alice@example.com", goodPassword, "", "/app"), 200, "/app", "hello")

	// A deleted user is refused at once too.
	if err := e.st.DeleteUser(ctx, u.ID, e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	expect(t, e.get(b, "/app"), 200, "/login?return=%2Fapp", "Sign in")
	expect(t, e.login(b, "alice@example.com", goodPassword, "", "/app"), 401, "", badCreds)
}

// enroll signs in without MFA, visits /secure, enrolls TOTP from the page
// and returns the secret.
func enroll(t *testing.T, e *env, b *http.Client) string {
	t.Helper()
	r := e.login(b, "alice@example.com", goodPassword, "", "/secure")
	expect(t, r, 200, "/mfa/enroll?return=%2Fsecure", "data:image/png;base64,")
	sec := strings.ReplaceAll(field(t, secretRe, r.body), " ", "")
	if len(sec) != 32 {
		t.Fatalf("secret %q", sec)
	}
	for _, attr := range []string{`autocomplete="one-time-code"`, `<label for="otp">`, `alt="QR code`} {
		if !strings.Contains(r.body, attr) {
			t.Errorf("enroll page lacks %s", attr)
		}
	}
	form := url.Values{"csrf": {field(t, csrfRe, r.body)}, "return": {"/secure"}, "enrollment": {field(t, enrollmentRe, r.body)}}
	// A wrong first code is refused and the page shown again.
	form.Set("otp", "000000")
	if code(t, sec, e.clk.Now()) == "000000" {
		form.Set("otp", "111111")
	}
	expect(t, e.post(b, "/mfa/enroll", form), 401, "/mfa/enroll", "The verification code is incorrect.")
	form.Set("otp", code(t, sec, e.clk.Now()))
	expect(t, e.post(b, "/mfa/enroll", form), 200, "/secure", "hello alice@example.com mfa=true")
	return sec
}

func TestTOTPEnrollAndLogin(t *testing.T) {
	e := newEnv(t)
	u := e.user("alice@example.com")
	b := e.browser()
	// Before enrollment, /secure sends a password-only session to enrollment.
	expect(t, e.login(b, "alice@example.com", goodPassword, "", "/app"), 200, "/app", "mfa=false")
	before, _ := e.sessionOf(b)
	sec := enroll(t, e, b)
	after, _ := e.sessionOf(b)
	if after.ID == before.ID || !after.MFA {
		t.Fatalf("enrollment did not rotate to an MFA session: %+v", after)
	}
	c := e.creds(u.ID)
	if c.TOTPSecret == "" || strings.Contains(c.TOTPSecret, sec) || c.TOTPLastStep != e.clk.Now().Unix()/30 {
		t.Fatalf("stored TOTP: %+v", c)
	}

	// Password + code at login: an MFA session at once.
	e.clk.Add(30 * time.Second)
	b2 := e.browser()
	expect(t, e.login(b2, "alice@example.com", goodPassword, code(t, sec, e.clk.Now()), "/secure"), 200, "/secure", "mfa=true")

	// Password only: /app works, /secure asks for the code (the MFA step).
	e.clk.Add(30 * time.Second)
	b3 := e.browser()
	expect(t, e.login(b3, "alice@example.com", goodPassword, "", "/app"), 200, "/app", "mfa=false")
	step := e.get(b3, "/secure")
	expect(t, step, 200, "/login?mfa=1&return=%2Fsecure", "Verify your identity")
	form := url.Values{"csrf": {field(t, csrfRe, step.body)}, "return": {"/secure"}, "step": {"mfa"}, "otp": {"12345"}}
	expect(t, e.post(b3, "/login", form), 401, "/login", "The verification code is incorrect.")
	form.Set("otp", code(t, sec, e.clk.Now()))
	expect(t, e.post(b3, "/login", form), 200, "/secure", "mfa=true")

	// A wrong code at login counts as a failure.
	e.clk.Add(30 * time.Second)
	expect(t, e.login(e.browser(), "alice@example.com", goodPassword, "999999x", "/secure"), 401, "", "The verification code is incorrect.")
	if c := e.creds(u.ID); c.Failures != 1 {
		t.Fatalf("failures after a wrong code = %d", c.Failures)
	}
}

func TestTOTPReplayRefused(t *testing.T) {
	e := newEnv(t)
	e.user("alice@example.com")
	sec := enroll(t, e, e.browser())
	// The enrollment code's step is used: the same code is refused later in
	// the same step, and so is the previous step's (still within skew).
	e.clk.Add(10 * time.Second)
	same := code(t, sec, e.clk.Now())
	expect(t, e.login(e.browser(), "alice@example.com", goodPassword, same, "/secure"), 401, "", "already used")
	prev := code(t, sec, e.clk.Now().Add(-30*time.Second))
	expect(t, e.login(e.browser(), "alice@example.com", goodPassword, prev, "/secure"), 401, "", "already used")

	// The next step's code works once, and only once.
	e.clk.Add(30 * time.Second)
	next := code(t, sec, e.clk.Now())
	expect(t, e.login(e.browser(), "alice@example.com", goodPassword, next, "/secure"), 200, "/secure", "mfa=true")
	expect(t, e.login(e.browser(), "alice@example.com", goodPassword, next, "/secure"), 401, "", "already used")
}

func TestCSRFRefused(t *testing.T) {
	e := newEnv(t)
	e.user("alice@example.com")
	b := e.browser()
	page := e.get(b, "/login")
	token := field(t, csrfRe, page.body)
	form := url.Values{"username": {"alice@example.com"}, "password": {goodPassword}, "return": {"/app"}}
	expect(t, e.post(b, "/login", form), 403, "/login", "This form has expired.")
	form.Set("csrf", token[:42]+"A")
	if form.Get("csrf") == token {
		form.Set("csrf", token[:42]+"B")
	}
	expect(t, e.post(b, "/login", form), 403, "/login", "This form has expired.")
	// A token without its cookie (another browser's) is refused too.
	fresh := e.browser()
	form.Set("csrf", token)
	expect(t, e.post(fresh, "/login", form), 403, "/login", "This form has expired.")
	if hasCookie(e, b, signin.SessionCookie) || hasCookie(e, fresh, signin.SessionCookie) {
		t.Fatal("a refused form signed in")
	}
	expect(t, e.post(b, "/login", form), 200, "/app", "hello")

	// Signed-in forms need the session's token.
	s, _ := e.sessionOf(b)
	expect(t, e.post(b, "/logout", url.Values{}), 403, "/logout", "This form has expired.")
	expect(t, e.post(b, "/logout", url.Values{"csrf": {token}}), 403, "/logout", "This form has expired.")
	expect(t, e.post(b, "/mfa/enroll", url.Values{"csrf": {"x"}, "otp": {"123456"}}), 403, "/mfa/enroll", "This form has expired.")
	if got, _ := e.st.GetSession(context.Background(), s.ID); got.Revoked != nil {
		t.Fatal("logout without a valid token revoked the session")
	}
	expect(t, e.get(b, "/app"), 200, "/app", "hello")
}

func TestOpenRedirectRefused(t *testing.T) {
	e := newEnv(t)
	e.user("alice@example.com")
	for _, ret := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example",
		"javascript:alert(1)", "/ok\r\nLocation: https://evil.example", "evil.example", "https:/evil.example", "/%0d%0a"} {
		b := e.browser()
		page := e.get(b, "/login?return="+url.QueryEscape(ret))
		form := url.Values{"csrf": {field(t, csrfRe, page.body)}, "username": {"alice@example.com"},
			"password": {goodPassword}, "return": {ret}}
		r := e.post(noFollow(b), "/login", form)
		loc := r.header.Get("Location")
		want := "/"
		if ret == "/%0d%0a" {
			want = ret // stays an encoded path on this origin
		}
		if r.status != http.StatusSeeOther || loc != want {
			t.Errorf("return %q: %d Location %q, want %q", ret, r.status, loc, want)
		}
	}
	for p, want := range map[string]string{"/app?x=1#f": "/app?x=1#f", "/": "/", "": "/h", "//a": "/h", "/a\\b": "/h",
		"http://a/": "/h", "/\t/a": "/h"} {
		if got := signin.SafeReturn(p, "/h"); got != want {
			t.Errorf("SafeReturn(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestLogoutRevokes(t *testing.T) {
	e := newEnv(t)
	e.user("alice@example.com")
	b := e.browser()
	expect(t, e.login(b, "alice@example.com", goodPassword, "", "/app"), 200, "/app", "hello")
	s, raw := e.sessionOf(b)
	expect(t, e.post(b, "/logout", url.Values{"csrf": {s.CSRF}}), 200, "/login", "Sign in")
	if got, _ := e.st.GetSession(context.Background(), s.ID); got.Revoked == nil {
		t.Fatal("logout did not revoke the session")
	}
	if hasCookie(e, b, signin.SessionCookie) {
		t.Fatal("logout left the cookie")
	}
	// The old cookie value, replayed, is refused.
	thief := e.browser()
	u, _ := url.Parse(e.srv.URL)
	thief.Jar.SetCookies(u, []*http.Cookie{{Name: signin.SessionCookie, Value: raw, Path: "/"}})
	expect(t, e.get(thief, "/app"), 200, "/login?return=%2Fapp", "Sign in")
}

func TestRevokeAllForUser(t *testing.T) {
	e := newEnv(t)
	u := e.user("alice@example.com")
	b1, b2 := e.browser(), e.browser()
	e.login(b1, "alice@example.com", goodPassword, "", "/app")
	e.login(b2, "alice@example.com", goodPassword, "", "/app")
	n, err := signin.RevokeAllForUser(context.Background(), e.st, u.ID, e.clk.Now())
	if err != nil || n != 2 {
		t.Fatalf("revoked %d, %v", n, err)
	}
	expect(t, e.get(b1, "/app"), 200, "/login?return=%2Fapp", "Sign in")
	expect(t, e.get(b2, "/app"), 200, "/login?return=%2Fapp", "Sign in")
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	e.user("alice@example.com")
	// Idle: each request within the hour keeps the session alive.
	b := e.browser()
	e.login(b, "alice@example.com", goodPassword, "", "/app")
	for i := 0; i < 3; i++ {
		e.clk.Add(59 * time.Minute)
		expect(t, e.get(b, "/app"), 200, "/app", "hello")
	}
	e.clk.Add(time.Hour)
	expect(t, e.get(b, "/app"), 200, "/login?return=%2Fapp", "Sign in")

	// Absolute: 12 hours at most, however active.
	b = e.browser()
	e.login(b, "alice@example.com", goodPassword, "", "/app")
	for i := 0; i < 14; i++ {
		e.clk.Add(50 * time.Minute)
		expect(t, e.get(b, "/app"), 200, "/app", "hello") // 11 h 40 min
	}
	e.clk.Add(20 * time.Minute) // 12 h
	expect(t, e.get(b, "/app"), 200, "/login?return=%2Fapp", "Sign in")
}

func TestSetPasswordPolicy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.user("alice@example.com")
	if err := signin.SetPassword(ctx, e.st, u.ID, "short pass1"); !errors.Is(err, directory.ErrInvalid) {
		t.Fatalf("11 characters: %v", err)
	}
	if err := signin.SetPassword(ctx, e.st, "missing", goodPassword); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	c := e.creds(u.ID)
	if !strings.HasPrefix(c.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", c.PasswordHash)
	}
}

// CreateUser stores the user and its first password together: the user
// signs in with it at once; a refused password or a taken UPN stores
// neither.
func TestCreateUserWithPassword(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clk.Now()
	newUser := func(upn string) *directory.User {
		return &directory.User{ID: directorydb.NewID(), UserPrincipalName: upn, DisplayName: upn, AccountEnabled: true,
			BusinessPhones: []string{}, Created: now, Modified: now}
	}
	u := newUser("new@example.com")
	if err := signin.CreateUser(ctx, e.st, u, goodPassword); err != nil {
		t.Fatal(err)
	}
	if c := e.creds(u.ID); !strings.HasPrefix(c.PasswordHash, "$argon2id$") {
		t.Fatalf("hash %q", c.PasswordHash)
	}
	expect(t, e.login(e.browser(), "new@example.com", goodPassword, "", "/app"), 200, "/app", "hello new@example.com")

	short := newUser("short@example.com")
	if err := signin.CreateUser(ctx, e.st, short, "short pass1"); !errors.Is(err, directory.ErrInvalid) {
		t.Fatalf("11 characters: %v", err)
	}
	taken := newUser("NEW@example.com")
	if err := signin.CreateUser(ctx, e.st, taken, goodPassword); !errors.Is(err, directory.ErrConflict) {
		t.Fatalf("taken UPN: %v", err)
	}
	for _, id := range []string{short.ID, taken.ID} {
		if _, err := e.st.GetUser(ctx, id); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("user %s stored: %v", id, err)
		}
		if _, err := e.st.GetCredentials(ctx, id); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("credentials of %s stored: %v", id, err)
		}
	}
}
