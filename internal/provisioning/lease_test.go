package provisioning_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/scimserver/scimtest"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/provisioningdb"
	"github.com/gatehouse-id/gatehouse/internal/testenv"
)

// TestNodeTakeover runs two nodes on one PostgreSQL database: one drives
// the job; when it dies (its lease left behind), the other takes over once
// the lease expires and provisions what happened meanwhile.
func TestNodeTakeover(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresDSN(t)
	target := scimtest.Start(t, nil)
	cs := target.Store

	box, err := secret.LoadOrCreateKey(filepath.Join(t.TempDir(), "key"))
	if err != nil {
		t.Fatal(err)
	}
	// Each node opens the shared database itself, as separate processes do.
	node := func(name string) (*provisioning.Engine, *directorydb.Store, *store.DB) {
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ds := directorydb.New(db)
		return &provisioning.Engine{Dir: ds, Store: provisioningdb.New(db), Box: box, Node: name,
			Poll: 50 * time.Millisecond, LeaseTTL: 2 * time.Second}, ds, db
	}
	a, dir, _ := node("node-a")
	b, _, _ := node("node-b")

	now := time.Now().UTC()
	app := &directory.App{ID: directorydb.NewID(), DisplayName: "AWS", Template: provisioning.TemplateAWS, Created: now}
	if err := dir.CreateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	g := &directory.Group{ID: directorydb.NewID(), DisplayName: "AWS-Team", SecurityEnabled: true, Created: now, Modified: now}
	if err := dir.CreateGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := dir.Assign(ctx, &directory.Assignment{ID: directorydb.NewID(), AppID: app.ID, PrincipalID: g.ID, Created: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Configure(ctx, app.ID, provisioning.DefaultSettings(target.URL), target.Token); err != nil {
		t.Fatal(err)
	}
	if err := a.SetEnabled(ctx, app.ID, true); err != nil {
		t.Fatal(err)
	}
	joiner := func(name string) {
		t.Helper()
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		u := &directory.User{ID: directorydb.NewID(), UserPrincipalName: name, DisplayName: name, GivenName: "G", Surname: "S",
			AccountEnabled: true, Created: t0, Modified: t0}
		if err := dir.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := dir.AddMember(ctx, g.ID, u.ID, t0); err != nil {
			t.Fatal(err)
		}
	}
	atCenter := func(name string) bool {
		p, err := cs.ListUsers(ctx, center.Query{Match: []center.Match{{Attr: center.AttrUserName, Value: name}}, Count: 1})
		return err == nil && len(p.Users) == 1
	}
	waitFor := func(what string, limit time.Duration, cond func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for time.Since(start) < limit {
			if cond() {
				return time.Since(start)
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("%s: not within %s", what, limit)
		return 0
	}

	actx, killA := context.WithCancel(ctx)
	aDone := make(chan struct{})
	go func() { a.Run(actx); close(aDone) }()
	waitFor("node A drives the job", 10*time.Second, func() bool { return a.Driving(app.ID) })
	bctx, stopB := context.WithCancel(ctx)
	defer stopB()
	bDone := make(chan struct{})
	go func() { b.Run(bctx); close(bDone) }()
	defer func() { stopB(); <-bDone }()

	joiner("first@example.com")
	waitFor("first joiner provisioned", 10*time.Second, func() bool { return atCenter("first@example.com") })
	if b.Driving(app.ID) {
		t.Fatal("both nodes drive the job")
	}

	// Node A dies: it stops, and its lease stays behind as a crashed node's
	// would (a graceful stop releases it; a crash cannot).
	killA()
	<-aDone
	if ok, err := provisioningdb.New(mustOpen(t, dsn)).AcquireLease(ctx, app.ID, "node-a", time.Now(), time.Now().Add(2*time.Second)); err != nil || !ok {
		t.Fatalf("re-taking A's lease to simulate the crash: %v %v", ok, err)
	}
	joiner("second@example.com")
	took := waitFor("node B takes over and provisions", 30*time.Second, func() bool { return atCenter("second@example.com") })
	if !b.Driving(app.ID) {
		t.Fatal("node B provisioned without driving the job")
	}
	t.Logf("node B took over and provisioned the joiner %s after node A died", took.Round(time.Millisecond))
}

func mustOpen(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(fmt.Errorf("open %s: %w", dsn, err))
	}
	t.Cleanup(func() { db.Close() })
	return db
}
