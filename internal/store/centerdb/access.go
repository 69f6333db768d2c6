package centerdb

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

// The access model (center.AccessStore) on the same Store, so one value
// serves both interfaces and a user's or group's deletion removes its
// assignments in the deleting transaction (deletePrincipalAssignments).

var _ center.AccessStore = (*Store)(nil)

// --- permission sets ---

// psDoc is a permission set as stored: the whole value, times in UTC
// milliseconds.
func psDoc(ps *center.PermissionSet) (string, error) {
	c := *ps
	c.CreatedDate = fromMS(ms(c.CreatedDate))
	b, err := json.Marshal(&c)
	return string(b), err
}

func decodePermissionSet(doc string) (*center.PermissionSet, error) {
	var ps center.PermissionSet
	if err := json.Unmarshal([]byte(doc), &ps); err != nil {
		return nil, fmt.Errorf("decode stored permission set: %w", err)
	}
	return &ps, nil
}

// copyPermissionSet deep-copies ps, so the caller's value is never
// normalised or aliased by the store.
func copyPermissionSet(ps *center.PermissionSet) *center.PermissionSet {
	c := *ps
	c.ManagedPolicies = slices.Clone(ps.ManagedPolicies)
	c.CustomerManagedPolicies = slices.Clone(ps.CustomerManagedPolicies)
	c.Tags = slices.Clone(ps.Tags)
	if b := ps.PermissionsBoundary; b != nil {
		nb := *b
		if b.CustomerManagedPolicyReference != nil {
			r := *b.CustomerManagedPolicyReference
			nb.CustomerManagedPolicyReference = &r
		}
		c.PermissionsBoundary = &nb
	}
	return &c
}

func (s *Store) CreatePermissionSet(ctx context.Context, ps *center.PermissionSet) error {
	if err := center.ValidatePermissionSet(ps); err != nil {
		return err
	}
	c := copyPermissionSet(ps)
	center.NormalizePermissionSet(c)
	doc, err := psDoc(c)
	if err != nil {
		return err
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO center_permission_sets (arn, name, name_key, doc, created_at)
			VALUES ($1, $2, $3, $4, $5)`, c.ARN, c.Name, Key(c.Name), doc, ms(c.CreatedDate))
		if store.IsUniqueViolation(err) {
			return center.Conflictf("Permission set with name %s already exists", c.Name)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("create permission set %q: %w", ps.Name, err)
	}
	return nil
}

func (s *Store) GetPermissionSet(ctx context.Context, arn string) (*center.PermissionSet, error) {
	var doc string
	err := s.db.Read.QueryRowContext(ctx, `SELECT doc FROM center_permission_sets WHERE arn = $1`, arn).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("permission set %s: %w", arn, center.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get permission set %s: %w", arn, err)
	}
	return decodePermissionSet(doc)
}

func (s *Store) ListPermissionSets(ctx context.Context) ([]*center.PermissionSet, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT doc FROM center_permission_sets`)
	if err != nil {
		return nil, fmt.Errorf("list permission sets: %w", err)
	}
	defer rows.Close()
	out := []*center.PermissionSet{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		ps, err := decodePermissionSet(doc)
		if err != nil {
			return nil, err
		}
		out = append(out, ps)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Sorted here, not in SQL: the engines collate text differently.
	slices.SortFunc(out, comparePermissionSets)
	return out, nil
}

func comparePermissionSets(a, b *center.PermissionSet) int {
	return cmp.Or(cmp.Compare(Key(a.Name), Key(b.Name)), cmp.Compare(a.ARN, b.ARN))
}

func (s *Store) UpdatePermissionSet(ctx context.Context, arn string, fn func(*center.PermissionSet) error) (*center.PermissionSet, error) {
	var out *center.PermissionSet
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var doc string
		err := tx.QueryRow(`SELECT doc FROM center_permission_sets WHERE arn = $1`+tx.ForUpdate(), arn).Scan(&doc)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("permission set %s: %w", arn, center.ErrNotFound)
		}
		if err != nil {
			return err
		}
		old, err := decodePermissionSet(doc)
		if err != nil {
			return err
		}
		ps := copyPermissionSet(old)
		if err := fn(ps); err != nil {
			return err
		}
		switch {
		case ps.Name != old.Name:
			return center.Invalidf("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: "+
				"Member is immutable", ps.Name)
		case ps.ARN != old.ARN:
			return center.Invalidf("1 validation error detected: Value '%s' at 'permissionSetArn' failed to satisfy constraint: "+
				"Member is immutable", ps.ARN)
		}
		ps.CreatedDate = old.CreatedDate
		if err := center.ValidatePermissionSet(ps); err != nil {
			return err
		}
		center.NormalizePermissionSet(ps)
		if doc, err = psDoc(ps); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE center_permission_sets SET doc = $2 WHERE arn = $1`, arn, doc); err != nil {
			return err
		}
		out = ps
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update permission set: %w", err)
	}
	return out, nil
}

func (s *Store) DeletePermissionSet(ctx context.Context, arn string) error {
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM center_account_assignments WHERE permission_set_arn = $1`, arn).
			Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return center.Conflictf("Permission set %s is assigned %d times: remove its account assignments first", arn, n)
		}
		err := deleteRow(tx, `DELETE FROM center_permission_sets WHERE arn = $1`, arn)
		if store.IsForeignKeyViolation(err) {
			// An assignment was created after the count (another node).
			return center.Conflictf("Permission set %s is assigned: remove its account assignments first", arn)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete permission set %s: %w", arn, err)
	}
	return nil
}

