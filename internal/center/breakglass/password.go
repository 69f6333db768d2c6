package breakglass

import "github.com/gatehouse-id/gatehouse/internal/secret"

// Emergency passwords are hashed with the same argon2id implementation as
// the directory's sign-in (package secret: OWASP parameters, PHC strings,
// constant-time comparison, bounded concurrency); the center does not
// import the directory for it.
type Hasher = secret.Hasher

// NewHasher returns a Hasher running at most limit hashes at once (0 means
// GOMAXPROCS).
func NewHasher(limit int) *Hasher { return secret.NewHasher(limit) }

// ErrBusy is returned when no hashing slot frees up before the context ends.
var ErrBusy = secret.ErrBusy
