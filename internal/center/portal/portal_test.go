package portal_test

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/portal"
	"github.com/gatehouse-id/gatehouse/internal/center/samlsp"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

const (
	idpEntity = "https://idp.example.test/metadata"
	idpSSO    = "https://idp.example.test/sso"
	nsSAML    = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsSAMLP   = "urn:oasis:names:tc:SAML:2.0:protocol"
	prodID    = "111111111111"
	devID     = "222222222222"
	otherID   = "333333333333"
)

// --- a test IdP (copied in small from samlsp's tests) ---

type idp struct {
	key *rsa.PrivateKey
	der []byte
}

func newIdP(t *testing.T) *idp {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-idp"},
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return &idp{key: k, der: der}
}

func (p *idp) metadata() []byte {
	return []byte(fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="%s"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>%s</X509Certificate></X509Data></KeyInfo></KeyDescriptor><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="%s"/></IDPSSODescriptor></EntityDescriptor>`,
		idpEntity, base64.StdEncoding.EncodeToString(p.der), idpSSO))
}

var idSeq int

func newID() string { idSeq++; return fmt.Sprintf("_%032x", idSeq) }

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func parseEl(t *testing.T, x string) *etree.Element {
	d := etree.NewDocument()
	if err := d.ReadFromString(x); err != nil {
		t.Fatal(err)
	}
	return d.Root()
}

// response is a Response to inResponseTo whose Assertion is signed.
func (p *idp) response(t *testing.T, centerURL, inResponseTo, nameID string, now time.Time, attrs map[string]string) []byte {
	t.Helper()
	acs, aud := centerURL+"/saml/acs", centerURL+"/saml/metadata"
	var as strings.Builder
	for k, v := range attrs {
		fmt.Fprintf(&as, `<saml:Attribute Name="%s"><saml:AttributeValue>%s</saml:AttributeValue></saml:Attribute>`, k, v)
	}
	aid := newID()
	nb := now.Add(-time.Minute)
	a := parseEl(t, fmt.Sprintf(`<saml:Assertion xmlns:saml="%s" ID="%s" IssueInstant="%s" Version="2.0"><saml:Issuer>%s</saml:Issuer><saml:Subject><saml:NameID Format="%s">%s</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="%s" NotOnOrAfter="%s" Recipient="%s"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="%s" NotOnOrAfter="%s"><saml:AudienceRestriction><saml:Audience>%s</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AttributeStatement>%s</saml:AttributeStatement><saml:AuthnStatement AuthnInstant="%s" SessionIndex="%s"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement></saml:Assertion>`,
		nsSAML, aid, ts(nb), idpEntity, samlsp.NameIDFormatEmail, nameID, inResponseTo, ts(now.Add(5*time.Minute)), acs,
		ts(nb), ts(now.Add(70*time.Minute)), aud, as.String(), ts(nb), aid))
	ctx, err := dsig.NewSigningContext(p.key, [][]byte{p.der})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		t.Fatal(err)
	}
	sig, err := ctx.ConstructSignature(a, true)
	if err != nil {
		t.Fatal(err)
	}
	signed := a.Copy()
	signed.InsertChildAt(1, sig)
	r := parseEl(t, fmt.Sprintf(`<samlp:Response xmlns:samlp="%s" ID="%s" Version="2.0" IssueInstant="%s" Destination="%s" InResponseTo="%s"><saml:Issuer xmlns:saml="%s">%s</saml:Issuer><samlp:Status><samlp:StatusCode Value="%s"/></samlp:Status></samlp:Response>`,
		nsSAMLP, newID(), ts(nb), acs, inResponseTo, nsSAML, idpEntity, samlsp.StatusSuccess))
	r.AddChild(signed)
	d := etree.NewDocument()
	d.SetRoot(r)
	b, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// --- fixture ---

type fixture struct {
	t       *testing.T
	now     time.Time
	s       *centerdb.Store
	sp      *samlsp.SP
	h       *portal.Handler
	srv     *httptest.Server
	idp     *idp
	logs    *bytes.Buffer
	client  *http.Client
	users   map[string]string
	groups  map[string]string
	ps      map[string]*center.PermissionSet
	console *fakeConsole
}

type fakeConsole struct{ got []*portal.ConsoleSignIn }

func (c *fakeConsole) FederateConsole(w http.ResponseWriter, r *http.Request, in *portal.ConsoleSignIn) error {
	c.got = append(c.got, in)
	w.Write([]byte("federating to AWS"))
	return nil
}

var tags = map[string]string{
	"https://aws.amazon.com/SAML/Attributes/AccessControl:CostCenter": "4711",
	"https://aws.amazon.com/SAML/Attributes/AccessControl:Department": "Engineering",
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	// The clock is injected but near the real time: the cookie jar drops
	// cookies that expire before the real now.
	f := &fixture{t: t, now: time.Now().UTC().Truncate(time.Minute), s: centerdb.New(db), idp: newIdP(t),
		logs: &bytes.Buffer{}, users: map[string]string{}, groups: map[string]string{}, ps: map[string]*center.PermissionSet{},
		console: &fakeConsole{}}
	clock := func() time.Time { return f.now }
	logger := slog.New(slog.NewTextHandler(f.logs, nil))
	mux := http.NewServeMux()
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.sp = &samlsp.SP{CenterURL: f.srv.URL, Store: f.s, Users: f.s, Now: clock, Logger: logger}
	f.sp.Mount(mux)
	f.h = &portal.Handler{Store: f.s, Sessions: f.s, SP: f.sp, Now: clock, Logger: logger, Console: f.console}
	f.h.Mount(mux)
	if _, err := f.sp.UseExternalIdP(ctx, f.idp.metadata()); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	f.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	inst, err := f.s.Instance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.user("alice@example.com", "Alice Example")
	f.user("bob@example.com", "Bob Example")
	f.group("Engineers", "alice@example.com")
	f.group("Finance", "bob@example.com")
	for _, p := range []struct{ name, dur string }{{"Admin", "PT4H"}, {"ReadOnly", ""}, {"Billing", "PT2H"}} {
		ps := &center.PermissionSet{ARN: center.NewPermissionSetARN(inst.InstanceID), Name: p.name, SessionDuration: p.dur,
			CreatedDate: f.now, ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}}
		f.noErr(f.s.CreatePermissionSet(ctx, ps))
		f.ps[p.name] = ps
	}
	for _, a := range []center.Account{
		{ID: prodID, Name: "Prod", Email: "aws+prod@example.com", RealAWS: true},
		{ID: devID, Name: "Dev", Email: "aws+dev@example.com"},
		{ID: otherID, Name: "Other", Email: "aws+other@example.com"},
	} {
		a.CreatedDate = f.now
		f.noErr(f.s.PutAccount(ctx, &a))
	}
	f.assign(prodID, "Admin", center.PrincipalUser, f.users["alice@example.com"])
	f.assign(devID, "ReadOnly", center.PrincipalGroup, f.groups["Engineers"])
	f.assign(prodID, "Billing", center.PrincipalGroup, f.groups["Finance"])
	f.assign(otherID, "Billing", center.PrincipalUser, f.users["bob@example.com"])
	return f
}

func (f *fixture) noErr(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) user(name, display string) {
	id := "9067729b3d-" + uuid.NewString()
	f.noErr(f.s.CreateUser(context.Background(), &scim.User{ID: id, UserName: name, DisplayName: display, Active: scim.Bool(true),
		Meta: &scim.Meta{ResourceType: "User", Created: f.now, LastModified: f.now}}))
	f.users[name] = id
}

func (f *fixture) group(name string, members ...string) {
	id := "9067729b3d-" + uuid.NewString()
	var ids []string
	for _, m := range members {
		ids = append(ids, f.users[m])
	}
	f.noErr(f.s.CreateGroup(context.Background(), &scim.Group{ID: id, DisplayName: name,
		Meta: &scim.Meta{ResourceType: "Group", Created: f.now, LastModified: f.now}}, ids))
	f.groups[name] = id
}

func (f *fixture) assignment(acc, ps string, typ center.PrincipalType, id string) *center.AccountAssignment {
	return &center.AccountAssignment{AccountID: acc, PermissionSetARN: f.ps[ps].ARN, PrincipalType: typ, PrincipalID: id}
}

func (f *fixture) assign(acc, ps string, typ center.PrincipalType, id string) {
	_, err := f.s.CreateAccountAssignment(context.Background(), f.assignment(acc, ps, typ, id))
	f.noErr(err)
}

type result struct {
	code     int
	location string
	body     string
}

func (f *fixture) do(req *http.Request) result {
	f.t.Helper()
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, resp.Header.Get("Location"), string(b)}
}

func (f *fixture) get(path string) result {
	req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
	return f.do(req)
}

func (f *fixture) post(path string, form url.Values) result {
	req, _ := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return f.do(req)
}

// signIn runs the SP-initiated flow from GET /start and returns the page
// /start shows afterwards.
func (f *fixture) signIn(userName string) result {
	f.t.Helper()
	r := f.get("/start")
	if r.code != http.StatusFound || !strings.HasPrefix(r.location, idpSSO+"?") {
		f.t.Fatalf("GET /start without a session = %d %q, want 302 to the IdP", r.code, r.location)
	}
	loc, _ := url.Parse(r.location)
	if loc.Query().Get("RelayState") != "/start" {
		f.t.Fatalf("RelayState = %q, want /start", loc.Query().Get("RelayState"))
	}
	raw, err := base64.StdEncoding.DecodeString(loc.Query().Get("SAMLRequest"))
	if err != nil {
		f.t.Fatal(err)
	}
	xml, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		f.t.Fatal(err)
	}
	doc := etree.NewDocument()
	f.noErr(doc.ReadFromBytes(xml))
	if doc.Root().Tag != "AuthnRequest" {
		f.t.Fatalf("SAMLRequest is %s, want AuthnRequest", doc.Root().Tag)
	}
	reqID := doc.Root().SelectAttrValue("ID", "")
	resp := f.idp.response(f.t, f.srv.URL, reqID, userName, f.now, tags)
	r = f.post("/saml/acs", url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(resp)}, "RelayState": {"/start"}})
	if r.code != http.StatusSeeOther || r.location != "/start" {
		f.t.Fatalf("ACS = %d %q, want 303 to /start\n%s\nlogs:\n%s", r.code, r.location, r.body, f.logs)
	}
	r = f.get("/start")
	if r.code != http.StatusOK {
		f.t.Fatalf("GET /start after sign-in = %d\n%s", r.code, r.body)
	}
	return r
}

var (
	csrfRe   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	offerRe  = regexp.MustCompile(`name="account_id" value="(\d+)">\s*<input type="hidden" name="permission_set_arn" value="([^"]+)">`)
	openedRe = regexp.MustCompile(`<h1>([^<]*)</h1>`)
)

