package samlsp

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// SAML status codes (SAML core §3.2.2.2) used to word refusals.
const (
	StatusSuccess   = "urn:oasis:names:tc:SAML:2.0:status:Success"
	StatusRequester = "urn:oasis:names:tc:SAML:2.0:status:Requester"
	StatusResponder = "urn:oasis:names:tc:SAML:2.0:status:Responder"
	StatusDenied    = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"

	cmBearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer"

	// AccessControlPrefix names the attributes that become session tags
	// (aws-identity-center.md §3.3).
	AccessControlPrefix = "https://aws.amazon.com/SAML/Attributes/AccessControl:"
)

// MaxResponseBytes bounds a decoded SAMLResponse. AWS allows an assertion of
// 50,000 characters; the response around it adds a signature or two.
const MaxResponseBytes = 256 << 10

// Refusal is why a response was refused, worded like a SAML status: Status
// is the top-level status code an IdP would have used, Reason says which
// check failed.
type Refusal struct {
	Status string
	Reason string
}

func (r *Refusal) Error() string { return r.Reason }

func refuse(format string, args ...any) error {
	return &Refusal{Status: StatusRequester, Reason: fmt.Sprintf(format, args...)}
}

func denied(format string, args ...any) error {
	return &Refusal{Status: StatusDenied, Reason: fmt.Sprintf(format, args...)}
}

// Checks is what a response is checked against.
type Checks struct {
	IdP      *IdPConfig
	EntityID string // our entity ID: the required Audience
	ACSURL   string // our ACS: the required Destination and Recipient
	Now      time.Time
	// CertTime is when the IdP certificate must be valid; zero means Now.
	CertTime time.Time
	// Skew is the clock skew allowed on each side of a validity window.
	Skew time.Duration
}

// Assertion is what a verified response says, read only from signed XML.
type Assertion struct {
	ID           string
	Issuer       string
	NameID       string
	NameIDFormat string
	// InResponseTo is the request this answers, empty when IdP-initiated.
	InResponseTo string
	// NotOnOrAfter is the latest end of the assertion's validity windows,
	// how long its ID must stay in the replay cache.
	NotOnOrAfter        time.Time
	SessionNotOnOrAfter time.Time // zero if absent
	SessionIndex        string
	Attributes          map[string][]string
	// ResponseSigned and AssertionSigned say which signatures verified.
	ResponseSigned, AssertionSigned bool
}

// Tags returns the session tags: the single value of each
// https://aws.amazon.com/SAML/Attributes/AccessControl:<key> attribute.
func (a *Assertion) Tags() (map[string]string, error) {
	tags := map[string]string{}
	for name, vals := range a.Attributes {
		key, ok := strings.CutPrefix(name, AccessControlPrefix)
		if !ok {
			continue
		}
		if key == "" || len(vals) != 1 {
			return nil, refuse("attribute %s must have exactly one value", name)
		}
		tags[key] = vals[0]
	}
	if len(tags) > 50 {
		return nil, refuse("%d access-control attributes; at most 50 are allowed", len(tags))
	}
	return tags, nil
}

