package breakglass

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// KindUse is the audit record kind of every sign-in attempt and every
// account session opened with an emergency account.
const KindUse = "breakglass.use"

// Defaults.
const (
	// SessionDuration is how long an emergency session lasts.
	SessionDuration = time.Hour
	// MaxFailures consecutive failures lock an account for LockoutFor.
	MaxFailures = 5
	LockoutFor  = 15 * time.Minute
	// MinPasswordLen is the shortest password NewAccount accepts.
	MinPasswordLen = 16
	// MaxPasswordLen bounds what is hashed, in bytes.
	MaxPasswordLen = 1024
)

// Alert kinds.
const (
	AlertUsed   = "used"   // an emergency account signed in
	AlertLocked = "locked" // an emergency account was locked after failures
)

// Errors of the Store.
var (
	ErrNotFound = errors.New("breakglass: not found")
	ErrConflict = errors.New("breakglass: already exists")
	// ErrReplay: the TOTP step is not newer than the last one accepted.
	ErrReplay  = errors.New("breakglass: one-time code already used")
	ErrInvalid = errors.New("breakglass: invalid")
)

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Grant is one (AWS account, permission set) an emergency account may use.
type Grant struct {
	AccountID        string `json:"account_id"`
	PermissionSetARN string `json:"permission_set_arn"`
}

// Account is an emergency account.
type Account struct {
	ID       string
	Username string
	// PasswordHash is the argon2id PHC string.
	PasswordHash string
	// SealedTOTP is the base32 TOTP secret sealed with secret.Box under
	// TOTPContext(ID).
	SealedTOTP string
	// LastStep is the last TOTP time step accepted (0: none yet).
	LastStep    int64
	Grants      []Grant
	Failures    int
	LockedUntil *time.Time
	Created     time.Time
	LastUsed    *time.Time
}

// Locked reports whether the account is locked at now.
func (a *Account) Locked(now time.Time) bool {
	return a.LockedUntil != nil && now.Before(*a.LockedUntil)
}

// Allows reports whether g is one of the account's grants.
func (a *Account) Allows(accountID, permissionSetARN string) bool {
	for _, g := range a.Grants {
		if g.AccountID == accountID && g.PermissionSetARN == permissionSetARN {
			return true
		}
	}
	return false
}

// TOTPContext is the secret.Box context of an account's TOTP secret.
func TOTPContext(accountID string) string { return "breakglass-totp:" + accountID }

// UserID is the principal an emergency account's account sessions and
// audit records name.
func UserID(username string) string { return "breakglass:" + username }

// Session is an emergency session. The cookie carries a random secret; the
// store keeps only its SHA-256 (IDHash).
type Session struct {
	IDHash    string
	AccountID string
	Username  string
	Created   time.Time
	Expires   time.Time
	Revoked   *time.Time
}

// Active reports whether the session can be used at now.
func (s *Session) Active(now time.Time) bool { return s.Revoked == nil && now.Before(s.Expires) }

// Alert is a stored alert, shown until acknowledged.
type Alert struct {
	ID       string
	Kind     string // AlertUsed or AlertLocked
	Username string
	Remote   string
	At       time.Time
	AckAt    *time.Time
	AckBy    string
}

// Message is the alert as shown in the portal header and the CLI.
func (a *Alert) Message() string {
	at := a.At.UTC().Format("2006-01-02 15:04:05 UTC")
	if a.Kind == AlertLocked {
		return fmt.Sprintf("Emergency account %s locked after %d failed sign-ins at %s", a.Username, MaxFailures, at)
	}
	return fmt.Sprintf("Emergency access used by %s at %s", a.Username, at)
}

// SignIn is what a successful sign-in writes, in one transaction.
type SignIn struct {
	AccountID string
	// Step is recorded as LastStep only if it is greater than the stored
	// one, else the whole sign-in is ErrReplay and writes nothing.
	Step    int64
	Session *Session
	Alert   *Alert
	Now     time.Time
}

// Store persists emergency accounts, sessions and alerts;
// internal/store/centerdb implements it (migration 0015_breakglass.sql).
type Store interface {
	// CreateBreakGlassAccount stores a; ErrConflict if the username (case
	// folded) is taken.
	CreateBreakGlassAccount(ctx context.Context, a *Account) error
	// BreakGlassAccount returns the account by username (case folded), or
	// ErrNotFound.
	BreakGlassAccount(ctx context.Context, username string) (*Account, error)
	// BreakGlassAccountByID returns the account with that id, or ErrNotFound.
	BreakGlassAccountByID(ctx context.Context, id string) (*Account, error)
	// ListBreakGlassAccounts returns every account by username.
	ListBreakGlassAccounts(ctx context.Context) ([]*Account, error)
	// DeleteBreakGlassAccount deletes the account and its sessions.
	DeleteBreakGlassAccount(ctx context.Context, username string) error
	// UnlockBreakGlassAccount clears failures and the lock.
	UnlockBreakGlassAccount(ctx context.Context, username string) error
	// RecordBreakGlassFailure counts one failure of the account, atomically;
	// on reaching maxFailures it locks the account until now+lockFor,
	// stores alert (if not nil) and resets the count. It reports whether
	// this failure locked the account.
	RecordBreakGlassFailure(ctx context.Context, accountID string, maxFailures int, lockFor time.Duration, alert *Alert, now time.Time) (locked bool, err error)
	// CompleteBreakGlassSignIn, atomically: records s.Step (else ErrReplay),
	// resets failures, sets LastUsed, stores s.Session and s.Alert.
	CompleteBreakGlassSignIn(ctx context.Context, s *SignIn) error
	// BreakGlassSession returns the session with that id hash, or
	// ErrNotFound.
	BreakGlassSession(ctx context.Context, idHash string) (*Session, error)
	// RevokeBreakGlassSession ends one session.
	RevokeBreakGlassSession(ctx context.Context, idHash string, at time.Time) error
	// BreakGlassAlerts returns alerts, newest first; only unacknowledged
	// ones when open is true.
	BreakGlassAlerts(ctx context.Context, open bool) ([]*Alert, error)
	// AcknowledgeBreakGlassAlert marks one alert acknowledged (ErrNotFound
	// if there is no such unacknowledged alert).
	AcknowledgeBreakGlassAlert(ctx context.Context, id, by string, at time.Time) error
}
