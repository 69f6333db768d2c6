package directorydb

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/store"
)

// Console roles and the admin's "reset MFA". Like sign-in state these are
// not directory changes: nothing is appended to the outbox.

// SetConsoleRole gives a live user a console role ("admin" or "read-only");
// an empty role (or "none") takes console access away.
func (s *Store) SetConsoleRole(ctx context.Context, userID, role string, at time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if role == "" || role == "none" {
			_, err := tx.Exec(`DELETE FROM directory_console_roles WHERE user_id = $1`, userID)
			return err
		}
		if err := liveUser(tx, userID); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO directory_console_roles (user_id, role, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET role = $2, updated_at = $3`, userID, role, ms(at))
		return err
	})
}

// ConsoleRole is the user's console role, or "" when they have none.
func (s *Store) ConsoleRole(ctx context.Context, userID string) (string, error) {
	var role string
	err := s.db.Read.QueryRowContext(ctx, `SELECT role FROM directory_console_roles WHERE user_id = $1`, userID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return role, err
}

// ResetMFA removes the user's TOTP enrollment, so that their next sign-in
// to an app that needs a second factor enrolls again.
func (s *Store) ResetMFA(ctx context.Context, userID string, at time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := liveUser(tx, userID); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE directory_credentials SET totp_secret = '', totp_last_step = 0, updated_at = $2 WHERE user_id = $1`,
			userID, ms(at))
		return err
	})
}
