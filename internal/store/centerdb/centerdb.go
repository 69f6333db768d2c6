package centerdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

// Store is center.Store on a store.DB.
type Store struct {
	db *store.DB

	mu       sync.Mutex
	instance *center.Instance // immutable once created
}

var _ center.Store = (*Store)(nil)

// New returns a center store on db.
func New(db *store.DB) *Store { return &Store{db: db} }

// Key folds a name for case-insensitive uniqueness and matching.
func Key(s string) string { return strings.ToLower(s) }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// msMeta is m with its times as the store keeps them, UTC milliseconds, so a
// user's document says what its columns and a group's row say.
func msMeta(m *scim.Meta) *scim.Meta {
	if m == nil {
		return nil
	}
	c := *m
	c.Created, c.LastModified = fromMS(ms(c.Created)), fromMS(ms(c.LastModified))
	return &c
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Instance returns the center's identifiers, creating them on first use.
func (s *Store) Instance(ctx context.Context) (*center.Instance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.instance != nil {
		return s.instance, nil
	}
	inst, err := s.loadInstance(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		inst = newInstance(time.Now())
		err = s.db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(`INSERT INTO center_instance (id, identity_store_id, id_prefix, instance_id, created_at)
				VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
				inst.IdentityStoreID, inst.IDPrefix, inst.InstanceID, ms(inst.Created))
			return err
		})
		if err == nil {
			// Another process may have won the race; read what was stored.
			inst, err = s.loadInstance(ctx)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("center instance: %w", err)
	}
	s.instance = inst
	return inst, nil
}

func (s *Store) loadInstance(ctx context.Context) (*center.Instance, error) {
	var inst center.Instance
	var created int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT identity_store_id, id_prefix, instance_id, created_at
		FROM center_instance WHERE id = 1`).Scan(&inst.IdentityStoreID, &inst.IDPrefix, &inst.InstanceID, &created)
	if err != nil {
		return nil, err
	}
	inst.Created = fromMS(created)
	return &inst, nil
}

// newInstance draws identifiers in AWS's formats: identity store d-<10 hex>,
// instance ssoins-<16 hex>, and the 10-hex prefix of resource ids.
func newInstance(now time.Time) *center.Instance {
	b := make([]byte, 18)
	rand.Read(b)
	h := hex.EncodeToString(b)
	return &center.Instance{
		IdentityStoreID: "d-" + h[:10],
		IDPrefix:        h[:10],
		InstanceID:      "ssoins-" + h[10:26],
		Created:         now.UTC(),
	}
}

// --- users ---

func (s *Store) CreateUser(ctx context.Context, u *scim.User) error {
	stored := *u
	stored.Meta = msMeta(u.Meta)
	doc, err := json.Marshal(&stored)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		seq, err := tx.NextSeq("center_users")
		if err != nil {
			return err
		}
		_, err = tx.Exec(`INSERT INTO center_users (seq, id, user_name, user_name_key, external_id, manager_id, active, doc, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			seq, u.ID, u.UserName, Key(u.UserName), nullable(u.ExternalID), nullable(u.ManagerID()), bool(u.Active),
			string(doc), ms(u.Meta.Created), ms(u.Meta.LastModified))
		return conflict(err)
	})
}

func conflict(err error) error {
	if store.IsUniqueViolation(err) {
		return center.ErrConflict
	}
	return err
}

func (s *Store) GetUser(ctx context.Context, id string) (*scim.User, error) {
	var doc string
	err := s.db.Read.QueryRowContext(ctx, `SELECT doc FROM center_users WHERE id = $1`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, center.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", id, err)
	}
	return decodeUser(doc)
}

func decodeUser(doc string) (*scim.User, error) {
	var u scim.User
	if err := json.Unmarshal([]byte(doc), &u); err != nil {
		return nil, fmt.Errorf("decode stored user: %w", err)
	}
	return &u, nil
}

func (s *Store) UpdateUser(ctx context.Context, id string, fn func(*scim.User) error) (*scim.User, error) {
	var out *scim.User
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var doc string
		err := tx.QueryRow(`SELECT doc FROM center_users WHERE id = $1`+tx.ForUpdate(), id).Scan(&doc)
		if errors.Is(err, sql.ErrNoRows) {
			return center.ErrNotFound
		}
		if err != nil {
			return err
		}
		u, err := decodeUser(doc)
		if err != nil {
			return err
		}
		if err := fn(u); err != nil {
			return err
		}
		u.Meta = msMeta(u.Meta)
		b, err := json.Marshal(u)
		if err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE center_users SET user_name = $2, user_name_key = $3, external_id = $4, manager_id = $5,
			active = $6, doc = $7, updated_at = $8 WHERE id = $1`,
			id, u.UserName, Key(u.UserName), nullable(u.ExternalID), nullable(u.ManagerID()), bool(u.Active), string(b),
			ms(u.Meta.LastModified))
		if err != nil {
			return conflict(err)
		}
		out = u
		return nil
	})
	return out, err
}

