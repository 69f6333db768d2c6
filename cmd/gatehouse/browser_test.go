package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/testenv"
)

// TestBrowserJoinerMoverLeaver drives the directory console, My Apps and
// the access portal in headless Chromium (Debian's, through playwright-core)
// against `gatehouse demo`: an admin creates a user and adds them to
// AWS-Developers-ReadOnly, the user signs in and sees DeveloperReadOnly in
// AWSDemo; moved to AWS-Developers-PowerUser they see DeveloperPowerUser
// instead; disabled, their portal session ends and signing in is refused.
// It also checks a form's field messages, a read-only admin's 403, and that
// no console page logs a browser console error. Screenshots go to
// testenv.Artifacts. The script is testdata/jml.mjs.
func TestBrowserJoinerMoverLeaver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary and a browser")
	}
	node := testenv.Command(t, "node")
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		testenv.Missing(t, "Debian's chromium (/usr/bin/chromium)")
	}
	peers := testenv.PeersDir(t)
	if _, err := os.Stat(filepath.Join(peers, "node_modules", "playwright-core", "package.json")); err != nil {
		testenv.Missing(t, "playwright-core (npm ci in tools/peers)")
	}
	bin := gatehouseBinary(t)
	data := t.TempDir()
	startDemo(t, bin, data, freeAddr(t), freeAddr(t))
	art := testenv.Artifacts(t)
	script, _ := filepath.Abs(filepath.Join("testdata", "jml.mjs"))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, filepath.Join(data, "demo.json"), art, peers)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(peers, "node_modules"))
	out, err := cmd.CombinedOutput()
	t.Logf("browser script:\n%s", out)
	if err != nil {
		t.Fatalf("browser script failed: %v (screenshots in %s)", err, art)
	}
	t.Logf("screenshots in %s", art)
}
