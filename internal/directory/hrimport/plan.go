package hrimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// Op is what a change does to a user.
type Op string

// The changes an import makes.
const (
	OpCreate  Op = "create"
	OpUpdate  Op = "update"
	OpDisable Op = "disable" // a user with an employeeId that the file does not name
)

// AttrManager is the attribute name a manager change shows in a diff.
const AttrManager = "manager"

// Diff is one attribute an update changes.
type Diff struct {
	Attr string // a Graph attribute name, or AttrManager
	// Old and New are the values as text; for the manager, the managers'
	// employeeIds (or userPrincipalName, for a manager without one).
	Old, New string
	value    string // what is stored: New, or the new manager's object id
}

func (d Diff) String() string {
	if d.Attr == ColAccountEnabled {
		return fmt.Sprintf("%s: %s -> %s", d.Attr, d.Old, d.New)
	}
	return fmt.Sprintf("%s: %q -> %q", d.Attr, d.Old, d.New)
}

// apply sets the attribute on u.
func (d Diff) apply(u *directory.User) {
	if d.Attr == AttrManager {
		u.ManagerID = d.value
		return
	}
	attributeNamed(d.Attr).set(u, d.value)
}

func attributeNamed(name string) attribute {
	for _, a := range attributes {
		if a.name == name {
			return a
		}
	}
	panic("hrimport: no attribute " + name)
}

// Change is one store write of a plan.
type Change struct {
	Op         Op
	EmployeeID string
	UPN        string          // the user's userPrincipalName (the new one for a create)
	UserID     string          // the user's object id (the one it will get, for a create)
	Line       int             // the row behind the change; 0 for a disable
	User       *directory.User // OpCreate: the user to store
	Diffs      []Diff          // OpUpdate: what changes
}

// String is the change's line of a printed plan.
func (c *Change) String() string {
	switch c.Op {
	case OpCreate:
		return fmt.Sprintf("+ create %s %s", c.EmployeeID, c.UPN)
	case OpUpdate:
		parts := make([]string, len(c.Diffs))
		for i, d := range c.Diffs {
			parts[i] = d.String()
		}
		return fmt.Sprintf("~ update %s %s", c.EmployeeID, strings.Join(parts, ", "))
	default:
		return fmt.Sprintf("- disable %s %s", c.EmployeeID, c.UPN)
	}
}

// Plan is what an import changes: creates first (a manager before the
// users it manages), then updates in file order, then disables by
// employeeId.
type Plan struct {
	Changes   []*Change
	Unchanged int // rows whose user already matches them
}

// Count counts the changes of one kind.
func (p *Plan) Count(op Op) int {
	n := 0
	for _, c := range p.Changes {
		if c.Op == op {
			n++
		}
	}
	return n
}

// Summary is the plan's count line.
func (p *Plan) Summary() string {
	return fmt.Sprintf("%d to create, %d to update, %d to disable, %d unchanged",
		p.Count(OpCreate), p.Count(OpUpdate), p.Count(OpDisable), p.Unchanged)
}

