package directorydb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

// Store is directory.Store on a store.DB.
type Store struct {
	db     *store.DB
	notify chan struct{}
}

var (
	_ directory.Store      = (*Store)(nil)
	_ directory.TokenStore = (*Store)(nil)
)

// New returns a directory store on db.
func New(db *store.DB) *Store { return &Store{db: db, notify: make(chan struct{}, 1)} }

func key(s string) string { return strings.ToLower(s) }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// NewID draws an object id, a UUID as in Entra ID. Version 7 (ordered by
// time) keeps inserts at the end of the primary-key index.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Notify implements directory.Store.
func (s *Store) Notify() <-chan struct{} { return s.notify }

// update runs fn in a write transaction and signals consumers after commit.
func (s *Store) update(ctx context.Context, fn func(tx *store.Tx) error) error {
	err := s.db.Update(ctx, fn)
	if err == nil {
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
	return err
}

// record appends outbox records for the given objects of one kind.
func record(tx *store.Tx, kind string, at time.Time, ids ...string) error {
	for _, id := range ids {
		seq, err := tx.NextSeq("directory_changes")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO directory_changes (seq, kind, object_id, at) VALUES ($1, $2, $3, $4)`,
			seq, kind, id, ms(at)); err != nil {
			return err
		}
	}
	return nil
}

// --- users ---

func (s *Store) CreateUser(ctx context.Context, u *directory.User) error {
	doc, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *store.Tx) error { return insertUser(tx, u, doc) })
}

// insertUser inserts u, whose JSON is doc, and records the change.
func insertUser(tx *store.Tx, u *directory.User, doc []byte) error {
	_, err := tx.Exec(`INSERT INTO directory_users (id, upn_key, employee_id, doc, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, u.ID, key(u.UserPrincipalName), nullable(u.EmployeeID), string(doc),
		ms(u.Created), ms(u.Modified))
	if store.IsUniqueViolation(err) {
		return directory.ErrConflict
	}
	if err != nil {
		return err
	}
	return record(tx, directory.KindUser, u.Modified, u.ID)
}

func decodeUser(doc string, deleted sql.NullInt64) (*directory.User, error) {
	var u directory.User
	if err := json.Unmarshal([]byte(doc), &u); err != nil {
		return nil, fmt.Errorf("decode stored user: %w", err)
	}
	if deleted.Valid {
		t := fromMS(deleted.Int64)
		u.Deleted = &t
	} else {
		u.Deleted = nil
	}
	if u.BusinessPhones == nil {
		u.BusinessPhones = []string{}
	}
	return &u, nil
}

func scanUser(row interface{ Scan(...any) error }) (*directory.User, error) {
	var doc string
	var deleted sql.NullInt64
	if err := row.Scan(&doc, &deleted); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, directory.ErrNotFound
		}
		return nil, err
	}
	return decodeUser(doc, deleted)
}

// GetUser returns a user, soft-deleted ones included (Deleted is set).
func (s *Store) GetUser(ctx context.Context, id string) (*directory.User, error) {
	return scanUser(s.db.Read.QueryRowContext(ctx, `SELECT doc, deleted_at FROM directory_users WHERE id = $1`, id))
}

func (s *Store) UserByUPN(ctx context.Context, upn string) (*directory.User, error) {
	return scanUser(s.db.Read.QueryRowContext(ctx,
		`SELECT doc, deleted_at FROM directory_users WHERE upn_key = $1 AND deleted_at IS NULL`, key(upn)))
}

func (s *Store) UpdateUser(ctx context.Context, id string, fn func(*directory.User) error) (*directory.User, error) {
	var out *directory.User
	err := s.update(ctx, func(tx *store.Tx) error {
		u, err := scanUser(tx.QueryRow(`SELECT doc, deleted_at FROM directory_users WHERE id = $1`+tx.ForUpdate(), id))
		if err != nil {
			return err
		}
		if u.Deleted != nil {
			return directory.ErrNotFound
		}
		if err := fn(u); err != nil {
			return err
		}
		u.ID = id
		if err := writeUser(tx, u); err != nil {
			return err
		}
		out = u
		return record(tx, directory.KindUser, u.Modified, id)
	})
	return out, err
}