// Verify checks a SAML Response (the decoded XML of the POST binding's
// SAMLResponse) and returns its assertion. It does every check that needs
// no state; the caller checks InResponseTo against its outstanding requests
// and the assertion ID against its replay cache.
//
// Steps:
//  1. Size cap; no DTD; xml-roundtrip validation; one parse feeds both
//     signature verification and data extraction.
//  2. The root is samlp:Response; no ID attribute value occurs twice.
//  3. Exactly one saml:Assertion in the whole document, a direct child of
//     the Response; no EncryptedAssertion (AWS supports none).
//  4. Signature: if the Response has a ds:Signature child it must verify and
//     the assertion is read from the element goxmldsig returns as verified;
//     if the Assertion has one it must verify likewise. At least one of the
//     two must be present. Each signature must be a direct child of the
//     element it signs, with exactly one Reference whose URI is "#"+that
//     element's ID, and verify with one of the IdP's configured
//     certificates; the message's KeyInfo is removed before verification
//     and never trusted.
//  5. Response: Version 2.0, Destination = our ACS, Issuer (if present) =
//     the IdP, Status Success (SAML core §3.2.2).
//  6. Assertion (SAML core §2.3.3, profiles §4.1.4.2): Version 2.0, Issuer =
//     the IdP, a Subject with a NameID, a bearer SubjectConfirmation whose
//     data names our ACS as Recipient and is within its time window,
//     Conditions within their window with an AudienceRestriction naming us
//     (§2.5.1), an AuthnStatement; InResponseTo consistent.
func Verify(raw []byte, c *Checks) (*Assertion, error) {
	if c.IdP == nil || len(c.IdP.Certs) == 0 {
		return nil, &Refusal{Status: StatusResponder, Reason: "no external identity provider is configured"}
	}
	// 1.
	if len(raw) > MaxResponseBytes {
		return nil, refuse("response exceeds %d bytes", MaxResponseBytes)
	}
	doc, err := parseStrict(raw)
	if err != nil {
		return nil, refuse("response refused: %v", err)
	}
	// 2.
	resp := doc.Root()
	if !is(resp, nsProtocol, "Response") {
		return nil, refuse("root element is not samlp:Response")
	}
	if err := uniqueIDs(resp); err != nil {
		return nil, err
	}
	// A non-success status can only lead to a refusal, so it is reported
	// first, signed or not (IdP error responses carry no assertion).
	if err := checkStatus(resp); err != nil {
		return nil, err
	}
	// 3.
	if n := len(findAll(resp, nsAssertion, "EncryptedAssertion")); n > 0 {
		return nil, refuse("encrypted assertions are not supported")
	}
	all := findAll(resp, nsAssertion, "Assertion")
	if len(all) != 1 {
		return nil, refuse("response must contain exactly one Assertion, found %d", len(all))
	}
	if all[0].Parent() != resp {
		return nil, refuse("the Assertion is not a child of the Response")
	}
	// A signature anywhere but directly in the Response or the Assertion is
	// a wrapping attempt (ruby-saml "unexpected Signature Element").
	for _, s := range findAll(resp, nsDSig, "Signature") {
		if p := s.Parent(); p != resp && p != all[0] {
			return nil, refuse("a Signature in an unexpected position (inside <%s>)", p.Tag)
		}
	}
	// 4.
	out := &Assertion{}
	certTime := c.CertTime
	if certTime.IsZero() {
		certTime = c.Now
	}
	assertion := all[0]
	respSig, err := child(resp, nsDSig, "Signature")
	if err != nil {
		return nil, refuse("response: %v", err)
	}
	if respSig != nil {
		verified, err := verifySigned(resp, c.IdP.Certs, certTime)
		if err != nil {
			return nil, refuse("response signature: %v", err)
		}
		resp, out.ResponseSigned = verified, true
		as := children(resp, nsAssertion, "Assertion")
		if len(as) != 1 {
			return nil, refuse("signed response must contain exactly one Assertion")
		}
		assertion = as[0]
	}
	asig, err := child(assertion, nsDSig, "Signature")
	if err != nil {
		return nil, refuse("assertion: %v", err)
	}
	if asig != nil {
		verified, err := verifySigned(assertion, c.IdP.Certs, certTime)
		if err != nil {
			return nil, refuse("assertion signature: %v", err)
		}
		assertion, out.AssertionSigned = verified, true
	}
	if !out.ResponseSigned && !out.AssertionSigned {
		return nil, refuse("neither the response nor the assertion is signed")
	}
	// 5.
	if v := resp.SelectAttrValue("Version", ""); v != "2.0" {
		return nil, &Refusal{Status: "urn:oasis:names:tc:SAML:2.0:status:VersionMismatch", Reason: fmt.Sprintf("response Version %q is not 2.0", v)}
	}
	if d := resp.SelectAttrValue("Destination", ""); d != c.ACSURL {
		return nil, refuse("response Destination %q is not this ACS %q", d, c.ACSURL)
	}
	if iss, err := child(resp, nsAssertion, "Issuer"); err != nil {
		return nil, refuse("response: %v", err)
	} else if iss != nil && strings.TrimSpace(textOf(iss)) != c.IdP.EntityID {
		return nil, refuse("response Issuer %q is not the identity provider %q", textOf(iss), c.IdP.EntityID)
	}
	if err := checkStatus(resp); err != nil { // now from the verified element
		return nil, err
	}
	out.InResponseTo = resp.SelectAttrValue("InResponseTo", "")
	// 6.
	if err := readAssertion(assertion, c, out); err != nil {
		return nil, err
	}
	return out, nil
}

