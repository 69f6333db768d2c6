package samlsp

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
)

// Paths on the center's listener.
const (
	MetadataPath = "/saml/metadata"
	ACSPath      = "/saml/acs"
	StartPath    = "/start"

	// CookieName is the access-portal session cookie.
	CookieName = "gh_portal"
)

// Defaults.
const (
	DefaultSkew            = 3 * time.Minute
	DefaultRequestLifetime = 10 * time.Minute
	DefaultSessionDuration = 8 * time.Hour // AWS's default portal session
)

// SP is the center's SAML 2.0 service provider: identity source settings,
// SP metadata, SP-initiated sign-in, the assertion consumer service and
// access-portal sessions. Its fields are its dependencies.
type SP struct {
	// CenterURL is the center's external base URL, e.g.
	// https://center.example.com (no trailing slash). The entity ID is
	// CenterURL+"/saml/metadata" and the ACS CenterURL+"/saml/acs".
	CenterURL string
	Store     Store
	Users     center.Store
	Now       func() time.Time
	Logger    *slog.Logger
	// Skew is the clock skew allowed on time conditions (default 3 min).
	Skew time.Duration
	// DisallowIdPInitiated refuses responses without InResponseTo
	// (unsolicited, IdP-initiated). AWS accepts them, so the default is to.
	DisallowIdPInitiated bool
	// SessionDuration is the portal session length (default 8 h), capped by
	// the assertion's SessionNotOnOrAfter.
	SessionDuration time.Duration
	// RequestLifetime is how long an AuthnRequest ID stays answerable.
	RequestLifetime time.Duration
}

// EntityID is the SP's entity ID: <center_url>/saml/metadata, the URL its
// metadata is served at (SAML metadata §4.1, well-known location).
func (sp *SP) EntityID() string { return strings.TrimRight(sp.CenterURL, "/") + MetadataPath }

// ACSURL is the assertion consumer service URL.
func (sp *SP) ACSURL() string { return strings.TrimRight(sp.CenterURL, "/") + ACSPath }

func (sp *SP) now() time.Time {
	if sp.Now != nil {
		return sp.Now().UTC()
	}
	return time.Now().UTC()
}

func (sp *SP) logger() *slog.Logger {
	if sp.Logger != nil {
		return sp.Logger
	}
	return slog.Default()
}

func (sp *SP) skew() time.Duration {
	if sp.Skew > 0 {
		return sp.Skew
	}
	return DefaultSkew
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Mount registers GET /saml/metadata and POST /saml/acs on mux.
func (sp *SP) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+MetadataPath, sp.serveMetadata)
	mux.HandleFunc("POST "+ACSPath, sp.serveACS)
}

func (sp *SP) serveMetadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Content-Disposition", `attachment; filename="gatehouse-center-metadata.xml"`)
	w.Write(SPMetadata(sp.EntityID(), sp.ACSURL()))
}

// --- identity source ---