func writeUser(tx *store.Tx, u *directory.User) error {
	doc, err := json.Marshal(u)
	if err != nil {
		return err
	}
	var deleted any
	if u.Deleted != nil {
		deleted = ms(*u.Deleted)
	}
	_, err = tx.Exec(`UPDATE directory_users SET upn_key = $2, employee_id = $3, doc = $4, updated_at = $5, deleted_at = $6
		WHERE id = $1`, u.ID, key(u.UserPrincipalName), nullable(u.EmployeeID), string(doc), ms(u.Modified), deleted)
	if store.IsUniqueViolation(err) {
		return directory.ErrConflict
	}
	return err
}

func (s *Store) DeleteUser(ctx context.Context, id string, at time.Time) error {
	return s.update(ctx, func(tx *store.Tx) error {
		u, err := scanUser(tx.QueryRow(`SELECT doc, deleted_at FROM directory_users WHERE id = $1`+tx.ForUpdate(), id))
		if err != nil {
			return err
		}
		if u.Deleted != nil {
			return directory.ErrNotFound
		}
		at = at.UTC().Truncate(time.Millisecond)
		u.Deleted, u.Modified = &at, at
		if err := writeUser(tx, u); err != nil {
			return err
		}
		return record(tx, directory.KindUser, at, id)
	})
}

func (s *Store) RestoreUser(ctx context.Context, id string, at time.Time) (*directory.User, error) {
	var out *directory.User
	err := s.update(ctx, func(tx *store.Tx) error {
		u, err := scanUser(tx.QueryRow(`SELECT doc, deleted_at FROM directory_users WHERE id = $1`+tx.ForUpdate(), id))
		if err != nil {
			return err
		}
		if u.Deleted == nil {
			return directory.Invalidf("user %s is not deleted", id)
		}
		u.Deleted, u.Modified = nil, at.UTC().Truncate(time.Millisecond)
		if err := writeUser(tx, u); err != nil {
			if errors.Is(err, directory.ErrConflict) {
				return directory.Invalidf("cannot restore %s: userPrincipalName %s is taken by another user", id, u.UserPrincipalName)
			}
			return err
		}
		out = u
		return record(tx, directory.KindUser, at, id)
	})
	return out, err
}

func (s *Store) PurgeUser(ctx context.Context, id string, at time.Time) error {
	return s.update(ctx, func(tx *store.Tx) error { return purgeUser(tx, id, at) })
}

