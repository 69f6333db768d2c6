package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Box encrypts and decrypts small secrets with AES-256-GCM under one key.
type Box struct {
	aead cipher.AEAD
	key  []byte // kept only for DeriveKey
}

// NewBox makes a Box from a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secret: key must be 32 bytes, not %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead, key: append([]byte(nil), key...)}, nil
}

// DeriveKey returns a 32-byte key for another use of the secret key file,
// HMAC-SHA256(key, "gatehouse derive v1\n" + label): one per label, and
// none reveals the encryption key or another label's key. The audit log's
// hash chain uses one (audit.KeyLabel).
func (b *Box) DeriveKey(label string) []byte {
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte("gatehouse derive v1\n" + label))
	return m.Sum(nil)
}

// LoadOrCreateKey reads a base64 key from path, creating the file (mode
// 0600) with a new random key if it does not exist.
func LoadOrCreateKey(path string) (*Box, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		rand.Read(key)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(key)
		if err := os.WriteFile(path, []byte(enc+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("secret: write key: %w", err)
		}
		return NewBox(key)
	}
	if err != nil {
		return nil, fmt.Errorf("secret: read key: %w", err)
	}
	return ParseKey(strings.TrimSpace(string(b)))
}

// ParseKey makes a Box from a base64-encoded 32-byte key.
func ParseKey(s string) (*Box, error) {
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("secret: key is not base64: %w", err)
	}
	return NewBox(key)
}

// Seal encrypts plaintext; context binds the ciphertext to its use (for
// example the record it belongs to), so it cannot be moved to another one.
func (b *Box) Seal(plaintext, context string) string {
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce)
	ct := b.aead.Seal(nonce, nonce, []byte(plaintext), []byte(context))
	return "v1:" + base64.StdEncoding.EncodeToString(ct)
}

// Open decrypts what Seal produced with the same context.
func (b *Box) Open(sealed, context string) (string, error) {
	raw, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return "", errors.New("secret: unknown format")
	}
	ct, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(ct) < b.aead.NonceSize() {
		return "", errors.New("secret: malformed ciphertext")
	}
	pt, err := b.aead.Open(nil, ct[:b.aead.NonceSize()], ct[b.aead.NonceSize():], []byte(context))
	if err != nil {
		return "", errors.New("secret: cannot decrypt (wrong key or tampered)")
	}
	return string(pt), nil
}
