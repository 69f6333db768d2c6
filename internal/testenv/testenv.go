package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// Required reports whether missing parts must fail tests (make test).
func Required() bool { return os.Getenv("GATEHOUSE_REQUIRE_PEERS") == "1" }

// Missing skips the test, or fails it under make test.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf("required test dependency missing: "+format, args...)
	}
	t.Skipf("skipped, dependency missing (make test installs it): "+format, args...)
}

// PostgresDSN creates an empty database on the server named by
// GATEHOUSE_TEST_POSTGRES, drops it when the test ends, and returns its DSN.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("GATEHOUSE_TEST_POSTGRES")
	if admin == "" {
		Missing(t, "PostgreSQL: GATEHOUSE_TEST_POSTGRES is not set")
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "gatehouse_test_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", admin)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// RepoRoot is the directory holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// PeersDir is where the npm peers are installed (tools/peers).
func PeersDir(t testing.TB) string {
	if d := os.Getenv("GATEHOUSE_PEERS_DIR"); d != "" {
		return d
	}
	return filepath.Join(RepoRoot(t), "tools", "peers")
}

// NodeBin returns the path of an npm peer's executable, such as "newman".
func NodeBin(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(PeersDir(t), "node_modules", ".bin", name)
	if _, err := os.Stat(p); err != nil {
		Missing(t, "%s (npm ci in tools/peers)", name)
	}
	return p
}

// Command returns the path of a system command, such as "xmlsec1".
func Command(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s is not installed", name)
	}
	return p
}

// Artifacts returns a directory for a test's artifacts (screenshots,
// reports): under GATEHOUSE_ARTIFACTS when set, else a temporary one.
func Artifacts(t testing.TB) string {
	t.Helper()
	base := os.Getenv("GATEHOUSE_ARTIFACTS")
	if base == "" {
		return t.TempDir()
	}
	d := filepath.Join(base, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}
