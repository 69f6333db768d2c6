package storetest

import (
	"fmt"
	"slices"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/scim"
)

// m builds a Match.
func m(attr, value string) center.Match { return center.Match{Attr: attr, Value: value} }

// Every filterable user attribute alone and in combination (joined by and).
func testListUsersMatch(e *env) {
	boss := e.createUser(fullUser("boss@example.com", ""))
	alice := fullUser("alice@example.com", boss.ID)
	alice.ExternalID = "E-1"
	e.createUser(alice)
	bob := fullUser("bob@example.com", boss.ID)
	bob.ExternalID = "E-2"
	e.createUser(bob)
	carol := minimalUser("carol@example.com")
	carol.ExternalID = "e-1" // externalId is case-exact (RFC 7643 §3.1)
	e.createUser(carol)
	dan := e.user("Dan.Ünal@example.com")
	g1 := e.group("G1", alice.ID, carol.ID)
	g2 := e.group("G2", alice.ID, bob.ID)
	g3 := e.group("G3")

	cases := []struct {
		match []center.Match
		want  []*scim.User
	}{
		{[]center.Match{m(center.AttrID, alice.ID)}, []*scim.User{alice}},
		{[]center.Match{m(center.AttrID, newID())}, nil},
		{[]center.Match{m(center.AttrUserName, "ALICE@EXAMPLE.COM")}, []*scim.User{alice}},
		{[]center.Match{m(center.AttrUserName, "dan.ünal@example.com")}, []*scim.User{dan}},
		{[]center.Match{m(center.AttrUserName, "DAN.ÜNAL@EXAMPLE.COM")}, []*scim.User{dan}},
		{[]center.Match{m(center.AttrUserName, "alice")}, nil},
		{[]center.Match{m(center.AttrExternalID, "E-1")}, []*scim.User{alice}},
		{[]center.Match{m(center.AttrExternalID, "e-1")}, []*scim.User{carol}},
		{[]center.Match{m(center.AttrExternalID, "E-3")}, nil},
		{[]center.Match{m(center.AttrManager, boss.ID)}, []*scim.User{alice, bob}},
		{[]center.Match{m(center.AttrManager, alice.ID)}, nil},
		{[]center.Match{m(center.AttrGroups, g1.ID)}, []*scim.User{alice, carol}},
		{[]center.Match{m(center.AttrGroups, g2.ID)}, []*scim.User{alice, bob}},
		{[]center.Match{m(center.AttrGroups, g3.ID)}, nil},
		{[]center.Match{m(center.AttrGroups, newID())}, nil},
		{[]center.Match{m(center.AttrManager, boss.ID), m(center.AttrGroups, g1.ID)}, []*scim.User{alice}},
		{[]center.Match{m(center.AttrGroups, g1.ID), m(center.AttrGroups, g2.ID)}, []*scim.User{alice}},
		{[]center.Match{m(center.AttrUserName, "alice@example.com"), m(center.AttrExternalID, "E-2")}, nil},
		{[]center.Match{m(center.AttrUserName, "alice@example.com"), m(center.AttrExternalID, "E-1")}, []*scim.User{alice}},
		{[]center.Match{m(center.AttrID, bob.ID), m(center.AttrGroups, g2.ID)}, []*scim.User{bob}},
		{[]center.Match{m(center.AttrID, bob.ID), m(center.AttrGroups, g1.ID)}, nil},
		{[]center.Match{m(center.AttrUserName, "BOB@example.com"), m(center.AttrManager, boss.ID), m(center.AttrGroups, g2.ID)}, []*scim.User{bob}},
		{nil, []*scim.User{boss, alice, bob, carol, dan}},
	}
	for _, c := range cases {
		what := fmt.Sprintf("ListUsers(%v)", c.match)
		e.sameIDs(what, e.userIDs(c.match...), ids(c.want...))
		if n := e.totalUsers(c.match...); n != len(c.want) {
			e.t.Errorf("%s Total = %d, want %d", what, n, len(c.want))
		}
	}
	// What a list returns is the whole user.
	got := e.allUsers(100, m(center.AttrManager, boss.ID), m(center.AttrGroups, g1.ID))
	if len(got) == 1 {
		e.sameUser("listed user", got[0], e.getUser(alice.ID))
	}
}

