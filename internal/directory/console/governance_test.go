package console_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/console"
	"github.com/gatehouse-id/gatehouse/internal/governance"
	"github.com/gatehouse-id/gatehouse/internal/governance/reviews"
)

// wantFields checks that each field's message is next to it.
func wantFields(t *testing.T, body string, msgs map[string]string) {
	t.Helper()
	for field, msg := range msgs {
		if got := fieldError(body, field); got != msg {
			t.Errorf("%s: message %q, want %q", field, got, msg)
		}
	}
}

func (e *env) owners(groupID string) []string {
	e.t.Helper()
	ids, err := e.st.Owners(context.Background(), groupID)
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func TestGroupOwners(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	e.consoleUser("auditor@gatehouse.example", console.RoleReadOnly)
	lead := e.user("lead@gatehouse.example", false)
	g := e.group("Prod-Admins")
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)
	path := "/console/groups/" + g.ID
	want(t, e.get(b, path), http.StatusOK, "<h2 id=\"h-o\">Owners</h2>", "No owners.", "Add owner")

	// Bad input: the message next to the field, nothing stored.
	for upn, msg := range map[string]string{
		"":                         "Enter a user principal name.",
		"ghost@gatehouse.example":  "No user has this user principal name.",
		"Prod-Admins":              "No user has this user principal name.",
		"  lead@gatehouse.example": "",
	} {
		r := e.post(b, path+"/owners/add", url.Values{"csrf": {csrf}, "owner": {upn}})
		if msg == "" {
			wantRedirect(t, r, path+"?done=owner-added")
			continue
		}
		want(t, r, http.StatusOK, "No owner was added")
		wantFields(t, r.Body, map[string]string{"owner": msg})
	}
	if got := e.owners(g.ID); !slices.Equal(got, []string{lead.ID}) {
		t.Fatalf("owners %v, want lead", got)
	}
	r := e.post(b, path+"/owners/add", url.Values{"csrf": {csrf}, "owner": {"lead@gatehouse.example"}})
	wantFields(t, r.Body, map[string]string{"owner": "This user already owns the group."})
	want(t, e.get(b, path+"?done=owner-added"), http.StatusOK, "The user owns the group now.", "lead@gatehouse.example")
	if m := e.members(g.ID); len(m) != 0 {
		t.Fatalf("the owner became a member: %v", m)
	}

	// Read-only: sees the owners, no forms; a change is 403.
	ro := e.signIn("auditor@gatehouse.example")
	r = e.get(ro, path)
	want(t, r, http.StatusOK, "lead@gatehouse.example")
	if strings.Contains(r.Body, "/owners/add") || strings.Contains(r.Body, "/owners/remove") {
		t.Error("a read-only admin sees the owner forms")
	}
	roCSRF := e.consoleCSRF(ro)
	want(t, e.post(ro, path+"/owners/remove", url.Values{"csrf": {roCSRF}, "owner": {lead.ID}}), http.StatusForbidden, msgReadOnly)
	want(t, e.post(ro, path+"/owners/add", url.Values{"csrf": {roCSRF}, "owner": {"auditor@gatehouse.example"}}),
		http.StatusForbidden, msgReadOnly)
	// Without the CSRF token: refused.
	want(t, e.post(b, path+"/owners/remove", url.Values{"owner": {lead.ID}}), http.StatusForbidden, msgFormExpired)
	if got := e.owners(g.ID); !slices.Equal(got, []string{lead.ID}) {
		t.Fatalf("refused changes changed the owners: %v", got)
	}

	wantRedirect(t, e.post(b, path+"/owners/remove", url.Values{"csrf": {csrf}, "owner": {lead.ID}}), path+"?done=owner-removed")
	if got := e.owners(g.ID); len(got) != 0 {
		t.Fatalf("owners after remove %v", got)
	}
	want(t, e.post(b, "/console/groups/no-such-group/owners/add", url.Values{"csrf": {csrf}, "owner": {"lead@gatehouse.example"}}),
		http.StatusNotFound)
}

