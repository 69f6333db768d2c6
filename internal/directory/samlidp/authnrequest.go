package samlidp

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/jonboulle/clockwork"
	xrv "github.com/mattermost/xml-roundtrip-validator"
	dsig "github.com/russellhaering/goxmldsig"
)

// maxRequestBytes bounds an AuthnRequest after inflating; real ones are a
// few KiB.
const maxRequestBytes = 64 << 10

// authnRequest is what we use of a samlp:AuthnRequest (SAML core §3.4.1).
type authnRequest struct {
	ID           string
	Issuer       string
	ACSURL       string
	NameIDFormat string
	Signed       bool // a signature was present and verified
}

// requestError is a refusal shown to the user on an error page.
type requestError struct {
	Status int
	Msg    string
}

func (e *requestError) Error() string { return e.Msg }

func refuse(status int, format string, args ...any) error {
	return &requestError{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// rawQueryParam returns a query parameter exactly as sent (still
// URL-encoded), as the Redirect binding's signature covers the encoded
// form (SAML bindings §3.4.4.1).
func rawQueryParam(rawQuery, name string) (string, bool) {
	for _, kv := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == name {
			return v, true
		}
	}
	return "", false
}

// decodeRedirect reads the HTTP-Redirect binding (SAML bindings §3.4.4):
// SAMLRequest is DEFLATE (RFC 1951) then base64 then URL encoded.
func decodeRedirect(r *http.Request) ([]byte, error) {
	v := r.URL.Query().Get("SAMLRequest")
	if v == "" {
		return nil, refuse(http.StatusBadRequest, "The request has no SAMLRequest.")
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "SAMLRequest is not base64.")
	}
	out, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), maxRequestBytes+1))
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "SAMLRequest is not DEFLATE-compressed.")
	}
	if len(out) > maxRequestBytes {
		return nil, refuse(http.StatusBadRequest, "SAMLRequest is too large.")
	}
	return out, nil
}

// encodeRedirect is the inverse of decodeRedirect's decoding, without URL
// encoding.
func encodeRedirect(xml []byte) string {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write(xml)
	w.Close()
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// verifyRedirectSignature checks the query signature of the Redirect
// binding (SAML bindings §3.4.4.1): the signed octets are
// "SAMLRequest=v&RelayState=v&SigAlg=v" with the values as sent. It returns
// false when the query carries no signature.
func verifyRedirectSignature(r *http.Request, certs []*x509.Certificate) (bool, error) {
	q := r.URL.RawQuery
	sigRaw, hasSig := rawQueryParam(q, "Signature")
	if !hasSig {
		return false, nil
	}
	if len(certs) == 0 {
		return false, nil // nothing to verify with; treated as unsigned
	}
	reqRaw, _ := rawQueryParam(q, "SAMLRequest")
	algRaw, _ := rawQueryParam(q, "SigAlg")
	signed := "SAMLRequest=" + reqRaw
	if rs, ok := rawQueryParam(q, "RelayState"); ok {
		signed += "&RelayState=" + rs
	}
	signed += "&SigAlg=" + algRaw
	alg, err := url.QueryUnescape(algRaw)
	if err != nil {
		return false, refuse(http.StatusBadRequest, "SigAlg is malformed.")
	}
	sigB64, err := url.QueryUnescape(sigRaw)
	if err != nil {
		return false, refuse(http.StatusBadRequest, "Signature is malformed.")
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return false, refuse(http.StatusBadRequest, "Signature is not base64.")
	}
	var h crypto.Hash
	var digest []byte
	switch alg {
	case RSASHA256:
		d := sha256.Sum256([]byte(signed))
		h, digest = crypto.SHA256, d[:]
	case RSASHA1:
		d := sha1.Sum([]byte(signed))
		h, digest = crypto.SHA1, d[:]
	default:
		return false, refuse(http.StatusBadRequest, "Signature algorithm %q is not supported.", alg)
	}
	for _, c := range certs {
		if pub, ok := c.PublicKey.(*rsa.PublicKey); ok && rsa.VerifyPKCS1v15(pub, h, digest, sig) == nil {
			return true, nil
		}
	}
	return false, refuse(http.StatusForbidden, "The AuthnRequest signature does not verify with the application's certificate.")
}

// verifyXMLSignature checks an enveloped XML signature on the request's
// root element (SAML core §5) and returns the element the signature covers,
// which is the one to read from then on. It returns nil, nil when the
// document is unsigned.
func verifyXMLSignature(root *etree.Element, certs []*x509.Certificate) (*etree.Element, error) {
	if child(root, nsDS, "Signature") == nil {
		return nil, nil
	}
	if len(certs) == 0 {
		return nil, nil
	}
	var lastErr error
	for _, c := range certs {
		vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{c}})
		vc.IdAttribute = "ID"
		// The SP's certificate is trusted by pinning, whatever its dates
		// (Entra does not check them either); validate at a time it covers.
		vc.Clock = dsig.NewFakeClock(clockwork.NewFakeClockAt(c.NotBefore.Add(time.Second)))
		el, err := vc.Validate(root)
		if err == nil {
			return el, nil
		}
		lastErr = err
	}
	return nil, refuse(http.StatusForbidden, "The AuthnRequest signature does not verify with the application's certificate (%v).", lastErr)
}

