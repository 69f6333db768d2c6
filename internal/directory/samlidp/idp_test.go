package samlidp_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/samlidp"
)

func TestMetadata(t *testing.T) {
	e := newEnv(t)
	resp, body := e.get("/saml/app-aws/metadata", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/samlmetadata+xml" {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString(body); err != nil {
		t.Fatal(err)
	}
	ed := doc.Root()
	if ed.Tag != "EntityDescriptor" || ed.SelectAttrValue("entityID", "") != e.srv.URL+"/saml/app-aws/metadata" {
		t.Fatalf("root %s entityID %q", ed.Tag, ed.SelectAttrValue("entityID", ""))
	}
	idp := ed.SelectElement("IDPSSODescriptor")
	if idp == nil || idp.SelectAttrValue("protocolSupportEnumeration", "") != "urn:oasis:names:tc:SAML:2.0:protocol" {
		t.Fatal("no IDPSSODescriptor for SAML 2.0")
	}
	sso := map[string]string{}
	for _, s := range idp.SelectElements("SingleSignOnService") {
		sso[s.SelectAttrValue("Binding", "")] = s.SelectAttrValue("Location", "")
	}
	want := e.srv.URL + "/saml/app-aws/sso"
	if sso[samlidp.BindingRedirect] != want || sso[samlidp.BindingPOST] != want {
		t.Fatalf("SingleSignOnService %v, want both bindings at %s", sso, want)
	}
	var formats []string
	for _, f := range idp.SelectElements("NameIDFormat") {
		formats = append(formats, f.Text())
	}
	if len(formats) == 0 || formats[0] != samlidp.NameIDEmail {
		t.Fatalf("NameIDFormat %v", formats)
	}
	certs := e.metadataCerts("app-aws")
	stored, _ := e.idp.Certificates(context.Background(), "app-aws")
	if len(certs) != 1 || len(stored) != 1 || !certs[0].Equal(mustCert(t, stored[0].CertDER)) {
		t.Fatalf("metadata has %d certs, store %d", len(certs), len(stored))
	}
	c := certs[0]
	if c.PublicKeyAlgorithm != x509.RSA || c.PublicKey.(interface{ Size() int }).Size() != 256 {
		t.Fatalf("cert is not RSA-2048")
	}
	if d := c.NotAfter.Sub(c.NotBefore); d < 3*365*24*time.Hour || d > 3*366*24*time.Hour {
		t.Fatalf("cert validity %v, want 3 years", d)
	}
	if resp, _ := e.get("/saml/nope/metadata", ""); resp.StatusCode != 404 {
		t.Fatalf("unknown app metadata: %d, want 404", resp.StatusCode)
	}
	// The private key is sealed at rest.
	if !strings.HasPrefix(stored[0].SealedKey, "v1:") {
		t.Fatalf("key not sealed: %.10q", stored[0].SealedKey)
	}
}

