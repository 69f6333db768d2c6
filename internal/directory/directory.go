package directory

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Domain errors; each API maps them to its wire format in one place.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
	ErrInvalid  = errors.New("invalid")
)

// InvalidError is a validation failure with a message for the caller.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

// Invalidf builds an InvalidError.
func Invalidf(format string, args ...any) error {
	return &InvalidError{Msg: fmt.Sprintf(format, args...)}
}

// SoftDeleteRetention is how long a deleted user can be restored, as in
// Entra ID's recycle bin.
const SoftDeleteRetention = 30 * 24 * time.Hour

// User is a person in the directory, with Microsoft Graph's attribute names.
type User struct {
	ID                string     `json:"id"`
	UserPrincipalName string     `json:"userPrincipalName"`
	Mail              string     `json:"mail,omitempty"`
	MailNickname      string     `json:"mailNickname,omitempty"`
	GivenName         string     `json:"givenName,omitempty"`
	Surname           string     `json:"surname,omitempty"`
	DisplayName       string     `json:"displayName"`
	JobTitle          string     `json:"jobTitle,omitempty"`
	Department        string     `json:"department,omitempty"`
	EmployeeID        string     `json:"employeeId,omitempty"`
	CompanyName       string     `json:"companyName,omitempty"`
	MobilePhone       string     `json:"mobilePhone,omitempty"`
	BusinessPhones    []string   `json:"businessPhones"`
	OfficeLocation    string     `json:"officeLocation,omitempty"`
	StreetAddress     string     `json:"streetAddress,omitempty"`
	City              string     `json:"city,omitempty"`
	State             string     `json:"state,omitempty"`
	PostalCode        string     `json:"postalCode,omitempty"`
	Country           string     `json:"country,omitempty"`
	PreferredLanguage string     `json:"preferredLanguage,omitempty"`
	UsageLocation     string     `json:"usageLocation,omitempty"`
	ManagerID         string     `json:"managerId,omitempty"`
	AccountEnabled    bool       `json:"accountEnabled"`
	Created           time.Time  `json:"createdDateTime"`
	Modified          time.Time  `json:"modifiedDateTime"`
	Deleted           *time.Time `json:"deletedDateTime,omitempty"`
}

// Group is a security group with assigned membership; members are users or
// other groups.
type Group struct {
	ID              string    `json:"id"`
	DisplayName     string    `json:"displayName"`
	Description     string    `json:"description,omitempty"`
	MailNickname    string    `json:"mailNickname,omitempty"`
	SecurityEnabled bool      `json:"securityEnabled"`
	Created         time.Time `json:"createdDateTime"`
	Modified        time.Time `json:"modifiedDateTime"`
}

// Kinds of directory objects, as they appear in memberships, assignments
// and the outbox.
const (
	KindUser       = "user"
	KindGroup      = "group"
	KindApp        = "app"
	KindAssignment = "assignment"
)

// Member is a direct member of a group.
type Member struct {
	ID   string
	Kind string // KindUser or KindGroup
}

// App is an enterprise application: the directory's record of a service
// people sign in to and that users and groups are provisioned into.
type App struct {
	ID          string    `json:"id"`
	DisplayName string    `json:"displayName"`
	Template    string    `json:"template"` // e.g. "aws-iam-identity-center", or "scim"
	Created     time.Time `json:"createdDateTime"`
}

// DefaultAccessRole is the app role of an assignment that names none
// (Graph's all-zero "Default Access" role id).
const DefaultAccessRole = "00000000-0000-0000-0000-000000000000"

// Assignment gives a user or a group access to an app, in an app role.
type Assignment struct {
	ID            string    `json:"id"`
	AppID         string    `json:"resourceId"`
	PrincipalID   string    `json:"principalId"`
	PrincipalKind string    `json:"principalType"` // KindUser or KindGroup
	AppRoleID     string    `json:"appRoleId"`
	Created       time.Time `json:"createdDateTime"`
}

// Change is one outbox record: the object that changed and when. The
// provisioning engine re-reads the object, so the record carries no data.
type Change struct {
	Seq  int64
	Kind string // KindUser, KindGroup, KindApp or KindAssignment
	ID   string
	At   time.Time
}

// UserQuery selects users. Empty fields do not filter.
type UserQuery struct {
	// Eq matches attributes exactly (case-insensitively), keyed by Graph
	// attribute name; StartsWith matches prefixes.
	Eq, StartsWith map[string]string
	// Deleted selects the soft-deleted users instead of the live ones.
	Deleted bool
	After   string // id after which to start (ids are returned in order)
	Limit   int
}

