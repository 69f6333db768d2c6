package storetest

import (
	"fmt"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

func kv(pairs ...string) map[string]string {
	out := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[pairs[i]] = pairs[i+1]
	}
	return out
}

// Eq matches whole values case-insensitively, on every queryable attribute;
// several conditions are ANDed.
func testDirListUsersEq(e *dirEnv) {
	a := fullDirUser("Alice@Example.com")
	a.Department, a.EmployeeID, a.City = "Sales", "E-100", "Oslo"
	e.createUser(a)
	b := fullDirUser("bob@example.com")
	b.Department, b.EmployeeID, b.AccountEnabled, b.City = "sales", "E-200", false, "Bergen"
	e.createUser(b)
	c := e.user("carol@example.com") // no department

	cases := []struct {
		eq   map[string]string
		want []string
	}{
		{kv("userPrincipalName", "alice@example.com"), []string{a.ID}},
		{kv("userPrincipalName", "ALICE@EXAMPLE.COM"), []string{a.ID}},
		{kv("userPrincipalName", "alice@example"), nil},
		{kv("id", b.ID), []string{b.ID}},
		{kv("department", "SALES"), sorted([]string{a.ID, b.ID})},
		{kv("department", "Sales", "city", "bergen"), []string{b.ID}},
		{kv("employeeId", "e-100"), []string{a.ID}},
		{kv("accountEnabled", "true"), sorted([]string{a.ID, c.ID})},
		{kv("accountEnabled", "false"), []string{b.ID}},
		{kv("displayName", a.DisplayName), sorted([]string{a.ID, b.ID})},
		{kv("mail", "Bob@Example.com"), []string{b.ID}},
		// Letters outside ASCII match in their own case on every engine
		// (SQLite's lower() folds ASCII only).
		{kv("givenName", "Åsa"), sorted([]string{a.ID, b.ID})},
		{kv("surname", "Öberg"), sorted([]string{a.ID, b.ID})},
		{kv("state", "STOCKHOLMS län"), sorted([]string{a.ID, b.ID})},
		{kv("jobTitle", "staff engineer"), sorted([]string{a.ID, b.ID})},
		{kv("mailNickname", "asa.oberg"), sorted([]string{a.ID, b.ID})},
		{kv("companyName", "universal studios"), sorted([]string{a.ID, b.ID})},
		{kv("officeLocation", "hq 4.12"), sorted([]string{a.ID, b.ID})},
		{kv("usageLocation", "se"), sorted([]string{a.ID, b.ID})},
		{kv("country", "se"), sorted([]string{a.ID, b.ID})},
		{kv("state", "Stockholms län"), sorted([]string{a.ID, b.ID})},
		{kv("postalCode", "111 51"), sorted([]string{a.ID, b.ID})},
		{kv("mobilePhone", "+46 70 123 45 67"), sorted([]string{a.ID, b.ID})},
		{kv("preferredLanguage", "SV-se"), sorted([]string{a.ID, b.ID})},
		{kv("department", "nobody"), nil},
		{kv("department", "%"), nil},
	}
	for _, tc := range cases {
		e.same(fmt.Sprintf("ListUsers(Eq %v)", tc.eq), e.listUsers(directory.UserQuery{Eq: tc.eq}), tc.want)
	}
}

// StartsWith matches prefixes case-insensitively and combines with Eq.
func testDirListUsersStartsWith(e *dirEnv) {
	mk := func(upn, name, dept string) *directory.User {
		u := dirUser(upn)
		u.DisplayName, u.Department = name, dept
		return e.createUser(u)
	}
	anna := mk("anna@example.com", "Anna Berg", "Sales")
	anne := mk("anne@example.com", "anne Lund", "IT")
	_, err := e.s.UpdateUser(e.ctx, anne.ID, func(u *directory.User) error { u.Surname = "Östlund"; return nil })
	e.noErr("UpdateUser", err)
	joanna := mk("joanna@example.com", "Joanna Ann", "Sales")
	cases := []struct {
		q    directory.UserQuery
		want []string
	}{
		{directory.UserQuery{StartsWith: kv("displayName", "ann")}, sorted([]string{anna.ID, anne.ID})},
		{directory.UserQuery{StartsWith: kv("displayName", "ANNA")}, []string{anna.ID}},
		{directory.UserQuery{StartsWith: kv("displayName", "")}, sorted([]string{anna.ID, anne.ID, joanna.ID})},
		{directory.UserQuery{StartsWith: kv("displayName", "Anna Berg and more")}, nil},
		{directory.UserQuery{StartsWith: kv("userPrincipalName", "jo")}, []string{joanna.ID}},
		{directory.UserQuery{StartsWith: kv("surname", "Öst")}, []string{anne.ID}},
		{directory.UserQuery{StartsWith: kv("displayName", "ann"), Eq: kv("department", "sales")}, []string{anna.ID}},
		{directory.UserQuery{StartsWith: kv("displayName", "ann", "userPrincipalName", "anne")}, []string{anne.ID}},
	}
	for _, tc := range cases {
		e.same(fmt.Sprintf("ListUsers(%+v)", tc.q), e.listUsers(tc.q), tc.want)
	}
}

