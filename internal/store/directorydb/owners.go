package directorydb

import (
	"context"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

// Group owners. They are no members and no provisioned attribute, so these
// writes append nothing to the outbox and do not wake its consumers.

func (s *Store) AddOwner(ctx context.Context, groupID, userID string, at time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if k, err := kindOf(tx, groupID); err != nil || k != directory.KindGroup {
			return directory.ErrNotFound
		}
		if k, err := kindOf(tx, userID); err != nil || k != directory.KindUser {
			return directory.Invalidf("owner %s is not a user: a group's owners are users", userID)
		}
		_, err := tx.Exec(`INSERT INTO directory_group_owners (group_id, user_id, created_at) VALUES ($1, $2, $3)`,
			groupID, userID, ms(at))
		switch {
		case store.IsUniqueViolation(err):
			return directory.ErrConflict
		case store.IsForeignKeyViolation(err):
			// The user was purged by another node after the check.
			return directory.Invalidf("owner %s is not a user: a group's owners are users", userID)
		}
		return err
	})
}

func (s *Store) RemoveOwner(ctx context.Context, groupID, userID string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`DELETE FROM directory_group_owners WHERE group_id = $1 AND user_id = $2`, groupID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return directory.ErrNotFound
		}
		return nil
	})
}

func (s *Store) Owners(ctx context.Context, groupID string) ([]string, error) {
	return s.ownerIDs(ctx, `SELECT user_id FROM directory_group_owners WHERE group_id = $1 ORDER BY user_id`, groupID)
}

func (s *Store) OwnedGroups(ctx context.Context, userID string) ([]string, error) {
	return s.ownerIDs(ctx, `SELECT group_id FROM directory_group_owners WHERE user_id = $1 ORDER BY group_id`, userID)
}

func (s *Store) ownerIDs(ctx context.Context, query, id string) ([]string, error) {
	return store.Query(ctx, s.db.Read, func(row store.Scanner) (string, error) {
		var v string
		err := row.Scan(&v)
		return v, err
	}, query, id)
}
