package due

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// Notify never blocks, and many changes make one wake-up.
func TestSignal(t *testing.T) {
	var s Signal
	for range 3 {
		s.Notify()
	}
	<-s.C()
	select {
	case <-s.C():
		t.Fatal("a second wake-up was pending")
	default:
	}
}

// The loop ticks at once, again when Next's instant comes (long before
// MaxWait), again on a signal, retries a failed tick, and ends with ctx.
func TestLoop(t *testing.T) {
	var ticks atomic.Int32
	var fail atomic.Bool
	ticked := make(chan int32, 16)
	var wake Signal
	dueAt := time.Now().Add(50 * time.Millisecond)
	l := &Loop{Name: "test", Log: slog.New(slog.DiscardHandler), MaxWait: time.Hour, Now: time.Now, Changed: wake.C(),
		Tick: func(context.Context) error {
			ticked <- ticks.Add(1)
			if fail.Swap(false) {
				return errors.New("store down")
			}
			return nil
		},
		Next: func(context.Context) (time.Time, bool, error) {
			if ticks.Load() == 1 {
				return dueAt, true, nil
			}
			return time.Time{}, false, nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Run(ctx) }()
	wait := func(what string, n int32) {
		t.Helper()
		select {
		case got := <-ticked:
			if got != n {
				t.Fatalf("%s: tick %d, want %d", what, got, n)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no tick", what)
		}
	}
	wait("at once", 1)
	wait("when due", 2)
	fail.Store(true)
	wake.Notify()
	wait("on a change", 3)
	wait("retry after a failed tick", 4)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
