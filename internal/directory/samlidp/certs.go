package samlidp

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/samlproto"
)

// CertValidity is the lifetime of a generated signing certificate, as
// Entra's auto-generated ones (3 years).
const CertValidity = 3 * 365 * 24 * time.Hour

// ExpiryWarning is how long before expiry a certificate is reported by
// ExpiringCertificates (Entra's first notification is at 60 days).
const ExpiryWarning = 60 * 24 * time.Hour

// Cert is an app's SAML signing certificate. The private key is stored
// sealed with a secret.Box (context "saml-cert:<id>").
type Cert struct {
	ID        string
	AppID     string
	CertDER   []byte
	SealedKey string
	Active    bool
	NotBefore time.Time
	NotAfter  time.Time
	Created   time.Time
}

// Thumbprint is the certificate's SHA-1 thumbprint in hex, as Entra shows it.
func (c *Cert) Thumbprint() string {
	return thumbprint(c.CertDER)
}

// PEM is the certificate in PEM form (Entra's "Certificate (Base64)").
func (c *Cert) PEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.CertDER}))
}

func sealContext(certID string) string { return "saml-cert:" + certID }

// generateCert makes an RSA-2048 self-signed certificate valid from now
// for validity (samlproto.NewSigningCert).
func generateCert(appID, cn string, now time.Time, validity time.Duration) (der []byte, key *rsa.PrivateKey, err error) {
	der, key, err = samlproto.NewSigningCert(cn, now, validity)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate for app %s: %w", appID, err)
	}
	return der, key, nil
}

// NewCertificate creates a new signing certificate for the app, valid for
// validity (CertValidity when 0). It is active when the app has no
// certificate yet, otherwise inactive until ActivateCertificate (rollover:
// add, publish to the SP through metadata, activate, remove the old one).
func (p *IdP) NewCertificate(ctx context.Context, appID string, validity time.Duration) (*Cert, error) {
	if validity <= 0 || validity > CertValidity {
		validity = CertValidity
	}
	if _, err := p.Directory.GetApp(ctx, appID); err != nil {
		return nil, fmt.Errorf("new certificate for app %s: %w", appID, err)
	}
	existing, err := p.Store.SAMLCerts(ctx, appID)
	if err != nil {
		return nil, err
	}
	now := p.now()
	der, key, err := generateCert(appID, "Gatehouse SAML SSO Certificate", now, validity)
	if err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	c := &Cert{
		ID:        uuid.NewString(),
		AppID:     appID,
		CertDER:   der,
		Active:    len(existing) == 0,
		NotBefore: cert.NotBefore,
		NotAfter:  cert.NotAfter,
		Created:   now.UTC().Truncate(time.Millisecond),
	}
	c.SealedKey = p.Box.Seal(string(x509.MarshalPKCS1PrivateKey(key)), sealContext(c.ID))
	if err := p.Store.AddSAMLCert(ctx, c); err != nil {
		return nil, fmt.Errorf("store certificate for app %s: %w", appID, err)
	}
	p.forget(appID)
	return c, nil
}

// Certificates lists the app's certificates, the active one first.
func (p *IdP) Certificates(ctx context.Context, appID string) ([]*Cert, error) {
	return p.Store.SAMLCerts(ctx, appID)
}

// ActivateCertificate makes certID the app's signing certificate; the
// previous one becomes inactive (and stays in metadata until removed).
func (p *IdP) ActivateCertificate(ctx context.Context, appID, certID string) error {
	defer p.forget(appID)
	return p.Store.ActivateSAMLCert(ctx, appID, certID)
}

// RemoveCertificate deletes an inactive certificate.
func (p *IdP) RemoveCertificate(ctx context.Context, appID, certID string) error {
	defer p.forget(appID)
	return p.Store.DeleteSAMLCert(ctx, appID, certID)
}

// ExpiringCertificates lists the certificates of every app that expire
// within the given window (ExpiryWarning when 0), expired ones included.
func (p *IdP) ExpiringCertificates(ctx context.Context, within time.Duration) ([]*Cert, error) {
	if within <= 0 {
		within = ExpiryWarning
	}
	return p.Store.SAMLCertsExpiringBefore(ctx, p.now().Add(within))
}

// signingKey picks the certificate to sign with: the active one, or, as
// Entra does, a valid inactive one when the active one has expired; the
// list is at most appCacheTTL old.
func (p *IdP) signingKey(ctx context.Context, appID string) (*Cert, *rsa.PrivateKey, error) {
	e, err := p.app(ctx, appID)
	if err != nil {
		return nil, nil, err
	}
	certs := e.certs
	now := p.now()
	var pick *Cert
	for _, c := range certs {
		if c.Active {
			pick = c
		}
	}
	if pick == nil || now.After(pick.NotAfter) {
		for _, c := range certs {
			if !c.Active && !now.Before(c.NotBefore) && now.Before(c.NotAfter) {
				pick = c
				break
			}
		}
	}
	if pick == nil {
		return nil, nil, fmt.Errorf("app %s has no signing certificate: %w", appID, directory.ErrNotFound)
	}
	// A certificate's key never changes, so the opened and parsed key is
	// kept by certificate id: decrypting, parsing and precomputing it took
	// an eighth of each sign-in (docs/benchmarks.md, Sign-in).
	if k, ok := p.keys.Load(pick.ID); ok {
		return pick, k.(*rsa.PrivateKey), nil
	}
	raw, err := p.Box.Open(pick.SealedKey, sealContext(pick.ID))
	if err != nil {
		return nil, nil, fmt.Errorf("open signing key of app %s: %w", appID, err)
	}
	key, err := x509.ParsePKCS1PrivateKey([]byte(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("parse signing key of app %s: %w", appID, err)
	}
	p.keys.Store(pick.ID, key)
	return pick, key, nil
}

// parseCertB64 parses a base64 DER certificate (whitespace ignored) or a
// PEM one.
func parseCertB64(s string) (*x509.Certificate, error) {
	if b, _ := pem.Decode([]byte(s)); b != nil {
		return x509.ParseCertificate(b.Bytes)
	}
	s = strings.Join(strings.Fields(s), "")
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("certificate is not base64: %w", err)
	}
	return x509.ParseCertificate(der)
}