// Every filterable group attribute alone and in combination.
func testListGroupsMatch(e *env) {
	u1 := e.user("u1@example.com")
	u2 := e.user("u2@example.com")
	u3 := e.user("u3@example.com")
	eng := newGroup("Engineering")
	eng.ExternalID = "X-1"
	e.noErr("CreateGroup", e.s.CreateGroup(e.ctx, eng, []string{u1.ID, u2.ID}))
	eko := newGroup("ÖKONOMI")
	eko.ExternalID = "X-2"
	e.noErr("CreateGroup", e.s.CreateGroup(e.ctx, eko, []string{u2.ID}))
	empty := newGroup("Empty")
	empty.ExternalID = "x-1"
	e.noErr("CreateGroup", e.s.CreateGroup(e.ctx, empty, nil))

	cases := []struct {
		match []center.Match
		want  []*scim.Group
	}{
		{[]center.Match{m(center.AttrID, eng.ID)}, []*scim.Group{eng}},
		{[]center.Match{m(center.AttrID, newID())}, nil},
		{[]center.Match{m(center.AttrDisplayName, "engineering")}, []*scim.Group{eng}},
		{[]center.Match{m(center.AttrDisplayName, "ökonomi")}, []*scim.Group{eko}},
		{[]center.Match{m(center.AttrDisplayName, "Ökonomi")}, []*scim.Group{eko}},
		{[]center.Match{m(center.AttrDisplayName, "Engineer")}, nil},
		{[]center.Match{m(center.AttrExternalID, "X-1")}, []*scim.Group{eng}},
		{[]center.Match{m(center.AttrExternalID, "x-1")}, []*scim.Group{empty}},
		{[]center.Match{m(center.AttrMembers, u1.ID)}, []*scim.Group{eng}},
		{[]center.Match{m(center.AttrMembers, u2.ID)}, []*scim.Group{eng, eko}},
		{[]center.Match{m(center.AttrMembers, u3.ID)}, nil},
		{[]center.Match{m(center.AttrMembers, newID())}, nil},
		{[]center.Match{m(center.AttrMembers, u1.ID), m(center.AttrMembers, u2.ID)}, []*scim.Group{eng}},
		{[]center.Match{m(center.AttrDisplayName, "Engineering"), m(center.AttrExternalID, "X-2")}, nil},
		{[]center.Match{m(center.AttrDisplayName, "ÖKONOMI"), m(center.AttrMembers, u2.ID)}, []*scim.Group{eko}},
		{[]center.Match{m(center.AttrID, empty.ID), m(center.AttrExternalID, "x-1")}, []*scim.Group{empty}},
		{nil, []*scim.Group{eng, eko, empty}},
	}
	for _, c := range cases {
		what := fmt.Sprintf("ListGroups(%v)", c.match)
		e.sameIDs(what, e.groupIDs(c.match...), gids(c.want...))
		if n := e.totalGroups(c.match...); n != len(c.want) {
			e.t.Errorf("%s Total = %d, want %d", what, n, len(c.want))
		}
	}
	got := e.allGroups(100, m(center.AttrDisplayName, "engineering"))
	if len(got) == 1 {
		e.sameGroup("listed group", got[0], eng)
	}
}

// Filtering on an attribute AWS does not filter on is invalid.
func testListUnsupportedAttr(e *env) {
	e.user("someone@example.com")
	for _, attr := range []string{center.AttrDisplayName, center.AttrMembers, "title", "emails", ""} {
		_, err := e.s.ListUsers(e.ctx, center.Query{Match: []center.Match{m(attr, "x")}, Count: 10})
		e.wantErr("ListUsers filtering on "+attr, err, center.ErrInvalid)
	}
	for _, attr := range []string{center.AttrUserName, center.AttrManager, center.AttrGroups, "title", ""} {
		_, err := e.s.ListGroups(e.ctx, center.Query{Match: []center.Match{m(attr, "x")}, Count: 10})
		e.wantErr("ListGroups filtering on "+attr, err, center.ErrInvalid)
	}
}

func testListEmpty(e *env) {
	up, err := e.s.ListUsers(e.ctx, center.Query{Count: 100, Total: true})
	e.noErr("ListUsers", err)
	if len(up.Users) != 0 || up.Next != 0 || up.Total != 0 {
		e.t.Errorf("ListUsers on an empty store = %d users, next %d, total %d", len(up.Users), up.Next, up.Total)
	}
	gp, err := e.s.ListGroups(e.ctx, center.Query{Count: 100, Total: true})
	e.noErr("ListGroups", err)
	if len(gp.Groups) != 0 || gp.Next != 0 || gp.Total != 0 {
		e.t.Errorf("ListGroups on an empty store = %d groups, next %d, total %d", len(gp.Groups), gp.Next, gp.Total)
	}
}

// page is one page of a list as ids, for checks common to users and groups.
type page struct {
	ids   []string
	total int
	next  int64
}

type lister func(q center.Query) (page, error)

func (e *env) usersLister(q center.Query) (page, error) {
	p, err := e.s.ListUsers(e.ctx, q)
	if err != nil {
		return page{}, err
	}
	out := page{total: p.Total, next: p.Next}
	for _, u := range p.Users {
		out.ids = append(out.ids, u.ID)
	}
	return out, nil
}

