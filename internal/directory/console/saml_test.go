package console_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/console"
	"github.com/gatehouse-id/gatehouse/internal/directory/samlidp"
	"github.com/gatehouse-id/gatehouse/internal/samlproto"
)

// awsEntityID and awsACS are shaped as AWS IAM Identity Center's SP
// metadata has them.
const (
	awsEntityID = "https://us-east-1.signin.aws.amazon.com/platform/saml/d-9067c1a2b3"
	awsACS      = "https://us-east-1.signin.aws.amazon.com/platform/saml/acs/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
	// awsRole is one value of AWS's Role claim, in the order AWS documents.
	awsRole = "arn:aws:iam::123456789012:role/Developer,arn:aws:iam::123456789012:saml-provider/Gatehouse"
)

// spMetadata is an SP's metadata as AWS IAM Identity Center publishes it:
// an EntityDescriptor whose SPSSODescriptor has an HTTP-POST ACS and,
// when certB64 is set, a signing certificate with AuthnRequestsSigned.
func spMetadata(entityID, certB64 string) string {
	kd, signed := "", "false"
	if certB64 != "" {
		kd = `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>` +
			certB64 + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`
		signed = "true"
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="` + entityID + `">
 <md:SPSSODescriptor AuthnRequestsSigned="` + signed + `" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  ` + kd + `
  <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
  <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="` + awsACS + `" index="0" isDefault="true"/>
 </md:SPSSODescriptor>
</md:EntityDescriptor>`
}

// upload posts a multipart form with one file, as a browser does.
func (e *env) upload(c *http.Client, path string, fields url.Values, file, name string, content []byte) response {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile(file, name)
	if err != nil {
		e.t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return e.do(c, req)
}

func (e *env) samlConfig(appID string) *samlidp.Config {
	e.t.Helper()
	c, err := e.idp.Config(context.Background(), appID)
	if err != nil {
		e.t.Fatalf("SAML configuration of %s: %v", appID, err)
	}
	return c
}

func (e *env) certs(appID string) []*samlidp.Cert {
	e.t.Helper()
	cs, err := e.idp.Certificates(context.Background(), appID)
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

func TestSAMLFromSPMetadata(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	app := e.app("AWS IAM Identity Center", "aws-iam-identity-center")
	b := e.signIn("admin@gatehouse.example")
	path := "/console/apps/" + app.ID + "/saml"

	page := e.get(b, path)
	want(t, page, http.StatusOK, "Single sign-on is not set up", `enctype="multipart/form-data"`,
		e.srv.URL+"/saml/"+app.ID+"/metadata", e.srv.URL+"/saml/"+app.ID+"/sso", e.srv.URL+"/saml/"+app.ID+"/start")
	csrf := e.csrfIn(page.Body)

	// The SP's metadata file, uploaded: entity id, ACS and its signing
	// certificate; signed requests become required as the SP signs them.
	der, _, err := samlproto.NewSigningCert("sp", time.Now(), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	md := spMetadata(awsEntityID, base64.StdEncoding.EncodeToString(der))
	wantRedirect(t, e.upload(b, path+"/metadata", url.Values{"csrf": {csrf}}, "metadata", "aws.xml", []byte(md)),
		path+"?done=metadata")
	c := e.samlConfig(app.ID)
	if c.EntityID != awsEntityID || !slices.Equal(c.ACSURLs, []string{awsACS}) || len(c.SPCertificates) != 1 ||
		!c.RequireSignedRequests || c.NameIDFormat != samlidp.NameIDEmail {
		t.Fatalf("configuration from metadata: %+v", c)
	}
	// The first signing certificate came with it, active.
	if cs := e.certs(app.ID); len(cs) != 1 || !cs[0].Active {
		t.Fatalf("certificates: %+v", cs)
	}
	r := e.get(b, path+"?done=metadata")
	want(t, r, http.StatusOK, "The service provider&#39;s metadata was applied.", "<code>"+awsEntityID+"</code>",
		"<code>"+awsACS+"</code> (default)", "must be signed; 1 service provider signing certificates",
		`id="idp-metadata"`)
	// The federation metadata link works and names this app's SSO URL.
	meta := e.get(e.browser(), "/saml/"+app.ID+"/metadata")
	want(t, meta, http.StatusOK, "IDPSSODescriptor", "/saml/"+app.ID+"/sso")

	// Pasted metadata works too, and replaces the entity id.
	wantRedirect(t, e.post(b, path+"/metadata", url.Values{"csrf": {csrf}, "metadataText": {spMetadata("https://sp.example/two", "")}}),
		path+"?done=metadata")
	if c := e.samlConfig(app.ID); c.EntityID != "https://sp.example/two" || len(c.SPCertificates) != 0 {
		t.Fatalf("after pasted metadata: %+v", c)
	}
}

func TestSAMLMetadataRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	app := e.app("Payroll", "saml")
	taken := e.app("Wiki", "saml")
	e.samlApp(taken.ID, "https://wiki.example/saml")
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)
	path := "/console/apps/" + app.ID + "/saml/metadata"
	for _, tc := range []struct{ md, msg string }{
		{"", "Choose the service provider's SAML metadata file (XML), or paste it."},
		{"this is not XML <", "Metadata is not XML"},
		{`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>`, "Metadata has no SPSSODescriptor."},
		{`<EntityDescriptor/>`, "Metadata root is EntityDescriptor, not md:EntityDescriptor."},
		{spMetadata("https://wiki.example/saml", ""), "Another application already uses the entity id of this metadata."},
	} {
		r := e.upload(b, path, url.Values{"csrf": {csrf}}, "metadata", "sp.xml", []byte(tc.md))
		want(t, r, http.StatusOK, "The service provider&#39;s metadata was not applied")
		if got := fieldError(r.Body, "metadata"); !strings.HasPrefix(got, tc.msg) {
			t.Errorf("%.30q: message %q, want %q", tc.md, got, tc.msg)
		}
		if !strings.Contains(r.Body, `aria-describedby="err-metadata"`) {
			t.Error("the file input is not tied to its message")
		}
		if _, err := e.idp.Config(context.Background(), app.ID); !errors.Is(err, directory.ErrNotFound) {
			t.Fatalf("refused metadata configured the app: %v", err)
		}
	}
}

func TestSAMLBasicSettings(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	app := e.app("Payroll", "saml")
	other := e.app("Wiki", "saml")
	e.samlApp(other.ID, "https://wiki.example/saml")
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)
	path := "/console/apps/" + app.ID + "/saml"
	good := func() url.Values {
		return url.Values{"csrf": {csrf}, "entityId": {"https://payroll.example/saml"},
			"acsUrls":      {"https://payroll.example/acs\r\n\r\n  https://payroll.example/acs2  \r\n"},
			"nameIdFormat": {samlidp.NameIDUnspecified}, "nameIdSource": {"user.mail"}, "signing": {samlidp.SignBoth},
			"signatureAlgorithm": {samlidp.RSASHA1}, "requireMfa": {"1"},
			"signOnUrl": {"https://payroll.example/login"}, "relayState": {"/payslips"}}
	}

	// By hand, with every setting samlidp.Config holds.
	wantRedirect(t, e.post(b, path, good()), path+"?done=saml-saved")
	c := e.samlConfig(app.ID)
	if c.EntityID != "https://payroll.example/saml" || !slices.Equal(c.ACSURLs, []string{"https://payroll.example/acs", "https://payroll.example/acs2"}) ||
		c.NameIDFormat != samlidp.NameIDUnspecified || c.NameIDSource != "mail" || c.Signing != samlidp.SignBoth ||
		c.SignatureAlgorithm != samlidp.RSASHA1 || !c.RequireMFA || c.RequireSignedRequests || c.IdPEntityID != "" ||
		c.SignOnURL != "https://payroll.example/login" || c.RelayState != "/payslips" ||
		!slices.EqualFunc(c.Claims, samlidp.DefaultClaims(), claimEqual) {
		t.Fatalf("stored %+v", c)
	}
	r := e.get(b, path)
	want(t, r, http.StatusOK, "Sign SAML response and assertion, SHA-1", `<dd id="saml-mfa">required</dd>`,
		`<option value="mail" selected>user.mail</option>`, `name="requireMfa" value="1" checked`,
		`<dd id="saml-signon"><code>https://payroll.example/login</code></dd>`, `<dd id="saml-relay"><code>/payslips</code></dd>`,
		`value="https://payroll.example/login"`)

	for _, tc := range []struct{ field, value, errField, msg string }{
		{"entityId", " ", "entityId", "Enter the service provider's identifier (entity id)."},
		{"entityId", "https://x.example/a b", "entityId", "An entity id contains no spaces or control characters."},
		{"entityId", "https://wiki.example/saml", "entityId", "Another application already uses this identifier (entity id)."},
		{"acsUrls", "", "acsUrls", "Enter at least one reply URL (Assertion Consumer Service URL)."},
		{"acsUrls", "https://ok.example/acs\nftp://files.example/acs", "acsUrls", `"ftp://files.example/acs" is not an absolute https:// or http:// URL.`},
		{"acsUrls", "/relative/acs", "acsUrls", `"/relative/acs" is not an absolute https:// or http:// URL.`},
		{"signOnUrl", "/login", "signOnUrl", `"/login" is not an absolute https:// or http:// URL.`},
		{"relayState", strings.Repeat("r", samlidp.MaxRelayState+1), "relayState", "Shorten the relay state to at most 1024 characters."},
		{"nameIdFormat", "urn:example:custom", "nameIdFormat", "Choose one of the name identifier formats."},
		{"nameIdSource", "shoeSize", "nameIdSource", "Choose the user attribute the name identifier comes from."},
		{"signing", "none", "signing", "Choose what is signed."},
		{"signatureAlgorithm", "md5", "signatureAlgorithm", "Choose SHA-256 or SHA-1."},
		{"idpEntityId", strings.Repeat("x", 1025), "idpEntityId", "An entity id is at most 1,024 characters long."},
		{"requireSignedRequests", "1", "requireSignedRequests", "Upload the service provider's metadata with its signing certificate first: without it no signature can be checked."},
	} {
		form := good()
		form.Set("entityId", "https://payroll.example/changed")
		form.Set(tc.field, tc.value)
		r := e.post(b, path, form)
		want(t, r, http.StatusOK, "The single sign-on settings were not saved")
		if got := fieldError(r.Body, tc.errField); got != tc.msg {
			t.Errorf("%s=%.20q: message %q, want %q", tc.field, tc.value, got, tc.msg)
		}
		if !strings.Contains(r.Body, `aria-describedby="err-`+tc.errField+`"`) {
			t.Errorf("%s is not tied to its message", tc.errField)
		}
		if now := e.samlConfig(app.ID); now.EntityID != c.EntityID || !now.Updated.Equal(c.Updated) {
			t.Fatalf("a refused form changed the configuration: %+v", now)
		}
	}
}

func TestSAMLClaims(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	app := e.app("AWS IAM Identity Center", "aws-iam-identity-center")
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)
	path := "/console/apps/" + app.ID + "/saml"

	// Claims belong to a configuration.
	r := e.post(b, path+"/claims", url.Values{"csrf": {csrf}, "claimKind": {"custom"}, "claimName": {"x"}, "claimSource": {"mail"}})
	want(t, r, http.StatusOK, "Set up the basic SAML configuration first")
	e.samlApp(app.ID, awsEntityID)
	claims := func() []samlidp.Claim { return e.samlConfig(app.ID).Claims }
	save := func(kind, name, source, values string) response {
		return e.post(b, path+"/claims", url.Values{"csrf": {csrf}, "claimKind": {kind}, "claimName": {name},
			"claimSource": {source}, "claimValues": {values}})
	}

	wantRedirect(t, save("custom", "employeeNumber", "user.employeeid", ""), path+"?done=claim-saved")
	wantRedirect(t, save("custom", "tier", "", "gold\n\nplatinum\n"), path+"?done=claim-saved")
	wantRedirect(t, save("accessControl", "Department", "department", ""), path+"?done=claim-saved")
	wantRedirect(t, save("principalTag", "CostCenter", "companyName", ""), path+"?done=claim-saved")
	wantClaims := append(samlidp.DefaultClaims(), samlidp.Claim{Name: "employeeNumber", Source: "employeeId"},
		samlidp.Claim{Name: "tier", Values: []string{"gold", "platinum"}}, samlidp.AccessControl("Department", "department"),
		samlidp.PrincipalTag("CostCenter", "companyName"))
	if got := claims(); !slices.EqualFunc(got, wantClaims, claimEqual) {
		t.Fatalf("claims %+v\nwant %+v", got, wantClaims)
	}
	// Saving a claim of the same name replaces it (the edit link fills the
	// form with it).
	page := e.get(b, path+"?claim=tier")
	wantBody(t, page, `<textarea id="f-claimValues" name="claimValues"`, ">gold\nplatinum</textarea>", `value="tier"`)
	wantRedirect(t, save("custom", "tier", "jobTitle", ""), path+"?done=claim-saved")
	if got := claims(); !slices.ContainsFunc(got, func(c samlidp.Claim) bool { return c.Name == "tier" && c.Source == "jobTitle" && c.Values == nil }) ||
		len(got) != len(wantClaims) {
		t.Fatalf("after edit: %+v", got)
	}

	// AWS IAM role federation: Role, RoleSessionName, SessionDuration; the
	// ARNs may come in either order.
	reversed := "arn:aws:iam::123456789012:saml-provider/Gatehouse, arn:aws:iam::123456789012:role/Admin"
	wantRedirect(t, e.post(b, path+"/claims/aws-roles", url.Values{"csrf": {csrf}, "awsRoles": {awsRole + "\n" + reversed},
		"awsSessionDuration": {"3600"}}), path+"?done=aws-roles")
	aws := samlidp.AWSIAMClaims([]string{awsRole, "arn:aws:iam::123456789012:role/Admin,arn:aws:iam::123456789012:saml-provider/Gatehouse"}, 3600)
	if got := claims(); !slices.EqualFunc(got[len(got)-3:], aws, claimEqual) || len(got) != len(wantClaims)+3 {
		t.Fatalf("after AWS roles: %+v", got)
	}
	// Again, without a duration: replaced, not added.
	wantRedirect(t, e.post(b, path+"/claims/aws-roles", url.Values{"csrf": {csrf}, "awsRoles": {awsRole}}), path+"?done=aws-roles")
	if got := claims(); len(got) != len(wantClaims)+2 || slices.ContainsFunc(got, func(c samlidp.Claim) bool { return c.Name == samlidp.AWSSessionDuration }) {
		t.Fatalf("after AWS roles again: %+v", got)
	}

	// Bad input: the message next to its field, the claims unchanged.
	before := claims()
	for _, tc := range []struct{ kind, name, source, values, field, msg string }{
		{"custom", "", "mail", "", "claimName", "Enter the claim's name, such as a URI."},
		{"custom", "x", "", "", "claimValues", "Choose a source attribute, or enter the claim's values, one per line."},
		{"custom", "x", "mail", "y", "claimValues", "A claim comes from a source attribute or from values, not both: empty one of them."},
		{"custom", "x", "shoeSize", "", "claimSource", "No user attribute has this name."},
		{"accessControl", "bad*key", "mail", "", "claimName", "Enter the key: 1 to 128 letters, digits, spaces and _ . : / = + - @."},
		{"principalTag", "Team", "", "blue", "claimSource", "Choose the user attribute the value comes from."},
		{"oidc", "x", "mail", "", "claimKind", "Choose the kind of claim."},
	} {
		r := save(tc.kind, tc.name, tc.source, tc.values)
		wantBody(t, r, "The claim was not saved")
		if got := fieldError(r.Body, tc.field); got != tc.msg {
			t.Errorf("%+v: message %q", tc, got)
		}
	}
	for _, tc := range []struct{ roles, duration, field, msg string }{
		{"", "", "awsRoles", "Enter at least one role: its ARN and the SAML provider's ARN, separated by a comma."},
		{"arn:aws:iam::123456789012:role/Developer", "", "awsRoles", `"arn:aws:iam::123456789012:role/Developer" is not a role ARN and a SAML provider ARN separated by a comma.`},
		{awsRole, "60", "awsSessionDuration", "Enter a whole number of seconds from 900 to 43200, or nothing."},
		{awsRole, "1h", "awsSessionDuration", "Enter a whole number of seconds from 900 to 43200, or nothing."},
	} {
		r := e.post(b, path+"/claims/aws-roles", url.Values{"csrf": {csrf}, "awsRoles": {tc.roles}, "awsSessionDuration": {tc.duration}})
		wantBody(t, r, "The AWS IAM role claims were not saved")
		if got := fieldError(r.Body, tc.field); got != tc.msg {
			t.Errorf("%+v: message %q", tc, got)
		}
	}
	if got := claims(); !slices.EqualFunc(got, before, claimEqual) {
		t.Fatalf("refused forms changed the claims: %+v", got)
	}

	// Remove one; remove all; back to the defaults.
	wantRedirect(t, e.post(b, path+"/claims/remove", url.Values{"csrf": {csrf}, "claim": {"tier"}}), path+"?done=claim-removed")
	if slices.ContainsFunc(claims(), func(c samlidp.Claim) bool { return c.Name == "tier" }) {
		t.Fatal("the removed claim is still there")
	}
	wantBody(t, e.post(b, path+"/claims/remove", url.Values{"csrf": {csrf}, "claim": {"tier"}}), "There is no such object.")
	for _, c := range claims() {
		e.post(b, path+"/claims/remove", url.Values{"csrf": {csrf}, "claim": {c.Name}})
	}
	if got := claims(); len(got) != 0 {
		t.Fatalf("after removing every claim: %+v (not the defaults: none)", got)
	}
	wantRedirect(t, e.post(b, path+"/claims/reset", url.Values{"csrf": {csrf}}), path+"?done=claims-reset")
	if got := claims(); !slices.EqualFunc(got, samlidp.DefaultClaims(), claimEqual) {
		t.Fatalf("after reset: %+v", got)
	}
}

