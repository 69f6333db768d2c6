package centerdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center/portal"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

// Account sessions of the access portal (migration
// 0010_center_account_sessions.sql).

var _ portal.SessionStore = (*Store)(nil)

// CreateAccountSession stores an account session by the hash of its id.
func (s *Store) CreateAccountSession(ctx context.Context, as *portal.AccountSession) error {
	tags := as.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	doc, err := json.Marshal(tags)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO center_account_sessions (id_hash, portal_session, user_id, account_id,
			permission_set_arn, role_name, tags, created_at, expires_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)`,
			as.IDHash, as.PortalSessionHash, as.UserID, as.AccountID, as.PermissionSetARN, as.RoleName,
			string(doc), ms(as.Created), ms(as.Expires))
		return conflict(err)
	})
}

// AccountSessions returns every account session of a user, newest first.
func (s *Store) AccountSessions(ctx context.Context, userID string) ([]*portal.AccountSession, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id_hash, portal_session, user_id, account_id, permission_set_arn,
			role_name, tags, created_at, expires_at, revoked_at
		FROM center_account_sessions WHERE user_id = $1 ORDER BY created_at DESC, id_hash`, userID)
	if err != nil {
		return nil, fmt.Errorf("account sessions: %w", err)
	}
	defer rows.Close()
	out := []*portal.AccountSession{}
	for rows.Next() {
		var as portal.AccountSession
		var tags string
		var created, expires int64
		var revoked sql.NullInt64
		if err := rows.Scan(&as.IDHash, &as.PortalSessionHash, &as.UserID, &as.AccountID, &as.PermissionSetARN,
			&as.RoleName, &tags, &created, &expires, &revoked); err != nil {
			return nil, fmt.Errorf("account sessions: %w", err)
		}
		as.Created, as.Expires = fromMS(created), fromMS(expires)
		if revoked.Valid {
			t := fromMS(revoked.Int64)
			as.Revoked = &t
		}
		if err := json.Unmarshal([]byte(tags), &as.Tags); err != nil {
			return nil, fmt.Errorf("account session tags: %w", err)
		}
		out = append(out, &as)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("account sessions: %w", err)
	}
	return out, nil
}

func (s *Store) revokeAccountSessions(ctx context.Context, column, value string, at time.Time) (int, error) {
	var n int64
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE center_account_sessions SET revoked_at = $2 WHERE `+column+` = $1 AND revoked_at IS NULL`,
			value, ms(at))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// RevokePortalAccountSessions ends the sessions opened from one portal
// session.
func (s *Store) RevokePortalAccountSessions(ctx context.Context, portalSessionHash string, at time.Time) (int, error) {
	return s.revokeAccountSessions(ctx, "portal_session", portalSessionHash, at)
}

// RevokeUserAccountSessions ends every account session of a user.
func (s *Store) RevokeUserAccountSessions(ctx context.Context, userID string, at time.Time) (int, error) {
	return s.revokeAccountSessions(ctx, "user_id", userID, at)
}

// RevokeAccountSession ends one account session.
func (s *Store) RevokeAccountSession(ctx context.Context, idHash string, at time.Time) error {
	_, err := s.revokeAccountSessions(ctx, "id_hash", idHash, at)
	return err
}

// PurgeAccountSessions deletes expired account sessions.
func (s *Store) PurgeAccountSessions(ctx context.Context, now time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`DELETE FROM center_account_sessions WHERE expires_at <= $1`, ms(now))
		return err
	})
}
