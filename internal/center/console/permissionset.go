package console

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// The page of one permission set (/console/permission-sets/ps-…): its
// settings, AWS managed and customer managed policies, inline policy,
// permissions boundary, tags and assignments, each changed by a form of its
// own, and its deletion. Every change runs in the store's transaction
// (center.AccessStore.UpdatePermissionSet), which validates the result with
// the domain's rules (center.ValidatePermissionSet), as the AWS API does;
// a refusal is shown next to the field it concerns.

type permissionSetData struct {
	assignmentsData
	PS      *center.PermissionSet
	Created string
	// Durations are the session duration choices; Attached the AWS managed
	// policies attached; Policies the picker's, not attached yet.
	Durations     []string
	Attached      []policyOption
	Policies      []policyOption
	BoundaryKinds []choice
	MaxAttached   int
}

// boundaryKinds are the choices of the boundary form.
var boundaryKinds = []choice{{Value: boundaryNone, Label: "No permissions boundary"},
	{Value: boundaryManaged, Label: "An AWS managed policy"}, {Value: boundaryCustomer, Label: "A customer managed policy"}}

// AWS field names (as center's validation errors name them, member
// indexes left out) -> the page's form fields, one map per form.
var (
	psSettingsFields = map[string]string{"description": "description", "sessionDuration": "sessionDuration", "relayState": "relayState"}
	psManagedFields  = map[string]string{"managedPolicies": "managedOther"}
	psCustomerFields = map[string]string{"customerManagedPolicies.name": "cmpName", "customerManagedPolicies.path": "cmpPath",
		"customerManagedPolicies": "cmpName", "managedPolicies": "cmpName"}
	psInlineFields   = map[string]string{"inlinePolicy": "inlinePolicy"}
	psBoundaryFields = map[string]string{"permissionsBoundary": "boundaryKind", "permissionsBoundary.managedPolicyArn": "boundaryArn",
		"permissionsBoundary.customerManagedPolicyReference.name": "boundaryName",
		"permissionsBoundary.customerManagedPolicyReference.path": "boundaryPath"}
	psTagFields = map[string]string{"tags.key": "tagKey", "tags.value": "tagValue", "tags": "tagKey"}
)

// Kinds of permissions boundary in the boundary form.
const (
	boundaryNone     = "none"
	boundaryManaged  = "managed"
	boundaryCustomer = "customer"
)

// withPS reads the permission set the path's {id} names for fn; it
// answers 404 itself when there is none.
func (h *Handler) withPS(fn func(http.ResponseWriter, *http.Request, *access, *center.PermissionSet)) func(http.ResponseWriter, *http.Request, *access) {
	return func(w http.ResponseWriter, r *http.Request, a *access) {
		ctx := r.Context()
		inst, err := h.Store.Instance(ctx)
		if err != nil {
			h.fail(w, r, "instance", err)
			return
		}
		arn := "arn:aws:sso:::permissionSet/" + inst.InstanceID + "/" + r.PathValue("id")
		if center.ValidatePermissionSetARN(arn) != nil {
			h.deny(w, http.StatusNotFound, "There is no such permission set.")
			return
		}
		ps, err := h.Store.GetPermissionSet(ctx, arn)
		if h.found(w, r, err, "read permission set", "There is no such permission set: it may have been deleted.") {
			fn(w, r, a, ps)
		}
	}
}

