package samlsp_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse-id/gatehouse/internal/center/samlsp"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

const (
	centerURL = "https://center.example.test"
	idpEntity = "https://sts.windows.net/00000000-1111-2222-3333-444444444444/"
	idpSSO    = "https://login.microsoftonline.com/00000000-1111-2222-3333-444444444444/saml2"
	nsSAML    = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsSAMLP   = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsDS      = "http://www.w3.org/2000/09/xmldsig#"
)

type testKey struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
	der  []byte
}

var (
	keysOnce                 sync.Once
	idpKey, idpKey2, evilKey *testKey
)

func newKey(cn string) *testKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		panic(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testKey{key: k, cert: c, der: der}
}

func keys() {
	keysOnce.Do(func() {
		idpKey, idpKey2 = newKey("test-idp"), newKey("test-idp-rollover")
		// The attacker clones the IdP's subject: only the key differs.
		evilKey = newKey("test-idp")
	})
}

// idpMetadata is IdP metadata carrying the given signing certificates.
func idpMetadata(certs ...*testKey) []byte {
	var kd strings.Builder
	for _, k := range certs {
		fmt.Fprintf(&kd, `<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>%s</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`,
			base64.StdEncoding.EncodeToString(k.der))
	}
	return []byte(fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="%s"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">%s<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="%s"/></IDPSSODescriptor></EntityDescriptor>`,
		idpEntity, kd.String(), idpSSO))
}

type fixture struct {
	t     *testing.T
	now   time.Time
	db    *centerdb.Store
	sp    *samlsp.SP
	mux   *http.ServeMux
	logs  *bytes.Buffer
	users map[string]string // userName -> id
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	keys()
	db := storetest.SQLite(t)
	f := &fixture{t: t, now: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC), db: centerdb.New(db),
		logs: &bytes.Buffer{}, users: map[string]string{}}
	f.sp = &samlsp.SP{CenterURL: centerURL, Store: f.db, Users: f.db, Now: func() time.Time { return f.now },
		Logger: slog.New(slog.NewTextHandler(f.logs, nil))}
	f.mux = http.NewServeMux()
	f.sp.Mount(f.mux)
	if _, err := f.sp.UseExternalIdP(context.Background(), idpMetadata(idpKey, idpKey2)); err != nil {
		t.Fatal(err)
	}
	f.addUser("alice@example.com", true)
	f.addUser("bob@example.com", false)
	return f
}

func (f *fixture) addUser(name string, active bool) {
	id := fmt.Sprintf("9067729b3d-%08d", len(f.users)+1)
	u := &scim.User{ID: id, UserName: name, Active: scim.Bool(active),
		Meta: &scim.Meta{ResourceType: "User", Created: f.now, LastModified: f.now}}
	if err := f.db.CreateUser(context.Background(), u); err != nil {
		f.t.Fatal(err)
	}
	f.users[name] = id
}

// begin runs an SP-initiated sign-in and returns the AuthnRequest ID.
func (f *fixture) begin() string {
	f.t.Helper()
	w := httptest.NewRecorder()
	f.sp.Begin(w, httptest.NewRequest("GET", centerURL+"/start", nil), "")
	loc, _ := url.Parse(w.Header().Get("Location"))
	raw, _ := base64.StdEncoding.DecodeString(loc.Query().Get("SAMLRequest"))
	xml := inflate(f.t, raw)
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		f.t.Fatal(err)
	}
	return doc.Root().SelectAttrValue("ID", "")
}

// resp describes a response the test IdP issues.
type resp struct {
	RespID, AssertionID, InResponseTo        string
	Destination, Recipient, Audience, Issuer string
	NameID, NameIDFormat                     string
	NotBefore, NotOnOrAfter, SCDNotOnOrAfter time.Time
	Status                                   string
	Attrs                                    map[string]string
}

var idSeq int

func newID() string { idSeq++; return fmt.Sprintf("_%032x", idSeq) }