func (e *env) groupsLister(q center.Query) (page, error) {
	p, err := e.s.ListGroups(e.ctx, q)
	if err != nil {
		return page{}, err
	}
	out := page{total: p.Total, next: p.Next}
	for _, g := range p.Groups {
		out.ids = append(out.ids, g.ID)
	}
	return out, nil
}

// checkPaging pages through a list with several page sizes and checks that
// every page but the last is full, Next is 0 on the last page only, Total
// counts every match on every page, and the pages together hold every
// matching row exactly once, in creation order (want).
func (e *env) checkPaging(what string, list lister, match []center.Match, want []string) {
	e.t.Helper()
	for _, count := range []int{100, 50, 7, 1} {
		var got []string
		var after int64
		for i := 0; ; i++ {
			p, err := list(center.Query{Match: match, Count: count, After: after, Total: true})
			if err != nil {
				e.t.Fatalf("%s count %d page %d: %v", what, count, i, err)
			}
			wantLen := min(count, len(want)-len(got))
			if len(p.ids) != wantLen {
				e.t.Fatalf("%s count %d page %d: %d rows, want %d", what, count, i, len(p.ids), wantLen)
			}
			if p.total != len(want) {
				e.t.Errorf("%s count %d page %d: Total = %d, want %d", what, count, i, p.total, len(want))
			}
			got = append(got, p.ids...)
			last := len(got) == len(want)
			if last != (p.next == 0) {
				e.t.Fatalf("%s count %d page %d: Next = %d with %d of %d rows seen", what, count, i, p.next, len(got), len(want))
			}
			if last {
				break
			}
			after = p.next
		}
		if !slices.Equal(got, want) {
			e.t.Errorf("%s count %d: rows out of order or repeated:\n got %v\nwant %v", what, count, got, want)
		}
	}
}

// 250 users paged at several sizes, with and without a filter.
func testListUsersPaging(e *env) {
	const n = 250
	var all, even []string
	for i := range n {
		u := e.user(fmt.Sprintf("user%03d@example.com", i))
		all = append(all, u.ID)
		if i%2 == 0 {
			even = append(even, u.ID)
		}
	}
	g := e.group("even", even...)
	e.group("other", all[:10]...)
	e.checkPaging("ListUsers", e.usersLister, nil, all)
	e.checkPaging("ListUsers(groups eq even)", e.usersLister, []center.Match{m(center.AttrGroups, g.ID)}, even)
}

// 250 groups paged at several sizes, with and without a filter.
func testListGroupsPaging(e *env) {
	const n = 250
	u := e.user("member@example.com")
	var all, third []string
	for i := range n {
		var g *scim.Group
		if i%3 == 0 {
			g = e.group(fmt.Sprintf("group%03d", i), u.ID)
			third = append(third, g.ID)
		} else {
			g = e.group(fmt.Sprintf("group%03d", i))
		}
		all = append(all, g.ID)
	}
	e.checkPaging("ListGroups", e.groupsLister, nil, all)
	e.checkPaging("ListGroups(members eq u)", e.groupsLister, []center.Match{m(center.AttrMembers, u.ID)}, third)
}

// A cursor survives writes between pages: a row deleted ahead is not
// returned, a row created meanwhile comes at the end, and updating a row,
// seen or not, neither repeats nor loses it.
func testPagingDuringChanges(e *env) {
	var users []*scim.User
	for i := range 30 {
		users = append(users, e.user(fmt.Sprintf("p%02d@example.com", i)))
	}
	p, err := e.s.ListUsers(e.ctx, center.Query{Count: 10})
	e.noErr("ListUsers", err)
	if len(p.Users) != 10 || p.Next == 0 {
		e.t.Fatalf("first page: %d users, next %d", len(p.Users), p.Next)
	}
	got := ids(p.Users...)
	e.sameIDs("first page", got, ids(users[:10]...))

	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, users[15].ID))
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, users[5].ID))
	for _, i := range []int{3, 25} {
		_, err := e.s.UpdateUser(e.ctx, users[i].ID, func(u *scim.User) error {
			u.UserName = "renamed-" + u.UserName
			u.Title = "updated"
			return nil
		})
		e.noErr("UpdateUser", err)
	}
	late := e.user("late@example.com")

	var rest []string
	after := p.Next
	for after != 0 {
		p, err := e.s.ListUsers(e.ctx, center.Query{Count: 10, After: after})
		e.noErr("ListUsers", err)
		for _, u := range p.Users {
			rest = append(rest, u.ID)
		}
		after = p.Next
	}
	var want []string
	for i := 10; i < 30; i++ {
		if i != 15 {
			want = append(want, users[i].ID)
		}
	}
	want = append(want, late.ID)
	if !slices.Equal(rest, want) {
		e.t.Errorf("pages after the changes:\n got %v\nwant %v", rest, want)
	}
}