// GroupQuery selects groups, as UserQuery does.
type GroupQuery struct {
	Eq, StartsWith map[string]string
	After          string
	Limit          int
}

// Store is the directory's persistence. Every write appends to the outbox
// in its own transaction.
type Store interface {
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, id string) (*User, error)
	// UpdateUser runs fn on the stored user in a transaction (fn may run
	// more than once) and stores the result.
	UpdateUser(ctx context.Context, id string, fn func(u *User) error) (*User, error)
	// DeleteUser soft-deletes: the user is kept, restorable, for
	// SoftDeleteRetention. RestoreUser brings it back; PurgeUser removes it
	// for good (a hard delete, which provisioning turns into a SCIM DELETE).
	DeleteUser(ctx context.Context, id string, at time.Time) error
	RestoreUser(ctx context.Context, id string, at time.Time) (*User, error)
	PurgeUser(ctx context.Context, id string, at time.Time) error
	// PurgeDeletedBefore hard-deletes users soft-deleted before t.
	PurgeDeletedBefore(ctx context.Context, t time.Time) (int, error)
	ListUsers(ctx context.Context, q UserQuery) ([]*User, error)
	// UserByUPN finds a live user by userPrincipalName, case-insensitively.
	UserByUPN(ctx context.Context, upn string) (*User, error)

	CreateGroup(ctx context.Context, g *Group) error
	GetGroup(ctx context.Context, id string) (*Group, error)
	UpdateGroup(ctx context.Context, id string, fn func(g *Group) error) (*Group, error)
	DeleteGroup(ctx context.Context, id string, at time.Time) error
	ListGroups(ctx context.Context, q GroupQuery) ([]*Group, error)

	// AddMember adds a user or group to a group. Adding a group that
	// contains the target (a cycle) is ErrInvalid; adding a member twice is
	// ErrConflict, as in Graph.
	AddMember(ctx context.Context, groupID, memberID string, at time.Time) error
	RemoveMember(ctx context.Context, groupID, memberID string, at time.Time) error
	Members(ctx context.Context, groupID string) ([]Member, error)
	// MemberOf lists the groups that directly contain the object.
	MemberOf(ctx context.Context, memberID string) ([]string, error)
	// Ancestors lists the groups that contain the object (a user or a
	// group) directly or through nested groups at any depth, nearest
	// first: by the number of nesting steps, then by id.
	Ancestors(ctx context.Context, id string) ([]string, error)

	// AddOwner makes a user an owner of a group (Graph's group owners).
	// An unknown group is ErrNotFound; an owner that is not a live user
	// is ErrInvalid; an owner added twice is ErrConflict, as in Graph.
	// Owners are not members and are not provisioned, so owner changes
	// append nothing to the outbox. A user's ownerships go when the user
	// is purged, and a group's when the group is deleted.
	AddOwner(ctx context.Context, groupID, userID string, at time.Time) error
	// RemoveOwner is ErrNotFound when the user does not own the group.
	RemoveOwner(ctx context.Context, groupID, userID string) error
	// Owners lists the ids of a group's owners, soft-deleted users
	// included (ActiveOwners keeps the ones who may act), in id order.
	Owners(ctx context.Context, groupID string) ([]string, error)
	// OwnedGroups lists the ids of the groups a user owns, in id order.
	OwnedGroups(ctx context.Context, userID string) ([]string, error)

	CreateApp(ctx context.Context, a *App) error
	GetApp(ctx context.Context, id string) (*App, error)
	ListApps(ctx context.Context) ([]*App, error)
	DeleteApp(ctx context.Context, id string, at time.Time) error
	Assign(ctx context.Context, a *Assignment) error
	Unassign(ctx context.Context, assignmentID string, at time.Time) error
	Assignments(ctx context.Context, appID string) ([]*Assignment, error)
	// AssignmentsOf lists the assignments naming the principal directly.
	AssignmentsOf(ctx context.Context, principalID string) ([]*Assignment, error)
	// AppsOf lists, by id, the apps assigned to the principal directly or
	// through groups that contain it at any depth.
	AppsOf(ctx context.Context, principalID string) ([]string, error)

	// Changes returns outbox records after seq, oldest first.
	Changes(ctx context.Context, after int64, limit int) ([]Change, error)
	// LastChange is the newest outbox seq (0 when empty).
	LastChange(ctx context.Context) (int64, error)
	// Notify returns a channel that receives (without blocking the writer)
	// after every committed write of this process, so consumers need not
	// poll. Writes of other processes are seen by polling Changes.
	Notify() <-chan struct{}
}

