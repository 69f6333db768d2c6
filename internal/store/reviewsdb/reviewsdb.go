package reviewsdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/governance/reviews"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

// Store is reviews.Store and reviews.SignIns on a store.DB.
type Store struct{ db *store.DB }

var (
	_ reviews.Store   = (*Store)(nil)
	_ reviews.SignIns = (*Store)(nil)
)

// New returns a reviews store on db.
func New(db *store.DB) *Store { return &Store{db: db} }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func optMS(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return ms(*t)
}

type scanner interface{ Scan(...any) error }

func scanDoc[T any](row scanner, what string) (*T, error) {
	var doc string
	if err := row.Scan(&doc); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("%s: %w", what, reviews.ErrNotFound)
		}
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", what, err)
	}
	return v, nil
}

func list[T any](rows *sql.Rows, err error, what string) ([]*T, error) {
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scanDoc[T](rows, what)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// --- campaigns ---

func (s *Store) CreateCampaign(ctx context.Context, c *reviews.Campaign) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO review_campaigns (id, created_at, next_start, doc) VALUES ($1, $2, $3, $4)`,
			c.ID, ms(c.Created), optMS(c.NextStart), string(doc))
		if store.IsUniqueViolation(err) {
			return reviews.ErrConflict
		}
		return err
	})
}

func (s *Store) GetCampaign(ctx context.Context, id string) (*reviews.Campaign, error) {
	return scanDoc[reviews.Campaign](s.db.Read.QueryRowContext(ctx, `SELECT doc FROM review_campaigns WHERE id = $1`, id), "campaign "+id)
}

func (s *Store) ListCampaigns(ctx context.Context) ([]*reviews.Campaign, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT doc FROM review_campaigns ORDER BY created_at, id`)
	return list[reviews.Campaign](rows, err, "campaigns")
}

func (s *Store) DueCampaigns(ctx context.Context, t time.Time) ([]*reviews.Campaign, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT doc FROM review_campaigns
		WHERE next_start IS NOT NULL AND next_start <= $1 ORDER BY next_start, id`, ms(t))
	return list[reviews.Campaign](rows, err, "due campaigns")
}

func (s *Store) UpdateCampaign(ctx context.Context, id string, fn func(c *reviews.Campaign) error) (*reviews.Campaign, error) {
	var out *reviews.Campaign
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		c, err := scanDoc[reviews.Campaign](tx.QueryRow(`SELECT doc FROM review_campaigns WHERE id = $1`+tx.ForUpdate(), id), "campaign "+id)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		c.ID = id
		doc, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE review_campaigns SET next_start = $2, doc = $3 WHERE id = $1`,
			id, optMS(c.NextStart), string(doc)); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}

// --- instances and items ---

func dueArg(in *reviews.Instance) any {
	d := in.Due()
	return optMS(&d)
}

