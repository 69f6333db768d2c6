package signin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// Session is a server-side sign-in session (see directory.Session).
type Session = directory.Session

// Session errors of CurrentSession.
var (
	// ErrNoSession: no cookie, an unknown, revoked or expired session.
	ErrNoSession = errors.New("signin: not signed in")
	// ErrUserDisabled: the session's user was disabled or deleted; every
	// session of that user has just been revoked.
	ErrUserDisabled = errors.New("signin: user disabled or deleted")
)

// Cookie names.
const (
	SessionCookie = "gh_session"
	// CSRFCookie carries the CSRF token of forms shown before there is a
	// session (the login form); forms of a session use the session's token.
	CSRFCookie = "gh_csrf"
)

// Session lifetimes (defaults of Handler.IdleTimeout and AbsoluteTimeout).
const (
	DefaultIdleTimeout     = time.Hour
	DefaultAbsoluteTimeout = 12 * time.Hour
	// touchEvery limits LastSeen writes to one a minute per session.
	touchEvery = time.Minute
)

// randToken is 32 random bytes, base64url without padding (43 characters).
func randToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

const tokenLen = 43

// sessionID is what is stored for a cookie value: its SHA-256, in hex.
func sessionID(cookieValue string) string {
	sum := sha256.Sum256([]byte(cookieValue))
	return hex.EncodeToString(sum[:])
}

func (h *Handler) secure(r *http.Request) bool {
	return r.TLS != nil || (h.TrustForwardedProto && r.Header.Get("X-Forwarded-Proto") == "https")
}

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure(r),
	})
}

// CurrentSession returns the request's session and its user. Every call
// re-reads the user: a disabled or deleted user is refused at once and all
// of their sessions are revoked (ErrUserDisabled). A missing, unknown,
// revoked or expired (idle or absolute) session is ErrNoSession.
func (h *Handler) CurrentSession(r *http.Request) (*Session, *directory.User, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || len(c.Value) != tokenLen {
		return nil, nil, ErrNoSession
	}
	ctx := r.Context()
	s, u, err := h.sessions().SessionUser(ctx, sessionID(c.Value))
	if errors.Is(err, directory.ErrNotFound) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read session: %w", err)
	}
	now := h.now()
	switch {
	case s.Revoked != nil:
		return nil, nil, fmt.Errorf("%w: revoked", ErrNoSession)
	case !now.Before(s.Expires):
		return nil, nil, fmt.Errorf("%w: absolute lifetime over", ErrNoSession)
	case !now.Before(s.LastSeen.Add(h.idle())):
		return nil, nil, fmt.Errorf("%w: idle too long", ErrNoSession)
	}
	if u == nil || u.Deleted != nil || !u.AccountEnabled {
		n, rerr := h.sessions().RevokeUserSessions(ctx, s.UserID, now)
		h.log().Info("session refused: user disabled or deleted", "user", s.UserID, "revoked", n, "err", rerr)
		return nil, nil, ErrUserDisabled
	}
	if now.Sub(s.LastSeen) >= touchEvery {
		if err := h.sessions().TouchSession(ctx, s.ID, now); err != nil {
			return nil, nil, fmt.Errorf("touch session: %w", err)
		}
		s.LastSeen = now
	}
	return s, u, nil
}

// startSession creates a session and sets its cookie. created and expires
// carry over from the session it replaces on a step-up, so adding a factor
// does not extend the absolute lifetime.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, userID string, mfa bool, created, expires time.Time) (*Session, error) {
	raw := randToken()
	now := h.now()
	s := &Session{ID: sessionID(raw), UserID: userID, Created: created, LastSeen: now, Expires: expires,
		MFA: mfa, CSRF: randToken()}
	if err := h.sessions().CreateSession(r.Context(), s); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	h.setCookie(w, r, SessionCookie, raw, 0)
	return s, nil
}

// RevokeAllForUser revokes every session of a user; the directory calls it
// when a user is disabled, deleted or has their password reset.
// (CurrentSession refuses such users anyway; this also ends sessions that
// are not being used.)
func RevokeAllForUser(ctx context.Context, sessions directory.SessionStore, userID string, at time.Time) (int, error) {
	n, err := sessions.RevokeUserSessions(ctx, userID, at)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions of %q: %w", userID, err)
	}
	return n, nil
}

// RevokeAllForUser is the package function with the handler's store and clock.
func (h *Handler) RevokeAllForUser(ctx context.Context, userID string) (int, error) {
	return RevokeAllForUser(ctx, h.sessions(), userID, h.now())
}

// CSRFToken is the token a form of the session must carry in a field named
// "csrf"; other packages (My Apps) use it with CheckCSRF.
func (h *Handler) CSRFToken(s *Session) string { return s.CSRF }

// CheckCSRF reports, in constant time, whether the request's "csrf" form
// field is the session's token. SameSite=Lax alone is not relied on.
func (h *Handler) CheckCSRF(r *http.Request, s *Session) bool {
	return s != nil && tokensEqual(r.PostFormValue("csrf"), s.CSRF)
}

func tokensEqual(got, want string) bool {
	return want != "" && len(got) == len(want) && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// preSessionCSRF returns the CSRF cookie's token, setting a new one when
// there is none.
func (h *Handler) preSessionCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(CSRFCookie); err == nil && len(c.Value) == tokenLen {
		return c.Value
	}
	t := randToken()
	h.setCookie(w, r, CSRFCookie, t, 0)
	return t
}
