package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// Directory is what a directory backend implements: the directory and its
// admin API tokens.
type Directory interface {
	directory.Store
	directory.TokenStore
}

// OpenDirectory opens a directory store on a new, empty database for one
// subtest, and arranges (t.Cleanup) for it to be closed and removed when the
// subtest ends.
//
// node opens another store on the same database, as another process or
// node would (its own connections and, for SQLite, its own writer); every
// store it returns is closed when the subtest ends. It may be called more
// than once and from the subtest's goroutine only.
type OpenDirectory func(t *testing.T) (s Directory, node func() Directory)

// dirEnv is what every subtest of RunDirectory works with.
type dirEnv struct {
	t    *testing.T
	ctx  context.Context
	s    Directory
	node func() Directory
}

type dirTest struct {
	name string
	run  func(e *dirEnv)
}

// RunDirectory runs the directory.Store and directory.TokenStore conformance
// suite, one subtest per rule, each on a database of its own from open.
func RunDirectory(t *testing.T, open OpenDirectory) {
	tests := []dirTest{
		{"UserRoundTrip", testDirUserRoundTrip},
		{"UserMinimal", testDirUserMinimal},
		{"UserNotFound", testDirUserNotFound},
		{"UserIDConflict", testDirUserIDConflict},
		{"UPNUniqueCaseInsensitive", testDirUPNUnique},
		{"UpdateUser", testDirUpdateUser},
		{"UpdateUserErrors", testDirUpdateUserErrors},
		{"SoftDeleteRestore", testDirSoftDelete},
		{"UPNReuseAfterDelete", testDirUPNReuse},
		{"PurgeUser", testDirPurgeUser},
		{"PurgeDeletedBefore", testDirPurgeDeletedBefore},
		{"PurgeDeletedBeforeRacesRestore", testDirPurgeRacesRestore},

		{"ListUsersEq", testDirListUsersEq},
		{"ListUsersStartsWith", testDirListUsersStartsWith},
		{"ListUsersWildcardsLiteral", testDirListUsersWildcards},
		{"ListUsersDeleted", testDirListUsersDeleted},
		{"ListUsersPaging", testDirListUsersPaging},
		{"ListUnsupportedAttr", testDirListUnsupportedAttr},
		{"ListGroups", testDirListGroups},

		{"GroupRoundTrip", testDirGroupRoundTrip},
		{"UpdateGroup", testDirUpdateGroup},
		{"GroupErrors", testDirGroupErrors},
		{"AddMember", testDirAddMember},
		{"Ancestors", testDirAncestors},
		{"AppsOf", testDirAppsOf},
		{"AddMemberErrors", testDirAddMemberErrors},
		{"RemoveMember", testDirRemoveMember},
		{"DeleteGroup", testDirDeleteGroup},
		{"Owners", testDirOwners},
		{"OwnerErrors", testDirOwnerErrors},
		{"OwnersGoWithUserAndGroup", testDirOwnersGoWithUserAndGroup},

		{"Apps", testDirApps},
		{"Assign", testDirAssign},
		{"AssignErrors", testDirAssignErrors},
		{"Unassign", testDirUnassign},

		{"OutboxEveryWrite", testOutboxEveryWrite},
		{"OutboxAddUserMember", testOutboxAddUserMember},
		{"OutboxAddGroupMember", testOutboxAddGroupMember},
		{"OutboxRemoveMember", testOutboxRemoveMember},
		{"OutboxDeleteGroup", testOutboxDeleteGroup},
		{"OutboxPurgeUser", testOutboxPurgeUser},
		{"OutboxAssign", testOutboxAssign},
		{"OutboxFailedWrites", testOutboxFailedWrites},
		{"OutboxPaging", testOutboxPaging},
		{"Notify", testDirNotify},

		{"SessionUser", testDirSessionUser},

		{"APITokens", testDirAPITokens},
		{"APITokenRevoke", testDirAPITokenRevoke},

		{"ConcurrentSameUPN", testDirConcurrentSameUPN},
		{"ConcurrentNodesOutbox", testDirConcurrentNodesOutbox},
		{"ConcurrentNodesCycle", testDirConcurrentNodesCycle},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, node := open(t)
			tc.run(&dirEnv{t: t, ctx: t.Context(), s: s, node: node})
		})
	}
}

