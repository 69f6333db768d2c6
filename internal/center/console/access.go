package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// awsFieldErrors splits an AWS-style validation error ("2 validation
// errors detected: Value '…' at 'name' failed to satisfy constraint: …;
// Value …") into messages next to the form fields: fields maps an AWS
// field (or its prefix before ".") to a form field's name. Other messages
// go under "" (the top of the form).
func awsFieldErrors(err error, fields map[string]string) web.Errors {
	out := web.Errors{}
	msg := err.Error()
	i := strings.Index(msg, "detected: ")
	if i < 0 {
		out.Add("", web.Sentence(msg))
		return out
	}
	parts := strings.Split(msg[i+len("detected: "):], "; Value '")
	for k, part := range parts {
		if k > 0 {
			part = "Value '" + part
		}
		field := ""
		if end := strings.LastIndex(part, "' failed to satisfy constraint"); end >= 0 {
			if st := strings.LastIndex(part[:end], " at '"); st >= 0 {
				field = part[st+len(" at '") : end]
			}
		}
		out.Add(formField(field, fields), web.Sentence(part))
	}
	return out
}

// reMember is a list member's index in an AWS field name: ".3.member" in
// "tags.3.member.key".
var reMember = regexp.MustCompile(`\.\d+\.member`)

// formField finds the form field of an AWS field name in fields: by the
// whole name ("permissionsBoundary.managedPolicyArn"), then without member
// indexes ("tags.key"), then by its first part ("managedPolicies").
func formField(field string, fields map[string]string) string {
	if field == "" {
		return ""
	}
	if f, ok := fields[field]; ok {
		return f
	}
	if f, ok := fields[reMember.ReplaceAllString(field, "")]; ok {
		return f
	}
	head, _, _ := strings.Cut(field, ".")
	return fields[head]
}

// --- users and groups (from SCIM; read-only here) ---

type usersData struct {
	Query string
	Users []*scim.User
	Total int
}