// uniqueIDs refuses a document in which two elements carry the same ID, so
// a Reference URI can name only one element (XSW5–8, CVE-2022-41912).
func uniqueIDs(root *etree.Element) error {
	seen := map[string]bool{}
	var walk func(*etree.Element) error
	walk = func(e *etree.Element) error {
		for _, a := range e.Attr {
			if a.Space == "" && a.Key == "ID" {
				if seen[a.Value] {
					return refuse("ID %q occurs more than once", a.Value)
				}
				seen[a.Value] = true
			}
		}
		for _, c := range e.ChildElements() {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root)
}

// verifySigned verifies the enveloped signature that is a direct child of
// el and returns the element as goxmldsig verified it (re-parsed from the
// canonical bytes that were digested). Only that element may be read.
func verifySigned(el *etree.Element, certs []*x509.Certificate, certTime time.Time) (*etree.Element, error) {
	id := el.SelectAttrValue("ID", "")
	if id == "" {
		return nil, errors.New("signed element has no ID")
	}
	sig, err := child(el, nsDSig, "Signature")
	if err != nil || sig == nil {
		return nil, errors.New("exactly one ds:Signature child is required")
	}
	si, err := child(sig, nsDSig, "SignedInfo")
	if err != nil || si == nil {
		return nil, errors.New("signature must have one SignedInfo")
	}
	refs := children(si, nsDSig, "Reference")
	if len(refs) != 1 {
		return nil, fmt.Errorf("signature must have exactly one Reference, has %d", len(refs))
	}
	if uri := refs[0].SelectAttrValue("URI", ""); uri != "#"+id {
		return nil, fmt.Errorf("signature Reference URI %q does not name the signed element %q", uri, id)
	}
	// Detach a copy that keeps the namespace declarations in scope, and
	// drop the signature's KeyInfo: trust comes from the configured
	// certificates only (KeyInfo lies outside SignedInfo, and the enveloped
	// transform removes the whole Signature, so dropping it changes nothing
	// that is signed).
	nsctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	detached, err := etreeutils.NSDetatch(nsctx, el)
	if err != nil {
		return nil, err
	}
	for _, s := range children(detached, nsDSig, "Signature") {
		for _, ki := range children(s, nsDSig, "KeyInfo") {
			s.RemoveChild(ki)
		}
		// IdPs wrap SignatureValue's base64 over lines (ADFS, Shibboleth);
		// goxmldsig decodes it without removing whitespace. SignatureValue
		// is outside SignedInfo, so normalising it changes nothing signed.
		for _, sv := range children(s, nsDSig, "SignatureValue") {
			sv.SetText(strings.Join(strings.Fields(textOf(sv)), ""))
		}
	}
	var lastErr error
	for _, cert := range certs {
		vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
		vc.Clock = dsig.NewFakeClockAt(certTime)
		verified, err := vc.Validate(detached)
		if err == nil {
			if verified.SelectAttrValue("ID", "") != id || verified.Tag != el.Tag {
				return nil, errors.New("verified element is not the signed element")
			}
			return verified, nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("not signed by a configured IdP certificate: %v", lastErr)
}

func checkStatus(resp *etree.Element) error {
	st, err := child(resp, nsProtocol, "Status")
	if err != nil || st == nil {
		return refuse("response has no single Status")
	}
	codes := children(st, nsProtocol, "StatusCode")
	if len(codes) != 1 {
		return refuse("response Status must have one StatusCode")
	}
	if v := codes[0].SelectAttrValue("Value", ""); v != StatusSuccess {
		msg := ""
		if m, _ := child(st, nsProtocol, "StatusMessage"); m != nil {
			msg = ": " + strings.TrimSpace(textOf(m))
		}
		sub := ""
		if s, _ := child(codes[0], nsProtocol, "StatusCode"); s != nil {
			sub = " / " + s.SelectAttrValue("Value", "")
		}
		return &Refusal{Status: v, Reason: fmt.Sprintf("the identity provider answered %s%s%s", v, sub, msg)}
	}
	return nil
}

func parseTime(el *etree.Element, attr string) (time.Time, bool, error) {
	v := el.SelectAttrValue(attr, "")
	if v == "" {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false, refuse("%s %q is not an xs:dateTime", attr, v)
	}
	return t, true, nil
}

// window checks NotBefore / NotOnOrAfter on el against now with skew and
// returns NotOnOrAfter.
func window(el *etree.Element, what string, c *Checks, requireEnd bool) (time.Time, error) {
	nb, ok, err := parseTime(el, "NotBefore")
	if err != nil {
		return time.Time{}, err
	}
	if ok && c.Now.Add(c.Skew).Before(nb) {
		return time.Time{}, refuse("%s not yet valid: NotBefore %s, now %s", what, nb.Format(time.RFC3339), c.Now.Format(time.RFC3339))
	}
	na, ok, err := parseTime(el, "NotOnOrAfter")
	if err != nil {
		return time.Time{}, err
	}
	if !ok {
		if requireEnd {
			return time.Time{}, refuse("%s has no NotOnOrAfter", what)
		}
		return time.Time{}, nil
	}
	if !c.Now.Add(-c.Skew).Before(na) {
		return time.Time{}, refuse("%s expired: NotOnOrAfter %s, now %s", what, na.Format(time.RFC3339), c.Now.Format(time.RFC3339))
	}
	return na, nil
}

func readAssertion(a *etree.Element, c *Checks, out *Assertion) error {
	out.ID = a.SelectAttrValue("ID", "")
	if out.ID == "" {
		return refuse("assertion has no ID")
	}
	if v := a.SelectAttrValue("Version", ""); v != "2.0" {
		return refuse("assertion Version %q is not 2.0", v)
	}
	iss, err := child(a, nsAssertion, "Issuer")
	if err != nil || iss == nil {
		return refuse("assertion must have one Issuer")
	}
	out.Issuer = strings.TrimSpace(textOf(iss))
	if out.Issuer != c.IdP.EntityID {
		return refuse("assertion Issuer %q is not the identity provider %q", out.Issuer, c.IdP.EntityID)
	}

	// Subject, NameID (SAML core §2.4, §2.2.3).
	subj, err := child(a, nsAssertion, "Subject")
	if err != nil || subj == nil {
		return refuse("assertion must have one Subject")
	}
	if len(children(subj, nsAssertion, "EncryptedID")) > 0 {
		return refuse("encrypted NameID is not supported")
	}
	nid, err := child(subj, nsAssertion, "NameID")
	if err != nil || nid == nil {
		return refuse("assertion Subject must have one NameID")
	}
	if len(nid.ChildElements()) > 0 {
		return refuse("NameID must hold only text")
	}
	out.NameID = strings.TrimSpace(textOf(nid))
	out.NameIDFormat = nid.SelectAttrValue("Format", "")
	if q := nid.SelectAttrValue("SPNameQualifier", ""); q != "" && q != c.EntityID {
		return refuse("NameID SPNameQualifier %q is not this service provider %q", q, c.EntityID)
	}
	if out.NameID == "" {
		return refuse("NameID is empty")
	}

	// Bearer SubjectConfirmation (profiles §4.1.4.2): one must satisfy
	// every condition.
	var confirmErr error
	confirmed := false
	var scdEnd time.Time
	for _, sc := range children(subj, nsAssertion, "SubjectConfirmation") {
		if sc.SelectAttrValue("Method", "") != cmBearer {
			continue
		}
		scd, err := child(sc, nsAssertion, "SubjectConfirmationData")
		if err != nil || scd == nil {
			confirmErr = refuse("bearer SubjectConfirmation has no SubjectConfirmationData")
			continue
		}
		if r := scd.SelectAttrValue("Recipient", ""); r != c.ACSURL {
			confirmErr = refuse("SubjectConfirmationData Recipient %q is not this ACS %q", r, c.ACSURL)
			continue
		}
		end, err := window(scd, "SubjectConfirmationData", c, true)
		if err != nil {
			confirmErr = err
			continue
		}
		irt := scd.SelectAttrValue("InResponseTo", "")
		if out.InResponseTo != "" && irt != "" && irt != out.InResponseTo {
			confirmErr = refuse("SubjectConfirmationData InResponseTo %q differs from the response's %q", irt, out.InResponseTo)
			continue
		}
		if out.InResponseTo == "" {
			out.InResponseTo = irt
		}
		confirmed, scdEnd = true, end
		break
	}
	if !confirmed {
		if confirmErr == nil {
			confirmErr = refuse("assertion has no bearer SubjectConfirmation")
		}
		return confirmErr
	}

	// Conditions and audience (SAML core §2.5.1).
	cond, err := child(a, nsAssertion, "Conditions")
	if err != nil || cond == nil {
		return refuse("assertion must have one Conditions element")
	}
	condEnd, err := window(cond, "assertion Conditions", c, false)
	if err != nil {
		return err
	}
	ars := children(cond, nsAssertion, "AudienceRestriction")
	if len(ars) == 0 {
		return refuse("assertion has no AudienceRestriction")
	}
	for _, ar := range ars {
		ok := false
		var got []string
		for _, au := range children(ar, nsAssertion, "Audience") {
			v := strings.TrimSpace(textOf(au))
			got = append(got, v)
			if v == c.EntityID {
				ok = true
			}
		}
		if !ok {
			return refuse("audience %q does not include this service provider %q", got, c.EntityID)
		}
	}
	out.NotOnOrAfter = scdEnd
	if condEnd.After(out.NotOnOrAfter) {
		out.NotOnOrAfter = condEnd
	}
	out.NotOnOrAfter = out.NotOnOrAfter.Add(c.Skew)

	// AuthnStatement (profiles §4.1.4.2).
	as := children(a, nsAssertion, "AuthnStatement")
	if len(as) == 0 {
		return refuse("assertion has no AuthnStatement")
	}
	out.SessionIndex = as[0].SelectAttrValue("SessionIndex", "")
	if t, ok, err := parseTime(as[0], "SessionNotOnOrAfter"); err != nil {
		return err
	} else if ok {
		if !c.Now.Add(-c.Skew).Before(t) {
			return refuse("SessionNotOnOrAfter %s has passed", t.Format(time.RFC3339))
		}
		out.SessionNotOnOrAfter = t
	}

	// Attributes (SAML core §2.7.3): names must not repeat.
	out.Attributes = map[string][]string{}
	for _, st := range children(a, nsAssertion, "AttributeStatement") {
		for _, at := range children(st, nsAssertion, "Attribute") {
			name := at.SelectAttrValue("Name", "")
			if _, dup := out.Attributes[name]; dup {
				return refuse("attribute %q appears more than once", name)
			}
			vals := []string{}
			for _, v := range children(at, nsAssertion, "AttributeValue") {
				if len(v.ChildElements()) > 0 {
					return refuse("attribute %q has a structured value", name)
				}
				vals = append(vals, textOf(v))
			}
			out.Attributes[name] = vals
		}
	}
	return nil
}
