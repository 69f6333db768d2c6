package breakglass_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/breakglass"
	"github.com/gatehouse-id/gatehouse/internal/center/console"
	"github.com/gatehouse-id/gatehouse/internal/center/portal"
	"github.com/gatehouse-id/gatehouse/internal/center/samlsp"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store/auditdb"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

const (
	prodID = "111111111111"
	devID  = "222222222222"
	pass   = "correct horse battery staple"
	// deadSSO is where the IdP's metadata says to sign in: nothing listens.
	deadSSO = "http://127.0.0.1:1/sso"
)

type fixture struct {
	t      *testing.T
	s      *centerdb.Store
	audit  *audit.Log
	srv    *httptest.Server
	logs   *syncBuffer
	mu     sync.Mutex
	now    time.Time
	secret string
	ps     map[string]*center.PermissionSet
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func (f *fixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func idpMetadata(t *testing.T) []byte {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dead-idp"},
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(fmt.Sprintf(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://127.0.0.1:1/metadata"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>%s</X509Certificate></X509Data></KeyInfo></KeyDescriptor><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="%s"/></IDPSSODescriptor></EntityDescriptor>`,
		base64.StdEncoding.EncodeToString(der), deadSSO))
}

// newFixture is a center whose identity source is an external IdP that
// cannot be reached, with the portal (behind Banner) and the emergency
// sign-in, and one emergency account "ops" granted Admin in Prod only.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	// Near the real time: the cookie jar drops cookies that expire before
	// the real now.
	f := &fixture{t: t, s: centerdb.New(db), now: time.Now().UTC().Truncate(time.Minute), logs: &syncBuffer{},
		ps: map[string]*center.PermissionSet{}}
	f.audit = audit.NewLog(auditdb.New(db), []byte("test key"))
	f.audit.Now = f.clock
	logger := slog.New(slog.NewTextHandler(f.logs, nil))
	key := make([]byte, 32)
	rand.Read(key)
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	f.srv = httptest.NewServer(breakglass.Banner(f.s, logger, mux))
	t.Cleanup(f.srv.Close)
	sp := &samlsp.SP{CenterURL: f.srv.URL, Store: f.s, Users: f.s, Now: f.clock, Logger: logger}
	sp.Mount(mux)
	(&portal.Handler{Store: f.s, Sessions: f.s, SP: sp, Now: f.clock, Logger: logger}).Mount(mux)
	(&console.Handler{Store: f.s, Settings: f.s, SP: sp, Alerts: f.s, Now: f.clock, Logger: logger}).Mount(mux)
	hasher := breakglass.NewHasher(2)
	(&breakglass.Handler{Store: f.s, Access: f.s, Sessions: f.s, Box: box, Hasher: hasher, Audit: f.audit,
		CenterURL: f.srv.URL, Now: f.clock, Logger: logger}).Mount(mux)
	if _, err := sp.UseExternalIdP(ctx, idpMetadata(t)); err != nil {
		t.Fatal(err)
	}
	inst, err := f.s.Instance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Admin", "ReadOnly"} {
		ps := &center.PermissionSet{ARN: center.NewPermissionSetARN(inst.InstanceID), Name: name, SessionDuration: "PT2H", CreatedDate: f.now}
		f.noErr(f.s.CreatePermissionSet(ctx, ps))
		f.ps[name] = ps
	}
	for _, a := range []center.Account{{ID: prodID, Name: "Prod", Email: "aws+prod@example.com"}, {ID: devID, Name: "Dev", Email: "aws+dev@example.com"}} {
		a.CreatedDate = f.now
		f.noErr(f.s.PutAccount(ctx, &a))
	}
	_, k, err := breakglass.NewAccount(ctx, f.s, f.s, box, hasher, breakglass.NewAccountInput{
		Username: "ops", Password: pass, Grants: []breakglass.Grant{{AccountID: prodID, PermissionSetARN: f.ps["Admin"].ARN}}, Now: f.now,
	})
	f.noErr(err)
	f.secret = k.Secret()
	return f
}