func purgeUser(tx *store.Tx, id string, at time.Time) error {
	groups, err := queryStrings(tx, `SELECT group_id FROM directory_members WHERE member_id = $1`, id)
	if err != nil {
		return err
	}
	var ancestors []string
	for _, g := range groups {
		a, err := withAncestors(tx, g)
		if err != nil {
			return err
		}
		ancestors = append(ancestors, a...)
	}
	for _, q := range []string{
		`DELETE FROM directory_members WHERE member_id = $1`,
		`DELETE FROM directory_assignments WHERE principal_id = $1`,
	} {
		if _, err := tx.Exec(q, id); err != nil {
			return err
		}
	}
	res, err := tx.Exec(`DELETE FROM directory_users WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return directory.ErrNotFound
	}
	if err := record(tx, directory.KindGroup, at, dedupe(ancestors)...); err != nil {
		return err
	}
	return record(tx, directory.KindUser, at, id)
}

func (s *Store) PurgeDeletedBefore(ctx context.Context, t time.Time) (int, error) {
	ids, err := queryStrings(s.db.Read, `SELECT id FROM directory_users WHERE deleted_at IS NOT NULL AND deleted_at < $1`, ms(t))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		purged := false
		err := s.update(ctx, func(tx *store.Tx) error {
			// The user may have been restored or purged since the read
			// above; a restored user must not be purged.
			var still string
			err := tx.QueryRow(`SELECT id FROM directory_users WHERE id = $1 AND deleted_at IS NOT NULL AND deleted_at < $2`+
				tx.ForUpdate(), id, ms(t)).Scan(&still)
			if errors.Is(err, sql.ErrNoRows) {
				purged = false
				return nil
			}
			if err != nil {
				return err
			}
			purged = true
			return purgeUser(tx, id, time.Now())
		})
		if err != nil {
			return n, err
		}
		if purged {
			n++
		}
	}
	return n, nil
}

// Graph attribute names usable in queries, mapped to a SQL expression over
// the JSON document. Both engines read JSON: SQLite with json_extract,
// PostgreSQL with ->>; see docExpr.
var userQueryAttrs = map[string]bool{
	"id": true, "userPrincipalName": true, "mail": true, "displayName": true, "givenName": true, "surname": true,
	"employeeId": true, "department": true, "jobTitle": true, "mailNickname": true, "accountEnabled": true,
	"companyName": true, "officeLocation": true, "usageLocation": true,
	"city": true, "state": true, "country": true, "postalCode": true, "mobilePhone": true, "preferredLanguage": true,
}

var groupQueryAttrs = map[string]bool{"id": true, "displayName": true, "mailNickname": true, "description": true,
	"securityEnabled": true}

// boolQueryAttrs are JSON booleans, compared as the text 'true' or 'false'.
var boolQueryAttrs = map[string]bool{"accountEnabled": true, "securityEnabled": true}

// docExpr is the lower-cased text of a JSON attribute of the doc column.
func (s *Store) docExpr(attr string) string {
	if s.db.Dialect == store.Postgres {
		return fmt.Sprintf("lower((doc::jsonb)->>'%s')", attr)
	}
	if boolQueryAttrs[attr] {
		// json_extract turns JSON true and false into 1 and 0; json_type
		// names them 'true' and 'false', as PostgreSQL's ->> does.
		return fmt.Sprintf("json_type(doc, '$.%s')", attr)
	}
	return fmt.Sprintf("lower(json_extract(doc, '$.%s'))", attr)
}

// conds builds WHERE conditions for Eq and StartsWith queries. Values are
// compared lower-cased on both sides, both by the engine's lower() so that
// they fold alike (SQLite's folds ASCII only, so non-ASCII matching is
// exact-case there; ids and UPNs are ASCII in practice).
func (s *Store) conds(eq, sw map[string]string, allowed map[string]bool, args *[]any) ([]string, error) {
	var out []string
	add := func(attr, op, v string) error {
		if !allowed[attr] {
			return directory.Invalidf("filtering on %s is not supported", attr)
		}
		*args = append(*args, v)
		out = append(out, fmt.Sprintf("%s %s lower($%d)", s.docExpr(attr), op, len(*args)))
		return nil
	}
	for a, v := range eq {
		if err := add(a, "=", v); err != nil {
			return nil, err
		}
	}
	for a, v := range sw {
		// LIKE with the wildcards of the value escaped.
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(v)
		if err := add(a, "LIKE", esc+"%"); err != nil {
			return nil, err
		}
		out[len(out)-1] += ` ESCAPE '\'`
	}
	return out, nil
}

