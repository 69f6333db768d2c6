package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/scim"
)

// Open opens a center store on a new, empty database for one subtest, and
// arranges (t.Cleanup) for it to be closed and removed when the subtest ends.
//
// reopen closes the store returned last, waiting for every acknowledged
// write, and opens the same database again as a restarted process would; it
// returns the new store and may be called more than once. The suite calls it
// from the subtest's goroutine only, after its own writers have returned.
type Open func(t *testing.T) (s center.Store, reopen func() center.Store)

// env is what every subtest of RunCenter works with.
type env struct {
	t      *testing.T
	ctx    context.Context
	s      center.Store
	reopen func() center.Store
}

type centerTest struct {
	name string
	run  func(e *env)
}

// RunCenter runs the center.Store conformance suite, one subtest per rule,
// each on a database of its own from open.
func RunCenter(t *testing.T, open Open) {
	tests := []centerTest{
		{"Instance", testInstance},
		{"InstanceConcurrentFirstUse", testInstanceConcurrent},

		{"UserRoundTrip", testUserRoundTrip},
		{"UserMinimal", testUserMinimal},
		{"UserIsCopied", testUserIsCopied},
		{"UserNotFound", testUserNotFound},
		{"UserNameConflict", testUserNameConflict},
		{"UserIDConflict", testUserIDConflict},
		{"UpdateUser", testUpdateUser},
		{"UpdateUserCaseOnlyRename", testUpdateUserCaseOnlyRename},
		{"UpdateUserErrorRollsBack", testUpdateUserErrorRollsBack},
		{"UpdateUserRenameConflict", testUpdateUserRenameConflict},
		{"DeleteUser", testDeleteUser},

		{"ListUsersMatch", testListUsersMatch},
		{"ListGroupsMatch", testListGroupsMatch},
		{"ListUnsupportedAttr", testListUnsupportedAttr},
		{"ListEmpty", testListEmpty},
		{"ListUsersPaging", testListUsersPaging},
		{"ListGroupsPaging", testListGroupsPaging},
		{"PagingDuringChanges", testPagingDuringChanges},

		{"GroupRoundTrip", testGroupRoundTrip},
		{"GroupNotFound", testGroupNotFound},
		{"GroupConflict", testGroupConflict},
		{"CreateGroupInvalidMembers", testCreateGroupInvalidMembers},
		{"Members", testMembers},
		{"MembersInvalid", testMembersInvalid},
		{"UpdateGroup", testUpdateGroup},
		{"UpdateGroupErrorRollsBack", testUpdateGroupErrorRollsBack},
		{"UpdateGroupRenameConflict", testUpdateGroupRenameConflict},
		{"DeleteGroup", testDeleteGroup},
		{"MembershipIDs", testMembershipIDs},

		{"SCIMTokenRoundTrip", testTokenRoundTrip},
		{"SCIMTokenNotFound", testTokenNotFound},
		{"SCIMTokenRevoke", testTokenRevoke},
		{"SCIMTokenLimit", testTokenLimit},
		{"SCIMTokenLimitExpired", testTokenLimitExpired},
		{"SCIMTokenLimitConcurrent", testTokenLimitConcurrent},
		{"VerifySCIMToken", testVerifySCIMToken},

		{"Timezones", testTimezones},

		{"ConcurrentGroupMembers", testConcurrentGroupMembers},
		{"ConcurrentUpdateUser", testConcurrentUpdateUser},
		{"ConcurrentSameUserName", testConcurrentSameUserName},
		{"ConcurrentCreateDurable", testConcurrentCreateDurable},
	}
	tests = append(tests, accessTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, reopen := open(t)
			tc.run(&env{t: t, ctx: t.Context(), s: s, reopen: reopen})
		})
	}
}

// t0 is the suite's reference time: milliseconds, UTC, as stored.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// newID draws a resource id in the Identity Store's format: 10 hex digits, a
// dash and a UUID-shaped random value.
func newID() string {
	b := make([]byte, 21)
	rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:10] + "-" + h[10:18] + "-" + h[18:22] + "-" + h[22:26] + "-" + h[26:30] + "-" + h[30:42]
}

// minimalUser is a user with only what the store needs.
func minimalUser(userName string) *scim.User {
	return &scim.User{
		Schemas:  []string{scim.SchemaUser},
		ID:       newID(),
		Meta:     &scim.Meta{ResourceType: "User", Created: t0, LastModified: t0},
		UserName: userName,
		Active:   true,
	}
}

