package governancedb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/governance"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

// Store is governance.Store on a store.DB.
type Store struct{ db *store.DB }

var _ governance.Store = (*Store)(nil)

// New returns a governance store on db.
func New(db *store.DB) *Store { return &Store{db: db} }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

type scanner interface{ Scan(...any) error }

// --- eligibilities ---

func (s *Store) CreateEligibility(ctx context.Context, e *governance.Eligibility) error {
	doc, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO pim_eligibilities (id, group_id, principal_id, created_at, doc) VALUES ($1, $2, $3, $4, $5)`,
			e.ID, e.GroupID, e.PrincipalID, ms(e.Created), string(doc))
		if store.IsUniqueViolation(err) {
			return governance.ErrConflict
		}
		return err
	})
}

func scanEligibility(row scanner) (*governance.Eligibility, error) {
	var doc string
	if err := row.Scan(&doc); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, governance.ErrNotFound
		}
		return nil, err
	}
	var e governance.Eligibility
	if err := json.Unmarshal([]byte(doc), &e); err != nil {
		return nil, fmt.Errorf("decode eligibility: %w", err)
	}
	return &e, nil
}

func (s *Store) GetEligibility(ctx context.Context, id string) (*governance.Eligibility, error) {
	return scanEligibility(s.db.Read.QueryRowContext(ctx, `SELECT doc FROM pim_eligibilities WHERE id = $1`, id))
}

func (s *Store) ListEligibilities(ctx context.Context, q governance.EligibilityQuery) ([]*governance.Eligibility, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if q.GroupID != "" {
		where = append(where, "group_id = "+arg(q.GroupID))
	}
	if q.PrincipalID != "" {
		where = append(where, "principal_id = "+arg(q.PrincipalID))
	}
	if q.Principals != nil {
		if len(q.Principals) == 0 {
			return nil, nil
		}
		ph := make([]string, len(q.Principals))
		for i, p := range q.Principals {
			ph[i] = arg(p)
		}
		where = append(where, "principal_id IN ("+strings.Join(ph, ", ")+")")
	}
	query := `SELECT doc FROM pim_eligibilities`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.db.Read.QueryContext(ctx, query+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list eligibilities: %w", err)
	}
	defer rows.Close()
	var out []*governance.Eligibility
	for rows.Next() {
		e, err := scanEligibility(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *Store) DeleteEligibility(ctx context.Context, id string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`DELETE FROM pim_eligibilities WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return governance.ErrNotFound
		}
		return nil
	})
}

// --- requests ---

func dueArg(r *governance.Request) any {
	if d := r.Due(); !d.IsZero() {
		return ms(d)
	}
	return nil
}

func (s *Store) CreateRequest(ctx context.Context, r *governance.Request) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO pim_requests (id, group_id, user_id, status, requested_at, due_at, doc)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			r.ID, r.GroupID, r.UserID, string(r.Status), ms(r.Requested), dueArg(r), string(doc))
		if store.IsUniqueViolation(err) {
			return governance.ErrConflict
		}
		return err
	})
}

func scanRequest(row scanner) (*governance.Request, error) {
	var doc string
	if err := row.Scan(&doc); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, governance.ErrNotFound
		}
		return nil, err
	}
	var r governance.Request
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		return nil, fmt.Errorf("decode request: %w", err)
	}
	return &r, nil
}

func (s *Store) GetRequest(ctx context.Context, id string) (*governance.Request, error) {
	return scanRequest(s.db.Read.QueryRowContext(ctx, `SELECT doc FROM pim_requests WHERE id = $1`, id))
}

func (s *Store) ListRequests(ctx context.Context, q governance.RequestQuery) ([]*governance.Request, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if q.GroupID != "" {
		where = append(where, "group_id = "+arg(q.GroupID))
	}
	if q.UserID != "" {
		where = append(where, "user_id = "+arg(q.UserID))
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
	query := `SELECT doc FROM pim_requests`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.db.Read.QueryContext(ctx, query+` ORDER BY requested_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	defer rows.Close()
	var out []*governance.Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) UpdateRequest(ctx context.Context, id string, fn func(r *governance.Request) error) (*governance.Request, error) {
	var out *governance.Request
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		r, err := scanRequest(tx.QueryRow(`SELECT doc FROM pim_requests WHERE id = $1`+tx.ForUpdate(), id))
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
		r.ID = id
		doc, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE pim_requests SET status = $2, due_at = $3, doc = $4 WHERE id = $1`,
			id, string(r.Status), dueArg(r), string(doc)); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, err
}

func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var v sql.NullInt64
	err := s.db.Read.QueryRowContext(ctx, `SELECT MIN(due_at) FROM pim_requests WHERE due_at IS NOT NULL`).Scan(&v)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(v.Int64), true, nil
}

// --- memberships (transition table) ---

func (s *Store) GetMembership(ctx context.Context, groupID, userID string) (*governance.Membership, error) {
	m := governance.Membership{GroupID: groupID, UserID: userID}
	var st string
	var upd int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT state, updated_at FROM pim_memberships WHERE group_id = $1 AND user_id = $2`,
		groupID, userID).Scan(&st, &upd)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, governance.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	m.State, m.Updated = governance.MembershipState(st), fromMS(upd)
	return &m, nil
}

func (s *Store) PutMembership(ctx context.Context, m *governance.Membership) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO pim_memberships (group_id, user_id, state, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (group_id, user_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
			m.GroupID, m.UserID, string(m.State), ms(m.Updated))
		return err
	})
}

func (s *Store) DeleteMembership(ctx context.Context, groupID, userID string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`DELETE FROM pim_memberships WHERE group_id = $1 AND user_id = $2`, groupID, userID)
		return err
	})
}

func (s *Store) ListMemberships(ctx context.Context) ([]*governance.Membership, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT group_id, user_id, state, updated_at FROM pim_memberships ORDER BY group_id, user_id`)
	if err != nil {
		return nil, fmt.Errorf("list memberships: %w", err)
	}
	defer rows.Close()
	var out []*governance.Membership
	for rows.Next() {
		var m governance.Membership
		var st string
		var upd int64
		if err := rows.Scan(&m.GroupID, &m.UserID, &st, &upd); err != nil {
			return nil, err
		}
		m.State, m.Updated = governance.MembershipState(st), fromMS(upd)
		out = append(out, &m)
	}
	return out, rows.Err()
}
