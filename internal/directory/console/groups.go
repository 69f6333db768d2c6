package console

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// newID is a directory object id (UUIDv7, as directorydb.NewID).
func newID() string { return uuid.Must(uuid.NewV7()).String() }

type groupsData struct {
	Groups []groupRow
}

type groupRow struct {
	G       *directory.Group
	Members int
}

func (h *Handler) groups(w http.ResponseWriter, r *http.Request, a *access) {
	gs, err := h.Store.ListGroups(r.Context(), directory.GroupQuery{Limit: 1000})
	if err != nil {
		h.fail(w, r, "list groups", err)
		return
	}
	sortGroups(gs)
	var d groupsData
	for _, g := range gs {
		ms, err := h.Store.Members(r.Context(), g.ID)
		if err != nil {
			h.fail(w, r, "list members", err)
			return
		}
		d.Groups = append(d.Groups, groupRow{G: g, Members: len(ms)})
	}
	h.render(w, "groups", http.StatusOK, h.page(r, a, "Groups", Prefix+"/groups", d))
}

type memberRow struct {
	ID, Kind, Name, Detail string
	Enabled                bool
}

type groupData struct {
	G        *directory.Group
	Members  []memberRow
	MemberOf []*directory.Group
	Owners   []ownerRow
}

func (h *Handler) loadGroup(w http.ResponseWriter, r *http.Request) (*groupData, bool) {
	ctx := r.Context()
	g, err := h.Store.GetGroup(ctx, r.PathValue("id"))
	if !h.found(w, r, err, "read group") {
		return nil, false
	}
	d := &groupData{G: g}
	if d.Owners, err = h.loadOwners(ctx, g.ID); err != nil {
		h.fail(w, r, "list owners", err)
		return nil, false
	}
	ms, err := h.Store.Members(ctx, g.ID)
	if err != nil {
		h.fail(w, r, "list members", err)
		return nil, false
	}
	for _, m := range ms {
		row := memberRow{ID: m.ID, Kind: m.Kind, Enabled: true}
		if m.Kind == directory.KindGroup {
			if mg, err := h.Store.GetGroup(ctx, m.ID); err == nil {
				row.Name, row.Detail = mg.DisplayName, "group"
			}
		} else if u, err := h.Store.GetUser(ctx, m.ID); err == nil {
			row.Name, row.Detail, row.Enabled = u.DisplayName, u.UserPrincipalName, u.AccountEnabled
		}
		d.Members = append(d.Members, row)
	}
	slices.SortFunc(d.Members, func(x, y memberRow) int { return strings.Compare(x.Kind+x.Name, y.Kind+y.Name) })
	parents, err := h.Store.MemberOf(ctx, g.ID)
	if err != nil {
		h.fail(w, r, "read memberships", err)
		return nil, false
	}
	for _, id := range parents {
		if pg, err := h.Store.GetGroup(ctx, id); err == nil {
			d.MemberOf = append(d.MemberOf, pg)
		}
	}
	return d, true
}

func (h *Handler) group(w http.ResponseWriter, r *http.Request, a *access) {
	d, ok := h.loadGroup(w, r)
	if !ok {
		return
	}
	h.render(w, "group", http.StatusOK, h.page(r, a, d.G.DisplayName, Prefix+"/groups", d))
}

// resolveMember finds a user by userPrincipalName or a group by display
// name.
func (h *Handler) resolveMember(r *http.Request, name string) (id, kind string, err error) {
	ctx := r.Context()
	if u, err := h.Store.UserByUPN(ctx, name); err == nil {
		return u.ID, directory.KindUser, nil
	} else if !errors.Is(err, directory.ErrNotFound) {
		return "", "", err
	}
	gs, err := h.Store.ListGroups(ctx, directory.GroupQuery{Eq: map[string]string{"displayName": name}, Limit: 2})
	if err != nil {
		return "", "", err
	}
	if len(gs) == 1 {
		return gs[0].ID, directory.KindGroup, nil
	}
	return "", "", directory.ErrNotFound
}

// namedPrincipal resolves what an admin typed to name a user or a group
// (resolveMember); msg, for the field, says what is wrong with it, "" when
// it names one.
func (h *Handler) namedPrincipal(r *http.Request, name string) (id, kind, msg string, err error) {
	if name == "" {
		return "", "", "Enter a user principal name or a group name.", nil
	}
	id, kind, err = h.resolveMember(r, name)
	if errors.Is(err, directory.ErrNotFound) {
		return "", "", "No user has this user principal name and no group has this name.", nil
	}
	return id, kind, "", err
}

func (h *Handler) addMember(w http.ResponseWriter, r *http.Request, a *access) {
	gid := r.PathValue("id")
	name := strings.TrimSpace(r.PostFormValue("member"))
	fail := func(msg string) {
		h.groupFormError(w, r, a, "member", name, "No member was added: correct the field marked below.", msg)
	}
	id, _, msg, err := h.namedPrincipal(r, name)
	if err != nil {
		h.fail(w, r, "find member", err)
		return
	}
	if msg != "" {
		fail(msg)
		return
	}
	err = h.Store.AddMember(r.Context(), gid, id, h.now())
	switch {
	case errors.Is(err, directory.ErrConflict):
		fail("This is already a member of the group.")
		return
	case errors.Is(err, directory.ErrInvalid):
		fail("A group cannot contain itself or a group that contains it.")
		return
	case errors.Is(err, directory.ErrNotFound):
		h.notFound(w)
		return
	case err != nil:
		h.fail(w, r, "add member", err)
		return
	}
	redirect(w, r, Prefix+"/groups/"+gid, "group-added")
}

func (h *Handler) removeGroupMember(w http.ResponseWriter, r *http.Request, a *access) {
	gid := r.PathValue("id")
	if done := h.removeMember(w, r, gid, r.PostFormValue("member")); done != "" {
		redirect(w, r, Prefix+"/groups/"+gid, done)
	}
}

// removeMember takes memberID out of group gid and returns the flash to
// show: a second click on Remove (the member is gone already) changes
// nothing and says so. On a failure it has answered and returns "".
func (h *Handler) removeMember(w http.ResponseWriter, r *http.Request, gid, memberID string) string {
	err := h.Store.RemoveMember(r.Context(), gid, memberID, h.now())
	switch {
	case errors.Is(err, directory.ErrNotFound):
		return "not-member"
	case err != nil:
		h.fail(w, r, "remove member", err)
		return ""
	}
	return "group-remove"
}