// fullUser sets every attribute AWS stores, the enterprise extension
// included, with text that needs escaping in JSON and SQL.
func fullUser(userName, managerID string) *scim.User {
	return &scim.User{
		Schemas:    []string{scim.SchemaUser, scim.SchemaEnterprise},
		ID:         newID(),
		ExternalID: "ext-" + userName,
		Meta:       &scim.Meta{ResourceType: "User", Created: t0, LastModified: t0.Add(1500 * time.Millisecond)},
		UserName:   userName,
		Name: &scim.Name{
			Formatted: "Ms. Åsa B. Öberg III", FamilyName: "Öberg", GivenName: "Åsa", MiddleName: "B.",
			HonorificPrefix: "Ms.", HonorificSuffix: "III",
		},
		DisplayName:       `Åsa "the boss" O'Berg <a&b> \ 🚀 漢字`,
		NickName:          "åsa",
		ProfileURL:        "https://example.com/people/%C3%A5sa",
		Title:             "Staff Engineer",
		UserType:          "Employee",
		PreferredLanguage: "sv-SE",
		Locale:            "sv_SE",
		Timezone:          "Europe/Stockholm",
		Active:            true,
		Emails:            []scim.Email{{Value: userName, Type: "work", Primary: true}},
		Addresses: []scim.Address{{
			Formatted: "Drottninggatan 1\n111 51 Stockholm", StreetAddress: "Drottninggatan 1", Locality: "Stockholm",
			Region: "Stockholms län", PostalCode: "111 51", Country: "SE", Type: "work", Primary: true,
		}},
		PhoneNumbers: []scim.PhoneNumber{{Value: "+46 8 123 456 78", Type: "work", Primary: true}},
		Roles:        []scim.Role{{Value: "admin", Type: "IT", Primary: true}},
		Enterprise: &scim.Enterprise{
			EmployeeNumber: "701984", CostCenter: "4130", Organization: "Universal Studios",
			Division: "Theme Park", Department: "Tour Operations", Manager: &scim.Manager{Value: managerID},
		},
	}
}

func newGroup(displayName string) *scim.Group {
	return &scim.Group{
		Schemas:     []string{scim.SchemaGroup},
		ID:          newID(),
		ExternalID:  "ext-" + displayName,
		Meta:        &scim.Meta{ResourceType: "Group", Created: t0, LastModified: t0.Add(time.Second)},
		DisplayName: displayName,
		Members:     []scim.Member{},
	}
}

// createUser stores u or fails the test.
func (e *env) createUser(u *scim.User) *scim.User {
	e.t.Helper()
	if err := e.s.CreateUser(e.ctx, u); err != nil {
		e.t.Fatalf("CreateUser(%q): %v", u.UserName, err)
	}
	return u
}

// user creates a minimal user.
func (e *env) user(userName string) *scim.User {
	e.t.Helper()
	return e.createUser(minimalUser(userName))
}

// group creates a group with the given members.
func (e *env) group(displayName string, members ...string) *scim.Group {
	e.t.Helper()
	g := newGroup(displayName)
	if err := e.s.CreateGroup(e.ctx, g, members); err != nil {
		e.t.Fatalf("CreateGroup(%q): %v", displayName, err)
	}
	return g
}

func (e *env) getUser(id string) *scim.User {
	e.t.Helper()
	u, err := e.s.GetUser(e.ctx, id)
	if err != nil {
		e.t.Fatalf("GetUser(%s): %v", id, err)
	}
	return u
}

func (e *env) getGroup(id string) *scim.Group {
	e.t.Helper()
	g, err := e.s.GetGroup(e.ctx, id)
	if err != nil {
		e.t.Fatalf("GetGroup(%s): %v", id, err)
	}
	return g
}

// allUsers pages through every user matching match, count per page, and
// returns them in cursor order.
func (e *env) allUsers(count int, match ...center.Match) []*scim.User {
	e.t.Helper()
	var out []*scim.User
	var after int64
	for pages := 0; ; pages++ {
		if pages > 10000 {
			e.t.Fatalf("ListUsers(%v): paging does not end", match)
		}
		p, err := e.s.ListUsers(e.ctx, center.Query{Match: match, Count: count, After: after})
		if err != nil {
			e.t.Fatalf("ListUsers(%v, after %d): %v", match, after, err)
		}
		if len(p.Users) > count {
			e.t.Fatalf("ListUsers(count %d) returned %d users", count, len(p.Users))
		}
		out = append(out, p.Users...)
		if p.Next == 0 {
			return out
		}
		after = p.Next
	}
}

// allGroups is allUsers for groups.
func (e *env) allGroups(count int, match ...center.Match) []*scim.Group {
	e.t.Helper()
	var out []*scim.Group
	var after int64
	for pages := 0; ; pages++ {
		if pages > 10000 {
			e.t.Fatalf("ListGroups(%v): paging does not end", match)
		}
		p, err := e.s.ListGroups(e.ctx, center.Query{Match: match, Count: count, After: after})
		if err != nil {
			e.t.Fatalf("ListGroups(%v, after %d): %v", match, after, err)
		}
		if len(p.Groups) > count {
			e.t.Fatalf("ListGroups(count %d) returned %d groups", count, len(p.Groups))
		}
		out = append(out, p.Groups...)
		if p.Next == 0 {
			return out
		}
		after = p.Next
	}
}

