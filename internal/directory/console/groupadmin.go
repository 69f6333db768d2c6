package console

import (
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// Creating and deleting security groups. A group is created as the Graph
// API creates one (POST /groups: normalised, mailNickname derived,
// validated as Entra does) and deleted as it deletes one (DELETE
// /groups/{id}: for good, with its memberships, its members' links to it
// and its app assignments, which provisioning carries to the targets).

func (h *Handler) mountGroupAdmin(get, post func(string, func(http.ResponseWriter, *http.Request, *access))) {
	get("/groups/new", h.newGroup)
	post("/groups/new", h.createGroup)
	get("/groups/{id}/delete", h.confirmDeleteGroup)
	post("/groups/{id}/delete", h.deleteGroup)
}

// groupFields maps Graph group attributes to the form's fields; a
// mailNickname (derived from the name) that is refused shows at the top.
var groupFields = map[string]string{"displayName": "displayName", "description": "description"}

func (h *Handler) newGroup(w http.ResponseWriter, r *http.Request, a *access) {
	if !h.mayChange(w, a) {
		return
	}
	h.render(w, "newgroup", http.StatusOK, h.page(r, a, "New group", Prefix+"/groups", nil))
}

func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	f := formValues(r, "displayName", "description")
	now := h.now().UTC().Truncate(time.Millisecond)
	g := &directory.Group{ID: newID(), DisplayName: f["displayName"], Description: f["description"],
		SecurityEnabled: true, Created: now, Modified: now}
	directory.NormalizeGroup(g)
	directory.FillGroupDefaults(g)
	errs := fromValidation(directory.ValidateGroup(g), groupFields)
	if !errs.Has() {
		// Entra allows two groups of one name, but the console names groups
		// to add them as members, assign them and make them eligible, and
		// AWS IAM Identity Center matches provisioned groups by name: here
		// a name is unique.
		same, err := h.Store.ListGroups(ctx, directory.GroupQuery{Eq: map[string]string{"displayName": g.DisplayName}, Limit: 1})
		if err != nil {
			h.fail(w, r, "find group by name", err)
			return
		}
		if len(same) > 0 {
			errs.Add("displayName", "Another group already has this name.")
		}
	}
	if errs.Has() {
		p := h.page(r, a, "New group", Prefix+"/groups", nil)
		p.Form = f
		refuse(p, errs, "The group was not created: correct the fields marked below.")
		h.render(w, "newgroup", formErrorStatus, p)
		return
	}
	if err := h.Store.CreateGroup(ctx, g); err != nil {
		h.fail(w, r, "create group", err)
		return
	}
	h.log().Info("console: group created", "admin", a.u.UserPrincipalName, "group", g.ID, "name", g.DisplayName)
	redirect(w, r, Prefix+"/groups/"+g.ID, "group-created")
}

// typedName reports whether the name typed to confirm a delete is the
// object's own; if not, the confirmation page (tmpl, of an object of kind
// what) is shown again with the message next to the field.
func (h *Handler) typedName(w http.ResponseWriter, r *http.Request, a *access, name, what, tmpl, current string, data any) bool {
	typed := strings.TrimSpace(r.PostFormValue("confirmName"))
	if typed == name {
		return true
	}
	p := h.page(r, a, "Delete "+name, current, data)
	p.Form["confirmName"] = typed
	p.Errors = web.Errors{"confirmName": "Type the " + what + "'s name exactly as shown to confirm."}
	p.Error = "The " + what + " was not deleted."
	h.render(w, tmpl, formErrorStatus, p)
	return false
}

type deleteGroupData struct {
	*groupData
	Assignments int
}

func (h *Handler) loadDeleteGroup(w http.ResponseWriter, r *http.Request) (*deleteGroupData, bool) {
	gd, ok := h.loadGroup(w, r)
	if !ok {
		return nil, false
	}
	as, err := h.Store.AssignmentsOf(r.Context(), gd.G.ID)
	if err != nil {
		h.fail(w, r, "list assignments", err)
		return nil, false
	}
	return &deleteGroupData{groupData: gd, Assignments: len(as)}, true
}

func (h *Handler) confirmDeleteGroup(w http.ResponseWriter, r *http.Request, a *access) {
	if !h.mayChange(w, a) {
		return
	}
	d, ok := h.loadDeleteGroup(w, r)
	if !ok {
		return
	}
	h.render(w, "deletegroup", http.StatusOK, h.page(r, a, "Delete "+d.G.DisplayName, Prefix+"/groups", d))
}

// deleteGroup deletes the group once its name was typed to confirm.
func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request, a *access) {
	d, ok := h.loadDeleteGroup(w, r)
	if !ok {
		return
	}
	if !h.typedName(w, r, a, d.G.DisplayName, "group", "deletegroup", Prefix+"/groups", d) {
		return
	}
	err := h.Store.DeleteGroup(r.Context(), d.G.ID, h.now())
	if !h.found(w, r, err, "delete group") {
		return
	}
	h.log().Info("console: group deleted", "admin", a.u.UserPrincipalName, "group", d.G.ID, "name", d.G.DisplayName,
		"members", len(d.Members), "assignments", d.Assignments)
	redirect(w, r, Prefix+"/groups", "group-deleted")
}

// groupAdminPages are the new-group and delete-group pages.
var groupAdminPages = map[string]string{
	"newgroup": `{{define "content"}}
<section class="card" aria-labelledby="h-new"><h2 id="h-new">Security group</h2>
<form method="post" action="/console/groups/new" novalidate>{{template "csrf" .}}
{{if index .Errors ""}}<p class="field-error">{{index .Errors ""}}</p>{{end}}
{{template "field" (hint "Unique; apps that receive the group over SCIM see this name" (required (auto "off" (field . "displayName" "Name" "text"))))}}
{{template "field" (hint "What the group is for, up to 1,024 characters" (field . "description" "Description" "text"))}}
<button type="submit">Create group</button></form></section>
{{end}}`,

	"deletegroup": `{{define "content"}}{{$d := .Data}}
<section class="card" aria-labelledby="h-conf"><h2 id="h-conf">Are you sure?</h2>
<p>Deleting <strong>{{$d.G.DisplayName}}</strong> cannot be undone (security groups are not kept in a recycle bin). With it go:</p>
<ul><li>its {{len $d.Members}} direct members' membership, and their access through it;</li>
<li>its membership of {{len $d.MemberOf}} other groups;</li>
<li>its {{$d.Assignments}} application assignments: provisioning removes the group, and the access it gave, from those applications.</li></ul>
<form method="post" action="/console/groups/{{$d.G.ID}}/delete" novalidate>{{template "csrf" .}}
{{template "field" (hint "Type the name exactly as shown above" (required (auto "off" (field . "confirmName" "Name of the group to delete" "text"))))}}
<button type="submit" class="danger">Delete group</button></form>
<p><a href="/console/groups/{{$d.G.ID}}">Cancel</a></p></section>
{{end}}`,
}
