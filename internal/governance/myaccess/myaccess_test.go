package myaccess_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	st "github.com/gatehouse-id/gatehouse/internal/directory/signin/signintest"
	"github.com/gatehouse-id/gatehouse/internal/governance"
	"github.com/gatehouse-id/gatehouse/internal/governance/myaccess"
	"github.com/gatehouse-id/gatehouse/internal/governance/reviews"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/governancedb"
	"github.com/gatehouse-id/gatehouse/internal/store/reviewsdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

const password = "correct horse battery staple"

// env is the directory's sign-in and My access on a real HTTP server over
// one SQLite file, with the governance service the server itself uses.
type env struct {
	t   *testing.T
	dir *directorydb.Store
	svc *governance.Service
	rev *reviews.Service
	url string
	ids map[string]string // user principal name or group name -> id
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := storetest.SQLite(t)
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &env{t: t, dir: directorydb.New(db), ids: map[string]string{}}
	e.svc = &governance.Service{Store: governancedb.New(db), Dir: e.dir, Logger: quiet}
	rs := reviewsdb.New(db)
	e.rev = &reviews.Service{Store: rs, Dir: e.dir, SignIns: rs, Logger: quiet}
	sh := &signin.Handler{Store: e.dir, Box: box, Logger: quiet, Home: "/myapps"}
	mux := http.NewServeMux()
	sh.Mount(mux)
	(&myaccess.Handler{Service: e.svc, Reviews: e.rev, Dir: e.dir, SignIn: sh, Logger: quiet}).Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, upn := range []string{"ann@example.test", "ben@example.test", "cat@example.test"} {
		u := &directory.User{ID: directorydb.NewID(), UserPrincipalName: upn, DisplayName: strings.Split(upn, "@")[0],
			AccountEnabled: true, BusinessPhones: []string{}, Created: now, Modified: now}
		directory.FillUserDefaults(u)
		if err := e.dir.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := signin.SetPassword(ctx, e.dir, u.ID, password); err != nil {
			t.Fatal(err)
		}
		e.ids[upn] = u.ID
	}
	for _, name := range []string{"Ops", "Prod-Admins", "Break-Glass"} {
		g := &directory.Group{ID: directorydb.NewID(), DisplayName: name, SecurityEnabled: true, Created: now, Modified: now}
		directory.FillGroupDefaults(g)
		if err := e.dir.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
		e.ids[name] = g.ID
	}
	for _, el := range []*governance.Eligibility{
		// ann: Ops for up to 4 hours with a justification.
		{GroupID: e.ids["Ops"], PrincipalID: e.ids["ann@example.test"], MaxDuration: 4 * time.Hour, RequireJustification: true},
		// ben: Prod-Admins with a ticket, approved by cat.
		{GroupID: e.ids["Prod-Admins"], PrincipalID: e.ids["ben@example.test"], MaxDuration: 2 * time.Hour, RequireTicket: true,
			Approvers: []string{e.ids["cat@example.test"]}},
		// ann: Break-Glass needs a second factor.
		{GroupID: e.ids["Break-Glass"], PrincipalID: e.ids["ann@example.test"], MaxDuration: time.Hour, RequireMFA: true},
	} {
		if err := e.svc.AddEligibility(ctx, el); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) member(group, upn string) bool {
	e.t.Helper()
	of, err := e.dir.MemberOf(context.Background(), e.ids[upn])
	if err != nil {
		e.t.Fatal(err)
	}
	return slices.Contains(of, e.ids[group])
}

// page signs upn in and returns the browser, the page and its CSRF token.
func (e *env) page(upn string) (*http.Client, st.Response, string) {
	e.t.Helper()
	b := st.SignIn(e.t, e.url, upn, password, myaccess.Path)
	r := st.Get(e.t, b, e.url+myaccess.Path)
	st.Want(e.t, r, http.StatusOK)
	return b, r, st.CSRFIn(e.t, r.Body)
}

func TestActivateAndDeactivate(t *testing.T) {
	e := newEnv(t)
	b, r, csrf := e.page("ann@example.test")
	st.Want(t, r, http.StatusOK, ">Ops</h3>", "Up to 4 hours. Needs a justification.", ">Break-Glass</h3>",
		"Needs a second factor.", "Nothing active or pending.")
	if strings.Contains(r.Body, "Prod-Admins") {
		t.Fatal("ann is offered a group she is not eligible for")
	}
	ops := e.ids["Ops"]

	// Refused: no justification; too long; a wrong CSRF token.
	r = st.Post(t, b, e.url+"/myaccess/activate", url.Values{"csrf": {csrf}, "group": {ops}, "hours": {"2"}})
	st.Want(t, r, http.StatusOK, "The group was not activated")
	if got := st.FieldError(r.Body, ops+"-justification"); got != "Activation requires a justification." {
		t.Errorf("justification message %q", got)
	}
	r = st.Post(t, b, e.url+"/myaccess/activate", url.Values{"csrf": {csrf}, "group": {ops}, "hours": {"5"}, "justification": {"INC-1"}})
	if got := st.FieldError(r.Body, ops+"-hours"); !strings.Contains(got, "exceeds the maximum of 4h0m0s") {
		t.Errorf("hours message %q", got)
	}
	if !strings.Contains(r.Body, `value="INC-1"`) {
		t.Error("the justification typed was not kept")
	}
	st.Want(t, st.Post(t, b, e.url+"/myaccess/activate", url.Values{"csrf": {"x"}, "group": {ops}, "justification": {"j"}}),
		http.StatusForbidden, "This form has expired")
	if e.member("Ops", "ann@example.test") {
		t.Fatal("a refused activation made ann a member")
	}

	// Activated: a member at once, listed as active.
	st.WantRedirect(t, st.Post(t, b, e.url+"/myaccess/activate", url.Values{"csrf": {csrf}, "group": {ops}, "hours": {"2"},
		"justification": {"INC-42 disk full"}}), "/myaccess?done=activated")
	if !e.member("Ops", "ann@example.test") {
		t.Fatal("ann is not a member of Ops after activating")
	}
	r = st.Get(t, b, e.url+"/myaccess?done=activated")
	st.Want(t, r, http.StatusOK, "Activated: you are a member", "<td>Ops</td><td>Active</td>", "INC-42 disk full",
		`aria-label="Deactivate Ops"`)

	st.WantRedirect(t, st.Post(t, b, e.url+"/myaccess/deactivate", url.Values{"csrf": {csrf}, "group": {ops}}),
		"/myaccess?done=deactivated")
	if e.member("Ops", "ann@example.test") {
		t.Fatal("ann is still a member after deactivating")
	}

	// A group that requires MFA sends a password-only session to step up,
	// and sign-in brings it back to this page.
	req, _ := http.NewRequest(http.MethodPost, e.url+"/myaccess/activate", strings.NewReader(url.Values{"csrf": {csrf},
		"group": {e.ids["Break-Glass"]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", e.url+myaccess.Path)
	r = st.Do(t, b, req)
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "return=%2Fmyaccess") ||
		!(strings.HasPrefix(r.Location, signin.LoginPath) || strings.HasPrefix(r.Location, signin.EnrollPath)) {
		t.Fatalf("MFA-required activation: %d to %q", r.Status, r.Location)
	}
	if e.member("Break-Glass", "ann@example.test") {
		t.Fatal("activated without the second factor")
	}
}

func TestApprovalFlow(t *testing.T) {
	e := newEnv(t)
	prod := e.ids["Prod-Admins"]
	ben, _, benCSRF := e.page("ben@example.test")
	st.WantRedirect(t, st.Post(t, ben, e.url+"/myaccess/activate", url.Values{"csrf": {benCSRF}, "group": {prod},
		"hours": {"1"}, "ticket": {"CHG-7"}, "justification": {"deploy"}}), "/myaccess?done=requested")
	if e.member("Prod-Admins", "ben@example.test") {
		t.Fatal("a request awaiting approval made ben a member")
	}
	r := st.Get(t, ben, e.url+myaccess.Path)
	st.Want(t, r, http.StatusOK, "<td>Prod-Admins</td><td>PendingApproval</td>", "decision due by")
	if strings.Contains(r.Body, "Requests for you to approve") {
		t.Fatal("the requester is asked to approve")
	}
	reqs, err := e.svc.Requests(context.Background(), governance.RequestQuery{UserID: e.ids["ben@example.test"]})
	if err != nil || len(reqs) != 1 {
		t.Fatalf("requests %v %v", reqs, err)
	}
	id := reqs[0].ID

	// ann is no approver: refused, nothing changes.
	ann, r, annCSRF := e.page("ann@example.test")
	if strings.Contains(r.Body, "Requests for you to approve") {
		t.Fatal("a non-approver is shown the request")
	}
	st.Want(t, st.Post(t, ann, e.url+"/myaccess/approve", url.Values{"csrf": {annCSRF}, "request": {id}}),
		http.StatusForbidden, "You are not allowed to do this.")
	// ben cannot approve his own request either.
	st.Want(t, st.Post(t, ben, e.url+"/myaccess/approve", url.Values{"csrf": {benCSRF}, "request": {id}}),
		http.StatusForbidden)
	if e.member("Prod-Admins", "ben@example.test") {
		t.Fatal("a refused approval made ben a member")
	}

	// cat approves; ben is a member at once; a second decision conflicts.
	cat, r, catCSRF := e.page("cat@example.test")
	st.Want(t, r, http.StatusOK, "Requests for you to approve", "ben (ben@example.test) asks for Prod-Admins",
		"For 1 h · “deploy” · ticket CHG-7")
	st.WantRedirect(t, st.Post(t, cat, e.url+"/myaccess/approve", url.Values{"csrf": {catCSRF}, "request": {id},
		"reason": {"ok"}}), "/myaccess?done=approved")
	if !e.member("Prod-Admins", "ben@example.test") {
		t.Fatal("ben is not a member after approval")
	}
	st.Want(t, st.Post(t, cat, e.url+"/myaccess/deny", url.Values{"csrf": {catCSRF}, "request": {id}}),
		http.StatusConflict, "already decided")
}

func TestCancelPendingRequest(t *testing.T) {
	e := newEnv(t)
	ben, _, csrf := e.page("ben@example.test")
	st.WantRedirect(t, st.Post(t, ben, e.url+"/myaccess/activate", url.Values{"csrf": {csrf}, "group": {e.ids["Prod-Admins"]},
		"ticket": {"CHG-8"}}), "/myaccess?done=requested")
	reqs, err := e.svc.Requests(context.Background(), governance.RequestQuery{UserID: e.ids["ben@example.test"]})
	if err != nil || len(reqs) != 1 {
		t.Fatalf("requests %v %v", reqs, err)
	}
	st.WantRedirect(t, st.Post(t, ben, e.url+"/myaccess/cancel", url.Values{"csrf": {csrf}, "request": {reqs[0].ID}}),
		"/myaccess?done=canceled")
	got, err := e.svc.Request(context.Background(), reqs[0].ID)
	if err != nil || got.Status != governance.StatusCanceled {
		t.Fatalf("after cancel: %+v %v", got, err)
	}
	// cat has nothing left to approve.
	_, r, _ := e.page("cat@example.test")
	if strings.Contains(r.Body, "Requests for you to approve") {
		t.Fatal("a canceled request is still offered for approval")
	}
}

func TestAnonymousIsSentToSignIn(t *testing.T) {
	e := newEnv(t)
	st.WantRedirect(t, st.Get(t, st.Browser(), e.url+myaccess.Path), "/login?return=%2Fmyaccess")
}

func TestReviewerDecides(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// ann and ben are in Ops; cat reviews the membership.
	for _, upn := range []string{"ann@example.test", "ben@example.test"} {
		if err := e.dir.AddMember(ctx, e.ids["Ops"], e.ids[upn], time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	c := &reviews.Campaign{Name: "Ops quarterly", GroupID: e.ids["Ops"], Reviewers: reviews.ReviewersNamed,
		ReviewerIDs: []string{e.ids["cat@example.test"]}, Start: time.Now(), Duration: 72 * time.Hour}
	if err := e.rev.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	ins, err := e.rev.Instances(ctx, c.ID)
	if err != nil || len(ins) != 1 {
		t.Fatalf("instances %v %v", ins, err)
	}
	items, err := e.rev.Items(ctx, ins[0].ID, "")
	if err != nil || len(items) != 2 {
		t.Fatalf("items %v %v", items, err)
	}
	item := map[string]string{}
	for _, it := range items {
		item[it.UPN] = it.ID
	}

	// ann is no reviewer: she sees no review and cannot decide.
	ann, r, annCSRF := e.page("ann@example.test")
	if strings.Contains(r.Body, "Access reviews for you") {
		t.Fatal("a non-reviewer is shown the review")
	}
	st.Want(t, st.Post(t, ann, e.url+"/myaccess/review", url.Values{"csrf": {annCSRF}, "item": {item["ann@example.test"]},
		"decision": {"Approve"}}), http.StatusForbidden, "You are not a reviewer of this item.")

	cat, r, csrf := e.page("cat@example.test")
	st.Want(t, r, http.StatusOK, "Access reviews for you", "ann@example.test · Ops quarterly", "ben@example.test · Ops quarterly",
		"last sign-in never")
	// A denial without a reason is refused next to the reason field.
	benItem := item["ben@example.test"]
	r = st.Post(t, cat, e.url+"/myaccess/review", url.Values{"csrf": {csrf}, "item": {benItem}, "decision": {"Deny"}})
	st.Want(t, r, http.StatusOK, "The decision was not recorded")
	if got := st.FieldError(r.Body, benItem+"-reason"); got != "Say why access should be removed." {
		t.Errorf("reason message %q", got)
	}
	// No decision chosen: refused.
	st.Want(t, st.Post(t, cat, e.url+"/myaccess/review", url.Values{"csrf": {csrf}, "item": {benItem}}),
		http.StatusBadRequest, "Choose Approve, Deny or Don&#39;t know.")
	if it, _ := e.rev.Item(ctx, benItem); it.Decision != reviews.NotReviewed {
		t.Fatalf("a refused decision was recorded: %s", it.Decision)
	}
	st.WantRedirect(t, st.Post(t, cat, e.url+"/myaccess/review", url.Values{"csrf": {csrf}, "item": {benItem},
		"decision": {"Deny"}, "reason": {"moved to finance"}}), "/myaccess?done=reviewed#reviews")
	st.WantRedirect(t, st.Post(t, cat, e.url+"/myaccess/review", url.Values{"csrf": {csrf}, "item": {item["ann@example.test"]},
		"decision": {"Approve"}}), "/myaccess?done=reviewed#reviews")
	for upn, want := range map[string]reviews.Decision{"ben@example.test": reviews.Deny, "ann@example.test": reviews.Approve} {
		it, err := e.rev.Item(ctx, item[upn])
		if err != nil || it.Decision != want || it.ReviewedBy != e.ids["cat@example.test"] {
			t.Errorf("%s: %+v %v, want %s by cat", upn, it, err, want)
		}
	}
	st.Want(t, st.Get(t, cat, e.url+myaccess.Path), http.StatusOK, "your decision: <strong>Deny</strong>",
		`value="moved to finance"`)
}