func (s *Store) CreateInstance(ctx context.Context, in *reviews.Instance, items []*reviews.Item) error {
	doc, err := json.Marshal(in)
	if err != nil {
		return err
	}
	docs := make([]string, len(items))
	for i, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			return err
		}
		docs[i] = string(b)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO review_instances (id, campaign_id, start_at, status, due_at, doc)
			VALUES ($1, $2, $3, $4, $5, $6)`, in.ID, in.CampaignID, ms(in.Start), string(in.Status), dueArg(in), string(doc))
		if store.IsUniqueViolation(err) {
			return reviews.ErrConflict
		}
		if err != nil {
			return err
		}
		for i, it := range items {
			if _, err := tx.Exec(`INSERT INTO review_items (id, instance_id, pos, doc) VALUES ($1, $2, $3, $4)`,
				it.ID, in.ID, i, docs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) GetInstance(ctx context.Context, id string) (*reviews.Instance, error) {
	return scanDoc[reviews.Instance](s.db.Read.QueryRowContext(ctx, `SELECT doc FROM review_instances WHERE id = $1`, id), "instance "+id)
}

func (s *Store) ListInstances(ctx context.Context, q reviews.InstanceQuery) ([]*reviews.Instance, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if q.CampaignID != "" {
		where = append(where, "campaign_id = "+arg(q.CampaignID))
	}
	if len(q.Status) > 0 {
		ph := make([]string, len(q.Status))
		for i, st := range q.Status {
			ph[i] = arg(string(st))
		}
		where = append(where, "status IN ("+strings.Join(ph, ", ")+")")
	}
	if !q.DueBy.IsZero() {
		where = append(where, "due_at IS NOT NULL AND due_at <= "+arg(ms(q.DueBy)))
	}
	query := `SELECT doc FROM review_instances`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.db.Read.QueryContext(ctx, query+` ORDER BY start_at, id`, args...)
	return list[reviews.Instance](rows, err, "instances")
}

func (s *Store) UpdateInstance(ctx context.Context, id string, fn func(in *reviews.Instance) error) (*reviews.Instance, error) {
	var out *reviews.Instance
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		in, err := scanDoc[reviews.Instance](tx.QueryRow(`SELECT doc FROM review_instances WHERE id = $1`+tx.ForUpdate(), id), "instance "+id)
		if err != nil {
			return err
		}
		if err := fn(in); err != nil {
			return err
		}
		in.ID = id
		doc, err := json.Marshal(in)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE review_instances SET status = $2, due_at = $3, doc = $4 WHERE id = $1`,
			id, string(in.Status), dueArg(in), string(doc)); err != nil {
			return err
		}
		out = in
		return nil
	})
	return out, err
}

func (s *Store) GetItem(ctx context.Context, id string) (*reviews.Item, error) {
	return scanDoc[reviews.Item](s.db.Read.QueryRowContext(ctx, `SELECT doc FROM review_items WHERE id = $1`, id), "item "+id)
}

func (s *Store) ListItems(ctx context.Context, instanceID string) ([]*reviews.Item, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT doc FROM review_items WHERE instance_id = $1 ORDER BY pos`, instanceID)
	return list[reviews.Item](rows, err, "items")
}

func (s *Store) UpdateItem(ctx context.Context, id string, fn func(it *reviews.Item) error) (*reviews.Item, error) {
	var out *reviews.Item
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		it, err := scanDoc[reviews.Item](tx.QueryRow(`SELECT doc FROM review_items WHERE id = $1`+tx.ForUpdate(), id), "item "+id)
		if err != nil {
			return err
		}
		if err := fn(it); err != nil {
			return err
		}
		it.ID = id
		doc, err := json.Marshal(it)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE review_items SET doc = $2 WHERE id = $1`, id, string(doc)); err != nil {
			return err
		}
		out = it
		return nil
	})
	return out, err
}

func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var a, b sql.NullInt64
	if err := s.db.Read.QueryRowContext(ctx, `SELECT MIN(next_start) FROM review_campaigns WHERE next_start IS NOT NULL`).Scan(&a); err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	if err := s.db.Read.QueryRowContext(ctx, `SELECT MIN(due_at) FROM review_instances WHERE due_at IS NOT NULL`).Scan(&b); err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	switch {
	case a.Valid && b.Valid:
		return fromMS(min(a.Int64, b.Int64)), true, nil
	case a.Valid:
		return fromMS(a.Int64), true, nil
	case b.Valid:
		return fromMS(b.Int64), true, nil
	}
	return time.Time{}, false, nil
}

// LastSignIn is the creation time of the user's newest directory sign-in
// session: a session exists only after a successful sign-in.
func (s *Store) LastSignIn(ctx context.Context, userID string) (time.Time, bool, error) {
	var v sql.NullInt64
	if err := s.db.Read.QueryRowContext(ctx, `SELECT MAX(created_at) FROM directory_sessions WHERE user_id = $1`, userID).Scan(&v); err != nil {
		return time.Time{}, false, fmt.Errorf("last sign-in of %s: %w", userID, err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(v.Int64), true, nil
}
