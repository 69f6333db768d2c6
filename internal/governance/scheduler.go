package governance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/governance/due"
)

// DefaultMaxWait is how long Run sleeps at most when nothing is due, so
// that grants written by another process (the CLI, another node) are
// picked up; grants made through the same Service re-arm the timer at once.
const DefaultMaxWait = 30 * time.Second

// Scheduler ends grants at their End and expires pending requests past
// their approval deadline (flow step 4).
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

type pair struct{ group, user string }

// Tick does, at now:
//
//  1. every Active grant whose End is not after now becomes Expired (a
//     grant ending at 10:00:00 survives a tick at 09:59:59 and ends at a
//     tick at 10:00:00);
//  2. every pending request whose approval deadline passed becomes Expired;
//  3. every pair with a live grant or a row in the transition table is
//     brought in line (membership.sync), which finishes transitions a crash
//     interrupted and removes memberships whose last grant ended.
//
// It returns the first error met, after trying every pair.
func (sc *Scheduler) Tick(ctx context.Context) error {
	s, now := sc.Service, sc.now()
	due, err := s.Store.ListRequests(ctx, RequestQuery{Status: []Status{StatusActive, StatusPendingApproval}, DueBy: now})
	if err != nil {
		return fmt.Errorf("tick: due requests: %w", err)
	}
	seen := map[pair]bool{}
	var pairs []pair
	add := func(p pair) {
		if !seen[p] {
			seen[p] = true
			pairs = append(pairs, p)
		}
	}
	var first error
	for _, r := range due {
		_, err := s.Store.UpdateRequest(ctx, r.ID, func(r *Request) error {
			d := r.Due()
			if d.IsZero() || now.Before(d) {
				return errSkip
			}
			r.Status = StatusExpired
			return nil
		})
		if err != nil && !errors.Is(err, errSkip) && first == nil {
			first = fmt.Errorf("tick: expire %s: %w", r.ID, err)
		}
		if err == nil {
			s.log().Info("governance: expired", "request", r.ID, "group", r.GroupID, "user", r.UserID, "kind", r.Kind)
		}
		if r.Status == StatusActive {
			add(pair{r.GroupID, r.UserID})
		}
	}
	active, err := s.Store.ListRequests(ctx, RequestQuery{Status: []Status{StatusActive}})
	if err != nil {
		return fmt.Errorf("tick: active grants: %w", err)
	}
	for _, r := range active {
		add(pair{r.GroupID, r.UserID})
	}
	rows, err := s.Store.ListMemberships(ctx)
	if err != nil {
		return fmt.Errorf("tick: memberships: %w", err)
	}
	for _, m := range rows {
		add(pair{m.GroupID, m.UserID})
	}
	for _, p := range pairs {
		if err := s.sync(ctx, p.group, p.user, now); err != nil {
			s.log().Warn("governance: membership transition failed; will retry", "group", p.group, "user", p.user, "err", err)
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// Run ticks until ctx ends: at once, then at the earliest due instant
// (a grant's End, an approval deadline), re-armed whenever the Service
// changes a grant, so that expiry is acted on when it falls due rather
// than on a polling interval. After a failed tick it retries within a
// second.
func (sc *Scheduler) Run(ctx context.Context) error {
	maxWait := sc.MaxWait
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	l := &due.Loop{Name: "governance", Log: sc.Service.log(), Tick: sc.Tick, Next: sc.Service.Store.NextDue,
		Now: sc.now, Changed: sc.Service.Changed(), MaxWait: maxWait}
	return l.Run(ctx)
}
