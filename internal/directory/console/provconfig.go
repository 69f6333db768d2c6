package console

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/provisioning/scimclient"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// The provisioning configuration of an app, as Entra's Provisioning blade
// has it: admin credentials with Test Connection, the settings (scope,
// accidental-deletion threshold, cycle interval, groups), the scoping
// filters (this file) and the attribute mappings (provmappings.go). Every
// change goes through provisioning.Engine.Configure, which validates the
// whole job, seals a new token and starts an initial cycle, as Entra does
// when provisioning settings are saved.

// mountProvisioningConfig registers the configuration pages.
func (h *Handler) mountProvisioningConfig(get, post func(string, func(http.ResponseWriter, *http.Request, *access))) {
	get("/apps/{id}/provisioning/settings", h.provSettings)
	post("/apps/{id}/provisioning/settings", h.saveProvSettings)
	post("/apps/{id}/provisioning/settings/test", h.testProvConnection)
	post("/apps/{id}/provisioning/filters", h.addScopingClause)
	post("/apps/{id}/provisioning/filters/remove", h.removeScopingClause)
	get("/apps/{id}/provisioning/mappings", h.provMappings)
	get("/apps/{id}/provisioning/mappings/check", h.checkMappingSource)
	post("/apps/{id}/provisioning/mappings", h.saveMapping)
	post("/apps/{id}/provisioning/mappings/delete", h.deleteMapping)
	post("/apps/{id}/provisioning/mappings/reset", h.resetMappings)
}

// jobConfig is an app and its provisioning job (nil until configured).
type jobConfig struct {
	App *directory.App
	Job *provisioning.Job
}

// settings are the job's settings, or those a new job starts with.
func (c *jobConfig) settings() provisioning.Settings {
	if c.Job != nil {
		return c.Job.Settings
	}
	return provisioning.DefaultSettings("")
}

func (c *jobConfig) base() string { return Prefix + "/apps/" + c.App.ID + "/provisioning" }

func (h *Handler) loadJobConfig(w http.ResponseWriter, r *http.Request) (*jobConfig, bool) {
	if h.Engine == nil {
		h.notFound(w)
		return nil, false
	}
	app, ok := h.loadApp(w, r)
	if !ok {
		return nil, false
	}
	c := &jobConfig{App: app}
	var err error
	c.Job, err = h.Engine.Store.GetJob(r.Context(), app.ID)
	if errors.Is(err, provisioning.ErrNotFound) {
		c.Job, err = nil, nil
	}
	if err != nil {
		h.fail(w, r, "read provisioning job", err)
		return nil, false
	}
	return c, true
}

// loadConfiguredJob is loadJobConfig for changes that need the job to
// exist: there is nothing to remove or reset before it does.
func (h *Handler) loadConfiguredJob(w http.ResponseWriter, r *http.Request) (*jobConfig, bool) {
	c, ok := h.loadJobConfig(w, r)
	if ok && c.Job == nil {
		h.notFound(w)
		return nil, false
	}
	return c, ok
}

// commit saves set with token ("": keep the stored one) and answers with a
// redirect to the page (under the app's provisioning) with the flash done,
// logging what was done. The engine validates the whole job: a refusal
// goes to refused, for the page to show; anything else is a failure.
func (h *Handler) commit(w http.ResponseWriter, r *http.Request, a *access, c *jobConfig, set provisioning.Settings,
	token string, refused func(msg string), page, done, what string, logArgs ...any) {
	if err := provisioning.Validate(&set); err != nil {
		refused(web.Sentence(err.Error()))
		return
	}
	if _, err := h.Engine.Configure(r.Context(), c.App.ID, set, token); err != nil {
		h.fail(w, r, "configure provisioning", err)
		return
	}
	h.log().Info("console: provisioning "+what, append([]any{"admin", a.u.UserPrincipalName, "app", c.App.ID}, logArgs...)...)
	redirect(w, r, c.base()+page, done)
}

// --- settings and admin credentials ---

// operator is a scoping-filter operator as the form offers it.
type operator struct {
	Op, Label  string
	NeedsValue bool
}