func (f *fixture) good(inResponseTo string) *resp {
	return &resp{
		RespID: newID(), AssertionID: newID(), InResponseTo: inResponseTo,
		Destination: centerURL + "/saml/acs", Recipient: centerURL + "/saml/acs", Audience: centerURL + "/saml/metadata",
		Issuer: idpEntity, NameID: "alice@example.com", NameIDFormat: samlsp.NameIDFormatEmail,
		NotBefore: f.now.Add(-time.Minute), NotOnOrAfter: f.now.Add(70 * time.Minute), SCDNotOnOrAfter: f.now.Add(5 * time.Minute),
		Status: samlsp.StatusSuccess,
		Attrs: map[string]string{
			"https://aws.amazon.com/SAML/Attributes/AccessControl:CostCenter": "4711",
			"https://aws.amazon.com/SAML/Attributes/AccessControl:Department": "Engineering",
			"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name":      "alice@example.com",
		},
	}
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func irt(id string) string {
	if id == "" {
		return ""
	}
	return fmt.Sprintf(` InResponseTo="%s"`, id)
}

// assertion builds the unsigned Assertion as a standalone element.
func (r *resp) assertion() *etree.Element {
	var attrs strings.Builder
	for k, v := range r.Attrs {
		fmt.Fprintf(&attrs, `<saml:Attribute Name="%s"><saml:AttributeValue>%s</saml:AttributeValue></saml:Attribute>`, k, v)
	}
	x := fmt.Sprintf(`<saml:Assertion xmlns:saml="%s" ID="%s" IssueInstant="%s" Version="2.0"><saml:Issuer>%s</saml:Issuer><saml:Subject><saml:NameID Format="%s">%s</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData%s NotOnOrAfter="%s" Recipient="%s"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="%s" NotOnOrAfter="%s"><saml:AudienceRestriction><saml:Audience>%s</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AttributeStatement>%s</saml:AttributeStatement><saml:AuthnStatement AuthnInstant="%s" SessionIndex="%s"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement></saml:Assertion>`,
		nsSAML, r.AssertionID, ts(r.NotBefore), r.Issuer, r.NameIDFormat, r.NameID, irt(r.InResponseTo), ts(r.SCDNotOnOrAfter), r.Recipient,
		ts(r.NotBefore), ts(r.NotOnOrAfter), r.Audience, attrs.String(), ts(r.NotBefore), r.AssertionID)
	return parseEl(x)
}

// response builds the unsigned Response around a (signed or not) assertion.
func (r *resp) response(a *etree.Element) *etree.Element {
	x := fmt.Sprintf(`<samlp:Response xmlns:samlp="%s" ID="%s" Version="2.0" IssueInstant="%s" Destination="%s"%s><saml:Issuer xmlns:saml="%s">%s</saml:Issuer><samlp:Status><samlp:StatusCode Value="%s"/></samlp:Status></samlp:Response>`,
		nsSAMLP, r.RespID, ts(r.NotBefore), r.Destination, irt(r.InResponseTo), nsSAML, r.Issuer, r.Status)
	el := parseEl(x)
	el.AddChild(a)
	return el
}

func parseEl(x string) *etree.Element {
	d := etree.NewDocument()
	if err := d.ReadFromString(x); err != nil {
		panic(err)
	}
	return d.Root()
}

// sign returns el with an enveloped signature (exc-c14n, RSA-SHA256) by k,
// placed after the Issuer as the schema wants it.
func sign(t *testing.T, k *testKey, el *etree.Element) *etree.Element {
	t.Helper()
	ctx, err := dsig.NewSigningContext(k.key, [][]byte{k.der})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		t.Fatal(err)
	}
	sig, err := ctx.ConstructSignature(el, true)
	if err != nil {
		t.Fatal(err)
	}
	signed := el.Copy()
	signed.InsertChildAt(1, sig)
	return signed
}

// signedAssertion is the Entra default: the assertion signed, the response
// not.
func (f *fixture) signedAssertion(r *resp, k *testKey) *etree.Element {
	return r.response(sign(f.t, k, r.assertion()))
}

// signedResponse signs only the response.
func (f *fixture) signedResponse(r *resp, k *testKey) *etree.Element {
	return sign(f.t, k, r.response(r.assertion()))
}

func serialize(el *etree.Element) []byte {
	d := etree.NewDocument()
	d.SetRoot(el)
	b, err := d.WriteToBytes()
	if err != nil {
		panic(err)
	}
	return b
}

type result struct {
	code     int
	location string
	cookie   *http.Cookie
	body     string
}

// post POSTs xml to the ACS as the browser would.
func (f *fixture) post(xml []byte, relay string) result {
	f.t.Helper()
	form := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(xml)}}
	if relay != "" {
		form.Set("RelayState", relay)
	}
	req := httptest.NewRequest("POST", centerURL+"/saml/acs", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, req)
	res := result{code: w.Code, location: w.Header().Get("Location"), body: w.Body.String()}
	for _, c := range w.Result().Cookies() {
		if c.Name == samlsp.CookieName {
			res.cookie = c
		}
	}
	return res
}

// refused asserts a 403 whose page contains want, and no cookie.
func (f *fixture) refused(res result, want string) {
	f.t.Helper()
	if res.code != http.StatusForbidden || res.cookie != nil {
		f.t.Fatalf("got %d cookie=%v location=%q, want 403 refusal containing %q\n%s", res.code, res.cookie, res.location, want, res.body)
	}
	if !strings.Contains(res.body, want) {
		f.t.Fatalf("refusal page does not contain %q:\n%s", want, res.body)
	}
}

func (f *fixture) accepted(res result) *samlsp.Session {
	f.t.Helper()
	if res.code != http.StatusSeeOther || res.cookie == nil {
		f.t.Fatalf("got %d, want 303 with session cookie:\n%s\nlogs:\n%s", res.code, res.body, f.logs.String())
	}
	req := httptest.NewRequest("GET", centerURL+"/start", nil)
	req.AddCookie(res.cookie)
	se, err := f.sp.CurrentSession(req)
	if err != nil {
		f.t.Fatalf("CurrentSession: %v", err)
	}
	return se
}

func inflate(t *testing.T, b []byte) []byte {
	t.Helper()
	r := flateReader(b)
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func parsePEM(t *testing.T, b []byte) *x509.Certificate {
	t.Helper()
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatal("no PEM block")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
