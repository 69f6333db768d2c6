package scimserver

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/scim/filter"
)

func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	g, members, err := decodeGroup(b)
	if err != nil {
		return err
	}
	if g.ID, err = h.newID(r); err != nil {
		return err
	}
	g.Meta = h.meta("Group")
	if err := h.Store.CreateGroup(r.Context(), g, members); err != nil {
		return err
	}
	w.Header().Set("Location", h.location(r, "Groups", g.ID))
	writeJSON(w, http.StatusCreated, g)
	return nil
}

// getGroup answers with the group and, as AWS does, an empty members list.
// The excludedAttributes=members that Entra sends is thus already honoured.
func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := h.Store.GetGroup(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	members, err := h.memberIDs(r, id)
	if err != nil {
		return err
	}
	if err := h.Store.DeleteGroup(r.Context(), id); err != nil {
		return err
	}
	h.membersRemoved(r, members)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// memberIDs lists a group's members when a hook wants to know who may lose
// access.
func (h *Handler) memberIDs(r *http.Request, groupID string) ([]string, error) {
	if h.OnMembersRemoved == nil {
		return nil, nil
	}
	return center.GroupMemberIDs(r.Context(), h.Store, groupID)
}

func (h *Handler) membersRemoved(r *http.Request, ids []string) {
	if h.OnMembersRemoved != nil && len(ids) > 0 {
		h.OnMembersRemoved(r.Context(), ids)
	}
}

func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request) error {
	p, err := parseList(r.URL.Query(), groupFilterAttrs, "groups")
	if err != nil {
		return err
	}
	page, err := h.Store.ListGroups(r.Context(), p.q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listResponse(p, page.Groups, page.Total, page.Next))
	return nil
}

// groupChange is one planned step of a group PATCH.
type groupChange struct {
	attr    string // displayname, externalid or members
	op      string // add, replace or remove
	value   string // new displayName or externalId
	members []string
	all     bool // remove every member
}

// patchGroup: PATCH /Groups/{id}; AWS answers 204 without a body. Only
// displayName, externalId and members may change, with at most 100
// membership changes per request.
func (h *Handler) patchGroup(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	ops, err := decodePatch(b)
	if err != nil {
		return err
	}
	var changes []groupChange
	n := 0
	for i, o := range ops {
		cs, err := planGroupOp(o)
		if err != nil {
			return badRequest("Operation %d: %s", i+1, err.Error())
		}
		for _, c := range cs {
			n += len(c.members)
		}
		changes = append(changes, cs...)
	}
	if n > MaxMemberChanges {
		return badRequest("A PATCH may change at most %d memberships; this request changes %d.", MaxMemberChanges, n)
	}
	// Who may lose access: the members removed by name, or every member
	// when the request empties or replaces the membership.
	var removed []string
	for _, c := range changes {
		switch {
		case c.attr != "members":
		case c.all || c.op == "replace":
			all, err := h.memberIDs(r, r.PathValue("id"))
			if err != nil {
				return err
			}
			removed = append(removed, all...)
		case c.op == "remove":
			removed = append(removed, c.members...)
		}
	}
	_, err = h.Store.UpdateGroup(r.Context(), r.PathValue("id"), func(g *scim.Group, m center.Members) error {
		for _, c := range changes {
			if err := applyGroupChange(g, m, c); err != nil {
				return err
			}
		}
		g.Meta.LastModified = h.now().Truncate(1e6)
		return ValidateGroup(g)
	})
	if err != nil {
		return err
	}
	h.membersRemoved(r, removed)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func applyGroupChange(g *scim.Group, m center.Members, c groupChange) error {
	switch c.attr {
	case "displayname":
		g.DisplayName = c.value
	case "externalid":
		g.ExternalID = c.value
	case "members":
		switch {
		case c.all:
			return m.Replace(nil)
		case c.op == "add":
			return m.Add(c.members)
		case c.op == "remove":
			return m.Remove(c.members)
		default:
			return m.Replace(c.members)
		}
	}
	return nil
}

// planGroupOp turns one operation into changes, before anything is stored.
func planGroupOp(o op) ([]groupChange, error) {
	if o.path == nil {
		// Path-less replace/add: {"displayName": ..., "externalId": ...,
		// "members": [...]}; AWS's own example also repeats the "id".
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(o.value, &obj); err != nil {
			return nil, scim.PatchError("an operation without a path needs an object value")
		}
		var out []groupChange
		for k, v := range obj {
			if strings.EqualFold(k, "id") {
				continue
			}
			path, err := filter.ParsePath(k)
			if err != nil {
				return nil, scim.PatchError("invalid attribute " + k)
			}
			cs, err := planGroupOp(op{op: o.op, path: &path, raw: k, value: v})
			if err != nil {
				return nil, err
			}
			out = append(out, cs...)
		}
		return out, nil
	}
	p := o.path
	attr := strings.ToLower(scim.TopName(p.Attr))
	switch attr {
	case "displayname", "externalid":
		if p.Filter != nil || p.Attr.Sub != "" {
			return nil, scim.PatchError("invalid path " + o.raw)
		}
		if o.op == "remove" {
			if attr == "displayname" {
				return nil, scim.PatchError("displayName cannot be removed")
			}
			return []groupChange{{attr: attr, op: o.op}}, nil
		}
		var s string
		if err := json.Unmarshal(o.value, &s); err != nil {
			return nil, scim.PatchError(p.Attr.Name + " must be a string")
		}
		return []groupChange{{attr: attr, op: o.op, value: s}}, nil
	case "members":
		return planMembers(o)
	default:
		return nil, scim.PatchError("only displayName, externalId and members can be changed on a group, not " + o.raw)
	}
}

func planMembers(o op) ([]groupChange, error) {
	p := o.path
	if p.Filter != nil {
		// members[value eq "id"] (Entra with aadOptscim062020).
		if o.op != "remove" || p.Sub != "" {
			return nil, scim.PatchError("a members[...] path is supported for remove only")
		}
		cmps, ok := filter.Conjuncts(p.Filter)
		if !ok || len(cmps) != 1 || cmps[0].Op != "eq" || !strings.EqualFold(cmps[0].Path.Name, "value") {
			return nil, scim.PatchError(`the only supported members filter is members[value eq "<id>"]`)
		}
		id, ok := cmps[0].Value.(string)
		if !ok {
			return nil, scim.PatchError("a member value must be a string")
		}
		return []groupChange{{attr: "members", op: "remove", members: []string{id}}}, nil
	}
	if p.Attr.Sub != "" {
		return nil, scim.PatchError("invalid path " + o.raw)
	}
	if o.value == nil { // remove on "members" without a value empties the group
		return []groupChange{{attr: "members", op: o.op, all: true}}, nil
	}
	var ms []memberValue
	if err := strictUnmarshal(o.value, &ms); err != nil {
		return nil, scim.PatchError(`members must be a list of {"value": "<user id>"} objects`)
	}
	ids, err := memberIDs(ms)
	if err != nil {
		return nil, err
	}
	return []groupChange{{attr: "members", op: o.op, members: ids}}, nil
}
