package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
)

// withDirectory opens the SQLite file, runs fn on its directory store and
// closes it again, so that the command under test has the file to itself.
func withDirectory(t *testing.T, path string, fn func(s *directorydb.Store)) {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fn(directorydb.New(db))
}

// runDirectory runs `gatehouse directory ARGS...` as main does.
func runDirectory(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := directoryCmd()
	cmd.SilenceUsage, cmd.SilenceErrors = true, true // as the root command sets them
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDirectoryImport(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "gatehouse.db")
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var start int64
	withDirectory(t, dbPath, func(s *directorydb.Store) {
		for _, u := range []*directory.User{
			{ID: "u1", EmployeeID: "1001", UserPrincipalName: "alice@contoso.com", MailNickname: "alice", DisplayName: "Alice Smith"},
			{ID: "u2", EmployeeID: "1002", UserPrincipalName: "bob@contoso.com", MailNickname: "bob", DisplayName: "Bob Jones", JobTitle: "Engineer"},
			{ID: "u3", EmployeeID: "1003", UserPrincipalName: "shen@contoso.com", MailNickname: "shen", DisplayName: "Shen Li"},
			{ID: "u9", UserPrincipalName: "admin@contoso.com", MailNickname: "admin", DisplayName: "Admin"},
		} {
			u.AccountEnabled, u.BusinessPhones, u.Created, u.Modified = true, []string{}, t0, t0
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		if start, err = s.LastChange(ctx); err != nil {
			t.Fatal(err)
		}
	})

	good := writeFile(t, dir, "hr.csv", "EmployeeId,UserPrincipalName,DisplayName,JobTitle,ManagerEmployeeId\n"+
		"1001,alice@contoso.com,Alice Smith,,\n"+
		"1002,bob@contoso.com,Bob Jones,Lead Engineer,1001\n"+
		"1007,alex@contoso.com,Alex Wu,Designer,1002\n")
	const plan = "+ create 1007 alex@contoso.com\n" +
		"~ update 1002 jobTitle: \"Engineer\" -> \"Lead Engineer\", manager: \"\" -> \"1001\"\n" +
		"- disable 1003 shen@contoso.com\n" +
		"1 to create, 1 to update, 1 to disable, 1 unchanged\n"

	// 1. A bad row: every problem on stderr by line, an error (exit 1), no change.
	bad := writeFile(t, dir, "bad.csv", "employeeId,userPrincipalName,displayName,accountEnabled,managerEmployeeId\n"+
		"1002,bob@contoso.com,Bob Jones,true,\n"+
		"1008,,Dana Ek,true,\n"+
		"1009,eve@contoso.com,Eve,maybe,4242\n")
	out, errOut, err := runDirectory(t, "import", bad, "--database", dbPath)
	if err == nil || !strings.Contains(err.Error(), "3 problems on 2 lines; nothing was changed") {
		t.Fatalf("bad file: err %v", err)
	}
	wantErr := "line 3: userPrincipalName is required to create a user, and employeeId \"1008\" is not in the directory\n" +
		"line 4: accountEnabled \"maybe\" is not a boolean; want true or false\n" +
		"line 4: managerEmployeeId \"4242\" matches no row of the file and no user in the directory\n"
	if errOut != wantErr || out != "" {
		t.Fatalf("bad file: stdout %q\nstderr %q\nwant   %q", out, errOut, wantErr)
	}

	// 2. --dry-run prints the plan and changes nothing.
	out, errOut, err = runDirectory(t, "import", good, "--dry-run", "--database", dbPath)
	if err != nil || errOut != "" || out != plan+"dry run: nothing was changed\n" {
		t.Fatalf("dry run: err %v\nstdout %q\nstderr %q", err, out, errOut)
	}
	withDirectory(t, dbPath, func(s *directorydb.Store) {
		if n, _ := s.LastChange(ctx); n != start {
			t.Fatalf("outbox went from %d to %d without a change", start, n)
		}
		if u, _ := s.GetUser(ctx, "u3"); !u.AccountEnabled {
			t.Fatal("the dry run disabled u3")
		}
	})

	// 3. The import: the plan, then every change in the directory and the outbox.
	out, errOut, err = runDirectory(t, "--database", dbPath, "import", good)
	if err != nil || errOut != "" || out != plan+"applied 3 changes\n" {
		t.Fatalf("import: err %v\nstdout %q\nstderr %q", err, out, errOut)
	}
	withDirectory(t, dbPath, func(s *directorydb.Store) {
		alex, err := s.ListUsers(ctx, directory.UserQuery{Eq: map[string]string{"employeeId": "1007"}})
		if err != nil || len(alex) != 1 {
			t.Fatalf("1007: %v %v", alex, err)
		}
		a := alex[0]
		if a.UserPrincipalName != "alex@contoso.com" || a.JobTitle != "Designer" || a.ManagerID != "u2" || !a.AccountEnabled {
			t.Fatalf("created %+v", a)
		}
		b, _ := s.GetUser(ctx, "u2")
		if b.JobTitle != "Lead Engineer" || b.ManagerID != "u1" {
			t.Fatalf("updated %+v", b)
		}
		if sh, _ := s.GetUser(ctx, "u3"); sh.AccountEnabled {
			t.Fatal("u3 is still enabled")
		}
		if ad, _ := s.GetUser(ctx, "u9"); !ad.AccountEnabled {
			t.Fatal("the admin without an employeeId was disabled")
		}
		cs, err := s.Changes(ctx, start, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range cs {
			got = append(got, c.Kind+":"+c.ID)
		}
		if want := "user:" + a.ID + ",user:u2,user:u3"; strings.Join(got, ",") != want {
			t.Fatalf("outbox %s, want %s", strings.Join(got, ","), want)
		}
	})

	// 4. The same feed again: nothing to do.
	out, _, err = runDirectory(t, "import", good, "--database", dbPath)
	if err != nil || out != "0 to create, 0 to update, 0 to disable, 3 unchanged\napplied 0 changes\n" {
		t.Fatalf("second import: err %v\nstdout %q", err, out)
	}
}

func TestDirectoryImportArgs(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "gatehouse.db")
	if _, _, err := runDirectory(t, "import", "--database", dbPath); err == nil {
		t.Fatal("import without a file succeeded")
	}
	_, _, err := runDirectory(t, "import", filepath.Join(t.TempDir(), "missing.csv"), "--database", dbPath)
	if !os.IsNotExist(err) {
		t.Fatalf("missing file: %v", err)
	}
	hdr := writeFile(t, t.TempDir(), "x.csv", "employeeId,shoeSize\n1,44\n")
	_, errOut, err := runDirectory(t, "import", hdr, "--database", dbPath)
	if err == nil || !strings.HasSuffix(err.Error(), "1 problem on 1 line; nothing was changed") ||
		!strings.HasPrefix(errOut, "line 1: unknown column \"shoeSize\"") {
		t.Fatalf("unknown column: err %v, stderr %q", err, errOut)
	}
}

func TestDirectoryConsoleRole(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "gatehouse.db")
	ctx := context.Background()
	withDirectory(t, dbPath, func(s *directorydb.Store) {
		now := time.Now().UTC()
		u := &directory.User{ID: "u1", UserPrincipalName: "ops@contoso.com", MailNickname: "ops", DisplayName: "Ops",
			AccountEnabled: true, BusinessPhones: []string{}, Created: now, Modified: now}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	})
	role := func() string {
		var r string
		withDirectory(t, dbPath, func(s *directorydb.Store) {
			var err error
			if r, err = s.ConsoleRole(ctx, "u1"); err != nil {
				t.Fatal(err)
			}
		})
		return r
	}
	// The user principal name is matched case-insensitively, as at sign-in.
	if out, _, err := runDirectory(t, "--database", dbPath, "console-role", "OPS@contoso.com", "admin"); err != nil ||
		out != "ops@contoso.com: admin\n" || role() != "admin" {
		t.Fatalf("admin: %q %v, stored %q", out, err, role())
	}
	for _, bad := range [][]string{{"ops@contoso.com", "owner"}, {"nobody@contoso.com", "read-only"}} {
		if _, _, err := runDirectory(t, append([]string{"--database", dbPath, "console-role"}, bad...)...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if role() != "admin" {
		t.Fatalf("a refused command changed the role to %q", role())
	}
	if _, _, err := runDirectory(t, "--database", dbPath, "console-role", "ops@contoso.com", "read-only"); err != nil || role() != "read-only" {
		t.Fatalf("read-only: %v, stored %q", err, role())
	}
	if _, _, err := runDirectory(t, "--database", dbPath, "console-role", "ops@contoso.com", "none"); err != nil || role() != "" {
		t.Fatalf("none: %v, stored %q", err, role())
	}
}

// directory owners lists, adds and removes a group's owners, naming groups
// and users as an admin types them; refusals say why and change nothing.
func TestDirectoryOwners(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "gatehouse.db")
	ctx := context.Background()
	withDirectory(t, dbPath, func(s *directorydb.Store) {
		now := time.Now().UTC()
		for _, u := range []*directory.User{
			{ID: "u-ada", UserPrincipalName: "ada@contoso.com", MailNickname: "ada", DisplayName: "Ada"},
			{ID: "u-bo", UserPrincipalName: "bo@contoso.com", MailNickname: "bo", DisplayName: "Bo"},
		} {
			u.AccountEnabled, u.BusinessPhones, u.Created, u.Modified = true, []string{}, now, now
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		for _, g := range []*directory.Group{{ID: "g-ops", DisplayName: "AWS-Ops"}, {ID: "g-dev", DisplayName: "AWS-Dev"}} {
			g.SecurityEnabled, g.Created, g.Modified = true, now, now
			if err := s.CreateGroup(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
	})
	owners := func(group string) string {
		out, _, err := runDirectory(t, "--database", dbPath, "owners", "list", group)
		if err != nil {
			t.Fatalf("owners list %s: %v", group, err)
		}
		return out
	}
	if out, _, err := runDirectory(t, "--database", dbPath, "owners", "add", "AWS-Ops", "ADA@contoso.com"); err != nil ||
		out != "ada@contoso.com now owns AWS-Ops\n" {
		t.Fatalf("add: %q %v", out, err)
	}
	if _, _, err := runDirectory(t, "--database", dbPath, "owners", "add", "g-ops", "u-bo"); err != nil {
		t.Fatalf("add by ids: %v", err)
	}
	if got := owners("AWS-Ops"); got != "ada@contoso.com\nbo@contoso.com\n" {
		t.Fatalf("owners of AWS-Ops: %q", got)
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"add", "AWS-Ops", "ada@contoso.com"}, "ada@contoso.com already owns AWS-Ops"},
		{[]string{"add", "AWS-Nope", "ada@contoso.com"}, `no group "AWS-Nope"`},
		{[]string{"add", "AWS-Ops", "AWS-Dev"}, `no user "AWS-Dev"`},
		{[]string{"remove", "AWS-Dev", "ada@contoso.com"}, "ada@contoso.com does not own AWS-Dev"},
	} {
		_, _, err := runDirectory(t, append([]string{"--database", dbPath, "owners"}, tc.args...)...)
		if err == nil || err.Error() != tc.msg {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.msg)
		}
	}
	if got := owners("AWS-Ops") + owners("AWS-Dev"); got != "ada@contoso.com\nbo@contoso.com\n" {
		t.Fatalf("refusals changed the owners: %q", got)
	}
	if out, _, err := runDirectory(t, "--database", dbPath, "owners", "remove", "AWS-Ops", "bo@contoso.com"); err != nil ||
		out != "bo@contoso.com no longer owns AWS-Ops\n" {
		t.Fatalf("remove: %q %v", out, err)
	}
	if got := owners("AWS-Ops"); got != "ada@contoso.com\n" {
		t.Fatalf("owners after remove: %q", got)
	}
}