// permissionSetPage renders the page of ps; edit may set errors and the
// values of the form that was refused.
func (h *Handler) permissionSetPage(w http.ResponseWriter, r *http.Request, a *access, ps *center.PermissionSet, status int, edit func(p *web.Page)) {
	ctx := r.Context()
	accts, err := h.Store.ListAccounts(ctx)
	if err != nil {
		h.fail(w, r, "list accounts", err)
		return
	}
	rows, err := h.assignmentRows(ctx, accts, []*center.PermissionSet{ps})
	if err != nil {
		h.fail(w, r, "list assignments", err)
		return
	}
	d := &permissionSetData{assignmentsData: assignmentsData{Assignments: rows, Path: psPath(ps.ARN)}, PS: ps,
		Created: fmtTime(ps.CreatedDate), BoundaryKinds: boundaryKinds, MaxAttached: center.MaxAttachedPolicies}
	for _, arn := range ps.ManagedPolicies {
		d.Attached = append(d.Attached, policyOption{ARN: arn, Name: center.ManagedPolicyName(arn)})
	}
	checked := map[string]bool{}
	for _, m := range r.PostForm["managed"] {
		checked[m] = true
	}
	for _, arn := range CommonManagedPolicies {
		if !slices.Contains(ps.ManagedPolicies, arn) {
			d.Policies = append(d.Policies, policyOption{ARN: arn, Name: center.ManagedPolicyName(arn), Checked: checked[arn]})
		}
	}
	p := h.page(r, a, "Permission set "+ps.Name, Prefix+"/permission-sets", d)
	p.Form["description"], p.Form["sessionDuration"], p.Form["relayState"] = ps.Description, ps.SessionDuration, ps.RelayState
	p.Form["inlinePolicy"], p.Form["boundaryKind"] = ps.InlinePolicy, boundaryNone
	if b := ps.PermissionsBoundary; b != nil && b.CustomerManagedPolicyReference != nil {
		p.Form["boundaryKind"], p.Form["boundaryName"], p.Form["boundaryPath"] = boundaryCustomer,
			b.CustomerManagedPolicyReference.Name, b.CustomerManagedPolicyReference.Path
	} else if b != nil {
		p.Form["boundaryKind"], p.Form["boundaryArn"] = boundaryManaged, b.ManagedPolicyArn
	}
	if edit != nil {
		edit(p)
	}
	// A duration set through the API (PT3H) or refused here stays visible.
	d.Durations = SessionDurations
	if cur := p.Form["sessionDuration"]; cur != "" && !slices.Contains(d.Durations, cur) {
		d.Durations = append(slices.Clone(d.Durations), cur)
	}
	h.render(w, "permission-set", status, p)
}

func (h *Handler) permissionSet(w http.ResponseWriter, r *http.Request, a *access, ps *center.PermissionSet) {
	h.permissionSetPage(w, r, a, ps, http.StatusOK, nil)
}

// refusePS shows the page again with the refused form's values and the
// messages next to its fields.
func (h *Handler) refusePS(w http.ResponseWriter, r *http.Request, a *access, ps *center.PermissionSet, form map[string]string, errs web.Errors) {
	h.permissionSetPage(w, r, a, ps, formErrorStatus, func(p *web.Page) {
		for k, v := range form {
			p.Form[k] = v
		}
		p.Errors = errs
		p.Error = "The permission set was not changed: correct the field marked below."
	})
}

// changePS applies change to the permission set in the store's
// transaction, where the domain validates the result; a validation error
// is shown next to the form's fields (fields maps AWS field names to them).
func (h *Handler) changePS(w http.ResponseWriter, r *http.Request, a *access, ps *center.PermissionSet, what string,
	form, fields map[string]string, change func(ps *center.PermissionSet)) {
	_, err := h.Store.UpdatePermissionSet(r.Context(), ps.ARN, func(ps *center.PermissionSet) error {
		change(ps)
		return nil
	})
	switch {
	case errors.Is(err, center.ErrInvalid):
		h.refusePS(w, r, a, ps, form, awsFieldErrors(err, fields))
		return
	case errors.Is(err, center.ErrNotFound):
		h.deny(w, http.StatusNotFound, "There is no such permission set: it may have been deleted.")
		return
	case err != nil:
		h.fail(w, r, "update permission set", err)
		return
	}
	h.log().Info("center console: permission set changed", "name", ps.Name, "change", what, "by", a.u.UserName)
	redirect(w, r, psPath(ps.ARN), "ps-saved")
}

