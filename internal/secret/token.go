package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Token is a bearer token "<id>.<secret>": the id selects the stored record
// and is not secret; the secret has 256 bits of entropy.
type Token struct {
	ID     string
	Bearer string // the whole token, shown once
	Hash   string // what is stored
}

// NewToken draws a token.
func NewToken() Token {
	id := make([]byte, 8)
	s := make([]byte, 32)
	rand.Read(id)
	rand.Read(s)
	t := Token{ID: hex.EncodeToString(id)}
	sec := base64.RawURLEncoding.EncodeToString(s)
	t.Bearer, t.Hash = t.ID+"."+sec, hash(sec)
	return t
}

// hash is SHA-256: the secret has full entropy, so a slow password hash
// would add cost and no protection.
func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// SplitToken returns the id and secret of a bearer token.
func SplitToken(bearer string) (id, sec string, ok bool) {
	id, sec, ok = strings.Cut(bearer, ".")
	return id, sec, ok && id != "" && sec != ""
}

// CheckToken reports, in constant time, whether sec matches the stored hash.
func CheckToken(sec, storedHash string) bool {
	return subtle.ConstantTimeCompare([]byte(hash(sec)), []byte(storedHash)) == 1
}
