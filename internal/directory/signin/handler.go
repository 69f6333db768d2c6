package signin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// Paths the handler serves.
const (
	LoginPath  = "/login"
	EnrollPath = "/mfa/enroll"
	LogoutPath = "/logout"
)

// Lockout policy: after LockoutThreshold consecutive failures the account
// locks for LockoutBase, doubling with each further failure, up to
// LockoutMax. A successful sign-in resets the count.
const (
	LockoutThreshold = 5
	LockoutBase      = time.Minute
	LockoutMax       = 30 * time.Minute
)

// maxFormBytes bounds a form body.
const maxFormBytes = 64 << 10

// Messages shown to the user. The first must not tell an unknown user from
// a wrong password.
const (
	msgBadCredentials = "The username or password is incorrect."
	msgBadCode        = "The verification code is incorrect."
	msgReplayedCode   = "That verification code was already used. Wait for the next code and try again."
	msgDisabled       = "Your account is disabled. Contact your administrator."
	msgFormExpired    = "This form has expired. Please try again."
	msgBusy           = "The service is busy. Please try again in a moment."
	msgInternal       = "Something went wrong. Please try again."
)

// Handler serves the directory's sign-in pages: username and password,
// TOTP enrollment and verification, and logout. Its fields are its
// dependencies.
type Handler struct {
	// Store resolves usernames (userPrincipalName).
	Store directory.Store
	// Credentials and Sessions default to Store when it implements
	// them (directorydb.Store does). Sessions also re-reads each
	// session's user (SessionUser), so it must hold the same users.
	Credentials directory.CredentialStore
	Sessions    directory.SessionStore
	// Box seals TOTP secrets at rest.
	Box    *secret.Box
	Now    func() time.Time
	Logger *slog.Logger
	// Hasher bounds concurrent argon2id hashes; nil shares one sized to
	// GOMAXPROCS.
	Hasher *Hasher
	// Issuer names the service in authenticator apps ("Gatehouse").
	Issuer string
	// Home is where to go after sign-in when no return path is given ("/").
	Home string
	// TrustForwardedProto marks cookies Secure when X-Forwarded-Proto is
	// https; set it only behind a proxy that sets that header.
	TrustForwardedProto bool
	// IdleTimeout and AbsoluteTimeout default to 1 h and 12 h.
	IdleTimeout, AbsoluteTimeout time.Duration
	// Audit, when set, records every sign-in and every refusal with its
	// reason.
	Audit audit.Appender
}

// Mount registers the sign-in routes on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.Handle("GET "+LoginPath, h.wrap(h.getLogin))
	mux.Handle("POST "+LoginPath, h.wrap(h.postLogin))
	mux.Handle("GET "+EnrollPath, h.wrap(h.getEnroll))
	mux.Handle("POST "+EnrollPath, h.wrap(h.postEnroll))
	mux.Handle("POST "+LogoutPath, h.wrap(h.postLogout))
}

// pageCSP allows the pages' inline styles, the enrollment QR code as a
// data: image, and forms posted to this origin only.
const pageCSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (h *Handler) wrap(fn http.HandlerFunc) http.Handler {
	return web.FormPages(pageCSP, maxFormBytes, func(w http.ResponseWriter) {
		http.Error(w, "bad form", http.StatusBadRequest)
	}, fn)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) hasher() *Hasher {
	if h.Hasher != nil {
		return h.Hasher
	}
	return defaultHasher()
}

func (h *Handler) creds() directory.CredentialStore {
	if h.Credentials != nil {
		return h.Credentials
	}
	if c, ok := h.Store.(directory.CredentialStore); ok {
		return c
	}
	panic("signin: Handler.Credentials is nil and Store is not a CredentialStore")
}

func (h *Handler) sessions() directory.SessionStore {
	if h.Sessions != nil {
		return h.Sessions
	}
	if s, ok := h.Store.(directory.SessionStore); ok {
		return s
	}
	panic("signin: Handler.Sessions is nil and Store is not a SessionStore")
}