func (f *fixture) noErr(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) code() string {
	c, err := breakglass.Code(f.secret, f.clock())
	f.noErr(err)
	return c
}

type browser struct {
	f *fixture
	c *http.Client
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type result struct {
	code     int
	location string
	body     string
	cookies  []*http.Cookie
}

func (b *browser) do(method, path string, form url.Values) result {
	b.f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.f.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	b.f.noErr(err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, resp.Header.Get("Location"), string(data), resp.Cookies()}
}

var reCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := reCSRF.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf token in page:\n%s", body)
	}
	return m[1]
}

// signIn loads the form and posts it.
func (b *browser) signIn(user, password, otp string) result {
	b.f.t.Helper()
	form := b.do("GET", breakglass.Path, nil)
	if form.code != 200 || !strings.Contains(form.body, `name="otp"`) {
		b.f.t.Fatalf("form: %d\n%s", form.code, form.body)
	}
	return b.do("POST", breakglass.Path, url.Values{"username": {user}, "password": {password}, "otp": {otp},
		"csrf": {csrfOf(b.f.t, form.body)}})
}

func (f *fixture) uses(outcome string) []audit.Record {
	f.t.Helper()
	recs, err := f.audit.Query(context.Background(), audit.Filter{Kind: breakglass.KindUse, Outcome: outcome})
	f.noErr(err)
	return recs
}

