package graphapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// NewAPIToken creates a token for the API and returns the bearer string
// "<id>.<secret>". It is shown once: only the hash of the secret is stored.
func NewAPIToken(ctx context.Context, ts directory.TokenStore, name string, now time.Time) (bearer string, err error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", directory.Invalidf("an API token needs a name")
	}
	t := secret.NewToken()
	rec := &directory.APIToken{ID: t.ID, Name: name, SecretHash: t.Hash, Created: now.UTC()}
	if err := ts.CreateAPIToken(ctx, rec); err != nil {
		return "", fmt.Errorf("create API token %q: %w", name, err)
	}
	return t.Bearer, nil
}

// unknownTokenHash is compared against when the token id is unknown, so that
// an unknown id costs the same time as a wrong secret.
const unknownTokenHash = "0000000000000000000000000000000000000000000000000000000000000000"

// authenticate checks "Authorization: Bearer <id>.<secret>":
//
//  1. no header, or an empty token: 401 "Access token is empty."
//  2. not Bearer, not id.secret, an unknown id, a wrong secret (compared in
//     constant time) or a revoked token: 401 "Access token validation
//     failure." The reason is logged with the token id, never the secret.
func (h *Handler) authenticate(r *http.Request) error {
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, token, _ := strings.Cut(auth, " ")
	token = strings.TrimSpace(token)
	if auth == "" || strings.EqualFold(auth, "Bearer") || strings.EqualFold(scheme, "Bearer") && token == "" {
		return errEmptyToken
	}
	if !strings.EqualFold(scheme, "Bearer") {
		return h.refuse(r, "", "not a Bearer token")
	}
	id, sec, ok := secret.SplitToken(token)
	if !ok {
		return h.refuse(r, "", "malformed token")
	}
	ts := h.Tokens
	if ts == nil {
		ts, _ = h.Store.(directory.TokenStore)
	}
	if ts == nil {
		return h.refuse(r, id, "no token store configured")
	}
	rec, err := ts.GetAPIToken(r.Context(), id)
	if errors.Is(err, directory.ErrNotFound) {
		secret.CheckToken(sec, unknownTokenHash)
		return h.refuse(r, id, "unknown token id")
	}
	if err != nil {
		return fmt.Errorf("read API token %s: %w", id, err)
	}
	if !secret.CheckToken(sec, rec.SecretHash) {
		return h.refuse(r, id, "wrong secret")
	}
	if rec.Revoked != nil {
		return h.refuse(r, id, "revoked token")
	}
	return nil
}

func (h *Handler) refuse(r *http.Request, tokenID, reason string) error {
	h.log().InfoContext(r.Context(), "graph: token refused", "token_id", tokenID, "reason", reason,
		"request_id", requestIDs(r).request)
	return errInvalidToken
}