// operators are Entra's scoping operators (shared/reference/
// entra-provisioning.md §2.4), spelled as Entra spells them.
var operators = []operator{
	{provisioning.OpEquals, "EQUALS: is exactly", true},
	{provisioning.OpNotEquals, "NOT EQUALS: is not", true},
	{provisioning.OpIsTrue, "IS TRUE", false},
	{provisioning.OpIsFalse, "IS FALSE", false},
	{provisioning.OpIsNull, "IS NULL: is empty", false},
	{provisioning.OpIsNotNull, "IS NOT NULL: has a value", false},
	{provisioning.OpRegexMatch, "REGEX MATCH: matches the regular expression", true},
	{provisioning.OpNotRegexMatch, "NOT REGEX MATCH: does not match the regular expression", true},
	{provisioning.OpGreaterThan, "Greater_Than: a whole number greater than", true},
	{provisioning.OpGreaterOrEqual, "Greater_Than_OR_EQUALS: a whole number at least", true},
	{provisioning.OpIncludes, "Includes: contains", true},
	{provisioning.OpEndsWith, "ENDS_WITH: ends with", true},
	{provisioning.OpIn, "&: is one of (comma-separated)", true},
	{provisioning.OpNotIn, "!&: is none of (comma-separated)", true},
}

func operatorOf(op string) (operator, bool) {
	for _, o := range operators {
		if o.Op == op {
			return o, true
		}
	}
	return operator{}, false
}

// filterView is a scoping filter numbered for people (from 1).
type filterView struct {
	N       int
	Clauses []clauseView
}

type clauseView struct {
	N int
	provisioning.Clause
}

type provSettingsData struct {
	Tabs       appTabs
	Nav        provNav
	App        *directory.App
	Configured bool
	TokenSet   bool
	Set        provisioning.Settings
	Interval   string
	Filters    []filterView
	Operators  []operator
	UserAttrs  []string
	// Test is the outcome of Test Connection, when one was run.
	Test *testOutcome
}

type testOutcome struct {
	OK      bool
	Message string
}

// settingsForm fills the settings form from stored settings.
func settingsForm(set provisioning.Settings) map[string]string {
	return map[string]string{
		"tenantUrl": set.TenantURL, "scope": set.Scope, "dialect": set.Dialect,
		"deletionThreshold": strconv.Itoa(set.DeletionThreshold), "interval": fmtInterval(time.Duration(set.Interval)),
		"rateLimit":       strconv.FormatFloat(set.RateLimit, 'f', -1, 64),
		"provisionGroups": checked(set.ProvisionGroups), "flattenNested": checked(set.FlattenNested),
	}
}

func checked(b bool) string {
	if b {
		return "on"
	}
	return ""
}

// fmtInterval writes 40m rather than Go's 40m0s.
func fmtInterval(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// minInterval is the shortest cycle interval the console accepts: a full
// reconciliation more often would keep the target busy for nothing, as
// changes flow within a second anyway.
const minInterval = time.Minute

func (h *Handler) provSettingsData(c *jobConfig) *provSettingsData {
	set := c.settings()
	d := &provSettingsData{Tabs: h.tabs(c.App, "provisioning"), Nav: provNav{c.App.ID, "settings"}, App: c.App, Configured: c.Job != nil, Set: set, Operators: operators,
		TokenSet: set.TokenSealed != "", Interval: fmtInterval(time.Duration(set.Interval)),
		UserAttrs: provisioning.SourceAttributes(directory.KindUser)}
	for i, f := range set.ScopingFilters {
		fv := filterView{N: i + 1}
		for j, cl := range f.Clauses {
			fv.Clauses = append(fv.Clauses, clauseView{N: j + 1, Clause: cl})
		}
		d.Filters = append(d.Filters, fv)
	}
	return d
}

// settingsPage renders the settings page; form values override the stored
// settings (a form shown again with its errors).
func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, a *access, c *jobConfig, d *provSettingsData,
	form map[string]string, errs web.Errors, msg string) {
	p := h.page(r, a, "Provisioning settings: "+c.App.DisplayName, Prefix+"/apps", d)
	p.Form = settingsForm(d.Set)
	for k, v := range form {
		p.Form[k] = v
	}
	status := http.StatusOK
	if errs.Has() || msg != "" {
		p.Errors, p.Error, status = errs, msg, formErrorStatus
		if m := errs[""]; m != "" && msg == "" {
			p.Error = m
		}
	}
	h.render(w, "provsettings", status, p)
}

