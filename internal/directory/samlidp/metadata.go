package samlidp

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/samlproto"
)

// XML namespaces and bindings (SAML core §2, metadata §2, bindings §3.4, §3.5).
const (
	nsMD            = samlproto.NSMetadata
	nsSAML          = samlproto.NSAssertion
	nsSAMLP         = samlproto.NSProtocol
	nsDS            = samlproto.NSDSig
	BindingPOST     = samlproto.BindingPOST
	BindingRedirect = samlproto.BindingRedirect
)

func thumbprint(der []byte) string {
	h := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(h[:]))
}

// metadataXML builds the app's IdP metadata (SAML metadata §2.4.3,
// samlproto.IdPMetadata): an IDPSSODescriptor with every certificate of
// the app as a signing KeyDescriptor (active first, so SPs can roll over),
// the supported NameID formats and SingleSignOnService with the Redirect
// and POST bindings.
func metadataXML(entityID, ssoURL string, certs []*Cert) ([]byte, error) {
	m := &samlproto.IdPMetadata{
		EntityID:      entityID,
		NameIDFormats: []string{NameIDEmail, NameIDPersistent, NameIDUnspecified, NameIDTransient},
		SSOURL:        ssoURL,
		SSOBindings:   []string{BindingRedirect, BindingPOST},
	}
	for _, c := range certs {
		m.SigningCerts = append(m.SigningCerts, c.CertDER)
	}
	return m.XML()
}

// SPMetadata is what an SP's metadata says about it (SAML metadata
// §2.4.4): entity id, HTTP-POST ACS URLs (default or lowest index first),
// signing certificates (base64 DER), NameID formats and whether it signs
// its AuthnRequests.
type SPMetadata struct {
	EntityID            string
	ACSURLs             []string
	SigningCerts        []string
	NameIDFormats       []string
	AuthnRequestsSigned bool
}

// ParseSPMetadata reads an EntityDescriptor (or the first one with an
// SPSSODescriptor in an EntitiesDescriptor). A UTF-8 byte order mark is
// tolerated.
func ParseSPMetadata(b []byte) (*SPMetadata, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if len(b) > 1<<20 {
		return nil, directory.Invalidf("metadata is larger than 1 MiB")
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, directory.Invalidf("metadata is not XML: %v", err)
	}
	root := doc.Root()
	if root == nil {
		return nil, directory.Invalidf("metadata is empty")
	}
	var eds []*etree.Element
	switch {
	case is(root, nsMD, "EntityDescriptor"):
		eds = []*etree.Element{root}
	case is(root, nsMD, "EntitiesDescriptor"):
		eds = descendants(root, nsMD, "EntityDescriptor")
	default:
		return nil, directory.Invalidf("metadata root is %s, not md:EntityDescriptor", root.Tag)
	}
	for _, ed := range eds {
		sp := child(ed, nsMD, "SPSSODescriptor")
		if sp == nil {
			continue
		}
		m := &SPMetadata{EntityID: strings.TrimSpace(ed.SelectAttrValue("entityID", ""))}
		m.AuthnRequestsSigned = sp.SelectAttrValue("AuthnRequestsSigned", "") == "true"
		type acs struct {
			loc   string
			def   bool
			index int
		}
		var list []acs
		for _, a := range children(sp, nsMD, "AssertionConsumerService") {
			if a.SelectAttrValue("Binding", "") != BindingPOST {
				continue
			}
			var idx int
			fmt.Sscan(a.SelectAttrValue("index", "0"), &idx)
			list = append(list, acs{a.SelectAttrValue("Location", ""), a.SelectAttrValue("isDefault", "") == "true", idx})
		}
		// isDefault first, then by index (metadata §2.2.3).
		for i := 1; i < len(list); i++ {
			for j := i; j > 0; j-- {
				a, b := list[j-1], list[j]
				if (b.def && !a.def) || (b.def == a.def && b.index < a.index) {
					list[j-1], list[j] = b, a
				}
			}
		}
		for _, a := range list {
			m.ACSURLs = append(m.ACSURLs, a.loc)
		}
		for _, kd := range children(sp, nsMD, "KeyDescriptor") {
			if use := kd.SelectAttrValue("use", ""); use != "" && use != "signing" {
				continue
			}
			for _, x := range descendants(kd, nsDS, "X509Certificate") {
				s := strings.Join(strings.Fields(x.Text()), "")
				if _, err := parseCertB64(s); err != nil {
					return nil, directory.Invalidf("SP signing certificate: %v", err)
				}
				m.SigningCerts = append(m.SigningCerts, s)
			}
		}
		for _, f := range children(sp, nsMD, "NameIDFormat") {
			m.NameIDFormats = append(m.NameIDFormats, strings.TrimSpace(f.Text()))
		}
		if m.EntityID == "" {
			return nil, directory.Invalidf("metadata has no entityID")
		}
		if len(m.ACSURLs) == 0 {
			return nil, directory.Invalidf("metadata has no HTTP-POST AssertionConsumerService")
		}
		return m, nil
	}
	return nil, directory.Invalidf("metadata has no SPSSODescriptor")
}

// ConfigureFromMetadata applies an SP's metadata to the app's
// configuration (creating it with defaults when there is none): entity id,
// ACS URLs, signing certificates and, when the SP names exactly one
// supported format, the NameID format. Other settings are kept.
func (p *IdP) ConfigureFromMetadata(ctx context.Context, appID string, metadata []byte) (*Config, error) {
	m, err := ParseSPMetadata(metadata)
	if err != nil {
		return nil, err
	}
	c, err := p.Store.SAMLConfig(ctx, appID)
	if err != nil && !errors.Is(err, directory.ErrNotFound) {
		return nil, err
	}
	if c == nil {
		c = &Config{AppID: appID}
	}
	c.EntityID, c.ACSURLs, c.SPCertificates = m.EntityID, m.ACSURLs, m.SigningCerts
	c.RequireSignedRequests = c.RequireSignedRequests || (m.AuthnRequestsSigned && len(m.SigningCerts) > 0)
	var supported []string
	for _, f := range m.NameIDFormats {
		switch f {
		case NameIDEmail, NameIDPersistent, NameIDTransient:
			supported = append(supported, f)
		}
	}
	if len(supported) == 1 {
		c.NameIDFormat = supported[0]
	}
	return p.Configure(ctx, c)
}

// --- small etree helpers that match on namespace URI, not prefix ---

func is(el *etree.Element, ns, tag string) bool {
	return el != nil && el.Tag == tag && el.NamespaceURI() == ns
}

func child(el *etree.Element, ns, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if is(c, ns, tag) {
			return c
		}
	}
	return nil
}

func children(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if is(c, ns, tag) {
			out = append(out, c)
		}
	}
	return out
}

func descendants(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if is(c, ns, tag) {
			out = append(out, c)
		}
		out = append(out, descendants(c, ns, tag)...)
	}
	return out
}
