package samlproto

import (
	"encoding/base64"
	"fmt"

	"github.com/beevik/etree"
)

// IdPMetadata describes an identity provider's metadata (SAML metadata
// §2.4.3).
type IdPMetadata struct {
	EntityID string
	// SigningCerts are DER certificates, each published as a signing
	// KeyDescriptor in order (active first, so SPs can roll over).
	SigningCerts [][]byte
	// NameIDFormats are the supported NameID formats, in order.
	NameIDFormats []string
	// SSOURL is the SingleSignOnService Location, published once per
	// binding of SSOBindings (BindingRedirect and BindingPOST when nil).
	SSOURL      string
	SSOBindings []string
	// WantAuthnRequestsSigned is the IDPSSODescriptor's attribute.
	WantAuthnRequestsSigned bool
}

// XML returns the metadata document: an md:EntityDescriptor with one
// md:IDPSSODescriptor for SAML 2.0, indented by two spaces and preceded by
// an XML declaration.
func (m *IdPMetadata) XML() ([]byte, error) {
	if m.EntityID == "" {
		return nil, fmt.Errorf("samlproto: IdP metadata needs an entity id")
	}
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	ed := doc.CreateElement("md:EntityDescriptor")
	ed.CreateAttr("xmlns:md", NSMetadata)
	ed.CreateAttr("xmlns:ds", NSDSig)
	ed.CreateAttr("entityID", m.EntityID)
	idp := ed.CreateElement("md:IDPSSODescriptor")
	idp.CreateAttr("WantAuthnRequestsSigned", fmt.Sprint(m.WantAuthnRequestsSigned))
	idp.CreateAttr("protocolSupportEnumeration", NSProtocol)
	for _, der := range m.SigningCerts {
		kd := idp.CreateElement("md:KeyDescriptor")
		kd.CreateAttr("use", "signing")
		x := kd.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate")
		x.SetText(base64.StdEncoding.EncodeToString(der))
	}
	for _, f := range m.NameIDFormats {
		idp.CreateElement("md:NameIDFormat").SetText(f)
	}
	if m.SSOURL != "" {
		bindings := m.SSOBindings
		if bindings == nil {
			bindings = []string{BindingRedirect, BindingPOST}
		}
		for _, b := range bindings {
			s := idp.CreateElement("md:SingleSignOnService")
			s.CreateAttr("Binding", b)
			s.CreateAttr("Location", m.SSOURL)
		}
	}
	doc.Indent(2)
	return doc.WriteToBytes()
}
