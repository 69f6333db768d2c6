package samlidp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// Lifetimes (Entra: SubjectConfirmationData NotOnOrAfter = IssueInstant +
// 5 min; token lifetime 1 h; we allow 5 min of clock skew on NotBefore).
const (
	SubjectConfirmationLifetime = 5 * time.Minute
	AssertionLifetime           = time.Hour
	ClockSkew                   = 5 * time.Minute
)

// Authentication context classes (SAML authn-context §3.4). After MFA we
// send Entra's multipleauthn class.
const (
	AuthnPasswordProtectedTransport = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
	AuthnMultipleAuthn              = "http://schemas.microsoft.com/claims/multipleauthn"
)

const statusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success"

// issue is the input of one Response.
type issue struct {
	cfg          *Config
	user         *directory.User
	session      *directory.Session
	idpEntityID  string
	acs          string
	inResponseTo string // empty for IdP-initiated
	nameIDFormat string // from the request's NameIDPolicy, else cfg's
	now          time.Time
	cert         *Cert
	key          *rsa.PrivateKey
}

// newID draws a SAML ID: an xs:ID, so it must not start with a digit
// (SAML core §1.3.4).
func newID() string {
	b := make([]byte, 20)
	rand.Read(b)
	return "_" + hex.EncodeToString(b)
}

func samlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// nameID computes the subject's NameID value for the format.
func nameID(in *issue, format string) (string, error) {
	switch format {
	case NameIDPersistent:
		return pairwiseID(in.cfg.AppID, in.user.ID), nil
	case NameIDTransient:
		return newID(), nil
	}
	v := userAttr(in.user, in.cfg.NameIDSource)
	if v == "" {
		return "", refuse(403, "Your account has no %s, which this application needs as your user identifier.", in.cfg.NameIDSource)
	}
	return v, nil
}

// buildResponse builds and signs a samlp:Response (SAML core §3.2.2) with
// one Assertion (§2.3.3) as the Web Browser SSO profile requires
// (SAML profiles §4.1.4.2):
//  1. Response: ID, Version, IssueInstant, Destination = ACS, InResponseTo
//     (SP-initiated only), Issuer, Status Success;
//  2. Assertion: Issuer, Subject (NameID; bearer SubjectConfirmation with
//     Recipient = ACS, NotOnOrAfter = now + 5 min, InResponseTo),
//     Conditions (NotBefore = now − skew, NotOnOrAfter = now + 1 h,
//     AudienceRestriction = SP entity id), AuthnStatement, AttributeStatement;
//  3. signatures: the Assertion, the Response, or both, as configured,
//     enveloped, exclusive C14N, placed right after the Issuer (SAML core
//     §5.4.1, XML-DSig §6.6.4).
func buildResponse(in *issue) ([]byte, error) {
	now := in.now.UTC()
	format := in.nameIDFormat
	if format == "" {
		format = in.cfg.NameIDFormat
	}
	subject, err := nameID(in, format)
	if err != nil {
		return nil, err
	}

	// 2. The assertion.
	a := etree.NewElement("saml:Assertion")
	a.CreateAttr("xmlns:saml", nsSAML)
	a.CreateAttr("ID", newID())
	a.CreateAttr("Version", "2.0")
	a.CreateAttr("IssueInstant", samlTime(now))
	a.CreateElement("saml:Issuer").SetText(in.idpEntityID)
	subj := a.CreateElement("saml:Subject")
	nid := subj.CreateElement("saml:NameID")
	nid.CreateAttr("Format", format)
	nid.SetText(subject)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	if in.inResponseTo != "" {
		scd.CreateAttr("InResponseTo", in.inResponseTo)
	}
	scd.CreateAttr("NotOnOrAfter", samlTime(now.Add(SubjectConfirmationLifetime)))
	scd.CreateAttr("Recipient", in.acs)
	cond := a.CreateElement("saml:Conditions")
	cond.CreateAttr("NotBefore", samlTime(now.Add(-ClockSkew)))
	cond.CreateAttr("NotOnOrAfter", samlTime(now.Add(AssertionLifetime)))
	cond.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(in.cfg.EntityID)
	as := a.CreateElement("saml:AuthnStatement")
	authnInstant := in.session.Created
	if authnInstant.IsZero() {
		authnInstant = now
	}
	as.CreateAttr("AuthnInstant", samlTime(authnInstant))
	si := sha256.Sum256([]byte(in.session.ID + "\x00" + in.cfg.AppID))
	as.CreateAttr("SessionIndex", "_"+hex.EncodeToString(si[:16]))
	class := AuthnPasswordProtectedTransport
	if in.session.MFA {
		class = AuthnMultipleAuthn
	}
	as.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").SetText(class)
	var attrs []*etree.Element
	for _, c := range in.cfg.Claims {
		vals := c.Values
		if c.Source != "" {
			vals = nil
			if v := userAttr(in.user, c.Source); v != "" {
				vals = []string{v}
			}
		}
		if len(vals) == 0 {
			continue
		}
		at := etree.NewElement("saml:Attribute")
		at.CreateAttr("Name", c.Name)
		at.CreateAttr("NameFormat", AttrNameFormatURI)
		for _, v := range vals {
			at.CreateElement("saml:AttributeValue").SetText(v)
		}
		attrs = append(attrs, at)
	}
	if len(attrs) > 0 {
		st := a.CreateElement("saml:AttributeStatement")
		for _, at := range attrs {
			st.AddChild(at)
		}
	}

	sc2, err := signingContext(in)
	if err != nil {
		return nil, err
	}
	if in.cfg.Signing == SignAssertion || in.cfg.Signing == SignBoth {
		if err := signAfterIssuer(sc2, a); err != nil {
			return nil, fmt.Errorf("sign assertion: %w", err)
		}
	}

	// 1. The response around it.
	r := etree.NewElement("samlp:Response")
	r.CreateAttr("xmlns:samlp", nsSAMLP)
	r.CreateAttr("xmlns:saml", nsSAML)
	r.CreateAttr("ID", newID())
	r.CreateAttr("Version", "2.0")
	r.CreateAttr("IssueInstant", samlTime(now))
	r.CreateAttr("Destination", in.acs)
	if in.inResponseTo != "" {
		r.CreateAttr("InResponseTo", in.inResponseTo)
	}
	r.CreateElement("saml:Issuer").SetText(in.idpEntityID)
	r.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", statusSuccess)
	r.AddChild(a)
	if in.cfg.Signing == SignResponse || in.cfg.Signing == SignBoth {
		if err := signAfterIssuer(sc2, r); err != nil {
			return nil, fmt.Errorf("sign response: %w", err)
		}
	}
	doc := etree.NewDocument()
	doc.SetRoot(r)
	return doc.WriteToBytes()
}

func signingContext(in *issue) (*dsig.SigningContext, error) {
	sc, err := dsig.NewSigningContext(in.key, [][]byte{in.cert.CertDER})
	if err != nil {
		return nil, err
	}
	sc.IdAttribute = "ID"
	sc.Prefix = "ds"
	sc.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := sc.SetSignatureMethod(in.cfg.SignatureAlgorithm); err != nil {
		return nil, err
	}
	return sc, nil
}

// signAfterIssuer computes an enveloped signature over el and inserts it
// right after el's Issuer, where the SAML schema puts ds:Signature.
func signAfterIssuer(sc *dsig.SigningContext, el *etree.Element) error {
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
