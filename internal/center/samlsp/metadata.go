package samlsp

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// XML namespaces (SAML core §1.2, SAML metadata §1.1, XML-DSig).
const (
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"

	BindingRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	BindingPOST     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"

	// NameIDFormatEmail is the only NameID format AWS IAM Identity Center
	// accepts (aws-identity-center.md §3.2).
	NameIDFormatEmail = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
)

// Limits from AWS's quotas page (aws-identity-center.md §3.2).
const (
	MaxIdPMetadataChars = 75000
	MaxIdPCertChars     = 2500
)

// IdPConfig is what the SP uses of the IdP's metadata.
type IdPConfig struct {
	EntityID    string
	SSORedirect string // SingleSignOnService, HTTP-Redirect binding
	SSOPost     string // SingleSignOnService, HTTP-POST binding
	// Certs are the signing certificates; a response signed by any of them
	// is trusted (several during a rollover). Nothing else is.
	Certs []*x509.Certificate
}

// ParseIdPMetadata reads SAML 2.0 metadata (SAML metadata §2.3.2, §2.4.3):
// an EntityDescriptor, or an EntitiesDescriptor holding one, with an
// IDPSSODescriptor for the SAML 2.0 protocol. Everything else in the
// document — an enveloping ds:Signature, WS-Federation RoleDescriptors, an
// SPSSODescriptor, as in Entra ID's federation metadata — is skipped. A UTF-8
// byte order mark is tolerated; a DTD is not.
func ParseIdPMetadata(data []byte) (*IdPConfig, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if len(data) > MaxIdPMetadataChars*4 || len([]rune(string(data))) > MaxIdPMetadataChars {
		return nil, fmt.Errorf("IdP metadata exceeds %d characters", MaxIdPMetadataChars)
	}
	doc, err := parseStrict(data)
	if err != nil {
		return nil, fmt.Errorf("IdP metadata: %w", err)
	}
	root := doc.Root()
	var eds []*etree.Element
	switch {
	case is(root, nsMetadata, "EntityDescriptor"):
		eds = []*etree.Element{root}
	case is(root, nsMetadata, "EntitiesDescriptor"):
		eds = findAll(root, nsMetadata, "EntityDescriptor")
	default:
		return nil, fmt.Errorf("IdP metadata: root element is not md:EntityDescriptor")
	}
	var found []*IdPConfig
	for _, ed := range eds {
		for _, idp := range children(ed, nsMetadata, "IDPSSODescriptor") {
			if !strings.Contains(" "+idp.SelectAttrValue("protocolSupportEnumeration", "")+" ", " "+nsProtocol+" ") {
				continue
			}
			c, err := parseIDPSSO(ed.SelectAttrValue("entityID", ""), idp)
			if err != nil {
				return nil, err
			}
			found = append(found, c)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("IdP metadata: no IDPSSODescriptor supporting SAML 2.0")
	case 1:
		return found[0], nil
	default:
		return nil, fmt.Errorf("IdP metadata: %d identity providers; upload the metadata of exactly one", len(found))
	}
}

func parseIDPSSO(entityID string, idp *etree.Element) (*IdPConfig, error) {
	c := &IdPConfig{EntityID: strings.TrimSpace(entityID)}
	if c.EntityID == "" {
		return nil, fmt.Errorf("IdP metadata: EntityDescriptor has no entityID")
	}
	for _, sso := range children(idp, nsMetadata, "SingleSignOnService") {
		loc := strings.TrimSpace(sso.SelectAttrValue("Location", ""))
		if !strings.HasPrefix(loc, "https://") && !strings.HasPrefix(loc, "http://") {
			continue
		}
		switch sso.SelectAttrValue("Binding", "") {
		case BindingRedirect:
			if c.SSORedirect == "" {
				c.SSORedirect = loc
			}
		case BindingPOST:
			if c.SSOPost == "" {
				c.SSOPost = loc
			}
		}
	}
	if c.SSORedirect == "" && c.SSOPost == "" {
		return nil, fmt.Errorf("IdP metadata: no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding")
	}
	seen := map[string]bool{}
	for _, kd := range children(idp, nsMetadata, "KeyDescriptor") {
		if use := kd.SelectAttrValue("use", ""); use != "" && use != "signing" {
			continue
		}
		for _, ki := range children(kd, nsDSig, "KeyInfo") {
			for _, xd := range children(ki, nsDSig, "X509Data") {
				for _, xc := range children(xd, nsDSig, "X509Certificate") {
					b64 := strings.Join(strings.Fields(textOf(xc)), "")
					if len(b64) > MaxIdPCertChars {
						return nil, fmt.Errorf("IdP metadata: a signing certificate exceeds %d characters", MaxIdPCertChars)
					}
					der, err := base64.StdEncoding.DecodeString(b64)
					if err != nil {
						return nil, fmt.Errorf("IdP metadata: signing certificate is not base64: %w", err)
					}
					cert, err := x509.ParseCertificate(der)
					if err != nil {
						return nil, fmt.Errorf("IdP metadata: signing certificate: %w", err)
					}
					if !seen[string(der)] {
						seen[string(der)] = true
						c.Certs = append(c.Certs, cert)
					}
				}
			}
		}
	}
	if len(c.Certs) == 0 {
		return nil, fmt.Errorf("IdP metadata: no X.509 signing certificate in the IDPSSODescriptor")
	}
	return c, nil
}

// SPMetadata returns this SP's metadata (SAML metadata §2.4.4): entity ID
// entityID, one AssertionConsumerService with the HTTP-POST binding at acs,
// NameIDFormat emailAddress, and WantAssertionsSigned="true".
func SPMetadata(entityID, acs string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, `<md:EntityDescriptor xmlns:md="%s" entityID="%s">`, nsMetadata, esc(entityID))
	fmt.Fprintf(&b, `<md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="%s">`, nsProtocol)
	fmt.Fprintf(&b, `<md:NameIDFormat>%s</md:NameIDFormat>`, NameIDFormatEmail)
	fmt.Fprintf(&b, `<md:AssertionConsumerService Binding="%s" Location="%s" index="0" isDefault="true"/>`, BindingPOST, esc(acs))
	b.WriteString(`</md:SPSSODescriptor></md:EntityDescriptor>`)
	b.WriteString("\n")
	return b.Bytes()
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), `"`, "&#34;")
}