// LIKE's wildcards (% and _) and its escape character in a StartsWith
// value are matched literally.
func testDirListUsersWildcards(e *dirEnv) {
	names := []string{"50% off", "50x off", "500 off", "a_b", "axb", "a%b", `a\b`, `a\\b`, `ab`, "%", "_"}
	byName := map[string]string{}
	for i, n := range names {
		u := dirUser(fmt.Sprintf("w%02d@example.com", i))
		u.DisplayName = n
		e.createUser(u)
		byName[n] = u.ID
	}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"50%", []string{"50% off"}},
		{"50", []string{"50% off", "50x off", "500 off"}},
		{"a_", []string{"a_b"}},
		{"a%", []string{"a%b"}},
		{`a\`, []string{`a\b`, `a\\b`}},
		{`a\b`, []string{`a\b`}},
		{`a\\`, []string{`a\\b`}},
		{"%", []string{"%"}},
		{"_", []string{"_"}},
		{"a", []string{"a_b", "axb", "a%b", `a\b`, `a\\b`, "ab"}},
	}
	for _, tc := range cases {
		var want []string
		for _, n := range tc.want {
			want = append(want, byName[n])
		}
		e.same(fmt.Sprintf("ListUsers(StartsWith displayName %q)", tc.prefix),
			e.listUsers(directory.UserQuery{StartsWith: kv("displayName", tc.prefix)}), sorted(want))
	}
	// Eq is exact too.
	e.same("ListUsers(Eq displayName a_b)", e.listUsers(directory.UserQuery{Eq: kv("displayName", "a_b")}),
		[]string{byName["a_b"]})
}

// Deleted selects the soft-deleted users instead of the live ones, with the
// other conditions applying to both.
func testDirListUsersDeleted(e *dirEnv) {
	live := e.user("same@example.com")
	gone := e.user("gone@example.com")
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, gone.ID, t0))
	older := e.user("SAME.old@example.com")
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, older.ID, t0))
	e.same("live", e.listUsers(directory.UserQuery{}), []string{live.ID})
	e.same("deleted", e.listUsers(directory.UserQuery{Deleted: true}), sorted([]string{gone.ID, older.ID}))
	e.same("deleted, StartsWith same", e.listUsers(directory.UserQuery{Deleted: true, StartsWith: kv("userPrincipalName", "same")}),
		[]string{older.ID})
	e.same("live, StartsWith same", e.listUsers(directory.UserQuery{StartsWith: kv("userPrincipalName", "same")}),
		[]string{live.ID})
	e.same("deleted, Eq id of a live user", e.listUsers(directory.UserQuery{Deleted: true, Eq: kv("id", live.ID)}), nil)
}

// After and Limit page through users in id order, every user once.
func testDirListUsersPaging(e *dirEnv) {
	const n = 23
	var all, odd []string
	for i := range n {
		u := dirUser(fmt.Sprintf("page%02d@example.com", i))
		if i%2 == 1 {
			u.Department = "Odd"
			odd = append(odd, u.ID)
		}
		e.createUser(u)
		all = append(all, u.ID)
	}
	gone := e.user("deleted@example.com")
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, gone.ID, t0))
	all, odd = sorted(all), sorted(odd)
	e.same("ListUsers", e.listUsers(directory.UserQuery{}), all)
	for _, tc := range []struct {
		eq   map[string]string
		want []string
	}{{nil, all}, {kv("department", "odd"), odd}} {
		for _, limit := range []int{1, 5, 23, 100} {
			var got []string
			after := ""
			for pages := 0; ; pages++ {
				if pages > n+1 {
					e.t.Fatalf("paging with limit %d does not end", limit)
				}
				p := e.listUsers(directory.UserQuery{Eq: tc.eq, After: after, Limit: limit})
				if len(p) > limit {
					e.t.Fatalf("Limit %d: page of %d", limit, len(p))
				}
				if len(p) == 0 {
					break
				}
				got = append(got, p...)
				after = p[len(p)-1]
			}
			e.same(fmt.Sprintf("pages of %d (Eq %v)", limit, tc.eq), got, tc.want)
		}
	}
	e.same("After the last", e.listUsers(directory.UserQuery{After: all[n-1]}), nil)
	e.same("After the first, Limit 2", e.listUsers(directory.UserQuery{After: all[0], Limit: 2}), all[1:3])
}

func testDirListUnsupportedAttr(e *dirEnv) {
	e.user("u@example.com")
	e.group("g")
	for _, attr := range []string{"doc", "nosuch", "deleted_at", "id') OR 1=1 --"} {
		_, err := e.s.ListUsers(e.ctx, directory.UserQuery{Eq: kv(attr, "x")})
		e.wantErr("ListUsers(Eq "+attr+")", err, directory.ErrInvalid)
		_, err = e.s.ListUsers(e.ctx, directory.UserQuery{StartsWith: kv(attr, "x")})
		e.wantErr("ListUsers(StartsWith "+attr+")", err, directory.ErrInvalid)
		_, err = e.s.ListGroups(e.ctx, directory.GroupQuery{Eq: kv(attr, "x")})
		e.wantErr("ListGroups(Eq "+attr+")", err, directory.ErrInvalid)
	}
}

// ListGroups filters and pages as ListUsers does.
func testDirListGroups(e *dirEnv) {
	e.same("ListGroups(empty store)", e.listGroups(directory.GroupQuery{}), nil)
	var all []string
	byName := map[string]string{}
	for _, n := range []string{"Sales EU", "Sales US", "sales_ops", "Engineering", "Eng%"} {
		g := e.group(n)
		all = append(all, g.ID)
		byName[n] = g.ID
	}
	dist := dirGroup("Distribution")
	dist.SecurityEnabled = false
	e.noErr("CreateGroup", e.s.CreateGroup(e.ctx, dist))
	all = sorted(all, []string{dist.ID})
	names := func(ns ...string) []string {
		var out []string
		for _, n := range ns {
			out = append(out, byName[n])
		}
		return sorted(out)
	}
	cases := []struct {
		q    directory.GroupQuery
		want []string
	}{
		{directory.GroupQuery{}, all},
		{directory.GroupQuery{Eq: kv("displayName", "sales eu")}, names("Sales EU")},
		{directory.GroupQuery{Eq: kv("id", byName["Engineering"])}, names("Engineering")},
		{directory.GroupQuery{Eq: kv("mailNickname", "sales.us")}, names("Sales US")},
		{directory.GroupQuery{StartsWith: kv("displayName", "SALES")}, names("Sales EU", "Sales US", "sales_ops")},
		{directory.GroupQuery{StartsWith: kv("displayName", "sales_")}, names("sales_ops")},
		{directory.GroupQuery{StartsWith: kv("displayName", "eng%")}, names("Eng%")},
		{directory.GroupQuery{StartsWith: kv("description", "the eng")}, names("Engineering", "Eng%")},
		{directory.GroupQuery{Eq: kv("securityEnabled", "false")}, []string{dist.ID}},
		{directory.GroupQuery{Eq: kv("securityEnabled", "TRUE"), StartsWith: kv("displayName", "eng")}, names("Engineering", "Eng%")},
		{directory.GroupQuery{After: all[2]}, all[3:]},
		{directory.GroupQuery{After: all[0], Limit: 2}, all[1:3]},
		{directory.GroupQuery{Limit: 1}, all[:1]},
	}
	for _, tc := range cases {
		e.same(fmt.Sprintf("ListGroups(%+v)", tc.q), e.listGroups(tc.q), tc.want)
	}
	// Full paging, one at a time.
	var got []string
	for after := ""; ; {
		p := e.listGroups(directory.GroupQuery{After: after, Limit: 1})
		if len(p) == 0 {
			break
		}
		if len(got) > len(all) {
			e.t.Fatal("ListGroups paging does not end")
		}
		got = append(got, p...)
		after = p[0]
	}
	e.same("ListGroups pages of 1", got, all)
}
