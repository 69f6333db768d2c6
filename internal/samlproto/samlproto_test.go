package samlproto_test

import (
	"crypto/x509"
	"encoding/base64"
	"html"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse-id/gatehouse/internal/samlproto"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func signer(t *testing.T, mode string) (*samlproto.Signer, *x509.Certificate) {
	t.Helper()
	der, key, err := samlproto.NewSigningCert("test idp", now, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if !c.NotBefore.Equal(now.Add(-time.Minute)) || !c.NotAfter.Equal(now.Add(24*time.Hour)) || c.Subject.CommonName != "test idp" {
		t.Fatalf("certificate %v..%v %q", c.NotBefore, c.NotAfter, c.Subject.CommonName)
	}
	return &samlproto.Signer{Key: key, CertDER: der, Mode: mode}, c
}

func response() *samlproto.Response {
	return &samlproto.Response{
		Issuer: "https://idp.example.test/md", Destination: "https://sp.example.test/acs", InResponseTo: "_req",
		Audience: "https://sp.example.test", NameID: "alice@example.test", NameIDFormat: samlproto.NameIDEmail,
		IssueInstant: now, SessionIndex: "_s1", AuthnContextClassRef: samlproto.AuthnPasswordProtectedTransport,
		Attributes: []samlproto.Attribute{
			{Name: "https://aws.amazon.com/SAML/Attributes/Role", Values: []string{"r1,p1", "r2,p2"}},
			{Name: "empty"},
			{Name: "mail", NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:basic", Values: []string{"alice@example.test"}},
		},
	}
}

func parse(t *testing.T, b []byte) *etree.Element {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(b); err != nil {
		t.Fatal(err)
	}
	return d.Root()
}

func validate(el *etree.Element, cert *x509.Certificate) error {
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	vc.Clock = dsig.NewFakeClockAt(now)
	_, err := vc.Validate(el)
	return err
}

// childTags lists el's children as "prefix:tag".
func childTags(el *etree.Element) string {
	var s []string
	for _, c := range el.ChildElements() {
		s = append(s, c.FullTag())
	}
	return strings.Join(s, " ")
}

func TestBuildResponseSigningModes(t *testing.T) {
	for _, tc := range []struct {
		mode                    string
		assertionSig, rspSig    bool
		wantAssertion, wantResp string
	}{
		{"", true, false, "saml:Issuer ds:Signature saml:Subject saml:Conditions saml:AuthnStatement saml:AttributeStatement", "saml:Issuer samlp:Status saml:Assertion"},
		{samlproto.SignResponse, false, true, "saml:Issuer saml:Subject saml:Conditions saml:AuthnStatement saml:AttributeStatement", "saml:Issuer ds:Signature samlp:Status saml:Assertion"},
		{samlproto.SignBoth, true, true, "saml:Issuer ds:Signature saml:Subject saml:Conditions saml:AuthnStatement saml:AttributeStatement", "saml:Issuer ds:Signature samlp:Status saml:Assertion"},
	} {
		t.Run("mode="+tc.mode, func(t *testing.T) {
			s, cert := signer(t, tc.mode)
			b, err := samlproto.BuildResponse(response(), s)
			if err != nil {
				t.Fatal(err)
			}
			r := parse(t, b)
			a := r.SelectElement("Assertion")
			if got := childTags(a); got != tc.wantAssertion {
				t.Errorf("assertion children %q, want %q", got, tc.wantAssertion)
			}
			if got := childTags(r); got != tc.wantResp {
				t.Errorf("response children %q, want %q", got, tc.wantResp)
			}
			if tc.assertionSig {
				if err := validate(a.Copy(), cert); err != nil {
					t.Errorf("assertion signature: %v", err)
				}
				sm := a.FindElement("Signature/SignedInfo/SignatureMethod").SelectAttrValue("Algorithm", "")
				cm := a.FindElement("Signature/SignedInfo/CanonicalizationMethod").SelectAttrValue("Algorithm", "")
				if sm != samlproto.RSASHA256 || cm != "http://www.w3.org/2001/10/xml-exc-c14n#" {
					t.Errorf("signature method %q, c14n %q", sm, cm)
				}
			}
			if tc.rspSig {
				if err := validate(r, cert); err != nil {
					t.Errorf("response signature: %v", err)
				}
			}
			// Values from the description, lifetimes from the defaults.
			for path, want := range map[string]string{
				"Subject/NameID": "alice@example.test",
				"Conditions/AudienceRestriction/Audience":          "https://sp.example.test",
				"AuthnStatement/AuthnContext/AuthnContextClassRef": samlproto.AuthnPasswordProtectedTransport,
			} {
				if got := a.FindElement(path).Text(); got != want {
					t.Errorf("%s = %q, want %q", path, got, want)
				}
			}
			scd := a.FindElement("Subject/SubjectConfirmation/SubjectConfirmationData")
			if scd.SelectAttrValue("Recipient", "") != "https://sp.example.test/acs" || scd.SelectAttrValue("InResponseTo", "") != "_req" ||
				scd.SelectAttrValue("NotOnOrAfter", "") != "2026-03-01T12:05:00.000Z" {
				t.Errorf("SubjectConfirmationData %v", scd.Attr)
			}
			cond := a.SelectElement("Conditions")
			if cond.SelectAttrValue("NotBefore", "") != "2026-03-01T11:55:00.000Z" || cond.SelectAttrValue("NotOnOrAfter", "") != "2026-03-01T13:00:00.000Z" {
				t.Errorf("Conditions %v", cond.Attr)
			}
			if r.SelectAttrValue("Destination", "") != "https://sp.example.test/acs" || r.SelectAttrValue("InResponseTo", "") != "_req" {
				t.Errorf("Response attributes %v", r.Attr)
			}
			attrs := a.FindElements("AttributeStatement/Attribute")
			if len(attrs) != 2 || len(attrs[0].SelectElements("AttributeValue")) != 2 ||
				attrs[0].SelectAttrValue("NameFormat", "") != samlproto.AttrNameFormatURI ||
				attrs[1].SelectAttrValue("NameFormat", "") != "urn:oasis:names:tc:SAML:2.0:attrname-format:basic" {
				t.Errorf("attributes: %d", len(attrs))
			}
		})
	}
}

func TestBuildResponseRejects(t *testing.T) {
	s, _ := signer(t, "sideways")
	if _, err := samlproto.BuildResponse(response(), s); err == nil {
		t.Error("unknown signing mode accepted")
	}
	if _, err := samlproto.BuildResponse(response(), &samlproto.Signer{}); err == nil {
		t.Error("signer without a key accepted")
	}
}

func TestNewID(t *testing.T) {
	a, b := samlproto.NewID(), samlproto.NewID()
	if a == b || !regexp.MustCompile(`^_[0-9a-f]{40}$`).MatchString(a) {
		t.Errorf("ids %q %q", a, b)
	}
}

func TestIdPMetadata(t *testing.T) {
	s, _ := signer(t, "")
	b, err := (&samlproto.IdPMetadata{EntityID: "https://idp.example.test/md", SigningCerts: [][]byte{s.CertDER, s.CertDER},
		NameIDFormats: []string{samlproto.NameIDPersistent}, SSOURL: "https://idp.example.test/sso"}).XML()
	if err != nil {
		t.Fatal(err)
	}
	root := parse(t, b)
	if root.SelectAttrValue("entityID", "") != "https://idp.example.test/md" || root.NamespaceURI() != samlproto.NSMetadata {
		t.Fatalf("root %v", root.Attr)
	}
	idp := root.SelectElement("IDPSSODescriptor")
	if got := childTags(idp); got != "md:KeyDescriptor md:KeyDescriptor md:NameIDFormat md:SingleSignOnService md:SingleSignOnService" {
		t.Errorf("descriptor children %q", got)
	}
	x := idp.FindElement("KeyDescriptor/KeyInfo/X509Data/X509Certificate").Text()
	if x != base64.StdEncoding.EncodeToString(s.CertDER) {
		t.Error("certificate not published")
	}
	if _, err := (&samlproto.IdPMetadata{}).XML(); err == nil {
		t.Error("metadata without entity id accepted")
	}
}

func TestWritePOSTResponse(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := samlproto.WritePOSTResponse(rec, "https://sp.example.test/acs?a=1&b=2", []byte("<r/>"), `x"&y`); err != nil {
		t.Fatal(err)
	}
	body := rec.Body.String()
	m := regexp.MustCompile(`<script nonce="([^"]+)">document.getElementById\("samlform"\).submit\(\);</script>`).FindStringSubmatch(body)
	if rec.Code != 200 || m == nil {
		t.Fatalf("%d\n%s", rec.Code, body)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'nonce-"+html.UnescapeString(m[1])+"'") || !strings.HasPrefix(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers %v", rec.Header())
	}
	if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(len(body)) {
		t.Errorf("Content-Length %q, body %d bytes", cl, len(body))
	}
	for _, want := range []string{
		`<form method="post" action="https://sp.example.test/acs?a=1&amp;b=2" id="samlform">`,
		`<input type="hidden" name="RelayState" value="x&#34;&amp;y">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s\n%s", want, body)
		}
	}
	v := regexp.MustCompile(`name="SAMLResponse" value="([^"]+)"`).FindStringSubmatch(body)
	if dec, _ := base64.StdEncoding.DecodeString(html.UnescapeString(v[1])); string(dec) != "<r/>" {
		t.Errorf("SAMLResponse decodes to %q", dec)
	}
	rec = httptest.NewRecorder()
	samlproto.WritePOSTResponse(rec, "https://sp.example.test/acs", []byte("<r/>"), "")
	if strings.Contains(rec.Body.String(), "RelayState") {
		t.Error("empty RelayState sent")
	}
	if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(rec.Body.Len()) || !strings.HasSuffix(rec.Body.String(), "</html>\n") {
		t.Errorf("without RelayState: Content-Length %q, body %d bytes:\n%s", cl, rec.Body.Len(), rec.Body.String())
	}
	// A script URL never becomes the form's action.
	rec = httptest.NewRecorder()
	if err := samlproto.WritePOSTResponse(rec, "javascript:alert(1)", []byte("<r/>"), ""); err == nil || rec.Body.Len() != 0 {
		t.Errorf("javascript: ACS: err %v, body %q", err, rec.Body.String())
	}
}