// --- accounts ---

const accountCols = "id, name, email, real_aws, created_at"

func scanAccount(sc interface{ Scan(...any) error }) (*center.Account, error) {
	var a center.Account
	var created int64
	if err := sc.Scan(&a.ID, &a.Name, &a.Email, &a.RealAWS, &created); err != nil {
		return nil, err
	}
	a.CreatedDate = fromMS(created)
	return &a, nil
}

func (s *Store) PutAccount(ctx context.Context, a *center.Account) error {
	if err := center.ValidateAccount(a); err != nil {
		return err
	}
	created := a.CreatedDate
	if created.IsZero() {
		created = time.Now()
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO center_accounts (id, name, email, real_aws, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, real_aws = excluded.real_aws`,
			a.ID, a.Name, a.Email, a.RealAWS, ms(created))
		return err
	})
	if err != nil {
		return fmt.Errorf("put account %s: %w", a.ID, err)
	}
	return nil
}

func (s *Store) GetAccount(ctx context.Context, id string) (*center.Account, error) {
	a, err := scanAccount(s.db.Read.QueryRowContext(ctx, `SELECT `+accountCols+` FROM center_accounts WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("account %s: %w", id, center.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get account %s: %w", id, err)
	}
	return a, nil
}

func (s *Store) ListAccounts(ctx context.Context) ([]*center.Account, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+accountCols+` FROM center_accounts`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	out := []*center.Account{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Sorted here, not in SQL: the engines collate text differently.
	slices.SortFunc(out, compareAccounts)
	return out, nil
}

func compareAccounts(a, b *center.Account) int {
	return cmp.Or(cmp.Compare(Key(a.Name), Key(b.Name)), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
}

func (s *Store) DeleteAccount(ctx context.Context, id string) error {
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(`DELETE FROM center_account_assignments WHERE account_id = $1`, id); err != nil {
			return err
		}
		return deleteRow(tx, `DELETE FROM center_accounts WHERE id = $1`, id)
	})
	if err != nil {
		return fmt.Errorf("delete account %s: %w", id, err)
	}
	return nil
}

// --- assignments ---

const assignmentCols = "account_id, permission_set_arn, principal_type, principal_id, status, request_id, failure_reason, created_at"

func scanAssignment(sc interface{ Scan(...any) error }) (*center.AccountAssignment, error) {
	var a center.AccountAssignment
	var typ, status string
	var created int64
	if err := sc.Scan(&a.AccountID, &a.PermissionSetARN, &typ, &a.PrincipalID, &status, &a.RequestID,
		&a.FailureReason, &created); err != nil {
		return nil, err
	}
	a.PrincipalType, a.Status, a.CreatedDate = center.PrincipalType(typ), center.ProvisioningStatus(status), fromMS(created)
	return &a, nil
}

// exists checks (and, on PostgreSQL, locks until the transaction ends) the
// row a new assignment refers to, so a concurrent delete of it waits and
// then removes the new assignment too.
func exists(tx *store.Tx, query, id, what string) error {
	var n int
	err := tx.QueryRow(query+tx.ForUpdate(), id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %s: %w", what, id, center.ErrNotFound)
	}
	return err
}

func (s *Store) CreateAccountAssignment(ctx context.Context, a *center.AccountAssignment) (*center.AccountAssignment, error) {
	if err := center.ValidateAccountAssignment(a); err != nil {
		return nil, err
	}
	n := *a
	if n.RequestID == "" {
		n.RequestID = center.NewRequestID()
	}
	if n.CreatedDate.IsZero() {
		n.CreatedDate = time.Now()
	}
	n.CreatedDate = fromMS(ms(n.CreatedDate))
	// Provisioning completes synchronously: there is no member account to
	// push a role into (see center.AccessStore).
	n.Status, n.FailureReason = center.StatusSucceeded, ""
	var out *center.AccountAssignment
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		// 1. An existing assignment is returned as it is (idempotence).
		got, err := scanAssignment(tx.QueryRow(`SELECT `+assignmentCols+` FROM center_account_assignments
			WHERE account_id = $1 AND permission_set_arn = $2 AND principal_type = $3 AND principal_id = $4`,
			n.AccountID, n.PermissionSetARN, string(n.PrincipalType), n.PrincipalID))
		if err == nil {
			out = got
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// 2. Everything it refers to exists.
		if err := exists(tx, `SELECT 1 FROM center_accounts WHERE id = $1`, n.AccountID, "account"); err != nil {
			return err
		}
		if err := exists(tx, `SELECT 1 FROM center_permission_sets WHERE arn = $1`, n.PermissionSetARN, "permission set"); err != nil {
			return err
		}
		if n.PrincipalType == center.PrincipalUser {
			err = exists(tx, `SELECT 1 FROM center_users WHERE id = $1`, n.PrincipalID, "user")
		} else {
			err = exists(tx, `SELECT 1 FROM center_groups WHERE id = $1`, n.PrincipalID, "group")
		}
		if err != nil {
			return err
		}
		// 3. Insert; a concurrent create of the same tuple on another node
		// wins the conflict and its row is returned.
		if _, err := tx.Exec(`INSERT INTO center_account_assignments (`+assignmentCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (account_id, permission_set_arn, principal_type, principal_id) DO NOTHING`,
			n.AccountID, n.PermissionSetARN, string(n.PrincipalType), n.PrincipalID, string(n.Status), n.RequestID,
			n.FailureReason, ms(n.CreatedDate)); err != nil {
			if store.IsUniqueViolation(err) {
				return center.Conflictf("request id %s is already used", n.RequestID)
			}
			return err
		}
		out, err = scanAssignment(tx.QueryRow(`SELECT `+assignmentCols+` FROM center_account_assignments
			WHERE account_id = $1 AND permission_set_arn = $2 AND principal_type = $3 AND principal_id = $4`,
			n.AccountID, n.PermissionSetARN, string(n.PrincipalType), n.PrincipalID))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create account assignment: %w", err)
	}
	return out, nil
}

func (s *Store) DeleteAccountAssignment(ctx context.Context, a *center.AccountAssignment) (*center.AccountAssignment, error) {
	probe := *a
	probe.RequestID = ""
	if err := center.ValidateAccountAssignment(&probe); err != nil {
		return nil, err
	}
	var out *center.AccountAssignment
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		got, err := scanAssignment(tx.QueryRow(`SELECT `+assignmentCols+` FROM center_account_assignments
			WHERE account_id = $1 AND permission_set_arn = $2 AND principal_type = $3 AND principal_id = $4`+tx.ForUpdate(),
			a.AccountID, a.PermissionSetARN, string(a.PrincipalType), a.PrincipalID))
		if errors.Is(err, sql.ErrNoRows) {
			return center.ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM center_account_assignments
			WHERE account_id = $1 AND permission_set_arn = $2 AND principal_type = $3 AND principal_id = $4`,
			a.AccountID, a.PermissionSetARN, string(a.PrincipalType), a.PrincipalID); err != nil {
			return err
		}
		got.Status, got.RequestID, got.CreatedDate, got.FailureReason = center.StatusSucceeded, center.NewRequestID(),
			fromMS(ms(time.Now())), ""
		out = got
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delete account assignment: %w", err)
	}
	return out, nil
}

func (s *Store) AccountAssignmentByRequest(ctx context.Context, requestID string) (*center.AccountAssignment, error) {
	a, err := scanAssignment(s.db.Read.QueryRowContext(ctx, `SELECT `+assignmentCols+`
		FROM center_account_assignments WHERE request_id = $1`, requestID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("account assignment request %s: %w", requestID, center.ErrNotFound)
	}
	return a, err
}

func (s *Store) assignments(ctx context.Context, query string, args ...any) ([]*center.AccountAssignment, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+assignmentCols+` FROM center_account_assignments `+query, args...)
	if err != nil {
		return nil, fmt.Errorf("list account assignments: %w", err)
	}
	defer rows.Close()
	out := []*center.AccountAssignment{}
	for rows.Next() {
		a, err := scanAssignment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *Store) ListAccountAssignments(ctx context.Context, accountID, permissionSetARN string) ([]*center.AccountAssignment, error) {
	return s.assignments(ctx, `WHERE account_id = $1 AND permission_set_arn = $2 ORDER BY principal_type, principal_id`,
		accountID, permissionSetARN)
}

func (s *Store) AssignmentsForPrincipal(ctx context.Context, typ center.PrincipalType, principalID string) ([]*center.AccountAssignment, error) {
	return s.assignments(ctx, `WHERE principal_type = $1 AND principal_id = $2 ORDER BY account_id, permission_set_arn`,
		string(typ), principalID)
}

// deletePrincipalAssignments removes a user's or group's assignments inside
// the transaction that deletes it, so none is left naming a principal that
// no longer exists (unlike AWS, reference §4.4).
func deletePrincipalAssignments(tx *store.Tx, typ center.PrincipalType, id string) error {
	_, err := tx.Exec(`DELETE FROM center_account_assignments WHERE principal_type = $1 AND principal_id = $2`,
		string(typ), id)
	return err
}

// EffectiveAccess reads, in one query, the user's own assignments and those
// of the groups it is a member of (center groups are flat), then folds them
// into one entry per account and permission set.
func (s *Store) EffectiveAccess(ctx context.Context, userID string) ([]*center.Access, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT acc.id, acc.name, acc.email, acc.real_aws, acc.created_at, ps.doc,
			a.principal_type, COALESCE(g.id, ''), COALESCE(g.display_name, '')
		FROM center_account_assignments a
		JOIN center_accounts acc ON acc.id = a.account_id
		JOIN center_permission_sets ps ON ps.arn = a.permission_set_arn
		LEFT JOIN center_groups g ON a.principal_type = 'GROUP' AND g.id = a.principal_id
		WHERE (a.principal_type = 'USER' AND a.principal_id = $1)
		   OR (a.principal_type = 'GROUP' AND a.principal_id IN (SELECT m.group_id FROM center_group_members m WHERE m.user_id = $2))`,
		userID, userID)
	if err != nil {
		return nil, fmt.Errorf("effective access: %w", err)
	}
	defer rows.Close()
	type pair struct{ account, ps string }
	byPair := map[pair]*center.Access{}
	out := []*center.Access{}
	for rows.Next() {
		acc, err := scanAccountThen(rows)
		if err != nil {
			return nil, err
		}
		ps, err := decodePermissionSet(acc.doc)
		if err != nil {
			return nil, err
		}
		via := center.Via{GroupID: acc.groupID, GroupDisplayName: acc.groupName}
		if acc.principalType == string(center.PrincipalUser) {
			via = center.Via{}
		}
		k := pair{acc.ID, ps.ARN}
		x := byPair[k]
		if x == nil {
			x = &center.Access{Account: &acc.Account, PermissionSet: ps}
			byPair[k] = x
			out = append(out, x)
		}
		if !slices.Contains(x.Via, via) {
			x.Via = append(x.Via, via)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("effective access: %w", err)
	}
	if len(out) == 0 {
		// No access at all: say whether that is because there is no user.
		var n int
		if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM center_users WHERE id = $1`, userID).
			Scan(&n); err != nil {
			return nil, fmt.Errorf("effective access: %w", err)
		}
		if n == 0 {
			return nil, fmt.Errorf("user %s: %w", userID, center.ErrNotFound)
		}
	}
	for _, x := range out {
		slices.SortFunc(x.Via, func(a, b center.Via) int {
			if a.Direct() != b.Direct() {
				if a.Direct() {
					return -1
				}
				return 1
			}
			return cmp.Or(cmp.Compare(Key(a.GroupDisplayName), Key(b.GroupDisplayName)), cmp.Compare(a.GroupID, b.GroupID))
		})
	}
	slices.SortFunc(out, func(a, b *center.Access) int {
		return cmp.Or(compareAccounts(a.Account, b.Account),
			comparePermissionSets(a.PermissionSet, b.PermissionSet))
	})
	return out, nil
}

type accessRow struct {
	center.Account
	doc, principalType, groupID, groupName string
}

func scanAccountThen(rows *sql.Rows) (*accessRow, error) {
	var r accessRow
	var created int64
	if err := rows.Scan(&r.ID, &r.Name, &r.Email, &r.RealAWS, &created, &r.doc, &r.principalType, &r.groupID,
		&r.groupName); err != nil {
		return nil, err
	}
	r.CreatedDate = fromMS(created)
	return &r, nil
}