func (h *Handler) idle() time.Duration {
	if h.IdleTimeout > 0 {
		return h.IdleTimeout
	}
	return DefaultIdleTimeout
}

func (h *Handler) absolute() time.Duration {
	if h.AbsoluteTimeout > 0 {
		return h.AbsoluteTimeout
	}
	return DefaultAbsoluteTimeout
}

func (h *Handler) home() string {
	if h.Home != "" {
		return h.Home
	}
	return "/"
}

func (h *Handler) issuer() string {
	if h.Issuer != "" {
		return h.Issuer
	}
	return "Gatehouse"
}

// LockoutFor is how long the account locks after the given number of
// consecutive failures (0 below the threshold).
func LockoutFor(failures int) time.Duration {
	if failures < LockoutThreshold {
		return 0
	}
	if n := failures - LockoutThreshold; n < 6 {
		if d := LockoutBase << n; d < LockoutMax {
			return d
		}
	}
	return LockoutMax
}

// SafeReturn returns p when it is a same-origin relative path (so that the
// return parameter cannot be an open redirect), and def otherwise.
func SafeReturn(p, def string) string {
	if p == "" || len(p) > 2048 || p[0] != '/' || strings.HasPrefix(p, "//") ||
		strings.ContainsAny(p, "\\") || strings.IndexFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return def
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return def
	}
	return p
}

// returnTo is where sign-in should bring the browser back to: the page
// asked for, or, for a form posted after the session ended, the page the
// form was on (a GET of the form's action would not answer). Only a
// same-host Referer counts; otherwise it is "" and sign-in goes home.
func returnTo(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host {
		return ""
	}
	return ref.RequestURI()
}

func withReturn(path, ret string, extra ...string) string {
	q := url.Values{}
	q.Set("return", ret)
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return path + "?" + q.Encode()
}

// RequireLogin returns the request's session and user. When there is none
// it redirects to the login page with return=<this URL>; when needMFA and
// the session has no second factor it redirects to the MFA step (or to
// enrollment for users without TOTP). It returns false when it responded.
func (h *Handler) RequireLogin(w http.ResponseWriter, r *http.Request, needMFA bool) (*Session, *directory.User, bool) {
	here := SafeReturn(returnTo(r), h.home())
	s, u, err := h.CurrentSession(r)
	switch {
	case errors.Is(err, ErrNoSession), errors.Is(err, ErrUserDisabled):
		http.Redirect(w, r, withReturn(LoginPath, here), http.StatusSeeOther)
		return nil, nil, false
	case err != nil:
		h.log().Error("sign-in: read session", "err", err)
		http.Error(w, msgInternal, http.StatusInternalServerError)
		return nil, nil, false
	}
	if needMFA && !s.MFA {
		c, err := h.creds().GetCredentials(r.Context(), u.ID)
		if err != nil && !errors.Is(err, directory.ErrNotFound) {
			h.log().Error("sign-in: read credentials", "err", err)
			http.Error(w, msgInternal, http.StatusInternalServerError)
			return nil, nil, false
		}
		if c != nil && c.TOTPSecret != "" {
			http.Redirect(w, r, withReturn(LoginPath, here, "mfa", "1"), http.StatusSeeOther)
		} else {
			http.Redirect(w, r, withReturn(EnrollPath, here), http.StatusSeeOther)
		}
		return nil, nil, false
	}
	return s, u, true
}

// --- login ---

