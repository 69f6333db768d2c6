package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles gatehouse once per test binary run.
var buildOnce struct {
	sync.Once
	path string
	err  error
}

func gatehouseBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gatehouse-bin")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path = filepath.Join(dir, "gatehouse")
		out, err := exec.Command("go", "build", "-o", buildOnce.path, ".").CombinedOutput()
		if err != nil {
			buildOnce.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return buildOnce.path
}

var listeningRE = regexp.MustCompile(`msg=listening listener=(\w+) url=(\S+)`)

// startServe runs `gatehouse serve` and returns the process and the URL of
// the named listener, read from its log.
func startServe(t *testing.T, bin string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil && m[1] == "center" {
			go io.Copy(io.Discard, stderr)
			return cmd, m[2]
		}
	}
	t.Fatalf("gatehouse serve exited before listening: %v", sc.Err())
	return nil, ""
}

func createToken(t *testing.T, bin, db string) string {
	t.Helper()
	out, err := exec.Command(bin, "center", "scim-token", "create", "--database", db).CombinedOutput()
	if err != nil {
		t.Fatalf("scim-token create: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^token:\s+(\S+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no token in:\n%s", out)
	}
	return string(m[1])
}

// TestKill9LosesNoAcknowledgedWrite hammers the center with creates, kills
// the process with SIGKILL mid-load, restarts it on the same database and
// checks that every create that was answered 201 is there.
func TestKill9LosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := gatehouseBinary(t)
	db := filepath.Join(t.TempDir(), "crash.db")
	token := createToken(t, bin, db)
	cmd, base := startServe(t, bin, "--role", "center", "--database", db, "--center-listen", "127.0.0.1:0")

	var acked sync.Map // userName -> id
	var n atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := range 16 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				name := fmt.Sprintf("w%d-u%d", w, i)
				body := fmt.Sprintf(`{"userName":%q,"name":{"givenName":"G","familyName":"F"},"displayName":"G F"}`, name)
				req, _ := http.NewRequest("POST", base+"/scim/v2/Users", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := client.Do(req)
				if err != nil {
					return // the server died under us: this create was not acknowledged
				}
				var u struct{ ID string }
				json.NewDecoder(res.Body).Decode(&u)
				res.Body.Close()
				if res.StatusCode == http.StatusCreated {
					acked.Store(name, u.ID)
					n.Add(1)
				}
			}
		})
	}
	// Kill once a good number of writes were acknowledged, while the load goes on.
	for n.Load() < 2000 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	cancel()
	wg.Wait()

	_, base = startServe(t, bin, "--role", "center", "--database", db, "--center-listen", "127.0.0.1:0")
	missing, checked := 0, 0
	acked.Range(func(k, v any) bool {
		checked++
		req, _ := http.NewRequest("GET", base+"/scim/v2/Users/"+v.(string), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !bytes.Contains(b, []byte(k.(string))) {
			missing++
		}
		return true
	})
	t.Logf("%d acknowledged creates before SIGKILL, all checked after restart", checked)
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged creates lost after kill -9", missing, checked)
	}
}