func matches(q string, fields ...string) bool {
	if q == "" {
		return true
	}
	q = strings.ToLower(q)
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

func (h *Handler) users(w http.ResponseWriter, r *http.Request, a *access) {
	all, err := h.allUsers(r.Context())
	if err != nil {
		h.fail(w, r, "list users", err)
		return
	}
	d := usersData{Query: strings.TrimSpace(r.URL.Query().Get("q")), Total: len(all)}
	for _, u := range all {
		if matches(d.Query, u.UserName, u.DisplayName, u.PrimaryEmail()) {
			d.Users = append(d.Users, u)
		}
	}
	h.render(w, "users", http.StatusOK, h.page(r, a, "Users", Prefix+"/users", d))
}

type groupsData struct {
	Query  string
	Groups []*scim.Group
	Total  int
}

func (h *Handler) groups(w http.ResponseWriter, r *http.Request, a *access) {
	all, err := h.allGroups(r.Context())
	if err != nil {
		h.fail(w, r, "list groups", err)
		return
	}
	d := groupsData{Query: strings.TrimSpace(r.URL.Query().Get("q")), Total: len(all)}
	for _, g := range all {
		if matches(d.Query, g.DisplayName) {
			d.Groups = append(d.Groups, g)
		}
	}
	h.render(w, "groups", http.StatusOK, h.page(r, a, "Groups", Prefix+"/groups", d))
}

// --- permission sets ---

// CommonManagedPolicies are offered as checkboxes; others can be typed.
var CommonManagedPolicies = []string{
	"arn:aws:iam::aws:policy/AdministratorAccess",
	"arn:aws:iam::aws:policy/PowerUserAccess",
	"arn:aws:iam::aws:policy/ReadOnlyAccess",
	"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
	"arn:aws:iam::aws:policy/SecurityAudit",
	"arn:aws:iam::aws:policy/job-function/Billing",
	"arn:aws:iam::aws:policy/job-function/DatabaseAdministrator",
	"arn:aws:iam::aws:policy/job-function/NetworkAdministrator",
	"arn:aws:iam::aws:policy/job-function/SystemAdministrator",
	"arn:aws:iam::aws:policy/job-function/SupportUser",
	"arn:aws:iam::aws:policy/IAMReadOnlyAccess",
	"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
}

// SessionDurations are the choices of the session duration select.
var SessionDurations = []string{"PT1H", "PT2H", "PT4H", "PT8H", "PT12H"}

type policyOption struct {
	ARN, Name string
	Checked   bool
}

type permissionSetsData struct {
	Sets      []psRow
	Policies  []policyOption
	Durations []string
}

var psFields = map[string]string{
	"name": "name", "description": "description", "sessionDuration": "sessionDuration",
	"managedPolicies": "managedOther", "inlinePolicy": "inlinePolicy",
}

func (h *Handler) permissionSetsPage(w http.ResponseWriter, r *http.Request, a *access, status int, edit func(p *web.Page)) {
	sets, err := h.Store.ListPermissionSets(r.Context())
	if err != nil {
		h.fail(w, r, "list permission sets", err)
		return
	}
	checked := map[string]bool{}
	for _, m := range r.PostForm["managed"] {
		checked[m] = true
	}
	d := permissionSetsData{Durations: SessionDurations}
	for _, ps := range sets {
		d.Sets = append(d.Sets, psRow{ps})
	}
	for _, arn := range CommonManagedPolicies {
		d.Policies = append(d.Policies, policyOption{ARN: arn, Name: center.ManagedPolicyName(arn), Checked: checked[arn]})
	}
	p := h.page(r, a, "Permission sets", Prefix+"/permission-sets", d)
	p.Form["sessionDuration"] = center.DefaultSessionDuration
	if edit != nil {
		edit(p)
	}
	h.render(w, "permission-sets", status, p)
}

func (h *Handler) permissionSets(w http.ResponseWriter, r *http.Request, a *access) {
	h.permissionSetsPage(w, r, a, http.StatusOK, nil)
}

func (h *Handler) createPermissionSet(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	f := r.PostForm
	form := map[string]string{
		"name": strings.TrimSpace(f.Get("name")), "description": strings.TrimSpace(f.Get("description")),
		"sessionDuration": f.Get("sessionDuration"), "managedOther": f.Get("managedOther"),
		"inlinePolicy": strings.TrimSpace(f.Get("inlinePolicy")),
	}
	inst, err := h.Store.Instance(ctx)
	if err != nil {
		h.fail(w, r, "instance", err)
		return
	}
	ps := &center.PermissionSet{
		ARN: center.NewPermissionSetARN(inst.InstanceID), Name: form["name"], Description: form["description"],
		SessionDuration: form["sessionDuration"], InlinePolicy: form["inlinePolicy"], CreatedDate: h.now(),
	}
	ps.ManagedPolicies = managedPolicyARNs(f)
	fail := func(errs web.Errors) {
		h.permissionSetsPage(w, r, a, formErrorStatus, func(p *web.Page) {
			p.Form, p.Errors = form, errs
			p.Error = "The permission set was not created: correct the fields marked below."
		})
	}
	err = center.ValidatePermissionSet(ps)
	if err == nil {
		err = h.Store.CreatePermissionSet(ctx, ps)
	}
	switch {
	case errors.Is(err, center.ErrInvalid):
		fail(awsFieldErrors(err, psFields))
		return
	case errors.Is(err, center.ErrConflict):
		fail(web.Errors{"name": "A permission set named " + ps.Name + " already exists."})
		return
	case err != nil:
		h.fail(w, r, "create permission set", err)
		return
	}
	h.log().Info("center console: permission set created", "name", ps.Name, "by", a.u.UserName)
	redirect(w, r, Prefix+"/permission-sets", "ps-created")
}

// managedPolicyARNs are the AWS managed policies a form names: the
// picker's checkboxes, then the ARNs typed one a line (or comma-separated).
func managedPolicyARNs(f url.Values) []string {
	arns := slices.Clone(f["managed"])
	for _, line := range strings.FieldsFunc(f.Get("managedOther"), func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if line = strings.TrimSpace(line); line != "" {
			arns = append(arns, line)
		}
	}
	return arns
}

// --- accounts ---

// accountFields maps an account's AWS field names to the form's fields.
var accountFields = map[string]string{"accountId": "id", "name": "name", "email": "email"}

type accountsData struct {
	Accounts []*center.Account
}

func (h *Handler) accountsPage(w http.ResponseWriter, r *http.Request, a *access, status int, edit func(p *web.Page)) {
	accts, err := h.Store.ListAccounts(r.Context())
	if err != nil {
		h.fail(w, r, "list accounts", err)
		return
	}
	p := h.page(r, a, "AWS accounts", Prefix+"/accounts", accountsData{Accounts: accts})
	if edit != nil {
		edit(p)
	}
	h.render(w, "accounts", status, p)
}

func (h *Handler) accounts(w http.ResponseWriter, r *http.Request, a *access) {
	h.accountsPage(w, r, a, http.StatusOK, nil)
}

func (h *Handler) createAccount(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	f := r.PostForm
	form := map[string]string{"id": strings.TrimSpace(f.Get("id")), "name": strings.TrimSpace(f.Get("name")),
		"email": strings.TrimSpace(f.Get("email")), "realAWS": f.Get("realAWS")}
	acct := &center.Account{ID: form["id"], Name: form["name"], Email: form["email"], RealAWS: form["realAWS"] != "", CreatedDate: h.now()}
	fail := func(errs web.Errors) {
		h.accountsPage(w, r, a, formErrorStatus, func(p *web.Page) {
			p.Form, p.Errors = form, errs
			p.Error = "The account was not added: correct the fields marked below."
		})
	}
	if err := center.ValidateAccount(acct); err != nil {
		fail(awsFieldErrors(err, accountFields))
		return
	}
	if _, err := h.Store.GetAccount(ctx, acct.ID); err == nil {
		fail(web.Errors{"id": "An account with this id is already added."})
		return
	} else if !errors.Is(err, center.ErrNotFound) {
		h.fail(w, r, "read account", err)
		return
	}
	if err := h.Store.PutAccount(ctx, acct); err != nil {
		if errors.Is(err, center.ErrInvalid) {
			fail(awsFieldErrors(err, accountFields))
			return
		}
		h.fail(w, r, "add account", err)
		return
	}
	redirect(w, r, Prefix+"/accounts", "account")
}

// --- assignments ---

type assignmentRow struct {
	Account                      *center.Account
	PS                           *center.PermissionSet
	Type, PrincipalID, Principal string
}

// principalNames names principals (a user by user name, a group by
// display name, else by id), reading each once.
func (h *Handler) principalNames(ctx context.Context) func(typ center.PrincipalType, id string) string {
	names := map[string]string{}
	return func(typ center.PrincipalType, id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		n := id
		if typ == center.PrincipalUser {
			if u, err := h.Store.GetUser(ctx, id); err == nil {
				n = u.UserName
			}
		} else if g, err := h.Store.GetGroup(ctx, id); err == nil {
			n = g.DisplayName
		}
		names[id] = n
		return n
	}
}

// assignmentRows lists the assignments of the permission sets in the
// accounts, by account, permission set and principal name.
func (h *Handler) assignmentRows(ctx context.Context, accts []*center.Account, sets []*center.PermissionSet) ([]assignmentRow, error) {
	name := h.principalNames(ctx)
	var out []assignmentRow
	for _, acct := range accts {
		for _, ps := range sets {
			as, err := h.Store.ListAccountAssignments(ctx, acct.ID, ps.ARN)
			if err != nil {
				return nil, err
			}
			var rows []assignmentRow
			for _, x := range as {
				rows = append(rows, assignmentRow{Account: acct, PS: ps, Type: string(x.PrincipalType), PrincipalID: x.PrincipalID,
					Principal: name(x.PrincipalType, x.PrincipalID)})
			}
			sort.Slice(rows, func(i, j int) bool { return strings.ToLower(rows[i].Principal) < strings.ToLower(rows[j].Principal) })
			out = append(out, rows...)
		}
	}
	return out, nil
}

func (h *Handler) assignments(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	accts, err := h.Store.ListAccounts(ctx)
	if err != nil {
		h.fail(w, r, "list accounts", err)
		return
	}
	sets, err := h.Store.ListPermissionSets(ctx)
	if err != nil {
		h.fail(w, r, "list permission sets", err)
		return
	}
	rows, err := h.assignmentRows(ctx, accts, sets)
	if err != nil {
		h.fail(w, r, "list assignments", err)
		return
	}
	h.render(w, "assignments", http.StatusOK, h.page(r, a, "Account assignments", Prefix+"/assignments",
		assignmentsData{Assignments: rows, Path: Prefix + "/assignments"}))
}

type choice struct {
	Value, Label, Detail string
	Checked              bool
}

type wizardData struct {
	Step       int
	Query      string
	Accounts   []choice // step 1
	Principals []choice // step 2
	Sets       []choice // step 3
	// Chosen so far, carried in hidden fields.
	ChosenAccounts, ChosenPrincipals []string
	Summary                          []string
	// Field is the step's checkboxes.
	Field choiceField
}

// choiceField is a fieldset of checkboxes with its message.
type choiceField struct {
	Name, Label, Error string
	Items              []choice
}

// assignWizard is the three steps of "Assign users or groups": (1) AWS
// accounts, (2) users or groups, (3) permission sets, then POST.
func (h *Handler) assignWizard(w http.ResponseWriter, r *http.Request, a *access) {
	if !a.canChange() {
		h.deny(w, http.StatusForbidden, "Your console role is read-only: you can view, not change.")
		return
	}
	q := r.URL.Query()
	step := 1
	switch q.Get("step") {
	case "2":
		step = 2
	case "3":
		step = 3
	}
	errs := web.Errors{}
	accts, principals := q["account"], q["principal"]
	if step >= 2 && len(accts) == 0 {
		step, errs["account"] = 1, "Choose at least one AWS account."
	}
	if step == 3 && len(principals) == 0 {
		step, errs["principal"] = 2, "Choose at least one user or group."
	}
	h.renderWizard(w, r, a, step, accts, principals, nil, errs)
}

func (h *Handler) renderWizard(w http.ResponseWriter, r *http.Request, a *access, step int, accts, principals, sets []string, errs web.Errors) {
	ctx := r.Context()
	d := &wizardData{Step: step, ChosenAccounts: accts, ChosenPrincipals: principals, Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	all, err := h.Store.ListAccounts(ctx)
	if err != nil {
		h.fail(w, r, "list accounts", err)
		return
	}
	for _, acct := range all {
		on := slices.Contains(accts, acct.ID)
		d.Accounts = append(d.Accounts, choice{Value: acct.ID, Label: acct.Name, Detail: acct.ID, Checked: on})
		if on && step > 1 {
			d.Summary = append(d.Summary, "Account "+acct.Name+" ("+acct.ID+")")
		}
	}
	if step >= 2 {
		users, err := h.allUsers(ctx)
		if err != nil {
			h.fail(w, r, "list users", err)
			return
		}
		groups, err := h.allGroups(ctx)
		if err != nil {
			h.fail(w, r, "list groups", err)
			return
		}
		for _, g := range groups {
			v := string(center.PrincipalGroup) + ":" + g.ID
			on := slices.Contains(principals, v)
			if step == 3 && on {
				d.Summary = append(d.Summary, "Group "+g.DisplayName)
			}
			if step == 2 && matches(d.Query, g.DisplayName) && len(d.Principals) < 100 {
				d.Principals = append(d.Principals, choice{Value: v, Label: g.DisplayName, Detail: "group", Checked: on})
			}
		}
		for _, u := range users {
			v := string(center.PrincipalUser) + ":" + u.ID
			on := slices.Contains(principals, v)
			if step == 3 && on {
				d.Summary = append(d.Summary, "User "+u.UserName)
			}
			if step == 2 && bool(u.Active) && matches(d.Query, u.UserName, u.DisplayName) && len(d.Principals) < 200 {
				d.Principals = append(d.Principals, choice{Value: v, Label: u.UserName, Detail: "user", Checked: on})
			}
		}
	}
	if step == 3 {
		all, err := h.Store.ListPermissionSets(ctx)
		if err != nil {
			h.fail(w, r, "list permission sets", err)
			return
		}
		for _, ps := range all {
			d.Sets = append(d.Sets, choice{Value: ps.ARN, Label: ps.Name, Detail: ps.Description, Checked: slices.Contains(sets, ps.ARN)})
		}
	}
	switch step {
	case 1:
		d.Field = choiceField{Name: "account", Label: "AWS accounts", Items: d.Accounts}
	case 2:
		d.Field = choiceField{Name: "principal", Label: "Users and groups", Items: d.Principals}
	default:
		d.Field = choiceField{Name: "permissionSet", Label: "Permission sets", Items: d.Sets}
	}
	d.Field.Error = errs[d.Field.Name]
	p := h.page(r, a, "Assign users or groups", Prefix+"/assignments", d)
	p.Errors = errs
	h.render(w, "wizard", http.StatusOK, p)
}

func parsePrincipal(v string) (center.PrincipalType, string, bool) {
	typ, id, ok := strings.Cut(v, ":")
	if !ok || (typ != string(center.PrincipalUser) && typ != string(center.PrincipalGroup)) || id == "" {
		return "", "", false
	}
	return center.PrincipalType(typ), id, true
}

// createAssignments assigns every chosen permission set in every chosen
// account to every chosen principal.
func (h *Handler) createAssignments(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	accts, principals, sets := r.PostForm["account"], r.PostForm["principal"], r.PostForm["permissionSet"]
	switch {
	case len(accts) == 0:
		h.renderWizard(w, r, a, 1, accts, principals, sets, web.Errors{"account": "Choose at least one AWS account."})
		return
	case len(principals) == 0:
		h.renderWizard(w, r, a, 2, accts, principals, sets, web.Errors{"principal": "Choose at least one user or group."})
		return
	case len(sets) == 0:
		h.renderWizard(w, r, a, 3, accts, principals, sets, web.Errors{"permissionSet": "Choose at least one permission set."})
		return
	}
	n := 0
	for _, acct := range accts {
		for _, pv := range principals {
			typ, id, ok := parsePrincipal(pv)
			if !ok {
				h.renderWizard(w, r, a, 2, accts, nil, sets, web.Errors{"principal": "Choose the users or groups again."})
				return
			}
			for _, arn := range sets {
				as := &center.AccountAssignment{AccountID: acct, PermissionSetARN: arn, PrincipalType: typ, PrincipalID: id}
				err := center.ValidateAccountAssignment(as)
				if err == nil {
					_, err = h.Store.CreateAccountAssignment(ctx, as)
				}
				switch {
				case errors.Is(err, center.ErrInvalid), errors.Is(err, center.ErrNotFound):
					msg := "An account, user, group or permission set you chose no longer exists."
					if errors.Is(err, center.ErrInvalid) {
						msg = web.Sentence(err.Error())
					}
					h.renderWizard(w, r, a, 3, accts, principals, sets, web.Errors{"permissionSet": msg})
					return
				case err != nil:
					h.fail(w, r, "create assignment", err)
					return
				}
				n++
			}
		}
	}
	h.log().Info("center console: assignments created", "count", n, "by", a.u.UserName)
	redirect(w, r, Prefix+"/assignments", "assigned")
}

func (h *Handler) deleteAssignment(w http.ResponseWriter, r *http.Request, a *access) {
	typ, id, ok := parsePrincipal(r.PostFormValue("principal"))
	if !ok {
		h.deny(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	_, err := h.Store.DeleteAccountAssignment(r.Context(), &center.AccountAssignment{AccountID: r.PostFormValue("account"),
		PermissionSetARN: r.PostFormValue("permissionSet"), PrincipalType: typ, PrincipalID: id})
	if err != nil && !errors.Is(err, center.ErrNotFound) {
		h.fail(w, r, "delete assignment", err)
		return
	}
	if err == nil && h.OnAssignmentRemoved != nil {
		h.OnAssignmentRemoved(r.Context(), typ, id)
	}
	redirect(w, r, returnTo(r.PostFormValue("next"), Prefix+"/assignments"), "unassigned")
}
