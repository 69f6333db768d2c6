package bench

import (
	"context"
	"testing"
	"time"
)

// TestPIM runs the PIM benchmark small: every activation reaches the
// center and every expiry removes the access there (no timing asserted).
func TestPIM(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a directory, an engine and a center")
	}
	ctx := context.Background()
	w, err := NewWorld(ctx, WorldOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	res, err := w.PIM(ctx, PIMOptions{Activations: 4, Duration: time.Second, Rate: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Access.Count() != 4 || res.Revoke.Count() != 4 {
		t.Fatalf("measured %d accesses and %d revocations, want 4 each", res.Access.Count(), res.Revoke.Count())
	}
}