func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := deleteRow(tx, `DELETE FROM center_users WHERE id = $1`, id); err != nil {
			return err
		}
		return deletePrincipalAssignments(tx, center.PrincipalUser, id)
	})
}

func deleteRow(tx *store.Tx, query, id string) error {
	res, err := tx.Exec(query, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return center.ErrNotFound
	}
	return nil
}

// where builds the JOIN and WHERE clauses of a list query. column maps a
// filterable attribute to its SQL condition with one placeholder ($?);
// membership filters are joins (see membershipJoin).
func where(q center.Query, alias string, column map[string]string, value func(m center.Match) string) (string, []any, error) {
	var joins, conds []string
	var args []any
	for i, m := range q.Match {
		args = append(args, value(m))
		ph := fmt.Sprintf("$%d", len(args))
		if j, c, ok := membershipJoin(alias, m.Attr, fmt.Sprintf("m%d", i)); ok {
			joins = append(joins, j)
			conds = append(conds, strings.ReplaceAll(c, "$?", ph))
			continue
		}
		c, ok := column[m.Attr]
		if !ok {
			return "", nil, center.Invalidf("filtering on %s is not supported", m.Attr)
		}
		conds = append(conds, strings.ReplaceAll(c, "$?", ph))
	}
	sql := strings.Join(joins, "")
	if len(conds) > 0 {
		sql += " WHERE " + strings.Join(conds, " AND ")
	}
	return sql, args, nil
}

// membershipJoin turns the membership filters (users' groups.value, groups'
// members.value) into a join on the membership table, so the query is
// driven by the membership index: an EXISTS condition would make SQLite
// walk every user (or group) in seq order to find the few that match.
func membershipJoin(alias, attr, m string) (join, cond string, ok bool) {
	switch {
	case alias == "u" && attr == center.AttrGroups:
		return " JOIN center_group_members " + m + " ON " + m + ".user_id = u.id", m + ".group_id = $?", true
	case alias == "g" && attr == center.AttrMembers:
		return " JOIN center_group_members " + m + " ON " + m + ".group_id = g.id", m + ".user_id = $?", true
	}
	return "", "", false
}

var userColumns = map[string]string{
	center.AttrID:         "u.id = $?",
	center.AttrUserName:   "u.user_name_key = $?",
	center.AttrExternalID: "u.external_id = $?",
	center.AttrManager:    "u.manager_id = $?",
}

var groupColumns = map[string]string{
	center.AttrID:          "g.id = $?",
	center.AttrDisplayName: "g.display_name_key = $?",
	center.AttrExternalID:  "g.external_id = $?",
}

func matchValue(m center.Match) string {
	if m.Attr == center.AttrUserName || m.Attr == center.AttrDisplayName {
		return Key(m.Value)
	}
	return m.Value
}

// page runs a list query: rows after q.After in seq order, one more than
// asked for to learn whether a next page exists, and the total if asked.
func (s *Store) page(ctx context.Context, q center.Query, table, alias, cols string, columns map[string]string,
	scan func(*sql.Rows) (int64, error)) (total int, next int64, err error) {
	cond, args, err := where(q, alias, columns, matchValue)
	if err != nil {
		return 0, 0, err
	}
	if q.Total {
		err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` `+alias+cond, args...).Scan(&total)
		if err != nil {
			return 0, 0, fmt.Errorf("count %s: %w", table, err)
		}
	}
	seqCond := fmt.Sprintf("%s.seq > $%d", alias, len(args)+1)
	if strings.Contains(cond, " WHERE ") {
		cond += " AND " + seqCond
	} else {
		cond += " WHERE " + seqCond
	}
	args = append(args, q.After, q.Count+1)
	rows, err := s.db.Read.QueryContext(ctx, fmt.Sprintf(`SELECT %s.seq, %s FROM %s %s%s ORDER BY %s.seq LIMIT $%d`,
		alias, cols, table, alias, cond, alias, len(args)), args...)
	if err != nil {
		return 0, 0, fmt.Errorf("list %s: %w", table, err)
	}
	defer rows.Close()
	n := 0
	var last int64
	for rows.Next() {
		n++
		if n > q.Count {
			next = last
			break
		}
		if last, err = scan(rows); err != nil {
			return 0, 0, err
		}
	}
	return total, next, rows.Err()
}

