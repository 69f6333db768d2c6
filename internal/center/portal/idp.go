package portal

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/samlproto"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// The center's SAML identity provider toward AWS sign-in.
const (
	// IdPMetadataPath serves the center's IdP metadata on the center's
	// listener; the URL is also the IdP's entity id (the Issuer of every
	// Response). Each member account's IAM SAML provider trusts it.
	IdPMetadataPath = "/saml/idp/metadata"
	// AWSSignInURL is where the portal posts the SAML Response: AWS
	// sign-in's SAML endpoint, which is also the assertion's Recipient and
	// Audience (SAMLAudience; reference aws-identity-center.md §4.1, trust
	// policy condition SAML:aud).
	AWSSignInURL = "https://signin.aws.amazon.com/saml"
	// IdPCertValidity is the lifetime of the center's signing certificate
	// (3 years, like the directory's and Entra's).
	IdPCertValidity = 3 * 365 * 24 * time.Hour
	// IdPCertName is the certificate's subject common name.
	IdPCertName = "Gatehouse center IdP for AWS sign-in"
)

// IdPCert is a signing certificate of the center's IdP. The private key is
// stored sealed with a secret.Box (context "center-idp-key:<id>").
type IdPCert struct {
	ID        string
	CertDER   []byte
	SealedKey string
	Active    bool
	NotBefore time.Time
	NotAfter  time.Time
	Created   time.Time
}

// IdPCertStore keeps the center's IdP certificates; internal/store/centerdb
// implements it (migration 0013_center_idp.sql).
type IdPCertStore interface {
	// IdPCerts returns every certificate, the active one first, then
	// newest first.
	IdPCerts(ctx context.Context) ([]*IdPCert, error)
	// AddIdPCert stores c. At most one certificate is active: adding an
	// active one while another is active is center.ErrConflict.
	AddIdPCert(ctx context.Context, c *IdPCert) error
}

func idpSealContext(id string) string { return "center-idp-key:" + id }