func (s *Store) ListUsers(ctx context.Context, q directory.UserQuery) ([]*directory.User, error) {
	var args []any
	conds, err := s.conds(q.Eq, q.StartsWith, userQueryAttrs, &args)
	if err != nil {
		return nil, err
	}
	if q.Deleted {
		conds = append(conds, "deleted_at IS NOT NULL")
	} else {
		conds = append(conds, "deleted_at IS NULL")
	}
	if q.After != "" {
		args = append(args, q.After)
		conds = append(conds, fmt.Sprintf("id > $%d", len(args)))
	}
	query := `SELECT doc, deleted_at FROM directory_users WHERE ` + strings.Join(conds, " AND ") + ` ORDER BY id`
	if q.Limit > 0 {
		args = append(args, q.Limit)
		query += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := s.db.Read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := []*directory.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// --- groups ---

func (s *Store) CreateGroup(ctx context.Context, g *directory.Group) error {
	doc, err := json.Marshal(g)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO directory_groups (id, display_name_key, doc, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5)`, g.ID, key(g.DisplayName), string(doc), ms(g.Created), ms(g.Modified))
		if store.IsUniqueViolation(err) {
			return directory.ErrConflict
		}
		if err != nil {
			return err
		}
		return record(tx, directory.KindGroup, g.Modified, g.ID)
	})
}

func scanGroup(row interface{ Scan(...any) error }) (*directory.Group, error) {
	var doc string
	if err := row.Scan(&doc); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, directory.ErrNotFound
		}
		return nil, err
	}
	var g directory.Group
	if err := json.Unmarshal([]byte(doc), &g); err != nil {
		return nil, fmt.Errorf("decode stored group: %w", err)
	}
	return &g, nil
}

func (s *Store) GetGroup(ctx context.Context, id string) (*directory.Group, error) {
	return scanGroup(s.db.Read.QueryRowContext(ctx, `SELECT doc FROM directory_groups WHERE id = $1`, id))
}

func (s *Store) UpdateGroup(ctx context.Context, id string, fn func(*directory.Group) error) (*directory.Group, error) {
	var out *directory.Group
	err := s.update(ctx, func(tx *store.Tx) error {
		g, err := scanGroup(tx.QueryRow(`SELECT doc FROM directory_groups WHERE id = $1`+tx.ForUpdate(), id))
		if err != nil {
			return err
		}
		if err := fn(g); err != nil {
			return err
		}
		g.ID = id
		doc, err := json.Marshal(g)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE directory_groups SET display_name_key = $2, doc = $3, updated_at = $4 WHERE id = $1`,
			id, key(g.DisplayName), string(doc), ms(g.Modified)); err != nil {
			return err
		}
		out = g
		return record(tx, directory.KindGroup, g.Modified, id)
	})
	return out, err
}

// DeleteGroup removes a group (security groups are not soft-deleted), its
// memberships in both directions and its assignments. Provisioning learns of
// the group and of every user whose scope or flattened groups may change.
func (s *Store) DeleteGroup(ctx context.Context, id string, at time.Time) error {
	return s.update(ctx, func(tx *store.Tx) error {
		ancestors, err := withAncestors(tx, id)
		if err != nil {
			return err
		}
		users, err := usersUnder(tx, id)
		if err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM directory_members WHERE member_id = $1`,
			`DELETE FROM directory_members WHERE group_id = $1`,
			`DELETE FROM directory_assignments WHERE principal_id = $1`,
		} {
			if _, err := tx.Exec(q, id); err != nil {
				return err
			}
		}
		res, err := tx.Exec(`DELETE FROM directory_groups WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return directory.ErrNotFound
		}
		if err := record(tx, directory.KindGroup, at, ancestors...); err != nil {
			return err
		}
		return record(tx, directory.KindUser, at, users...)
	})
}

