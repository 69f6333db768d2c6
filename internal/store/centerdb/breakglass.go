package centerdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center/breakglass"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

// Emergency accounts, sessions and alerts (migration 0015_breakglass.sql).

var _ breakglass.Store = (*Store)(nil)

const bgAccountCols = `id, username, password_hash, sealed_totp, grants, last_totp_step, failures, locked_until,
	created_at, last_used_at`

func bgFromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

type bgScanner interface{ Scan(dest ...any) error }

func scanBGAccount(row bgScanner) (*breakglass.Account, error) {
	var a breakglass.Account
	var grants string
	var created int64
	var locked, used sql.NullInt64
	if err := row.Scan(&a.ID, &a.Username, &a.PasswordHash, &a.SealedTOTP, &grants, &a.LastStep, &a.Failures,
		&locked, &created, &used); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, breakglass.ErrNotFound
		}
		return nil, err
	}
	if err := json.Unmarshal([]byte(grants), &a.Grants); err != nil {
		return nil, fmt.Errorf("emergency account %s grants: %w", a.ID, err)
	}
	a.Created, a.LockedUntil, a.LastUsed = fromMS(created), bgFromNullMS(locked), bgFromNullMS(used)
	return &a, nil
}

// CreateBreakGlassAccount stores an emergency account.
func (s *Store) CreateBreakGlassAccount(ctx context.Context, a *breakglass.Account) error {
	grants := a.Grants
	if grants == nil {
		grants = []breakglass.Grant{}
	}
	doc, err := json.Marshal(grants)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO center_breakglass_accounts (id, username, username_key, password_hash, sealed_totp,
			grants, last_totp_step, failures, locked_until, created_at, last_used_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 0, NULL, $8, NULL)`,
			a.ID, a.Username, Key(a.Username), a.PasswordHash, a.SealedTOTP, string(doc), a.LastStep, ms(a.Created))
		if store.IsUniqueViolation(err) {
			return breakglass.ErrConflict
		}
		return err
	})
}

// BreakGlassAccount returns the emergency account by username.
func (s *Store) BreakGlassAccount(ctx context.Context, username string) (*breakglass.Account, error) {
	return scanBGAccount(s.db.Read.QueryRowContext(ctx, `SELECT `+bgAccountCols+`
		FROM center_breakglass_accounts WHERE username_key = $1`, Key(username)))
}

// BreakGlassAccountByID returns the emergency account with that id.
func (s *Store) BreakGlassAccountByID(ctx context.Context, id string) (*breakglass.Account, error) {
	return scanBGAccount(s.db.Read.QueryRowContext(ctx, `SELECT `+bgAccountCols+`
		FROM center_breakglass_accounts WHERE id = $1`, id))
}

// ListBreakGlassAccounts returns every emergency account by username.
func (s *Store) ListBreakGlassAccounts(ctx context.Context) ([]*breakglass.Account, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+bgAccountCols+`
		FROM center_breakglass_accounts ORDER BY username_key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*breakglass.Account{}
	for rows.Next() {
		a, err := scanBGAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// DeleteBreakGlassAccount deletes the account and its sessions.
func (s *Store) DeleteBreakGlassAccount(ctx context.Context, username string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		var id string
		if err := tx.QueryRow(`SELECT id FROM center_breakglass_accounts WHERE username_key = $1`, Key(username)).Scan(&id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return breakglass.ErrNotFound
			}
			return err
		}
		if _, err := tx.Exec(`DELETE FROM center_breakglass_sessions WHERE account_id = $1`, id); err != nil {
			return err
		}
		_, err := tx.Exec(`DELETE FROM center_breakglass_accounts WHERE id = $1`, id)
		return err
	})
}

