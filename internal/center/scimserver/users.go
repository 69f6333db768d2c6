package scimserver

import (
	"net/http"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/scim"
)

// newID draws a resource id in the Identity Store's format: the 10-hex
// identity store suffix, a dash, and a UUID (see center.NewResourceID).
func (h *Handler) newID(r *http.Request) (string, error) {
	inst, err := h.Store.Instance(r.Context())
	if err != nil {
		return "", err
	}
	return center.NewResourceID(inst.IDPrefix), nil
}

func (h *Handler) meta(kind string) *scim.Meta {
	now := h.now().Truncate(1e6) // the store keeps milliseconds
	return &scim.Meta{ResourceType: kind, Created: now, LastModified: now}
}

func (h *Handler) location(r *http.Request, kind, id string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Prefix + "/" + kind + "/" + id
}

// createUser: POST /Users (RFC 7644 §3.3), 201 with the user.
func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	u, err := decodeUser(b)
	if err != nil {
		return err
	}
	if u.ID, err = h.newID(r); err != nil {
		return err
	}
	u.Meta = h.meta("User")
	if err := h.Store.CreateUser(r.Context(), u); err != nil {
		return err
	}
	w.Header().Set("Location", h.location(r, "Users", u.ID))
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := h.Store.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// putUser: PUT /Users/{id} replaces the user whole (RFC 7644 §3.5.1).
func (h *Handler) putUser(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	nu, err := decodeUser(b)
	if err != nil {
		return err
	}
	u, err := h.Store.UpdateUser(r.Context(), r.PathValue("id"), func(u *scim.User) error {
		created := u.Meta.Created
		*u = *nu
		u.ID = r.PathValue("id")
		u.Meta = h.meta("User")
		u.Meta.Created = created
		return nil
	})
	if err != nil {
		return err
	}
	h.userChanged(r, u)
	writeJSON(w, http.StatusOK, u)
	return nil
}

// patchUser: PATCH /Users/{id} (RFC 7644 §3.5.2); AWS answers 200 with the
// full user.
func (h *Handler) patchUser(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	ops, err := decodePatch(b)
	if err != nil {
		return err
	}
	if err := checkUserPatch(ops); err != nil {
		return err
	}
	u, err := h.Store.UpdateUser(r.Context(), r.PathValue("id"), func(u *scim.User) error {
		nu, err := applyUserPatch(u, ops)
		if err != nil {
			return err
		}
		nu.ID, nu.Meta = u.ID, u.Meta
		nu.Meta.LastModified = h.now().Truncate(1e6)
		*u = *nu
		return nil
	})
	if err != nil {
		return err
	}
	h.userChanged(r, u)
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := h.Store.DeleteUser(r.Context(), id); err != nil {
		return err
	}
	if h.OnUserChange != nil {
		h.OnUserChange(r.Context(), id, false)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) userChanged(r *http.Request, u *scim.User) {
	if h.OnUserChange != nil && !u.Active {
		h.OnUserChange(r.Context(), u.ID, false)
	}
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) error {
	p, err := parseList(r.URL.Query(), userFilterAttrs, "users")
	if err != nil {
		return err
	}
	page, err := h.Store.ListUsers(r.Context(), p.q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listResponse(p, page.Users, page.Total, page.Next))
	return nil
}
