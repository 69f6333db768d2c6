package graphapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// Group owners (Graph's owners navigation of a group, and ownedObjects of
// a user). Graph allows users and service principals as owners; this
// directory has users only, so a group named as an owner is refused.
// Owners are not members: they get no access through the group and are
// not provisioned. Governance reads them: PIM activations that the
// group's owners approve, and access reviews by the group's owners.
// Graph's documentation says the last owner of a group cannot be removed;
// this directory allows it (a security group without owners is
// administered by admins alone), so an admin can always hand a group over.

// errOwnerKind refuses a group named as an owner.
func errOwnerKind(id string) error {
	return badRequest("Group '%s' cannot be an owner: a group's owners are users.", id)
}

// owners returns the group's owners as directoryObjects. Soft-deleted users
// are left out while they are in the recycle bin, as members are; restored,
// they own the group again.
func (h *Handler) owners(ctx context.Context, groupID string) ([]object, error) {
	ids, err := h.Store.Owners(ctx, groupID)
	if err != nil {
		return nil, fmt.Errorf("owners of %s: %w", groupID, err)
	}
	var out []object
	for _, id := range ids {
		u, err := h.Store.GetUser(ctx, id)
		if errors.Is(err, directory.ErrNotFound) || err == nil && u.Deleted != nil {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read user %s: %w", id, err)
		}
		out = append(out, userObject(u, true))
	}
	return out, nil
}

// GET /groups/{id}/owners: the owners, each with its @odata.type.
func (h *Handler) listOwners(w http.ResponseWriter, r *http.Request) error {
	return h.listOf(w, r, h.owners)
}

// GET /groups/{id}/owners/microsoft.graph.user (or .group, always empty).
func (h *Handler) listOwnersCast(w http.ResponseWriter, r *http.Request) error {
	return h.listCast(w, r, h.owners)
}

// POST /groups/{id}/owners/$ref with {"@odata.id": ".../directoryObjects/{id}"}:
// 204. An unknown user is 404; a group is 400; an owner added twice is
// Graph's 400 "One or more added object references already exist".
func (h *Handler) addOwner(w http.ResponseWriter, r *http.Request) error {
	g, kind, id, err := h.groupRef(r)
	if err != nil {
		return err
	}
	if kind != directory.KindUser {
		return errOwnerKind(id)
	}
	if err := h.Store.AddOwner(r.Context(), g.ID, id, h.now()); err != nil {
		return fmt.Errorf("add owner %s to group %s: %w", id, g.ID, err)
	}
	h.log().InfoContext(r.Context(), "graph: group owner added", "group", g.ID, "owner", id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// DELETE /groups/{id}/owners/{ownerId}/$ref: 204, or 404 naming the owner
// when the user does not own the group.
func (h *Handler) removeOwner(w http.ResponseWriter, r *http.Request) error {
	g, err := h.resolveGroup(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	id := r.PathValue("mid")
	if err := h.Store.RemoveOwner(r.Context(), g.ID, id); err != nil {
		return fmt.Errorf("remove owner %s from group %s: %w", id, g.ID, err)
	}
	h.log().InfoContext(r.Context(), "graph: group owner removed", "group", g.ID, "owner", id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET /users/{id}/ownedObjects: the groups the user owns, as
// directoryObjects.
func (h *Handler) listOwnedObjects(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, objectResource)
	if err != nil {
		return err
	}
	u, err := h.resolveUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	ids, err := h.Store.OwnedGroups(r.Context(), u.ID)
	if err != nil {
		return fmt.Errorf("groups owned by %s: %w", u.ID, err)
	}
	var objs []object
	for _, id := range ids {
		g, err := h.Store.GetGroup(r.Context(), id)
		if errors.Is(err, directory.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return fmt.Errorf("read group %s: %w", id, err)
		}
		objs = append(objs, groupObject(g, true))
	}
	page, next := q.pageOf(objs)
	h.writeCollection(w, r, "directoryObjects", q, page, next)
	return nil
}
