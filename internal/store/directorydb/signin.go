package directorydb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

// Sign-in state (credentials, sessions, per-app policy). These writes are
// not directory changes: they append nothing to the outbox and do not wake
// the provisioning engine, so they use s.db.Update rather than s.update.

var (
	_ directory.CredentialStore = (*Store)(nil)
	_ directory.SessionStore    = (*Store)(nil)
)

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func optMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

func optFromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMS(v)
}

// liveUser is ErrNotFound unless the user exists and is not soft-deleted.
func liveUser(tx *store.Tx, userID string) error {
	var one int
	err := tx.QueryRow(`SELECT 1 FROM directory_users WHERE id = $1 AND deleted_at IS NULL`, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return directory.ErrNotFound
	}
	return err
}

// --- credentials ---

const credCols = `user_id, password_hash, totp_secret, totp_last_step, failures, locked_until, updated_at`

func scanCredentials(row interface{ Scan(...any) error }) (*directory.Credentials, error) {
	var c directory.Credentials
	var locked, updated int64
	if err := row.Scan(&c.UserID, &c.PasswordHash, &c.TOTPSecret, &c.TOTPLastStep, &c.Failures, &locked, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, directory.ErrNotFound
		}
		return nil, err
	}
	c.LockedUntil, c.Updated = optFromMS(locked), fromMS(updated)
	return &c, nil
}

// SetPassword implements directory.CredentialStore.
func (s *Store) SetPassword(ctx context.Context, userID, hash string, at time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := liveUser(tx, userID); err != nil {
			return err
		}
		return setPassword(tx, userID, hash, at)
	})
}

// CreateUserWithPassword implements directory.CredentialStore.
func (s *Store) CreateUserWithPassword(ctx context.Context, u *directory.User, hash string) error {
	doc, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *store.Tx) error {
		if err := insertUser(tx, u, doc); err != nil {
			return err
		}
		return setPassword(tx, u.ID, hash, u.Created)
	})
}

// setPassword stores the hash as the user's password and clears the
// failure count and lock.
func setPassword(tx *store.Tx, userID, hash string, at time.Time) error {
	_, err := tx.Exec(`INSERT INTO directory_credentials (user_id, password_hash, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET password_hash = $2, failures = 0, locked_until = 0, updated_at = $3`,
		userID, hash, ms(at))
	return err
}

// GetCredentials implements directory.CredentialStore.
func (s *Store) GetCredentials(ctx context.Context, userID string) (*directory.Credentials, error) {
	return scanCredentials(s.db.Read.QueryRowContext(ctx,
		`SELECT `+credCols+` FROM directory_credentials WHERE user_id = $1`, userID))
}

// RecordFailure implements directory.CredentialStore.
func (s *Store) RecordFailure(ctx context.Context, userID string, at time.Time,
	lockFor func(failures int) time.Duration) (*directory.Credentials, error) {
	var out *directory.Credentials
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		c, err := scanCredentials(tx.QueryRow(`SELECT `+credCols+` FROM directory_credentials WHERE user_id = $1`+tx.ForUpdate(), userID))
		if err != nil {
			return err
		}
		c.Failures++
		if d := lockFor(c.Failures); d > 0 {
			c.LockedUntil = at.Add(d).UTC().Truncate(time.Millisecond)
		}
		c.Updated = at.UTC().Truncate(time.Millisecond)
		if _, err := tx.Exec(`UPDATE directory_credentials SET failures = $2, locked_until = $3, updated_at = $4 WHERE user_id = $1`,
			userID, c.Failures, optMS(c.LockedUntil), ms(at)); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}

// ResetFailures implements directory.CredentialStore.
func (s *Store) ResetFailures(ctx context.Context, userID string, at time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE directory_credentials SET failures = 0, locked_until = 0, updated_at = $2 WHERE user_id = $1`,
			userID, ms(at))
		return err
	})
}

// SetTOTP implements directory.CredentialStore.
func (s *Store) SetTOTP(ctx context.Context, userID, sealedSecret string, step int64, at time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE directory_credentials SET totp_secret = $2, totp_last_step = $3, updated_at = $4 WHERE user_id = $1`,
			userID, sealedSecret, step, ms(at))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return directory.ErrNotFound
		}
		return nil
	})
}

