package provisioning_test

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/testenv"
)

// scimmy is a running SCIMMY server (testdata/scimmy-server.mjs): a
// third-party, RFC 7643/7644 SCIM service that is not the center
// (shared/reference/real-clients.md §1.3).
type scimmy struct {
	url, token string
	mu         sync.Mutex
	log        []string // "METHOD URL BODY" of every request, as SCIMMY saw it
}

func (s *scimmy) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

func startSCIMMY(t *testing.T) *scimmy {
	t.Helper()
	node := testenv.Command(t, "node")
	modules := filepath.Join(testenv.PeersDir(t), "node_modules")
	for _, m := range []string{"scimmy", "scimmy-routers", "express"} {
		if _, err := os.Stat(filepath.Join(modules, m, "package.json")); err != nil {
			testenv.Missing(t, "the npm package %s (npm ci in tools/peers)", m)
		}
	}
	script, err := filepath.Abs(filepath.Join("testdata", "scimmy-server.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	s := &scimmy{token: "scimmy-" + fmt.Sprint(time.Now().UnixNano())}
	cmd := exec.Command(node, script, "0")
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "SCIM_TOKEN="+s.token)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("requests SCIMMY received:\n%s", strings.Join(s.requests(), "\n"))
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if u, ok := strings.CutPrefix(line, "listening "); ok {
				ready <- u
				continue
			}
			if r, ok := strings.CutPrefix(line, "REQ "); ok {
				s.mu.Lock()
				s.log = append(s.log, r)
				s.mu.Unlock()
			}
		}
		close(ready)
	}()
	select {
	case u, ok := <-ready:
		if !ok {
			t.Fatal("the SCIMMY server exited before listening")
		}
		s.url = u
	case <-time.After(20 * time.Second):
		t.Fatal("the SCIMMY server did not start")
	}
	return s
}

// rfcGroup returns the group with that displayName, members included (an
// RFC service returns them on the group).
func (fw *faultWorld) rfcGroup(name string) map[string]any {
	r := fw.get("/Groups?filter=" + url.QueryEscape(fmt.Sprintf("displayName eq %q", name)))
	rs, _ := r["Resources"].([]any)
	if len(rs) != 1 {
		return nil
	}
	return rs[0].(map[string]any)
}

// rfcMembers returns the userNames of a group's members.
func (fw *faultWorld) rfcMembers(name string) map[string]bool {
	g := fw.rfcGroup(name)
	if g == nil {
		return nil
	}
	out := map[string]bool{}
	ms, _ := g["members"].([]any)
	for _, m := range ms {
		id, _ := m.(map[string]any)["value"].(string)
		u := fw.get("/Users/" + url.PathEscape(id))
		name, _ := u["userName"].(string)
		out[name] = true
	}
	return out
}

