package provisioning

import (
	"context"
	"errors"
	"sync"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// scoper answers "does this object belong in the target" for one job,
// reading assignments and memberships from the directory.
//
// A scoper lives for one session (a batch of changes or a cycle), so it
// reads the app's assignments once.
type scoper struct {
	dir   directory.Store
	appID string
	set   *Settings

	once          sync.Once
	groups, users map[string]bool
	err           error
}

// fresh returns a scoper that reads the assignments again.
func (s *scoper) fresh() *scoper { return &scoper{dir: s.dir, appID: s.appID, set: s.set} }

// assignedGroups returns the groups and the users assigned to the app.
func (s *scoper) assignedGroups(ctx context.Context) (map[string]bool, map[string]bool, error) {
	s.once.Do(func() {
		as, err := s.dir.Assignments(ctx, s.appID)
		if err != nil {
			s.err = err
			return
		}
		s.groups, s.users = map[string]bool{}, map[string]bool{}
		for _, a := range as {
			if a.PrincipalKind == directory.KindGroup {
				s.groups[a.PrincipalID] = true
			} else {
				s.users[a.PrincipalID] = true
			}
		}
	})
	return s.groups, s.users, s.err
}

// userAssigned reports whether the user is assigned to the app, directly or
// through a group: a direct member of an assigned group, or, with nested
// groups flattened, a member at any depth.
func (s *scoper) userAssigned(ctx context.Context, userID string) (bool, error) {
	groups, users, err := s.assignedGroups(ctx)
	if err != nil {
		return false, err
	}
	if users[userID] {
		return true, nil
	}
	seen := map[string]bool{}
	frontier := []string{userID}
	for depth := 0; len(frontier) > 0; depth++ {
		if depth == 1 && !s.set.FlattenNested {
			return false, nil
		}
		var next []string
		for _, id := range frontier {
			parents, err := s.dir.MemberOf(ctx, id)
			if err != nil {
				return false, err
			}
			for _, p := range parents {
				if groups[p] {
					return true, nil
				}
				if !seen[p] {
					seen[p] = true
					next = append(next, p)
				}
			}
		}
		frontier = next
	}
	return false, nil
}

// userInScope decides whether a live user belongs in the target as active:
// enabled, not soft-deleted, assigned (unless the scope is all), and passing
// the scoping filters.
func (s *scoper) userInScope(ctx context.Context, u *directory.User) (bool, error) {
	if u.Deleted != nil || !u.AccountEnabled {
		return false, nil
	}
	if s.set.Scope != ScopeAll {
		ok, err := s.userAssigned(ctx, u.ID)
		if err != nil || !ok {
			return false, err
		}
	}
	return inScope(s.set.ScopingFilters, userSource(u, false, nil)), nil
}

// groupInScope decides whether a group is provisioned: groups are on, and
// the group is assigned (or the scope is all).
func (s *scoper) groupInScope(ctx context.Context, g *directory.Group) (bool, error) {
	if !s.set.ProvisionGroups || g == nil {
		return false, nil
	}
	if s.set.Scope == ScopeAll {
		return true, nil
	}
	groups, _, err := s.assignedGroups(ctx)
	return groups[g.ID], err
}

// memberUsers returns the users of a group: direct user members, and with
// flattening the users of nested groups at any depth.
func (s *scoper) memberUsers(ctx context.Context, groupID string) ([]string, error) {
	seen := map[string]bool{groupID: true}
	var users []string
	frontier := []string{groupID}
	for len(frontier) > 0 {
		var next []string
		for _, g := range frontier {
			ms, err := s.dir.Members(ctx, g)
			if errors.Is(err, directory.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				if seen[m.ID] {
					continue
				}
				seen[m.ID] = true
				if m.Kind == directory.KindUser {
					users = append(users, m.ID)
				} else if s.set.FlattenNested {
					next = append(next, m.ID)
				}
			}
		}
		frontier = next
	}
	return users, nil
}