func csrf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf field in\n%s", body)
	}
	return m[1]
}

func (f *fixture) open(path, token, acc, ps string) result {
	form := url.Values{"account_id": {acc}, "permission_set_arn": {f.ps[ps].ARN}}
	if token != "" {
		form.Set("csrf", token)
	}
	return f.post(path, form)
}

func (f *fixture) accountSessions(user string) []*portal.AccountSession {
	f.t.Helper()
	as, err := f.s.AccountSessions(context.Background(), f.users[user])
	f.noErr(err)
	return as
}

func at(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func expect(t *testing.T, r result, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d\n%s", r.code, code, r.body)
	}
	for _, w := range want {
		if !strings.Contains(r.body, w) {
			t.Fatalf("page does not contain %q:\n%s", w, r.body)
		}
	}
}

// --- tests ---

func TestPortalFlow(t *testing.T) {
	f := newFixture(t)
	page := f.signIn("alice@example.com")

	// Who is signed in, and exactly the access granted directly and via a group.
	expect(t, page, http.StatusOK, "Alice Example", "alice@example.com", "Prod", "Dev",
		"Session duration: 4 hours · via assigned to you", "Session duration: 1 hour · via group Engineers")
	var offers []string
	for _, m := range offerRe.FindAllStringSubmatch(page.body, -1) {
		offers = append(offers, m[1]+" "+m[2])
	}
	sort.Strings(offers)
	want := []string{devID + " " + f.ps["ReadOnly"].ARN, prodID + " " + f.ps["Admin"].ARN}
	sort.Strings(want)
	if strings.Join(offers, "\n") != strings.Join(want, "\n") {
		t.Fatalf("offers:\n%s\nwant:\n%s", strings.Join(offers, "\n"), strings.Join(want, "\n"))
	}
	for _, not := range []string{"Billing", "Other", otherID} {
		if strings.Contains(page.body, not) {
			t.Errorf("portal shows %q, which alice has no access to", not)
		}
	}
	if n := strings.Count(page.body, ">Management console<"); n != 1 {
		t.Errorf("%d Management console buttons, want 1 (Prod only)", n)
	}
	csp := ""
	{
		resp, err := f.client.Get(f.srv.URL + "/start")
		f.noErr(err)
		resp.Body.Close()
		csp = resp.Header.Get("Content-Security-Policy")
	}
	if !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	token := csrf(t, page.body)

	// CSRF missing or wrong: refused, nothing opened.
	expect(t, f.open("/start/session", "", prodID, "Admin"), http.StatusForbidden, portal.MsgCSRF)
	expect(t, f.open("/start/session", token[:len(token)-1]+"x", prodID, "Admin"), http.StatusForbidden, portal.MsgCSRF)
	// A permission set alice does not have, in an account she has.
	expect(t, f.open("/start/session", token, prodID, "Billing"), http.StatusForbidden, "You do not have access")
	if n := len(f.accountSessions("alice@example.com")); n != 0 {
		t.Fatalf("%d account sessions after refusals, want 0", n)
	}

	// Open: lasts the permission set's PT4H, carries the sign-in's tags.
	r := f.open("/start/session", token, prodID, "Admin")
	expect(t, r, http.StatusOK, "Signed in to Prod as Admin until "+at(f.now.Add(4*time.Hour)),
		"<code>CostCenter</code> = <code>4711</code>", "<code>Department</code> = <code>Engineering</code>")
	if h1 := openedRe.FindStringSubmatch(r.body); h1 == nil || h1[1] != "Signed in to Prod as Admin until "+at(f.now.Add(4*time.Hour)) {
		t.Errorf("heading = %v", h1)
	}
	as := f.accountSessions("alice@example.com")
	if len(as) != 1 {
		t.Fatalf("%d account sessions, want 1", len(as))
	}
	s := as[0]
	if !s.Created.Equal(f.now) || !s.Expires.Equal(f.now.Add(4*time.Hour)) || s.Revoked != nil {
		t.Errorf("session created %v expires %v revoked %v, want %v + 4h", s.Created, s.Expires, s.Revoked, f.now)
	}
	if s.AccountID != prodID || s.PermissionSetARN != f.ps["Admin"].ARN || s.RoleName != portal.RoleName(f.ps["Admin"]) ||
		s.UserID != f.users["alice@example.com"] || len(s.IDHash) != 64 || len(s.PortalSessionHash) != 64 {
		t.Errorf("session = %+v", s)
	}
	if len(s.Tags) != 2 || s.Tags["CostCenter"] != "4711" || s.Tags["Department"] != "Engineering" {
		t.Errorf("tags = %v", s.Tags)
	}
	if !regexp.MustCompile(`^AWSReservedSSO_Admin_[0-9a-f]{16}$`).MatchString(s.RoleName) {
		t.Errorf("role name %q", s.RoleName)
	}

	// Through the group, default PT1H.
	expect(t, f.open("/start/session", token, devID, "ReadOnly"), http.StatusOK, "Signed in to Dev as ReadOnly until "+at(f.now.Add(time.Hour)))

	// Console federation for the real AWS account.
	expect(t, f.open("/start/console", token, prodID, "Admin"), http.StatusOK, "federating to AWS")
	if len(f.console.got) != 1 {
		t.Fatalf("federator called %d times", len(f.console.got))
	}
	c := f.console.got[0]
	wantRole := "arn:aws:iam::" + prodID + ":role/" + portal.RoleName(f.ps["Admin"]) + ",arn:aws:iam::" + prodID + ":saml-provider/Gatehouse"
	if c.RoleAttribute != wantRole || c.SessionDuration != 14400 || c.RoleSessionName != "alice@example.com" ||
		c.PrincipalTags["CostCenter"] != "4711" || !c.Session.Expires.Equal(f.now.Add(4*time.Hour)) {
		t.Errorf("console sign-in = %+v, role %q", c, c.RoleAttribute)
	}
	expect(t, f.open("/start/console", token, devID, "ReadOnly"), http.StatusBadRequest, "has no AWS console")

	// Active sessions: 4 opened (Prod/Admin twice, Dev/ReadOnly twice).
	r = f.get("/start/sessions")
	expect(t, r, http.StatusOK, "Prod: Admin", "Dev: ReadOnly")
	if n := strings.Count(r.body, "<section"); n != 4 {
		t.Errorf("%d active sessions listed, want 4", n)
	}
	// Two hours later the PT1H sessions have ended.
	f.now = f.now.Add(2 * time.Hour)
	r = f.get("/start/sessions")
	if n := strings.Count(r.body, "<section"); n != 2 || strings.Contains(r.body, "Dev: ReadOnly") {
		t.Errorf("after 2h: %d sessions listed, want the 2 Prod/Admin ones\n%s", n, r.body)
	}

	// Access removed: the assignment is deleted, opening is refused.
	_, err := f.s.DeleteAccountAssignment(context.Background(), f.assignment(prodID, "Admin", center.PrincipalUser, f.users["alice@example.com"]))
	f.noErr(err)
	expect(t, f.open("/start/session", token, prodID, "Admin"), http.StatusForbidden, "You do not have access")
	page = f.get("/start")
	if strings.Contains(page.body, f.ps["Admin"].ARN) {
		t.Error("portal still offers Admin after the assignment was deleted")
	}
	// Leaving the group removes the group's access too.
	_, err = f.s.UpdateGroup(context.Background(), f.groups["Engineers"], func(g *scim.Group, m center.Members) error {
		return m.Remove([]string{f.users["alice@example.com"]})
	})
	f.noErr(err)
	expect(t, f.open("/start/session", token, devID, "ReadOnly"), http.StatusForbidden, "You do not have access")
	expect(t, f.get("/start"), http.StatusOK, "You have no AWS accounts assigned")
}

