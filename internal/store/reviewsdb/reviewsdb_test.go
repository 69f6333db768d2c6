package reviewsdb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/governance/reviews"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/reviewsdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// TestStore runs on SQLite and PostgreSQL.
func TestStore(t *testing.T) {
	storetest.Backends(t, "reviews", func(t *testing.T, newDSN func(t *testing.T) string) {
		ctx := context.Background()
		db, err := store.Open(ctx, newDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		s := reviewsdb.New(db)

		if _, ok, err := s.NextDue(ctx); ok || err != nil {
			t.Fatalf("NextDue on an empty store: %v %v", ok, err)
		}
		next := t0.Add(time.Hour)
		c := &reviews.Campaign{ID: "c1", Name: "n", GroupID: "g", Reviewers: reviews.ReviewersNamed, ReviewerIDs: []string{"r"},
			Start: next, Duration: 24 * time.Hour, Recurrence: reviews.RecurWeekly, Default: reviews.DefaultDeny, AutoApply: true,
			ReminderInterval: 6 * time.Hour, NextStart: &next, Created: t0}
		if err := s.CreateCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateCampaign(ctx, c); !errors.Is(err, reviews.ErrConflict) {
			t.Fatalf("duplicate campaign: %v", err)
		}
		got, err := s.GetCampaign(ctx, "c1")
		if err != nil || got.Name != "n" || !got.NextStart.Equal(next) || got.ReminderInterval != 6*time.Hour || got.ReviewerIDs[0] != "r" {
			t.Fatalf("GetCampaign: %+v %v", got, err)
		}
		if _, err := s.GetCampaign(ctx, "nope"); !errors.Is(err, reviews.ErrNotFound) {
			t.Fatalf("missing campaign: %v", err)
		}
		if cs, _ := s.DueCampaigns(ctx, next.Add(-time.Millisecond)); len(cs) != 0 {
			t.Fatalf("due early: %+v", cs)
		}
		if cs, _ := s.DueCampaigns(ctx, next); len(cs) != 1 {
			t.Fatalf("due at NextStart: %+v", cs)
		}
		if d, ok, _ := s.NextDue(ctx); !ok || !d.Equal(next) {
			t.Fatalf("NextDue = %v", d)
		}

		in := &reviews.Instance{ID: "i1", CampaignID: "c1", Start: next, End: next.Add(24 * time.Hour),
			Status: reviews.StatusInProgress, ReminderInterval: 6 * time.Hour}
		items := []*reviews.Item{
			{ID: "b", UserID: "u2", UPN: "b@x", Reviewers: []string{"r"}, Decision: reviews.NotReviewed},
			{ID: "a", UserID: "u1", UPN: "a@x", Reviewers: []string{"r"}, Decision: reviews.NotReviewed, Recommendation: reviews.RecommendInactive},
		}
		if err := s.CreateInstance(ctx, in, items); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateInstance(ctx, &reviews.Instance{ID: "i2", CampaignID: "c1", Start: next, End: next}, nil); !errors.Is(err, reviews.ErrConflict) {
			t.Fatalf("second instance at the same start: %v", err)
		}
		// The campaign moves on: its NextStart a week later; the instance's
		// first reminder is now the earliest due instant.
		week := next.Add(7 * 24 * time.Hour)
		if _, err := s.UpdateCampaign(ctx, "c1", func(c *reviews.Campaign) error { c.NextStart = &week; return nil }); err != nil {
			t.Fatal(err)
		}
		if d, _, _ := s.NextDue(ctx); !d.Equal(next.Add(6 * time.Hour)) {
			t.Fatalf("NextDue = %v, want the first reminder", d)
		}
		if ins, _ := s.ListInstances(ctx, reviews.InstanceQuery{DueBy: next.Add(6*time.Hour - time.Millisecond)}); len(ins) != 0 {
			t.Fatalf("due before the reminder: %+v", ins)
		}
		if ins, _ := s.ListInstances(ctx, reviews.InstanceQuery{CampaignID: "c1", Status: []reviews.Status{reviews.StatusInProgress},
			DueBy: next.Add(6 * time.Hour)}); len(ins) != 1 {
			t.Fatalf("due at the reminder: %+v", ins)
		}
		boom := errors.New("boom")
		if _, err := s.UpdateInstance(ctx, "i1", func(in *reviews.Instance) error { in.Status = reviews.StatusApplied; return boom }); !errors.Is(err, boom) {
			t.Fatalf("failing update: %v", err)
		}
		upd, err := s.UpdateInstance(ctx, "i1", func(in *reviews.Instance) error { in.Status = reviews.StatusApplied; return nil })
		if err != nil || upd.Status != reviews.StatusApplied {
			t.Fatalf("UpdateInstance: %+v %v", upd, err)
		}
		if d, _, _ := s.NextDue(ctx); !d.Equal(week) {
			t.Fatalf("NextDue after apply = %v, want the next start", d)
		}
		if ins, _ := s.ListInstances(ctx, reviews.InstanceQuery{Status: []reviews.Status{reviews.StatusInProgress}}); len(ins) != 0 {
			t.Fatalf("in progress after apply: %+v", ins)
		}

		its, err := s.ListItems(ctx, "i1")
		if err != nil || len(its) != 2 || its[0].ID != "b" || its[1].Recommendation != reviews.RecommendInactive {
			t.Fatalf("ListItems keeps snapshot order: %+v %v", its, err)
		}
		it, err := s.UpdateItem(ctx, "a", func(it *reviews.Item) error {
			it.Decision, it.Reason, it.ReviewedAt = reviews.Deny, "gone", t0
			return nil
		})
		if err != nil || it.Decision != reviews.Deny {
			t.Fatalf("UpdateItem: %+v %v", it, err)
		}
		if it, _ := s.GetItem(ctx, "a"); it.Reason != "gone" || !it.ReviewedAt.Equal(t0) {
			t.Fatalf("GetItem: %+v", it)
		}
		if _, err := s.GetItem(ctx, "nope"); !errors.Is(err, reviews.ErrNotFound) {
			t.Fatalf("missing item: %v", err)
		}

		// LastSignIn reads the directory's sessions.
		dir := directorydb.New(db)
		u := &directory.User{ID: "u1", UserPrincipalName: "a@x", DisplayName: "a", AccountEnabled: true, Created: t0, Modified: t0}
		if err := dir.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.LastSignIn(ctx, "u1"); ok || err != nil {
			t.Fatalf("never signed in: %v %v", ok, err)
		}
		for i, at := range []time.Time{t0.Add(-48 * time.Hour), t0.Add(-time.Hour)} {
			dir.CreateSession(ctx, &directory.Session{ID: string(rune('a' + i)), UserID: "u1", Created: at, LastSeen: at, Expires: at.Add(time.Hour), CSRF: "x"})
		}
		if last, ok, err := s.LastSignIn(ctx, "u1"); !ok || err != nil || !last.Equal(t0.Add(-time.Hour)) {
			t.Fatalf("LastSignIn = %v %v %v", last, ok, err)
		}
	})
}
