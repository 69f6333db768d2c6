package samlproto

import (
	"crypto"
	"crypto/rsa"
	_ "crypto/sha1" // RSA-SHA1 signatures, for SPs that still ask for them
	"encoding/base64"
	"fmt"
	"runtime"

	"github.com/beevik/etree"
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

// Digest algorithm URIs (XML-DSig §6.2, xmlenc §5.7.2).
const (
	digestSHA256       = "http://www.w3.org/2001/04/xmlenc#sha256"
	digestSHA1         = "http://www.w3.org/2000/09/xmldsig#sha1"
	transformEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
)

// hash returns the signature method's URI, hash and digest URI:
// RSA-SHA256 (the default) or RSA-SHA1, whose digests use the same hash.
func (s *Signer) hash() (method string, h crypto.Hash, digest string, err error) {
	switch s.Algorithm {
	case "", RSASHA256:
		return RSASHA256, crypto.SHA256, digestSHA256, nil
	case RSASHA1:
		return RSASHA1, crypto.SHA1, digestSHA1, nil
	}
	return "", 0, "", fmt.Errorf("samlproto: unsupported signature algorithm %q", s.Algorithm)
}

// SignAfterIssuer signs el with an enveloped signature (XML-DSig §6.6.4)
// and inserts it right after el's Issuer child (or first, when el has
// none), where the SAML schema puts ds:Signature (core §5.4.1):
//  1. the Reference: URI "#" + el's ID; transforms enveloped-signature and
//     exclusive C14N (core §5.4.4 allows no others); the digest of el's
//     canonical form without the signature;
//  2. the SignedInfo, canonicalized (exclusive C14N) in its place inside
//     ds:Signature, signed with PKCS#1 v1.5;
//  3. KeyInfo with the signing certificate.
func (s *Signer) SignAfterIssuer(el *etree.Element) error {
	if s.Key == nil || len(s.CertDER) == 0 {
		return fmt.Errorf("samlproto: signer has no key or certificate")
	}
	method, h, digestURI, err := s.hash()
	if err != nil {
		return err
	}
	id := el.SelectAttrValue("ID", "")
	if id == "" {
		return fmt.Errorf("samlproto: %s has no ID to sign", el.FullTag())
	}
	// 1.
	digest, err := digestCanonical(h, el)
	if err != nil {
		return err
	}
	sig := etree.NewElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", NSDSig)
	si := sig.CreateElement("ds:SignedInfo")
	si.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", C14NExclusive)
	si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", method)
	ref := si.CreateElement("ds:Reference")
	ref.CreateAttr("URI", "#"+id)
	tr := ref.CreateElement("ds:Transforms")
	tr.CreateElement("ds:Transform").CreateAttr("Algorithm", transformEnveloped)
	tr.CreateElement("ds:Transform").CreateAttr("Algorithm", C14NExclusive)
	ref.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", digestURI)
	ref.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(digest))
	// 2. SignedInfo is canonicalized where it stands, under ds:Signature
	// (whose xmlns:ds it renders), as a verifier will.
	signed, err := digestCanonical(h, si)
	if err != nil {
		return err
	}
	value, err := signPKCS1v15(s.Key, h, signed)
	if err != nil {
		return err
	}
	sig.CreateElement("ds:SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
	// 3.
	sig.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
		SetText(base64.StdEncoding.EncodeToString(s.CertDER))
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

// signSlots bounds the RSA signatures computed at once to the number of
// CPUs Go may use.
//
// Why: an RSA-2048 signature is ~0.75 ms of CPU that the scheduler does not
// interrupt. Under a burst of sign-ins, dozens of handlers signing at once
// fill the run queues, and every other goroutine a response depends on (the
// audit log's committer, the network) waits behind all of them; the CPUs
// then idle while those handlers wait for the commit. Queued here instead,
// the signers wait off the run queue, and the rest runs promptly. Measured
// with `gatehouse bench saml`: audited SSO responses 0.60-0.63 -> 0.66-0.69
// of the RSA rate (docs/benchmarks.md).
var signSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// signPKCS1v15 signs digest with key (RSASSA-PKCS1-v1_5, RFC 8017 §8.2.1)
// in one of the signSlots.
func signPKCS1v15(key *rsa.PrivateKey, h crypto.Hash, digest []byte) ([]byte, error) {
	signSlots <- struct{}{}
	defer func() { <-signSlots }()
	return rsa.SignPKCS1v15(nil, key, h, digest)
}