func (h *Handler) provSettings(w http.ResponseWriter, r *http.Request, a *access) {
	c, ok := h.loadJobConfig(w, r)
	if !ok {
		return
	}
	h.settingsPage(w, r, a, c, h.provSettingsData(c), nil, nil, "")
}

// settingsFields are the settings form's fields, read as typed.
var settingsFields = []string{"tenantUrl", "scope", "dialect", "deletionThreshold", "interval", "rateLimit"}

// readSettingsForm reads the settings form as typed, and the secret token
// apart: the form is shown again on an error, the token never is.
func readSettingsForm(r *http.Request) (f map[string]string, token string) {
	f = formValues(r, settingsFields...)
	f["provisionGroups"], f["flattenNested"] = checked(r.PostFormValue("provisionGroups") != ""),
		checked(r.PostFormValue("flattenNested") != "")
	return f, strings.TrimSpace(r.PostFormValue("token"))
}

// checkTenantURL reads the tenant URL: the target's SCIM base URL.
func checkTenantURL(s string) (string, string) {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return "", "Enter the target's SCIM base URL (the tenant URL)."
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return "", "Enter an http or https URL, such as https://scim.us-east-1.amazonaws.com/abcd1234/scim/v2."
	case u.RawQuery != "" || u.Fragment != "":
		return "", "The tenant URL is a base URL: leave out the query (?…) and fragment (#…)."
	}
	return strings.TrimRight(s, "/"), ""
}

// applySettingsForm puts the form's values into set, with a message next to
// each field that is wrong.
func applySettingsForm(set *provisioning.Settings, f map[string]string) web.Errors {
	errs := web.Errors{}
	if u, msg := checkTenantURL(f["tenantUrl"]); msg != "" {
		errs.Add("tenantUrl", msg)
	} else {
		set.TenantURL = u
	}
	switch f["scope"] {
	case provisioning.ScopeAssigned, provisioning.ScopeAll:
		set.Scope = f["scope"]
	default:
		errs.Add("scope", "Choose whether to sync only assigned users and groups, or all of them.")
	}
	switch f["dialect"] {
	case provisioning.DialectAWS, provisioning.DialectRFC:
		set.Dialect = f["dialect"]
	default:
		errs.Add("dialect", "Choose how the target reports group members.")
	}
	if n, err := strconv.Atoi(f["deletionThreshold"]); err != nil || n < 0 {
		errs.Add("deletionThreshold", "Enter a whole number of disables and deletes, 0 or more (0 turns the check off).")
	} else {
		set.DeletionThreshold = n
	}
	if d, err := time.ParseDuration(f["interval"]); err != nil || d < minInterval {
		errs.Add("interval", "Enter a duration of at least 1m, such as 40m or 2h.")
	} else {
		set.Interval = provisioning.Duration(d)
	}
	rate := f["rateLimit"]
	if rate == "" {
		rate = "0"
	}
	if v, err := strconv.ParseFloat(rate, 64); err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		errs.Add("rateLimit", "Enter requests per second as a number, 0 or more (0: no limit).")
	} else {
		set.RateLimit = v
	}
	set.ProvisionGroups, set.FlattenNested = f["provisionGroups"] != "", f["flattenNested"] != ""
	return errs
}

// saveProvSettings saves the admin credentials and settings. The token is
// sealed by the engine and never shown again: an empty field keeps it.
func (h *Handler) saveProvSettings(w http.ResponseWriter, r *http.Request, a *access) {
	c, ok := h.loadJobConfig(w, r)
	if !ok {
		return
	}
	f, token := readSettingsForm(r)
	set := c.settings()
	errs := applySettingsForm(&set, f)
	if token == "" && c.Job == nil {
		errs.Add("token", "Enter the secret token: provisioning needs it to reach the target.")
	}
	refused := func(msg string) { h.settingsPage(w, r, a, c, h.provSettingsData(c), f, errs, msg) }
	if errs.Has() {
		refused("Nothing was saved: correct the fields marked below.")
		return
	}
	h.commit(w, r, a, c, set, token, refused, "/settings", "prov-saved", "settings saved",
		"tenantUrl", set.TenantURL, "tokenReplaced", token != "")
}

// testTimeout bounds Test Connection: the client retries a target that
// does not answer, and the admin is waiting.
const testTimeout = 30 * time.Second

