package samlidp_test

import (
	"compress/flate"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/samlidp"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
	"github.com/gatehouse-id/gatehouse/internal/testenv"
)

const (
	spEntity = "https://us-east-1.signin.aws.amazon.com/platform/saml/d-1234567890"
	spACS    = "https://us-east-1.signin.aws.amazon.com/platform/saml/acs/d-1234567890"
	spACS2   = "https://sp.example.test/saml/acs"
	nsSAML   = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsSAMLP  = "urn:oasis:names:tc:SAML:2.0:protocol"
)

// clock is the injected, settable clock.
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

// cookieAuth is a test Authenticator: the cookie "test_session" holds a
// user id, with "|mfa" when the session passed a second factor. In
// production the Authenticator is *signin.Handler.
type cookieAuth struct {
	dir   directory.Store
	clock *clock
}

const testCookie = "test_session"

func (a *cookieAuth) CurrentSession(r *http.Request) (*directory.Session, *directory.User, error) {
	c, err := r.Cookie(testCookie)
	if err != nil {
		return nil, nil, err
	}
	id, mfa := strings.CutSuffix(c.Value, "|mfa")
	u, err := a.dir.GetUser(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	created := a.clock.Now().Add(-2 * time.Minute)
	return &directory.Session{ID: "session-" + c.Value, UserID: id, Created: created, LastSeen: created, MFA: mfa}, u, nil
}

func (a *cookieAuth) RequireLogin(w http.ResponseWriter, r *http.Request, needMFA bool) (*directory.Session, *directory.User, bool) {
	s, u, err := a.CurrentSession(r)
	ret := url.QueryEscape(r.URL.RequestURI())
	if err != nil {
		http.Redirect(w, r, "/login?return="+ret, http.StatusSeeOther)
		return nil, nil, false
	}
	if needMFA && !s.MFA {
		http.Redirect(w, r, "/login/mfa?return="+ret, http.StatusSeeOther)
		return nil, nil, false
	}
	return s, u, true
}

// env is a running directory with the IdP mounted on a real HTTP server.
type env struct {
	t     *testing.T
	srv   *httptest.Server
	idp   *samlidp.IdP
	dir   *directorydb.Store
	clock *clock
	// alice is assigned to app through a nested group; bob is not assigned.
	alice, bob *directory.User
	app, other *directory.App
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	dir := directorydb.New(db)
	key := make([]byte, 32)
	rand.Read(key)
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	e := &env{t: t, dir: dir, clock: clk}
	e.idp = &samlidp.IdP{Directory: dir, Store: dir, Box: box, Auth: &cookieAuth{dir: dir, clock: clk}, Now: clk.Now,
		Logger: slog.New(slog.DiscardHandler)}
	mux := http.NewServeMux()
	e.idp.Mount(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.idp.BaseURL = e.srv.URL

	now := clk.Now()
	mk := func(id, upn, given, sur string) *directory.User {
		u := &directory.User{ID: id, UserPrincipalName: upn, Mail: upn, GivenName: given, Surname: sur,
			DisplayName: given + " " + sur, Department: "Engineering", EmployeeID: "E-" + id[:4], AccountEnabled: true,
			BusinessPhones: []string{}, Created: now, Modified: now}
		if err := dir.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	e.alice = mk("a1111111-0000-0000-0000-000000000001", "alice@example.com", "Alice", "Archer")
	e.bob = mk("b2222222-0000-0000-0000-000000000002", "bob@example.com", "Bob", "Baker")
	for _, g := range []*directory.Group{
		{ID: "g-outer", DisplayName: "AWS users", SecurityEnabled: true, Created: now, Modified: now},
		{ID: "g-inner", DisplayName: "Platform team", SecurityEnabled: true, Created: now, Modified: now},
	} {
		if err := dir.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	// alice ∈ g-inner ∈ g-outer, and g-outer is assigned to the app.
	if err := dir.AddMember(ctx, "g-inner", e.alice.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := dir.AddMember(ctx, "g-outer", "g-inner", now); err != nil {
		t.Fatal(err)
	}
	e.app = &directory.App{ID: "app-aws", DisplayName: "AWS IAM Identity Center", Template: "aws-iam-identity-center", Created: now}
	e.other = &directory.App{ID: "app-other", DisplayName: "Other SaaS", Template: "saml", Created: now}
	for _, a := range []*directory.App{e.app, e.other} {
		if err := dir.CreateApp(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := dir.Assign(ctx, &directory.Assignment{ID: "as-1", AppID: e.app.ID, PrincipalID: "g-outer", PrincipalKind: directory.KindGroup, Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := dir.Assign(ctx, &directory.Assignment{ID: "as-2", AppID: e.other.ID, PrincipalID: e.bob.ID, PrincipalKind: directory.KindUser, Created: now}); err != nil {
		t.Fatal(err)
	}
	e.configure(&samlidp.Config{AppID: e.app.ID, EntityID: spEntity, ACSURLs: []string{spACS, spACS2}})
	e.configure(&samlidp.Config{AppID: e.other.ID, EntityID: "https://other.example.test", ACSURLs: []string{"https://other.example.test/acs"}})
	return e
}

func (e *env) configure(c *samlidp.Config) *samlidp.Config {
	e.t.Helper()
	out, err := e.idp.Configure(context.Background(), c)
	if err != nil {
		e.t.Fatalf("configure: %v", err)
	}
	return out
}

// get/post send a request as the user with the given cookie value ("" for
// none), without following redirects.
func (e *env) do(req *http.Request, cookie string) (*http.Response, string) {
	e.t.Helper()
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: testCookie, Value: cookie})
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (e *env) get(path, cookie string) (*http.Response, string) {
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	return e.do(req, cookie)
}

func (e *env) postForm(path string, form url.Values, cookie string) (*http.Response, string) {
	req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(req, cookie)
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	formField  = regexp.MustCompile(`name="(SAMLResponse|RelayState)" value="([^"]*)"`)
)

// samlPost is the auto-submitting form of the HTTP-POST binding.
type samlPost struct {
	Action, RelayState string
	XML                []byte
	Doc                *etree.Document
}

func parsePost(t *testing.T, resp *http.Response, body string) *samlPost {
	t.Helper()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d, want 200; body:\n%s", resp.StatusCode, body)
	}
	m := formAction.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form in:\n%s", body)
	}
	p := &samlPost{Action: html.UnescapeString(m[1])}
	for _, f := range formField.FindAllStringSubmatch(body, -1) {
		v := html.UnescapeString(f[2])
		switch f[1] {
		case "SAMLResponse":
			x, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				t.Fatalf("SAMLResponse not base64: %v", err)
			}
			p.XML = x
		case "RelayState":
			p.RelayState = v
		}
	}
	if p.XML == nil {
		t.Fatalf("no SAMLResponse in:\n%s", body)
	}
	p.Doc = etree.NewDocument()
	if err := p.Doc.ReadFromBytes(p.XML); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *samlPost) assertion(t *testing.T) *etree.Element {
	t.Helper()
	as := p.Doc.Root().SelectElements("Assertion")
	if len(as) != 1 {
		t.Fatalf("%d assertions, want exactly 1", len(as))
	}
	return as[0]
}

// verify checks el's enveloped signature with goxmldsig against cert and
// returns the signed element.
func verify(t *testing.T, el *etree.Element, cert *x509.Certificate) (*etree.Element, error) {
	t.Helper()
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	vc.IdAttribute = "ID"
	return vc.Validate(el)
}

// metadataCerts fetches the app's metadata and returns its signing
// certificates in order.
func (e *env) metadataCerts(appID string) []*x509.Certificate {
	e.t.Helper()
	resp, body := e.get("/saml/"+appID+"/metadata", "")
	if resp.StatusCode != 200 {
		e.t.Fatalf("metadata: %d", resp.StatusCode)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString(body); err != nil {
		e.t.Fatal(err)
	}
	var out []*x509.Certificate
	for _, x := range doc.FindElements("//KeyDescriptor[@use='signing']/KeyInfo/X509Data/X509Certificate") {
		der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(x.Text()))
		if err != nil {
			e.t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// xmlsec1Verify verifies the signature of the element named by xpath (the
// Assertion's or the Response's) with xmlsec1 against cert, restricted to
// X.509 key data so an embedded key is never trusted.
func xmlsec1Verify(t *testing.T, xml []byte, cert *x509.Certificate, which string) error {
	t.Helper()
	bin := testenv.Command(t, "xmlsec1")
	dir := t.TempDir()
	xf, cf := filepath.Join(dir, "resp.xml"), filepath.Join(dir, "idp.crt")
	os.WriteFile(xf, xml, 0o600)
	os.WriteFile(cf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600)
	args := []string{"--verify", "--enabled-key-data", "x509", "--enabled-reference-uris", "empty,same-doc",
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
		"--pubkey-cert-pem", cf}
	switch which {
	case "assertion":
		args = append(args, "--node-xpath", `/*/*[local-name()="Assertion"]/*[local-name()="Signature"]`)
	case "response":
		args = append(args, "--node-xpath", `/*/*[local-name()="Signature"]`)
	}
	out, err := exec.Command(bin, append(args, xf)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("xmlsec1: %v\n%s", err, out)
	}
	return nil
}

// authnRequest is an SP's AuthnRequest, as node-saml sends it.
func authnRequest(id, issuer, acs string) string {
	acsAttr := ""
	if acs != "" {
		acsAttr = ` AssertionConsumerServiceURL="` + acs + `"`
	}
	return `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"` +
		` ID="` + id + `" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"` + acsAttr + `>` +
		`<saml:Issuer>` + issuer + `</saml:Issuer>` +
		`<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>` +
		`<samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>` +
		`</samlp:AuthnRequest>`
}

// deflate encodes for the HTTP-Redirect binding.
func deflate(xml string) string {
	var b strings.Builder
	w := base64.NewEncoder(base64.StdEncoding, &b)
	fw, _ := flate.NewWriter(w, flate.DefaultCompression)
	fw.Write([]byte(xml))
	fw.Close()
	w.Close()
	return b.String()
}

// redirectQuery builds the Redirect binding query, signed with key when
// it is not nil (SAML bindings §3.4.4.1).
func redirectQuery(xml, relay string, key *rsa.PrivateKey) string {
	q := "SAMLRequest=" + url.QueryEscape(deflate(xml))
	if relay != "" {
		q += "&RelayState=" + url.QueryEscape(relay)
	}
	if key != nil {
		q += "&SigAlg=" + url.QueryEscape(samlidp.RSASHA256)
		d := sha256.Sum256([]byte(q))
		sig, _ := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
		q += "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
	}
	return q
}

// spKeyPair is an SP's request-signing key and certificate.
func spKeyPair(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "sp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return key, der
}

// signXML puts an enveloped signature after the Issuer of the request.
func signXML(t *testing.T, xml string, key *rsa.PrivateKey, der []byte) string {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(xml); err != nil {
		t.Fatal(err)
	}
	sc, _ := dsig.NewSigningContext(key, [][]byte{der})
	sc.IdAttribute = "ID"
	sc.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	root := doc.Root()
	sig, err := sc.ConstructSignature(root, true)
	if err != nil {
		t.Fatal(err)
	}
	root.InsertChildAt(1, sig)
	s, _ := doc.WriteToString()
	return s
}

func spMetadata(entityID, acs string, certDER []byte, signed bool) string {
	kd := ""
	if certDER != nil {
		kd = `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>` +
			base64.StdEncoding.EncodeToString(certDER) + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`
	}
	return "\xef\xbb\xbf" + `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="` + entityID + `">
  <md:SPSSODescriptor AuthnRequestsSigned="` + fmt.Sprint(signed) + `" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    ` + kd + `
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sp.example.test/redirect-acs" index="0"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="` + acs + `" index="1"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>`
}

// attrs returns the assertion's attributes by name.
func attrs(a *etree.Element) map[string][]string {
	out := map[string][]string{}
	for _, at := range a.FindElements("AttributeStatement/Attribute") {
		for _, v := range at.SelectElements("AttributeValue") {
			out[at.SelectAttrValue("Name", "")] = append(out[at.SelectAttrValue("Name", "")], v.Text())
		}
	}
	return out
}