// IdentitySource returns the current source and, for SourceExternal, the
// parsed IdP configuration. With nothing stored the source is SourceCenter.
func (sp *SP) IdentitySource(ctx context.Context) (string, *IdPConfig, error) {
	src, err := sp.Store.SAMLSource(ctx)
	if errors.Is(err, ErrNotFound) {
		return SourceCenter, nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	if src.Source != SourceExternal {
		return src.Source, nil, nil
	}
	idp, err := ParseIdPMetadata([]byte(src.IdPMetadata))
	if err != nil {
		return "", nil, fmt.Errorf("stored IdP metadata: %w", err)
	}
	return SourceExternal, idp, nil
}

// UseExternalIdP makes the IdP described by metadata the identity source.
// The metadata is validated first; a document that does not parse changes
// nothing and the error says why (center.ErrInvalid).
func (sp *SP) UseExternalIdP(ctx context.Context, metadata []byte) (*IdPConfig, error) {
	idp, err := ParseIdPMetadata(metadata)
	if err != nil {
		return nil, center.Invalidf("%v", err)
	}
	md := string(bytes.TrimPrefix(metadata, []byte("\xEF\xBB\xBF")))
	if err := sp.Store.PutSAMLSource(ctx, &StoredSource{Source: SourceExternal, IdPMetadata: md, Updated: sp.now()}); err != nil {
		return nil, err
	}
	return idp, nil
}

// UseCenterDirectory makes the center's own users the identity source.
func (sp *SP) UseCenterDirectory(ctx context.Context) error {
	return sp.Store.PutSAMLSource(ctx, &StoredSource{Source: SourceCenter, Updated: sp.now()})
}

// --- SP-initiated sign-in (SAML profiles §4.1.3, bindings §3.4) ---

func randomID() string {
	b := make([]byte, 20)
	rand.Read(b)
	return "id-" + hex.EncodeToString(b) // must not start with a digit (xs:ID)
}

// AuthnRequest builds an AuthnRequest (SAML core §3.4.1) and records its ID
// for InResponseTo checking. It returns the ID and the XML.
func (sp *SP) AuthnRequest(ctx context.Context, destination string) (string, []byte, error) {
	now := sp.now()
	id := randomID()
	var b bytes.Buffer
	fmt.Fprintf(&b, `<samlp:AuthnRequest xmlns:samlp="%s" xmlns:saml="%s" ID="%s" Version="2.0" IssueInstant="%s" Destination="%s" AssertionConsumerServiceURL="%s" ProtocolBinding="%s">`,
		nsProtocol, nsAssertion, id, now.Format("2006-01-02T15:04:05.000Z"), esc(destination), esc(sp.ACSURL()), BindingPOST)
	fmt.Fprintf(&b, `<saml:Issuer>%s</saml:Issuer>`, esc(sp.EntityID()))
	fmt.Fprintf(&b, `<samlp:NameIDPolicy Format="%s" AllowCreate="true"/>`, NameIDFormatEmail)
	b.WriteString(`</samlp:AuthnRequest>`)
	if err := sp.Store.PutAuthnRequest(ctx, id, now, now.Add(orDefault(sp.RequestLifetime, DefaultRequestLifetime))); err != nil {
		return "", nil, fmt.Errorf("record AuthnRequest: %w", err)
	}
	return id, b.Bytes(), nil
}

var postForm = template.Must(template.New("post").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Signing in</title></head>
<body onload="document.forms[0].submit()"><form method="post" action="{{.URL}}">
<input type="hidden" name="SAMLRequest" value="{{.Request}}">{{if .Relay}}
<input type="hidden" name="RelayState" value="{{.Relay}}">{{end}}
<noscript><button type="submit">Continue</button></noscript></form></body></html>`))

// Begin starts an SP-initiated sign-in: it sends the browser to the IdP with
// an AuthnRequest, by the HTTP-Redirect binding (bindings §3.4.4: DEFLATE,
// base64, SAMLRequest and RelayState query parameters) or, if the IdP offers
// only HTTP-POST, by an auto-submitting form. relayState (at most 80 bytes,
// bindings §3.4.3) comes back with the response.
func (sp *SP) Begin(w http.ResponseWriter, r *http.Request, relayState string) {
	source, idp, err := sp.IdentitySource(r.Context())
	if err != nil {
		sp.logger().Error("saml begin: identity source", "err", err)
		sp.refusePage(w, http.StatusInternalServerError, "The sign-in could not be started.")
		return
	}
	if source != SourceExternal {
		sp.refusePage(w, http.StatusForbidden, "Sign-in through an external identity provider is not enabled.")
		return
	}
	if len(relayState) > 80 {
		relayState = ""
	}
	dest := idp.SSORedirect
	if dest == "" {
		dest = idp.SSOPost
	}
	id, req, err := sp.AuthnRequest(r.Context(), dest)
	if err != nil {
		sp.logger().Error("saml begin", "err", err)
		sp.refusePage(w, http.StatusInternalServerError, "The sign-in could not be started.")
		return
	}
	sp.logger().Info("saml authn request", "id", id, "idp", idp.EntityID)
	w.Header().Set("Cache-Control", "no-store")
	if idp.SSORedirect != "" {
		var buf bytes.Buffer
		fw, _ := flate.NewWriter(&buf, flate.BestCompression)
		fw.Write(req)
		fw.Close()
		q := url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(buf.Bytes())}}
		if relayState != "" {
			q.Set("RelayState", relayState)
		}
		sep := "?"
		if strings.Contains(dest, "?") {
			sep = "&"
		}
		http.Redirect(w, r, dest+sep+q.Encode(), http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	postForm.Execute(w, map[string]string{
		"URL": dest, "Request": base64.StdEncoding.EncodeToString(req), "Relay": relayState,
	})
}

// --- assertion consumer service ---

// Consume verifies a decoded SAML Response and, if every check passes,
// signs the user in: it consumes the InResponseTo request, records the
// assertion ID and creates the portal session in one transaction. Any
// refusal is a *Refusal and changes nothing.
//
//  1. Identity source must be an external IdP.
//  2. Verify (see there): XML, wrapping, signature, status, issuer,
//     destination, recipient, audience, times.
//  3. InResponseTo: absent only for IdP-initiated sign-in, if allowed.
//  4. NameID format emailAddress, and NameID = the userName of an active
//     provisioned user (aws-identity-center.md §3.2: no JIT creation).
//  5. AccessControl:* attributes become the session's tags.
//  6. One transaction: request consumed, assertion ID recorded (replay),
//     session stored.
func (sp *SP) Consume(ctx context.Context, raw []byte) (*Session, string, error) {
	// 1.
	source, idp, err := sp.IdentitySource(ctx)
	if err != nil {
		return nil, "", err
	}
	if source != SourceExternal {
		return nil, "", &Refusal{Status: StatusResponder, Reason: "the identity source is not an external identity provider"}
	}
	now := sp.now()
	// 2.
	a, err := Verify(raw, &Checks{IdP: idp, EntityID: sp.EntityID(), ACSURL: sp.ACSURL(), Now: now, Skew: sp.skew()})
	if err != nil {
		return nil, "", err
	}
	// 3.
	if a.InResponseTo == "" && sp.DisallowIdPInitiated {
		return nil, "", refuse("unsolicited (IdP-initiated) responses are not accepted")
	}
	// 4.
	if a.NameIDFormat != NameIDFormatEmail {
		return nil, "", refuse("NameID format %q is not %s", a.NameIDFormat, NameIDFormatEmail)
	}
	page, err := sp.Users.ListUsers(ctx, center.Query{Match: []center.Match{{Attr: center.AttrUserName, Value: a.NameID}}, Count: 2})
	if err != nil {
		return nil, "", fmt.Errorf("look up user: %w", err)
	}
	if len(page.Users) != 1 || page.Users[0].UserName != a.NameID {
		return nil, "", denied("no user with userName %q exists in the identity store", a.NameID)
	}
	u := page.Users[0]
	if !bool(u.Active) {
		return nil, "", denied("user %q is disabled", a.NameID)
	}
	// 5.
	tags, err := a.Tags()
	if err != nil {
		return nil, "", err
	}
	// 6.
	secret := make([]byte, 32)
	rand.Read(secret)
	cookie := base64.RawURLEncoding.EncodeToString(secret)
	expires := now.Add(orDefault(sp.SessionDuration, DefaultSessionDuration))
	if !a.SessionNotOnOrAfter.IsZero() && a.SessionNotOnOrAfter.Before(expires) {
		expires = a.SessionNotOnOrAfter
	}
	se := &Session{IDHash: hashID(cookie), UserID: u.ID, Created: now, Expires: expires, Tags: tags}
	err = sp.Store.CompleteSignIn(ctx, &SignIn{
		RequestID: a.InResponseTo, AssertionID: a.ID, AssertionExpires: a.NotOnOrAfter, Session: se, Now: now,
	})
	switch {
	case errors.Is(err, ErrUnknownRequest):
		return nil, "", refuse("InResponseTo %q matches no outstanding request (unknown, expired or already used)", a.InResponseTo)
	case errors.Is(err, ErrReplay):
		return nil, "", refuse("assertion %q was already used (replay)", a.ID)
	case err != nil:
		return nil, "", err
	}
	return se, cookie, nil
}

func hashID(cookie string) string {
	h := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(h[:])
}

func (sp *SP) serveACS(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 2*MaxResponseBytes)
	if err := r.ParseForm(); err != nil {
		sp.refuse(w, r, refuse("unreadable form: %v", err))
		return
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(r.PostForm.Get("SAMLResponse")), ""))
	if err != nil || len(raw) == 0 {
		sp.refuse(w, r, refuse("SAMLResponse is missing or not base64"))
		return
	}
	se, cookie, err := sp.Consume(r.Context(), raw)
	if err != nil {
		sp.refuse(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: cookie, Path: "/", Expires: se.Expires,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secureRequest(r, sp.CenterURL),
	})
	sp.logger().Info("saml sign-in", "user", se.UserID, "tags", len(se.Tags))
	http.Redirect(w, r, safeRelay(r.PostForm.Get("RelayState")), http.StatusSeeOther)
}

// safeRelay returns relay if it is a same-origin relative path, else /start.
func safeRelay(relay string) string {
	if relay == "" || !strings.HasPrefix(relay, "/") || strings.HasPrefix(relay, "//") ||
		strings.ContainsAny(relay, "\\\r\n\t") {
		return StartPath
	}
	u, err := url.Parse(relay)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return StartPath
	}
	return relay
}

func secureRequest(r *http.Request, centerURL string) bool {
	return r.TLS != nil || strings.HasPrefix(centerURL, "https://")
}

// refuse logs the reason and answers 403 with a page that states it.
func (sp *SP) refuse(w http.ResponseWriter, r *http.Request, err error) {
	var rf *Refusal
	if !errors.As(err, &rf) {
		sp.logger().Error("saml acs failed", "err", err)
		sp.refusePage(w, http.StatusInternalServerError, "The sign-in could not be completed because of an internal error.")
		return
	}
	sp.logger().Warn("saml response refused", "status", rf.Status, "reason", rf.Reason, "remote", r.RemoteAddr)
	sp.refusePage(w, http.StatusForbidden, "Sign-in refused ("+rf.Status+"): "+rf.Reason)
}

var refusePageTmpl = template.Must(template.New("refused").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign-in refused</title></head>
<body><h1>Sign-in refused</h1><p>{{.}}</p></body></html>`))

