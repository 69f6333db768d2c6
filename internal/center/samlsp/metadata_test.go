package samlsp_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/center/samlsp"
)

// entraMetadata has the shape of Entra ID's tenant federation metadata
// (entra-provisioning.md §4.1): a UTF-8 BOM, an enveloping ds:Signature,
// WS-Federation RoleDescriptors (xsi:type fed:...), an SPSSODescriptor and
// an IDPSSODescriptor with two signing certificates (rollover) and
// Redirect-only SSO.
func entraMetadata() []byte {
	c1 := base64.StdEncoding.EncodeToString(idpKey.der)
	c2 := base64.StdEncoding.EncodeToString(idpKey2.der)
	kd := fmt.Sprintf(`<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>%s</X509Certificate></X509Data></KeyInfo></KeyDescriptor><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>
%s
</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`, c1, c2)
	return []byte("\xEF\xBB\xBF" + `<?xml version="1.0" encoding="utf-8"?><EntityDescriptor ID="_0d1b0bcd-9a3e-4b1e-8b44-1d2f0e1c2a3b" entityID="` + idpEntity + `" xmlns="urn:oasis:names:tc:SAML:2.0:metadata"><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#" /><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" /><Reference URI="#_0d1b0bcd-9a3e-4b1e-8b44-1d2f0e1c2a3b"><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature" /><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#" /></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256" /><DigestValue>AAAA</DigestValue></Reference></SignedInfo><SignatureValue>AAAA</SignatureValue><KeyInfo><X509Data><X509Certificate>` + c1 + `</X509Certificate></X509Data></KeyInfo></Signature>` +
		`<RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">` + kd + `<fed:ClaimTypesOffered><auth:ClaimType Uri="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name" xmlns:auth="http://docs.oasis-open.org/wsfed/authorization/200706"><auth:DisplayName>Name</auth:DisplayName></auth:ClaimType></fed:ClaimTypesOffered><fed:SecurityTokenServiceEndpoint><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>https://login.microsoftonline.com/tid/wsfed</wsa:Address></wsa:EndpointReference></fed:SecurityTokenServiceEndpoint></RoleDescriptor>` +
		`<RoleDescriptor xsi:type="fed:ApplicationServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">` + kd + `</RoleDescriptor>` +
		`<SPSSODescriptor WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + kd + `<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://login.microsoftonline.com/login.srf" index="0" isDefault="true" /></SPSSODescriptor>` +
		`<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + kd + `<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="` + idpSSO + `" /><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="` + idpSSO + `" /></IDPSSODescriptor></EntityDescriptor>`)
}

func TestEntraMetadata(t *testing.T) {
	keys()
	c, err := samlsp.ParseIdPMetadata(entraMetadata())
	if err != nil {
		t.Fatal(err)
	}
	if c.EntityID != idpEntity || c.SSORedirect != idpSSO || c.SSOPost != "" || len(c.Certs) != 2 ||
		!c.Certs[0].Equal(idpKey.cert) || !c.Certs[1].Equal(idpKey2.cert) {
		t.Fatalf("parsed %+v", c)
	}
}

func TestMetadataRefusals(t *testing.T) {
	keys()
	good := string(idpMetadata(idpKey))
	for name, md := range map[string]string{
		"DOCTYPE":        `<!DOCTYPE x [<!ENTITY e "x">]>` + good,
		"no certificate": strings.Replace(good, base64.StdEncoding.EncodeToString(idpKey.der), "", 1),
		"no SSO":         strings.Replace(good, "SingleSignOnService", "ArtifactResolutionService", 1),
		"not metadata":   `<foo/>`,
		"no entityID":    strings.Replace(good, `entityID="`+idpEntity+`"`, "", 1),
		"too large":      good + strings.Repeat(" ", samlsp.MaxIdPMetadataChars),
	} {
		if _, err := samlsp.ParseIdPMetadata([]byte(md)); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// TestUploadEntraMetadata: the stored source survives a reload, and a bad
// upload leaves the previous one in place.
func TestUploadEntraMetadata(t *testing.T) {
	f := newFixture(t)
	if _, err := f.sp.UseExternalIdP(t.Context(), entraMetadata()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sp.UseExternalIdP(t.Context(), []byte("<nope/>")); err == nil {
		t.Fatal("bad metadata accepted")
	}
	src, idp, err := f.sp.IdentitySource(t.Context())
	if err != nil || src != samlsp.SourceExternal || len(idp.Certs) != 2 {
		t.Fatalf("source %q %+v %v", src, idp, err)
	}
	f.accepted(f.post(serialize(f.signedAssertion(f.good(f.begin()), idpKey2)), ""))
}
