package samlidp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/samlproto"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// Authenticator is the directory's sign-in (package signin; its
// *signin.Handler implements this as is, signin.Session being an alias of
// directory.Session). Tests use a small cookie-backed implementation.
type Authenticator interface {
	// CurrentSession returns the signed-in session and user, or an error
	// when there is none.
	CurrentSession(r *http.Request) (*directory.Session, *directory.User, error)
	// RequireLogin redirects to sign-in (or the MFA step when needMFA) and
	// returns false when it did.
	RequireLogin(w http.ResponseWriter, r *http.Request, needMFA bool) (*directory.Session, *directory.User, bool)
}

// IdP is the directory's SAML 2.0 identity provider and My Apps portal.
// Its fields are its dependencies.
type IdP struct {
	// Directory holds users, groups, apps and assignments.
	Directory directory.Store
	// Store holds SAML configurations and certificates.
	Store Store
	// Box seals the certificates' private keys.
	Box  *secret.Box
	Auth Authenticator
	// Now is the clock (time.Now when nil).
	Now    func() time.Time
	Logger *slog.Logger
	// BaseURL is the directory's external URL, such as
	// https://login.example.com; when empty, the scheme and Host of each
	// request are used.
	BaseURL string
	// Audit, when set, records every SAML response issued.
	Audit audit.Appender

	keys sync.Map // certificate id -> *rsa.PrivateKey, opened once
	apps sync.Map // app id -> *appEntry (cache.go)
}

func (p *IdP) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *IdP) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}

// Configure validates and stores an app's SAML configuration, with
// Entra's defaults for empty fields, and creates the app's first signing
// certificate when it has none.
func (p *IdP) Configure(ctx context.Context, c *Config) (*Config, error) {
	cp := *c
	cp.withDefaults()
	if err := cp.validate(); err != nil {
		return nil, err
	}
	if _, err := p.Directory.GetApp(ctx, cp.AppID); err != nil {
		return nil, fmt.Errorf("configure SAML for app %s: %w", cp.AppID, err)
	}
	cp.Updated = p.now().UTC().Truncate(time.Millisecond)
	if err := p.Store.PutSAMLConfig(ctx, &cp); err != nil {
		return nil, fmt.Errorf("configure SAML for app %s: %w", cp.AppID, err)
	}
	p.forget(cp.AppID)
	certs, err := p.Store.SAMLCerts(ctx, cp.AppID)
	if err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		if _, err := p.NewCertificate(ctx, cp.AppID, 0); err != nil {
			return nil, err
		}
	}
	return &cp, nil
}

// Config returns an app's SAML configuration (directory.ErrNotFound when
// the app has none), at most appCacheTTL old.
func (p *IdP) Config(ctx context.Context, appID string) (*Config, error) {
	e, err := p.app(ctx, appID)
	if err != nil {
		return nil, err
	}
	return e.cfg.clone(), nil
}

// base returns the directory's external URL without a trailing slash.
func (p *IdP) base(r *http.Request) string {
	if p.BaseURL != "" {
		return strings.TrimRight(p.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// MetadataURL is the app's stable metadata URL, which is also its default
// IdP entity id.
func (p *IdP) MetadataURL(r *http.Request, appID string) string {
	return p.base(r) + "/saml/" + appID + "/metadata"
}

func (p *IdP) idpEntityID(r *http.Request, cfg *Config) string {
	if cfg.IdPEntityID != "" {
		return cfg.IdPEntityID
	}
	return p.MetadataURL(r, cfg.AppID)
}

// Assigned reports whether the user may use the app: assigned directly or
// through a group, nested groups included. A direct assignment is looked
// up first: an indexed read is cheaper than AppsOf's recursive statement
// (2-6 % of an SSO response's CPU when the user is assigned directly).
func (p *IdP) Assigned(ctx context.Context, userID, appID string) (bool, error) {
	direct, err := p.Directory.AssignmentsOf(ctx, userID)
	if err != nil {
		return false, err
	}
	if slices.ContainsFunc(direct, func(a *directory.Assignment) bool { return a.AppID == appID }) {
		return true, nil
	}
	apps, err := p.Directory.AppsOf(ctx, userID)
	return slices.Contains(apps, appID), err
}

func (p *IdP) signInResponse(w http.ResponseWriter, r *http.Request, cfg *Config, req *authnRequest, relayState string) {
	ctx := r.Context()
	// 4. Sign-in.
	si, user, ok := p.Auth.RequireLogin(w, r, cfg.RequireMFA)
	if !ok {
		return
	}
	if cfg.RequireMFA && !si.MFA {
		// An Authenticator that ignored needMFA must not let us through.
		p.errorPage(w, r, http.StatusForbidden, "Multi-factor authentication required",
			"This application requires multi-factor authentication.")
		return
	}
	if user.Deleted != nil || !user.AccountEnabled {
		p.errorPage(w, r, http.StatusForbidden, "Account disabled", "Your account is disabled.")
		return
	}
	// 5. Assignment.
	ok, err := p.Assigned(ctx, user.ID, cfg.AppID)
	if err != nil {
		p.internalError(w, r, err)
		return
	}
	if !ok {
		p.logger().Info("saml sign-in refused: not assigned", "app", cfg.AppID, "user", user.ID)
		p.errorPage(w, r, http.StatusForbidden, "You don't have access to this application",
			fmt.Sprintf("Your account %s is not assigned to this application. Ask your administrator to assign you to it.", user.UserPrincipalName))
		return
	}
	// 6. The response.
	cert, key, err := p.signingKey(ctx, cfg.AppID)
	if err != nil {
		p.internalError(w, r, err)
		return
	}
	in := &issue{cfg: cfg, user: user, session: si, idpEntityID: p.idpEntityID(r, cfg), acs: cfg.ACSURLs[0],
		now: p.now(), cert: cert, key: key}
	if req != nil {
		in.acs, in.inResponseTo, in.nameIDFormat = req.ACSURL, req.ID, req.NameIDFormat
	}
	resp, signer, err := prepareResponse(in)
	var re *requestError
	if errors.As(err, &re) {
		p.errorPage(w, r, re.Status, "Sign-in refused", re.Msg)
		return
	}
	if err != nil {
		p.internalError(w, r, err)
		return
	}
	// The response is not sent unrecorded: its audit record must be
	// committed first. The append (a durable write) runs while the
	// response is signed (CPU), so a sign-in waits for the longer of the
	// two rather than for both.
	var recorded chan error
	if p.Audit != nil {
		rec := audit.Record{Kind: audit.KindSAMLResponse, Actor: user.UserPrincipalName, Subject: cfg.AppID,
			Action: "issue SAML response", Details: map[string]any{"sp": cfg.EntityID, "acs": in.acs,
				"spInitiated": req != nil, "mfa": si.MFA}}
		recorded = make(chan error, 1)
		go func() {
			_, err := p.Audit.Append(context.WithoutCancel(ctx), rec)
			recorded <- err
		}()
	}
	xml, err := samlproto.BuildResponse(resp, signer)
	if recorded != nil {
		if aerr := <-recorded; aerr != nil {
			p.internalError(w, r, fmt.Errorf("audit: %w", aerr))
			return
		}
	}
	if err != nil {
		// Recorded but not sent: the signing key failed, which only a
		// broken key does. The error page and the log say so.
		p.internalError(w, r, fmt.Errorf("sign response: %w", err))
		return
	}
	p.logger().Info("saml response issued", "app", cfg.AppID, "user", user.ID, "acs", in.acs, "spInitiated", req != nil)
	p.postForm(w, r, in.acs, xml, relayState)
}
