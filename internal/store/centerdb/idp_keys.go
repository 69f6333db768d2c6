package centerdb

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/portal"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

// The center's IdP signing certificates toward AWS sign-in (migration
// 0013_center_idp.sql); private keys arrive sealed with secret.Box.

var _ portal.IdPCertStore = (*Store)(nil)

const idpCertCols = `id, cert_der, sealed_key, active, not_before, not_after, created_at`

// IdPCerts returns every certificate, the active one first, then newest
// first.
func (s *Store) IdPCerts(ctx context.Context) ([]*portal.IdPCert, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+idpCertCols+` FROM center_idp_keys
		ORDER BY active DESC, created_at DESC, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*portal.IdPCert
	for rows.Next() {
		var c portal.IdPCert
		var der string
		var active int
		var nb, na, created int64
		if err := rows.Scan(&c.ID, &der, &c.SealedKey, &active, &nb, &na, &created); err != nil {
			return nil, err
		}
		if c.CertDER, err = base64.StdEncoding.DecodeString(der); err != nil {
			return nil, fmt.Errorf("center IdP certificate %s: %w", c.ID, err)
		}
		c.Active, c.NotBefore, c.NotAfter, c.Created = active == 1, fromMS(nb), fromMS(na), fromMS(created)
		out = append(out, &c)
	}
	return out, rows.Err()
}

// AddIdPCert stores a certificate; a second active one is
// center.ErrConflict (the unique index on active rows).
func (s *Store) AddIdPCert(ctx context.Context, c *portal.IdPCert) error {
	active := 0
	if c.Active {
		active = 1
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO center_idp_keys (`+idpCertCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.ID, base64.StdEncoding.EncodeToString(c.CertDER), c.SealedKey, active,
			ms(c.NotBefore), ms(c.NotAfter), ms(c.Created))
		if store.IsUniqueViolation(err) {
			return center.ErrConflict
		}
		return err
	})
}
