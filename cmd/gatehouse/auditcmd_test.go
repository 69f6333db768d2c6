package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/auditdb"
)

// runAudit runs `gatehouse audit ARGS...` as main does.
func runAudit(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := auditCmd()
	cmd.SilenceUsage, cmd.SilenceErrors = true, true // as the root command sets them
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

// withAuditDB opens the SQLite file, runs fn with raw access and the log
// keyed as the server keys it, and closes it again.
func withAuditDB(t *testing.T, path string, fn func(db *store.DB, l *audit.Log)) {
	t.Helper()
	box, err := secret.LoadOrCreateKey(filepath.Join(filepath.Dir(path), "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fn(db, audit.NewLog(auditdb.New(db), box.DeriveKey(audit.KeyLabel)))
}

func sqlExec(t *testing.T, db *store.DB, q string) {
	t.Helper()
	if err := db.Update(context.Background(), func(tx *store.Tx) error { _, err := tx.Exec(q); return err }); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestAuditCLI(t *testing.T) {
	t.Setenv("GATEHOUSE_SECRET_KEY_FILE", "")
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "gatehouse.db")
	ctx := context.Background()
	day := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	withAuditDB(t, dbPath, func(_ *store.DB, l *audit.Log) {
		for i, r := range []audit.Record{
			{Kind: audit.KindSignInSuccess, Actor: "alice", Subject: "alice", Action: "login"},
			{Kind: audit.KindSignInRefused, Actor: "bob", Subject: "bob", Action: "login", Outcome: audit.OutcomeRefused, Reason: "wrong password"},
			{Kind: audit.KindAdminChange, Actor: "admin", Subject: "grp-1", Action: "add member", Details: map[string]any{"member": "bob"}},
			{Kind: audit.KindSCIMRequest, Actor: "token-1", Subject: "Users", Action: "POST /scim/v2/Users"},
			{Kind: audit.KindSignInRefused, Actor: "bob", Subject: "bob", Action: "login", Outcome: audit.OutcomeRefused, Reason: "MFA failed"},
		} {
			r.Time = day.Add(time.Duration(i) * 24 * time.Hour)
			if _, err := l.Append(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	})
	db := "--database=" + dbPath

	// 1. verify: intact, with the head to keep.
	out, _, err := runAudit(t, "verify", db)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if !strings.HasPrefix(out, "ok: 5 records, chain intact from seq 1 to 5\n") {
		t.Fatalf("verify output:\n%s", out)
	}
	head := regexp.MustCompile(`head: (5:[0-9a-f]{64}) `).FindStringSubmatch(out)
	if head == nil {
		t.Fatalf("no head in:\n%s", out)
	}

	// 2. query: filters, table and JSON lines.
	out, _, err = runAudit(t, "query", db, "--kind", audit.KindSignInRefused)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "SEQ") || !strings.HasPrefix(lines[1], "5 ") ||
		!strings.Contains(lines[1], "MFA failed") || !strings.Contains(lines[2], "wrong password") {
		t.Fatalf("query output:\n%s", out)
	}
	out, _, err = runAudit(t, "query", db, "--kind", "signin.*", "--actor", "bob", "--limit", "1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rec audit.Record
	if err := json.Unmarshal([]byte(out), &rec); err != nil || rec.Seq != 5 || rec.Reason != "MFA failed" || len(rec.Hash) != 64 {
		t.Fatalf("query --json: %q, %v", out, err)
	}
	out, _, _ = runAudit(t, "query", db, "--since", "2025-06-04", "--json")
	if n := strings.Count(out, "\n"); n != 2 {
		t.Fatalf("query --since: %d records:\n%s", n, out)
	}
	if _, _, err := runAudit(t, "query", db, "--since", "yesterday"); err == nil || !strings.Contains(err.Error(), "not a time") {
		t.Fatalf("query --since yesterday: %v", err)
	}

	// 3. export, and verify the export as an outside party would.
	out, errOut, err := runAudit(t, "export", db)
	if err != nil || strings.Count(out, "\n") != 5 || errOut != "exported 5 records\n" {
		t.Fatalf("export: %v, %q\n%s", err, errOut, out)
	}
	export := writeFile(t, dir, "audit.jsonl", out)
	if out, _, err := runAudit(t, "verify", db, "--file", export); err != nil || !strings.HasPrefix(out, "ok: 5 records, chain intact from seq 1 to 5") {
		t.Fatalf("verify --file: %v\n%s", err, out)
	}
	tampered := writeFile(t, dir, "tampered.jsonl", strings.Replace(out, `"MFA failed"`, `"ok"`, 1))
	if _, _, err := runAudit(t, "verify", db, "--file", tampered); err == nil || !strings.Contains(err.Error(), "seq 5 (edited)") {
		t.Fatalf("verify tampered export: %v", err)
	}
	if out, _, _ := runAudit(t, "export", db, "--since", "2025-06-05"); strings.Count(out, "\n") != 1 {
		t.Fatalf("export --since:\n%s", out)
	}

	// 4. Tampering in the database fails verify with the seq and the cause.
	for _, c := range []struct{ tamper, undo, want string }{
		{`UPDATE audit_records SET reason = 'right password' WHERE seq = 2`,
			`UPDATE audit_records SET reason = 'wrong password' WHERE seq = 2`, "audit chain broken at seq 2 (edited)"},
		{`UPDATE audit_records SET seq = 0 WHERE seq = 3`, `UPDATE audit_records SET seq = 3 WHERE seq = 0`,
			"audit chain broken at seq 0 (order)"},
		{`UPDATE audit_records SET seq = -seq WHERE seq IN (3, 4)`,
			`UPDATE audit_records SET seq = -seq WHERE seq IN (-3, -4)`, "audit chain broken at seq -4 (order)"},
	} {
		withAuditDB(t, dbPath, func(sdb *store.DB, _ *audit.Log) { sqlExec(t, sdb, c.tamper) })
		out, _, err := runAudit(t, "verify", db)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(out, "FAILED: ") {
			t.Fatalf("after %s: %v\n%s", c.tamper, err, out)
		}
		withAuditDB(t, dbPath, func(sdb *store.DB, _ *audit.Log) { sqlExec(t, sdb, c.undo) })
	}
	withAuditDB(t, dbPath, func(sdb *store.DB, _ *audit.Log) {
		sqlExec(t, sdb, `CREATE TABLE audit_keep AS SELECT * FROM audit_records WHERE seq = 4`)
		sqlExec(t, sdb, `DELETE FROM audit_records WHERE seq = 4`)
	})
	if out, _, err := runAudit(t, "verify", db); err == nil || !strings.Contains(err.Error(), "seq 4 (missing)") ||
		out != "FAILED: 3 records intact before seq 4\n" {
		t.Fatalf("after delete: %v\n%s", err, out)
	}
	withAuditDB(t, dbPath, func(sdb *store.DB, _ *audit.Log) {
		sqlExec(t, sdb, `INSERT INTO audit_records SELECT * FROM audit_keep`)
		sqlExec(t, sdb, `DROP TABLE audit_keep`)
	})
	if _, _, err := runAudit(t, "verify", db, "--head", head[1]); err != nil {
		t.Fatalf("verify --head after undo: %v", err)
	}

	// 5. A cut-off tail passes the chain check but not a kept head.
	withAuditDB(t, dbPath, func(sdb *store.DB, _ *audit.Log) {
		sqlExec(t, sdb, `CREATE TABLE audit_keep AS SELECT * FROM audit_records WHERE seq = 5`)
		sqlExec(t, sdb, `DELETE FROM audit_records WHERE seq = 5`)
	})
	if out, _, err := runAudit(t, "verify", db); err != nil || !strings.HasPrefix(out, "ok: 4 records") {
		t.Fatalf("verify after truncation (undetectable by the chain): %v\n%s", err, out)
	}
	if _, _, err := runAudit(t, "verify", db, "--head", head[1]); err == nil || !strings.Contains(err.Error(), "newest records were deleted") {
		t.Fatalf("verify --head after truncation: %v", err)
	}
	withAuditDB(t, dbPath, func(sdb *store.DB, _ *audit.Log) {
		sqlExec(t, sdb, `INSERT INTO audit_records SELECT * FROM audit_keep`)
		sqlExec(t, sdb, `DROP TABLE audit_keep`)
	})

	// 6. A missing or different key file.
	noKey := writeFile(t, dir, "nokey.yaml", "database: "+dbPath+"\nsecret_key_file: "+filepath.Join(dir, "absent.key")+"\n")
	if _, _, err := runAudit(t, "verify", "--config", noKey); err == nil || !strings.Contains(err.Error(), "absent.key not found") {
		t.Fatalf("verify without key file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "absent.key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("verify created a key file: %v", err)
	}
	if _, err := secret.LoadOrCreateKey(filepath.Join(dir, "other.key")); err != nil {
		t.Fatal(err)
	}
	otherKey := writeFile(t, dir, "other.yaml", "database: "+dbPath+"\nsecret_key_file: "+filepath.Join(dir, "other.key")+"\n")
	if _, _, err := runAudit(t, "verify", "--config", otherKey); err == nil || !strings.Contains(err.Error(), "seq 1 (edited)") {
		t.Fatalf("verify with another key: %v", err)
	}

	// 7. prune: argument errors, then retention that verify accepts.
	for _, args := range [][]string{{"prune", db}, {"prune", db, "--before", "2025-06-03", "--older-than", "1h"}, {"prune", db, "--before", "soon"}} {
		if _, _, err := runAudit(t, args...); err == nil {
			t.Fatalf("%v: no error", args)
		}
	}
	out, _, err = runAudit(t, "prune", db, "--before", "2025-06-03", "--actor", "ops")
	if err != nil || out != "pruned 2 records before 2025-06-03T00:00:00Z\n" {
		t.Fatalf("prune: %v, %q", err, out)
	}
	out, _, err = runAudit(t, "verify", db)
	if err != nil || !strings.HasPrefix(out, "ok: 4 records, chain intact from seq 3 to 6\nanchor: pruned through seq 2 on ") {
		t.Fatalf("verify after prune: %v\n%s", err, out)
	}
	if _, _, err := runAudit(t, "verify", db, "--head", head[1]); err != nil {
		t.Fatalf("verify --head after prune: %v", err)
	}
	out, _, _ = runAudit(t, "query", db, "--kind", audit.KindAuditPrune, "--json")
	if err := json.Unmarshal([]byte(out), &rec); err != nil || rec.Actor != "ops" || rec.Seq != 6 {
		t.Fatalf("prune record: %q", out)
	}
	out, _, err = runAudit(t, "prune", db, "--older-than", "1h")
	if err != nil || !strings.HasPrefix(out, "pruned 3 records before ") {
		t.Fatalf("prune --older-than: %v, %q", err, out)
	}
	if out, _, err := runAudit(t, "verify", db); err != nil || !strings.HasPrefix(out, "ok: 2 records, chain intact from seq 6 to 7\nanchor: pruned through seq 5 ") {
		t.Fatalf("verify after pruning all: %v\n%s", err, out)
	}
}

// TestAuditCLIExit checks the exit status main gives a broken chain: 1, with
// the break on stderr. The test binary runs itself as `gatehouse audit`.
func TestAuditCLIExit(t *testing.T) {
	if args := os.Getenv("GATEHOUSE_AUDIT_MAIN"); args != "" {
		cmd := auditCmd()
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		cmd.SetArgs(strings.Fields(args))
		if err := cmd.Execute(); err != nil {
			os.Stderr.WriteString("gatehouse: " + err.Error() + "\n") // as main does
			os.Exit(1)
		}
		os.Exit(0)
	}
	t.Setenv("GATEHOUSE_SECRET_KEY_FILE", "")
	dbPath := filepath.Join(t.TempDir(), "gatehouse.db")
	withAuditDB(t, dbPath, func(_ *store.DB, l *audit.Log) {
		for range 3 {
			if _, err := l.Append(context.Background(), audit.Record{Kind: audit.KindAdminChange, Actor: "admin"}); err != nil {
				t.Fatal(err)
			}
		}
	})
	run := func() (int, string, string) {
		c := exec.Command(os.Args[0], "-test.run=^TestAuditCLIExit$")
		c.Env = append(os.Environ(), "GATEHOUSE_AUDIT_MAIN=verify --database="+dbPath)
		var out, errb bytes.Buffer
		c.Stdout, c.Stderr = &out, &errb
		err := c.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), out.String(), errb.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, out.String(), errb.String()
	}
	if code, out, _ := run(); code != 0 || !strings.HasPrefix(out, "ok: 3 records, chain intact from seq 1 to 3") {
		t.Fatalf("intact: exit %d\n%s", code, out)
	}
	withAuditDB(t, dbPath, func(sdb *store.DB, _ *audit.Log) {
		sqlExec(t, sdb, `UPDATE audit_records SET actor = 'mallory' WHERE seq = 2`)
	})
	code, out, errOut := run()
	if code != 1 || out != "FAILED: 1 records intact before seq 2\n" ||
		!strings.HasPrefix(errOut, "gatehouse: audit chain broken at seq 2 (edited): hash of seq 2 does not match its content") {
		t.Fatalf("edited: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
}
