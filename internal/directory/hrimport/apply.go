package hrimport

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// ApplyError is a store error that stopped Apply.
type ApplyError struct {
	Applied int     // changes made before the failing one
	Total   int     // changes in the plan
	Change  *Change // the change that failed
	Err     error
}

func (e *ApplyError) Error() string {
	at := ""
	if e.Change.Line > 0 {
		at = fmt.Sprintf(" (line %d)", e.Change.Line)
	}
	return fmt.Sprintf("applied %d of %d changes, then %s%s: %v", e.Applied, e.Total, e.Change, at, e.Err)
}

func (e *ApplyError) Unwrap() error { return e.Err }

// Apply makes the plan's changes in order, each with its own store write
// (so each appends its own outbox record and provisioning can push it at
// once), stamped with now(). It stops at the first error and returns how
// many changes it made; the error is then an *ApplyError.
//
// An update sets only the attributes in its diffs, on the user as stored at
// that moment, and checks the result again with directory.ValidateUser,
// since the user may have changed since the plan was computed.
func Apply(ctx context.Context, s directory.Store, p *Plan, now func() time.Time) (int, error) {
	for i, c := range p.Changes {
		fail := func(err error) (int, error) {
			return i, &ApplyError{Applied: i, Total: len(p.Changes), Change: c, Err: err}
		}
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		at := now().UTC().Truncate(time.Millisecond)
		var err error
		switch c.Op {
		case OpCreate:
			u := clone(c.User)
			u.Created, u.Modified = at, at
			err = s.CreateUser(ctx, u)
		case OpUpdate:
			_, err = s.UpdateUser(ctx, c.UserID, func(u *directory.User) error {
				before := problems(directory.ValidateUser(u))
				for _, d := range c.Diffs {
					d.apply(u)
				}
				for _, msg := range problems(directory.ValidateUser(u)) {
					if !slices.Contains(before, msg) {
						return directory.Invalidf("%s", msg)
					}
				}
				u.Modified = at
				return nil
			})
		case OpDisable:
			_, err = s.UpdateUser(ctx, c.UserID, func(u *directory.User) error {
				u.AccountEnabled, u.Modified = false, at
				return nil
			})
		default:
			err = fmt.Errorf("unknown change %q", c.Op)
		}
		if err != nil {
			return fail(err)
		}
	}
	return len(p.Changes), nil
}
