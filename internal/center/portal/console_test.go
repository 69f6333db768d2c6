package portal_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"html"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse-id/gatehouse/internal/center/portal"
	"github.com/gatehouse-id/gatehouse/internal/center/samlsp"
	"github.com/gatehouse-id/gatehouse/internal/samlproto"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/testenv"
)

// withCenterIdP gives the fixture's portal the center's own IdP in place
// of the fake federator.
func withCenterIdP(f *fixture) {
	key := make([]byte, 32)
	rand.Read(key)
	box, err := secret.NewBox(key)
	f.noErr(err)
	f.h.Console, f.h.IdPCerts, f.h.Box = nil, f.s, box
}

var (
	formActionRe = regexp.MustCompile(`<form method="post" action="([^"]+)" id="samlform">`)
	samlRespRe   = regexp.MustCompile(`name="SAMLResponse" value="([^"]+)"`)
)

// idpMetadata fetches the center's IdP metadata and returns it with its
// one signing certificate.
func (f *fixture) idpMetadata() ([]byte, *x509.Certificate) {
	f.t.Helper()
	r := f.get(portal.IdPMetadataPath)
	if r.code != http.StatusOK {
		f.t.Fatalf("GET %s = %d\n%s", portal.IdPMetadataPath, r.code, r.body)
	}
	md, err := samlsp.ParseIdPMetadata([]byte(r.body))
	if err != nil {
		f.t.Fatalf("the center's IdP metadata does not parse as IdP metadata: %v\n%s", err, r.body)
	}
	if md.EntityID != f.srv.URL+"/saml/idp/metadata" || len(md.Certs) != 1 {
		f.t.Fatalf("metadata entity id %q with %d certificates", md.EntityID, len(md.Certs))
	}
	return []byte(r.body), md.Certs[0]
}

// consoleResponse posts the Management console action and returns the
// decoded SAMLResponse of the auto-submitting form.
func (f *fixture) consoleResponse(token, acc, ps string) []byte {
	f.t.Helper()
	r := f.open("/start/console", token, acc, ps)
	expect(f.t, r, http.StatusOK, `document.getElementById("samlform").submit();`)
	m := formActionRe.FindStringSubmatch(r.body)
	if m == nil || m[1] != "https://signin.aws.amazon.com/saml" {
		f.t.Fatalf("form action = %v, want https://signin.aws.amazon.com/saml\n%s", m, r.body)
	}
	v := samlRespRe.FindStringSubmatch(r.body)
	if v == nil {
		f.t.Fatalf("no SAMLResponse in\n%s", r.body)
	}
	xml, err := base64.StdEncoding.DecodeString(html.UnescapeString(v[1]))
	f.noErr(err)
	return xml
}

// verifyAssertion checks the Assertion's signature with goxmldsig against
// cert alone and returns the signed Assertion.
func verifyAssertion(t *testing.T, xml []byte, cert *x509.Certificate, now time.Time) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		t.Fatal(err)
	}
	root := doc.Root()
	if root.Tag != "Response" || root.NamespaceURI() != nsSAMLP {
		t.Fatalf("root is %s", root.Tag)
	}
	var as []*etree.Element
	for _, c := range root.ChildElements() {
		if c.Tag == "Assertion" && c.NamespaceURI() == nsSAML {
			as = append(as, c)
		}
	}
	if len(as) != 1 {
		t.Fatalf("%d assertions, want exactly 1", len(as))
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	vc.IdAttribute = "ID"
	vc.Clock = dsig.NewFakeClockAt(now)
	signed, err := vc.Validate(as[0])
	if err != nil {
		t.Fatalf("goxmldsig: assertion signature does not verify with the metadata certificate: %v", err)
	}
	return signed
}

func text(el *etree.Element, path string) string {
	if e := el.FindElement(path); e != nil {
		return e.Text()
	}
	return ""
}

func attr(el *etree.Element, path, name string) string {
	if e := el.FindElement(path); e != nil {
		return e.SelectAttrValue(name, "")
	}
	return ""
}