// testProvConnection checks the tenant URL and token in the form (or the
// stored ones, for an empty field) before they are saved, as Entra's Test
// Connection does. With htmx only the outcome is swapped in, so what the
// admin typed stays in the form.
func (h *Handler) testProvConnection(w http.ResponseWriter, r *http.Request, a *access) {
	c, ok := h.loadJobConfig(w, r)
	if !ok {
		return
	}
	f, token := readSettingsForm(r)
	d := h.provSettingsData(c)
	errs := web.Errors{}
	u, msg := checkTenantURL(f["tenantUrl"])
	if msg != "" {
		errs.Add("tenantUrl", msg)
	}
	if token == "" && !d.TokenSet {
		errs.Add("token", "Enter the secret token to test with.")
	}
	if errs.Has() {
		d.Test = &testOutcome{Message: "Not tested: " + strings.Join(errList(errs, "tenantUrl", "token"), " ")}
		h.settingsPage(w, r, a, c, d, f, errs, "")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), testTimeout)
	defer cancel()
	err := h.Engine.TestCredentials(ctx, c.App.ID, u, token)
	d.Test = &testOutcome{OK: err == nil, Message: testMessage(err)}
	h.log().Info("console: provisioning test connection", "admin", a.u.UserPrincipalName, "app", c.App.ID,
		"tenantUrl", u, "ok", err == nil, "err", err)
	h.settingsPage(w, r, a, c, d, f, nil, "")
}

// errList lists the messages of the fields, in order.
func errList(errs web.Errors, fields ...string) []string {
	var out []string
	for _, f := range fields {
		if m := errs[f]; m != "" {
			out = append(out, m)
		}
	}
	return out
}

// testMessage says in plain words what Test Connection found.
func testMessage(err error) string {
	if err == nil {
		return "The connection works: the target accepted the token and answered a filtered query for users as a SCIM service should."
	}
	var se *scimclient.Error
	if !errors.As(err, &se) {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Sprintf("The target did not answer within %s.", testTimeout)
		}
		return "The connection test failed: " + web.Sentence(err.Error())
	}
	detail := ""
	if se.Detail != "" {
		detail = " The target said: " + web.Sentence(se.Detail)
	}
	switch {
	case se.Status == http.StatusUnauthorized:
		return "The target refused the secret token (HTTP 401): check that the token is current and was issued by this target." + detail
	case se.Status == http.StatusForbidden:
		return "The target accepted the token but refused access (HTTP 403): the token may not read users." + detail
	case se.Status == http.StatusNotFound:
		return "There is no SCIM service at this tenant URL (HTTP 404): check the URL; it usually ends in /scim/v2." + detail
	case se.Status == 0:
		return "The target could not be reached: " + web.Sentence(se.Detail)
	case se.Code == scimclient.CodeIncompatible:
		return "The target answered, but not as a SCIM service does: " + web.Sentence(se.Detail)
	case se.Status >= 500:
		return fmt.Sprintf("The target failed (HTTP %d): try again later.%s", se.Status, detail)
	}
	return fmt.Sprintf("The target refused the query (HTTP %d).%s", se.Status, detail)
}

// --- scoping filters ---

// clauseFields are the add-clause form's fields.
var clauseFields = []string{"filter", "attribute", "operator", "value"}