func TestLeaverRevokedAtOnce(t *testing.T) {
	f := newFixture(t)
	token := csrf(t, f.signIn("alice@example.com").body)
	expect(t, f.open("/start/session", token, prodID, "Admin"), http.StatusOK, "Signed in to Prod")
	expect(t, f.open("/start/session", token, devID, "ReadOnly"), http.StatusOK, "Signed in to Dev")

	// SCIM deactivates alice; the SCIM server's OnUserChange hook calls in.
	alice := f.users["alice@example.com"]
	_, err := f.s.UpdateUser(context.Background(), alice, func(u *scim.User) error { u.Active = false; return nil })
	f.noErr(err)
	f.h.OnUserChange(context.Background(), alice, false)

	for _, s := range f.accountSessions("alice@example.com") {
		if s.Revoked == nil || !s.Revoked.Equal(f.now) {
			t.Errorf("account session %s not revoked: %v", s.RoleName, s.Revoked)
		}
	}
	// The portal refuses at once, with the message, and does not start a
	// new sign-in.
	expect(t, f.get("/start"), http.StatusForbidden, portal.MsgAccessRemoved)
	expect(t, f.get("/start/sessions"), http.StatusForbidden, portal.MsgAccessRemoved)
	expect(t, f.open("/start/session", token, prodID, "Admin"), http.StatusForbidden, portal.MsgAccessRemoved)
	if n := len(f.accountSessions("alice@example.com")); n != 2 {
		t.Errorf("%d account sessions, want the 2 revoked ones", n)
	}
}