func (s *Store) ListGroups(ctx context.Context, q directory.GroupQuery) ([]*directory.Group, error) {
	var args []any
	conds, err := s.conds(q.Eq, q.StartsWith, groupQueryAttrs, &args)
	if err != nil {
		return nil, err
	}
	if q.After != "" {
		args = append(args, q.After)
		conds = append(conds, fmt.Sprintf("id > $%d", len(args)))
	}
	query := `SELECT doc FROM directory_groups`
	if len(conds) > 0 {
		query += ` WHERE ` + strings.Join(conds, " AND ")
	}
	query += ` ORDER BY id`
	if q.Limit > 0 {
		args = append(args, q.Limit)
		query += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := s.db.Read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	defer rows.Close()
	out := []*directory.Group{}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// --- membership ---

type querier interface {
	Query(query string, args ...any) (*sql.Rows, error)
}

func queryStrings(q querier, query string, args ...any) ([]string, error) {
	rows, err := q.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// withAncestors returns id (a group or a user) and every group that
// contains it, directly or through other groups, nearest first: by the
// number of nesting steps, then by id.
func withAncestors(q querier, id string) ([]string, error) {
	seen := map[string]bool{id: true}
	out, frontier := []string{id}, []string{id}
	for len(frontier) > 0 {
		var next []string
		for _, g := range frontier {
			parents, err := queryStrings(q, `SELECT group_id FROM directory_members WHERE member_id = $1`, g)
			if err != nil {
				return nil, err
			}
			for _, p := range parents {
				if !seen[p] {
					seen[p] = true
					next = append(next, p)
				}
			}
		}
		slices.Sort(next)
		out = append(out, next...)
		frontier = next
	}
	return out, nil
}

// usersUnder returns every user in the group, directly or through nested
// groups.
func usersUnder(q querier, groupID string) ([]string, error) {
	seen := map[string]bool{groupID: true}
	var users []string
	frontier := []string{groupID}
	for len(frontier) > 0 {
		var next []string
		for _, g := range frontier {
			rows, err := q.Query(`SELECT member_id, member_kind FROM directory_members WHERE group_id = $1`, g)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var id, kind string
				if err := rows.Scan(&id, &kind); err != nil {
					rows.Close()
					return nil, err
				}
				if seen[id] {
					continue
				}
				seen[id] = true
				if kind == directory.KindGroup {
					next = append(next, id)
				} else {
					users = append(users, id)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
		frontier = next
	}
	return users, nil
}

// affected records what a membership or assignment change touches: the
// groups given and their ancestors, and the member itself, or every user
// under it when it is a group.
func affected(tx *store.Tx, at time.Time, groupIDs []string, memberID, memberKind string) error {
	var groups []string
	for _, g := range groupIDs {
		a, err := withAncestors(tx, g)
		if err != nil {
			return err
		}
		groups = append(groups, a...)
	}
	users := []string{memberID}
	if memberKind == directory.KindGroup {
		u, err := usersUnder(tx, memberID)
		if err != nil {
			return err
		}
		users = u
		groups = append(groups, memberID)
	}
	if err := record(tx, directory.KindGroup, at, dedupe(groups)...); err != nil {
		return err
	}
	return record(tx, directory.KindUser, at, users...)
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// kindOf tells whether id is a live user or a group.
func kindOf(tx *store.Tx, id string) (string, error) {
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM directory_users WHERE id = $1 AND deleted_at IS NULL`, id).Scan(&n); err != nil {
		return "", err
	}
	if n > 0 {
		return directory.KindUser, nil
	}
	if err := tx.QueryRow(`SELECT COUNT(*) FROM directory_groups WHERE id = $1`, id).Scan(&n); err != nil {
		return "", err
	}
	if n > 0 {
		return directory.KindGroup, nil
	}
	return "", directory.ErrNotFound
}

func (s *Store) AddMember(ctx context.Context, groupID, memberID string, at time.Time) error {
	return s.update(ctx, func(tx *store.Tx) error {
		if k, err := kindOf(tx, groupID); err != nil || k != directory.KindGroup {
			return directory.ErrNotFound
		}
		kind, err := kindOf(tx, memberID)
		if err != nil {
			return directory.Invalidf("member %s is neither a user nor a group", memberID)
		}
		if kind == directory.KindGroup {
			// Two nodes adding groups into each other at once would each
			// see no cycle; the check and the insert are serialised.
			if err := tx.Lock("directory_members"); err != nil {
				return err
			}
			anc, err := withAncestors(tx, groupID)
			if err != nil {
				return err
			}
			for _, a := range anc {
				if a == memberID {
					return directory.Invalidf("adding group %s to %s would make a cycle", memberID, groupID)
				}
			}
		}
		_, err = tx.Exec(`INSERT INTO directory_members (group_id, member_id, member_kind) VALUES ($1, $2, $3)`,
			groupID, memberID, kind)
		if store.IsUniqueViolation(err) {
			return directory.ErrConflict
		}
		if err != nil {
			return err
		}
		return affected(tx, at, []string{groupID}, memberID, kind)
	})
}

func (s *Store) RemoveMember(ctx context.Context, groupID, memberID string, at time.Time) error {
	return s.update(ctx, func(tx *store.Tx) error {
		var kind string
		err := tx.QueryRow(`SELECT member_kind FROM directory_members WHERE group_id = $1 AND member_id = $2`,
			groupID, memberID).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) {
			return directory.ErrNotFound
		}
		if err != nil {
			return err
		}
		// The users under the member are computed before the row goes.
		if err := affected(tx, at, []string{groupID}, memberID, kind); err != nil {
			return err
		}
		_, err = tx.Exec(`DELETE FROM directory_members WHERE group_id = $1 AND member_id = $2`, groupID, memberID)
		return err
	})
}

func (s *Store) Members(ctx context.Context, groupID string) ([]directory.Member, error) {
	rows, err := s.db.Read.QueryContext(ctx,
		`SELECT member_id, member_kind FROM directory_members WHERE group_id = $1 ORDER BY member_id`, groupID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []directory.Member{}
	for rows.Next() {
		var m directory.Member
		if err := rows.Scan(&m.ID, &m.Kind); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s *Store) MemberOf(ctx context.Context, memberID string) ([]string, error) {
	return queryStrings(s.db.Read, `SELECT group_id FROM directory_members WHERE member_id = $1 ORDER BY group_id`, memberID)
}

func (s *Store) Ancestors(ctx context.Context, id string) ([]string, error) {
	a, err := withAncestors(s.db.Read, id)
	if err != nil {
		return nil, err
	}
	return a[1:], nil
}

// --- apps and assignments ---

func (s *Store) CreateApp(ctx context.Context, a *directory.App) error {
	return s.update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO directory_apps (id, display_name, template, created_at) VALUES ($1, $2, $3, $4)`,
			a.ID, a.DisplayName, a.Template, ms(a.Created))
		if store.IsUniqueViolation(err) {
			return directory.ErrConflict
		}
		if err != nil {
			return err
		}
		return record(tx, directory.KindApp, a.Created, a.ID)
	})
}

func scanApp(row interface{ Scan(...any) error }) (*directory.App, error) {
	var a directory.App
	var created int64
	if err := row.Scan(&a.ID, &a.DisplayName, &a.Template, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, directory.ErrNotFound
		}
		return nil, err
	}
	a.Created = fromMS(created)
	return &a, nil
}

func (s *Store) GetApp(ctx context.Context, id string) (*directory.App, error) {
	return scanApp(s.db.Read.QueryRowContext(ctx, `SELECT id, display_name, template, created_at FROM directory_apps WHERE id = $1`, id))
}

func (s *Store) ListApps(ctx context.Context) ([]*directory.App, error) {
	return store.Query(ctx, s.db.Read, scanApp,
		`SELECT id, display_name, template, created_at FROM directory_apps ORDER BY display_name, id`)
}

func (s *Store) DeleteApp(ctx context.Context, id string, at time.Time) error {
	return s.update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`DELETE FROM directory_apps WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return directory.ErrNotFound
		}
		return record(tx, directory.KindApp, at, id)
	})
}

func (s *Store) Assign(ctx context.Context, a *directory.Assignment) error {
	if a.AppRoleID == "" {
		a.AppRoleID = directory.DefaultAccessRole
	}
	return s.update(ctx, func(tx *store.Tx) error {
		kind, err := kindOf(tx, a.PrincipalID)
		if err != nil {
			return directory.Invalidf("principal %s is neither a user nor a group", a.PrincipalID)
		}
		a.PrincipalKind = kind
		if _, err := tx.Exec(`INSERT INTO directory_assignments (id, app_id, principal_id, principal_kind, app_role_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, a.ID, a.AppID, a.PrincipalID, kind, a.AppRoleID, ms(a.Created)); err != nil {
			if store.IsUniqueViolation(err) {
				return directory.ErrConflict
			}
			if store.IsForeignKeyViolation(err) {
				return directory.ErrNotFound
			}
			return err
		}
		return assignmentChanged(tx, a, a.Created)
	})
}

