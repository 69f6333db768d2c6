package reviews

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/governance/due"
)

// DefaultMaxWait is how long Run sleeps at most when nothing is due, so
// that campaigns written by another process (the CLI) are picked up.
const DefaultMaxWait = 30 * time.Second

// Scheduler starts instances, sends reminders and ends instances, each
// when it falls due.
type Scheduler struct {
	Service *Service
	// Now defaults to Service.Now.
	Now func() time.Time
	// MaxWait defaults to DefaultMaxWait.
	MaxWait time.Duration
}

func (sc *Scheduler) now() time.Time {
	if sc.Now != nil {
		return sc.Now().UTC().Truncate(time.Millisecond)
	}
	return sc.Service.now()
}

// Tick does, at now:
//
//  1. reminds the reviewers of every in-progress instance whose reminder
//     is due;
//  2. ends every instance whose End is not after now (an instance ending
//     at 10:00:00 takes decisions at 09:59:59 and ends at a tick at
//     10:00:00), and finishes those a crash left Applying;
//  3. starts an instance of every campaign whose NextStart is due, after
//     step 2, so that a recurring campaign's next snapshot no longer holds
//     the access its previous instance removed.
//
// It returns the first error met, after trying everything.
func (sc *Scheduler) Tick(ctx context.Context) error {
	s, now := sc.Service, sc.now()
	var first error
	due, err := s.Store.ListInstances(ctx, InstanceQuery{Status: []Status{StatusInProgress, StatusApplying}, DueBy: now})
	if err != nil {
		return fmt.Errorf("tick: due instances: %w", err)
	}
	for _, in := range due {
		err := s.remind(ctx, in, now)
		if err == nil && !now.Before(in.End) {
			err = s.finish(ctx, in.ID, now)
		}
		if err != nil {
			s.log().Warn("reviews: tick failed for instance; will retry", "instance", in.ID, "err", err)
			if first == nil {
				first = err
			}
		}
	}
	if err := s.startDue(ctx, now); err != nil && first == nil {
		first = err
	}
	return first
}

// Run ticks until ctx ends: at once, then at the earliest due instant (a
// campaign's next start, a reminder, an instance's end), re-armed whenever
// the Service changes one. After a failed tick it retries within a second.
func (sc *Scheduler) Run(ctx context.Context) error {
	maxWait := sc.MaxWait
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	l := &due.Loop{Name: "reviews", Log: sc.Service.log(), Tick: sc.Tick, Next: sc.Service.Store.NextDue,
		Now: sc.now, Changed: sc.Service.Changed(), MaxWait: maxWait}
	return l.Run(ctx)
}