func TestAssignmentRemovedEndsItsSessions(t *testing.T) {
	f := newFixture(t)
	token := csrf(t, f.signIn("alice@example.com").body)
	expect(t, f.open("/start/session", token, prodID, "Admin"), http.StatusOK, "Signed in to Prod")
	expect(t, f.open("/start/session", token, devID, "ReadOnly"), http.StatusOK, "Signed in to Dev")

	// The Engineers group's Dev/ReadOnly assignment is deleted (console or
	// AWS API); the hook ends the session it granted and only that one.
	ctx := context.Background()
	_, err := f.s.DeleteAccountAssignment(ctx, f.assignment(devID, "ReadOnly", center.PrincipalGroup, f.groups["Engineers"]))
	f.noErr(err)
	f.h.OnAssignmentRemoved(ctx, center.PrincipalGroup, f.groups["Engineers"])
	revoked := map[string]bool{}
	for _, s := range f.accountSessions("alice@example.com") {
		revoked[s.AccountID] = s.Revoked != nil
	}
	if len(revoked) != 2 || !revoked[devID] || revoked[prodID] {
		t.Fatalf("revoked by account = %v, want Dev only", revoked)
	}

	// A user assignment: the Prod/Admin session ends too.
	_, err = f.s.DeleteAccountAssignment(ctx, f.assignment(prodID, "Admin", center.PrincipalUser, f.users["alice@example.com"]))
	f.noErr(err)
	f.h.OnAssignmentRemoved(ctx, center.PrincipalUser, f.users["alice@example.com"])
	for _, s := range f.accountSessions("alice@example.com") {
		if s.Revoked == nil {
			t.Errorf("session for %s still live after its assignment was deleted", s.AccountID)
		}
	}
}

