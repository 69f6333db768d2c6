package samlproto

import (
	"crypto/rsa"
	"fmt"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// What a Response's signatures cover (Entra's "Signing Option").
const (
	SignAssertion = "assertion" // the Assertion only (Entra's default)
	SignResponse  = "response"  // the Response only
	SignBoth      = "both"      // the Assertion, then the Response around it
)

// Signature algorithms (XML-DSig URIs).
const (
	RSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	RSASHA1   = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
)

// Signer signs Responses with an IdP's RSA key and certificate.
type Signer struct {
	Key *rsa.PrivateKey
	// CertDER is the certificate put in each signature's KeyInfo.
	CertDER []byte
	// Mode is SignAssertion (when empty), SignResponse or SignBoth.
	Mode string
	// Algorithm is RSASHA256 (when empty) or RSASHA1.
	Algorithm string
}

func (s *Signer) mode() string {
	if s.Mode == "" {
		return SignAssertion
	}
	return s.Mode
}

// Context returns a goxmldsig signing context: enveloped signatures with
// the "ds" prefix over the ID attribute, exclusive C14N 1.0 without
// inclusive prefixes, s.Algorithm (RSA-SHA256 by default), the certificate
// in KeyInfo.
func (s *Signer) Context() (*dsig.SigningContext, error) {
	if s.Key == nil || len(s.CertDER) == 0 {
		return nil, fmt.Errorf("samlproto: signer has no key or certificate")
	}
	sc, err := dsig.NewSigningContext(s.Key, [][]byte{s.CertDER})
	if err != nil {
		return nil, err
	}
	sc.IdAttribute = "ID"
	sc.Prefix = "ds"
	sc.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	alg := s.Algorithm
	if alg == "" {
		alg = RSASHA256
	}
	if err := sc.SetSignatureMethod(alg); err != nil {
		return nil, err
	}
	return sc, nil
}

// SignAfterIssuer computes an enveloped signature over el and inserts it
// right after el's Issuer child (or first, when el has none), where the
// SAML schema puts ds:Signature (core §5.4.1).
func SignAfterIssuer(sc *dsig.SigningContext, el *etree.Element) error {
	sig, err := sc.ConstructSignature(el, true)
	if err != nil {
		return err
	}
	pos := 0
	for i, t := range el.Child {
		if c, ok := t.(*etree.Element); ok && c.Tag == "Issuer" {
			pos = i + 1
			break
		}
	}
	el.InsertChildAt(pos, sig)
	return nil
}