// dirUser is a user with only what the store needs.
func dirUser(upn string) *directory.User {
	return &directory.User{
		ID:                newID(),
		UserPrincipalName: upn,
		DisplayName:       upn,
		AccountEnabled:    true,
		Created:           t0,
		Modified:          t0,
	}
}

// fullDirUser sets every attribute, with text that needs escaping in JSON
// and SQL.
func fullDirUser(upn string) *directory.User {
	return &directory.User{
		ID:                newID(),
		UserPrincipalName: upn,
		Mail:              upn,
		MailNickname:      "asa.oberg",
		GivenName:         "Åsa",
		Surname:           "Öberg",
		DisplayName:       `Åsa "the boss" O'Berg <a&b> \ 🚀 漢字 %_`,
		JobTitle:          "Staff Engineer",
		Department:        "Tour Operations",
		EmployeeID:        "701984",
		CompanyName:       "Universal Studios",
		MobilePhone:       "+46 70 123 45 67",
		BusinessPhones:    []string{"+46 8 123 456 78", "+46 8 765 432 10"},
		OfficeLocation:    "HQ 4.12",
		StreetAddress:     "Drottninggatan 1\nc/o 'Reception'",
		City:              "Stockholm",
		State:             "Stockholms län",
		PostalCode:        "111 51",
		Country:           "SE",
		PreferredLanguage: "sv-SE",
		UsageLocation:     "SE",
		ManagerID:         newID(),
		AccountEnabled:    true,
		Created:           t0,
		Modified:          t0.Add(1500 * time.Millisecond),
	}
}

func dirGroup(name string) *directory.Group {
	return &directory.Group{
		ID:              newID(),
		DisplayName:     name,
		Description:     "the " + name + ` group, "quoted" 'and' \ escaped`,
		MailNickname:    strings.ReplaceAll(name, " ", "."),
		SecurityEnabled: true,
		Created:         t0,
		Modified:        t0.Add(time.Second),
	}
}

func (e *dirEnv) createUser(u *directory.User) *directory.User {
	e.t.Helper()
	if err := e.s.CreateUser(e.ctx, u); err != nil {
		e.t.Fatalf("CreateUser(%q): %v", u.UserPrincipalName, err)
	}
	return u
}

func (e *dirEnv) user(upn string) *directory.User {
	e.t.Helper()
	return e.createUser(dirUser(upn))
}

func (e *dirEnv) group(name string, members ...string) *directory.Group {
	e.t.Helper()
	g := dirGroup(name)
	if err := e.s.CreateGroup(e.ctx, g); err != nil {
		e.t.Fatalf("CreateGroup(%q): %v", name, err)
	}
	for _, m := range members {
		e.add(g.ID, m)
	}
	return g
}

func (e *dirEnv) add(groupID, memberID string) {
	e.t.Helper()
	if err := e.s.AddMember(e.ctx, groupID, memberID, t0); err != nil {
		e.t.Fatalf("AddMember(%s, %s): %v", groupID, memberID, err)
	}
}

func (e *dirEnv) app(name string) *directory.App {
	e.t.Helper()
	a := &directory.App{ID: newID(), DisplayName: name, Template: "scim", Created: t0}
	if err := e.s.CreateApp(e.ctx, a); err != nil {
		e.t.Fatalf("CreateApp(%q): %v", name, err)
	}
	return a
}