func TestLeaverWithoutHook(t *testing.T) {
	// Even if the hook was never called, every request re-reads the user.
	f := newFixture(t)
	token := csrf(t, f.signIn("alice@example.com").body)
	expect(t, f.open("/start/session", token, prodID, "Admin"), http.StatusOK, "Signed in to Prod")
	alice := f.users["alice@example.com"]
	_, err := f.s.UpdateUser(context.Background(), alice, func(u *scim.User) error { u.Active = false; return nil })
	f.noErr(err)
	expect(t, f.open("/start/session", token, devID, "ReadOnly"), http.StatusForbidden, portal.MsgAccessRemoved)
	as := f.accountSessions("alice@example.com")
	if len(as) != 1 || as[0].Revoked == nil {
		t.Errorf("sessions = %+v, want the one, revoked", as)
	}
	expect(t, f.get("/start"), http.StatusForbidden, portal.MsgAccessRemoved)

	// A deleted (deprovisioned) user likewise.
	f2 := newFixture(t)
	f2.signIn("bob@example.com")
	f2.noErr(f2.s.DeleteUser(context.Background(), f2.users["bob@example.com"]))
	expect(t, f2.get("/start"), http.StatusForbidden, portal.MsgAccessRemoved)
}

func TestLogout(t *testing.T) {
	f := newFixture(t)
	token := csrf(t, f.signIn("alice@example.com").body)
	expect(t, f.open("/start/session", token, prodID, "Admin"), http.StatusOK, "Signed in to Prod")

	expect(t, f.post("/start/logout", url.Values{}), http.StatusForbidden, portal.MsgCSRF)
	if as := f.accountSessions("alice@example.com"); as[0].Revoked != nil {
		t.Fatal("logout without CSRF token ended the account session")
	}
	expect(t, f.post("/start/logout", url.Values{"csrf": {token}}), http.StatusOK, "You are signed out")
	if as := f.accountSessions("alice@example.com"); len(as) != 1 || as[0].Revoked == nil {
		t.Fatalf("account sessions after logout: %+v", as)
	}
	// Signed out: /start starts a new sign-in; the old token opens nothing.
	r := f.get("/start")
	if r.code != http.StatusFound || !strings.HasPrefix(r.location, idpSSO) {
		t.Fatalf("GET /start after logout = %d %q", r.code, r.location)
	}
	expect(t, f.open("/start/session", token, prodID, "Admin"), http.StatusUnauthorized, "Sign in again")
	// Signing in again works.
	expect(t, f.signIn("alice@example.com"), http.StatusOK, "Alice Example")
}