// assignmentChanged records the app's assignment change: the principal
// (and, for a group, the group and every user under it).
func assignmentChanged(tx *store.Tx, a *directory.Assignment, at time.Time) error {
	if err := record(tx, directory.KindAssignment, at, a.AppID); err != nil {
		return err
	}
	if a.PrincipalKind == directory.KindGroup {
		return affected(tx, at, nil, a.PrincipalID, directory.KindGroup)
	}
	return record(tx, directory.KindUser, at, a.PrincipalID)
}

const assignmentCols = "id, app_id, principal_id, principal_kind, app_role_id, created_at"

func scanAssignment(row interface{ Scan(...any) error }) (*directory.Assignment, error) {
	var a directory.Assignment
	var created int64
	if err := row.Scan(&a.ID, &a.AppID, &a.PrincipalID, &a.PrincipalKind, &a.AppRoleID, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, directory.ErrNotFound
		}
		return nil, err
	}
	a.Created = fromMS(created)
	return &a, nil
}

func (s *Store) Unassign(ctx context.Context, id string, at time.Time) error {
	return s.update(ctx, func(tx *store.Tx) error {
		a, err := scanAssignment(tx.QueryRow(`SELECT `+assignmentCols+` FROM directory_assignments WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM directory_assignments WHERE id = $1`, id); err != nil {
			return err
		}
		return assignmentChanged(tx, a, at)
	})
}

func (s *Store) listAssignments(ctx context.Context, where string, arg string) ([]*directory.Assignment, error) {
	return store.Query(ctx, s.db.Read, scanAssignment,
		`SELECT `+assignmentCols+` FROM directory_assignments WHERE `+where+` ORDER BY id`, arg)
}

func (s *Store) Assignments(ctx context.Context, appID string) ([]*directory.Assignment, error) {
	return s.listAssignments(ctx, "app_id = $1", appID)
}

func (s *Store) AssignmentsOf(ctx context.Context, principalID string) ([]*directory.Assignment, error) {
	return s.listAssignments(ctx, "principal_id = $1", principalID)
}

// AppsOf is one recursive statement: the principal and the groups above
// it, then their assignments. UNION (not UNION ALL) keeps each group once,
// so the walk ends on any graph.
func (s *Store) AppsOf(ctx context.Context, principalID string) ([]string, error) {
	return queryStrings(s.db.Read, `WITH RECURSIVE up (id) AS (
			SELECT CAST($1 AS TEXT)
			UNION
			SELECT m.group_id FROM directory_members m JOIN up ON m.member_id = up.id
		)
		SELECT DISTINCT a.app_id FROM directory_assignments a JOIN up ON a.principal_id = up.id ORDER BY a.app_id`,
		principalID)
}

// --- outbox ---

func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]directory.Change, error) {
	rows, err := s.db.Read.QueryContext(ctx,
		`SELECT seq, kind, object_id, at FROM directory_changes WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []directory.Change
	for rows.Next() {
		var c directory.Change
		var at int64
		if err := rows.Scan(&c.Seq, &c.Kind, &c.ID, &at); err != nil {
			return nil, err
		}
		c.At = fromMS(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *Store) LastChange(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM directory_changes`).Scan(&v)
	return v, err
}

