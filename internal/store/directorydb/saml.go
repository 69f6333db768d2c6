package directorydb

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/samlidp"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

var _ samlidp.Store = (*Store)(nil)

// --- SAML IdP configuration and certificates (samlidp.Store) ---

// SAMLConfig returns the app's SAML configuration.
func (s *Store) SAMLConfig(ctx context.Context, appID string) (*samlidp.Config, error) {
	var doc string
	err := s.db.Read.QueryRowContext(ctx, `SELECT doc FROM directory_saml_apps WHERE app_id = $1`, appID).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, directory.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var c samlidp.Config
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		return nil, fmt.Errorf("decode SAML config of app %s: %w", appID, err)
	}
	return &c, nil
}

// PutSAMLConfig creates or replaces the app's SAML configuration.
func (s *Store) PutSAMLConfig(ctx context.Context, c *samlidp.Config) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM directory_apps WHERE id = $1`, c.AppID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return directory.ErrNotFound
		}
		_, err := tx.Exec(`INSERT INTO directory_saml_apps (app_id, entity_id_key, doc, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (app_id) DO UPDATE SET entity_id_key = excluded.entity_id_key, doc = excluded.doc, updated_at = excluded.updated_at`,
			c.AppID, strings.ToLower(c.EntityID), string(doc), ms(c.Updated))
		if store.IsUniqueViolation(err) {
			return directory.ErrConflict
		}
		return err
	})
}

const samlCertCols = `id, app_id, cert_der, sealed_key, active, not_before, not_after, created_at`

func scanSAMLCert(row interface{ Scan(...any) error }) (*samlidp.Cert, error) {
	var c samlidp.Cert
	var der string
	var active int
	var nb, na, created int64
	if err := row.Scan(&c.ID, &c.AppID, &der, &c.SealedKey, &active, &nb, &na, &created); err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(der)
	if err != nil {
		return nil, fmt.Errorf("decode stored certificate %s: %w", c.ID, err)
	}
	c.CertDER, c.Active = b, active == 1
	c.NotBefore, c.NotAfter, c.Created = fromMS(nb), fromMS(na), fromMS(created)
	return &c, nil
}

func (s *Store) queryCerts(ctx context.Context, where string, args ...any) ([]*samlidp.Cert, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+samlCertCols+` FROM directory_saml_certs WHERE `+where+
		` ORDER BY active DESC, created_at DESC, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*samlidp.Cert
	for rows.Next() {
		c, err := scanSAMLCert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SAMLCerts lists the app's certificates, the active one first, then the
// newest.
func (s *Store) SAMLCerts(ctx context.Context, appID string) ([]*samlidp.Cert, error) {
	return s.queryCerts(ctx, `app_id = $1`, appID)
}

// SAMLCertsExpiringBefore lists certificates of every app with NotAfter
// before t.
func (s *Store) SAMLCertsExpiringBefore(ctx context.Context, t time.Time) ([]*samlidp.Cert, error) {
	return s.queryCerts(ctx, `not_after < $1`, ms(t))
}

// AddSAMLCert stores a certificate; an active one replaces the app's
// active certificate (which becomes inactive).
func (s *Store) AddSAMLCert(ctx context.Context, c *samlidp.Cert) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM directory_apps WHERE id = $1`, c.AppID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return directory.ErrNotFound
		}
		active := 0
		if c.Active {
			active = 1
			if _, err := tx.Exec(`UPDATE directory_saml_certs SET active = 0 WHERE app_id = $1`, c.AppID); err != nil {
				return err
			}
		}
		_, err := tx.Exec(`INSERT INTO directory_saml_certs (`+samlCertCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			c.ID, c.AppID, base64.StdEncoding.EncodeToString(c.CertDER), c.SealedKey, active,
			ms(c.NotBefore), ms(c.NotAfter), ms(c.Created))
		if store.IsUniqueViolation(err) {
			return directory.ErrConflict
		}
		return err
	})
}

// ActivateSAMLCert makes the certificate the app's only active one.
func (s *Store) ActivateSAMLCert(ctx context.Context, appID, certID string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM directory_saml_certs WHERE app_id = $1 AND id = $2`, appID, certID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return directory.ErrNotFound
		}
		if _, err := tx.Exec(`UPDATE directory_saml_certs SET active = 0 WHERE app_id = $1 AND id <> $2`, appID, certID); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE directory_saml_certs SET active = 1 WHERE id = $1`, certID)
		return err
	})
}

// DeleteSAMLCert removes an inactive certificate; removing the active one
// is directory.ErrInvalid.
func (s *Store) DeleteSAMLCert(ctx context.Context, appID, certID string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		var active int
		err := tx.QueryRow(`SELECT active FROM directory_saml_certs WHERE app_id = $1 AND id = $2`, appID, certID).Scan(&active)
		if errors.Is(err, sql.ErrNoRows) {
			return directory.ErrNotFound
		}
		if err != nil {
			return err
		}
		if active == 1 {
			return directory.Invalidf("certificate %s is active; activate another one before removing it", certID)
		}
		_, err = tx.Exec(`DELETE FROM directory_saml_certs WHERE id = $1`, certID)
		return err
	})
}
