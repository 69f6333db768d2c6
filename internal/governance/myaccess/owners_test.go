package myaccess_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	st "github.com/gatehouse-id/gatehouse/internal/directory/signin/signintest"
	"github.com/gatehouse-id/gatehouse/internal/governance"
)

// TestOwnersApprove: ann's activation of Ops waits for the group's
// owners; ann, an owner herself, is not asked; cat, an owner, sees the
// request and approves it; ben, not an owner, is not shown it. Without an
// owner but the requester, the activation is refused with the reason.
func TestOwnersApprove(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ops := e.ids["Ops"]
	el, err := e.svc.Eligibilities(ctx, governance.EligibilityQuery{GroupID: ops})
	if err != nil || len(el) != 1 {
		t.Fatalf("eligibilities %v %v", el, err)
	}
	if err := e.svc.RemoveEligibility(ctx, el[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AddEligibility(ctx, &governance.Eligibility{GroupID: ops, PrincipalID: e.ids["ann@example.test"],
		MaxDuration: 2 * time.Hour, OwnersApprove: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.dir.AddOwner(ctx, ops, e.ids["ann@example.test"], time.Now()); err != nil {
		t.Fatal(err)
	}

	ann, r, csrf := e.page("ann@example.test")
	st.Want(t, r, http.StatusOK, "Needs approval by the group&#39;s owners.")
	activate := url.Values{"csrf": {csrf}, "group": {ops}, "hours": {"1"}, "justification": {"rotate keys"}}
	r = st.Post(t, ann, e.url+"/myaccess/activate", activate)
	st.Want(t, r, http.StatusOK, "Activation needs the approval of the group&#39;s owners, and the group has no active owner other than you to give it.")
	if reqs, _ := e.svc.Requests(ctx, governance.RequestQuery{UserID: e.ids["ann@example.test"]}); len(reqs) != 0 {
		t.Fatalf("a refused activation stored %v", reqs)
	}

	if err := e.dir.AddOwner(ctx, ops, e.ids["cat@example.test"], time.Now()); err != nil {
		t.Fatal(err)
	}
	st.WantRedirect(t, st.Post(t, ann, e.url+"/myaccess/activate", activate), "/myaccess?done=requested")
	r = st.Get(t, ann, e.url+"/myaccess")
	if strings.Contains(r.Body, "Requests for you to approve") {
		t.Fatal("the requester, an owner, is asked to approve her own request")
	}
	_, r, _ = e.page("ben@example.test")
	if strings.Contains(r.Body, "Requests for you to approve") {
		t.Fatal("a user who owns nothing is shown the request")
	}
	cat, r, catCSRF := e.page("cat@example.test")
	st.Want(t, r, http.StatusOK, "Requests for you to approve", "ann (ann@example.test) asks for Ops", "“rotate keys”")
	reqs, err := e.svc.Requests(ctx, governance.RequestQuery{UserID: e.ids["ann@example.test"]})
	if err != nil || len(reqs) != 1 {
		t.Fatalf("requests %v %v", reqs, err)
	}
	st.WantRedirect(t, st.Post(t, cat, e.url+"/myaccess/approve", url.Values{"csrf": {catCSRF}, "request": {reqs[0].ID}}),
		"/myaccess?done=approved")
	if !e.member("Ops", "ann@example.test") {
		t.Fatal("ann is not a member after the owner approved")
	}
}