// CenterIdP is the center's SAML 2.0 identity provider for AWS sign-in,
// the role Identity Center plays toward the member accounts' IAM SAML
// providers (reference §4.1). Its one signing certificate (RSA-2048, 3
// years) is created on first use and kept in the center's tables.
type CenterIdP struct {
	Certs IdPCertStore
	Box   *secret.Box
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (p *CenterIdP) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// EntityID is the IdP's entity id for a center at centerURL: the URL of
// its metadata.
func EntityID(centerURL string) string {
	return strings.TrimRight(centerURL, "/") + IdPMetadataPath
}

// SigningCert returns the active certificate and its private key, creating
// them on first use. When two nodes race, the first stored wins and the
// other reads it back.
func (p *CenterIdP) SigningCert(ctx context.Context) (*IdPCert, *rsa.PrivateKey, error) {
	if p.Certs == nil || p.Box == nil {
		return nil, nil, errors.New("the center's IdP has no certificate store or secret box")
	}
	c, err := p.active(ctx)
	if err != nil {
		return nil, nil, err
	}
	if c == nil {
		now := p.now()
		der, key, err := samlproto.NewSigningCert(IdPCertName, now, IdPCertValidity)
		if err != nil {
			return nil, nil, fmt.Errorf("create the center's IdP certificate: %w", err)
		}
		x, _ := x509.ParseCertificate(der)
		c = &IdPCert{ID: uuid.NewString(), CertDER: der, Active: true, NotBefore: x.NotBefore, NotAfter: x.NotAfter,
			Created: now.UTC().Truncate(time.Millisecond)}
		c.SealedKey = p.Box.Seal(string(x509.MarshalPKCS1PrivateKey(key)), idpSealContext(c.ID))
		err = p.Certs.AddIdPCert(ctx, c)
		if err == nil {
			return c, key, nil
		}
		if !errors.Is(err, center.ErrConflict) {
			return nil, nil, fmt.Errorf("store the center's IdP certificate: %w", err)
		}
		if c, err = p.active(ctx); err != nil {
			return nil, nil, err
		}
		if c == nil {
			return nil, nil, errors.New("the center's IdP certificate vanished after a conflict")
		}
	}
	raw, err := p.Box.Open(c.SealedKey, idpSealContext(c.ID))
	if err != nil {
		return nil, nil, fmt.Errorf("open the center's IdP key: %w", err)
	}
	key, err := x509.ParsePKCS1PrivateKey([]byte(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("parse the center's IdP key: %w", err)
	}
	return c, key, nil
}

func (p *CenterIdP) active(ctx context.Context) (*IdPCert, error) {
	certs, err := p.Certs.IdPCerts(ctx)
	if err != nil {
		return nil, fmt.Errorf("the center's IdP certificates: %w", err)
	}
	for _, c := range certs {
		if c.Active {
			return c, nil
		}
	}
	return nil, nil
}

// Metadata returns the IdP metadata of a center at centerURL (SAML
// metadata §2.4.3, samlproto.IdPMetadata), creating the signing
// certificate on first use: entity id EntityID(centerURL), every
// certificate as a signing key (the active one first), the persistent
// NameID format, and the portal (/start) as SingleSignOnService, since
// sign-in is IdP-initiated from the portal. This is the document
// export-iam embeds in each account's IAM SAML provider.
func (p *CenterIdP) Metadata(ctx context.Context, centerURL string) ([]byte, error) {
	if _, _, err := p.SigningCert(ctx); err != nil {
		return nil, err
	}
	certs, err := p.Certs.IdPCerts(ctx)
	if err != nil {
		return nil, err
	}
	m := &samlproto.IdPMetadata{
		EntityID:      EntityID(centerURL),
		NameIDFormats: []string{samlproto.NameIDPersistent},
		SSOURL:        strings.TrimRight(centerURL, "/") + StartPath,
		SSOBindings:   []string{samlproto.BindingRedirect},
	}
	for _, c := range certs {
		m.SigningCerts = append(m.SigningCerts, c.CertDER)
	}
	return m.XML()
}

// ConsoleResponse builds the signed SAML Response for a console sign-in
// (samlproto.BuildResponse), IdP-initiated, to AWSSignInURL:
//  1. Issuer EntityID(centerURL); Destination, Recipient and Audience
//     https://signin.aws.amazon.com/saml;
//  2. NameID persistent = the userName;
//  3. AuthnStatement at the account session's start, SessionIndex from it;
//  4. attributes (reference §3.3, §4.1): Role = "role-arn,provider-arn",
//     RoleSessionName, SessionDuration (seconds), then one
//     PrincipalTag:<key> per session tag, by key;
//  5. the Assertion signed (RSA-SHA256, exclusive C14N) with the center's
//     active certificate.
func (p *CenterIdP) ConsoleResponse(ctx context.Context, centerURL string, in *ConsoleSignIn) ([]byte, error) {
	cert, key, err := p.SigningCert(ctx)
	if err != nil {
		return nil, err
	}
	attrs := []samlproto.Attribute{
		{Name: AttrRole, Values: []string{in.RoleAttribute}},
		{Name: AttrRoleSessionName, Values: []string{in.RoleSessionName}},
		{Name: AttrSessionDuration, Values: []string{strconv.Itoa(in.SessionDuration)}},
	}
	keys := make([]string, 0, len(in.PrincipalTags))
	for k := range in.PrincipalTags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		attrs = append(attrs, samlproto.Attribute{Name: AttrPrincipalTag + k, Values: []string{in.PrincipalTags[k]}})
	}
	r := &samlproto.Response{
		Issuer:               EntityID(centerURL),
		Destination:          AWSSignInURL,
		Audience:             SAMLAudience,
		NameID:               in.User.UserName,
		NameIDFormat:         samlproto.NameIDPersistent,
		IssueInstant:         p.now(),
		AuthnContextClassRef: samlproto.AuthnUnspecified,
		Attributes:           attrs,
	}
	if in.Session != nil {
		r.AuthnInstant = in.Session.Created
		sum := sha256.Sum256([]byte("gatehouse console session\x00" + in.Session.IDHash))
		r.SessionIndex = "_" + hex.EncodeToString(sum[:16])
	}
	return samlproto.BuildResponse(r, &samlproto.Signer{Key: key, CertDER: cert.CertDER,
		Mode: samlproto.SignAssertion, Algorithm: samlproto.RSASHA256})
}

// --- on the Handler ---

// idp is the Handler's CenterIdP, or nil when IdPCerts or Box is unset.
func (h *Handler) idp() *CenterIdP {
	if h.IdPCerts == nil || h.Box == nil {
		return nil
	}
	return &CenterIdP{Certs: h.IdPCerts, Box: h.Box, Now: h.Now}
}

// centerURL is the center's external URL: the SP's CenterURL, else the
// request's scheme and host.
func (h *Handler) centerURL(r *http.Request) string {
	if h.SP != nil && h.SP.CenterURL != "" {
		return strings.TrimRight(h.SP.CenterURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// FederateConsole is the Handler's own ConsoleFederator, used when Console
// is nil and the Handler has IdPCerts and Box: it answers with the HTTP-POST
// binding's auto-submitting form (samlproto.WritePOSTResponse) that posts
// the signed Response (CenterIdP.ConsoleResponse) and the permission set's
// RelayState to https://signin.aws.amazon.com/saml.
func (h *Handler) FederateConsole(w http.ResponseWriter, r *http.Request, in *ConsoleSignIn) error {
	p := h.idp()
	if p == nil {
		return errors.New("the center has no IdP key store")
	}
	xml, err := p.ConsoleResponse(r.Context(), h.centerURL(r), in)
	if err != nil {
		return err
	}
	h.log().Info("portal: console sign-in issued", "user", in.User.ID, "account", in.Account.ID,
		"permission_set", in.PermissionSet.Name, "role", in.RoleAttribute)
	if err := samlproto.WritePOSTResponse(w, AWSSignInURL, xml, in.RelayState); err != nil {
		h.log().Error("portal: render console form", "err", err)
	}
	return nil
}

// getIdPMetadata serves the center's IdP metadata (GET /saml/idp/metadata).
func (h *Handler) getIdPMetadata(w http.ResponseWriter, r *http.Request) {
	p := h.idp()
	if p == nil {
		http.NotFound(w, r)
		return
	}
	b, err := p.Metadata(r.Context(), h.centerURL(r))
	if err != nil {
		h.internal(w, "IdP metadata", err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Cache-Control", "public, max-age=300")
	if r.URL.Query().Get("download") != "" {
		w.Header().Set("Content-Disposition", `attachment; filename="gatehouse-center-idp.xml"`)
	}
	w.Write(b)
}
