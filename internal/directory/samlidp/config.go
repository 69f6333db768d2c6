package samlidp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/samlproto"
)

// NameID formats (SAML core §8.3). AWS IAM Identity Center requires
// emailAddress.
const (
	NameIDEmail       = samlproto.NameIDEmail
	NameIDPersistent  = samlproto.NameIDPersistent
	NameIDTransient   = samlproto.NameIDTransient
	NameIDUnspecified = samlproto.NameIDUnspecified
)

// Signing modes, as Entra's "Signing Option".
const (
	SignAssertion = samlproto.SignAssertion // "Sign SAML assertion", Entra's default
	SignResponse  = samlproto.SignResponse  // "Sign SAML response"
	SignBoth      = samlproto.SignBoth      // "Sign SAML response and assertion"
)

// Signature algorithms (XML-DSig URIs).
const (
	RSASHA256 = samlproto.RSASHA256
	RSASHA1   = samlproto.RSASHA1
)

// Claim name prefixes.
const (
	// ClaimsNS is the WS-Federation claim namespace Entra uses for its
	// default claims.
	ClaimsNS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
	// AWSNS is the namespace of AWS's SAML attributes.
	AWSNS = "https://aws.amazon.com/SAML/Attributes/"

	AWSRole            = AWSNS + "Role"
	AWSRoleSessionName = AWSNS + "RoleSessionName"
	AWSSessionDuration = AWSNS + "SessionDuration"
)

// AttrNameFormatURI is the NameFormat of every attribute we emit (SAML core
// §8.2.2); AWS's ABAC requires a SAML-specified format.
const AttrNameFormatURI = samlproto.AttrNameFormatURI

// Claim is one SAML attribute of the assertion: its value comes from a user
// attribute (Source, a Graph attribute name such as "givenName"; Entra's
// "user.givenname" spelling is accepted) or is constant (Values, several
// for a multi-valued attribute such as AWS's Role). A claim whose value is
// empty for a user is left out, as Entra does.
type Claim struct {
	Name   string   `json:"name"`
	Source string   `json:"source,omitempty"`
	Values []string `json:"values,omitempty"`
}

// Config is the SAML single sign-on configuration of one directory app
// (Entra's "Basic SAML Configuration", "Attributes & Claims" and "SAML
// Certificates" blades).
type Config struct {
	AppID string `json:"appId"`
	// EntityID is the SP's entity id (Entra's "Identifier"); an
	// AuthnRequest's Issuer must equal it and it is the assertion's
	// Audience.
	EntityID string `json:"entityId"`
	// ACSURLs are the SP's HTTP-POST AssertionConsumerService URLs
	// (Entra's "Reply URLs"); the first is the default.
	ACSURLs []string `json:"acsUrls"`
	// SignOnURL (Entra's "Sign on URL", optional) is where the My Apps
	// tile sends the user when set: the SP's own sign-in page, which
	// starts an SP-initiated sign-in. Without it the tile signs in
	// IdP-initiated.
	SignOnURL string `json:"signOnUrl,omitempty"`
	// RelayState (Entra's "Relay State", optional) is the RelayState of an
	// IdP-initiated response whose request names none: where the SP sends
	// the user after sign-in (for AWS IAM Identity Center, a page of the
	// access portal or console).
	RelayState string `json:"relayState,omitempty"`
	// NameIDFormat defaults to NameIDEmail, NameIDSource (a user
	// attribute) to userPrincipalName, as Entra's "Unique User Identifier".
	NameIDFormat string `json:"nameIdFormat,omitempty"`
	NameIDSource string `json:"nameIdSource,omitempty"`
	// Signing is SignAssertion (default), SignResponse or SignBoth;
	// SignatureAlgorithm is RSASHA256 (default) or RSASHA1.
	Signing            string `json:"signing,omitempty"`
	SignatureAlgorithm string `json:"signatureAlgorithm,omitempty"`
	// Claims are the assertion's attributes; nil means DefaultClaims.
	Claims []Claim `json:"claims"`
	// RequireMFA makes sign-in to this app require a second factor (a
	// Conditional Access grant control in Entra).
	RequireMFA bool `json:"requireMfa,omitempty"`
	// SPCertificates are the SP's signing certificates (base64 DER), used
	// to verify signed AuthnRequests. RequireSignedRequests refuses
	// unsigned ones.
	SPCertificates        []string `json:"spCertificates,omitempty"`
	RequireSignedRequests bool     `json:"requireSignedRequests,omitempty"`
	// IdPEntityID overrides the IdP's entity id (by default the URL of the
	// app's metadata).
	IdPEntityID string    `json:"idpEntityId,omitempty"`
	Updated     time.Time `json:"updated"`
}

