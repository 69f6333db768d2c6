package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// A group's owners on its page: users who approve activations of the group
// and review its members when an eligibility or an access review says so.
// They are not members, and provisioning does not carry them.

type ownerRow struct {
	ID, Name, UPN    string
	Enabled, Deleted bool
}

// loadOwners reads the group's owners for its page, by name.
func (h *Handler) loadOwners(ctx context.Context, groupID string) ([]ownerRow, error) {
	ids, err := h.Store.Owners(ctx, groupID)
	if err != nil {
		return nil, err
	}
	var out []ownerRow
	for _, id := range ids {
		u, err := h.Store.GetUser(ctx, id)
		if errors.Is(err, directory.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ownerRow{ID: u.ID, Name: u.DisplayName, UPN: u.UserPrincipalName, Enabled: u.AccountEnabled,
			Deleted: u.Deleted != nil})
	}
	slices.SortFunc(out, func(x, y ownerRow) int { return strings.Compare(strings.ToLower(x.UPN), strings.ToLower(y.UPN)) })
	return out, nil
}

func (h *Handler) addOwner(w http.ResponseWriter, r *http.Request, a *access) {
	gid := r.PathValue("id")
	upn := strings.TrimSpace(r.PostFormValue("owner"))
	fail := func(msg string) {
		h.groupFormError(w, r, a, "owner", upn, "No owner was added: correct the field marked below.", msg)
	}
	u, msg, err := h.namedUser(r, upn)
	if err != nil {
		h.fail(w, r, "find owner", err)
		return
	}
	if msg != "" {
		fail(msg)
		return
	}
	err = h.Store.AddOwner(r.Context(), gid, u.ID, h.now())
	switch {
	case errors.Is(err, directory.ErrConflict):
		fail("This user already owns the group.")
		return
	case errors.Is(err, directory.ErrInvalid):
		fail("Only a user can own a group.")
		return
	case errors.Is(err, directory.ErrNotFound):
		h.notFound(w)
		return
	case err != nil:
		h.fail(w, r, "add owner", err)
		return
	}
	h.log().Info("console: group owner added", "admin", a.u.UserPrincipalName, "group", gid, "owner", u.UserPrincipalName)
	redirect(w, r, Prefix+"/groups/"+gid, "owner-added")
}

// groupFormError shows the group page again with msg next to field, what
// was typed kept, and summary at the top.
func (h *Handler) groupFormError(w http.ResponseWriter, r *http.Request, a *access, field, typed, summary, msg string) {
	d, ok := h.loadGroup(w, r)
	if !ok {
		return
	}
	p := h.page(r, a, d.G.DisplayName, Prefix+"/groups", d)
	p.Form[field], p.Errors = typed, web.Errors{field: msg}
	p.Error = summary
	h.render(w, "group", formErrorStatus, p)
}

func (h *Handler) removeOwner(w http.ResponseWriter, r *http.Request, a *access) {
	gid, id := r.PathValue("id"), r.PostFormValue("owner")
	if _, err := h.Store.GetGroup(r.Context(), gid); errors.Is(err, directory.ErrNotFound) {
		h.notFound(w)
		return
	}
	// Removing an owner who is no longer one (removed meanwhile) is done.
	err := h.Store.RemoveOwner(r.Context(), gid, id)
	if err != nil && !errors.Is(err, directory.ErrNotFound) {
		h.fail(w, r, "remove owner", err)
		return
	}
	h.log().Info("console: group owner removed", "admin", a.u.UserPrincipalName, "group", gid, "owner", id)
	redirect(w, r, Prefix+"/groups/"+gid, "owner-removed")
}

// ownersTemplate is the owners section of the group page.
const ownersTemplate = `{{define "owners"}}{{$g := .Data.G}}
<section class="card" aria-labelledby="h-o"><h2 id="h-o">Owners</h2>
<p class="muted">Owners approve activations and review members when the group's <a href="/console/governance">eligibilities</a> or <a href="/console/reviews">access reviews</a> say so. They are not members.</p>
<div class="table-wrap"><table id="owners"><thead><tr><th scope="col">Name</th><th scope="col">User principal name</th>{{if .CanChange}}<th scope="col"><span class="muted">Action</span></th>{{end}}</tr></thead><tbody>
{{range .Data.Owners}}<tr><td>{{if .Deleted}}{{.Name}} <span class="badge off">deleted</span>{{else}}<a href="/console/users/{{.ID}}">{{.Name}}</a>{{if not .Enabled}} <span class="badge off">disabled</span>{{end}}{{end}}</td><td>{{.UPN}}</td>
{{if $.CanChange}}<td><form method="post" action="/console/groups/{{$g.ID}}/owners/remove">{{template "csrf" $}}<input type="hidden" name="owner" value="{{.ID}}"><button type="submit" class="secondary" aria-label="Remove owner {{.Name}}">Remove</button></form></td>{{end}}</tr>
{{else}}<tr><td colspan="3">No owners.</td></tr>{{end}}</tbody></table></div>
{{if .CanChange}}<form method="post" action="/console/groups/{{$g.ID}}/owners/add" novalidate>{{template "csrf" .}}
{{template "field" (hint "A user principal name" (required (field . "owner" "Add owner" "text")))}}
<button type="submit">Add owner</button></form>{{end}}</section>
{{end}}`