func mustCert(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkResponse asserts the shape and values of an SP-initiated response
// for alice and returns the (verified) assertion.
func checkResponse(t *testing.T, e *env, p *samlPost, acs, inResponseTo string) *etree.Element {
	t.Helper()
	now := e.clock.Now().UTC()
	ts := func(d time.Duration) string { return now.Add(d).Format("2006-01-02T15:04:05.000Z") }
	r := p.Doc.Root()
	issuer := e.srv.URL + "/saml/app-aws/metadata"
	if r.Tag != "Response" || r.NamespaceURI() != nsSAMLP {
		t.Fatalf("root %s", r.Tag)
	}
	if p.Action != acs || r.SelectAttrValue("Destination", "") != acs {
		t.Fatalf("form action %q, Destination %q, want %q", p.Action, r.SelectAttrValue("Destination", ""), acs)
	}
	if got := r.SelectAttrValue("InResponseTo", ""); got != inResponseTo {
		t.Fatalf("InResponseTo %q, want %q", got, inResponseTo)
	}
	if r.SelectAttrValue("Version", "") != "2.0" || r.SelectAttrValue("IssueInstant", "") != ts(0) || !strings.HasPrefix(r.SelectAttrValue("ID", ""), "_") {
		t.Fatalf("Response attributes %v", r.Attr)
	}
	if r.SelectElement("Issuer").Text() != issuer {
		t.Fatalf("Response Issuer %q", r.SelectElement("Issuer").Text())
	}
	if r.FindElement("Status/StatusCode").SelectAttrValue("Value", "") != "urn:oasis:names:tc:SAML:2.0:status:Success" {
		t.Fatal("status not Success")
	}
	a := p.assertion(t)
	// The signature sits right after the Issuer.
	kids := a.ChildElements()
	if kids[0].Tag != "Issuer" || kids[1].Tag != "Signature" || kids[0].Text() != issuer {
		t.Fatalf("assertion children %s, %s", kids[0].Tag, kids[1].Tag)
	}
	certs := e.metadataCerts("app-aws")
	signed, err := verify(t, a, certs[0])
	if err != nil {
		t.Fatalf("assertion signature does not verify with the published certificate: %v", err)
	}
	if sm := a.FindElement("Signature/SignedInfo/SignatureMethod").SelectAttrValue("Algorithm", ""); sm != samlidp.RSASHA256 {
		t.Fatalf("SignatureMethod %s", sm)
	}
	if cm := a.FindElement("Signature/SignedInfo/CanonicalizationMethod").SelectAttrValue("Algorithm", ""); cm != "http://www.w3.org/2001/10/xml-exc-c14n#" {
		t.Fatalf("CanonicalizationMethod %s", cm)
	}
	if err := xmlsec1Verify(t, p.XML, certs[0], "assertion"); err != nil {
		t.Fatal(err)
	}
	nid := signed.FindElement("Subject/NameID")
	if nid.Text() != "alice@example.com" || nid.SelectAttrValue("Format", "") != samlidp.NameIDEmail {
		t.Fatalf("NameID %q format %q", nid.Text(), nid.SelectAttrValue("Format", ""))
	}
	sc := signed.FindElement("Subject/SubjectConfirmation")
	scd := sc.SelectElement("SubjectConfirmationData")
	if sc.SelectAttrValue("Method", "") != "urn:oasis:names:tc:SAML:2.0:cm:bearer" ||
		scd.SelectAttrValue("Recipient", "") != acs || scd.SelectAttrValue("NotOnOrAfter", "") != ts(5*time.Minute) ||
		scd.SelectAttrValue("InResponseTo", "") != inResponseTo {
		t.Fatalf("SubjectConfirmationData %v", scd.Attr)
	}
	cond := signed.SelectElement("Conditions")
	if cond.SelectAttrValue("NotBefore", "") != ts(-5*time.Minute) || cond.SelectAttrValue("NotOnOrAfter", "") != ts(time.Hour) {
		t.Fatalf("Conditions %v", cond.Attr)
	}
	if aud := cond.FindElement("AudienceRestriction/Audience").Text(); aud != spEntity {
		t.Fatalf("Audience %q", aud)
	}
	as := signed.SelectElement("AuthnStatement")
	if as.SelectAttrValue("AuthnInstant", "") != ts(-2*time.Minute) || as.SelectAttrValue("SessionIndex", "") == "" {
		t.Fatalf("AuthnStatement %v", as.Attr)
	}
	return signed
}

func TestSPInitiatedRedirect(t *testing.T) {
	e := newEnv(t)
	q := redirectQuery(authnRequest("_req1", spEntity, spACS), "relay-state-123", nil)

	// Not signed in: sent to sign-in, which returns to this very URL.
	resp, _ := e.get("/saml/app-aws/sso?"+q, "")
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login?return=") ||
		!strings.Contains(resp.Header.Get("Location"), url.QueryEscape("/saml/app-aws/sso?")) {
		t.Fatalf("not signed in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	resp, body := e.get("/saml/app-aws/sso?"+q, e.alice.ID)
	p := parsePost(t, resp, body)
	if p.RelayState != "relay-state-123" {
		t.Fatalf("RelayState %q", p.RelayState)
	}
	a := checkResponse(t, e, p, spACS, "_req1")
	if ctx := a.FindElement("AuthnStatement/AuthnContext/AuthnContextClassRef").Text(); ctx != samlidp.AuthnPasswordProtectedTransport {
		t.Fatalf("AuthnContextClassRef %s", ctx)
	}
	got := attrs(a)
	for name, want := range map[string]string{
		samlidp.ClaimsNS + "givenname":    "Alice",
		samlidp.ClaimsNS + "surname":      "Archer",
		samlidp.ClaimsNS + "emailaddress": "alice@example.com",
		samlidp.ClaimsNS + "name":         "alice@example.com",
	} {
		if len(got[name]) != 1 || got[name][0] != want {
			t.Errorf("claim %s = %v, want %q", name, got[name], want)
		}
	}
	if len(got) != 4 {
		t.Errorf("claims %v, want the 4 defaults", got)
	}
	// The Response itself is unsigned in the default (assertion) mode.
	if p.Doc.Root().SelectElement("Signature") != nil {
		t.Error("Response is signed in assertion mode")
	}

	// An ACS URL is optional: the default one is used.
	resp, body = e.get("/saml/app-aws/sso?"+redirectQuery(authnRequest("_req2", spEntity, ""), "", nil), e.alice.ID)
	p = parsePost(t, resp, body)
	checkResponse(t, e, p, spACS, "_req2")
	// The second configured ACS is honoured when asked for.
	resp, body = e.get("/saml/app-aws/sso?"+redirectQuery(authnRequest("_req3", spEntity, spACS2), "", nil), e.alice.ID)
	checkResponse(t, e, parsePost(t, resp, body), spACS2, "_req3")
}

func TestSPInitiatedPOST(t *testing.T) {
	e := newEnv(t)
	form := url.Values{
		"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(authnRequest("_post1", spEntity, spACS)))},
		"RelayState":  {"rs-post"},
	}
	resp, body := e.postForm("/saml/app-aws/sso", form, e.alice.ID)
	p := parsePost(t, resp, body)
	checkResponse(t, e, p, spACS, "_post1")
	if p.RelayState != "rs-post" {
		t.Fatalf("RelayState %q", p.RelayState)
	}

	// Not signed in: the POSTed request becomes a GET URL sign-in can
	// return to; following it once signed in completes the flow.
	resp, _ = e.postForm("/saml/app-aws/sso", form, "")
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(loc, "/saml/app-aws/sso?SAMLRequest=") {
		t.Fatalf("not signed in: %d %s", resp.StatusCode, loc)
	}
	resp, _ = e.get(loc, "")
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login?return=") {
		t.Fatalf("GET without session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = e.get(loc, e.alice.ID)
	p = parsePost(t, resp, body)
	checkResponse(t, e, p, spACS, "_post1")
	if p.RelayState != "rs-post" {
		t.Fatalf("RelayState after sign-in %q", p.RelayState)
	}
}

func TestRefusals(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, path, cookie string
		status             int
		msg                string
	}{
		{"unassigned user", "/saml/app-aws/sso?" + redirectQuery(authnRequest("_r", spEntity, spACS), "", nil), e.bob.ID,
			403, "is not assigned to this application"},
		{"unknown SP issuer", "/saml/app-aws/sso?" + redirectQuery(authnRequest("_r", "https://evil.example", spACS), "", nil), e.alice.ID,
			400, "Issuer does not match"},
		{"another app's SP", "/saml/app-aws/sso?" + redirectQuery(authnRequest("_r", "https://other.example.test", spACS), "", nil), e.alice.ID,
			400, "Issuer does not match"},
		{"unconfigured ACS", "/saml/app-aws/sso?" + redirectQuery(authnRequest("_r", spEntity, "https://evil.example/acs"), "", nil), e.alice.ID,
			400, "does not match the reply URLs"},
		{"unknown app", "/saml/nope/sso?" + redirectQuery(authnRequest("_r", spEntity, spACS), "", nil), e.alice.ID,
			404, "Application not found"},
		{"no SAMLRequest", "/saml/app-aws/sso", e.alice.ID, 400, "no SAMLRequest"},
		{"not deflated", "/saml/app-aws/sso?SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte("<x/>"))), e.alice.ID,
			400, "DEFLATE"},
		{"not an AuthnRequest", "/saml/app-aws/sso?SAMLRequest=" + url.QueryEscape(deflate(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`)), e.alice.ID,
			400, "not a SAML AuthnRequest"},
		{"subject", "/saml/app-aws/sso?" + redirectQuery(strings.Replace(authnRequest("_r", spEntity, spACS), "<samlp:NameIDPolicy",
			`<saml:Subject><saml:NameID>alice@example.com</saml:NameID></saml:Subject><samlp:NameIDPolicy`, 1), "", nil), e.alice.ID,
			400, "Subject"},
		{"unassigned IdP-initiated", "/saml/app-aws/start", e.bob.ID, 403, "is not assigned"},
		{"unknown app IdP-initiated", "/saml/nope/start", e.alice.ID, 404, "Application not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := e.get(c.path, c.cookie)
			if resp.StatusCode != c.status || !strings.Contains(body, c.msg) {
				t.Fatalf("status %d, want %d with %q; body:\n%s", resp.StatusCode, c.status, c.msg, body)
			}
			if strings.Contains(body, "SAMLResponse") {
				t.Fatal("a refusal carries a SAMLResponse")
			}
		})
	}
	// A disabled account is refused even when assigned.
	if _, err := e.dir.UpdateUser(context.Background(), e.alice.ID, func(u *directory.User) error { u.AccountEnabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	if resp, body := e.get("/saml/app-aws/start", e.alice.ID); resp.StatusCode != 403 || strings.Contains(body, "SAMLResponse") {
		t.Fatalf("disabled user: %d", resp.StatusCode)
	}
}

func TestSignedAuthnRequest(t *testing.T) {
	e := newEnv(t)
	key, der := spKeyPair(t)
	if _, err := e.idp.ConfigureFromMetadata(context.Background(), "app-aws", []byte(spMetadata(spEntity, spACS, der, true))); err != nil {
		t.Fatal(err)
	}
	otherKey, otherDER := spKeyPair(t)
	xml := authnRequest("_signed1", spEntity, spACS)

	// Redirect binding, query signature.
	resp, body := e.get("/saml/app-aws/sso?"+redirectQuery(xml, "rs", key), e.alice.ID)
	checkResponse(t, e, parsePost(t, resp, body), spACS, "_signed1")

	tampered := []struct{ name, query string }{
		{"RelayState changed", strings.Replace(redirectQuery(xml, "rs", key), "RelayState=rs", "RelayState=evil", 1)},
		{"request swapped", "SAMLRequest=" + url.QueryEscape(deflate(authnRequest("_other", spEntity, spACS))) +
			redirectQuery(xml, "rs", key)[strings.Index(redirectQuery(xml, "rs", key), "&RelayState"):]},
		{"wrong key", redirectQuery(xml, "rs", otherKey)},
		{"unsigned", redirectQuery(xml, "rs", nil)},
	}
	for _, c := range tampered {
		resp, body := e.get("/saml/app-aws/sso?"+c.query, e.alice.ID)
		if resp.StatusCode != 403 || strings.Contains(body, "SAMLResponse") {
			t.Errorf("%s: status %d, want 403; body:\n%s", c.name, resp.StatusCode, body)
		}
	}

	// POST binding, enveloped XML signature.
	signed := signXML(t, xml, key, der)
	resp, body = e.postForm("/saml/app-aws/sso", url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(signed))}}, e.alice.ID)
	checkResponse(t, e, parsePost(t, resp, body), spACS, "_signed1")
	for name, x := range map[string]string{
		"tampered ID":   strings.Replace(signed, `ID="_signed1"`, `ID="_signed2"`, 1),
		"tampered ACS":  strings.Replace(signed, spACS, spACS2, 1),
		"other SP key":  signXML(t, xml, otherKey, otherDER),
		"unsigned POST": xml,
	} {
		resp, body := e.postForm("/saml/app-aws/sso", url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(x))}}, e.alice.ID)
		if resp.StatusCode != 403 || strings.Contains(body, "SAMLResponse") {
			t.Errorf("%s: status %d, want 403; body:\n%s", name, resp.StatusCode, body)
		}
	}
	// A signed POST from a browser not yet signed in keeps its signature
	// through the redirect to sign-in and back.
	resp, _ = e.postForm("/saml/app-aws/sso", url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(signed))}}, "")
	if resp.StatusCode != 303 {
		t.Fatalf("signed POST, no session: %d", resp.StatusCode)
	}
	resp, body = e.get(resp.Header.Get("Location"), e.alice.ID)
	checkResponse(t, e, parsePost(t, resp, body), spACS, "_signed1")
}

func TestMFARequired(t *testing.T) {
	e := newEnv(t)
	cfg, _ := e.idp.Config(context.Background(), "app-aws")
	cfg.RequireMFA = true
	e.configure(cfg)
	path := "/saml/app-aws/sso?" + redirectQuery(authnRequest("_mfa", spEntity, spACS), "", nil)
	resp, _ := e.get(path, e.alice.ID)
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login/mfa?return=") {
		t.Fatalf("password-only session: %d %s, want the MFA step", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := e.get("/saml/app-aws/start", e.alice.ID); resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login/mfa") {
		t.Fatalf("IdP-initiated, password-only: %d", resp.StatusCode)
	}
	resp, body := e.get(path, e.alice.ID+"|mfa")
	a := checkResponse(t, e, parsePost(t, resp, body), spACS, "_mfa")
	if ctx := a.FindElement("AuthnStatement/AuthnContext/AuthnContextClassRef").Text(); ctx != samlidp.AuthnMultipleAuthn {
		t.Fatalf("AuthnContextClassRef %s, want multipleauthn", ctx)
	}
}

func TestIdPInitiated(t *testing.T) {
	e := newEnv(t)
	resp, _ := e.get("/saml/app-aws/start", "")
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login?return=") {
		t.Fatalf("not signed in: %d", resp.StatusCode)
	}
	resp, body := e.get("/saml/app-aws/start?RelayState="+url.QueryEscape("https://console.aws.amazon.com/"), e.alice.ID)
	p := parsePost(t, resp, body)
	checkResponse(t, e, p, spACS, "")
	if p.RelayState != "https://console.aws.amazon.com/" {
		t.Fatalf("RelayState %q", p.RelayState)
	}
	if strings.Contains(string(p.XML), "InResponseTo") {
		t.Fatal("unsolicited response has InResponseTo")
	}
}

func TestAWSClaims(t *testing.T) {
	e := newEnv(t)
	role := "arn:aws:iam::123456789012:role/Admin,arn:aws:iam::123456789012:saml-provider/Gatehouse"
	role2 := "arn:aws:iam::123456789012:role/ReadOnly,arn:aws:iam::123456789012:saml-provider/Gatehouse"
	cfg, _ := e.idp.Config(context.Background(), "app-aws")
	cfg.Claims = append(samlidp.AWSIAMClaims([]string{role, role2}, 3600),
		samlidp.PrincipalTag("Department", "department"),
		samlidp.AccessControl("EmployeeId", "user.employeeid"),
		samlidp.AccessControl("CostCenter", "companyName"), // empty for alice: left out
	)
	e.configure(cfg)
	resp, body := e.get("/saml/app-aws/sso?"+redirectQuery(authnRequest("_aws", spEntity, spACS), "", nil), e.alice.ID)
	a := checkResponse(t, e, parsePost(t, resp, body), spACS, "_aws")
	got := attrs(a)
	want := map[string][]string{
		samlidp.AWSRole:            {role, role2},
		samlidp.AWSRoleSessionName: {"alice@example.com"},
		samlidp.AWSSessionDuration: {"3600"},
		"https://aws.amazon.com/SAML/Attributes/PrincipalTag:Department":  {"Engineering"},
		"https://aws.amazon.com/SAML/Attributes/AccessControl:EmployeeId": {"E-a111"},
	}
	if len(got) != len(want) {
		t.Fatalf("attributes %v, want %v", got, want)
	}
	for k, v := range want {
		if strings.Join(got[k], "|") != strings.Join(v, "|") {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	for _, at := range a.FindElements("AttributeStatement/Attribute") {
		if at.SelectAttrValue("NameFormat", "") != samlidp.AttrNameFormatURI {
			t.Errorf("%s NameFormat %q", at.SelectAttrValue("Name", ""), at.SelectAttrValue("NameFormat", ""))
		}
	}
	// A claim needs a source or values.
	cfg.Claims = []samlidp.Claim{{Name: "x"}}
	if _, err := e.idp.Configure(context.Background(), cfg); !errors.Is(err, directory.ErrInvalid) {
		t.Fatalf("claim without value: %v", err)
	}
}

func TestSigningModes(t *testing.T) {
	for _, c := range []struct{ signing, alg string }{
		{samlidp.SignResponse, samlidp.RSASHA256},
		{samlidp.SignBoth, samlidp.RSASHA256},
		{samlidp.SignAssertion, samlidp.RSASHA1},
	} {
		t.Run(c.signing+"-"+c.alg[strings.LastIndex(c.alg, "#")+1:], func(t *testing.T) {
			e := newEnv(t)
			cfg, _ := e.idp.Config(context.Background(), "app-aws")
			cfg.Signing, cfg.SignatureAlgorithm = c.signing, c.alg
			e.configure(cfg)
			resp, body := e.get("/saml/app-aws/start", e.alice.ID)
			p := parsePost(t, resp, body)
			cert := e.metadataCerts("app-aws")[0]
			r, a := p.Doc.Root(), p.assertion(t)
			if sig := r.SelectElement("Signature"); (sig != nil) != (c.signing != samlidp.SignAssertion) {
				t.Fatalf("response signed = %v", sig != nil)
			}
			if sig := a.SelectElement("Signature"); (sig != nil) != (c.signing != samlidp.SignResponse) {
				t.Fatalf("assertion signed = %v", sig != nil)
			}
			if c.signing != samlidp.SignAssertion {
				if r.ChildElements()[1].Tag != "Signature" {
					t.Fatal("response signature not after Issuer")
				}
				if _, err := verify(t, r, cert); err != nil {
					t.Fatalf("response signature: %v", err)
				}
				if err := xmlsec1Verify(t, p.XML, cert, "response"); err != nil {
					t.Fatal(err)
				}
			}
			if c.signing != samlidp.SignResponse {
				if _, err := verify(t, a, cert); err != nil {
					t.Fatalf("assertion signature: %v", err)
				}
				if err := xmlsec1Verify(t, p.XML, cert, "assertion"); err != nil {
					t.Fatal(err)
				}
				if sm := a.FindElement("Signature/SignedInfo/SignatureMethod").SelectAttrValue("Algorithm", ""); sm != c.alg {
					t.Fatalf("SignatureMethod %s, want %s", sm, c.alg)
				}
			}
			// Tampering breaks the signatures (xmlsec1 independently).
			bad := []byte(strings.Replace(string(p.XML), "alice@example.com", "mallory@example.com", 1))
			if err := xmlsec1Verify(t, bad, cert, ""); err == nil {
				t.Fatal("xmlsec1 accepted a tampered response")
			}
		})
	}
}

func TestCertificateRollover(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	certs, _ := e.idp.Certificates(ctx, "app-aws")
	old := certs[0]
	if !old.Active {
		t.Fatal("first certificate is not active")
	}
	// 1. Add a new certificate: inactive, published next to the old one.
	next, err := e.idp.NewCertificate(ctx, "app-aws", 0)
	if err != nil {
		t.Fatal(err)
	}
	if next.Active {
		t.Fatal("a second certificate must start inactive")
	}
	md := e.metadataCerts("app-aws")
	if len(md) != 2 || !md[0].Equal(mustCert(t, old.CertDER)) || !md[1].Equal(mustCert(t, next.CertDER)) {
		t.Fatalf("metadata lists %d certificates, want old (active) then new", len(md))
	}
	sign := func() *etree.Element {
		resp, body := e.get("/saml/app-aws/start", e.alice.ID)
		return parsePost(t, resp, body).assertion(t)
	}
	a := sign()
	if _, err := verify(t, a, md[0]); err != nil {
		t.Fatalf("before activation, not signed with the old cert: %v", err)
	}
	if _, err := verify(t, a, md[1]); err == nil {
		t.Fatal("before activation, verified with the new cert")
	}
	// 2. Activate the new one: it signs from now on.
	if err := e.idp.ActivateCertificate(ctx, "app-aws", next.ID); err != nil {
		t.Fatal(err)
	}
	a = sign()
	if _, err := verify(t, a, mustCert(t, next.CertDER)); err != nil {
		t.Fatalf("after activation, not signed with the new cert: %v", err)
	}
	if md := e.metadataCerts("app-aws"); len(md) != 2 || !md[0].Equal(mustCert(t, next.CertDER)) {
		t.Fatal("metadata does not list the new active cert first")
	}
	// 3. Remove the old one; the active one cannot be removed.
	if err := e.idp.RemoveCertificate(ctx, "app-aws", next.ID); !errors.Is(err, directory.ErrInvalid) {
		t.Fatalf("removing the active cert: %v, want ErrInvalid", err)
	}
	if err := e.idp.RemoveCertificate(ctx, "app-aws", old.ID); err != nil {
		t.Fatal(err)
	}
	if md := e.metadataCerts("app-aws"); len(md) != 1 || !md[0].Equal(mustCert(t, next.CertDER)) {
		t.Fatalf("after removal metadata has %d certs", len(md))
	}

	// Expiry warnings: a 30-day certificate is reported, 3-year ones are not.
	short, err := e.idp.NewCertificate(ctx, "app-other", 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := e.idp.ExpiringCertificates(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp) != 1 || exp[0].ID != short.ID || exp[0].AppID != "app-other" {
		t.Fatalf("expiring %v, want only the 30-day cert", exp)
	}
	// An expired active certificate gives way to a valid inactive one, as
	// in Entra.
	otherCerts, _ := e.idp.Certificates(ctx, "app-other")
	var original *samlidp.Cert
	for _, c := range otherCerts {
		if c.ID != short.ID {
			original = c
		}
	}
	if err := e.idp.ActivateCertificate(ctx, "app-other", short.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(31 * 24 * time.Hour)
	resp, body := e.get("/saml/app-other/start", e.bob.ID)
	a = parsePost(t, resp, body).assertion(t)
	if _, err := verify(t, a, mustCert(t, original.CertDER)); err != nil {
		t.Fatalf("expired active cert: not signed with the valid inactive one: %v", err)
	}
}

func TestMetadataUpload(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	app := &directory.App{ID: "app-new", DisplayName: "New SP", Template: "saml", Created: e.clock.Now()}
	if err := e.dir.CreateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	if err := e.dir.Assign(ctx, &directory.Assignment{ID: "as-3", AppID: app.ID, PrincipalID: e.alice.ID, PrincipalKind: directory.KindUser}); err != nil {
		t.Fatal(err)
	}
	entity, acs := "https://eu-west-1.signin.aws.amazon.com/platform/saml/d-9999999999", "https://eu-west-1.signin.aws.amazon.com/platform/saml/acs/d-9999999999"
	_, der := spKeyPair(t)
	cfg, err := e.idp.ConfigureFromMetadata(ctx, app.ID, []byte(spMetadata(entity, acs, der, false)))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.EntityID != entity || len(cfg.ACSURLs) != 1 || cfg.ACSURLs[0] != acs || cfg.NameIDFormat != samlidp.NameIDEmail ||
		len(cfg.SPCertificates) != 1 || cfg.RequireSignedRequests || cfg.Signing != samlidp.SignAssertion || len(cfg.Claims) != 4 {
		t.Fatalf("config from metadata: %+v", cfg)
	}
	stored, err := e.idp.Config(ctx, app.ID)
	if err != nil || stored.EntityID != entity {
		t.Fatalf("stored: %+v %v", stored, err)
	}
	resp, body := e.get("/saml/app-new/sso?"+redirectQuery(authnRequest("_md", entity, acs), "", nil), e.alice.ID)
	p := parsePost(t, resp, body)
	if p.Action != acs || p.assertion(t).FindElement("Conditions/AudienceRestriction/Audience").Text() != entity {
		t.Fatalf("response to %s", p.Action)
	}
	// Another app cannot take the same entity id.
	if _, err := e.idp.ConfigureFromMetadata(ctx, "app-other", []byte(spMetadata(entity, acs, nil, false))); !errors.Is(err, directory.ErrConflict) {
		t.Fatalf("duplicate entity id: %v, want ErrConflict", err)
	}
	for name, md := range map[string]string{
		"not XML":  "<md:EntityDescriptor",
		"no SP":    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:IDPSSODescriptor/></md:EntityDescriptor>`,
		"no POST":  strings.Replace(spMetadata(entity, acs, nil, false), "bindings:HTTP-POST", "bindings:PAOS", 1),
		"bad cert": spMetadata(entity, acs, []byte("junk"), false),
	} {
		if _, err := e.idp.ConfigureFromMetadata(ctx, app.ID, []byte(md)); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

func TestMyApps(t *testing.T) {
	e := newEnv(t)
	resp, _ := e.get("/myapps", "")
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login?return=") {
		t.Fatalf("not signed in: %d", resp.StatusCode)
	}
	resp, body := e.get("/myapps", e.alice.ID)
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{`<html lang="en">`, `<title>My Apps</title>`, `<h1>My Apps</h1>`, `<main`,
		`<a href="/saml/app-aws/start">AWS IAM Identity Center</a>`, "alice@example.com"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "Other SaaS") {
		t.Error("alice sees an app she is not assigned to")
	}
	_, body = e.get("/myapps", e.bob.ID)
	if !strings.Contains(body, `href="/saml/app-other/start"`) || strings.Contains(body, "AWS IAM Identity Center") {
		t.Errorf("bob's apps:\n%s", body)
	}
}

// An app's sign-on URL makes its My Apps tile go to the SP (SP-initiated);
// its default relay state goes with IdP-initiated responses whose link
// names none; a sign-on URL must be an absolute http(s) URL.
func TestSignOnURLAndDefaultRelayState(t *testing.T) {
	e := newEnv(t)
	e.configure(&samlidp.Config{AppID: e.app.ID, EntityID: spEntity, ACSURLs: []string{spACS},
		SignOnURL: "https://portal.example.test/start", RelayState: "https://console.aws.amazon.com/s3/"})
	_, body := e.get("/myapps", e.alice.ID)
	if !strings.Contains(body, `<a href="https://portal.example.test/start">AWS IAM Identity Center</a>`) {
		t.Errorf("tile with a sign-on URL:\n%s", body)
	}
	resp, body := e.get("/saml/app-aws/start", e.alice.ID)
	if p := parsePost(t, resp, body); p.RelayState != "https://console.aws.amazon.com/s3/" {
		t.Errorf("default RelayState: %q", p.RelayState)
	}
	resp, body = e.get("/saml/app-aws/start?RelayState="+url.QueryEscape("https://console.aws.amazon.com/ec2/"), e.alice.ID)
	if p := parsePost(t, resp, body); p.RelayState != "https://console.aws.amazon.com/ec2/" {
		t.Errorf("the link's RelayState: %q, want it to win over the default", p.RelayState)
	}
	for _, bad := range []*samlidp.Config{
		{AppID: e.app.ID, EntityID: spEntity, ACSURLs: []string{spACS}, SignOnURL: "/start"},
		{AppID: e.app.ID, EntityID: spEntity, ACSURLs: []string{spACS}, RelayState: strings.Repeat("r", samlidp.MaxRelayState+1)},
	} {
		if _, err := e.idp.Configure(context.Background(), bad); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("Configure(sign-on %q, relay state of %d): %v, want invalid", bad.SignOnURL, len(bad.RelayState), err)
		}
	}
}
