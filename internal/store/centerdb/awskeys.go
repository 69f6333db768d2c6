package centerdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

var _ center.KeyStore = (*Store)(nil)

func (s *Store) CreateAccessKey(ctx context.Context, k *center.AccessKey) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO center_access_keys (id, secret_sealed, description, created_at) VALUES ($1, $2, $3, $4)`,
			k.ID, k.SecretSealed, k.Description, ms(k.Created))
		return conflict(err)
	})
}

func scanKey(row interface{ Scan(...any) error }) (*center.AccessKey, error) {
	var k center.AccessKey
	var created int64
	if err := row.Scan(&k.ID, &k.SecretSealed, &k.Description, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, center.ErrNotFound
		}
		return nil, err
	}
	k.Created = fromMS(created)
	return &k, nil
}

func (s *Store) GetAccessKey(ctx context.Context, id string) (*center.AccessKey, error) {
	return scanKey(s.db.Read.QueryRowContext(ctx,
		`SELECT id, secret_sealed, description, created_at FROM center_access_keys WHERE id = $1`, id))
}

func (s *Store) ListAccessKeys(ctx context.Context) ([]*center.AccessKey, error) {
	return store.Query(ctx, s.db.Read, scanKey,
		`SELECT id, secret_sealed, description, created_at FROM center_access_keys ORDER BY created_at, id`)
}

func (s *Store) DeleteAccessKey(ctx context.Context, id string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		return deleteRow(tx, `DELETE FROM center_access_keys WHERE id = $1`, id)
	})
}

func (s *Store) Membership(ctx context.Context, membershipID string) (string, string, error) {
	var g, u string
	err := s.db.Read.QueryRowContext(ctx, `SELECT group_id, user_id FROM center_group_members WHERE membership_id = $1`,
		membershipID).Scan(&g, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", center.ErrNotFound
	}
	return g, u, err
}

// maxPairs bounds the pairs of one MembershipIDs query (two parameters
// each, well inside SQLite's and PostgreSQL's limits); AWS's pages and
// IsMemberInGroups carry at most 100.
const maxPairs = 500

func (s *Store) MembershipIDs(ctx context.Context, pairs []center.MemberPair) (map[center.MemberPair]string, error) {
	out := make(map[center.MemberPair]string, len(pairs))
	for len(pairs) > 0 {
		n := min(len(pairs), maxPairs)
		values := make([]string, n)
		args := make([]any, 0, 2*n)
		for i, p := range pairs[:n] {
			values[i] = fmt.Sprintf("($%d, $%d)", 2*i+1, 2*i+2)
			args = append(args, p.GroupID, p.UserID)
		}
		pairs = pairs[n:]
		rows, err := s.db.Read.QueryContext(ctx, `SELECT group_id, user_id, membership_id FROM center_group_members
			WHERE membership_id IS NOT NULL AND (group_id, user_id) IN (VALUES `+strings.Join(values, ", ")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var p center.MemberPair
			var id string
			if err := rows.Scan(&p.GroupID, &p.UserID, &id); err != nil {
				rows.Close()
				return nil, err
			}
			out[p] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