func (h *Handler) getLogin(w http.ResponseWriter, r *http.Request) {
	ret := SafeReturn(r.URL.Query().Get("return"), h.home())
	s, u, err := h.CurrentSession(r)
	if err != nil && !errors.Is(err, ErrNoSession) && !errors.Is(err, ErrUserDisabled) {
		h.fail500(w, r, "read session", err)
		return
	}
	if s != nil {
		if r.URL.Query().Get("mfa") == "" || s.MFA {
			http.Redirect(w, r, ret, http.StatusSeeOther)
			return
		}
		c, err := h.creds().GetCredentials(r.Context(), u.ID)
		if err != nil || c.TOTPSecret == "" {
			http.Redirect(w, r, withReturn(EnrollPath, ret), http.StatusSeeOther)
			return
		}
		h.render(w, http.StatusOK, "mfa", &page{Title: "Verify your identity", CSRF: s.CSRF, Return: ret, Username: u.UserPrincipalName})
		return
	}
	h.render(w, http.StatusOK, "login", &page{Title: "Sign in", CSRF: h.preSessionCSRF(w, r), Return: ret})
}

// postLogin signs a user in:
//  1. check the CSRF token (the pre-session cookie's, or the session's);
//  2. look the user up; a locked account is refused, saying for how long;
//  3. verify the password with argon2id (a dummy hash for unknown users);
//  4. on failure count it (lockout) and answer the same for unknown users;
//  5. refuse disabled users;
//  6. verify the TOTP code when one is given and the user is enrolled,
//     refusing a replayed step;
//  7. reset the failure count, replace any old session, redirect to return.
//
// audit records a sign-in attempt's outcome.
func (h *Handler) audit(r *http.Request, username, userID string, ok bool, reason string) {
	if h.Audit == nil {
		return
	}
	rec := audit.Record{Kind: audit.KindSignInSuccess, Actor: username, Subject: userID, Action: "login",
		Details: map[string]any{"remote": r.RemoteAddr}}
	if !ok {
		rec.Kind, rec.Outcome, rec.Reason = audit.KindSignInRefused, audit.OutcomeRefused, reason
	}
	if _, err := h.Audit.Append(context.WithoutCancel(r.Context()), rec); err != nil {
		h.log().Error("sign-in: audit", "err", err)
	}
}