// UnlockBreakGlassAccount clears the failure count and the lock.
func (s *Store) UnlockBreakGlassAccount(ctx context.Context, username string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE center_breakglass_accounts SET failures = 0, locked_until = NULL WHERE username_key = $1`, Key(username))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return breakglass.ErrNotFound
		}
		return nil
	})
}

func insertBGAlert(tx *store.Tx, a *breakglass.Alert) error {
	_, err := tx.Exec(`INSERT INTO center_breakglass_alerts (id, kind, username, remote, created_at, acknowledged_at, acknowledged_by)
		VALUES ($1, $2, $3, $4, $5, NULL, NULL)`, a.ID, a.Kind, a.Username, a.Remote, ms(a.At))
	return err
}

// RecordBreakGlassFailure counts one failure and locks the account on the
// maxFailures-th, storing alert then.
func (s *Store) RecordBreakGlassFailure(ctx context.Context, accountID string, maxFailures int, lockFor time.Duration,
	alert *breakglass.Alert, now time.Time) (bool, error) {
	var locked bool
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		locked = false
		var n int
		err := tx.QueryRow(`UPDATE center_breakglass_accounts SET failures = failures + 1 WHERE id = $1 RETURNING failures`,
			accountID).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return breakglass.ErrNotFound
		}
		if err != nil {
			return err
		}
		if n < maxFailures {
			return nil
		}
		if _, err := tx.Exec(`UPDATE center_breakglass_accounts SET failures = 0, locked_until = $2 WHERE id = $1`,
			accountID, ms(now.Add(lockFor))); err != nil {
			return err
		}
		locked = true
		if alert != nil {
			return insertBGAlert(tx, alert)
		}
		return nil
	})
	return locked, err
}

// CompleteBreakGlassSignIn records the TOTP step only if newer, resets
// failures and stores the session and the alert, in one transaction.
func (s *Store) CompleteBreakGlassSignIn(ctx context.Context, in *breakglass.SignIn) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE center_breakglass_accounts SET last_totp_step = $2, failures = 0, locked_until = NULL,
			last_used_at = $3 WHERE id = $1 AND last_totp_step < $2`, in.AccountID, in.Step, ms(in.Now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return breakglass.ErrReplay
		}
		se := in.Session
		if _, err := tx.Exec(`INSERT INTO center_breakglass_sessions (id_hash, account_id, username, created_at, expires_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, NULL)`, se.IDHash, se.AccountID, se.Username, ms(se.Created), ms(se.Expires)); err != nil {
			return err
		}
		if in.Alert != nil {
			return insertBGAlert(tx, in.Alert)
		}
		return nil
	})
}

// BreakGlassSession returns the session with that id hash.
func (s *Store) BreakGlassSession(ctx context.Context, idHash string) (*breakglass.Session, error) {
	var se breakglass.Session
	var created, expires int64
	var revoked sql.NullInt64
	err := s.db.Read.QueryRowContext(ctx, `SELECT id_hash, account_id, username, created_at, expires_at, revoked_at
		FROM center_breakglass_sessions WHERE id_hash = $1`, idHash).Scan(&se.IDHash, &se.AccountID, &se.Username,
		&created, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, breakglass.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	se.Created, se.Expires, se.Revoked = fromMS(created), fromMS(expires), bgFromNullMS(revoked)
	return &se, nil
}

// RevokeBreakGlassSession ends one session.
func (s *Store) RevokeBreakGlassSession(ctx context.Context, idHash string, at time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE center_breakglass_sessions SET revoked_at = $2 WHERE id_hash = $1 AND revoked_at IS NULL`,
			idHash, ms(at))
		return err
	})
}

// BreakGlassAlerts returns alerts, newest first; only open ones if open.
func (s *Store) BreakGlassAlerts(ctx context.Context, open bool) ([]*breakglass.Alert, error) {
	q := `SELECT id, kind, username, remote, created_at, acknowledged_at, acknowledged_by FROM center_breakglass_alerts`
	if open {
		q += ` WHERE acknowledged_at IS NULL`
	}
	rows, err := s.db.Read.QueryContext(ctx, q+` ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*breakglass.Alert{}
	for rows.Next() {
		var a breakglass.Alert
		var at int64
		var ack sql.NullInt64
		var by sql.NullString
		if err := rows.Scan(&a.ID, &a.Kind, &a.Username, &a.Remote, &at, &ack, &by); err != nil {
			return nil, err
		}
		a.At, a.AckAt, a.AckBy = fromMS(at), bgFromNullMS(ack), by.String
		out = append(out, &a)
	}
	return out, rows.Err()
}

// AcknowledgeBreakGlassAlert marks an open alert acknowledged.
func (s *Store) AcknowledgeBreakGlassAlert(ctx context.Context, id, by string, at time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE center_breakglass_alerts SET acknowledged_at = $2, acknowledged_by = $3
			WHERE id = $1 AND acknowledged_at IS NULL`, id, ms(at), by)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return breakglass.ErrNotFound
		}
		return nil
	})
}
