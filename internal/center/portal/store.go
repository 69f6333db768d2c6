package portal

import (
	"context"
	"time"
)

// AccountSession is a sign-in to one account as one permission set, opened
// from the portal. It lasts the permission set's SessionDuration and carries
// the tags of the portal session it was opened from.
type AccountSession struct {
	// ID is the session's random identifier. It is set only on the value
	// OpenSession returns; the store keeps only IDHash, its SHA-256.
	ID                string
	IDHash            string
	PortalSessionHash string // the samlsp.Session.IDHash it was opened from
	UserID            string
	AccountID         string
	PermissionSetARN  string
	RoleName          string // AWSReservedSSO_<name>_<16 hex>, see RoleName
	Tags              map[string]string
	Created           time.Time
	Expires           time.Time
	Revoked           *time.Time
}

// Active reports whether the session can be used at now.
func (s *AccountSession) Active(now time.Time) bool {
	return s.Revoked == nil && now.Before(s.Expires)
}

// SessionStore persists account sessions; internal/store/centerdb
// implements it (migration 0010_center_account_sessions.sql).
type SessionStore interface {
	// CreateAccountSession stores s (IDHash set, ID ignored).
	CreateAccountSession(ctx context.Context, s *AccountSession) error
	// AccountSessions returns every session of the user, revoked and
	// expired ones included, newest first.
	AccountSessions(ctx context.Context, userID string) ([]*AccountSession, error)
	// RevokePortalAccountSessions ends every unrevoked session opened from
	// one portal session and returns how many it ended.
	RevokePortalAccountSessions(ctx context.Context, portalSessionHash string, at time.Time) (int, error)
	// RevokeUserAccountSessions ends every unrevoked session of a user and
	// returns how many it ended.
	RevokeUserAccountSessions(ctx context.Context, userID string, at time.Time) (int, error)
	// RevokeAccountSession ends one session.
	RevokeAccountSession(ctx context.Context, idHash string, at time.Time) error
	// PurgeAccountSessions deletes sessions that expired before now.
	PurgeAccountSessions(ctx context.Context, now time.Time) error
}