func (h *Handler) postLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ret := SafeReturn(r.PostForm.Get("return"), h.home())
	old, oldUser, err := h.CurrentSession(r)
	if err != nil && !errors.Is(err, ErrNoSession) && !errors.Is(err, ErrUserDisabled) {
		h.fail500(w, r, "read session", err)
		return
	}
	username := strings.TrimSpace(r.PostForm.Get("username"))
	loginPage := func(status int, msg string) {
		h.render(w, status, "login", &page{Title: "Sign in", Error: msg, CSRF: h.preSessionCSRF(w, r), Return: ret, Username: username})
	}
	// 1.
	pre, _ := r.Cookie(CSRFCookie)
	got := r.PostForm.Get("csrf")
	if !(pre != nil && tokensEqual(got, pre.Value)) && !(old != nil && tokensEqual(got, old.CSRF)) {
		h.log().Warn("sign-in: CSRF token missing or wrong", "remote", r.RemoteAddr)
		loginPage(http.StatusForbidden, msgFormExpired)
		return
	}
	if r.PostForm.Get("step") == "mfa" && old != nil {
		h.mfaStep(w, r, old, oldUser, ret)
		return
	}
	password, code := r.PostForm.Get("password"), r.PostForm.Get("otp")
	if username == "" || password == "" {
		loginPage(http.StatusBadRequest, "Enter your username and password.")
		return
	}
	if len(password) > MaxPasswordLen {
		password = password[:MaxPasswordLen]
	}
	now := h.now()
	// 2.
	u, err := h.Store.UserByUPN(ctx, username)
	if err != nil && !errors.Is(err, directory.ErrNotFound) {
		h.fail500(w, r, "look up user", err)
		return
	}
	var c *directory.Credentials
	if u != nil {
		if c, err = h.creds().GetCredentials(ctx, u.ID); err != nil && !errors.Is(err, directory.ErrNotFound) {
			h.fail500(w, r, "read credentials", err)
			return
		}
	}
	if c != nil && c.LockedUntil.After(now) {
		h.log().Info("sign-in refused: locked", "user", u.ID, "until", c.LockedUntil)
		h.audit(r, username, u.ID, false, "account locked after repeated failures")
		loginPage(http.StatusTooManyRequests, lockedMessage(c.LockedUntil.Sub(now)))
		return
	}
	// 3.
	ok := false
	if c != nil && c.PasswordHash != "" {
		ok, err = h.hasher().Verify(ctx, c.PasswordHash, password)
	} else {
		err = h.hasher().VerifyDummy(ctx, password)
	}
	if errors.Is(err, ErrBusy) {
		loginPage(http.StatusServiceUnavailable, msgBusy)
		return
	}
	if err != nil {
		h.log().Error("sign-in: verify password", "err", err)
		ok = false
	}
	// 4.
	if !ok {
		if c != nil {
			h.recordFailure(r, u.ID, now)
		}
		h.log().Info("sign-in failed: bad credentials", "remote", r.RemoteAddr)
		userID := ""
		if u != nil {
			userID = u.ID
		}
		h.audit(r, username, userID, false, "wrong username or password")
		loginPage(http.StatusUnauthorized, msgBadCredentials)
		return
	}
	// 5.
	if !u.AccountEnabled {
		n, _ := h.sessions().RevokeUserSessions(ctx, u.ID, now)
		h.log().Info("sign-in refused: account disabled", "user", u.ID, "revoked", n)
		h.audit(r, username, u.ID, false, "account disabled")
		loginPage(http.StatusForbidden, msgDisabled)
		return
	}
	// 6.
	mfa := false
	if c.TOTPSecret != "" && strings.TrimSpace(code) != "" {
		if msg := h.checkTOTP(r, u.ID, c, code, now); msg != "" {
			h.recordFailure(r, u.ID, now)
			h.audit(r, username, u.ID, false, "one-time code refused: "+msg)
			loginPage(http.StatusUnauthorized, msg)
			return
		}
		mfa = true
	}
	// 7.
	if c.Failures > 0 || !c.LockedUntil.IsZero() {
		if err := h.creds().ResetFailures(ctx, u.ID, now); err != nil {
			h.fail500(w, r, "reset failures", err)
			return
		}
	}
	if old != nil {
		_ = h.sessions().RevokeSession(ctx, old.ID, now)
	}
	if _, err := h.startSession(w, r, u.ID, mfa, now, now.Add(h.absolute())); err != nil {
		h.fail500(w, r, "start session", err)
		return
	}
	h.log().Info("signed in", "user", u.ID, "mfa", mfa)
	h.audit(r, username, u.ID, true, "")
	http.Redirect(w, r, ret, http.StatusSeeOther)
}

// mfaStep adds a second factor to a session signed in with a password: the
// session is replaced by one with MFA (a new id, so a fixed or stolen
// pre-MFA cookie gains nothing) and the same absolute expiry.
func (h *Handler) mfaStep(w http.ResponseWriter, r *http.Request, s *Session, u *directory.User, ret string) {
	ctx := r.Context()
	now := h.now()
	mfaPage := func(status int, msg string) {
		h.render(w, status, "mfa", &page{Title: "Verify your identity", Error: msg, CSRF: s.CSRF, Return: ret, Username: u.UserPrincipalName})
	}
	c, err := h.creds().GetCredentials(ctx, u.ID)
	if err != nil || c.TOTPSecret == "" {
		http.Redirect(w, r, withReturn(EnrollPath, ret), http.StatusSeeOther)
		return
	}
	if c.LockedUntil.After(now) {
		mfaPage(http.StatusTooManyRequests, lockedMessage(c.LockedUntil.Sub(now)))
		return
	}
	if msg := h.checkTOTP(r, u.ID, c, r.PostForm.Get("otp"), now); msg != "" {
		h.recordFailure(r, u.ID, now)
		mfaPage(http.StatusUnauthorized, msg)
		return
	}
	if c.Failures > 0 {
		_ = h.creds().ResetFailures(ctx, u.ID, now)
	}
	if err := h.upgrade(w, r, s); err != nil {
		h.fail500(w, r, "upgrade session", err)
		return
	}
	http.Redirect(w, r, ret, http.StatusSeeOther)
}

