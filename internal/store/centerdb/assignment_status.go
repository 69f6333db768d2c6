package centerdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

// What the sso-admin API keeps beyond center.AccessStore (migration 0009):
// the statuses of its asynchronous requests by request id, the instance's
// ABAC configuration, and which permission sets are provisioned where.

// Request status kinds.
const (
	KindAssignmentCreation = "ASSIGNMENT_CREATION"
	KindAssignmentDeletion = "ASSIGNMENT_DELETION"
	KindProvisioning       = "PERMISSION_SET_PROVISIONING"
)

// PutRequestStatus records the status doc (a JSON object) of a request.
// Recording the same request id again keeps the first record.
func (s *Store) PutRequestStatus(ctx context.Context, kind, requestID string, doc []byte, created time.Time) error {
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO center_request_status (request_id, kind, doc, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (request_id) DO NOTHING`, requestID, kind, string(doc), ms(created))
		return err
	})
	if err != nil {
		return fmt.Errorf("put request status %s: %w", requestID, err)
	}
	return nil
}

// RequestStatus returns the status doc of a request of that kind, or
// center.ErrNotFound.
func (s *Store) RequestStatus(ctx context.Context, kind, requestID string) ([]byte, error) {
	var doc string
	err := s.db.Read.QueryRowContext(ctx, `SELECT doc FROM center_request_status WHERE request_id = $1 AND kind = $2`,
		requestID, kind).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("request %s: %w", requestID, center.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("request status %s: %w", requestID, err)
	}
	return []byte(doc), nil
}

// AccessControlAttributes returns the ABAC configuration doc and when it
// was created, or center.ErrNotFound.
func (s *Store) AccessControlAttributes(ctx context.Context) ([]byte, time.Time, error) {
	var doc string
	var created int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT doc, created_at FROM center_access_control_attributes WHERE id = 1`).
		Scan(&doc, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, fmt.Errorf("access control attributes: %w", center.ErrNotFound)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("access control attributes: %w", err)
	}
	return []byte(doc), fromMS(created), nil
}

// PutAccessControlAttributes stores the ABAC configuration: create
// refuses with center.ErrConflict if there is one, an update with
// center.ErrNotFound if there is none.
func (s *Store) PutAccessControlAttributes(ctx context.Context, doc []byte, create bool, now time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if create {
			_, err := tx.Exec(`INSERT INTO center_access_control_attributes (id, doc, created_at, updated_at)
				VALUES (1, $1, $2, $2)`, string(doc), ms(now))
			return conflict(err)
		}
		res, err := tx.Exec(`UPDATE center_access_control_attributes SET doc = $1, updated_at = $2 WHERE id = 1`,
			string(doc), ms(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return center.ErrNotFound
		}
		return nil
	})
}

// DeleteAccessControlAttributes removes the ABAC configuration, or returns
// center.ErrNotFound.
func (s *Store) DeleteAccessControlAttributes(ctx context.Context) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`DELETE FROM center_access_control_attributes WHERE id = 1`)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return center.ErrNotFound
		}
		return nil
	})
}

// ProvisionedAccounts returns the accounts a permission set is assigned
// (so provisioned) in, by id.
func (s *Store) ProvisionedAccounts(ctx context.Context, permissionSetARN string) ([]string, error) {
	return s.strings(ctx, `SELECT DISTINCT account_id FROM center_account_assignments WHERE permission_set_arn = $1
		ORDER BY account_id`, permissionSetARN)
}

// ProvisionedPermissionSets returns the permission sets assigned (so
// provisioned) in an account, by ARN.
func (s *Store) ProvisionedPermissionSets(ctx context.Context, accountID string) ([]string, error) {
	return s.strings(ctx, `SELECT DISTINCT permission_set_arn FROM center_account_assignments WHERE account_id = $1
		ORDER BY permission_set_arn`, accountID)
}

func (s *Store) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.db.Read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