func (e *dirEnv) assign(appID, principalID string) *directory.Assignment {
	e.t.Helper()
	a := &directory.Assignment{ID: newID(), AppID: appID, PrincipalID: principalID, Created: t0}
	if err := e.s.Assign(e.ctx, a); err != nil {
		e.t.Fatalf("Assign(%s, %s): %v", appID, principalID, err)
	}
	return a
}

func (e *dirEnv) getUser(id string) *directory.User {
	e.t.Helper()
	u, err := e.s.GetUser(e.ctx, id)
	if err != nil {
		e.t.Fatalf("GetUser(%s): %v", id, err)
	}
	return u
}

func (e *dirEnv) getGroup(id string) *directory.Group {
	e.t.Helper()
	g, err := e.s.GetGroup(e.ctx, id)
	if err != nil {
		e.t.Fatalf("GetGroup(%s): %v", id, err)
	}
	return g
}

// listUsers returns the ids of ListUsers(q) in the order returned.
func (e *dirEnv) listUsers(q directory.UserQuery) []string {
	e.t.Helper()
	us, err := e.s.ListUsers(e.ctx, q)
	if err != nil {
		e.t.Fatalf("ListUsers(%+v): %v", q, err)
	}
	out := []string{}
	for _, u := range us {
		if u.Deleted != nil != q.Deleted {
			e.t.Errorf("ListUsers(Deleted: %v) returned %s with deletedDateTime %v", q.Deleted, u.ID, u.Deleted)
		}
		out = append(out, u.ID)
	}
	return out
}

func (e *dirEnv) listGroups(q directory.GroupQuery) []string {
	e.t.Helper()
	gs, err := e.s.ListGroups(e.ctx, q)
	if err != nil {
		e.t.Fatalf("ListGroups(%+v): %v", q, err)
	}
	out := []string{}
	for _, g := range gs {
		out = append(out, g.ID)
	}
	return out
}

// members returns a group's direct members as sorted "kind:id".
func (e *dirEnv) members(groupID string) []string {
	e.t.Helper()
	ms, err := e.s.Members(e.ctx, groupID)
	if err != nil {
		e.t.Fatalf("Members(%s): %v", groupID, err)
	}
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Kind+":"+m.ID)
	}
	slices.Sort(out)
	return out
}

func (e *dirEnv) memberOf(id string) []string {
	e.t.Helper()
	gs, err := e.s.MemberOf(e.ctx, id)
	if err != nil {
		e.t.Fatalf("MemberOf(%s): %v", id, err)
	}
	return sorted(gs)
}

func (e *dirEnv) assignmentsOf(principalID string) []string {
	e.t.Helper()
	as, err := e.s.AssignmentsOf(e.ctx, principalID)
	if err != nil {
		e.t.Fatalf("AssignmentsOf(%s): %v", principalID, err)
	}
	return assignmentIDs(as)
}

func (e *dirEnv) assignments(appID string) []string {
	e.t.Helper()
	as, err := e.s.Assignments(e.ctx, appID)
	if err != nil {
		e.t.Fatalf("Assignments(%s): %v", appID, err)
	}
	return assignmentIDs(as)
}

func assignmentIDs(as []*directory.Assignment) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.ID)
	}
	slices.Sort(out)
	return out
}

func userMember(id string) string  { return directory.KindUser + ":" + id }
func groupMember(id string) string { return directory.KindGroup + ":" + id }

// sorted returns a sorted copy of ids, never nil.
func sorted(ids ...[]string) []string {
	out := []string{}
	for _, l := range ids {
		out = append(out, l...)
	}
	slices.Sort(out)
	return out
}

func (e *dirEnv) same(what string, got, want []string) {
	e.t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		e.t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// sameJSON compares two values through their JSON, which covers every
// attribute and the time values' zone and precision.
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func (e *dirEnv) wantErr(what string, err, target error) {
	e.t.Helper()
	if !errors.Is(err, target) {
		e.t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

func (e *dirEnv) noErr(what string, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
}
