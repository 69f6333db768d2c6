package hrimport_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/hrimport"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newStore(t *testing.T) *directorydb.Store {
	t.Helper()
	db := storetest.SQLite(t)
	return directorydb.New(db)
}

// seed stores users; each is "id employeeId upn displayName", with "-" for
// no employeeId. They are enabled, with mailNickname from the UPN.
func seed(t *testing.T, s directory.Store, specs ...string) map[string]*directory.User {
	t.Helper()
	out := map[string]*directory.User{}
	for _, spec := range specs {
		f := strings.SplitN(spec, " ", 4)
		u := &directory.User{ID: f[0], EmployeeID: f[1], UserPrincipalName: f[2], DisplayName: f[3],
			AccountEnabled: true, BusinessPhones: []string{}, Created: t0, Modified: t0}
		if u.EmployeeID == "-" {
			u.EmployeeID = ""
		}
		u.MailNickname, _, _ = strings.Cut(u.UserPrincipalName, "@")
		if err := s.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		out[u.ID] = u
	}
	return out
}

func update(t *testing.T, s directory.Store, id string, fn func(u *directory.User)) {
	t.Helper()
	if _, err := s.UpdateUser(context.Background(), id, func(u *directory.User) error { fn(u); return nil }); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, s directory.Store, id string) *directory.User {
	t.Helper()
	u, err := s.GetUser(context.Background(), id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return u
}

func load(t *testing.T, s directory.Store, csv string) (*hrimport.Plan, error) {
	t.Helper()
	return hrimport.Load(context.Background(), s, strings.NewReader(csv))
}

func mustPlan(t *testing.T, s directory.Store, csv string) *hrimport.Plan {
	t.Helper()
	p, err := load(t, s, csv)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

func printed(t *testing.T, p *hrimport.Plan) string {
	t.Helper()
	var b strings.Builder
	if _, err := p.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// contoso is a directory of four HR-fed users, one already disabled, and an
// administrator without an employeeId.
func contoso(t *testing.T) *directorydb.Store {
	s := newStore(t)
	seed(t, s,
		"u1 1001 alice@contoso.com Alice Smith",
		"u2 1002 bob@contoso.com Bob Jones",
		"u3 1003 shen@contoso.com Shen Li",
		"u4 1004 gone@contoso.com Gone Person",
		"u9 - admin@contoso.com Admin",
	)
	update(t, s, "u2", func(u *directory.User) { u.JobTitle, u.Department, u.ManagerID = "Engineer", "R&D", "u1" })
	update(t, s, "u4", func(u *directory.User) { u.AccountEnabled = false })
	return s
}

func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		name string
		csv  string
		want string // the printed plan
	}{
		{name: "no-op",
			csv: "employeeId,userPrincipalName,displayName,jobTitle\n" +
				"1001,alice@contoso.com,Alice Smith,\n1002,bob@contoso.com,Bob Jones,Engineer\n1003,shen@contoso.com,Shen Li,\n",
			want: "0 to create, 0 to update, 0 to disable, 3 unchanged\n"},
		{name: "create, update, disable",
			csv: "employeeId,userPrincipalName,displayName,jobTitle,department\n" +
				"1001,alice@contoso.com,Alice Smith,,\n" +
				"1002,bob@contoso.com,Bob Jones,Lead Engineer,R&D\n" +
				"1007,alex@contoso.com,Alex Wu,Designer,Design\n",
			want: "+ create 1007 alex@contoso.com\n" +
				"~ update 1002 jobTitle: \"Engineer\" -> \"Lead Engineer\"\n" +
				"- disable 1003 shen@contoso.com\n" +
				"1 to create, 1 to update, 1 to disable, 1 unchanged\n"},
		{name: "a missing column is not managed; an empty cell clears, or keeps a required attribute",
			csv:  "employeeId,userPrincipalName,displayName,department\n1001,,,\n1002,,,\n1003,,,\n",
			want: "~ update 1002 department: \"R&D\" -> \"\"\n0 to create, 1 to update, 0 to disable, 2 unchanged\n"},
		{name: "several attributes on one line, in a fixed order",
			csv: "employeeId,usageLocation,accountEnabled,displayName,userPrincipalName,businessPhones\n" +
				"1001,no,false,Alice Smith-Berg,Alice.Smith@contoso.com,+47 555 0100\n1002,,,,,\n1003,,,,,\n",
			want: "~ update 1001 userPrincipalName: \"alice@contoso.com\" -> \"Alice.Smith@contoso.com\", " +
				"displayName: \"Alice Smith\" -> \"Alice Smith-Berg\", businessPhones: \"\" -> \"+47 555 0100\", " +
				"usageLocation: \"\" -> \"NO\", accountEnabled: true -> false\n" +
				"0 to create, 1 to update, 0 to disable, 2 unchanged\n"},
		{name: "a user in the file is re-enabled only by accountEnabled",
			csv:  "employeeId,accountEnabled\n1001,\n1002,\n1003,\n1004,true\n",
			want: "~ update 1004 accountEnabled: false -> true\n0 to create, 1 to update, 0 to disable, 3 unchanged\n"},
		{name: "manager by employeeId: existing, new, cleared, shown by employeeId",
			csv: "employeeId,userPrincipalName,displayName,managerEmployeeId\n" +
				"1001,,,1008\n" + // existing user, new manager
				"1002,,,\n" + // clears u1
				"1003,,,1001\n" + // existing manager
				"1007,alex@contoso.com,Alex Wu,1008\n" + // new user managed by a new user listed after it
				"1008,dana@contoso.com,Dana Ek,\n",
			want: "+ create 1008 dana@contoso.com\n" +
				"+ create 1007 alex@contoso.com\n" +
				"~ update 1001 manager: \"\" -> \"1008\"\n" +
				"~ update 1002 manager: \"1001\" -> \"\"\n" +
				"~ update 1003 manager: \"\" -> \"1001\"\n" +
				"2 to create, 3 to update, 0 to disable, 0 unchanged\n"},
		{name: "a manager may be in the directory only, even one about to be disabled",
			csv:  "employeeId,managerEmployeeId\n1001,1003\n1002,1001\n",
			want: "~ update 1001 manager: \"\" -> \"1003\"\n- disable 1003 shen@contoso.com\n0 to create, 1 to update, 1 to disable, 1 unchanged\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := contoso(t)
			p := mustPlan(t, s, tc.csv)
			if got := printed(t, p); got != tc.want {
				t.Errorf("plan:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestPlanNewUser(t *testing.T) {
	s := contoso(t)
	p := mustPlan(t, s, "employeeId,userPrincipalName,givenName,surname,businessPhones,usageLocation,preferredLanguage,managerEmployeeId\n"+
		"1001,,,,,,,\n1002,,,,,,,\n1003,,,,,,,\n"+
		"1007, alex.wu@contoso.com ,Alex,Wu,+1 425 555 0100,us,en-US,1002\n")
	if p.Count(hrimport.OpCreate) != 1 {
		t.Fatalf("plan:\n%s", printed(t, p))
	}
	u := p.Changes[0].User
	u.Created, u.Modified = time.Time{}, time.Time{}
	want := directory.User{ID: u.ID, EmployeeID: "1007", UserPrincipalName: "alex.wu@contoso.com", MailNickname: "alex.wu",
		DisplayName: "Alex Wu", GivenName: "Alex", Surname: "Wu", BusinessPhones: []string{"+1 425 555 0100"},
		UsageLocation: "US", PreferredLanguage: "en-US", ManagerID: "u2", AccountEnabled: true}
	if u.ID == "" || !reflect.DeepEqual(*u, want) {
		t.Fatalf("new user %+v\nwant     %+v", *u, want)
	}
	if p.Changes[0].UserID != u.ID {
		t.Fatalf("change user id %s, user %s", p.Changes[0].UserID, u.ID)
	}
}

func TestPlanProblems(t *testing.T) {
	const head = "employeeId,userPrincipalName,displayName,mail,usageLocation,businessPhones,jobTitle,managerEmployeeId,accountEnabled\n"
	for _, tc := range []struct {
		name string
		rows string // after the header; line 2 on
		want []string
	}{
		{name: "new user without userPrincipalName",
			rows: "1007,,Alex Wu,,,,,,\n",
			want: []string{`line 2: userPrincipalName is required to create a user, and employeeId "1007" is not in the directory`}},
		{name: "userPrincipalName taken by another user",
			rows: "1007,BOB@contoso.com,Alex Wu,,,,,,\n1001,admin@contoso.com,,,,,,,\n",
			want: []string{
				`line 2: userPrincipalName "BOB@contoso.com" is taken by another user (id u2, which has employeeId "1002")`,
				`line 3: userPrincipalName "admin@contoso.com" is taken by another user (id u9, which has no employeeId)`}},
		{name: "unknown and self manager",
			rows: "1001,,,,,,,9999,\n1002,,,,,,,1002,\n",
			want: []string{
				`line 2: managerEmployeeId "9999" matches no row of the file and no user in the directory`,
				`line 3: managerEmployeeId "1002" is the row's own employeeId`}},
		{name: "invalid values, every one reported with its attribute",
			rows: "1001,alice@contoso.com,,not-an-address,USA,1;2,,,\n" +
				"1002,bob@contoso,,,,," + strings.Repeat("x", 129) + ",,\n" +
				"1007,al ice@contoso.com,Al Ice,,,,,,\n",
			want: []string{
				`line 2: mail: "not-an-address" is not an email address`,
				`line 2: businessPhones: only one number can be set, 2 were given`,
				`line 2: usageLocation: "USA" is not a two-letter country code`,
				`line 3: userPrincipalName: the domain "contoso" is not a domain name with a dot`,
				`line 3: jobTitle: it is 129 characters long; the maximum is 128`,
				`line 4: userPrincipalName: "al ice@contoso.com" contains a space`}},
		{name: "file problems and directory problems together, by line",
			rows: "1001,,,,,,,,perhaps\n1007,,,,,,,,\n1002,,,,,,,,\n1002,,,,,,,,\n",
			want: []string{
				`line 2: accountEnabled "perhaps" is not a boolean`,
				`line 3: userPrincipalName is required to create a user`,
				`line 3: displayName is required to create a user; give displayName, or givenName and surname`,
				`line 5: employeeId "1002" is also on line 4`}},
		{name: "a manager whose own row is bad is not also unknown",
			rows: "1007,,New,,,,,,\n1001,,,,,,,1007,\n",
			want: []string{`line 2: userPrincipalName is required to create a user`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := contoso(t)
			p, err := load(t, s, head+tc.rows)
			if p != nil {
				t.Errorf("got a plan despite bad rows:\n%s", printed(t, p))
			}
			wantLines(t, lines(t, err), tc.want)
		})
	}
}

func TestPlanStoredProblemsAreNotTheRows(t *testing.T) {
	// A stored user breaking a rule the file does not touch (here a mail
	// written before validation existed) does not block the import.
	s := contoso(t)
	update(t, s, "u1", func(u *directory.User) { u.Mail = "legacy mail" })
	p := mustPlan(t, s, "employeeId,jobTitle\n1001,Director\n1002,Engineer\n1003,\n")
	if got := printed(t, p); got != "~ update 1001 jobTitle: \"\" -> \"Director\"\n0 to create, 1 to update, 0 to disable, 2 unchanged\n" {
		t.Fatalf("plan:\n%s", got)
	}
	if _, err := hrimport.Apply(context.Background(), s, p, func() time.Time { return t0 }); err != nil {
		t.Fatal(err)
	}
	if u := get(t, s, "u1"); u.JobTitle != "Director" || u.Mail != "legacy mail" {
		t.Fatalf("u1 %+v", u)
	}
}

func TestPlanAmbiguousEmployeeID(t *testing.T) {
	s := contoso(t)
	seed(t, s, "u5 1002 bob2@contoso.com Bob Two")
	_, err := load(t, s, "employeeId,managerEmployeeId\n1001,1002\n1002,\n1003,\n")
	wantLines(t, lines(t, err), []string{
		`line 3: employeeId "1002" matches 2 users in the directory (bob@contoso.com, bob2@contoso.com)`,
	})
}

func TestPlanIgnoresDeletedUsers(t *testing.T) {
	// A soft-deleted user with the employeeId is not matched: a new user is
	// created, and the deleted one is neither updated nor disabled.
	s := contoso(t)
	if err := s.DeleteUser(context.Background(), "u3", t0); err != nil {
		t.Fatal(err)
	}
	p := mustPlan(t, s, "employeeId,userPrincipalName,displayName\n1001,,\n1002,,\n1003,shen@contoso.com,Shen Li\n")
	if got := printed(t, p); got != "+ create 1003 shen@contoso.com\n1 to create, 0 to update, 0 to disable, 2 unchanged\n" {
		t.Fatalf("plan:\n%s", got)
	}
}

func outbox(t *testing.T, s directory.Store, after int64) []directory.Change {
	t.Helper()
	cs, err := s.Changes(context.Background(), after, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func last(t *testing.T, s directory.Store) int64 {
	t.Helper()
	n, err := s.LastChange(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

const feed = "employeeId,userPrincipalName,displayName,jobTitle,department,managerEmployeeId\n" +
	"1001,alice@contoso.com,Alice Smith,,,\n" +
	"1002,bob@contoso.com,Bob Jones,Lead Engineer,R&D,1001\n" +
	"1007,alex@contoso.com,Alex Wu,Designer,Design,1002\n"

func TestApply(t *testing.T) {
	ctx := context.Background()
	s := contoso(t)
	before := last(t, s)
	p := mustPlan(t, s, feed)
	if got := printed(t, p); got != "+ create 1007 alex@contoso.com\n~ update 1002 jobTitle: \"Engineer\" -> \"Lead Engineer\"\n- disable 1003 shen@contoso.com\n1 to create, 1 to update, 1 to disable, 1 unchanged\n" {
		t.Fatalf("plan:\n%s", got)
	}
	at := t0.Add(time.Hour + 123456789*time.Nanosecond)
	n, err := hrimport.Apply(ctx, s, p, func() time.Time { return at })
	if err != nil || n != 3 {
		t.Fatalf("applied %d: %v", n, err)
	}

	alex, err := s.ListUsers(ctx, directory.UserQuery{Eq: map[string]string{"employeeId": "1007"}})
	if err != nil || len(alex) != 1 {
		t.Fatalf("1007: %v %v", alex, err)
	}
	a := alex[0]
	if a.ID != p.Changes[0].UserID || a.UserPrincipalName != "alex@contoso.com" || a.DisplayName != "Alex Wu" ||
		a.JobTitle != "Designer" || a.Department != "Design" || a.ManagerID != "u2" || !a.AccountEnabled ||
		a.MailNickname != "alex" || !a.Created.Equal(at.Truncate(time.Millisecond)) {
		t.Fatalf("created %+v", a)
	}
	if b := get(t, s, "u2"); b.JobTitle != "Lead Engineer" || b.Department != "R&D" || b.ManagerID != "u1" ||
		!b.AccountEnabled || !b.Modified.Equal(at.Truncate(time.Millisecond)) {
		t.Fatalf("updated %+v", b)
	}
	if sh := get(t, s, "u3"); sh.AccountEnabled || sh.Deleted != nil {
		t.Fatalf("disabled %+v", sh)
	}
	if !get(t, s, "u1").Modified.Equal(t0) || !get(t, s, "u9").AccountEnabled || get(t, s, "u4").AccountEnabled {
		t.Fatal("users outside the changes were touched")
	}

	// One outbox record per change, in plan order.
	var got []string
	for _, c := range outbox(t, s, before) {
		got = append(got, c.Kind+":"+c.ID)
	}
	if want := "user:" + a.ID + ",user:u2,user:u3"; strings.Join(got, ",") != want {
		t.Fatalf("outbox %s, want %s", strings.Join(got, ","), want)
	}

	// The feed now matches: importing it again changes nothing.
	again := mustPlan(t, s, feed)
	if len(again.Changes) != 0 || again.Unchanged != 3 {
		t.Fatalf("second run:\n%s", printed(t, again))
	}
}

func TestBadRowChangesNothing(t *testing.T) {
	s := contoso(t)
	before := last(t, s)
	_, err := load(t, s, feed+"1008,,,,,\n")
	wantLines(t, lines(t, err), []string{"line 5: userPrincipalName is required to create a user", "line 5: displayName is required"})
	if last(t, s) != before {
		t.Fatal("the outbox grew")
	}
	if get(t, s, "u2").JobTitle != "Engineer" || !get(t, s, "u3").AccountEnabled {
		t.Fatal("a user changed")
	}
	if us, _ := s.ListUsers(context.Background(), directory.UserQuery{}); len(us) != 5 {
		t.Fatalf("%d live users, want 5", len(us))
	}
}

func TestPlanOnlyReads(t *testing.T) {
	// Computing a plan (what --dry-run does) writes nothing.
	s := contoso(t)
	before := last(t, s)
	p := mustPlan(t, s, feed)
	if len(p.Changes) != 3 {
		t.Fatalf("plan:\n%s", printed(t, p))
	}
	if last(t, s) != before || get(t, s, "u2").JobTitle != "Engineer" || !get(t, s, "u3").AccountEnabled {
		t.Fatal("computing the plan changed the directory")
	}
}

// failAfter is a store whose writes fail after n of them.
type failAfter struct {
	directory.Store
	n int
}

var errDisk = errors.New("disk full")

func (f *failAfter) write() error {
	if f.n == 0 {
		return errDisk
	}
	f.n--
	return nil
}

func (f *failAfter) CreateUser(ctx context.Context, u *directory.User) error {
	if err := f.write(); err != nil {
		return err
	}
	return f.Store.CreateUser(ctx, u)
}

func (f *failAfter) UpdateUser(ctx context.Context, id string, fn func(*directory.User) error) (*directory.User, error) {
	if err := f.write(); err != nil {
		return nil, err
	}
	return f.Store.UpdateUser(ctx, id, fn)
}

func TestApplyStopsAtFirstError(t *testing.T) {
	s := contoso(t)
	before := last(t, s)
	p := mustPlan(t, s, feed)
	n, err := hrimport.Apply(context.Background(), &failAfter{Store: s, n: 1}, p, func() time.Time { return t0 })
	var ae *hrimport.ApplyError
	if n != 1 || !errors.As(err, &ae) || !errors.Is(err, errDisk) || ae.Applied != 1 || ae.Total != 3 || ae.Change.Op != hrimport.OpUpdate {
		t.Fatalf("applied %d: %v", n, err)
	}
	if want := `applied 1 of 3 changes, then ~ update 1002 jobTitle: "Engineer" -> "Lead Engineer" (line 3): disk full`; err.Error() != want {
		t.Fatalf("error %q\nwant  %q", err, want)
	}
	if len(outbox(t, s, before)) != 1 || get(t, s, "u2").JobTitle != "Engineer" || !get(t, s, "u3").AccountEnabled {
		t.Fatal("changes after the failure were made")
	}
}

func TestApplyRechecksTheStoredUser(t *testing.T) {
	// Between plan and apply someone else takes the UPN: the store refuses
	// the update, and Apply stops there.
	s := contoso(t)
	p := mustPlan(t, s, "employeeId,userPrincipalName\n1001,\n1002,robert@contoso.com\n1003,\n")
	seed(t, s, "u7 - robert@contoso.com Robert")
	n, err := hrimport.Apply(context.Background(), s, p, func() time.Time { return t0 })
	if n != 0 || !errors.Is(err, directory.ErrConflict) {
		t.Fatalf("applied %d: %v", n, err)
	}
}