// savePermissionSet changes the description, session duration and relay
// state (UpdatePermissionSet).
func (h *Handler) savePermissionSet(w http.ResponseWriter, r *http.Request, a *access, ps *center.PermissionSet) {
	f := r.PostForm
	form := map[string]string{"description": strings.TrimSpace(f.Get("description")),
		"sessionDuration": f.Get("sessionDuration"), "relayState": strings.TrimSpace(f.Get("relayState"))}
	h.changePS(w, r, a, ps, "settings", form, psSettingsFields, func(ps *center.PermissionSet) {
		ps.Description, ps.SessionDuration, ps.RelayState = form["description"], form["sessionDuration"], form["relayState"]
	})
}

// attachManagedPolicies attaches the AWS managed policies chosen in the
// picker or typed (AttachManagedPolicyToPermissionSet, several at once).
func (h *Handler) attachManagedPolicies(w http.ResponseWriter, r *http.Request, a *access, ps *center.PermissionSet) {
	form := map[string]string{"managedOther": r.PostForm.Get("managedOther")}
	arns := managedPolicyARNs(r.PostForm)
	if len(arns) == 0 {
		h.refusePS(w, r, a, ps, form, web.Errors{"managedOther": "Choose a policy in the list, or enter its ARN."})
		return
	}
	h.changePS(w, r, a, ps, "attach managed policies", form, psManagedFields, func(ps *center.PermissionSet) {
		ps.ManagedPolicies = append(ps.ManagedPolicies, arns...)
	})
}

// detachManagedPolicy detaches one AWS managed policy; detaching one that
// is not attached changes nothing.
func (h *Handler) detachManagedPolicy(w http.ResponseWriter, r *http.Request, a *access, ps *center.PermissionSet) {
	arn := r.PostForm.Get("arn")
	h.changePS(w, r, a, ps, "detach managed policy", nil, psManagedFields, func(ps *center.PermissionSet) {
		ps.ManagedPolicies = slices.DeleteFunc(ps.ManagedPolicies, func(m string) bool { return m == arn })
	})
}

// customerRef is the reference a form names; an empty path is "/".
func customerRef(name, path string) center.CustomerManagedPolicyReference {
	if path == "" {
		path = center.DefaultPolicyPath
	}
	return center.CustomerManagedPolicyReference{Name: name, Path: path}
}

func (h *Handler) attachCustomerPolicy(w http.ResponseWriter, r *http.Request, a *access, ps *center.PermissionSet) {
	form := map[string]string{"cmpName": strings.TrimSpace(r.PostForm.Get("cmpName")), "cmpPath": strings.TrimSpace(r.PostForm.Get("cmpPath"))}
	ref := customerRef(form["cmpName"], form["cmpPath"])
	h.changePS(w, r, a, ps, "attach customer managed policy", form, psCustomerFields, func(ps *center.PermissionSet) {
		ps.CustomerManagedPolicies = append(ps.CustomerManagedPolicies, ref)
	})
}

func (h *Handler) detachCustomerPolicy(w http.ResponseWriter, r *http.Request, a *access, ps *center.PermissionSet) {
	ref := customerRef(r.PostForm.Get("name"), r.PostForm.Get("path"))
	h.changePS(w, r, a, ps, "detach customer managed policy", nil, psCustomerFields, func(ps *center.PermissionSet) {
		ps.CustomerManagedPolicies = slices.DeleteFunc(ps.CustomerManagedPolicies, func(c center.CustomerManagedPolicyReference) bool {
			return c == ref
		})
	})
}

// putInlinePolicy replaces the inline policy (PutInlinePolicyToPermissionSet):
// checked as the API checks it, so an empty or malformed document is
// refused next to the field, a JSON syntax error with its line and column.
func (h *Handler) putInlinePolicy(w http.ResponseWriter, r *http.Request, a *access, ps *center.PermissionSet) {
	form := map[string]string{"inlinePolicy": strings.TrimSpace(r.PostForm.Get("inlinePolicy"))}
	if err := center.ValidateInlinePolicy(form["inlinePolicy"]); err != nil {
		h.refusePS(w, r, a, ps, form, awsFieldErrors(err, psInlineFields))
		return
	}
	h.changePS(w, r, a, ps, "put inline policy", form, psInlineFields, func(ps *center.PermissionSet) {
		ps.InlinePolicy = form["inlinePolicy"]
	})
}

