package samlproto

import (
	"fmt"
	"time"

	"github.com/beevik/etree"
)

// Attribute is one saml:Attribute of the AttributeStatement (core
// §2.7.3.1). An attribute with no values is left out.
type Attribute struct {
	Name string
	// NameFormat is AttrNameFormatURI when empty.
	NameFormat string
	Values     []string
}

// Response describes a samlp:Response with one Assertion, as the Web
// Browser SSO profile (profiles §4.1.4.2) sends it to an SP's ACS.
type Response struct {
	// Issuer is the IdP's entity id, the Issuer of the Response and of the
	// Assertion.
	Issuer string
	// Destination is the ACS URL: the Response's Destination and the
	// SubjectConfirmationData's Recipient.
	Destination string
	// InResponseTo is the AuthnRequest's ID; empty for IdP-initiated
	// (unsolicited) responses.
	InResponseTo string
	// Audience is the SP's entity id, the AudienceRestriction's Audience.
	Audience string
	// NameID and NameIDFormat are the Subject's NameID.
	NameID       string
	NameIDFormat string
	// IssueInstant is "now": the IssueInstant of both elements and the
	// base of every validity window.
	IssueInstant time.Time
	// AuthnInstant is when the user authenticated (IssueInstant when zero);
	// SessionIndex names the IdP session (omitted when empty).
	AuthnInstant         time.Time
	SessionIndex         string
	AuthnContextClassRef string
	// Attributes form the AttributeStatement, in order; none, no statement.
	Attributes []Attribute
	// Lifetimes; zero means SubjectConfirmationLifetime,
	// AssertionLifetime and ClockSkew.
	SubjectConfirmationLifetime time.Duration
	AssertionLifetime           time.Duration
	ClockSkew                   time.Duration
}

func orDuration(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// BuildResponse builds and signs the Response (SAML core §3.2.2) with its
// one Assertion (§2.3.3):
//  1. Assertion: ID, Version, IssueInstant, Issuer, Subject (NameID; bearer
//     SubjectConfirmation with InResponseTo, NotOnOrAfter = now + 5 min,
//     Recipient = Destination), Conditions (NotBefore = now − skew,
//     NotOnOrAfter = now + 1 h, AudienceRestriction), AuthnStatement,
//     AttributeStatement;
//  2. its signature when s.Mode is SignAssertion or SignBoth;
//  3. Response: ID, Version, IssueInstant, Destination, InResponseTo,
//     Issuer, Status Success, the Assertion;
//  4. its signature when s.Mode is SignResponse or SignBoth.
//
// Signatures are enveloped, exclusive C14N, right after the Issuer (core
// §5.4, XML-DSig §6.6.4).
func BuildResponse(r *Response, s *Signer) ([]byte, error) {
	switch s.mode() {
	case SignAssertion, SignResponse, SignBoth:
	default:
		return nil, fmt.Errorf("samlproto: unknown signing mode %q", s.Mode)
	}
	now := r.IssueInstant.UTC()

	// 1. The assertion.
	a := etree.NewElement("saml:Assertion")
	a.CreateAttr("xmlns:saml", NSAssertion)
	a.CreateAttr("ID", NewID())
	a.CreateAttr("Version", "2.0")
	a.CreateAttr("IssueInstant", Time(now))
	a.CreateElement("saml:Issuer").SetText(r.Issuer)
	subj := a.CreateElement("saml:Subject")
	nid := subj.CreateElement("saml:NameID")
	if r.NameIDFormat != "" {
		nid.CreateAttr("Format", r.NameIDFormat)
	}
	nid.SetText(r.NameID)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", MethodBearer)
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	if r.InResponseTo != "" {
		scd.CreateAttr("InResponseTo", r.InResponseTo)
	}
	scd.CreateAttr("NotOnOrAfter", Time(now.Add(orDuration(r.SubjectConfirmationLifetime, SubjectConfirmationLifetime))))
	scd.CreateAttr("Recipient", r.Destination)
	cond := a.CreateElement("saml:Conditions")
	cond.CreateAttr("NotBefore", Time(now.Add(-orDuration(r.ClockSkew, ClockSkew))))
	cond.CreateAttr("NotOnOrAfter", Time(now.Add(orDuration(r.AssertionLifetime, AssertionLifetime))))
	cond.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(r.Audience)
	as := a.CreateElement("saml:AuthnStatement")
	authnInstant := r.AuthnInstant
	if authnInstant.IsZero() {
		authnInstant = now
	}
	as.CreateAttr("AuthnInstant", Time(authnInstant))
	if r.SessionIndex != "" {
		as.CreateAttr("SessionIndex", r.SessionIndex)
	}
	class := r.AuthnContextClassRef
	if class == "" {
		class = AuthnUnspecified
	}
	as.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").SetText(class)
	var st *etree.Element
	for _, at := range r.Attributes {
		if len(at.Values) == 0 {
			continue
		}
		if st == nil {
			st = a.CreateElement("saml:AttributeStatement")
		}
		el := st.CreateElement("saml:Attribute")
		el.CreateAttr("Name", at.Name)
		f := at.NameFormat
		if f == "" {
			f = AttrNameFormatURI
		}
		el.CreateAttr("NameFormat", f)
		for _, v := range at.Values {
			el.CreateElement("saml:AttributeValue").SetText(v)
		}
	}

	// 2. Its signature.
	mode := s.mode()
	if mode == SignAssertion || mode == SignBoth {
		if err := s.SignAfterIssuer(a); err != nil {
			return nil, fmt.Errorf("sign assertion: %w", err)
		}
	}

	// 3. The response around it.
	resp := etree.NewElement("samlp:Response")
	resp.CreateAttr("xmlns:samlp", NSProtocol)
	resp.CreateAttr("xmlns:saml", NSAssertion)
	resp.CreateAttr("ID", NewID())
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", Time(now))
	resp.CreateAttr("Destination", r.Destination)
	if r.InResponseTo != "" {
		resp.CreateAttr("InResponseTo", r.InResponseTo)
	}
	resp.CreateElement("saml:Issuer").SetText(r.Issuer)
	resp.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", StatusSuccess)
	resp.AddChild(a)

	// 4. Its signature.
	if mode == SignResponse || mode == SignBoth {
		if err := s.SignAfterIssuer(resp); err != nil {
			return nil, fmt.Errorf("sign response: %w", err)
		}
	}
	// The document is written in its canonical form: well-formed XML that
	// every verifier reads the same way, and one writer less to trust.
	return canonicalize(resp, nil)
}