// addScopingClause adds a clause to a filter (ANDed with its clauses) or
// starts a new filter (ORed with the others).
func (h *Handler) addScopingClause(w http.ResponseWriter, r *http.Request, a *access) {
	c, ok := h.loadJobConfig(w, r)
	if !ok {
		return
	}
	f := formValues(r, clauseFields...)
	if c.Job == nil {
		h.settingsPage(w, r, a, c, h.provSettingsData(c), f, nil, notConfiguredMsg)
		return
	}
	set := c.settings()
	errs := web.Errors{}
	filter := len(set.ScopingFilters) // a new filter
	if f["filter"] != "new" {
		n, err := strconv.Atoi(f["filter"])
		if err != nil || n < 1 || n > len(set.ScopingFilters) {
			errs.Add("filter", "Choose a filter, or a new one.")
		}
		filter = n - 1
	}
	attr := canonicalAttr(directory.KindUser, f["attribute"])
	switch {
	case f["attribute"] == "":
		errs.Add("attribute", "Enter the source attribute the clause tests, such as department.")
	case attr == "":
		errs.Add("attribute", fmt.Sprintf("Users have no attribute %q: choose one from the list.", f["attribute"]))
	}
	op, known := operatorOf(f["operator"])
	switch {
	case !known:
		errs.Add("operator", "Choose an operator.")
	case op.NeedsValue && f["value"] == "":
		errs.Add("value", "Enter the value "+op.Op+" compares with.")
	case !op.NeedsValue:
		f["value"] = "" // IS TRUE and the like take none
	}
	const notAdded = "The clause was not added: correct the fields marked below."
	if errs.Has() {
		h.settingsPage(w, r, a, c, h.provSettingsData(c), f, errs, notAdded)
		return
	}
	set.ScopingFilters = withClause(set.ScopingFilters, filter,
		provisioning.Clause{Attribute: attr, Operator: op.Op, Value: f["value"]})
	// The operator and attribute were checked above: what the engine still
	// refuses is the value (a regular expression that does not compile, a
	// number that is not one).
	refused := func(msg string) {
		h.settingsPage(w, r, a, c, h.provSettingsData(c), f, web.Errors{"value": msg}, notAdded)
	}
	h.commit(w, r, a, c, set, "", refused, "/settings", "clause-added", "scoping clause added",
		"filter", filter+1, "attribute", attr, "operator", op.Op)
}

// withClause is a copy of fs with cl added to the filter at index i, or in
// a new filter when i is len(fs).
func withClause(fs []provisioning.ScopingFilter, i int, cl provisioning.Clause) []provisioning.ScopingFilter {
	out := make([]provisioning.ScopingFilter, len(fs), len(fs)+1)
	for j, f := range fs {
		out[j] = provisioning.ScopingFilter{Clauses: append([]provisioning.Clause(nil), f.Clauses...)}
	}
	if i == len(out) {
		out = append(out, provisioning.ScopingFilter{})
	}
	out[i].Clauses = append(out[i].Clauses, cl)
	return out
}

// notConfiguredMsg refuses changes to a job that does not exist yet.
const notConfiguredMsg = "Provisioning is not configured yet: save the admin credentials first."

// staleMsg refuses a change to something that changed since the page was
// loaded (another admin, another tab).
const staleMsg = "Nothing was changed: the configuration changed since this page was loaded. Check it below and try again."

// removeScopingClause removes one clause; a filter left without clauses
// goes too. The form names the clause by position and content, so a
// clause moved by another admin's change is not removed by mistake.
func (h *Handler) removeScopingClause(w http.ResponseWriter, r *http.Request, a *access) {
	c, ok := h.loadConfiguredJob(w, r)
	if !ok {
		return
	}
	set := c.settings()
	fi, err1 := strconv.Atoi(r.PostFormValue("filter"))
	ci, err2 := strconv.Atoi(r.PostFormValue("clause"))
	want := provisioning.Clause{Attribute: r.PostFormValue("attribute"), Operator: r.PostFormValue("operator"),
		Value: r.PostFormValue("value")}
	if err1 != nil || err2 != nil || fi < 1 || fi > len(set.ScopingFilters) || ci < 1 ||
		ci > len(set.ScopingFilters[fi-1].Clauses) || set.ScopingFilters[fi-1].Clauses[ci-1] != want {
		h.settingsPage(w, r, a, c, h.provSettingsData(c), nil, nil, staleMsg)
		return
	}
	var filters []provisioning.ScopingFilter
	for i, sf := range set.ScopingFilters {
		if i != fi-1 {
			filters = append(filters, sf)
			continue
		}
		var rest []provisioning.Clause
		for j, cl := range sf.Clauses {
			if j != ci-1 {
				rest = append(rest, cl)
			}
		}
		if len(rest) > 0 {
			filters = append(filters, provisioning.ScopingFilter{Clauses: rest})
		}
	}
	set.ScopingFilters = filters
	refused := func(msg string) { h.settingsPage(w, r, a, c, h.provSettingsData(c), nil, nil, msg) }
	h.commit(w, r, a, c, set, "", refused, "/settings", "clause-removed", "scoping clause removed",
		"filter", fi, "attribute", want.Attribute, "operator", want.Operator)
}

// canonicalAttr is the source attribute named s (any case), "" if the kind
// has none.
func canonicalAttr(kind, s string) string {
	for _, name := range provisioning.SourceAttributes(kind) {
		if strings.EqualFold(name, s) {
			return name
		}
	}
	return ""
}
