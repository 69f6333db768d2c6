package samlidp

import (
	"context"
	"slices"
	"time"
)

// appCacheTTL is how long an app's SAML configuration and certificates
// are served from memory. Reading them was a tenth of a sign-in's work
// besides the signature (docs/benchmarks.md, Sign-in). Changes made
// through this IdP (Configure, the certificate methods) take effect at
// once on this node; changes made on another node sharing the database,
// or an app's deletion, within appCacheTTL. What must be live on every
// response is not cached: the session, the user (a disabled user is
// refused at once) and the assignment.
const appCacheTTL = time.Second

// appEntry is one app's cached configuration and certificates.
type appEntry struct {
	cfg    *Config
	certs  []*Cert
	loaded time.Time // monotonic, independent of the injectable clock
}

// app returns the app's configuration (defaults applied) and
// certificates, from the cache when fresh.
func (p *IdP) app(ctx context.Context, appID string) (*appEntry, error) {
	if v, ok := p.apps.Load(appID); ok {
		if e := v.(*appEntry); time.Since(e.loaded) < appCacheTTL {
			return e, nil
		}
	}
	loaded := time.Now()
	cfg, err := p.Store.SAMLConfig(ctx, appID)
	if err != nil {
		return nil, err
	}
	cfg.withDefaults()
	certs, err := p.Store.SAMLCerts(ctx, appID)
	if err != nil {
		return nil, err
	}
	e := &appEntry{cfg: cfg, certs: certs, loaded: loaded}
	p.apps.Store(appID, e)
	return e, nil
}

// forget drops the app's cached entry after a change made here.
func (p *IdP) forget(appID string) { p.apps.Delete(appID) }

// clone is a copy of the configuration a caller may change.
func (c *Config) clone() *Config {
	cp := *c
	cp.ACSURLs = slices.Clone(c.ACSURLs)
	cp.SPCertificates = slices.Clone(c.SPCertificates)
	cp.Claims = slices.Clone(c.Claims)
	for i := range cp.Claims {
		cp.Claims[i].Values = slices.Clone(cp.Claims[i].Values)
	}
	return &cp
}
