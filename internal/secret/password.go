package secret

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Passwords: the directory's sign-in and the center's emergency accounts
// both hash with this one argon2id implementation.

// Argon2id parameters: OWASP Password Storage Cheat Sheet's first
// configuration (m = 19 MiB, t = 2, p = 1), a 16-byte salt and a 32-byte key.
// Measured here at ~24 ms per hash per core (reference/perf-anchors.md §2.2).
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	saltLen      = 16
	keyLen       = 32
)

// ErrBusy is returned when no hashing slot frees up before the context ends.
var ErrBusy = errors.New("secret: too many password checks in progress")

// Hasher hashes and verifies passwords with argon2id. A semaphore bounds
// the hashes running at once, so a flood of logins queues instead of
// allocating 19 MiB per request.
type Hasher struct {
	sem      chan struct{}
	inFlight atomic.Int64
	peak     atomic.Int64
	count    atomic.Int64

	dummyOnce sync.Once
	dummy     string
}

// NewHasher returns a Hasher running at most limit hashes at once (0 means
// GOMAXPROCS).
func NewHasher(limit int) *Hasher {
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	return &Hasher{sem: make(chan struct{}, limit)}
}

// Limit is the most hashes that run at once.
func (h *Hasher) Limit() int { return cap(h.sem) }

// Count is how many hashes have run (or started) since the Hasher was made.
func (h *Hasher) Count() int64 { return h.count.Load() }

// Peak is the most hashes seen running at once since the Hasher was made.
func (h *Hasher) Peak() int { return int(h.peak.Load()) }

func (h *Hasher) run(ctx context.Context, fn func()) error {
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
	h.count.Add(1)
	n := h.inFlight.Add(1)
	for p := h.peak.Load(); n > p && !h.peak.CompareAndSwap(p, n); p = h.peak.Load() {
	}
	defer func() {
		h.inFlight.Add(-1)
		<-h.sem
	}()
	fn()
	return nil
}

// Hash returns the PHC string of password under a fresh salt.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	var key []byte
	if err := h.run(ctx, func() {
		key = argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, keyLen)
	}); err != nil {
		return "", err
	}
	return encodePHC(salt, key), nil
}

// encodePHC writes the PHC string of an argon2id hash with this package's
// parameters.
func encodePHC(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

type phc struct {
	m       uint32
	t       uint32
	p       uint8
	salt    []byte
	key     []byte
	version int
}

func parsePHC(s string) (*phc, error) {
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return nil, errors.New("secret: not an argon2id PHC string")
	}
	var x phc
	if _, err := fmt.Sscanf(parts[2], "v=%d", &x.version); err != nil || x.version != argon2.Version {
		return nil, errors.New("secret: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &x.m, &x.t, &x.p); err != nil {
		return nil, fmt.Errorf("secret: bad argon2 parameters: %w", err)
	}
	// Refuse parameters that would let a stored value exhaust memory or CPU.
	if x.m < 8 || x.m > 1<<20 || x.t < 1 || x.t > 16 || x.p < 1 || x.p > 16 {
		return nil, errors.New("secret: argon2 parameters out of range")
	}
	var err error
	b64 := base64.RawStdEncoding
	if x.salt, err = b64.DecodeString(parts[4]); err != nil || len(x.salt) < 8 {
		return nil, errors.New("secret: bad salt")
	}
	if x.key, err = b64.DecodeString(parts[5]); err != nil || len(x.key) < 16 || len(x.key) > 64 {
		return nil, errors.New("secret: bad hash")
	}
	return &x, nil
}

// Verify reports whether password matches the PHC string, comparing in
// constant time. It always computes one hash, with the stored parameters.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (bool, error) {
	x, err := parsePHC(encoded)
	if err != nil {
		return false, err
	}
	var key []byte
	if err := h.run(ctx, func() {
		key = argon2.IDKey([]byte(password), x.salt, x.t, x.m, x.p, uint32(len(x.key)))
	}); err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(key, x.key) == 1, nil
}

// VerifyDummy spends the same time as Verify on a real hash and reports
// nothing; it is used for unknown users, so that timing does not reveal
// which usernames exist.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	h.dummyOnce.Do(func() {
		salt := make([]byte, saltLen)
		rand.Read(salt)
		key := make([]byte, keyLen)
		rand.Read(key)
		h.dummy = encodePHC(salt, key)
	})
	_, err := h.Verify(ctx, h.dummy, password)
	return err
}
