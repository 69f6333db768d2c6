package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/governance/reviews"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// The access reviews page: each campaign with its latest instance and how
// far its reviewers are, and a form that creates a campaign starting now.
// Reviewers decide at My access.

type reviewRow struct {
	Name, Scope, Reviewers, Recurrence string
	Status, Period, Progress, Next     string
	Decided, Total, Denied             int
}

type reviewsData struct {
	formControls
	Campaigns                                []reviewRow
	Scopes, Reviewers, Recurrences, Defaults []choice
}

// The choices of the new-campaign form, in reviews' own values.
var (
	reviewScopes = []choice{{"group", "A group's direct members"}, {"app", "An application's direct user assignments"}}
	reviewersOf  = []choice{
		{string(reviews.ReviewersOwners), "The group's owners"},
		{string(reviews.ReviewersManagers), "Each user's manager"},
		{string(reviews.ReviewersNamed), "Named reviewers"},
		{string(reviews.ReviewersSelf), "Each user, of their own access"},
	}
	recurrences = []choice{{string(reviews.RecurNone), "Once"}, {string(reviews.RecurWeekly), "Weekly"},
		{string(reviews.RecurMonthly), "Monthly"}, {string(reviews.RecurQuarterly), "Quarterly"}}
	reviewDefaults = []choice{{string(reviews.DefaultNone), "No change"}, {string(reviews.DefaultApprove), "Approve access"},
		{string(reviews.DefaultDeny), "Remove access"}, {string(reviews.DefaultRecommendation), "Take the recommendations"}}
)

// campaignFields maps the fields reviews.FieldError names to the form's.
var campaignFields = map[string]string{"name": "name", "scope": "scope", "reviewers": "reviewers",
	"reviewerIds": "reviewerUpns", "duration": "durationDays", "recurrence": "recurrence", "defaultDecision": "defaultDecision"}

const reviewsTitle = "Access reviews"

func (h *Handler) reviewsPage(w http.ResponseWriter, r *http.Request, a *access) {
	h.renderReviews(w, r, a, nil, nil)
}

// renderReviews draws the page; with errs, the form again with what was
// typed and a message next to each field at fault.
func (h *Handler) renderReviews(w http.ResponseWriter, r *http.Request, a *access, errs web.Errors, form map[string]string) {
	d, err := h.loadReviews(r)
	if err != nil {
		h.fail(w, r, "access reviews", err)
		return
	}
	p := h.page(r, a, reviewsTitle, Prefix+"/reviews", d)
	p.Form = map[string]string{"scopeKind": "group", "reviewers": string(reviews.ReviewersOwners), "durationDays": "14",
		"recurrence": string(reviews.RecurNone), "defaultDecision": string(reviews.DefaultNone)}
	for k, v := range form {
		p.Form[k] = v
	}
	if errs.Has() {
		refuse(p, errs, "The campaign was not created: correct the fields marked below.")
	}
	h.render(w, "reviews", formErrorStatus, p)
}

func (h *Handler) loadReviews(r *http.Request) (*reviewsData, error) {
	ctx := r.Context()
	cs, err := h.Reviews.Campaigns(ctx)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	d := &reviewsData{Scopes: reviewScopes, Reviewers: reviewersOf, Recurrences: recurrences, Defaults: reviewDefaults}
	for _, c := range cs {
		kind, id := c.Scope()
		row := reviewRow{Name: c.Name, Reviewers: string(c.Reviewers), Recurrence: string(c.Recurrence), Status: "not started",
			Scope: kind + " " + id, Next: "none"}
		if kind == "group" {
			if g, err := h.Store.GetGroup(ctx, id); err == nil {
				row.Scope = "group " + g.DisplayName
			}
		} else if app, err := h.Store.GetApp(ctx, id); err == nil {
			row.Scope = "app " + app.DisplayName
		}
		if c.NextStart != nil {
			row.Next = fmtConsoleTime(*c.NextStart)
		}
		ins, err := h.Reviews.Instances(ctx, c.ID)
		if err != nil {
			return nil, fmt.Errorf("list instances: %w", err)
		}
		if len(ins) > 0 {
			last := ins[len(ins)-1] // oldest first
			row.Status, row.Period = string(last.Status), fmtConsoleTime(last.Start)+" to "+fmtConsoleTime(last.End)
			items, err := h.Reviews.Items(ctx, last.ID, "")
			if err != nil {
				return nil, fmt.Errorf("list items: %w", err)
			}
			row.Total = len(items)
			for _, it := range items {
				if it.Decision != reviews.NotReviewed {
					row.Decided++
				}
				if it.Decision == reviews.Deny {
					row.Denied++
				}
			}
			row.Progress = fmt.Sprintf("%d of %d decided, %d denied", row.Decided, row.Total, row.Denied)
		}
		d.Campaigns = append(d.Campaigns, row)
	}
	return d, nil
}

// namedApp finds an application by its display name (case-insensitively);
// msg, for the field, says what is wrong with the name.
func (h *Handler) namedApp(r *http.Request, name string) (id, msg string, err error) {
	if name == "" {
		return "", "Enter the name of an application.", nil
	}
	apps, err := h.Store.ListApps(r.Context())
	if err != nil {
		return "", "", err
	}
	var found []*directory.App
	for _, app := range apps {
		if strings.EqualFold(app.DisplayName, name) {
			found = append(found, app)
		}
	}
	switch len(found) {
	case 0:
		return "", "No application has this name.", nil
	case 1:
		return found[0].ID, "", nil
	}
	return "", "Several applications have this name: rename one on its page first.", nil
}

