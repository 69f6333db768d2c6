package samlidp

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/samlproto"
)

// Lifetimes (Entra: SubjectConfirmationData NotOnOrAfter = IssueInstant +
// 5 min; token lifetime 1 h; we allow 5 min of clock skew on NotBefore).
const (
	SubjectConfirmationLifetime = samlproto.SubjectConfirmationLifetime
	AssertionLifetime           = samlproto.AssertionLifetime
	ClockSkew                   = samlproto.ClockSkew
)

// Authentication context classes (SAML authn-context §3.4). After MFA we
// send Entra's multipleauthn class.
const (
	AuthnPasswordProtectedTransport = samlproto.AuthnPasswordProtectedTransport
	AuthnMultipleAuthn              = "http://schemas.microsoft.com/claims/multipleauthn"
)

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

// nameID computes the subject's NameID value for the format.
func nameID(in *issue, format string) (string, error) {
	switch format {
	case NameIDPersistent:
		return pairwiseID(in.cfg.AppID, in.user.ID), nil
	case NameIDTransient:
		return samlproto.NewID(), nil
	}
	v := userAttr(in.user, in.cfg.NameIDSource)
	if v == "" {
		return "", refuse(403, "Your account has no %s, which this application needs as your user identifier.", in.cfg.NameIDSource)
	}
	return v, nil
}

// prepareResponse decides the app's samlp:Response with one Assertion
// (SAML profiles §4.1.4.2) and the signer that will sign it; the caller
// builds and signs it with samlproto.BuildResponse. Everything that can
// refuse the user is decided here, before the signing, so a refusal never
// follows an audit record of the response. What is the directory's, not the
// protocol's, is decided here:
//  1. the NameID: the request's NameIDPolicy format, else the app's; its
//     value from the user (persistent: a pairwise id per app; transient: a
//     fresh random one; otherwise the configured user attribute);
//  2. Destination = ACS, InResponseTo (SP-initiated only), Audience = the
//     SP's entity id;
//  3. the AuthnStatement: the sign-in session's start, a SessionIndex
//     derived from the session and app, Entra's multipleauthn class after
//     MFA;
//  4. the attributes: the app's claims, from user attributes or constants,
//     left out when empty for this user;
//  5. signatures as configured (assertion, response or both; algorithm).
func prepareResponse(in *issue) (*samlproto.Response, *samlproto.Signer, error) {
	// 1.
	format := in.nameIDFormat
	if format == "" {
		format = in.cfg.NameIDFormat
	}
	subject, err := nameID(in, format)
	if err != nil {
		return nil, nil, err
	}
	// 3.
	si := sha256.Sum256([]byte(in.session.ID + "\x00" + in.cfg.AppID))
	class := AuthnPasswordProtectedTransport
	if in.session.MFA {
		class = AuthnMultipleAuthn
	}
	// 4.
	var attrs []samlproto.Attribute
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
		attrs = append(attrs, samlproto.Attribute{Name: c.Name, NameFormat: AttrNameFormatURI, Values: vals})
	}
	// 2.
	r := &samlproto.Response{
		Issuer:               in.idpEntityID,
		Destination:          in.acs,
		InResponseTo:         in.inResponseTo,
		Audience:             in.cfg.EntityID,
		NameID:               subject,
		NameIDFormat:         format,
		IssueInstant:         in.now,
		AuthnInstant:         in.session.Created,
		SessionIndex:         "_" + hex.EncodeToString(si[:16]),
		AuthnContextClassRef: class,
		Attributes:           attrs,
	}
	// 5.
	return r, &samlproto.Signer{Key: in.key, CertDER: in.cert.CertDER,
		Mode: in.cfg.Signing, Algorithm: in.cfg.SignatureAlgorithm}, nil
}