func (h *Handler) upgrade(w http.ResponseWriter, r *http.Request, s *Session) error {
	if err := h.sessions().RevokeSession(r.Context(), s.ID, h.now()); err != nil {
		return err
	}
	_, err := h.startSession(w, r, s.UserID, true, s.Created, s.Expires)
	if err == nil {
		h.log().Info("session upgraded with MFA", "user", s.UserID)
	}
	return err
}

// checkTOTP verifies code against the user's secret and records its step
// (RFC 6238 §5.2: a code is accepted once). It returns the message to show,
// or "" when the code is good.
func (h *Handler) checkTOTP(r *http.Request, userID string, c *directory.Credentials, code string, now time.Time) string {
	sec, err := h.Box.Open(c.TOTPSecret, totpContext(userID))
	if err != nil {
		h.log().Error("sign-in: open TOTP secret", "user", userID, "err", err)
		return msgInternal
	}
	step, ok := matchTOTP(sec, code, now)
	if !ok {
		return msgBadCode
	}
	if step <= c.TOTPLastStep {
		h.log().Warn("sign-in: TOTP replay refused", "user", userID, "step", step)
		return msgReplayedCode
	}
	if err := h.creds().UseTOTPStep(r.Context(), userID, step, now); err != nil {
		if errors.Is(err, directory.ErrConflict) {
			h.log().Warn("sign-in: TOTP replay refused", "user", userID, "step", step)
			return msgReplayedCode
		}
		h.log().Error("sign-in: record TOTP step", "user", userID, "err", err)
		return msgInternal
	}
	return ""
}

func totpContext(userID string) string { return "totp:" + userID }

func (h *Handler) recordFailure(r *http.Request, userID string, now time.Time) {
	c, err := h.creds().RecordFailure(r.Context(), userID, now, LockoutFor)
	if err != nil {
		h.log().Error("sign-in: record failure", "user", userID, "err", err)
		return
	}
	if c.LockedUntil.After(now) {
		h.log().Warn("account locked", "user", userID, "failures", c.Failures, "until", c.LockedUntil)
	}
}

