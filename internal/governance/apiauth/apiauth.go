package apiauth

import (
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// Errors for each API to map to its wire format.
var (
	// ErrUnauthenticated: no valid token and no valid session.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrNotJSON: a cookie-authenticated write that is not JSON.
	ErrNotJSON = errors.New("Content-Type must be application/json")
)

// Caller is who is calling: an admin (the token's id) or a user.
type Caller struct {
	Admin  string // API token id, for admin calls
	UserID string // the signed-in user, for self-service calls
	MFA    bool   // the user's session passed a second factor
}

// Authenticate reads the caller from r. With an Authorization header it is
// an admin bearer token ("<id>.<secret>", checked as the Graph API checks
// it); without one, the directory session cookie names the user. A
// cookie-authenticated write must be JSON: with the SameSite=Lax cookie
// this keeps cross-site forms (CSRF) out, since a cross-origin JSON request
// needs a CORS preflight that is never granted.
func Authenticate(r *http.Request, tokens directory.TokenStore, sessions *signin.Handler) (*Caller, error) {
	if auth := strings.TrimSpace(r.Header.Get("Authorization")); auth != "" {
		scheme, token, _ := strings.Cut(auth, " ")
		id, sec, ok := secret.SplitToken(strings.TrimSpace(token))
		if !strings.EqualFold(scheme, "Bearer") || !ok || tokens == nil {
			return nil, ErrUnauthenticated
		}
		rec, err := tokens.GetAPIToken(r.Context(), id)
		if errors.Is(err, directory.ErrNotFound) {
			return nil, ErrUnauthenticated
		}
		if err != nil {
			return nil, err
		}
		if !secret.CheckToken(sec, rec.SecretHash) || rec.Revoked != nil {
			return nil, ErrUnauthenticated
		}
		return &Caller{Admin: id}, nil
	}
	if sessions == nil {
		return nil, ErrUnauthenticated
	}
	s, u, err := sessions.CurrentSession(r)
	if errors.Is(err, signin.ErrNoSession) || errors.Is(err, signin.ErrUserDisabled) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	if r.Method != http.MethodGet {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			return nil, ErrNotJSON
		}
	}
	return &Caller{UserID: u.ID, MFA: s.MFA}, nil
}