func (h *Handler) deleteInlinePolicy(w http.ResponseWriter, r *http.Request, a *access, ps *center.PermissionSet) {
	h.changePS(w, r, a, ps, "delete inline policy", nil, psInlineFields, func(ps *center.PermissionSet) {
		ps.InlinePolicy = ""
	})
}

// putBoundary sets or removes the permissions boundary: an AWS managed
// policy or a customer managed policy reference, never both.
func (h *Handler) putBoundary(w http.ResponseWriter, r *http.Request, a *access, ps *center.PermissionSet) {
	f := r.PostForm
	form := map[string]string{"boundaryKind": f.Get("boundaryKind"), "boundaryArn": strings.TrimSpace(f.Get("boundaryArn")),
		"boundaryName": strings.TrimSpace(f.Get("boundaryName")), "boundaryPath": strings.TrimSpace(f.Get("boundaryPath"))}
	var b *center.PermissionsBoundary
	switch form["boundaryKind"] {
	case boundaryNone:
	case boundaryManaged:
		b = &center.PermissionsBoundary{ManagedPolicyArn: form["boundaryArn"]}
	case boundaryCustomer:
		ref := customerRef(form["boundaryName"], form["boundaryPath"])
		b = &center.PermissionsBoundary{CustomerManagedPolicyReference: &ref}
	default:
		h.refusePS(w, r, a, ps, form, web.Errors{"boundaryKind": "Choose no boundary, an AWS managed policy or a customer managed policy."})
		return
	}
	h.changePS(w, r, a, ps, "permissions boundary", form, psBoundaryFields, func(ps *center.PermissionSet) {
		ps.PermissionsBoundary = b
	})
}

// addTag adds a tag, or gives an existing key its new value, as
// TagResource does.
func (h *Handler) addTag(w http.ResponseWriter, r *http.Request, a *access, ps *center.PermissionSet) {
	form := map[string]string{"tagKey": strings.TrimSpace(r.PostForm.Get("tagKey")), "tagValue": strings.TrimSpace(r.PostForm.Get("tagValue"))}
	h.changePS(w, r, a, ps, "tag", form, psTagFields, func(ps *center.PermissionSet) {
		if i := slices.IndexFunc(ps.Tags, func(t center.Tag) bool { return t.Key == form["tagKey"] }); i >= 0 {
			ps.Tags[i].Value = form["tagValue"]
			return
		}
		ps.Tags = append(ps.Tags, center.Tag{Key: form["tagKey"], Value: form["tagValue"]})
	})
}

func (h *Handler) removeTag(w http.ResponseWriter, r *http.Request, a *access, ps *center.PermissionSet) {
	key := r.PostForm.Get("key")
	h.changePS(w, r, a, ps, "untag", nil, psTagFields, func(ps *center.PermissionSet) {
		ps.Tags = slices.DeleteFunc(ps.Tags, func(t center.Tag) bool { return t.Key == key })
	})
}

// deletePermissionSet deletes the permission set. The store refuses while
// it is assigned in any account (center.ConflictError), as AWS refuses
// DeletePermissionSet while the set is provisioned: the admin removes the
// assignments first, each of which ends the sessions that relied on it, so
// no session relies on a permission set that can be deleted.
func (h *Handler) deletePermissionSet(w http.ResponseWriter, r *http.Request, a *access, ps *center.PermissionSet) {
	err := h.Store.DeletePermissionSet(r.Context(), ps.ARN)
	switch {
	case errors.Is(err, center.ErrConflict):
		h.permissionSetPage(w, r, a, ps, formErrorStatus, func(p *web.Page) {
			p.Errors["delete"] = ps.Name + " is still assigned in AWS accounts, so it cannot be deleted: remove its assignments (listed above) first, then delete it."
			p.Error = "The permission set was not deleted."
		})
		return
	case errors.Is(err, center.ErrNotFound):
	case err != nil:
		h.fail(w, r, "delete permission set", err)
		return
	}
	h.log().Info("center console: permission set deleted", "name", ps.Name, "by", a.u.UserName)
	redirect(w, r, Prefix+"/permission-sets", "ps-deleted")
}
