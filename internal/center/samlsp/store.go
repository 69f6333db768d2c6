package samlsp

import (
	"context"
	"errors"
	"time"
)

// Identity sources, as the AWS console names them.
const (
	SourceCenter   = "center"   // "Identity Center directory": its own users
	SourceExternal = "external" // "External identity provider": SAML 2.0
)

// Store errors, returned by every Store implementation.
var (
	// ErrNotFound: no identity source was stored yet, or no such session.
	ErrNotFound = errors.New("samlsp: not found")
	// ErrUnknownRequest: InResponseTo names no outstanding, unexpired
	// AuthnRequest (never sent, expired, or already consumed).
	ErrUnknownRequest = errors.New("samlsp: InResponseTo matches no outstanding AuthnRequest")
	// ErrReplay: the assertion ID was already used.
	ErrReplay = errors.New("samlsp: assertion ID already used")
)

// StoredSource is the identity source as stored: the metadata is kept
// verbatim and parsed (ParseIdPMetadata) whenever it is loaded.
type StoredSource struct {
	Source      string // SourceCenter or SourceExternal
	IdPMetadata string // the uploaded metadata XML when Source is SourceExternal
	Updated     time.Time
}

// Session is an access-portal session. The cookie carries a random secret;
// the store keeps only its SHA-256 (IDHash).
type Session struct {
	IDHash  string
	UserID  string
	Created time.Time
	Expires time.Time
	// Tags are the session tags from the assertion's
	// https://aws.amazon.com/SAML/Attributes/AccessControl:<key> attributes.
	Tags    map[string]string
	Revoked *time.Time
}

// Active reports whether the session can be used at now.
func (s *Session) Active(now time.Time) bool {
	return s.Revoked == nil && now.Before(s.Expires)
}

// SignIn is everything a successful ACS POST writes, in one transaction, so
// that a refusal at any point changes nothing.
type SignIn struct {
	// RequestID is the InResponseTo to consume; empty for IdP-initiated.
	RequestID string
	// AssertionID is recorded until AssertionExpires so that it is never
	// accepted twice.
	AssertionID      string
	AssertionExpires time.Time
	Session          *Session
	Now              time.Time
}

// Store is the SP's persistence; internal/store/centerdb implements it on
// the center's tables.
type Store interface {
	// SAMLSource returns the stored identity source, or ErrNotFound.
	SAMLSource(ctx context.Context) (*StoredSource, error)
	// PutSAMLSource replaces the identity source.
	PutSAMLSource(ctx context.Context, s *StoredSource) error
	// PutAuthnRequest records an AuthnRequest ID until expires.
	PutAuthnRequest(ctx context.Context, id string, created, expires time.Time) error
	// CompleteSignIn, atomically: consumes s.RequestID if set (else
	// ErrUnknownRequest), records s.AssertionID (else ErrReplay) and stores
	// s.Session. On error nothing is written.
	CompleteSignIn(ctx context.Context, s *SignIn) error
	// PortalSession returns the session with the given id hash, or
	// ErrNotFound.
	PortalSession(ctx context.Context, idHash string) (*Session, error)
	// RevokePortalSession ends one session.
	RevokePortalSession(ctx context.Context, idHash string, at time.Time) error
	// RevokeUserSessions ends every active session of a user and returns
	// how many it ended.
	RevokeUserSessions(ctx context.Context, userID string, at time.Time) (int, error)
	// PurgeSAML deletes expired AuthnRequest IDs, replay-cache entries and
	// sessions.
	PurgeSAML(ctx context.Context, now time.Time) error
}