// DefaultClaims are Entra's default claims for a gallery or custom SAML app.
func DefaultClaims() []Claim {
	return []Claim{
		{Name: ClaimsNS + "givenname", Source: "givenName"},
		{Name: ClaimsNS + "surname", Source: "surname"},
		{Name: ClaimsNS + "emailaddress", Source: "mail"},
		{Name: ClaimsNS + "name", Source: "userPrincipalName"},
	}
}

// AWSIAMClaims are the claims of AWS IAM SAML federation: Role (each value
// "role-arn,provider-arn"), RoleSessionName from the userPrincipalName and,
// when sessionSeconds > 0, SessionDuration.
func AWSIAMClaims(roles []string, sessionSeconds int) []Claim {
	c := []Claim{
		{Name: AWSRole, Values: roles},
		{Name: AWSRoleSessionName, Source: "userPrincipalName"},
	}
	if sessionSeconds > 0 {
		c = append(c, Claim{Name: AWSSessionDuration, Values: []string{strconv.Itoa(sessionSeconds)}})
	}
	return c
}

// PrincipalTag is an AWS session tag claim (PrincipalTag:<key>) from a user
// attribute.
func PrincipalTag(key, source string) Claim {
	return Claim{Name: AWSNS + "PrincipalTag:" + key, Source: source}
}

// AccessControl is an AWS IAM Identity Center ABAC claim
// (AccessControl:<key>) from a user attribute.
func AccessControl(key, source string) Claim {
	return Claim{Name: AWSNS + "AccessControl:" + key, Source: source}
}

// withDefaults fills in Entra's defaults.
func (c *Config) withDefaults() {
	if c.NameIDFormat == "" {
		c.NameIDFormat = NameIDEmail
	}
	if c.NameIDSource == "" {
		c.NameIDSource = "userPrincipalName"
	}
	if c.Signing == "" {
		c.Signing = SignAssertion
	}
	if c.SignatureAlgorithm == "" {
		c.SignatureAlgorithm = RSASHA256
	}
	if c.Claims == nil {
		c.Claims = DefaultClaims()
	}
}

