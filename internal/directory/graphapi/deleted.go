package graphapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// The recycle bin (Graph's directory/deletedItems). A deleted user stays
// restorable for directory.SoftDeleteRetention (30 days, as in Entra ID);
// after that it is treated as gone here even before the purge job has
// removed it. Security groups are deleted for good, so the group cast is
// always empty, as Graph documents.

// expired tells whether a soft-deleted user is past the retention period.
func (h *Handler) expired(u *directory.User) bool {
	return u.Deleted != nil && h.now().Sub(*u.Deleted) > directory.SoftDeleteRetention
}

// deletedUser returns a user that is in the recycle bin, or 404.
func (h *Handler) deletedUser(ctx context.Context, id string) (*directory.User, error) {
	u, err := h.Store.GetUser(ctx, id)
	if errors.Is(err, directory.ErrNotFound) || err == nil && (u.Deleted == nil || h.expired(u)) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("read user %s: %w", id, err)
	}
	return u, nil
}

// GET /directory/deletedItems/microsoft.graph.user
func (h *Handler) listDeletedUsers(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, userResource)
	if err != nil {
		return err
	}
	page, next, err := h.queryUsers(r.Context(), q, true)
	if err != nil {
		return err
	}
	h.writeCollection(w, r, "users", q, page, next)
	return nil
}

// GET /directory/deletedItems/microsoft.graph.group: always empty.
func (h *Handler) listDeletedGroups(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, groupResource)
	if err != nil {
		return err
	}
	h.writeCollection(w, r, "groups", q, nil, "")
	return nil
}

// GET /directory/deletedItems/{id}
func (h *Handler) getDeletedItem(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, userResource)
	if err != nil {
		return err
	}
	u, err := h.deletedUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	h.writeEntity(w, r, http.StatusOK, "directoryObjects/$entity", project(userObject(u, true), q.sel))
	return nil
}

// POST /directory/deletedItems/{id}/restore: 200 with the restored user.
// Restoring onto a userPrincipalName that a live user has taken since is
// 400, as in Entra ID.
func (h *Handler) restoreDeletedItem(w http.ResponseWriter, r *http.Request) error {
	u, err := h.deletedUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	restored, err := h.Store.RestoreUser(r.Context(), u.ID, h.now())
	if err != nil {
		return fmt.Errorf("restore user %s: %w", u.ID, err)
	}
	h.log().InfoContext(r.Context(), "graph: user restored", "id", u.ID, "upn", restored.UserPrincipalName)
	h.writeEntity(w, r, http.StatusOK, "directoryObjects/$entity", userObject(restored, true))
	return nil
}

// DELETE /directory/deletedItems/{id}: 204; the user is removed for good
// (provisioning turns this into a SCIM DELETE). Only users in the recycle
// bin can be purged; a live user is 404 here, as in Graph.
func (h *Handler) purgeDeletedItem(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	u, err := h.Store.GetUser(r.Context(), id)
	if errors.Is(err, directory.ErrNotFound) || err == nil && u.Deleted == nil {
		return notFound(id)
	}
	if err != nil {
		return fmt.Errorf("read user %s: %w", id, err)
	}
	if err := h.Store.PurgeUser(r.Context(), id, h.now()); err != nil {
		return fmt.Errorf("purge user %s: %w", id, err)
	}
	h.log().InfoContext(r.Context(), "graph: user purged", "id", id, "upn", u.UserPrincipalName)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
