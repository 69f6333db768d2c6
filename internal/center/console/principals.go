package console

import (
	"errors"
	"net/http"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/scim"
)

// The pages of one user and one group of the identity store: who they are
// (as SCIM provisioned them; they change at the identity source), their
// groups or members, and their access with links to each account,
// permission set and group it comes through.

type userData struct {
	User   *scim.User
	Groups []*scim.Group
	// Access is every account and permission set the user reaches,
	// directly or through groups (center.AccessStore.EffectiveAccess).
	Access []*center.Access
}

// PSPath is the page of a permission set, for the template.
func (*userData) PSPath(ps *center.PermissionSet) string { return psPath(ps.ARN) }

func (h *Handler) user(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	u, err := h.Store.GetUser(ctx, r.PathValue("id"))
	if !h.found(w, r, err, "read user", "There is no such user: the identity source may have deleted it.") {
		return
	}
	d := &userData{User: u}
	if d.Groups, err = h.userGroups(ctx, u.ID); err != nil {
		h.fail(w, r, "user groups", err)
		return
	}
	if d.Access, err = h.Store.EffectiveAccess(ctx, u.ID); err != nil {
		h.fail(w, r, "effective access", err)
		return
	}
	h.render(w, "user", http.StatusOK, h.page(r, a, "User "+u.UserName, Prefix+"/users", d))
}

// groupData shows the group's own assignments: its members reach each.
type groupData struct {
	assignmentsData
	Group   *scim.Group
	Members []*scim.User
}

func (h *Handler) group(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	g, err := h.Store.GetGroup(ctx, r.PathValue("id"))
	if !h.found(w, r, err, "read group", "There is no such group: the identity source may have deleted it.") {
		return
	}
	d := &groupData{Group: g}
	d.Path = principalPath(center.PrincipalGroup, g.ID)
	ids, err := center.GroupMemberIDs(ctx, h.Store, g.ID)
	if err != nil {
		h.fail(w, r, "group members", err)
		return
	}
	for _, id := range ids {
		u, err := h.Store.GetUser(ctx, id)
		if errors.Is(err, center.ErrNotFound) {
			continue // deleted since the list was read
		}
		if err != nil {
			h.fail(w, r, "read member", err)
			return
		}
		d.Members = append(d.Members, u)
	}
	if d.Assignments, err = h.principalRows(r, center.PrincipalGroup, g.ID); err != nil {
		h.fail(w, r, "group assignments", err)
		return
	}
	h.render(w, "group", http.StatusOK, h.page(r, a, "Group "+g.DisplayName, Prefix+"/groups", d))
}

// principalRows are a principal's own assignments, by account then
// permission set.
func (h *Handler) principalRows(r *http.Request, typ center.PrincipalType, id string) ([]assignmentRow, error) {
	ctx := r.Context()
	as, err := h.Store.AssignmentsForPrincipal(ctx, typ, id)
	if err != nil || len(as) == 0 {
		return nil, err
	}
	accts, err := h.Store.ListAccounts(ctx)
	if err != nil {
		return nil, err
	}
	sets, err := h.Store.ListPermissionSets(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]*center.Account{}
	for _, acct := range accts {
		byID[acct.ID] = acct
	}
	byARN := map[string]*center.PermissionSet{}
	for _, ps := range sets {
		byARN[ps.ARN] = ps
	}
	name := h.principalNames(ctx)
	var out []assignmentRow
	for _, x := range as {
		acct, ps := byID[x.AccountID], byARN[x.PermissionSetARN]
		if acct == nil || ps == nil {
			continue // removed since the assignments were read
		}
		out = append(out, assignmentRow{Account: acct, PS: ps, Type: string(typ), PrincipalID: id, Principal: name(typ, id)})
	}
	return out, nil
}
