package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
)

func TestConsoleAdminsCommand(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "gatehouse.db")
	ids := map[string]string{}
	withCenter(t, dbPath, func(s *centerdb.Store, inst *center.Instance) {
		now := time.Now().UTC()
		for _, name := range []string{"Cloud-Admins", "Auditors"} {
			g := &scim.Group{ID: center.NewResourceID(inst.IDPrefix), DisplayName: name,
				Meta: &scim.Meta{ResourceType: "Group", Created: now, LastModified: now}}
			if err := s.CreateGroup(ctx, g, nil); err != nil {
				t.Fatal(err)
			}
			ids[name] = g.ID
		}
	})
	run := func(args ...string) (string, error) {
		t.Helper()
		out, _, err := runCenter(t, append([]string{"--database", dbPath, "console-admins"}, args...)...)
		return out, err
	}

	out, err := run()
	if err != nil || out != "admin:     (none)\nread-only: (none)\n" {
		t.Fatalf("fresh install: %q %v", out, err)
	}
	// By displayName, case-insensitively, and by id.
	out, err = run("--admin", "cloud-admins", "--read-only", ids["Auditors"])
	want := "admin:     Cloud-Admins (" + ids["Cloud-Admins"] + ")\nread-only: Auditors (" + ids["Auditors"] + ")\n"
	if err != nil || out != want {
		t.Fatalf("set: %q %v, want %q", out, err, want)
	}
	// Refusals change nothing.
	for _, bad := range [][]string{{"--admin", "Nobody"}, {"--read-only", "Cloud-Admins"}} {
		if _, err := run(bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, err := run("--admin", "Nobody"); err == nil || !strings.Contains(err.Error(), "provision it first") {
		t.Errorf("unknown group: %v", err)
	}
	if out, err = run(); err != nil || out != want {
		t.Fatalf("after refusals: %q %v", out, err)
	}
	// --read-only "" turns read-only access off; the admin group stays.
	if out, err = run("--read-only", ""); err != nil || !strings.HasSuffix(out, "read-only: (none)\n") ||
		!strings.Contains(out, "Cloud-Admins") {
		t.Fatalf("clear read-only: %q %v", out, err)
	}
	withCenter(t, dbPath, func(s *centerdb.Store, _ *center.Instance) {
		got, err := s.ConsoleSettings(ctx)
		if err != nil || got.AdminGroupID != ids["Cloud-Admins"] || got.ReadOnlyGroupID != "" || got.Updated.IsZero() {
			t.Fatalf("stored settings %+v %v", got, err)
		}
	})
}
