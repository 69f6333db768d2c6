package center

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/scim"
)

// Domain errors. Each API maps them to its wire format in one place (the SCIM
// server to SCIM errors, later the AWS API to __type codes).
var (
	ErrNotFound = errors.New("resource not found")
	ErrConflict = errors.New("resource already exists")
	ErrInvalid  = errors.New("invalid request")
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

// Instance identifies this center as AWS identifies an IAM Identity Center
// instance and its identity store.
type Instance struct {
	IdentityStoreID string // d-xxxxxxxxxx
	IDPrefix        string // 10 hex digits that prefix every user and group id
	InstanceID      string // ssoins-xxxxxxxxxxxxxxxx
	Created         time.Time
}

// Match is an equality condition of a list query. AWS allows only `eq`
// comparisons joined by `and` (shared/reference/aws-identity-center.md §1.4).
type Match struct {
	Attr  string // one of the Attr* constants
	Value string
}

// Filterable attributes, named as SCIM names them.
const (
	AttrID          = "id"
	AttrUserName    = "userName"
	AttrExternalID  = "externalId"
	AttrManager     = "manager"
	AttrGroups      = "groups"
	AttrDisplayName = "displayName"
	AttrMembers     = "members"
)

// Query selects a page of users or groups.
type Query struct {
	Match []Match
	// Count is the page size, 1..100.
	Count int
	// After is the cursor position (exclusive) in cursor mode; 0 is the start.
	After int64
	// Total asks for the total number of matches (non-cursor mode).
	Total bool
}

// UserPage is one page of users. Next is the cursor of the following page, 0
// when this is the last.
type UserPage struct {
	Users []*scim.User
	Total int
	Next  int64
}

// GroupPage is one page of groups.
type GroupPage struct {
	Groups []*scim.Group
	Total  int
	Next   int64
}

// Members edits a group's membership inside a group update. Every user id
// must name an existing user; adding a member twice or removing a non-member
// changes nothing.
type Members interface {
	Add(userIDs []string) error
	Remove(userIDs []string) error
	Replace(userIDs []string) error
}

// SCIMToken is a bearer token for the SCIM server. Only the hash of its
// secret is stored; the secret is shown once, at creation.
type SCIMToken struct {
	ID         string
	SecretHash string
	Created    time.Time
	Expires    time.Time
	Revoked    *time.Time
}

// Active reports whether the token can be used at now.
func (t *SCIMToken) Active(now time.Time) bool {
	return t.Revoked == nil && now.Before(t.Expires)
}

// Store is the center's persistence. Every backend passes the conformance
// suite in internal/store/storetest.
type Store interface {
	// Instance returns this center's identifiers, created on first use.
	Instance(ctx context.Context) (*Instance, error)

	// CreateUser stores u, whose ID and Meta the caller has set.
	// ErrConflict if the userName (compared case-insensitively) is taken.
	CreateUser(ctx context.Context, u *scim.User) error
	GetUser(ctx context.Context, id string) (*scim.User, error)
	// UpdateUser runs fn on the stored user inside a transaction and stores
	// the result, so a read-modify-write is atomic. fn may run more than once.
	UpdateUser(ctx context.Context, id string, fn func(u *scim.User) error) (*scim.User, error)
	// DeleteUser removes the user and its memberships.
	DeleteUser(ctx context.Context, id string) error
	ListUsers(ctx context.Context, q Query) (*UserPage, error)

	// CreateGroup stores g with the given members (existing user ids).
	CreateGroup(ctx context.Context, g *scim.Group, members []string) error
	GetGroup(ctx context.Context, id string) (*scim.Group, error)
	// UpdateGroup runs fn on the stored group inside a transaction; fn may
	// edit the membership through m. fn may run more than once.
	UpdateGroup(ctx context.Context, id string, fn func(g *scim.Group, m Members) error) (*scim.Group, error)
	DeleteGroup(ctx context.Context, id string) error
	ListGroups(ctx context.Context, q Query) (*GroupPage, error)

	// CreateSCIMToken stores t unless two tokens are already active at now
	// (AWS allows at most two), in which case it returns ErrConflict.
	CreateSCIMToken(ctx context.Context, t *SCIMToken, now time.Time) error
	GetSCIMToken(ctx context.Context, id string) (*SCIMToken, error)
	ListSCIMTokens(ctx context.Context) ([]*SCIMToken, error)
	RevokeSCIMToken(ctx context.Context, id string, at time.Time) error
}

// GroupMemberIDs lists the ids of a group's members (the center's groups are
// flat: members are users). Hooks that end sessions for lost access use it to
// find who a group change or a group's assignment change touches.
func GroupMemberIDs(ctx context.Context, s Store, groupID string) ([]string, error) {
	var ids []string
	q := Query{Match: []Match{{Attr: AttrGroups, Value: groupID}}, Count: 100}
	for {
		p, err := s.ListUsers(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, u := range p.Users {
			ids = append(ids, u.ID)
		}
		if p.Next == 0 {
			return ids, nil
		}
		q.After = p.Next
	}
}