// xmlsec1 runs `xmlsec1 --verify --pubkey-cert-pem cert.pem --id-attr:ID
// urn:oasis:names:tc:SAML:2.0:assertion:Assertion file.xml`, with extra
// options before the file.
func xmlsec1(t *testing.T, bin string, xml []byte, cert *x509.Certificate, extra ...string) error {
	t.Helper()
	dir := t.TempDir()
	xf, cf := filepath.Join(dir, "file.xml"), filepath.Join(dir, "cert.pem")
	os.WriteFile(xf, xml, 0o600)
	os.WriteFile(cf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600)
	args := append([]string{"--verify", "--pubkey-cert-pem", cf, "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"}, extra...)
	out, err := exec.Command(bin, append(args, xf)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return nil
}

func TestConsoleFederationWithCenterIdP(t *testing.T) {
	f := newFixture(t)
	withCenterIdP(f)
	token := csrf(t, f.signIn("alice@example.com").body)

	// No certificate before first use; the metadata creates it.
	certs, err := f.s.IdPCerts(context.Background())
	f.noErr(err)
	if len(certs) != 0 {
		t.Fatalf("%d IdP certificates before first use", len(certs))
	}
	metadata, cert := f.idpMetadata()
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() != 2048 {
		t.Errorf("certificate key is not RSA-2048: %T", cert.PublicKey)
	}
	if d := cert.NotAfter.Sub(cert.NotBefore); d < 3*365*24*time.Hour || d > 3*365*24*time.Hour+2*time.Minute {
		t.Errorf("certificate valid %v, want 3 years", d)
	}
	certs, err = f.s.IdPCerts(context.Background())
	f.noErr(err)
	if len(certs) != 1 || !certs[0].Active || string(certs[0].CertDER) != string(cert.Raw) ||
		strings.Contains(certs[0].SealedKey, "PRIVATE") || len(certs[0].SealedKey) < 1000 {
		t.Fatalf("stored certificates = %+v", certs)
	}

	xml := f.consoleResponse(token, prodID, "Admin")
	a := verifyAssertion(t, xml, cert, f.now)

	// The Response and Assertion as AWS sign-in reads them.
	doc := etree.NewDocument()
	f.noErr(doc.ReadFromBytes(xml))
	root := doc.Root()
	entity := f.srv.URL + "/saml/idp/metadata"
	if got := root.SelectAttrValue("Destination", ""); got != "https://signin.aws.amazon.com/saml" {
		t.Errorf("Destination = %q", got)
	}
	if root.SelectAttrValue("InResponseTo", "") != "" {
		t.Error("IdP-initiated response has InResponseTo")
	}
	if text(root, "Issuer") != entity || text(a, "Issuer") != entity {
		t.Errorf("issuers %q / %q, want %q", text(root, "Issuer"), text(a, "Issuer"), entity)
	}
	if attr(root, "Status/StatusCode", "Value") != samlproto.StatusSuccess {
		t.Errorf("status %q", attr(root, "Status/StatusCode", "Value"))
	}
	if text(a, "Subject/NameID") != "alice@example.com" || attr(a, "Subject/NameID", "Format") != samlproto.NameIDPersistent {
		t.Errorf("NameID %q format %q", text(a, "Subject/NameID"), attr(a, "Subject/NameID", "Format"))
	}
	if attr(a, "Subject/SubjectConfirmation", "Method") != samlproto.MethodBearer ||
		attr(a, "Subject/SubjectConfirmation/SubjectConfirmationData", "Recipient") != "https://signin.aws.amazon.com/saml" ||
		attr(a, "Subject/SubjectConfirmation/SubjectConfirmationData", "NotOnOrAfter") != samlproto.Time(f.now.Add(5*time.Minute)) {
		t.Errorf("subject confirmation = %v", a.FindElement("Subject/SubjectConfirmation"))
	}
	if text(a, "Conditions/AudienceRestriction/Audience") != "https://signin.aws.amazon.com/saml" ||
		attr(a, "Conditions", "NotOnOrAfter") != samlproto.Time(f.now.Add(time.Hour)) {
		t.Errorf("audience %q", text(a, "Conditions/AudienceRestriction/Audience"))
	}
	if a.FindElement("AuthnStatement") == nil {
		t.Error("no AuthnStatement")
	}
	got := map[string][]string{}
	for _, at := range a.FindElements("AttributeStatement/Attribute") {
		if at.SelectAttrValue("NameFormat", "") != samlproto.AttrNameFormatURI {
			t.Errorf("attribute %s NameFormat %q", at.SelectAttrValue("Name", ""), at.SelectAttrValue("NameFormat", ""))
		}
		for _, v := range at.SelectElements("AttributeValue") {
			got[at.SelectAttrValue("Name", "")] = append(got[at.SelectAttrValue("Name", "")], v.Text())
		}
	}
	want := map[string][]string{
		"https://aws.amazon.com/SAML/Attributes/Role": {"arn:aws:iam::" + prodID + ":role/" + portal.RoleName(f.ps["Admin"]) +
			",arn:aws:iam::" + prodID + ":saml-provider/Gatehouse"},
		"https://aws.amazon.com/SAML/Attributes/RoleSessionName":         {"alice@example.com"},
		"https://aws.amazon.com/SAML/Attributes/SessionDuration":         {"14400"},
		"https://aws.amazon.com/SAML/Attributes/PrincipalTag:CostCenter": {"4711"},
		"https://aws.amazon.com/SAML/Attributes/PrincipalTag:Department": {"Engineering"},
	}
	gj, _ := json.MarshalIndent(got, "", " ")
	wj, _ := json.MarshalIndent(want, "", " ")
	if string(gj) != string(wj) {
		t.Errorf("attributes:\n%s\nwant:\n%s", gj, wj)
	}
	if !regexp.MustCompile(`^AWSReservedSSO_Admin_[0-9a-f]{16}$`).MatchString(portal.RoleName(f.ps["Admin"])) {
		t.Errorf("role name %q", portal.RoleName(f.ps["Admin"]))
	}

	// Tampering breaks the signature (goxmldsig).
	tampered := []byte(strings.Replace(string(xml), "<saml:AttributeValue>alice@example.com<", "<saml:AttributeValue>mallory@example.com<", 1))
	if string(tampered) == string(xml) {
		t.Fatal("tamper did not apply")
	}
	td := etree.NewDocument()
	f.noErr(td.ReadFromBytes(tampered))
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	vc.Clock = dsig.NewFakeClockAt(f.now)
	if _, err := vc.Validate(td.Root().FindElement("Assertion")); err == nil {
		t.Error("goxmldsig accepted a tampered assertion")
	}

	// The key is created once: a second sign-in signs with the same one,
	// and the metadata is unchanged.
	xml2 := f.consoleResponse(token, prodID, "Admin")
	verifyAssertion(t, xml2, cert, f.now)
	if md2, _ := f.idpMetadata(); string(md2) != string(metadata) {
		t.Error("metadata changed between requests")
	}
	certs, _ = f.s.IdPCerts(context.Background())
	if len(certs) != 1 {
		t.Errorf("%d certificates after two sign-ins, want 1", len(certs))
	}

	// Not a real AWS account: no console action, and the endpoint refuses.
	page := f.get("/start")
	if n := strings.Count(page.body, ">Management console<"); n != 1 {
		t.Errorf("%d Management console buttons, want 1 (Prod, RealAWS)", n)
	}
	if !strings.Contains(page.body, `aria-label="Management console: Admin in Prod"`) || strings.Contains(page.body, "Management console: ReadOnly in Dev") {
		t.Error("console action offered for the wrong account")
	}
	r := f.open("/start/console", token, devID, "ReadOnly")
	expect(t, r, http.StatusBadRequest, "has no AWS console")
	if strings.Contains(r.body, "SAMLResponse") || strings.Contains(r.body, "signin.aws.amazon.com") {
		t.Errorf("non-RealAWS account got a SAML form:\n%s", r.body)
	}

	// Independent verification with xmlsec1 (make test requires it).
	bin := testenv.Command(t, "xmlsec1")
	// Restricted to X.509 key data and same-document references too
	// (real-clients.md §2.1: otherwise an embedded key would be trusted).
	strict := []string{"--enabled-key-data", "x509", "--enabled-reference-uris", "empty,same-doc"}
	if err := xmlsec1(t, bin, xml, cert); err != nil {
		t.Fatalf("xmlsec1 rejected the console response: %v", err)
	}
	if err := xmlsec1(t, bin, xml, cert, strict...); err != nil {
		t.Fatalf("xmlsec1 (strict) rejected the console response: %v", err)
	}
	if err := xmlsec1(t, bin, tampered, cert, strict...); err == nil {
		t.Error("xmlsec1 accepted a tampered response")
	}
	other := newIdP(t) // a certificate the metadata does not hold
	otherCert, _ := x509.ParseCertificate(other.der)
	if err := xmlsec1(t, bin, xml, otherCert, strict...); err == nil {
		t.Error("xmlsec1 accepted the response against another certificate")
	}
}

func TestIdPMetadataNotConfigured(t *testing.T) {
	f := newFixture(t) // the fake federator, no IdP store
	if r := f.get(portal.IdPMetadataPath); r.code != http.StatusNotFound {
		t.Errorf("GET %s without an IdP store = %d, want 404", portal.IdPMetadataPath, r.code)
	}
}

func TestIAMTemplateEmbedsCenterMetadata(t *testing.T) {
	f := newFixture(t)
	withCenterIdP(f)
	metadata, _ := f.idpMetadata()
	b, err := portal.IAMTemplate(prodID, templateSets(), string(metadata))
	f.noErr(err)
	tmpl := parseTemplate(t, b)
	if got := tmpl.Resources["GatehouseSAMLProvider"].Properties["SamlMetadataDocument"]; got != string(metadata) {
		t.Errorf("embedded metadata = %v", got)
	}
	if len(tmpl.Parameters) != 0 {
		t.Errorf("parameters %v, want none when metadata is embedded", tmpl.Parameters)
	}
}
