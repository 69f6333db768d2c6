package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// freeAddr returns a loopback address with a port that was free just now.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startDemo runs `gatehouse demo` on data and returns its demo.json.
func startDemo(t *testing.T, bin, data, centerAddr, dirAddr string) (*exec.Cmd, demoFile) {
	t.Helper()
	path := filepath.Join(data, "demo.json")
	os.Remove(path)
	cmd := exec.Command(bin, "demo", "--data", data, "--center-listen", centerAddr, "--directory-listen", dirAddr)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var d demoFile
		if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &d) == nil && d.GraphToken != "" {
			if res, err := http.Get(d.CenterURL + "/healthz"); err == nil {
				res.Body.Close()
				return cmd, d
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("gatehouse demo did not start")
	return nil, demoFile{}
}

// call sends a JSON request and returns the status, or 0 when the server
// did not answer (it was killed).
func call(t *testing.T, method, u, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	if out != nil {
		json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode
}

// TestKill9MidProvisioning kills the demo with SIGKILL while it provisions
// hundreds of joiners into its center, starts it again on the same data, and
// checks that the center ends up exactly right: every joiner once, active,
// in the group, and nothing duplicated.
func TestKill9MidProvisioning(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := gatehouseBinary(t)
	data := t.TempDir()
	// The same addresses for both runs: the same instance, restarted.
	centerAddr, dirAddr := freeAddr(t), freeAddr(t)
	cmd, d := startDemo(t, bin, data, centerAddr, dirAddr)

	var groups struct{ Value []struct{ ID string } }
	call(t, "GET", d.GraphURL+"/groups?$filter="+url.QueryEscape("displayName eq 'AWS-ReadOnly'"), d.GraphToken, nil, &groups)
	if len(groups.Value) != 1 {
		t.Fatalf("seeded group not found: %+v", groups)
	}
	gid := groups.Value[0].ID
	const joiners = 300
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range joiners {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var u struct{ ID string }
			upn := fmt.Sprintf("crash%03d@gatehouse.example", i)
			// Status 0: the server was killed under the request, which was
			// not acknowledged; stop quietly.
			if st := call(t, "POST", d.GraphURL+"/users", d.GraphToken, map[string]any{"userPrincipalName": upn,
				"displayName": "Crash " + fmt.Sprint(i), "givenName": "Crash", "surname": fmt.Sprint(i), "accountEnabled": true}, &u); st != 201 {
				if st != 0 {
					t.Errorf("create %s: %d", upn, st)
				}
				return
			}
			if st := call(t, "POST", d.GraphURL+"/groups/"+gid+"/members/$ref", d.GraphToken,
				map[string]string{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + u.ID}, nil); st != 204 && st != 0 {
				t.Errorf("add %s: %d", upn, st)
			}
		})
	}
	// Kill mid-way: once some joiners have reached the center, not all.
	centerUsers := func(d demoFile) int {
		var lr struct{ TotalResults int }
		call(t, "GET", d.SCIMURL+"/Users?count=1", d.SCIMToken, nil, &lr)
		return lr.TotalResults
	}
	deadline := time.Now().Add(30 * time.Second)
	for centerUsers(d) < 4+joiners/4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	wg.Wait() // requests after the kill fail; the directory keeps what it acknowledged
	killedAt := centerUsersFromDB(t, bin, data)

	_, d = startDemo(t, bin, data, centerAddr, dirAddr)
	var dirUsers struct {
		Value []struct{ UserPrincipalName string }
	}
	call(t, "GET", d.GraphURL+"/groups/"+gid+"/members?$top=999", d.GraphToken, nil, &dirUsers)
	want := len(dirUsers.Value)
	deadline = time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var g struct{ Resources []struct{ ID string } }
		call(t, "GET", d.SCIMURL+"/Groups?filter="+url.QueryEscape(`displayName eq "AWS-ReadOnly"`), d.SCIMToken, nil, &g)
		if len(g.Resources) == 1 {
			var m struct{ TotalResults int }
			call(t, "GET", d.SCIMURL+"/Users?count=1&filter="+url.QueryEscape(`groups.value eq "`+g.Resources[0].ID+`"`), d.SCIMToken, nil, &m)
			// The seeded users (one of them in AWS-ReadOnly) and the center
			// console's admins, provisioned through their admin groups.
			seeded := len(demoUsers) + len(demoCenterAdminGroups)
			if m.TotalResults == want && centerUsers(d) == seeded+want-1 {
				t.Logf("killed with %s; after restart the center has all %d group members and %d users", killedAt, want, centerUsers(d))
				var all struct{ TotalResults int }
				call(t, "GET", d.SCIMURL+"/Groups", d.SCIMToken, nil, &all)
				if n := len(demoGroups) + len(demoCenterAdminGroups); all.TotalResults != n {
					t.Fatalf("%d groups at the center, want the %d seeded ones once each", all.TotalResults, n)
				}
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the center never caught up with %d group members after the restart (%d users there)", want, centerUsers(d))
}

// centerUsersFromDB describes the state at the kill, from the status command.
func centerUsersFromDB(t *testing.T, bin, data string) string {
	out, _ := exec.Command(bin, "provisioning", "status", "--database", filepath.Join(data, "gatehouse.db"), "--json").Output()
	var st struct{ Provisioned map[string]int }
	json.Unmarshal(out, &st)
	return fmt.Sprintf("%d users linked", st.Provisioned["user"])
}