// validate checks a configuration after defaults are applied.
func (c *Config) validate() error {
	if c.AppID == "" {
		return directory.Invalidf("appId is required")
	}
	if strings.TrimSpace(c.EntityID) == "" {
		return directory.Invalidf("the SP entity id (Identifier) is required")
	}
	if len(c.ACSURLs) == 0 {
		return directory.Invalidf("at least one reply URL (ACS) is required")
	}
	for _, a := range c.ACSURLs {
		u, err := url.Parse(a)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return directory.Invalidf("reply URL %q is not an absolute http(s) URL", a)
		}
	}
	if c.SignOnURL != "" {
		u, err := url.Parse(c.SignOnURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return directory.Invalidf("sign-on URL %q is not an absolute http(s) URL", c.SignOnURL)
		}
	}
	if len(c.RelayState) > MaxRelayState {
		return directory.Invalidf("the default relay state is longer than %d bytes", MaxRelayState)
	}
	switch c.NameIDFormat {
	case NameIDEmail, NameIDPersistent, NameIDTransient, NameIDUnspecified:
	default:
		return directory.Invalidf("unsupported NameID format %q", c.NameIDFormat)
	}
	switch c.Signing {
	case SignAssertion, SignResponse, SignBoth:
	default:
		return directory.Invalidf("signing must be assertion, response or both, not %q", c.Signing)
	}
	switch c.SignatureAlgorithm {
	case RSASHA256, RSASHA1:
	default:
		return directory.Invalidf("unsupported signature algorithm %q", c.SignatureAlgorithm)
	}
	seen := map[string]bool{}
	for _, cl := range c.Claims {
		if cl.Name == "" {
			return directory.Invalidf("a claim has no name")
		}
		if seen[cl.Name] {
			return directory.Invalidf("claim %q appears twice", cl.Name)
		}
		seen[cl.Name] = true
		if (cl.Source == "") == (len(cl.Values) == 0) {
			return directory.Invalidf("claim %q needs either a source attribute or constant values", cl.Name)
		}
	}
	for _, s := range c.SPCertificates {
		if _, err := parseCertB64(s); err != nil {
			return directory.Invalidf("SP certificate: %v", err)
		}
	}
	return nil
}

// userAttr returns a user attribute by Graph name, case-insensitively
// ("user." prefix and Entra's "objectid" alias accepted); multi-valued
// attributes give their first value, times their JSON (RFC 3339) form.
func userAttr(u *directory.User, name string) string {
	name = strings.TrimPrefix(strings.ToLower(name), "user.")
	switch name {
	case "objectid":
		name = "id"
	case "email":
		name = "mail"
	}
	i, ok := userFields[name]
	if !ok {
		return ""
	}
	switch v := reflect.ValueOf(u).Elem().Field(i).Interface().(type) {
	case string:
		return v
	case []string:
		if len(v) > 0 {
			return v[0]
		}
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.Format(time.RFC3339Nano)
	case *time.Time:
		if v != nil {
			return v.Format(time.RFC3339Nano)
		}
	}
	return ""
}

// userFields maps the lower-cased Graph (JSON) name of each User field to
// its index, so that a claim's source is read without encoding the user
// (which cost a sixth of a response's non-signing work).
var userFields = func() map[string]int {
	m := map[string]int{}
	t := reflect.TypeFor[directory.User]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[strings.ToLower(name)] = i
		}
	}
	return m
}()

// pairwiseID is a persistent, opaque NameID for the user at this app, as
// Entra's default persistent identifier.
func pairwiseID(appID, userID string) string {
	h := sha256.Sum256([]byte("gatehouse-saml-pairwise\x00" + appID + "\x00" + userID))
	return hex.EncodeToString(h[:20])
}

// Store keeps SAML configurations and certificates; directorydb.Store
// implements it. Missing records are directory.ErrNotFound.
type Store interface {
	SAMLConfig(ctx context.Context, appID string) (*Config, error)
	// PutSAMLConfig creates or replaces the app's configuration; an
	// unknown app is ErrNotFound, an entity id used by another app
	// ErrConflict.
	PutSAMLConfig(ctx context.Context, c *Config) error
	// SAMLCerts lists the app's certificates, active first, then newest.
	SAMLCerts(ctx context.Context, appID string) ([]*Cert, error)
	AddSAMLCert(ctx context.Context, c *Cert) error
	// ActivateSAMLCert makes the certificate the app's only active one.
	ActivateSAMLCert(ctx context.Context, appID, certID string) error
	// DeleteSAMLCert removes an inactive certificate (the active one is
	// ErrInvalid).
	DeleteSAMLCert(ctx context.Context, appID, certID string) error
	// SAMLCertsExpiringBefore lists every app's certificates whose NotAfter
	// is before t.
	SAMLCertsExpiringBefore(ctx context.Context, t time.Time) ([]*Cert, error)
}