// userIDs lists the ids of the users matching match, sorted.
func (e *env) userIDs(match ...center.Match) []string {
	e.t.Helper()
	var ids []string
	for _, u := range e.allUsers(100, match...) {
		ids = append(ids, u.ID)
	}
	slices.Sort(ids)
	return ids
}

// groupIDs lists the ids of the groups matching match, sorted.
func (e *env) groupIDs(match ...center.Match) []string {
	e.t.Helper()
	var ids []string
	for _, g := range e.allGroups(100, match...) {
		ids = append(ids, g.ID)
	}
	slices.Sort(ids)
	return ids
}

// members lists a group's members (user ids, sorted) through the groups
// filter, the only way AWS exposes membership.
func (e *env) members(groupID string) []string {
	e.t.Helper()
	return e.userIDs(center.Match{Attr: center.AttrGroups, Value: groupID})
}

// groupsOf lists the groups (ids, sorted) that have userID as a member.
func (e *env) groupsOf(userID string) []string {
	e.t.Helper()
	return e.groupIDs(center.Match{Attr: center.AttrMembers, Value: userID})
}

// total counts the users matching match with Query.Total.
func (e *env) totalUsers(match ...center.Match) int {
	e.t.Helper()
	p, err := e.s.ListUsers(e.ctx, center.Query{Match: match, Count: 1, Total: true})
	if err != nil {
		e.t.Fatalf("ListUsers(%v, total): %v", match, err)
	}
	return p.Total
}

func (e *env) totalGroups(match ...center.Match) int {
	e.t.Helper()
	p, err := e.s.ListGroups(e.ctx, center.Query{Match: match, Count: 1, Total: true})
	if err != nil {
		e.t.Fatalf("ListGroups(%v, total): %v", match, err)
	}
	return p.Total
}

// ids returns the sorted ids of users.
func ids(users ...*scim.User) []string {
	out := []string{}
	for _, u := range users {
		out = append(out, u.ID)
	}
	slices.Sort(out)
	return out
}

// gids returns the sorted ids of groups.
func gids(groups ...*scim.Group) []string {
	out := []string{}
	for _, g := range groups {
		out = append(out, g.ID)
	}
	slices.Sort(out)
	return out
}

// sameIDs compares two sorted id lists, nil and empty alike.
func (e *env) sameIDs(what string, got, want []string) {
	e.t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		e.t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// sameUser compares two users attribute by attribute through their SCIM
// JSON, which covers every field and the time values' zone.
func (e *env) sameUser(what string, got, want *scim.User) {
	e.t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		e.t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		e.t.Fatal(err)
	}
	if string(g) != string(w) {
		e.t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// sameGroup compares the attributes a stored group keeps.
func (e *env) sameGroup(what string, got, want *scim.Group) {
	e.t.Helper()
	if got.ID != want.ID || got.DisplayName != want.DisplayName || got.ExternalID != want.ExternalID {
		e.t.Errorf("%s: got id %q displayName %q externalId %q, want %q %q %q", what,
			got.ID, got.DisplayName, got.ExternalID, want.ID, want.DisplayName, want.ExternalID)
	}
	if got.Meta == nil {
		e.t.Errorf("%s: meta is nil", what)
	} else {
		e.sameTime(what+" meta.created", got.Meta.Created, want.Meta.Created)
		e.sameTime(what+" meta.lastModified", got.Meta.LastModified, want.Meta.LastModified)
	}
	if !slices.Contains(got.Schemas, scim.SchemaGroup) {
		e.t.Errorf("%s: schemas %v lack %s", what, got.Schemas, scim.SchemaGroup)
	}
	if len(got.Members) != 0 {
		e.t.Errorf("%s: members = %v, want none (membership is read with filters, as in AWS)", what, got.Members)
	}
}

// sameTime checks that got is want to the millisecond, in UTC.
func (e *env) sameTime(what string, got, want time.Time) {
	e.t.Helper()
	if got.Location() != time.UTC {
		e.t.Errorf("%s = %v, want it in UTC", what, got)
	}
	if !got.Equal(want) {
		e.t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// wantErr checks that err wraps target.
func (e *env) wantErr(what string, err, target error) {
	e.t.Helper()
	if !errors.Is(err, target) {
		e.t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

// noErr fails the test on err.
func (e *env) noErr(what string, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
}
