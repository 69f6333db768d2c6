package directory

import (
	"context"
	"errors"
	"fmt"
)

// ActiveOwners lists the owners of a group who may act for it: live
// (not soft-deleted) users whose sign-in is enabled, in id order. A
// disabled or deleted owner keeps the ownership (it comes back with the
// account) but approves and reviews nothing meanwhile, as Entra lets only
// active owners review.
func ActiveOwners(ctx context.Context, s Store, groupID string) ([]string, error) {
	ids, err := s.Owners(ctx, groupID)
	if err != nil {
		return nil, fmt.Errorf("owners of %s: %w", groupID, err)
	}
	var out []string
	for _, id := range ids {
		u, err := s.GetUser(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("owner %s: %w", id, err)
		}
		if u.Deleted == nil && u.AccountEnabled {
			out = append(out, id)
		}
	}
	return out, nil
}