// The engine provisions into SCIMMY, a third-party SCIM server, with the
// RFC dialect: joiner, mover and leaver land there as they do in the center.
func TestSCIMMYJoinerMoverLeaver(t *testing.T) {
	sm := startSCIMMY(t)
	fw := newFaultWorld(t, worldOpts{targetURL: sm.url, targetToken: sm.token, tune: func(s *provisioning.Settings) {
		s.Dialect = provisioning.DialectRFC
	}})
	if err := fw.engine.TestConnection(fw.ctx, fw.app.ID); err != nil {
		t.Fatalf("Test Connection against SCIMMY: %v", err)
	}
	devs, ops := fw.group("AWS-Developers"), fw.group("AWS-Ops")
	fw.assign(devs.ID)
	fw.assign(ops.ID)

	// Joiners: two users in Developers.
	alex := fw.user("alex@example.com", func(u *directory.User) {
		u.EmployeeID, u.Department, u.BusinessPhones = "1007", "R&D", []string{"+1 425 555 0100"}
		u.City, u.Country = "Redmond", "US"
	})
	bea := fw.user("bea@example.com")
	fw.add(devs.ID, alex.ID)
	fw.add(devs.ID, bea.ID)
	fw.eventually("joiners provisioned with their membership", func() (bool, string) {
		m := fw.rfcMembers("AWS-Developers")
		return m["alex@example.com"] && m["bea@example.com"] && len(m) == 2, jsonOf(m)
	})
	u := fw.targetUser("alex@example.com")
	ent, _ := u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
	emails, _ := u["emails"].([]any)
	if u["active"] != true || u["displayName"] != "Given Sur" || u["title"] != "Engineer" || u["externalId"] != alex.ID ||
		len(emails) != 1 || ent["employeeNumber"] != "1007" || ent["department"] != "R&D" {
		t.Fatalf("alex at SCIMMY: %s", jsonOf(u))
	}

	// Mover: alex from Developers to Ops; bea stays in Developers.
	if err := fw.dir.RemoveMember(fw.ctx, devs.ID, alex.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	fw.add(ops.ID, alex.ID)
	fw.eventually("mover's memberships follow", func() (bool, string) {
		d, o := fw.rfcMembers("AWS-Developers"), fw.rfcMembers("AWS-Ops")
		return len(d) == 1 && d["bea@example.com"] && len(o) == 1 && o["alex@example.com"], jsonOf([]any{d, o})
	})

	// Attribute changes, and an attribute cleared at the source.
	if _, err := fw.dir.UpdateUser(fw.ctx, alex.ID, func(u *directory.User) error {
		u.DisplayName, u.JobTitle, u.Mail = "Alex W", "", "alex.w@example.com"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	fw.eventually("changes land, the cleared title is removed", func() (bool, string) {
		u := fw.targetUser("alex@example.com")
		_, hasTitle := u["title"]
		emails, _ := u["emails"].([]any)
		ok := u != nil && u["displayName"] == "Alex W" && !hasTitle && len(emails) == 1 &&
			emails[0].(map[string]any)["value"] == "alex.w@example.com"
		return ok, jsonOf(u)
	})

	// More of PATCH: values removed inside filtered multi-valued attributes
	// and inside the enterprise extension, and a reference (the manager).
	if _, err := fw.dir.UpdateUser(fw.ctx, alex.ID, func(u *directory.User) error {
		u.Mail, u.City, u.Department, u.ManagerID = "", "", "", bea.ID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	beaID, _ := fw.targetUser("bea@example.com")["id"].(string)
	fw.eventually("values removed, manager set", func() (bool, string) {
		u := fw.targetUser("alex@example.com")
		ent, _ := u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
		mgr, _ := ent["manager"].(map[string]any)
		addrs, _ := u["addresses"].([]any)
		_, hasEmails := u["emails"]
		_, hasDept := ent["department"]
		if u == nil || hasEmails || hasDept || mgr["value"] != beaID || ent["employeeNumber"] != "1007" || len(addrs) != 1 {
			return false, jsonOf(u)
		}
		addr := addrs[0].(map[string]any)
		_, hasLocality := addr["locality"]
		return !hasLocality && addr["country"] == "US" && addr["type"] == "work", jsonOf(u)
	})

	// Leaver: sign-in blocked -> active false, and out of the group.
	if _, err := fw.dir.UpdateUser(fw.ctx, bea.ID, func(u *directory.User) error { u.AccountEnabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	fw.eventually("leaver disabled and out of the group", func() (bool, string) {
		u := fw.targetUser("bea@example.com")
		return u != nil && u["active"] == false && len(fw.rfcMembers("AWS-Developers")) == 0, jsonOf(u)
	})
	// Hard delete -> DELETE; unassigned group -> DELETE.
	if err := fw.dir.PurgeUser(fw.ctx, bea.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	as, err := fw.dir.Assignments(fw.ctx, fw.app.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.PrincipalID == devs.ID {
			if err := fw.dir.Unassign(fw.ctx, a.ID, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	fw.eventually("purged user and unassigned group deleted", func() (bool, string) {
		return fw.targetUser("bea@example.com") == nil && fw.rfcGroup("AWS-Developers") == nil, ""
	})
	if u := fw.targetUser("alex@example.com"); u == nil || u["active"] != true || !fw.rfcMembers("AWS-Ops")["alex@example.com"] {
		t.Fatalf("alex after the others left: %s", jsonOf(u))
	}

	fw.noFailures()
	// The wire: real booleans, lower-case ops, members PATCHed after the
	// group's POST.
	var sawDisable, sawMemberAdd bool
	for _, r := range sm.requests() {
		if strings.Contains(r, `"active":"`) {
			t.Fatalf("a boolean sent as a string: %s", r)
		}
		sawDisable = sawDisable || strings.HasPrefix(r, "PATCH /scim/v2/Users/") && strings.Contains(r, `{"op":"replace","path":"active","value":false}`)
		sawMemberAdd = sawMemberAdd || strings.HasPrefix(r, "PATCH /scim/v2/Groups/") && strings.Contains(r, `"op":"add","path":"members"`)
	}
	if !sawDisable || !sawMemberAdd {
		t.Fatalf("disable PATCH seen %v, member add seen %v:\n%s", sawDisable, sawMemberAdd, strings.Join(sm.requests(), "\n"))
	}
}

// A reconciliation cycle reads SCIMMY's users page by page (startIndex
// paging, the RFC dialect) and matches every one of them: a restart over a
// full target creates nothing again.
func TestSCIMMYCycleReadsEveryPage(t *testing.T) {
	const total = 130
	sm := startSCIMMY(t)
	fw := newFaultWorld(t, worldOpts{targetURL: sm.url, targetToken: sm.token,
		tune: func(s *provisioning.Settings) { s.Dialect = provisioning.DialectRFC },
		seed: func(w *world) {
			g := w.group("AWS-Everyone")
			w.assign(g.ID)
			for i := range total {
				u := w.user(fmt.Sprintf("p%03d@example.com", i))
				w.add(g.ID, u.ID)
			}
		}})
	cycleDone := func() (bool, string) {
		j, err := fw.pstore.GetJob(fw.ctx, fw.app.ID)
		if err != nil || j.LastCycle == nil {
			return false, "cycle running"
		}
		return true, ""
	}
	fw.waitFor("initial cycle", 30*time.Second, cycleDone)
	fw.waitFor("every member in the group", 15*time.Second, func() (bool, string) {
		g := fw.rfcGroup("AWS-Everyone")
		ms, _ := g["members"].([]any)
		return len(ms) == total, fmt.Sprintf("%d members", len(ms))
	})
	creates := func() int {
		n := 0
		for _, r := range sm.requests() {
			if strings.HasPrefix(r, "POST /scim/v2/Users ") {
				n++
			}
		}
		return n
	}
	if n := creates(); n != total {
		t.Fatalf("%d user creates, want %d", n, total)
	}

	if err := fw.engine.Restart(fw.ctx, fw.app.ID); err != nil {
		t.Fatal(err)
	}
	fw.waitFor("cycle after the restart", 30*time.Second, cycleDone)
	j, err := fw.pstore.GetJob(fw.ctx, fw.app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.LastCycle.Counts) != 0 || j.LastCycle.Error != "" {
		t.Fatalf("a cycle over an up-to-date target did something: %s", jsonOf(j.LastCycle))
	}
	if n := creates(); n != total {
		t.Fatalf("%d user creates after the restart, want still %d", n, total)
	}
	var pages []string
	for _, r := range sm.requests() {
		if strings.HasPrefix(r, "GET /scim/v2/Users?") && strings.Contains(r, "startIndex=") {
			pages = append(pages, r)
		}
	}
	if len(pages) < 2 {
		t.Fatalf("the cycles read the users in %d pages: %v", len(pages), pages)
	}
	fw.noFailures()
}