// createCampaign creates a campaign that starts now. The form's own
// checks are what reviews cannot see (names to look up, numbers to read);
// the campaign's rules are the reviews service's, whose refusal names the
// field (reviews.FieldError) to show its message next to.
func (h *Handler) createCampaign(w http.ResponseWriter, r *http.Request, a *access) {
	f := formValues(r, "name", "scopeKind", "scope", "reviewers", "reviewerUpns", "durationDays", "recurrence",
		"defaultDecision", "autoApply")
	errs := web.Errors{}
	c := &reviews.Campaign{Name: f["name"], Reviewers: reviews.Reviewers(f["reviewers"]),
		Recurrence: reviews.Recurrence(f["recurrence"]), Default: reviews.Default(f["defaultDecision"]),
		AutoApply: f["autoApply"] != "", By: a.u.UserPrincipalName}
	var msg string
	var err error
	switch f["scopeKind"] {
	case "group":
		c.GroupID, msg, err = h.namedGroup(r, f["scope"])
	case "app":
		c.AppID, msg, err = h.namedApp(r, f["scope"])
	default:
		errs.Add("scopeKind", "Choose a group or an application.")
	}
	if err != nil {
		h.fail(w, r, "find the scope", err)
		return
	}
	note(errs, "scope", msg)
	if c.ReviewerIDs, msg, err = h.namedUsers(r, f["reviewerUpns"]); err != nil {
		h.fail(w, r, "find reviewers", err)
		return
	}
	note(errs, "reviewerUpns", msg)
	if n, err := strconv.Atoi(f["durationDays"]); err != nil || n < 0 {
		errs.Add("durationDays", "Enter a whole number of days.")
	} else {
		c.Duration = time.Duration(n) * 24 * time.Hour
	}
	if !errs.Has() {
		err = h.Reviews.CreateCampaign(r.Context(), c)
		var fe *reviews.FieldError
		switch {
		case errors.As(err, &fe):
			errs.Add(campaignFields[fe.Field], web.Sentence(fe.Msg))
		case errors.Is(err, reviews.ErrNotFound):
			errs.Add("scope", "The group, application or a reviewer was deleted meanwhile.")
		case err != nil:
			h.fail(w, r, "create campaign", err)
			return
		}
	}
	if errs.Has() {
		h.renderReviews(w, r, a, errs, f)
		return
	}
	h.log().Info("console: access review campaign created", "admin", a.u.UserPrincipalName, "campaign", c.ID,
		"name", c.Name, "reviewers", c.Reviewers)
	redirect(w, r, Prefix+"/reviews", "campaign-created")
}

// reviewPages is the access reviews page.
var reviewPages = map[string]string{
	"reviews": samlControls + `{{define "content"}}{{$d := .Data}}
<section class="card" aria-labelledby="h-rv"><h2 id="h-rv">Campaigns</h2>
<p class="muted">Reviewers decide at <a href="/myaccess">My access</a>; denials are removed when a review ends if results are applied. Campaigns can also be created with <code>gatehouse review create</code> or the API.</p>
<div class="table-wrap"><table id="campaigns"><thead><tr><th scope="col">Campaign</th><th scope="col">Scope</th><th scope="col">Reviewers</th><th scope="col">Recurrence</th><th scope="col">Latest review</th><th scope="col">Progress</th><th scope="col">Next start</th></tr></thead><tbody>
{{range $d.Campaigns}}<tr><td>{{.Name}}</td><td>{{.Scope}}</td><td>{{.Reviewers}}</td><td>{{.Recurrence}}</td><td>{{.Status}}{{if .Period}}<br><span class="muted">{{.Period}}</span>{{end}}</td>
<td>{{if .Total}}<progress max="{{.Total}}" value="{{.Decided}}" aria-label="Decided">{{.Decided}}/{{.Total}}</progress> {{end}}{{.Progress}}</td><td>{{.Next}}</td></tr>
{{else}}<tr><td colspan="7">No access review campaigns.</td></tr>{{end}}</tbody></table></div></section>
{{if .CanChange}}<section class="card" aria-labelledby="h-new"><h2 id="h-new">New campaign</h2>
<p class="muted">The first review starts now; a recurring campaign starts the next one period after.</p>
<form method="post" action="/console/reviews" novalidate>{{template "csrf" .}}
{{if index .Errors ""}}<p class="field-error">{{index .Errors ""}}</p>{{end}}
{{template "field" (required (field . "name" "Name" "text"))}}
{{template "select" ($d.Control . "scopeKind" "Review" "" $d.Scopes)}}
{{template "field" (hint "The group's or the application's name" (required (field . "scope" "Group or application" "text")))}}
{{template "select" ($d.Control . "reviewers" "Reviewers" "Owners and managers never review their own access" $d.Reviewers)}}
{{template "field" (hint "User principal names, separated by commas: the named reviewers, or who reviews what the owners or managers cannot" (field . "reviewerUpns" "Reviewers or fallback reviewers" "text"))}}
{{template "field" (hint "How long each review runs; no longer than the recurrence" (required (field . "durationDays" "Duration (days)" "number")))}}
{{template "select" ($d.Control . "recurrence" "Recurrence" "" $d.Recurrences)}}
{{template "select" ($d.Control . "defaultDecision" "If reviewers don't respond" "" $d.Defaults)}}
<fieldset class="checks"><legend>When a review ends</legend>
<label><input type="checkbox" name="autoApply" value="1"{{if index .Form "autoApply"}} checked{{end}}> remove denied access (auto-apply results)</label>
</fieldset>
<button type="submit">Create campaign</button></form></section>{{end}}
{{end}}`,
}
