package center

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// SCIMTokenLifetime is how long a SCIM access token is valid: one year, as in
// AWS ("SCIM access tokens are generated with a validity of one year").
const SCIMTokenLifetime = 365 * 24 * time.Hour

// MaxActiveSCIMTokens is AWS's limit of two tokens at a time.
const MaxActiveSCIMTokens = 2

// ErrUnauthorized is returned for a missing, malformed, unknown, expired or
// revoked token; the caller learns nothing about which.
var ErrUnauthorized = errors.New("unauthorized")

// NewSCIMToken makes a token valid from now. The returned bearer string
// is the only copy of the secret.
func NewSCIMToken(now time.Time) (*SCIMToken, string) {
	tok := secret.NewToken()
	return &SCIMToken{
		ID:         tok.ID,
		SecretHash: tok.Hash,
		Created:    now.UTC(),
		Expires:    now.UTC().Add(SCIMTokenLifetime),
	}, tok.Bearer
}

// VerifySCIMToken checks a bearer token against the store: the token's id
// selects the record, and the secret's hash is compared in constant time.
func VerifySCIMToken(ctx context.Context, s Store, bearer string, now time.Time) (*SCIMToken, error) {
	id, sec, ok := secret.SplitToken(bearer)
	if !ok {
		return nil, ErrUnauthorized
	}
	t, err := s.GetSCIMToken(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if !secret.CheckToken(sec, t.SecretHash) || !t.Active(now) {
		return nil, ErrUnauthorized
	}
	return t, nil
}
