package center

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"
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
// "<id>.<secret>" is the only copy of the secret.
func NewSCIMToken(now time.Time) (*SCIMToken, string) {
	id := make([]byte, 8)
	secret := make([]byte, 32)
	rand.Read(id)
	rand.Read(secret)
	t := &SCIMToken{
		ID:      hex.EncodeToString(id),
		Created: now.UTC(),
		Expires: now.UTC().Add(SCIMTokenLifetime),
	}
	s := base64.RawURLEncoding.EncodeToString(secret)
	t.SecretHash = hashSecret(s)
	return t, t.ID + "." + s
}

// hashSecret hashes a 256-bit random secret. A fast hash is right here: the
// secret has full entropy, so there is nothing for a slow hash to protect.
func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// VerifySCIMToken checks a bearer token against the store: the token's id
// selects the record, and the secret's hash is compared in constant time.
func VerifySCIMToken(ctx context.Context, s Store, bearer string, now time.Time) (*SCIMToken, error) {
	id, secret, ok := strings.Cut(bearer, ".")
	if !ok || id == "" || secret == "" {
		return nil, ErrUnauthorized
	}
	t, err := s.GetSCIMToken(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(t.SecretHash)) != 1 || !t.Active(now) {
		return nil, ErrUnauthorized
	}
	return t, nil
}