func (sp *SP) refusePage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	refusePageTmpl.Execute(w, msg)
}

// --- sessions ---

// CurrentSession returns the active session named by the request's
// gh_portal cookie, or ErrNotFound.
func (sp *SP) CurrentSession(r *http.Request) (*Session, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil, ErrNotFound
	}
	se, err := sp.Store.PortalSession(r.Context(), hashID(c.Value))
	if err != nil {
		return nil, err
	}
	if !se.Active(sp.now()) {
		return nil, ErrNotFound
	}
	return se, nil
}

// SignOut revokes the request's session, if any, and clears the cookie.
func (sp *SP) SignOut(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		if err := sp.Store.RevokePortalSession(r.Context(), hashID(c.Value), sp.now()); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secureRequest(r, sp.CenterURL)})
	return nil
}

// RevokeUser ends every session of a user at once (a leaver).
func (sp *SP) RevokeUser(ctx context.Context, userID string) error {
	n, err := sp.Store.RevokeUserSessions(ctx, userID, sp.now())
	if err != nil {
		return fmt.Errorf("revoke sessions of %s: %w", userID, err)
	}
	sp.logger().Info("portal sessions revoked", "user", userID, "count", n)
	return nil
}

// OnUserChange has the signature of scimserver.Handler.OnUserChange: it
// ends the sessions of a user who was deactivated or deleted.
func (sp *SP) OnUserChange(ctx context.Context, userID string, active bool) {
	if active {
		return
	}
	if err := sp.RevokeUser(ctx, userID); err != nil {
		sp.logger().Error("revoke portal sessions", "user", userID, "err", err)
	}
}
