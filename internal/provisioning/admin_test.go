package provisioning_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/provisioningdb"
)

// meddlingStore runs meddle, once, when Configure first touches the job:
// the engine's own update of the job (its cursor, as a running cycle
// saves it) landing in the middle of an admin's change of settings.
type meddlingStore struct {
	provisioning.Store
	meddle func()
}

func (m *meddlingStore) fire() {
	if f := m.meddle; f != nil {
		m.meddle = nil
		f()
	}
}

func (m *meddlingStore) GetJob(ctx context.Context, appID string) (*provisioning.Job, error) {
	j, err := m.Store.GetJob(ctx, appID)
	m.fire()
	return j, err
}

func (m *meddlingStore) UpdateJob(ctx context.Context, appID string, fn func(*provisioning.Job) error) (*provisioning.Job, error) {
	m.fire()
	return m.Store.UpdateJob(ctx, appID, fn)
}

// Configure changes the settings and nothing else: an update the engine
// makes to the job at the same time survives, and the stored token stays
// when none is given.
func TestConfigureKeepsConcurrentJobUpdates(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key := make([]byte, 32)
	rand.Read(key)
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	pstore := provisioningdb.New(db)
	ms := &meddlingStore{Store: pstore}
	e := &provisioning.Engine{Store: ms, Box: box}
	if _, err := e.Configure(ctx, "app-1", provisioning.DefaultSettings("https://scim.example.test/scim/v2"), "secret-token"); err != nil {
		t.Fatal(err)
	}
	before, err := pstore.GetJob(ctx, "app-1")
	if err != nil {
		t.Fatal(err)
	}
	ms.meddle = func() {
		if _, err := pstore.UpdateJob(ctx, "app-1", func(j *provisioning.Job) error { j.Cursor = 42; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	set := provisioning.DefaultSettings("https://scim.example.test/scim/v2")
	set.Workers = 7
	if _, err := e.Configure(ctx, "app-1", set, ""); err != nil {
		t.Fatal(err)
	}
	after, err := pstore.GetJob(ctx, "app-1")
	if err != nil {
		t.Fatal(err)
	}
	if after.Cursor != 42 {
		t.Errorf("cursor = %d after Configure, want 42: the engine's concurrent update was undone", after.Cursor)
	}
	if after.Settings.Workers != 7 {
		t.Errorf("workers = %d, want 7", after.Settings.Workers)
	}
	if after.Settings.TokenSealed == "" || after.Settings.TokenSealed != before.Settings.TokenSealed {
		t.Error("the stored token was not kept")
	}
}
