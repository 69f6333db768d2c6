package due

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Signal wakes a Loop without ever blocking the one who signals: one
// pending wake-up is enough, however many changes were made.
type Signal struct {
	once sync.Once
	ch   chan struct{}
}

func (s *Signal) c() chan struct{} {
	s.once.Do(func() { s.ch = make(chan struct{}, 1) })
	return s.ch
}

// C receives after Notify.
func (s *Signal) C() <-chan struct{} { return s.c() }

// Notify wakes the receiver of C, unless a wake-up is already pending.
func (s *Signal) Notify() {
	select {
	case s.c() <- struct{}{}:
	default:
	}
}

// Loop is a scheduler's loop. Its fields are what it runs.
type Loop struct {
	// Name prefixes log lines ("governance", "reviews").
	Name string
	Log  *slog.Logger
	// Tick does what is due now.
	Tick func(ctx context.Context) error
	// Next returns the earliest due instant, false when nothing is.
	Next func(ctx context.Context) (time.Time, bool, error)
	Now  func() time.Time
	// Changed wakes the loop to ask Next again.
	Changed <-chan struct{}
	// MaxWait bounds a sleep, so that work written by another process
	// (the CLI, another node) is picked up.
	MaxWait time.Duration
}

// Run ticks until ctx ends: at once, then at the earliest due instant,
// re-armed whenever Changed receives. After a failed Tick or Next it
// retries within a second.
func (l *Loop) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		wait := l.MaxWait
		if err := l.Tick(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			l.Log.Warn(l.Name+": tick failed", "err", err)
			wait = time.Second
		}
		next, ok, err := l.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			l.Log.Warn(l.Name+": next due", "err", err)
			wait = time.Second
		} else if ok {
			if d := next.Sub(l.Now()); d < wait {
				wait = max(d, 0)
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-l.Changed:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}
	}
}
