package centerdb

import (
	"context"
	"database/sql"
	"errors"

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