// parseAuthnRequest parses and checks an AuthnRequest against the app's
// configuration (SAML core §3.4.1, Entra's rules in §4.2 of the reference):
//  1. the XML must round-trip (no XML-mutation tricks) and be an
//     AuthnRequest of version 2.0 with an ID;
//  2. a signature, when present and the SP's certificate is known, must
//     verify, and is required when the app requires signed requests;
//  3. Issuer must equal the configured SP entity id;
//  4. AssertionConsumerServiceURL, when given, must be a configured one,
//     and ProtocolBinding, when given, HTTP-POST;
//  5. a Subject is refused, as Entra does; NameIDPolicy's Format must be
//     one we issue.
func parseAuthnRequest(xmlBytes []byte, cfg *Config, querySigned bool) (*authnRequest, error) {
	if err := xrv.Validate(bytes.NewReader(xmlBytes)); err != nil {
		return nil, refuse(http.StatusBadRequest, "The AuthnRequest is not well-formed XML.")
	}
	doc := etree.NewDocument()
	doc.ReadSettings.ValidateInput = true
	if err := doc.ReadFromBytes(xmlBytes); err != nil || doc.Root() == nil {
		return nil, refuse(http.StatusBadRequest, "The AuthnRequest is not well-formed XML.")
	}
	root := doc.Root()
	if !is(root, nsSAMLP, "AuthnRequest") {
		return nil, refuse(http.StatusBadRequest, "The message is not a SAML AuthnRequest.")
	}
	certs, err := spCerts(cfg)
	if err != nil {
		return nil, err
	}
	signedEl, err := verifyXMLSignature(root, certs)
	if err != nil {
		return nil, err
	}
	if signedEl != nil {
		root = signedEl
	}
	req := &authnRequest{Signed: querySigned || signedEl != nil}
	if cfg.RequireSignedRequests && !req.Signed {
		return nil, refuse(http.StatusForbidden, "This application requires signed AuthnRequests and the request is not signed.")
	}
	if root.SelectAttrValue("Version", "") != "2.0" {
		return nil, refuse(http.StatusBadRequest, "The AuthnRequest is not SAML version 2.0.")
	}
	req.ID = root.SelectAttrValue("ID", "")
	if req.ID == "" {
		return nil, refuse(http.StatusBadRequest, "The AuthnRequest has no ID.")
	}
	if iss := child(root, nsSAML, "Issuer"); iss != nil {
		req.Issuer = strings.TrimSpace(iss.Text())
	}
	if req.Issuer != cfg.EntityID {
		return nil, refuse(http.StatusBadRequest, "The application with identifier %q was not found: the request's Issuer does not match this application.", req.Issuer)
	}
	if b := root.SelectAttrValue("ProtocolBinding", ""); b != "" && b != BindingPOST {
		return nil, refuse(http.StatusBadRequest, "Only the HTTP-POST binding is supported for the response, not %q.", b)
	}
	req.ACSURL = root.SelectAttrValue("AssertionConsumerServiceURL", "")
	if req.ACSURL != "" && !slices.Contains(cfg.ACSURLs, req.ACSURL) {
		return nil, refuse(http.StatusBadRequest, "The reply URL %q does not match the reply URLs configured for the application.", req.ACSURL)
	}
	if req.ACSURL == "" {
		req.ACSURL = cfg.ACSURLs[0]
	}
	if child(root, nsSAML, "Subject") != nil {
		return nil, refuse(http.StatusBadRequest, "AuthnRequests with a Subject are not supported.")
	}
	if p := child(root, nsSAMLP, "NameIDPolicy"); p != nil {
		switch f := p.SelectAttrValue("Format", ""); f {
		case "", NameIDUnspecified:
		case NameIDEmail, NameIDPersistent, NameIDTransient:
			req.NameIDFormat = f
		default:
			return nil, refuse(http.StatusBadRequest, "The requested NameID format %q is not supported.", f)
		}
	}
	return req, nil
}

func spCerts(cfg *Config) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, s := range cfg.SPCertificates {
		c, err := parseCertB64(s)
		if err != nil {
			return nil, errors.New("stored SP certificate is unreadable")
		}
		out = append(out, c)
	}
	return out, nil
}