func claimEqual(a, b samlidp.Claim) bool {
	return a.Name == b.Name && a.Source == b.Source && slices.Equal(a.Values, b.Values)
}

// wantBody checks the body only, whatever the status.
func wantBody(t *testing.T, r response, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.Body, p) {
			t.Fatalf("body lacks %q:\n%s", p, r.Body)
		}
	}
}

func TestSAMLCertificates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	app := e.app("Payroll", "saml")
	e.samlApp(app.ID, "https://payroll.example/saml")
	first := e.certs(app.ID)[0]
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)
	path := "/console/apps/" + app.ID + "/saml"

	r := e.get(b, path)
	want(t, r, http.StatusOK, "<code>"+first.Thumbprint()+"</code>", `<span class="badge on">active</span>`,
		first.NotAfter.UTC().Format("2006-01-02"))
	if strings.Contains(r.Body, "banner-warn") {
		t.Error("a 3-year certificate is warned about")
	}

	// Download: the PEM of the certificate.
	pemResp := e.get(b, path+"/certificates/"+first.ID)
	want(t, pemResp, http.StatusOK, "-----BEGIN CERTIFICATE-----")
	blk, _ := pem.Decode([]byte(pemResp.Body))
	if blk == nil || !bytes.Equal(blk.Bytes, first.CertDER) {
		t.Fatal("the download is not the certificate")
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path+"/certificates/"+first.ID, nil)
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, first.Thumbprint()+".pem") ||
		resp.Header.Get("Content-Type") != "application/x-pem-file" {
		t.Errorf("download headers %v", resp.Header)
	}

	// New: inactive, valid for the years chosen.
	wantRedirect(t, e.post(b, path+"/certificates", url.Values{"csrf": {csrf}, "certYears": {"2"}}), path+"?done=cert-created")
	cs := e.certs(app.ID)
	if len(cs) != 2 || cs[0].ID != first.ID || cs[1].Active {
		t.Fatalf("after new: %+v", cs)
	}
	second := cs[1]
	if d := second.NotAfter.Sub(second.NotBefore); d < 2*365*24*time.Hour-time.Hour || d > 2*365*24*time.Hour+time.Hour {
		t.Errorf("the new certificate is valid for %v", d)
	}
	for _, years := range []string{"0", "4", "x"} {
		r := e.post(b, path+"/certificates", url.Values{"csrf": {csrf}, "certYears": {years}})
		if got := fieldError(r.Body, "certYears"); got != "Choose 1, 2 or 3 years." {
			t.Errorf("%q years: %q", years, got)
		}
	}
	if n := len(e.certs(app.ID)); n != 2 {
		t.Fatalf("%d certificates after refused forms", n)
	}

	// The active one cannot be deleted.
	r = e.post(b, path+"/certificates/remove", url.Values{"csrf": {csrf}, "cert": {first.ID}})
	wantBody(t, r, "The active certificate cannot be deleted: make another one active first.")
	// Activate the new one, delete the old one.
	wantRedirect(t, e.post(b, path+"/certificates/activate", url.Values{"csrf": {csrf}, "cert": {second.ID}}), path+"?done=cert-active")
	if cs := e.certs(app.ID); !cs[0].Active || cs[0].ID != second.ID || cs[1].Active {
		t.Fatalf("after activate: %+v", cs)
	}
	wantRedirect(t, e.post(b, path+"/certificates/remove", url.Values{"csrf": {csrf}, "cert": {first.ID}}), path+"?done=cert-removed")
	if cs := e.certs(app.ID); len(cs) != 1 || cs[0].ID != second.ID {
		t.Fatalf("after remove: %+v", cs)
	}
	// Another app's certificate is not this app's.
	other := e.app("Wiki", "saml")
	e.samlApp(other.ID, "https://wiki.example/saml")
	theirs := e.certs(other.ID)[0]
	want(t, e.post(b, path+"/certificates/activate", url.Values{"csrf": {csrf}, "cert": {theirs.ID}}), http.StatusNotFound)
	want(t, e.get(b, path+"/certificates/"+theirs.ID), http.StatusNotFound)

	// A certificate near its end is warned about, here and in the list; an
	// expired one cannot be made active.
	short, err := e.idp.NewCertificate(ctx, app.ID, 10*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.idp.ActivateCertificate(ctx, app.ID, short.ID); err != nil {
		t.Fatal(err)
	}
	want(t, e.get(b, path), http.StatusOK, `class="banner-warn"`, "expires in 9 days")
	want(t, e.get(b, "/console/apps"), http.StatusOK, "certificate expiring")
	e.idp.Now = func() time.Time { return time.Now().Add(-2 * 365 * 24 * time.Hour) }
	old, err := e.idp.NewCertificate(ctx, app.ID, 365*24*time.Hour)
	e.idp.Now = nil
	if err != nil {
		t.Fatal(err)
	}
	r = e.post(b, path+"/certificates/activate", url.Values{"csrf": {csrf}, "cert": {old.ID}})
	wantBody(t, r, "This certificate has expired and cannot sign: create a new one.")
	if cs := e.certs(app.ID); cs[0].ID != short.ID {
		t.Fatal("the expired certificate was made active")
	}
	want(t, e.get(b, path), http.StatusOK, `<span class="badge off">expired</span>`)
}