func TestEligibilityApprovedByOwners(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	dev, lead := e.user("dev@gatehouse.example", false), e.user("lead@gatehouse.example", false)
	g := e.group("Prod-Admins")
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)
	form := func(approval, approvers string) url.Values {
		return url.Values{"csrf": {csrf}, "group": {"Prod-Admins"}, "principal": {"dev@gatehouse.example"},
			"maxHours": {"2"}, "approval": {approval}, "approvers": {approvers}}
	}
	for _, tc := range []struct{ approval, approvers, field, msg string }{
		{"named", "", "approvers", "Enter the approvers' user principal names, or choose another approval."},
		{"none", "lead@gatehouse.example", "approvers", "Approvers are only asked with named approvers or the group's owners; clear this field or choose one."},
		{"everyone", "", "approval", "Choose an approval."},
	} {
		r := e.post(b, "/console/governance/eligibilities", form(tc.approval, tc.approvers))
		want(t, r, http.StatusOK, "The eligibility was not added")
		wantFields(t, r.Body, map[string]string{tc.field: tc.msg})
		if !strings.Contains(r.Body, `<option value="`+tc.approval+`" selected>`) && tc.approval != "everyone" {
			t.Errorf("%s: the choice was not kept", tc.approval)
		}
	}
	wantRedirect(t, e.post(b, "/console/governance/eligibilities", form("owners", "")), "/console/governance?done=eligible")
	els, err := e.gov.Eligibilities(context.Background(), governance.EligibilityQuery{GroupID: g.ID})
	if err != nil || len(els) != 1 || !els[0].OwnersApprove || len(els[0].Approvers) != 0 || els[0].PrincipalID != dev.ID {
		t.Fatalf("stored %+v %v", els, err)
	}
	want(t, e.get(b, "/console/governance"), http.StatusOK, "the group&#39;s owners (it has none: activations are refused)")
	if err := e.st.AddOwner(context.Background(), g.ID, lead.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	want(t, e.get(b, "/console/governance"), http.StatusOK, "the group&#39;s owners (lead@gatehouse.example)")

	// The owner's approval is waited for, and shown with the request.
	if _, err := e.gov.Activate(context.Background(), governance.ActivateInput{GroupID: g.ID, UserID: dev.ID, Duration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	want(t, e.get(b, "/console/governance"), http.StatusOK,
		"<td>Prod-Admins</td><td>dev@gatehouse.example</td><td>decision due by")
	r := e.get(b, "/console/governance")
	if i := strings.Index(r.Body, `id="pending"`); i < 0 || !strings.Contains(r.Body[i:], "<td>lead@gatehouse.example</td>") {
		t.Error("the pending request does not name its approver")
	}
}

func TestTimeBoundAssignment(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	e.consoleUser("auditor@gatehouse.example", console.RoleReadOnly)
	contractor := e.user("contractor@gatehouse.example", false)
	g := e.group("Vendors")
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)
	post := func(v url.Values) response {
		v.Set("csrf", csrf)
		return e.post(b, "/console/governance/assignments", v)
	}
	ok := url.Values{"assignUser": {"contractor@gatehouse.example"}, "assignGroup": {"Vendors"}}
	with := func(k, v string) url.Values {
		out := url.Values{}
		for kk, vv := range ok {
			out[kk] = vv
		}
		out.Set(k, v)
		return out
	}
	past := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")
	for name, tc := range map[string]struct {
		form url.Values
		msgs map[string]string
	}{
		"nobody":      {url.Values{"assignHours": {"2"}}, map[string]string{"assignUser": "Enter a user principal name.", "assignGroup": "Enter the name of a group."}},
		"unknown":     {url.Values{"assignUser": {"x@gatehouse.example"}, "assignGroup": {"contractor@gatehouse.example"}, "assignHours": {"2"}}, map[string]string{"assignUser": "No user has this user principal name.", "assignGroup": "No group has this name."}},
		"no end":      {ok, map[string]string{"assignUntil": "Enter when the assignment ends, or a number of hours."}},
		"both":        {with("assignUntil", "2030-01-01T00:00"), nil},
		"bad hours":   {with("assignHours", "1.5"), map[string]string{"assignHours": "Enter a whole number of hours, 1 or more."}},
		"bad date":    {with("assignUntil", "tomorrow"), map[string]string{"assignUntil": "Enter a date and time such as 2026-04-01T18:00 (UTC)."}},
		"in the past": {with("assignUntil", past), nil},
	} {
		if name == "both" {
			tc.form.Set("assignHours", "2")
			tc.msgs = map[string]string{"assignHours": "Give an end or a number of hours, not both."}
		}
		r := post(tc.form)
		want(t, r, http.StatusOK, "No assignment was made")
		if name == "in the past" {
			if got := fieldError(r.Body, "assignUntil"); !strings.HasPrefix(got, "Assignment end ") || !strings.HasSuffix(got, " is not in the future.") {
				t.Errorf("in the past: %q", got)
			}
			continue
		}
		wantFields(t, r.Body, tc.msgs)
	}
	if reqs, _ := e.gov.Requests(context.Background(), governance.RequestQuery{GroupID: g.ID}); len(reqs) != 0 {
		t.Fatalf("refused forms stored %v", reqs)
	}

	// By a number of hours, then by an end date: both in force.
	before := time.Now()
	wantRedirect(t, post(with("assignHours", "8")), "/console/governance?done=assigned-until")
	until := time.Now().UTC().Add(72 * time.Hour).Truncate(time.Minute)
	wantRedirect(t, post(with("assignUntil", until.Format("2006-01-02T15:04"))), "/console/governance?done=assigned-until")
	reqs, err := e.gov.Requests(context.Background(), governance.RequestQuery{GroupID: g.ID, UserID: contractor.ID})
	if err != nil || len(reqs) != 2 {
		t.Fatalf("requests %v %v", reqs, err)
	}
	if q := reqs[0]; q.Kind != governance.KindAssign || q.Status != governance.StatusActive || q.By != "admin@gatehouse.example" ||
		q.End.Before(before.Add(8*time.Hour-time.Second)) || q.End.After(time.Now().Add(8*time.Hour)) {
		t.Fatalf("by hours: %+v", q)
	}
	if q := reqs[1]; !q.End.Equal(until) {
		t.Fatalf("by end: %v, want %v", q.End, until)
	}
	if !slices.Contains(e.members(g.ID), contractor.ID) {
		t.Fatal("the assignment made no membership")
	}
	r := e.get(b, "/console/governance")
	want(t, r, http.StatusOK, "<td>Vendors</td><td>contractor@gatehouse.example</td><td>assign</td>", "End now")

	// Read-only: sees it, no forms, changes are 403.
	ro := e.signIn("auditor@gatehouse.example")
	r = e.get(ro, "/console/governance")
	want(t, r, http.StatusOK, "contractor@gatehouse.example")
	if strings.Contains(r.Body, "End now") || strings.Contains(r.Body, "Assign until the end") {
		t.Error("a read-only admin sees the assignment forms")
	}
	roCSRF := e.consoleCSRF(ro)
	want(t, e.post(ro, "/console/governance/assignments/end", url.Values{"csrf": {roCSRF}, "group": {g.ID}, "user": {contractor.ID}}),
		http.StatusForbidden, msgReadOnly)
	want(t, e.post(ro, "/console/governance/assignments", url.Values{"csrf": {roCSRF}, "assignUser": {"contractor@gatehouse.example"},
		"assignGroup": {"Vendors"}, "assignHours": {"1"}}), http.StatusForbidden, msgReadOnly)
	want(t, e.post(b, "/console/governance/assignments/end", url.Values{"group": {g.ID}, "user": {contractor.ID}}),
		http.StatusForbidden, msgFormExpired)
	if !slices.Contains(e.members(g.ID), contractor.ID) {
		t.Fatal("a refused request ended the assignment")
	}

	// End now: both assignments end, the membership goes.
	wantRedirect(t, e.post(b, "/console/governance/assignments/end", url.Values{"csrf": {csrf}, "group": {g.ID}, "user": {contractor.ID}}),
		"/console/governance?done=assignment-ended")
	if slices.Contains(e.members(g.ID), contractor.ID) {
		t.Fatal("still a member after End now")
	}
	reqs, _ = e.gov.Requests(context.Background(), governance.RequestQuery{GroupID: g.ID, UserID: contractor.ID})
	for _, q := range reqs {
		if q.Status != governance.StatusRevoked {
			t.Fatalf("after End now: %+v", q)
		}
	}
	r = e.post(b, "/console/governance/assignments/end", url.Values{"csrf": {csrf}, "group": {g.ID}, "user": {contractor.ID}})
	want(t, r, http.StatusOK, "This time-bound assignment has already ended.")
}

func TestCreateCampaign(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("admin@gatehouse.example", console.RoleAdmin)
	e.consoleUser("auditor@gatehouse.example", console.RoleReadOnly)
	ctx := context.Background()
	lead, x := e.user("lead@gatehouse.example", false), e.user("x@gatehouse.example", false)
	g := e.group("Finance")
	if err := e.st.AddMember(ctx, g.ID, x.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := e.st.CreateApp(ctx, &directory.App{ID: "app-1", DisplayName: "Payroll", Template: "scim", Created: now}); err != nil {
		t.Fatal(err)
	}
	b := e.signIn("admin@gatehouse.example")
	csrf := e.consoleCSRF(b)
	want(t, e.get(b, "/console/reviews"), http.StatusOK, "New campaign", `<option value="owners" selected>`)
	good := url.Values{"name": {"Finance monthly"}, "scopeKind": {"group"}, "scope": {"Finance"}, "reviewers": {"named"},
		"reviewerUpns": {"lead@gatehouse.example"}, "durationDays": {"7"}, "recurrence": {"monthly"},
		"defaultDecision": {"recommendation"}, "autoApply": {"1"}}
	with := func(kv ...string) url.Values {
		out := url.Values{"csrf": {csrf}}
		for k, v := range good {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	for _, tc := range []struct {
		form  url.Values
		field string
		msg   string
	}{
		{with("name", " "), "name", "A campaign needs a name."},
		{with("scope", "Nope"), "scope", "No group has this name."},
		{with("scopeKind", "app", "scope", "Nope"), "scope", "No application has this name."},
		{with("scopeKind", "tenant"), "scopeKind", "Choose a group or an application."},
		{with("reviewerUpns", "ghost@gatehouse.example"), "reviewerUpns", "No user has the user principal name ghost@gatehouse.example."},
		{with("reviewerUpns", ""), "reviewerUpns", "Name at least one reviewer."},
		{with("reviewers", "owners", "reviewerUpns", ""), "reviewerUpns", "The group has no active owners: name fallback reviewers, or add owners to the group first."},
		{with("scopeKind", "app", "scope", "payroll", "reviewers", "owners"), "reviewers", "Applications have no owners: choose named, managers or self reviewers."},
		{with("reviewers", "everyone"), "reviewers", `Reviewers "everyone": named, owners, managers or self.`},
		{with("durationDays", "two"), "durationDays", "Enter a whole number of days."},
		{with("durationDays", "0"), "durationDays", "Duration 0 days is shorter than an hour."},
		{with("durationDays", "8", "recurrence", "weekly"), "durationDays", "Duration 8 days is longer than the weekly recurrence."},
		{with("recurrence", "daily"), "recurrence", `Recurrence "daily": none, weekly, monthly or quarterly.`},
		{with("defaultDecision", "maybe"), "defaultDecision", `Default decision "maybe": none, approve, deny or recommendation.`},
	} {
		r := e.post(b, "/console/reviews", tc.form)
		want(t, r, http.StatusOK, "The campaign was not created")
		wantFields(t, r.Body, map[string]string{tc.field: tc.msg})
	}
	if cs, _ := e.rev.Campaigns(ctx); len(cs) != 0 {
		t.Fatalf("refused forms stored %d campaigns", len(cs))
	}

	wantRedirect(t, e.post(b, "/console/reviews", with()), "/console/reviews?done=campaign-created")
	cs, err := e.rev.Campaigns(ctx)
	if err != nil || len(cs) != 1 {
		t.Fatalf("campaigns %v %v", cs, err)
	}
	c := cs[0]
	if c.Name != "Finance monthly" || c.GroupID != g.ID || c.Reviewers != reviews.ReviewersNamed ||
		!slices.Equal(c.ReviewerIDs, []string{lead.ID}) || c.Duration != 7*24*time.Hour || c.Recurrence != reviews.RecurMonthly ||
		c.Default != reviews.DefaultRecommendation || !c.AutoApply || c.By != "admin@gatehouse.example" {
		t.Fatalf("stored %+v", c)
	}
	want(t, e.get(b, "/console/reviews?done=campaign-created"), http.StatusOK, "The campaign was created",
		"<td>Finance monthly</td><td>group Finance</td><td>named</td><td>monthly</td>", "InProgress", "0 of 1 decided")

	// A group campaign by its owners once it has one; an app campaign by
	// the users' managers.
	if err := e.st.AddOwner(ctx, g.ID, lead.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, e.post(b, "/console/reviews", with("name", "By owners", "reviewers", "owners", "reviewerUpns", "")),
		"/console/reviews?done=campaign-created")
	wantRedirect(t, e.post(b, "/console/reviews", with("name", "Payroll", "scopeKind", "app", "scope", "Payroll",
		"reviewers", "managers", "reviewerUpns", "")), "/console/reviews?done=campaign-created")
	if cs, _ := e.rev.Campaigns(ctx); len(cs) != 3 || cs[1].Reviewers != reviews.ReviewersOwners || cs[2].AppID != "app-1" {
		t.Fatalf("campaigns %+v", cs)
	}

	// Read-only: no form, and the POST is 403; no CSRF token: 403.
	ro := e.signIn("auditor@gatehouse.example")
	r := e.get(ro, "/console/reviews")
	want(t, r, http.StatusOK, "Finance monthly")
	if strings.Contains(r.Body, "New campaign") {
		t.Error("a read-only admin sees the campaign form")
	}
	want(t, e.post(ro, "/console/reviews", with("csrf", e.consoleCSRF(ro))), http.StatusForbidden, msgReadOnly)
	nocsrf := with()
	nocsrf.Del("csrf")
	want(t, e.post(b, "/console/reviews", nocsrf), http.StatusForbidden, msgFormExpired)
	if cs, _ := e.rev.Campaigns(ctx); len(cs) != 3 {
		t.Fatalf("refused posts stored campaigns: %d", len(cs))
	}
}
