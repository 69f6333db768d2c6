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

// TestBrowserCenterConsole drives the center console in headless Chromium
// (Debian's, through playwright-core) against `gatehouse demo`: the demo's
// center admin signs in through SAML at the directory, visits every
// console page without a browser console error, sees a bad inline policy
// refused next to its field, and assigns DeveloperAdmin in Sandbox to
// AWS-Developers-ReadOnly with the wizard; the demo's first user then sees
// DeveloperAdmin in the access portal. A read-only admin sees no forms and
// a change is 403. Screenshots go to testenv.Artifacts. The script is
// testdata/center.mjs.
func TestBrowserCenterConsole(t *testing.T) {
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
	script, _ := filepath.Abs(filepath.Join("testdata", "center.mjs"))

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
