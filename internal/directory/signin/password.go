package signin

import (
	"context"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// Password policy.
const (
	MinPasswordLen = 12 // characters
	// MaxPasswordLen bounds what is hashed, in bytes.
	MaxPasswordLen = 1024
)

// The hasher lives in package secret, shared with the center's emergency
// accounts; these names keep sign-in's API.
type Hasher = secret.Hasher

// NewHasher returns a Hasher running at most limit hashes at once (0 means
// GOMAXPROCS).
func NewHasher(limit int) *Hasher { return secret.NewHasher(limit) }

// ErrBusy is returned when no hashing slot frees up before the context ends.
var ErrBusy = secret.ErrBusy

var defaultHasher = sync.OnceValue(func() *Hasher { return NewHasher(0) })

// CheckPasswordPolicy says why a new password is refused, or nil.
func CheckPasswordPolicy(password string) error {
	if !utf8.ValidString(password) {
		return directory.Invalidf("The password is not valid UTF-8.")
	}
	if utf8.RuneCountInString(password) < MinPasswordLen {
		return directory.Invalidf("The password must be at least %d characters long.", MinPasswordLen)
	}
	if len(password) > MaxPasswordLen {
		return directory.Invalidf("The password must be at most %d bytes long.", MaxPasswordLen)
	}
	return nil
}

// SetPassword checks password against the policy, hashes it and stores it
// for the user (for the CLI and the demo). It also clears any lockout.
func SetPassword(ctx context.Context, store directory.CredentialStore, userID, password string) error {
	if err := CheckPasswordPolicy(password); err != nil {
		return err
	}
	encoded, err := defaultHasher().Hash(ctx, password)
	if err != nil {
		return err
	}
	if err := store.SetPassword(ctx, userID, encoded, time.Now().UTC()); err != nil {
		return fmt.Errorf("set password of %q: %w", userID, err)
	}
	return nil
}

// CreateUser creates u with its first password: the policy is checked and
// the password hashed before anything is stored, and the user and the hash
// are written in one transaction. The store's errors (ErrConflict for a
// taken userPrincipalName, ErrInvalid with its attribute errors) come back
// as they are.
func CreateUser(ctx context.Context, store directory.CredentialStore, u *directory.User, password string) error {
	if err := CheckPasswordPolicy(password); err != nil {
		return err
	}
	encoded, err := defaultHasher().Hash(ctx, password)
	if err != nil {
		return err
	}
	return store.CreateUserWithPassword(ctx, u, encoded)
}
