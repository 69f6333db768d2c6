package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/center"
)

// The pages of one object each: a permission set, an AWS account, a user, a
// group. Their handlers are in permissionset.go, account.go and
// principals.go; their templates in objectPages (objecttemplates.go).

type route = func(string, func(http.ResponseWriter, *http.Request, *access))

// mountObjects registers the object pages' routes with Mount's get and post.
func (h *Handler) mountObjects(get, post route) {
	get("/permission-sets/{id}", h.withPS(h.permissionSet))
	post("/permission-sets/{id}", h.withPS(h.savePermissionSet))
	post("/permission-sets/{id}/managed-policies", h.withPS(h.attachManagedPolicies))
	post("/permission-sets/{id}/managed-policies/detach", h.withPS(h.detachManagedPolicy))
	post("/permission-sets/{id}/customer-policies", h.withPS(h.attachCustomerPolicy))
	post("/permission-sets/{id}/customer-policies/detach", h.withPS(h.detachCustomerPolicy))
	post("/permission-sets/{id}/inline-policy", h.withPS(h.putInlinePolicy))
	post("/permission-sets/{id}/inline-policy/delete", h.withPS(h.deleteInlinePolicy))
	post("/permission-sets/{id}/boundary", h.withPS(h.putBoundary))
	post("/permission-sets/{id}/tags", h.withPS(h.addTag))
	post("/permission-sets/{id}/tags/delete", h.withPS(h.removeTag))
	post("/permission-sets/{id}/delete", h.withPS(h.deletePermissionSet))
	get("/accounts/{id}", h.withAccount(h.account))
	post("/accounts/{id}", h.withAccount(h.saveAccount))
	post("/accounts/{id}/delete", h.withAccount(h.deleteAccount))
	get("/users/{id}", h.user)
	get("/groups/{id}", h.group)
}

// psPath is the console page of a permission set. It is named by its id,
// the last segment of its ARN (ps-…): unique in the instance and safe in a
// URL, where the ARN's slashes are not.
func psPath(arn string) string {
	return Prefix + "/permission-sets/" + arn[strings.LastIndexByte(arn, '/')+1:]
}

func accountPath(id string) string { return Prefix + "/accounts/" + id }

func principalPath(typ center.PrincipalType, id string) string {
	if typ == center.PrincipalGroup {
		return Prefix + "/groups/" + id
	}
	return Prefix + "/users/" + id
}

// Links of an assignment row, for the templates.

func (r assignmentRow) PSPath() string      { return psPath(r.PS.ARN) }
func (r assignmentRow) AccountPath() string { return accountPath(r.Account.ID) }
func (r assignmentRow) PrincipalPath() string {
	return principalPath(center.PrincipalType(r.Type), r.PrincipalID)
}

// psRow is a permission set in a list, with its page.
type psRow struct{ *center.PermissionSet }

func (r psRow) Path() string { return psPath(r.ARN) }

// returnTo is where a form sends the browser back to: next when it is a
// console page (a form field, so never another site), else fallback.
func returnTo(next, fallback string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, Prefix+"/") ||
		strings.ContainsAny(next, "\\\r\n") {
		return fallback
	}
	return u.Path
}

// found reports whether a read succeeded; else it answers for the page:
// 404 with missing when there is no such thing, 500 on another error.
func (h *Handler) found(w http.ResponseWriter, r *http.Request, err error, what, missing string) bool {
	switch {
	case errors.Is(err, center.ErrNotFound):
		h.deny(w, http.StatusNotFound, missing)
	case err != nil:
		h.fail(w, r, what, err)
	default:
		return true
	}
	return false
}

// notifyRemoved tells the portal (OnAssignmentRemoved) about each principal
// of removed assignments once, so the sessions that relied on them end.
func (h *Handler) notifyRemoved(ctx context.Context, rows []assignmentRow) {
	if h.OnAssignmentRemoved == nil {
		return
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if key := r.Type + ":" + r.PrincipalID; !seen[key] {
			seen[key] = true
			h.OnAssignmentRemoved(ctx, center.PrincipalType(r.Type), r.PrincipalID)
		}
	}
}
