package reviews_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/governance/reviews"
)

func (f *fixture) owners(groupID string, users ...string) {
	f.t.Helper()
	for _, u := range users {
		if err := f.dir.AddOwner(f.ctx, groupID, u, t0); err != nil {
			f.t.Fatal(err)
		}
	}
}

// TestOwnersReview: the group's active owners when the instance starts
// review its members, never their own access (that goes to the other
// owners, else to the fallback reviewers); owners added later do not
// review that instance; the end applies their denials.
func TestOwnersReview(t *testing.T) {
	f := setup(t)
	lead, deputy, off, fallback := f.user("lead@x", "", true), f.user("deputy@x", "", true), f.user("off@x", "", false),
		f.user("fallback@x", "", true)
	ann, bob := f.user("ann@x", "", true), f.user("bob@x", "", true)
	g := f.group("ops", ann, bob, lead)
	f.owners(g, lead, off)

	c := &reviews.Campaign{Name: "Ops by owners", GroupID: g, Reviewers: reviews.ReviewersOwners,
		ReviewerIDs: []string{fallback}, Start: t0, Duration: 7 * day, Default: reviews.DefaultApprove, AutoApply: true}
	if err := f.svc.CreateCampaign(f.ctx, c); err != nil {
		t.Fatal(err)
	}
	inst := f.instances(c.ID)[0]
	items := f.items(inst.ID)
	for upn, want := range map[string][]string{"ann@x": {lead}, "bob@x": {lead}, "lead@x": {fallback}} {
		if got := items[upn].Reviewers; !slices.Equal(got, want) {
			t.Errorf("reviewers of %s = %v, want %v", upn, got, want)
		}
	}
	// The items of an owner are theirs to decide, not others'.
	if its, _ := f.svc.Items(f.ctx, inst.ID, lead); len(its) != 2 {
		t.Errorf("lead's items: %d, want 2", len(its))
	}
	f.owners(g, deputy)
	f.now = t0.Add(time.Hour)
	for who, id := range map[string]string{"an owner added later": deputy, "a disabled owner": off, "a member": bob} {
		_, err := f.svc.Decide(f.ctx, reviews.DecideInput{ItemID: items["ann@x"].ID, ReviewerID: id, Decision: reviews.Approve})
		if !errors.Is(err, reviews.ErrForbidden) {
			t.Errorf("decision by %s: %v, want forbidden", who, err)
		}
	}
	if _, err := f.svc.Decide(f.ctx, reviews.DecideInput{ItemID: items["lead@x"].ID, ReviewerID: lead, Decision: reviews.Approve}); !errors.Is(err, reviews.ErrForbidden) {
		t.Errorf("an owner reviewing their own access: %v", err)
	}
	if _, err := f.svc.Decide(f.ctx, reviews.DecideInput{ItemID: items["ann@x"].ID, ReviewerID: lead, Decision: reviews.Deny,
		Reason: "moved to finance"}); err != nil {
		t.Fatal(err)
	}
	f.tick(t0.Add(7*day - time.Millisecond))
	if !f.isMember(g, ann) {
		t.Fatal("denial applied before the end")
	}
	f.tick(t0.Add(7 * day))
	if f.isMember(g, ann) || !f.isMember(g, bob) || !f.isMember(g, lead) {
		t.Fatalf("after the end: ann %v, bob %v, lead %v; want only ann removed",
			f.isMember(g, ann), f.isMember(g, bob), f.isMember(g, lead))
	}
	if got := f.instances(c.ID)[0].Status; got != reviews.StatusApplied {
		t.Fatalf("status %s", got)
	}
}

// Refused campaigns name the field at fault; owners need a group with an
// active owner or fallback reviewers, and apps have no owners.
func TestCampaignFieldErrors(t *testing.T) {
	f := setup(t)
	u := f.user("u@x", "", true)
	g := f.group("g", u)
	app := &directory.App{ID: uuid.NewString(), DisplayName: "app", Template: "scim", Created: t0}
	if err := f.dir.CreateApp(f.ctx, app); err != nil {
		t.Fatal(err)
	}
	for field, c := range map[string]*reviews.Campaign{
		"name":            {GroupID: g, Reviewers: reviews.ReviewersSelf, Duration: day},
		"scope":           {Name: "x", Reviewers: reviews.ReviewersSelf, Duration: day},
		"duration":        {Name: "x", GroupID: g, Reviewers: reviews.ReviewersSelf, Duration: 8 * day, Recurrence: reviews.RecurWeekly},
		"recurrence":      {Name: "x", GroupID: g, Reviewers: reviews.ReviewersSelf, Duration: day, Recurrence: "daily"},
		"defaultDecision": {Name: "x", GroupID: g, Reviewers: reviews.ReviewersSelf, Duration: day, Default: "maybe"},
		"reviewerIds":     {Name: "x", GroupID: g, Reviewers: reviews.ReviewersOwners, Duration: day},
		"reviewers":       {Name: "x", AppID: app.ID, Reviewers: reviews.ReviewersOwners, ReviewerIDs: []string{u}, Duration: day},
	} {
		var fe *reviews.FieldError
		err := f.svc.CreateCampaign(f.ctx, c)
		if !errors.As(err, &fe) || fe.Field != field || !errors.Is(err, reviews.ErrInvalid) {
			t.Errorf("%s: %v (%#v)", field, err, fe)
		}
	}
	var fe *reviews.FieldError
	err := f.svc.CreateCampaign(f.ctx, &reviews.Campaign{Name: "x", GroupID: g, Reviewers: reviews.ReviewersSelf,
		Duration: 8 * day, Recurrence: reviews.RecurWeekly})
	if !errors.As(err, &fe) || fe.Msg != "duration 8 days is longer than the weekly recurrence" {
		t.Errorf("message: %v", err)
	}
	// With an owner, no fallback is needed.
	f.owners(g, u)
	if err := f.svc.CreateCampaign(f.ctx, &reviews.Campaign{Name: "by owners", GroupID: g, Reviewers: reviews.ReviewersOwners,
		Duration: day}); err != nil {
		t.Fatal(err)
	}
	if cs, _ := f.svc.Campaigns(f.ctx); len(cs) != 1 {
		t.Fatalf("%d campaigns stored, want the one valid", len(cs))
	}
}
