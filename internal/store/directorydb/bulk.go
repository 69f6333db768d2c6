package directorydb

import (
	"context"
	"encoding/json"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

// BulkLoad writes users, groups and memberships in large transactions and
// records no outbox changes: it is for loading an initial directory (a
// migration, a benchmark), after which provisioning starts with an initial
// cycle that reconciles everything anyway.
func (s *Store) BulkLoad(ctx context.Context, users []*directory.User, groups []*directory.Group, members map[string][]directory.Member,
	assignments []*directory.Assignment) error {
	const chunk = 5000
	for i := 0; i < len(users); i += chunk {
		part := users[i:min(i+chunk, len(users))]
		if err := s.db.Update(ctx, func(tx *store.Tx) error {
			for _, u := range part {
				doc, err := json.Marshal(u)
				if err != nil {
					return err
				}
				if _, err := tx.Exec(`INSERT INTO directory_users (id, upn_key, employee_id, doc, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $5, $6)`, u.ID, key(u.UserPrincipalName), nullable(u.EmployeeID), string(doc),
					ms(u.Created), ms(u.Modified)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	for i := 0; i < len(groups); i += chunk {
		part := groups[i:min(i+chunk, len(groups))]
		if err := s.db.Update(ctx, func(tx *store.Tx) error {
			for _, g := range part {
				doc, err := json.Marshal(g)
				if err != nil {
					return err
				}
				if _, err := tx.Exec(`INSERT INTO directory_groups (id, display_name_key, doc, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $5)`, g.ID, key(g.DisplayName), string(doc), ms(g.Created), ms(g.Modified)); err != nil {
					return err
				}
				for _, m := range members[g.ID] {
					if _, err := tx.Exec(`INSERT INTO directory_members (group_id, member_id, member_kind) VALUES ($1, $2, $3)`,
						g.ID, m.ID, m.Kind); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		for _, a := range assignments {
			if a.AppRoleID == "" {
				a.AppRoleID = directory.DefaultAccessRole
			}
			if _, err := tx.Exec(`INSERT INTO directory_assignments (id, app_id, principal_id, principal_kind, app_role_id, created_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, a.ID, a.AppID, a.PrincipalID, a.PrincipalKind, a.AppRoleID, ms(a.Created)); err != nil {
				return err
			}
		}
		return nil
	})
}