// APIToken is a bearer token for the Graph-compatible admin API; only the
// hash of its secret is stored.
type APIToken struct {
	ID         string
	Name       string
	SecretHash string
	Created    time.Time
	Revoked    *time.Time
}

// TokenStore keeps the admin API's tokens.
type TokenStore interface {
	CreateAPIToken(ctx context.Context, t *APIToken) error
	GetAPIToken(ctx context.Context, id string) (*APIToken, error)
	ListAPITokens(ctx context.Context) ([]*APIToken, error)
	RevokeAPIToken(ctx context.Context, id string, at time.Time) error
}

// Credentials is a user's sign-in state: password hash, TOTP enrollment and
// the counters behind lockout. A user without a row has no password and
// cannot sign in.
type Credentials struct {
	UserID string
	// PasswordHash is a PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
	PasswordHash string
	// TOTPSecret is the RFC 6238 secret sealed with secret.Box; empty when
	// the user has not enrolled.
	TOTPSecret string
	// TOTPLastStep is the last accepted time step (RFC 6238 §5.2: a code
	// is accepted once; that step and every earlier one are refused).
	TOTPLastStep int64
	// Failures counts consecutive failed sign-ins; LockedUntil is zero when
	// the account is not locked.
	Failures    int
	LockedUntil time.Time
	Updated     time.Time
}

// Session is a server-side browser session. Only the SHA-256 of the
// cookie's value is stored, as ID.
type Session struct {
	ID       string
	UserID   string
	Created  time.Time
	LastSeen time.Time
	// Expires is the absolute expiry; the idle expiry is LastSeen plus the
	// sign-in package's idle timeout.
	Expires time.Time
	// MFA is true when a second factor was verified for this session.
	MFA bool
	// CSRF is the token the session's forms carry.
	CSRF    string
	Revoked *time.Time
}

// CredentialStore keeps passwords, TOTP enrollments and lockout state.
type CredentialStore interface {
	// SetPassword stores a password hash for a live user (ErrNotFound
	// otherwise) and clears the failure count and lock.
	SetPassword(ctx context.Context, userID, hash string, at time.Time) error
	// CreateUserWithPassword is Store.CreateUser with the user's password
	// hash stored in the same transaction, so a user created with a
	// password never exists without it.
	CreateUserWithPassword(ctx context.Context, u *User, hash string) error
	// GetCredentials is ErrNotFound when the user has none.
	GetCredentials(ctx context.Context, userID string) (*Credentials, error)
	// RecordFailure adds one to the failure count, atomically, and sets
	// LockedUntil to at+lockFor(new count) when lockFor returns more than 0.
	RecordFailure(ctx context.Context, userID string, at time.Time, lockFor func(failures int) time.Duration) (*Credentials, error)
	// ResetFailures clears the failure count and lock.
	ResetFailures(ctx context.Context, userID string, at time.Time) error
	// SetTOTP enrolls a sealed TOTP secret whose first code used step.
	SetTOTP(ctx context.Context, userID, sealedSecret string, step int64, at time.Time) error
	// UseTOTPStep records step as used; it is ErrConflict, atomically, when
	// that step or a later one was already used (a replay).
	UseTOTPStep(ctx context.Context, userID string, step int64, at time.Time) error
}

// SessionStore keeps sign-in sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns a session by ID, revoked or expired ones included.
	GetSession(ctx context.Context, id string) (*Session, error)
	// SessionUser is GetSession and the session's user as Store.GetUser
	// returns it (soft-deleted included), or a nil user when there is none.
	SessionUser(ctx context.Context, id string) (*Session, *User, error)
	// TouchSession moves LastSeen forward.
	TouchSession(ctx context.Context, id string, at time.Time) error
	RevokeSession(ctx context.Context, id string, at time.Time) error
	// RevokeUserSessions revokes every live session of the user and says how
	// many there were.
	RevokeUserSessions(ctx context.Context, userID string, at time.Time) (int, error)
	// DeleteSessionsBefore removes sessions that expired or were revoked
	// before t.
	DeleteSessionsBefore(ctx context.Context, t time.Time) (int, error)
}
