package center

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/google/uuid"
)

// AccessKey is an AWS-style access key for the center's AWS-compatible API.
// SigV4 verification needs the secret itself, so it is stored encrypted
// (secret.Box, with the key id as context), never hashed, and shown once.
type AccessKey struct {
	ID           string // AKIA + 16 characters
	SecretSealed string
	Description  string
	Created      time.Time
}

// KeyStore keeps access keys.
type KeyStore interface {
	CreateAccessKey(ctx context.Context, k *AccessKey) error
	GetAccessKey(ctx context.Context, id string) (*AccessKey, error)
	ListAccessKeys(ctx context.Context) ([]*AccessKey, error)
	DeleteAccessKey(ctx context.Context, id string) error
	// Membership resolves an identity store membership id.
	Membership(ctx context.Context, membershipID string) (groupID, userID string, err error)
	// MembershipIDs returns the ids of those pairs that are memberships.
	MembershipIDs(ctx context.Context, pairs []MemberPair) (map[MemberPair]string, error)
}

// NewAccessKey draws an access key id (AKIA and 16 characters of base32,
// as AWS's) and a 40-character secret.
func NewAccessKey() (id, secret string) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, 16)
	rand.Read(b)
	out := []byte("AKIA")
	for _, c := range b {
		out = append(out, alphabet[int(c)%len(alphabet)])
	}
	s := make([]byte, 30)
	rand.Read(s)
	return string(out), base64.StdEncoding.EncodeToString(s)
}

// NewMembershipID draws the identity store id of a new membership: a UUID
// version 7, ordered by time, so the memberships of an initial sync (a
// million of them) append to the membership-id index instead of writing a
// random page of it each (docs/benchmarks.md, initial sync). A membership
// removed and added again gets a new id, as in AWS.
func NewMembershipID() string { return uuid.Must(uuid.NewV7()).String() }

// MemberPair is a user's membership in a group, by their ids.
type MemberPair struct{ GroupID, UserID string }

// NewResourceID draws a user or group id in the Identity Store's format,
// <10-hex identity store suffix>-<UUID> (aws-identity-center.md §1.9). The
// UUID is version 7, ordered by time, so that new rows land at the end of
// the primary-key index instead of on a random page: an initial sync of
// 100,000 users writes far fewer pages.
func NewResourceID(prefix string) string {
	return prefix + "-" + uuid.Must(uuid.NewV7()).String()
}