// WriteTo prints the plan: one line per change, then the summary.
func (p *Plan) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	for _, c := range p.Changes {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	b.WriteString(p.Summary())
	b.WriteByte('\n')
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// Load parses a feed and computes its plan: Parse, then Compute.
func Load(ctx context.Context, s directory.Store, r io.Reader) (*Plan, error) {
	f, err := Parse(r)
	if err != nil {
		return nil, err
	}
	return Compute(ctx, s, f)
}

// Compute validates the feed's rows against the directory and works out the
// changes that bring the live users in line with it. It returns an Errors
// value holding the feed's own problems and those found here, by line, if
// there are any, and no plan then. Compute only reads the store.
func Compute(ctx context.Context, s directory.Store, f *Feed) (*Plan, error) {
	users, err := liveUsers(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	byID := map[string]*directory.User{}
	byEID := map[string][]*directory.User{}
	byUPN := map[string]*directory.User{}
	for _, u := range users {
		byID[u.ID] = u
		if u.EmployeeID != "" {
			byEID[u.EmployeeID] = append(byEID[u.EmployeeID], u)
		}
		byUPN[strings.ToLower(u.UserPrincipalName)] = u
	}
	errs := slices.Clone(f.Errors)
	bad := func(line int, format string, args ...any) {
		errs = append(errs, LineError{line, fmt.Sprintf(format, args...)})
	}

	// 1. Match each row to its live user by employeeId, or draw the id its
	// new user will have (so that rows can name it as their manager).
	type match struct {
		row *Row
		cur *directory.User // nil: a new user
		id  string
	}
	var matches []match
	idByEID := map[string]string{}
	newEID := map[string]string{} // id of a new user -> its employeeId
	for _, r := range f.Rows {
		m := match{row: r}
		switch us := byEID[r.EmployeeID()]; len(us) {
		case 0:
			m.id = uuid.NewString()
			newEID[m.id] = r.EmployeeID()
		case 1:
			m.cur, m.id = us[0], us[0].ID
		default:
			bad(r.Line, "employeeId %q matches %d users in the directory (%s); give each its own employeeId first",
				r.EmployeeID(), len(us), upns(us))
			continue
		}
		idByEID[r.EmployeeID()] = m.id
		matches = append(matches, m)
	}

	// manager resolves a row's managerEmployeeId to an object id; ok is
	// false when it cannot (and the row has been reported).
	manager := func(r *Row) (id string, ok bool) {
		eid := r.Values[ColManagerEmployeeID]
		switch {
		case eid == "":
			return "", true
		case eid == r.EmployeeID():
			bad(r.Line, "managerEmployeeId %q is the row's own employeeId; a user cannot be their own manager", eid)
			return "", false
		}
		if id, ok := idByEID[eid]; ok {
			return id, true
		}
		if f.employeeIDs[eid] {
			return "", false // the manager's own row is bad, and reported
		}
		switch us := byEID[eid]; len(us) {
		case 1:
			return us[0].ID, true
		case 0:
			bad(r.Line, "managerEmployeeId %q matches no row of the file and no user in the directory", eid)
		default:
			bad(r.Line, "managerEmployeeId %q matches %d users in the directory (%s)", eid, len(us), upns(us))
		}
		return "", false
	}
	// describe names a manager in a diff.
	describe := func(id string) string {
		if id == "" {
			return ""
		}
		if u := byID[id]; u != nil {
			if u.EmployeeID != "" {
				return u.EmployeeID
			}
			return u.UserPrincipalName
		}
		if eid, ok := newEID[id]; ok {
			return eid
		}
		return id
	}
	taken := func(line int, upn, self string) {
		if other := byUPN[strings.ToLower(upn)]; other != nil && other.ID != self {
			who := "has no employeeId"
			if other.EmployeeID != "" {
				who = fmt.Sprintf("has employeeId %q", other.EmployeeID)
			}
			bad(line, "userPrincipalName %q is taken by another user (id %s, which %s)", upn, other.ID, who)
		}
	}

	// 2. Work out each row's user: a new one to create, or the current one
	// with the file's columns set, compared column by column.
	p := &Plan{}
	var creates, updates []*Change
	for _, m := range matches {
		r := m.row
		mgr, mgrOK := manager(r)
		if m.cur == nil {
			u := &directory.User{ID: m.id, EmployeeID: r.EmployeeID(), AccountEnabled: directory.DefaultAccountEnabled}
			for _, a := range attributes {
				if v := r.Values[a.name]; v != "" {
					a.set(u, v)
				}
			}
			if u.DisplayName == "" {
				u.DisplayName = strings.TrimSpace(u.GivenName + " " + u.Surname)
			}
			if mgrOK {
				u.ManagerID = mgr
			}
			directory.NormalizeUser(u)
			directory.FillUserDefaults(u)
			var skip []string
			if u.UserPrincipalName == "" {
				bad(r.Line, "userPrincipalName is required to create a user, and employeeId %q is not in the directory", u.EmployeeID)
				skip = append(skip, ColUserPrincipalName, "mailNickname") // both follow from the missing UPN
			} else {
				taken(r.Line, u.UserPrincipalName, "")
			}
			if u.DisplayName == "" {
				bad(r.Line, "displayName is required to create a user; give displayName, or givenName and surname")
				skip = append(skip, ColDisplayName)
			}
			for _, msg := range problems(directory.ValidateUser(u), skip...) {
				bad(r.Line, "%s", msg)
			}
			creates = append(creates, &Change{Op: OpCreate, EmployeeID: u.EmployeeID, UPN: u.UserPrincipalName,
				UserID: u.ID, Line: r.Line, User: u})
			continue
		}

		cur := m.cur
		want := clone(cur)
		for _, a := range attributes {
			if v, ok := r.Values[a.name]; ok && (v != "" || !a.keep) {
				a.set(want, v)
			}
		}
		if mgrOK && f.Has(ColManagerEmployeeID) {
			want.ManagerID = mgr
		}
		directory.NormalizeUser(want)
		if !strings.EqualFold(want.UserPrincipalName, cur.UserPrincipalName) {
			taken(r.Line, want.UserPrincipalName, cur.ID)
		}
		// Report only what the row brings: a stored user may already break
		// a rule in an attribute the file does not manage.
		already := problems(directory.ValidateUser(cur))
		for _, msg := range problems(directory.ValidateUser(want)) {
			if !slices.Contains(already, msg) {
				bad(r.Line, "%s", msg)
			}
		}
		var diffs []Diff
		for _, a := range attributes {
			if f.Has(a.name) {
				if old, nw := a.get(cur), a.get(want); old != nw {
					diffs = append(diffs, Diff{Attr: a.name, Old: old, New: nw, value: nw})
				}
			}
		}
		if f.Has(ColManagerEmployeeID) && want.ManagerID != cur.ManagerID {
			diffs = append(diffs, Diff{Attr: AttrManager, Old: describe(cur.ManagerID), New: describe(want.ManagerID), value: want.ManagerID})
		}
		if len(diffs) == 0 {
			p.Unchanged++
			continue
		}
		updates = append(updates, &Change{Op: OpUpdate, EmployeeID: cur.EmployeeID, UPN: want.UserPrincipalName,
			UserID: cur.ID, Line: r.Line, Diffs: diffs})
	}

	// 3. Disable the enabled users with an employeeId the file does not
	// name: the feed is full, so they have left.
	var disables []*Change
	for _, u := range users {
		if u.EmployeeID != "" && !f.employeeIDs[u.EmployeeID] && u.AccountEnabled {
			disables = append(disables, &Change{Op: OpDisable, EmployeeID: u.EmployeeID, UPN: u.UserPrincipalName, UserID: u.ID})
		}
	}
	slices.SortStableFunc(disables, func(a, b *Change) int { return strings.Compare(a.EmployeeID, b.EmployeeID) })

	if len(errs) > 0 {
		return nil, errs.sorted()
	}
	p.Changes = append(append(managersFirst(creates), updates...), disables...)
	return p, nil
}

// managersFirst orders creates so that a new manager is created before the
// new users it manages; otherwise file order is kept.
func managersFirst(creates []*Change) []*Change {
	byID := map[string]*Change{}
	for _, c := range creates {
		byID[c.UserID] = c
	}
	out := make([]*Change, 0, len(creates))
	done := map[string]bool{}
	var visit func(c *Change)
	visit = func(c *Change) {
		if done[c.UserID] {
			return
		}
		done[c.UserID] = true // before the manager: a cycle of new users ends here
		if m := byID[c.User.ManagerID]; m != nil {
			visit(m)
		}
		out = append(out, c)
	}
	for _, c := range creates {
		visit(c)
	}
	return out
}

// problems lists a validation error's attribute problems as
// "attribute: reason", leaving out the skipped attributes.
func problems(err error, skip ...string) []string {
	if err == nil {
		return nil
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	var out []string
	for _, e := range list {
		var ae *directory.AttrError
		switch {
		case errors.As(e, &ae) && slices.Contains(skip, ae.Attr):
		case errors.As(e, &ae):
			out = append(out, ae.Attr+": "+ae.Reason)
		default:
			out = append(out, e.Error())
		}
	}
	return out
}

func upns(us []*directory.User) string {
	s := make([]string, len(us))
	for i, u := range us {
		s[i] = u.UserPrincipalName
	}
	return strings.Join(s, ", ")
}

func clone(u *directory.User) *directory.User {
	c := *u
	c.BusinessPhones = slices.Clone(u.BusinessPhones)
	return &c
}

// liveUsers lists every live user, a page at a time.
func liveUsers(ctx context.Context, s directory.Store) ([]*directory.User, error) {
	const page = 500
	var all []*directory.User
	after := ""
	for {
		us, err := s.ListUsers(ctx, directory.UserQuery{After: after, Limit: page})
		if err != nil {
			return nil, err
		}
		all = append(all, us...)
		if len(us) < page {
			return all, nil
		}
		after = us[len(us)-1].ID
	}
}
