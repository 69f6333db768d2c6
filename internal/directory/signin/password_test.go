package signin_test

import (
	"context"
	"errors"
	"regexp"
	"runtime"
	"sync"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
)

func TestHasher(t *testing.T) {
	ctx := context.Background()
	h := signin.NewHasher(1)
	enc, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(enc) {
		t.Fatalf("PHC string %q", enc)
	}
	if ok, err := h.Verify(ctx, enc, "correct horse battery"); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, err := h.Verify(ctx, enc, "correct horse batterz"); ok || err != nil {
		t.Fatalf("wrong password: %v %v", ok, err)
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"} {
		if _, err := h.Verify(ctx, bad, "x"); err == nil {
			t.Errorf("Verify accepted %q", bad)
		}
	}
	// A full semaphore and an ended context: ErrBusy, no hash.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	block := signin.NewHasher(1)
	var wg sync.WaitGroup
	wg.Add(1)
	started := make(chan struct{})
	go func() {
		defer wg.Done()
		close(started)
		block.Hash(ctx, "a long enough password")
	}()
	<-started
	for block.Count() == 0 {
		runtime.Gosched()
	}
	// The first hash holds the only slot for ~25 ms; this call cannot get it.
	if _, err := block.Hash(cancelled, "another password!"); !errors.Is(err, signin.ErrBusy) || block.Count() != 1 {
		t.Errorf("busy hasher: %v, %d hashes", err, block.Count())
	}
	wg.Wait()
}

// TestHasherBoundsConcurrency runs 16 verifications at once through a
// Hasher limited to 2 and checks that no more than 2 ran together.
func TestHasherBoundsConcurrency(t *testing.T) {
	ctx := context.Background()
	h := signin.NewHasher(2)
	enc, _ := h.Hash(ctx, "correct horse battery")
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.Verify(ctx, enc, "correct horse battery")
		}()
	}
	wg.Wait()
	if h.Peak() != 2 || h.Count() != 17 {
		t.Fatalf("peak %d (limit 2), count %d", h.Peak(), h.Count())
	}
}

// BenchmarkVerifyParallel floods one default Hasher (GOMAXPROCS slots) with
// 8 × GOMAXPROCS concurrent verifications; the peak-concurrent metric shows
// that no more than the limit ran at once.
func BenchmarkVerifyParallel(b *testing.B) {
	ctx := context.Background()
	h := signin.NewHasher(0)
	enc, _ := h.Hash(ctx, "correct horse battery")
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := h.Verify(ctx, enc, "correct horse battery"); !ok || err != nil {
				b.Error("verify failed", err)
			}
		}
	})
	b.ReportMetric(float64(h.Peak()), "peak-concurrent")
	b.ReportMetric(float64(h.Limit()), "limit")
	if h.Peak() > h.Limit() {
		b.Fatalf("peak %d > limit %d", h.Peak(), h.Limit())
	}
}

// BenchmarkVerify is one verification at a time: the cost of a login.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	h := signin.NewHasher(0)
	enc, _ := h.Hash(ctx, "correct horse battery")
	b.ResetTimer()
	for b.Loop() {
		h.Verify(ctx, enc, "correct horse battery")
	}
}
