package centerdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center/samlsp"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

// The SAML service provider's tables (migration 0006_center_saml.sql).

var _ samlsp.Store = (*Store)(nil)

// SAMLSource returns the stored identity source, or samlsp.ErrNotFound.
func (s *Store) SAMLSource(ctx context.Context) (*samlsp.StoredSource, error) {
	var src samlsp.StoredSource
	var md sql.NullString
	var updated int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT source, idp_metadata, updated_at FROM center_saml_source WHERE id = 1`).
		Scan(&src.Source, &md, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, samlsp.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("saml identity source: %w", err)
	}
	src.IdPMetadata, src.Updated = md.String, fromMS(updated)
	return &src, nil
}

// PutSAMLSource replaces the identity source.
func (s *Store) PutSAMLSource(ctx context.Context, src *samlsp.StoredSource) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO center_saml_source (id, source, idp_metadata, updated_at) VALUES (1, $1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET source = $1, idp_metadata = $2, updated_at = $3`,
			src.Source, nullable(src.IdPMetadata), ms(src.Updated))
		return err
	})
}

// PutAuthnRequest records an outstanding AuthnRequest ID.
func (s *Store) PutAuthnRequest(ctx context.Context, id string, created, expires time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO center_saml_requests (id, created_at, expires_at) VALUES ($1, $2, $3)`,
			id, ms(created), ms(expires))
		return err
	})
}

// CompleteSignIn consumes the request ID, records the assertion ID and
// stores the session in one transaction; on any error nothing is written.
func (s *Store) CompleteSignIn(ctx context.Context, in *samlsp.SignIn) error {
	tags, err := json.Marshal(in.Session.Tags)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		now := ms(in.Now)
		if in.RequestID != "" {
			res, err := tx.Exec(`DELETE FROM center_saml_requests WHERE id = $1 AND expires_at > $2`, in.RequestID, now)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n != 1 {
				return samlsp.ErrUnknownRequest
			}
		}
		// An expired entry may be reused: its assertion can no longer pass
		// the time checks, so only live entries count as replays.
		if _, err := tx.Exec(`DELETE FROM center_saml_assertions WHERE id = $1 AND expires_at <= $2`, in.AssertionID, now); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM center_saml_assertions WHERE id = $1`, in.AssertionID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return samlsp.ErrReplay
		}
		if _, err := tx.Exec(`INSERT INTO center_saml_assertions (id, used_at, expires_at) VALUES ($1, $2, $3)`,
			in.AssertionID, now, ms(in.AssertionExpires)); err != nil {
			if store.IsUniqueViolation(err) {
				return samlsp.ErrReplay
			}
			return err
		}
		se := in.Session
		_, err := tx.Exec(`INSERT INTO center_portal_sessions (id_hash, user_id, created_at, expires_at, tags, revoked_at)
			VALUES ($1, $2, $3, $4, $5, NULL)`, se.IDHash, se.UserID, ms(se.Created), ms(se.Expires), string(tags))
		return err
	})
}

// PortalSession returns a session by the hash of its cookie value.
func (s *Store) PortalSession(ctx context.Context, idHash string) (*samlsp.Session, error) {
	var se samlsp.Session
	var created, expires int64
	var revoked sql.NullInt64
	var tags string
	err := s.db.Read.QueryRowContext(ctx, `SELECT id_hash, user_id, created_at, expires_at, tags, revoked_at
		FROM center_portal_sessions WHERE id_hash = $1`, idHash).
		Scan(&se.IDHash, &se.UserID, &created, &expires, &tags, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, samlsp.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("portal session: %w", err)
	}
	se.Created, se.Expires = fromMS(created), fromMS(expires)
	if revoked.Valid {
		t := fromMS(revoked.Int64)
		se.Revoked = &t
	}
	if err := json.Unmarshal([]byte(tags), &se.Tags); err != nil {
		return nil, fmt.Errorf("portal session tags: %w", err)
	}
	return &se, nil
}

// RevokePortalSession ends one session.
func (s *Store) RevokePortalSession(ctx context.Context, idHash string, at time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE center_portal_sessions SET revoked_at = $2 WHERE id_hash = $1 AND revoked_at IS NULL`,
			idHash, ms(at))
		return err
	})
}

// RevokeUserSessions ends every unrevoked session of a user.
func (s *Store) RevokeUserSessions(ctx context.Context, userID string, at time.Time) (int, error) {
	var n int64
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE center_portal_sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`,
			userID, ms(at))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// PurgeSAML deletes expired request IDs, replay-cache entries and sessions.
func (s *Store) PurgeSAML(ctx context.Context, now time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		for _, q := range []string{
			`DELETE FROM center_saml_requests WHERE expires_at <= $1`,
			`DELETE FROM center_saml_assertions WHERE expires_at <= $1`,
			`DELETE FROM center_portal_sessions WHERE expires_at <= $1`,
		} {
			if _, err := tx.Exec(q, ms(now)); err != nil {
				return err
			}
		}
		return nil
	})
}