// UseTOTPStep implements directory.CredentialStore. The comparison is in
// the UPDATE itself, so two requests racing with the same code cannot both
// succeed.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64, at time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE directory_credentials SET totp_last_step = $2, updated_at = $3
			WHERE user_id = $1 AND totp_last_step < $2`, userID, step, ms(at))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return directory.ErrConflict
		}
		return nil
	})
}

// --- sessions ---

const sessionCols = `id, user_id, created_at, last_seen_at, expires_at, mfa, csrf, revoked_at`

// scanSession reads sessionCols, then the columns after them into extra.
func scanSession(row interface{ Scan(...any) error }, extra ...any) (*directory.Session, error) {
	var se directory.Session
	var created, seen, expires int64
	var mfa int
	var revoked sql.NullInt64
	if err := row.Scan(append([]any{&se.ID, &se.UserID, &created, &seen, &expires, &mfa, &se.CSRF, &revoked}, extra...)...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, directory.ErrNotFound
		}
		return nil, err
	}
	se.Created, se.LastSeen, se.Expires, se.MFA = fromMS(created), fromMS(seen), fromMS(expires), mfa != 0
	if revoked.Valid {
		r := fromMS(revoked.Int64)
		se.Revoked = &r
	}
	return &se, nil
}

// CreateSession implements directory.SessionStore.
func (s *Store) CreateSession(ctx context.Context, se *directory.Session) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := liveUser(tx, se.UserID); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO directory_sessions (`+sessionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)`,
			se.ID, se.UserID, ms(se.Created), ms(se.LastSeen), ms(se.Expires), b2i(se.MFA), se.CSRF)
		if store.IsUniqueViolation(err) {
			return directory.ErrConflict
		}
		return err
	})
}

// GetSession implements directory.SessionStore.
func (s *Store) GetSession(ctx context.Context, id string) (*directory.Session, error) {
	return scanSession(s.db.Read.QueryRowContext(ctx,
		`SELECT `+sessionCols+` FROM directory_sessions WHERE id = $1`, id))
}

// SessionUser implements directory.SessionStore: one statement, since
// every signed-in request asks.
func (s *Store) SessionUser(ctx context.Context, id string) (*directory.Session, *directory.User, error) {
	var doc sql.NullString
	var deleted sql.NullInt64
	se, err := scanSession(s.db.Read.QueryRowContext(ctx, `SELECT s.id, s.user_id, s.created_at, s.last_seen_at,
		s.expires_at, s.mfa, s.csrf, s.revoked_at, u.doc, u.deleted_at
		FROM directory_sessions s LEFT JOIN directory_users u ON u.id = s.user_id WHERE s.id = $1`, id), &doc, &deleted)
	if err != nil || !doc.Valid {
		return se, nil, err
	}
	u, err := decodeUser(doc.String, deleted)
	if err != nil {
		return nil, nil, err
	}
	return se, u, nil
}

// TouchSession implements directory.SessionStore.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE directory_sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2`, id, ms(at))
		return err
	})
}

// RevokeSession implements directory.SessionStore.
func (s *Store) RevokeSession(ctx context.Context, id string, at time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE directory_sessions SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, ms(at))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return directory.ErrNotFound
		}
		return nil
	})
}

// RevokeUserSessions implements directory.SessionStore.
func (s *Store) RevokeUserSessions(ctx context.Context, userID string, at time.Time) (int, error) {
	var n int64
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE directory_sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`,
			userID, ms(at))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

// DeleteSessionsBefore implements directory.SessionStore.
func (s *Store) DeleteSessionsBefore(ctx context.Context, t time.Time) (int, error) {
	var n int64
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`DELETE FROM directory_sessions WHERE expires_at < $1 OR revoked_at < $1`, ms(t))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

// --- per-app policy ---