func lockedMessage(wait time.Duration) string {
	var n int
	var unit string
	if wait < time.Minute {
		n, unit = int(math.Ceil(wait.Seconds())), "second"
	} else {
		n, unit = int(math.Ceil(wait.Minutes())), "minute"
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("This account is locked after too many failed sign-in attempts. Try again in %d %s.", n, unit)
}

// --- enrollment ---

// enrollContext binds a pending enrollment (sealed into the form) to the
// session, so it cannot be replayed into another one.
func enrollContext(s *Session) string { return "totp-enroll:" + s.ID }

func (h *Handler) getEnroll(w http.ResponseWriter, r *http.Request) {
	s, u, ok := h.RequireLogin(w, r, false)
	if !ok {
		return
	}
	ret := SafeReturn(r.URL.Query().Get("return"), h.home())
	if !h.mayEnroll(w, r, s, u) {
		return
	}
	key, err := newTOTPKey(h.issuer(), u.UserPrincipalName)
	if err != nil {
		h.fail500(w, r, "generate TOTP key", err)
		return
	}
	h.renderEnroll(w, r, http.StatusOK, s, key, ret, "")
}

// mayEnroll refuses re-enrollment without the current factor: a user who
// already has TOTP must verify it before replacing it.
func (h *Handler) mayEnroll(w http.ResponseWriter, r *http.Request, s *Session, u *directory.User) bool {
	c, err := h.creds().GetCredentials(r.Context(), u.ID)
	if errors.Is(err, directory.ErrNotFound) {
		h.render(w, http.StatusForbidden, "message", &page{Title: "Set up verification", Error: "Your account has no password; ask your administrator."})
		return false
	}
	if err != nil {
		h.fail500(w, r, "read credentials", err)
		return false
	}
	if c.TOTPSecret != "" && !s.MFA {
		http.Redirect(w, r, withReturn(LoginPath, SafeReturn(r.URL.RequestURI(), h.home()), "mfa", "1"), http.StatusSeeOther)
		return false
	}
	return true
}

func (h *Handler) renderEnroll(w http.ResponseWriter, r *http.Request, status int, s *Session, key *otp.Key, ret, msg string) {
	qr, err := qrDataURL(key)
	if err != nil {
		h.fail500(w, r, "render QR", err)
		return
	}
	h.render(w, status, "enroll", &page{
		Title: "Set up your authenticator app", Error: msg, CSRF: s.CSRF, Return: ret,
		QR: qrURL(qr), Secret: groupSecret(key.Secret()), Enrollment: h.Box.Seal(key.String(), enrollContext(s)),
	})
}

// postEnroll confirms an enrollment with the first code: the secret is
// stored sealed, the code's step is recorded as used, and the session is
// upgraded to MFA.
func (h *Handler) postEnroll(w http.ResponseWriter, r *http.Request) {
	s, u, ok := h.RequireLogin(w, r, false)
	if !ok {
		return
	}
	ret := SafeReturn(r.PostForm.Get("return"), h.home())
	if !h.CheckCSRF(r, s) {
		h.log().Warn("enroll: CSRF token missing or wrong", "user", u.ID)
		h.render(w, http.StatusForbidden, "message", &page{Title: "Set up verification", Error: msgFormExpired})
		return
	}
	if !h.mayEnroll(w, r, s, u) {
		return
	}
	keyURL, err := h.Box.Open(r.PostForm.Get("enrollment"), enrollContext(s))
	if err != nil {
		h.render(w, http.StatusBadRequest, "message", &page{Title: "Set up verification", Error: msgFormExpired})
		return
	}
	key, err := otp.NewKeyFromURL(keyURL)
	if err != nil {
		h.fail500(w, r, "parse pending key", err)
		return
	}
	now := h.now()
	step, ok := matchTOTP(key.Secret(), r.PostForm.Get("otp"), now)
	if !ok {
		h.renderEnroll(w, r, http.StatusUnauthorized, s, key, ret, msgBadCode)
		return
	}
	if err := h.creds().SetTOTP(r.Context(), u.ID, h.Box.Seal(key.Secret(), totpContext(u.ID)), step, now); err != nil {
		h.fail500(w, r, "store TOTP", err)
		return
	}
	h.log().Info("TOTP enrolled", "user", u.ID)
	if err := h.upgrade(w, r, s); err != nil {
		h.fail500(w, r, "upgrade session", err)
		return
	}
	http.Redirect(w, r, ret, http.StatusSeeOther)
}

// --- logout ---

func (h *Handler) postLogout(w http.ResponseWriter, r *http.Request) {
	s, _, err := h.CurrentSession(r)
	if err == nil {
		if !h.CheckCSRF(r, s) {
			h.render(w, http.StatusForbidden, "message", &page{Title: "Sign out", Error: msgFormExpired})
			return
		}
		if err := h.sessions().RevokeSession(r.Context(), s.ID, h.now()); err != nil {
			h.fail500(w, r, "revoke session", err)
			return
		}
		h.log().Info("signed out", "user", s.UserID)
	}
	h.setCookie(w, r, SessionCookie, "", -1)
	http.Redirect(w, r, LoginPath, http.StatusSeeOther)
}

func (h *Handler) fail500(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log().Error("sign-in: "+what, "path", r.URL.Path, "err", err)
	h.render(w, http.StatusInternalServerError, "message", &page{Title: "Error", Error: msgInternal})
}
