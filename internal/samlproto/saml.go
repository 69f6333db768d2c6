package samlproto

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// XML namespaces (SAML core §2, metadata §2, XML-DSig).
const (
	NSAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	NSProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	NSMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	NSDSig      = "http://www.w3.org/2000/09/xmldsig#"
)

// Bindings (SAML bindings §3.4, §3.5).
const (
	BindingPOST     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	BindingRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
)

// NameID formats (SAML core §8.3).
const (
	NameIDEmail       = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	NameIDPersistent  = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	NameIDTransient   = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
	NameIDUnspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
)

// Authentication context classes (SAML authn-context §3.4).
const (
	AuthnPasswordProtectedTransport = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
	AuthnUnspecified                = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"
)

// Other protocol values.
const (
	// StatusSuccess is the top-level StatusCode of a successful Response
	// (core §3.2.2.2).
	StatusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success"
	// MethodBearer is the bearer SubjectConfirmation method (profiles §3.3).
	MethodBearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	// AttrNameFormatURI is the NameFormat of attributes named by URI (core
	// §8.2.2); AWS's ABAC requires a SAML-specified format.
	AttrNameFormatURI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
)

// Default lifetimes of a Response (Entra's: SubjectConfirmationData
// NotOnOrAfter = IssueInstant + 5 min; token lifetime 1 h; 5 min of clock
// skew allowed on NotBefore).
const (
	SubjectConfirmationLifetime = 5 * time.Minute
	AssertionLifetime           = time.Hour
	ClockSkew                   = 5 * time.Minute
)

// NewID draws a SAML ID: 160 random bits in hex behind an underscore, since
// an xs:ID must not start with a digit (SAML core §1.3.4).
func NewID() string {
	b := make([]byte, 20)
	rand.Read(b)
	return "_" + hex.EncodeToString(b)
}

// Time formats t as a SAML xs:dateTime in UTC with milliseconds (core
// §1.3.3).
func Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