// --- API tokens ---

func (s *Store) CreateAPIToken(ctx context.Context, t *directory.APIToken) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO directory_api_tokens (id, name, secret_hash, created_at) VALUES ($1, $2, $3, $4)`,
			t.ID, t.Name, t.SecretHash, ms(t.Created))
		if store.IsUniqueViolation(err) {
			return directory.ErrConflict
		}
		return err
	})
}

func scanToken(row interface{ Scan(...any) error }) (*directory.APIToken, error) {
	var t directory.APIToken
	var created int64
	var revoked sql.NullInt64
	if err := row.Scan(&t.ID, &t.Name, &t.SecretHash, &created, &revoked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, directory.ErrNotFound
		}
		return nil, err
	}
	t.Created = fromMS(created)
	if revoked.Valid {
		r := fromMS(revoked.Int64)
		t.Revoked = &r
	}
	return &t, nil
}

func (s *Store) GetAPIToken(ctx context.Context, id string) (*directory.APIToken, error) {
	return scanToken(s.db.Read.QueryRowContext(ctx,
		`SELECT id, name, secret_hash, created_at, revoked_at FROM directory_api_tokens WHERE id = $1`, id))
}

func (s *Store) ListAPITokens(ctx context.Context) ([]*directory.APIToken, error) {
	return store.Query(ctx, s.db.Read, scanToken,
		`SELECT id, name, secret_hash, created_at, revoked_at FROM directory_api_tokens ORDER BY created_at, id`)
}

func (s *Store) RevokeAPIToken(ctx context.Context, id string, at time.Time) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE directory_api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, ms(at))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return directory.ErrNotFound
		}
		return nil
	})
}