func TestSignInWithIdPDown(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	// The portal sends the browser to the identity provider, which is down.
	if r := b.do("GET", "/start", nil); r.code != http.StatusFound || !strings.HasPrefix(r.location, deadSSO) {
		t.Fatalf("GET /start: %d %q, want a redirect to the dead IdP", r.code, r.location)
	}
	r := b.signIn("ops", pass, f.code())
	if r.code != http.StatusSeeOther || r.location != breakglass.Path {
		t.Fatalf("sign-in: %d %q\n%s", r.code, r.location, r.body)
	}
	var sc *http.Cookie
	for _, c := range r.cookies {
		if c.Name == breakglass.CookieName {
			sc = c
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != breakglass.Path {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path %s", sc, breakglass.Path)
	}
	if d := sc.Expires.Sub(f.clock()); d != time.Hour {
		t.Errorf("session lasts %s, want 1h", d)
	}
	home := b.do("GET", breakglass.Path, nil)
	if home.code != 200 || !strings.Contains(home.body, `<span id="username">ops</span>`) {
		t.Fatalf("home: %d\n%s", home.code, home.body)
	}
	// Only the granted (account, permission set) is offered.
	if !strings.Contains(home.body, `value="`+f.ps["Admin"].ARN+`"`) || strings.Contains(home.body, f.ps["ReadOnly"].ARN) ||
		strings.Contains(home.body, devID) {
		t.Errorf("home offers other grants:\n%s", home.body)
	}
	// The use is audited, alerted in the store, the log and the page.
	ok := f.uses(audit.OutcomeSuccess)
	if len(ok) != 1 || ok[0].Action != "signin" || ok[0].Actor != "breakglass:ops" || !strings.Contains(ok[0].Reason, "Emergency access used by ops") {
		t.Fatalf("audit: %+v", ok)
	}
	alerts, err := f.s.BreakGlassAlerts(context.Background(), true)
	f.noErr(err)
	want := "Emergency access used by ops at " + f.clock().Format("2006-01-02 15:04:05 UTC")
	if len(alerts) != 1 || alerts[0].Kind != breakglass.AlertUsed || alerts[0].Message() != want {
		t.Fatalf("alerts: %+v", alerts)
	}
	if !strings.Contains(home.body, want) {
		t.Errorf("emergency page does not show %q", want)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "EMERGENCY ACCESS") {
		t.Errorf("no WARN line:\n%s", logs)
	}
	if rep, err := f.audit.Verify(context.Background()); err != nil || !rep.OK() {
		t.Errorf("audit chain: %+v %v", rep, err)
	}
}

// A provisioned user's portal page, and the center console, carry the
// alert in their header until it is acknowledged.
func TestAlertInPortalHeader(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	uid := "9067729b3d-" + "00000000-0000-4000-8000-000000000001"
	f.noErr(f.s.CreateUser(ctx, &scim.User{ID: uid, UserName: "alice@example.com", DisplayName: "Alice", Active: scim.Bool(true),
		Meta: &scim.Meta{ResourceType: "User", Created: f.now, LastModified: f.now}}))
	cookie := "portal-cookie-secret"
	sum := sha256.Sum256([]byte(cookie))
	f.noErr(f.s.CompleteSignIn(ctx, &samlsp.SignIn{AssertionID: "a1", AssertionExpires: f.now.Add(time.Hour), Now: f.now,
		Session: &samlsp.Session{IDHash: hex.EncodeToString(sum[:]), UserID: uid, Created: f.now, Expires: f.now.Add(time.Hour)}}))
	// alice administers the center console too.
	admins := &scim.Group{ID: "9067729b3d-" + "00000000-0000-4000-8000-0000000000a1", DisplayName: "Center-Admins",
		Meta: &scim.Meta{ResourceType: "Group", Created: f.now, LastModified: f.now}}
	f.noErr(f.s.CreateGroup(ctx, admins, []string{uid}))
	f.noErr(f.s.PutConsoleSettings(ctx, &console.Settings{AdminGroupID: admins.ID, Updated: f.now}))
	page := func(path string) string {
		req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: samlsp.CookieName, Value: cookie})
		resp, err := http.DefaultClient.Do(req)
		f.noErr(err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d\n%s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	portalPage := func() string { return page("/start") }
	if p := portalPage(); strings.Contains(p, "Emergency access used") {
		t.Fatalf("alert before any use:\n%s", p)
	}
	if r := f.browser().signIn("ops", pass, f.code()); r.code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", r.code)
	}
	p := portalPage()
	i, j := strings.Index(p, "<header>"), strings.Index(p, "Emergency access used by ops at ")
	if i < 0 || j < i || j > strings.Index(p, "</header>") {
		t.Fatalf("alert not in the portal header:\n%s", p)
	}
	// The center console shows it in its top bar, without an inline style
	// (its CSP refuses them).
	c := page("/console")
	i, j = strings.Index(c, `<header class="top">`), strings.Index(c, `<p class="breakglass-alert" role="alert">Emergency access used by ops at `)
	if i < 0 || j < i || j > strings.Index(c, "</header>") {
		t.Fatalf("alert not in the console header:\n%s", c)
	}
	// A console admin acknowledges it on the settings page.
	alerts, err := f.s.BreakGlassAlerts(ctx, true)
	f.noErr(err)
	settings := page("/console/settings")
	if !strings.Contains(settings, `action="/console/settings/alerts/`+alerts[0].ID+`/ack"`) {
		t.Fatalf("settings page lacks the acknowledge form:\n%s", settings)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(settings)
	if csrf == nil {
		t.Fatal("no CSRF token on the settings page")
	}
	ack := func(token string) int {
		req, _ := http.NewRequest("POST", f.srv.URL+"/console/settings/alerts/"+alerts[0].ID+"/ack",
			strings.NewReader(url.Values{"csrf": {html.UnescapeString(token)}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: samlsp.CookieName, Value: cookie})
		resp, err := noRedirects.Do(req)
		f.noErr(err)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := ack("wrong"); code != http.StatusForbidden {
		t.Fatalf("acknowledge with a wrong CSRF token: %d", code)
	}
	if code := ack(csrf[1]); code != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d", code)
	}
	if open, _ := f.s.BreakGlassAlerts(ctx, true); len(open) != 0 {
		t.Fatalf("still open after acknowledgement: %+v", open)
	}
	if p := portalPage(); strings.Contains(p, "Emergency access used") {
		t.Errorf("alert shown after acknowledgement")
	}
	if c := page("/console"); strings.Contains(c, "Emergency access used") {
		t.Errorf("alert shown in the console after acknowledgement")
	}
}

func TestRefusalsAudited(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	for _, c := range []struct{ user, password, otp, reason string }{
		{"ops", "wrong password, long enough", f.code(), "wrong password"},
		{"ops", pass, "000000", "wrong one-time code"},
		{"nobody", pass, f.code(), "unknown username"},
	} {
		if c.otp == f.code() && c.reason == "wrong one-time code" {
			continue
		}
		r := b.signIn(c.user, c.password, c.otp)
		if r.code != http.StatusForbidden || !strings.Contains(r.body, "Sign-in refused") {
			t.Errorf("%s: %d\n%s", c.reason, r.code, r.body)
		}
		for _, ck := range r.cookies {
			if ck.Name == breakglass.CookieName && ck.Value != "" {
				t.Errorf("%s: session cookie set", c.reason)
			}
		}
	}
	refused := f.uses(audit.OutcomeRefused)
	var reasons []string
	for _, r := range refused {
		reasons = append(reasons, r.Reason)
	}
	if len(refused) != 3 || reasons[0] != "unknown username" || reasons[1] != "wrong one-time code" || reasons[2] != "wrong password" {
		t.Errorf("refusals audited: %q", reasons)
	}
	// No CSRF token: refused and audited.
	r := b.do("POST", breakglass.Path, url.Values{"username": {"ops"}, "password": {pass}, "otp": {f.code()}})
	if r.code != http.StatusForbidden {
		t.Errorf("without CSRF: %d", r.code)
	}
	if got := f.uses(audit.OutcomeRefused); len(got) != 4 || got[0].Reason != "CSRF token missing or wrong" {
		t.Errorf("CSRF refusal not audited: %+v", got[0])
	}
	if n := len(f.uses(audit.OutcomeSuccess)); n != 0 {
		t.Errorf("%d successes", n)
	}
	if alerts, _ := f.s.BreakGlassAlerts(context.Background(), true); len(alerts) != 0 {
		t.Errorf("alerts without a use: %+v", alerts)
	}
}

func TestReplayedCodeRefused(t *testing.T) {
	f := newFixture(t)
	code := f.code()
	if r := f.browser().signIn("ops", pass, code); r.code != http.StatusSeeOther {
		t.Fatalf("first use: %d\n%s", r.code, r.body)
	}
	f.advance(10 * time.Second) // same step, or the next: still within the skew
	if r := f.browser().signIn("ops", pass, code); r.code != http.StatusForbidden {
		t.Fatalf("replay: %d, want 403", r.code)
	}
	refused := f.uses(audit.OutcomeRefused)
	if len(refused) != 1 || refused[0].Reason != "one-time code already used (replay)" {
		t.Fatalf("replay audit: %+v", refused)
	}
	// The next code works.
	f.advance(30 * time.Second)
	if r := f.browser().signIn("ops", pass, f.code()); r.code != http.StatusSeeOther {
		t.Fatalf("next code: %d\n%s", r.code, r.body)
	}
}

func TestGrantsLimited(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	if r := b.signIn("ops", pass, f.code()); r.code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", r.code)
	}
	csrf := csrfOf(t, b.do("GET", breakglass.Path, nil).body)
	for _, g := range []struct{ acct, ps string }{{prodID, "ReadOnly"}, {devID, "Admin"}} {
		r := b.do("POST", breakglass.SessionPath, url.Values{"csrf": {csrf}, "account_id": {g.acct}, "permission_set_arn": {f.ps[g.ps].ARN}})
		if r.code != http.StatusForbidden || !strings.Contains(r.body, breakglass.MsgNoGrant) {
			t.Errorf("%s in %s: %d, want 403", g.ps, g.acct, r.code)
		}
	}
	r := b.do("POST", breakglass.SessionPath, url.Values{"csrf": {"wrong"}, "account_id": {prodID}, "permission_set_arn": {f.ps["Admin"].ARN}})
	if r.code != http.StatusForbidden {
		t.Errorf("wrong CSRF: %d", r.code)
	}
	r = b.do("POST", breakglass.SessionPath, url.Values{"csrf": {csrf}, "account_id": {prodID}, "permission_set_arn": {f.ps["Admin"].ARN}})
	if r.code != 200 || !strings.Contains(r.body, "Signed in to Prod as Admin") {
		t.Fatalf("granted: %d\n%s", r.code, r.body)
	}
	sessions, err := f.s.AccountSessions(context.Background(), "breakglass:ops")
	f.noErr(err)
	if len(sessions) != 1 || sessions[0].AccountID != prodID || sessions[0].PermissionSetARN != f.ps["Admin"].ARN ||
		sessions[0].Expires.Sub(sessions[0].Created) != 2*time.Hour {
		t.Fatalf("account sessions: %+v", sessions)
	}
	var opened, refused int
	for _, rec := range append(f.uses(audit.OutcomeSuccess), f.uses(audit.OutcomeRefused)...) {
		if rec.Action == "open_session" {
			if rec.Outcome == audit.OutcomeSuccess {
				opened++
			} else {
				refused++
			}
		}
	}
	if opened != 1 || refused != 2 {
		t.Errorf("open_session audited: %d ok, %d refused", opened, refused)
	}
	// After the hour the session is gone.
	f.advance(time.Hour)
	if r := b.do("GET", breakglass.Path, nil); !strings.Contains(r.body, `name="otp"`) {
		t.Errorf("session outlived its hour")
	}
	// Signing out ends the account sessions opened from it.
	f.advance(time.Minute)
	b2 := f.browser()
	if r := b2.signIn("ops", pass, f.code()); r.code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", r.code)
	}
	csrf = csrfOf(t, b2.do("GET", breakglass.Path, nil).body)
	b2.do("POST", breakglass.SessionPath, url.Values{"csrf": {csrf}, "account_id": {prodID}, "permission_set_arn": {f.ps["Admin"].ARN}})
	if r := b2.do("POST", breakglass.LogoutPath, url.Values{"csrf": {csrf}}); r.code != 200 {
		t.Fatalf("logout: %d", r.code)
	}
	sessions, _ = f.s.AccountSessions(context.Background(), "breakglass:ops")
	if len(sessions) != 2 || sessions[0].Revoked == nil {
		t.Errorf("account session not ended at logout: %+v", sessions[0])
	}
}

func TestLockout(t *testing.T) {
	f := newFixture(t)
	for i := range breakglass.MaxFailures {
		if r := f.browser().signIn("ops", fmt.Sprintf("wrong password number %d", i), f.code()); r.code != http.StatusForbidden {
			t.Fatalf("failure %d: %d", i, r.code)
		}
	}
	r := f.browser().signIn("ops", pass, f.code())
	if r.code != http.StatusForbidden {
		t.Fatalf("locked account signed in: %d", r.code)
	}
	refused := f.uses(audit.OutcomeRefused)
	if len(refused) != breakglass.MaxFailures+1 || !strings.HasPrefix(refused[0].Reason, "account locked until") ||
		!strings.Contains(refused[1].Reason, "account locked for 15m0s after 5 failures") {
		t.Fatalf("lockout audit: %q / %q", refused[0].Reason, refused[1].Reason)
	}
	alerts, err := f.s.BreakGlassAlerts(context.Background(), true)
	f.noErr(err)
	if len(alerts) != 1 || alerts[0].Kind != breakglass.AlertLocked {
		t.Fatalf("alerts: %+v", alerts)
	}
	// After the lockout the right credentials work again.
	f.advance(breakglass.LockoutFor)
	if r := f.browser().signIn("ops", pass, f.code()); r.code != http.StatusSeeOther {
		t.Fatalf("after lockout: %d\n%s", r.code, r.body)
	}
}

func TestPasswordHash(t *testing.T) {
	h := breakglass.NewHasher(1)
	ctx := context.Background()
	enc, err := h.Hash(ctx, pass)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("PHC string %q", enc)
	}
	if ok, err := h.Verify(ctx, enc, pass); !ok || err != nil {
		t.Errorf("verify right: %v %v", ok, err)
	}
	if ok, _ := h.Verify(ctx, enc, pass+"x"); ok {
		t.Errorf("verify wrong: true")
	}
	if _, err := h.Verify(ctx, "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", pass); err == nil {
		t.Errorf("absurd parameters accepted")
	}
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