func (s *Store) ListUsers(ctx context.Context, q center.Query) (*center.UserPage, error) {
	p := &center.UserPage{Users: []*scim.User{}}
	var err error
	p.Total, p.Next, err = s.page(ctx, q, "center_users", "u", "u.doc", userColumns, func(r *sql.Rows) (int64, error) {
		var seq int64
		var doc string
		if err := r.Scan(&seq, &doc); err != nil {
			return 0, err
		}
		u, err := decodeUser(doc)
		if err != nil {
			return 0, err
		}
		p.Users = append(p.Users, u)
		return seq, nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// --- groups ---

const groupCols = "g.id, g.display_name, g.external_id, g.created_at, g.updated_at"

func scanGroup(sc interface{ Scan(...any) error }, extra ...any) (*scim.Group, error) {
	var g scim.Group
	var ext sql.NullString
	var created, updated int64
	dest := append(extra, &g.ID, &g.DisplayName, &ext, &created, &updated)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	g.ExternalID = ext.String
	g.Schemas = []string{scim.SchemaGroup}
	g.Members = []scim.Member{}
	g.Meta = &scim.Meta{ResourceType: "Group", Created: fromMS(created), LastModified: fromMS(updated)}
	return &g, nil
}

func (s *Store) CreateGroup(ctx context.Context, g *scim.Group, members []string) error {
	return s.explainMembers(ctx, s.db.Update(ctx, func(tx *store.Tx) error {
		seq, err := tx.NextSeq("center_groups")
		if err != nil {
			return err
		}
		_, err = tx.Exec(`INSERT INTO center_groups (seq, id, display_name, display_name_key, external_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			seq, g.ID, g.DisplayName, Key(g.DisplayName), nullable(g.ExternalID), ms(g.Meta.Created), ms(g.Meta.LastModified))
		if err != nil {
			return conflict(err)
		}
		return (&memberTx{tx: tx, group: g.ID}).Add(members)
	}))
}

func (s *Store) GetGroup(ctx context.Context, id string) (*scim.Group, error) {
	g, err := scanGroup(s.db.Read.QueryRowContext(ctx, `SELECT `+groupCols+` FROM center_groups g WHERE g.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, center.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get group %s: %w", id, err)
	}
	return g, nil
}

func (s *Store) UpdateGroup(ctx context.Context, id string, fn func(*scim.Group, center.Members) error) (*scim.Group, error) {
	var out *scim.Group
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		g, err := scanGroup(tx.QueryRow(`SELECT `+groupCols+` FROM center_groups g WHERE g.id = $1`+tx.ForUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return center.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := fn(g, &memberTx{tx: tx, group: id}); err != nil {
			return err
		}
		g.Meta = msMeta(g.Meta)
		_, err = tx.Exec(`UPDATE center_groups SET display_name = $2, display_name_key = $3, external_id = $4, updated_at = $5
			WHERE id = $1`, id, g.DisplayName, Key(g.DisplayName), nullable(g.ExternalID), ms(g.Meta.LastModified))
		if err != nil {
			return conflict(err)
		}
		out = g
		return nil
	})
	return out, s.explainMembers(ctx, err)
}

func (s *Store) DeleteGroup(ctx context.Context, id string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := deleteRow(tx, `DELETE FROM center_groups WHERE id = $1`, id); err != nil {
			return err
		}
		return deletePrincipalAssignments(tx, center.PrincipalGroup, id)
	})
}

func (s *Store) ListGroups(ctx context.Context, q center.Query) (*center.GroupPage, error) {
	p := &center.GroupPage{Groups: []*scim.Group{}}
	var err error
	p.Total, p.Next, err = s.page(ctx, q, "center_groups", "g", groupCols, groupColumns, func(r *sql.Rows) (int64, error) {
		var seq int64
		g, err := scanGroup(r, &seq)
		if err != nil {
			return 0, err
		}
		p.Groups = append(p.Groups, g)
		return seq, nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// memberTx edits one group's membership inside the group's transaction.
type memberTx struct {
	tx    *store.Tx
	group string
}

// Add inserts the members in one statement: a PATCH carries up to 100, and
// an initial sync a million. The foreign key to center_users checks that
// each is a user (one lookup per row, which a separate existence query
// only repeated: 2.6 s of the writer's time in an initial sync); when it
// fails, the writer rolls the request back and explainMembers names the
// culprit outside the transaction.
func (m *memberTx) Add(ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	ids = dedupe(ids)
	values := make([]string, len(ids))
	vargs := make([]any, 0, 3*len(ids))
	for i, id := range ids {
		values[i] = fmt.Sprintf("($%d, $%d, $%d)", 3*i+1, 3*i+2, 3*i+3)
		vargs = append(vargs, m.group, id, center.NewMembershipID())
	}
	_, err := m.tx.Exec(`INSERT INTO center_group_members (group_id, user_id, membership_id) VALUES `+strings.Join(values, ", ")+
		` ON CONFLICT (group_id, user_id) DO NOTHING`, vargs...)
	if store.IsForeignKeyViolation(err) {
		return &missingMemberError{ids: ids}
	}
	return err
}

// missingMemberError is a membership insert that broke the foreign key to
// center_users: one of ids is not a user. It is a center.ErrInvalid, as the
// Members contract wants of the call itself.
type missingMemberError struct{ ids []string }

func (e *missingMemberError) Error() string { return "a member is not an existing user" }

func (e *missingMemberError) Unwrap() error { return center.ErrInvalid }

// explainMembers turns a missingMemberError, once its transaction is rolled
// back, into the InvalidError that names the first id that is not a user
// (and says so when it is a group); other errors pass through.
func (s *Store) explainMembers(ctx context.Context, err error) error {
	var me *missingMemberError
	if !errors.As(err, &me) {
		return err
	}
	args := make([]any, len(me.ids))
	marks := make([]string, len(me.ids))
	for i, id := range me.ids {
		args[i], marks[i] = id, fmt.Sprintf("$%d", i+1)
	}
	users, qerr := store.Query(ctx, s.db.Read, func(sc store.Scanner) (string, error) {
		var id string
		return id, sc.Scan(&id)
	}, `SELECT id FROM center_users WHERE id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if qerr != nil {
		return fmt.Errorf("%w (reading which: %v)", err, qerr)
	}
	found := make(map[string]bool, len(users))
	for _, id := range users {
		found[id] = true
	}
	for _, id := range me.ids {
		if found[id] {
			continue
		}
		var n int
		if qerr := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM center_groups WHERE id = $1`, id).Scan(&n); qerr == nil && n > 0 {
			return center.Invalidf("member %s is a group: nested groups are not supported", id)
		}
		return center.Invalidf("member %s is not an existing user", id)
	}
	// Every member is a user now: one was created since. Nothing was
	// written; the client may send the request again.
	return center.Invalidf("a member was not an existing user; retry the request")
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (m *memberTx) Remove(ids []string) error {
	for _, id := range ids {
		if _, err := m.tx.Exec(`DELETE FROM center_group_members WHERE group_id = $1 AND user_id = $2`, m.group, id); err != nil {
			return err
		}
	}
	return nil
}

func (m *memberTx) Replace(ids []string) error {
	if _, err := m.tx.Exec(`DELETE FROM center_group_members WHERE group_id = $1`, m.group); err != nil {
		return err
	}
	return m.Add(ids)
}

// --- SCIM tokens ---

func (s *Store) CreateSCIMToken(ctx context.Context, t *center.SCIMToken, now time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.Lock("center_scim_tokens"); err != nil {
			return err
		}
		var active int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM center_scim_tokens WHERE revoked_at IS NULL AND expires_at > $1`,
			ms(now)).Scan(&active); err != nil {
			return err
		}
		if active >= center.MaxActiveSCIMTokens {
			return center.ErrConflict
		}
		_, err := tx.Exec(`INSERT INTO center_scim_tokens (id, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			t.ID, t.SecretHash, ms(t.Created), ms(t.Expires))
		return conflict(err)
	})
}

const tokenCols = "id, secret_hash, created_at, expires_at, revoked_at"

func scanToken(sc interface{ Scan(...any) error }) (*center.SCIMToken, error) {
	var t center.SCIMToken
	var created, expires int64
	var revoked sql.NullInt64
	if err := sc.Scan(&t.ID, &t.SecretHash, &created, &expires, &revoked); err != nil {
		return nil, err
	}
	t.Created, t.Expires = fromMS(created), fromMS(expires)
	if revoked.Valid {
		r := fromMS(revoked.Int64)
		t.Revoked = &r
	}
	return &t, nil
}

func (s *Store) GetSCIMToken(ctx context.Context, id string) (*center.SCIMToken, error) {
	t, err := scanToken(s.db.Read.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM center_scim_tokens WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, center.ErrNotFound
	}
	return t, err
}

func (s *Store) ListSCIMTokens(ctx context.Context) ([]*center.SCIMToken, error) {
	return store.Query(ctx, s.db.Read, scanToken, `SELECT `+tokenCols+` FROM center_scim_tokens ORDER BY created_at, id`)
}

func (s *Store) RevokeSCIMToken(ctx context.Context, id string, at time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		t, err := scanToken(tx.QueryRow(`SELECT `+tokenCols+` FROM center_scim_tokens WHERE id = $1`+tx.ForUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return center.ErrNotFound
		}
		if err != nil || t.Revoked != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE center_scim_tokens SET revoked_at = $2 WHERE id = $1`, id, ms(at))
		return err
	})
}
