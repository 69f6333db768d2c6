package provisioning_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center/scimserver/scimtest"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/provisioningdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

// world is a directory with a running engine provisioning into a real
// center over HTTP; the two halves have separate databases.
type world struct {
	t       *testing.T
	ctx     context.Context
	dir     *directorydb.Store
	engine  *provisioning.Engine
	pstore  *provisioningdb.Store
	scimURL string
	token   string
	app     *directory.App
	handler http.Handler // the center's SCIM handler, to wrap with faults
}

func newWorld(t *testing.T, wrap func(http.Handler) http.Handler, tune func(*provisioning.Settings)) *world {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	target := scimtest.Start(t, wrap)

	ddb := storetest.SQLite(t)
	box, err := secret.LoadOrCreateKey(filepath.Join(t.TempDir(), "key"))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: ctx, dir: directorydb.New(ddb), pstore: provisioningdb.New(ddb),
		scimURL: target.URL, token: target.Token, handler: target.Handler}
	w.engine = &provisioning.Engine{Dir: w.dir, Store: w.pstore, Box: box, Poll: 50 * time.Millisecond, Timeout: 5 * time.Second}
	w.app = &directory.App{ID: directorydb.NewID(), DisplayName: "AWS IAM Identity Center", Template: provisioning.TemplateAWS, Created: time.Now()}
	if err := w.dir.CreateApp(ctx, w.app); err != nil {
		t.Fatal(err)
	}
	set := provisioning.DefaultSettings(w.scimURL)
	if tune != nil {
		tune(&set)
	}
	if _, err := w.engine.Configure(ctx, w.app.ID, set, w.token); err != nil {
		t.Fatal(err)
	}
	if err := w.engine.SetEnabled(ctx, w.app.ID, true); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { w.engine.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

func (w *world) user(upn string, mutate ...func(*directory.User)) *directory.User {
	w.t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	u := &directory.User{ID: directorydb.NewID(), UserPrincipalName: upn, Mail: upn, GivenName: "Given", Surname: "Sur",
		DisplayName: "Given Sur", JobTitle: "Engineer", AccountEnabled: true, Created: now, Modified: now}
	for _, m := range mutate {
		m(u)
	}
	if err := w.dir.CreateUser(w.ctx, u); err != nil {
		w.t.Fatal(err)
	}
	return u
}

func (w *world) group(name string) *directory.Group {
	w.t.Helper()
	now := time.Now().UTC()
	g := &directory.Group{ID: directorydb.NewID(), DisplayName: name, SecurityEnabled: true, Created: now, Modified: now}
	if err := w.dir.CreateGroup(w.ctx, g); err != nil {
		w.t.Fatal(err)
	}
	return g
}

func (w *world) assign(principalID string) {
	w.t.Helper()
	if err := w.dir.Assign(w.ctx, &directory.Assignment{ID: directorydb.NewID(), AppID: w.app.ID, PrincipalID: principalID, Created: time.Now()}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) add(groupID, memberID string) {
	w.t.Helper()
	if err := w.dir.AddMember(w.ctx, groupID, memberID, time.Now()); err != nil {
		w.t.Fatal(err)
	}
}

// get queries the center's SCIM server.
func (w *world) get(path string) map[string]any {
	w.t.Helper()
	req, _ := http.NewRequest("GET", w.scimURL+path, nil)
	req.Header.Set("Authorization", "Bearer "+w.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return m
}

// targetUser returns the center's user with that userName, or nil.
func (w *world) targetUser(userName string) map[string]any {
	r := w.get("/Users?filter=" + url.QueryEscape(fmt.Sprintf("userName eq %q", userName)))
	rs, _ := r["Resources"].([]any)
	if len(rs) != 1 {
		return nil
	}
	return rs[0].(map[string]any)
}

func (w *world) targetGroup(name string) map[string]any {
	r := w.get("/Groups?filter=" + url.QueryEscape(fmt.Sprintf("displayName eq %q", name)))
	rs, _ := r["Resources"].([]any)
	if len(rs) != 1 {
		return nil
	}
	return rs[0].(map[string]any)
}

// members returns the userNames in the center's group.
func (w *world) members(groupName string) map[string]bool {
	g := w.targetGroup(groupName)
	if g == nil {
		return nil
	}
	r := w.get("/Users?filter=" + url.QueryEscape(fmt.Sprintf("groups.value eq %q", g["id"])))
	out := map[string]bool{}
	rs, _ := r["Resources"].([]any)
	for _, u := range rs {
		out[u.(map[string]any)["userName"].(string)] = true
	}
	return out
}

// eventually waits for cond, failing with what was last seen. The bound is
// generous: the point is that it happens, latency is measured by benchmarks.
func (w *world) eventually(what string, cond func() (bool, string)) {
	w.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		ok, seen := cond()
		if ok {
			return
		}
		last = seen
		time.Sleep(20 * time.Millisecond)
	}
	w.t.Fatalf("%s: never happened; last seen: %s", what, last)
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestJoinerMoverLeaver(t *testing.T) {
	w := newWorld(t, nil, nil)
	devs, ops := w.group("AWS-Developers"), w.group("AWS-Ops")
	w.assign(devs.ID)
	w.assign(ops.ID)
	w.eventually("groups created at the center", func() (bool, string) {
		return w.targetGroup("AWS-Developers") != nil && w.targetGroup("AWS-Ops") != nil, ""
	})

	// Joiner: created in the directory, added to an assigned group.
	alex := w.user("alex@example.com", func(u *directory.User) { u.EmployeeID = "1007"; u.Department = "R&D" })
	w.add(devs.ID, alex.ID)
	w.eventually("joiner provisioned", func() (bool, string) {
		u := w.targetUser("alex@example.com")
		return u != nil && u["active"] == true && w.members("AWS-Developers")["alex@example.com"], jsonOf(u)
	})
	u := w.targetUser("alex@example.com")
	if u["displayName"] != "Given Sur" || u["title"] != "Engineer" || u["externalId"] != alex.ID {
		t.Fatalf("mapped attributes: %s", jsonOf(u))
	}
	ent := u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
	if ent["employeeNumber"] != "1007" || ent["department"] != "R&D" {
		t.Fatalf("enterprise attributes: %s", jsonOf(ent))
	}

	// Mover: from Developers to Ops.
	if err := w.dir.RemoveMember(w.ctx, devs.ID, alex.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	w.add(ops.ID, alex.ID)
	w.eventually("mover's memberships follow", func() (bool, string) {
		d, o := w.members("AWS-Developers"), w.members("AWS-Ops")
		return !d["alex@example.com"] && o["alex@example.com"], jsonOf([]any{d, o})
	})

	// An attribute cleared at the source is cleared at the target.
	if _, err := w.dir.UpdateUser(w.ctx, alex.ID, func(u *directory.User) error { u.JobTitle = ""; return nil }); err != nil {
		t.Fatal(err)
	}
	w.eventually("title removed at the target", func() (bool, string) {
		u := w.targetUser("alex@example.com")
		_, has := u["title"]
		return u != nil && !has, jsonOf(u)
	})

	// Leaver: sign-in blocked -> active=false at once.
	if _, err := w.dir.UpdateUser(w.ctx, alex.ID, func(u *directory.User) error { u.AccountEnabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	w.eventually("leaver disabled", func() (bool, string) {
		u := w.targetUser("alex@example.com")
		return u != nil && u["active"] == false, jsonOf(u)
	})
	// Hard delete -> DELETE.
	if err := w.dir.PurgeUser(w.ctx, alex.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	w.eventually("purged user deleted", func() (bool, string) { return w.targetUser("alex@example.com") == nil, "" })

	// The logs tell the story with Entra's fields. An entry is written just
	// after its requests are answered, so wait for the last one.
	w.eventually("every lifecycle step logged", func() (bool, string) {
		logs, err := w.pstore.Logs(w.ctx, provisioning.LogQuery{AppID: w.app.ID, SourceID: alex.ID})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, l := range logs {
			actions[l.Action+"/"+l.Status]++
		}
		for _, want := range []string{"Create/success", "Update/success", "Disable/success", "Delete/success"} {
			if actions[want] == 0 {
				return false, jsonOf(actions)
			}
		}
		return true, ""
	})
}

func TestNestedGroupsAreFlattened(t *testing.T) {
	w := newWorld(t, nil, nil)
	parent, child := w.group("AWS-Admins"), w.group("Team-Blue")
	w.add(parent.ID, child.ID)
	w.assign(parent.ID)
	ana := w.user("ana@example.com")
	w.add(child.ID, ana.ID)
	w.eventually("nested user in the parent's target group", func() (bool, string) {
		m := w.members("AWS-Admins")
		return m["ana@example.com"], jsonOf(m)
	})
	if w.targetGroup("Team-Blue") != nil {
		t.Fatal("an unassigned nested group was provisioned")
	}
	// Removing the nested group from the parent removes its users.
	if err := w.dir.RemoveMember(w.ctx, parent.ID, child.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	w.eventually("nested user gone with its group", func() (bool, string) {
		m := w.members("AWS-Admins")
		return len(m) == 0, jsonOf(m)
	})
	w.eventually("the user, now unassigned, is disabled", func() (bool, string) {
		u := w.targetUser("ana@example.com")
		return u != nil && u["active"] == false, jsonOf(u)
	})
}

func TestDriftIsRepaired(t *testing.T) {
	w := newWorld(t, nil, nil)
	g := w.group("AWS-ReadOnly")
	w.assign(g.ID)
	bo := w.user("bo@example.com")
	w.add(g.ID, bo.ID)
	w.eventually("provisioned", func() (bool, string) { return w.members("AWS-ReadOnly")["bo@example.com"], "" })

	// Someone edits the center by hand: renames the user, drops the membership.
	tu := w.targetUser("bo@example.com")
	tg := w.targetGroup("AWS-ReadOnly")
	send := func(method, path, body string) {
		req, _ := http.NewRequest(method, w.scimURL+path, stringsReader(body))
		req.Header.Set("Authorization", "Bearer "+w.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode >= 300 {
			t.Fatalf("%s %s: %v %v", method, path, err, res.Status)
		}
		res.Body.Close()
	}
	send("PATCH", "/Users/"+tu["id"].(string), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Hacked"}]}`)
	send("PATCH", "/Groups/"+tg["id"].(string), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members"}]}`)

	// A reconciliation cycle (here started by a restart) repairs both.
	if err := w.engine.Restart(w.ctx, w.app.ID); err != nil {
		t.Fatal(err)
	}
	w.eventually("drift repaired", func() (bool, string) {
		u := w.targetUser("bo@example.com")
		return u != nil && u["displayName"] == "Given Sur" && w.members("AWS-ReadOnly")["bo@example.com"], jsonOf(u)
	})
}
