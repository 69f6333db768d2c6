package graphapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/google/uuid"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// maxCreateBinds is how many members@odata.bind and owners@odata.bind
// together a group create may carry (Graph: "a maximum of 20
// relationships, such as owners and members").
const maxCreateBinds = 20

// unsupportedGroupProps are real Graph group properties this directory does
// not hold (it has security groups with assigned membership only).
var unsupportedGroupProps = map[string]bool{
	"visibility": true, "isAssignableToRole": true, "membershipRule": true, "membershipRuleProcessingState": true,
	"classification": true, "preferredDataLocation": true, "proxyAddresses": true,
	"theme": true, "resourceBehaviorOptions": true, "resourceProvisioningOptions": true,
}

// groupBinds are the references a group is created with.
type groupBinds struct{ members, owners []string }

// applyGroup sets the properties of a POST or PATCH body on g and returns
// the members@odata.bind and owners@odata.bind references (allowed on
// create only).
func applyGroup(g *directory.Group, body map[string]json.RawMessage, create bool) (groupBinds, error) {
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var binds groupBinds
	for _, k := range keys {
		raw := body[k]
		switch k {
		case "displayName", "description", "mailNickname":
			s, err := decodeString(directory.ResourceGroup, k, raw)
			if err != nil {
				return groupBinds{}, err
			}
			switch k {
			case "displayName":
				g.DisplayName = s
			case "description":
				g.Description = s
			default:
				g.MailNickname = s
			}
		case "securityEnabled":
			b, err := decodeBool(directory.ResourceGroup, k, raw)
			if err != nil {
				return groupBinds{}, err
			}
			g.SecurityEnabled = b
		case "mailEnabled":
			b, err := decodeBool(directory.ResourceGroup, k, raw)
			if err != nil {
				return groupBinds{}, err
			}
			if b {
				return groupBinds{}, badRequest("Mail-enabled groups are not supported: this directory holds security groups; set mailEnabled to false.")
			}
		case "groupTypes":
			ts, err := decodeStrings(directory.ResourceGroup, k, raw)
			if err != nil {
				return groupBinds{}, err
			}
			if len(ts) > 0 {
				return groupBinds{}, badRequest("groupTypes %q is not supported: this directory holds security groups with assigned membership only (groupTypes []); Microsoft 365 (Unified) and dynamic groups are not.", ts)
			}
		case "members@odata.bind", "owners@odata.bind":
			nav, _, _ := strings.Cut(k, "@")
			if !create {
				return groupBinds{}, badRequest("%s is only accepted when a group is created; add %s with POST /groups/{id}/%s/$ref.", k, nav, nav)
			}
			ss, err := decodeStrings(directory.ResourceGroup, nav, raw)
			if err != nil {
				return groupBinds{}, err
			}
			if nav == "members" {
				binds.members = ss
			} else {
				binds.owners = ss
			}
		default:
			switch {
			case strings.HasPrefix(k, "@odata."):
			case readOnly[k] || k == "mail":
				return groupBinds{}, badRequest("Property '%s' is read-only and cannot be set.", k)
			case unsupportedGroupProps[k]:
				return groupBinds{}, badRequest("Property '%s' is not supported by this directory.", k)
			default:
				return groupBinds{}, badRequest("Property '%s' does not exist as a declared property or extension property.", k)
			}
		}
	}
	return binds, nil
}

// objectRef is the object an "@odata.id" names.
type objectRef struct {
	raw        string
	collection string // "users", "groups" or "directoryobjects"
	key        string // an id, or a userPrincipalName under users
}

// parseRef reads {"@odata.id": "<any base>/directoryObjects/{id}"} (or
// .../users/{id} or .../groups/{id}). The base is not checked: scripts send
// https://graph.microsoft.com/v1.0, and this API's own URLs work as well.
func parseRef(body map[string]json.RawMessage) (objectRef, error) {
	raw, ok := body["@odata.id"]
	if !ok {
		return objectRef{}, badRequest("The request body must name the object with \"@odata.id\", such as {\"@odata.id\": \"https://graph.microsoft.com/v1.0/directoryObjects/{id}\"}.")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return objectRef{}, badRequest("\"@odata.id\" must be a string URL.")
	}
	return parseRefString(s)
}

func parseRefString(s string) (objectRef, error) {
	bad := badRequest("Invalid object identifier '%s'.", s)
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return objectRef{}, bad
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(segs) < 2 {
		return objectRef{}, bad
	}
	coll, key := strings.ToLower(segs[len(segs)-2]), segs[len(segs)-1]
	if key == "" || coll != "users" && coll != "groups" && coll != "directoryobjects" {
		return objectRef{}, bad
	}
	return objectRef{raw: s, collection: coll, key: key}, nil
}

// resolveRef finds the live user or group a reference names: 404 naming
// it when there is none (or it is of the wrong kind for /users or /groups).
func (h *Handler) resolveRef(ctx context.Context, ref objectRef) (kind, id string, err error) {
	if ref.collection != "groups" {
		u, err := h.resolveUser(ctx, ref.key)
		if err == nil {
			return directory.KindUser, u.ID, nil
		}
		if !isNotFound(err) || ref.collection == "users" {
			return "", "", err
		}
	}
	g, err := h.Store.GetGroup(ctx, ref.key)
	if errors.Is(err, directory.ErrNotFound) {
		return "", "", notFound(ref.key)
	}
	if err != nil {
		return "", "", fmt.Errorf("read group %s: %w", ref.key, err)
	}
	return directory.KindGroup, g.ID, nil
}

func (h *Handler) resolveGroup(ctx context.Context, id string) (*directory.Group, error) {
	g, err := h.Store.GetGroup(ctx, id)
	if errors.Is(err, directory.ErrNotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("read group %s: %w", id, err)
	}
	return g, nil
}

func (h *Handler) groupID(ctx context.Context, id string) (string, error) {
	g, err := h.resolveGroup(ctx, id)
	if err != nil {
		return "", err
	}
	return g.ID, nil
}

// GET /groups
func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, groupResource)
	if err != nil {
		return err
	}
	eq, sw, none := q.storeFilter()
	var page []object
	next := ""
	if !none {
		groups, err := h.Store.ListGroups(r.Context(), directory.GroupQuery{Eq: eq, StartsWith: sw, After: q.after, Limit: q.top + 1})
		if err != nil {
			return fmt.Errorf("list groups: %w", err)
		}
		if len(groups) > q.top {
			groups = groups[:q.top]
			next = groups[len(groups)-1].ID
		}
		for _, g := range groups {
			page = append(page, groupObject(g, false))
		}
	}
	h.writeCollection(w, r, "groups", q, page, next)
	return nil
}

// POST /groups: 201 with the group. Members and owners given with
// members@odata.bind and owners@odata.bind are resolved before anything is
// written; if adding one fails, the group is deleted again.
func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request) error {
	body, err := readObject(r)
	if err != nil {
		return err
	}
	g := &directory.Group{SecurityEnabled: true}
	binds, err := applyGroup(g, body, true)
	if err != nil {
		return err
	}
	now := h.now().Truncate(time.Millisecond)
	g.ID, g.Created, g.Modified = uuid.NewString(), now, now
	directory.FillGroupDefaults(g)
	directory.NormalizeGroup(g)
	if err := directory.ValidateGroup(g); err != nil {
		return err
	}
	if n := len(binds.members) + len(binds.owners); n > maxCreateBinds {
		return badRequest("A group can be created with at most %d members@odata.bind and owners@odata.bind together; add the other %d with POST /groups/{id}/members/$ref or /owners/$ref.", maxCreateBinds, n-maxCreateBinds)
	}
	members, err := h.resolveBinds(r.Context(), binds.members, false)
	if err != nil {
		return err
	}
	owners, err := h.resolveBinds(r.Context(), binds.owners, true)
	if err != nil {
		return err
	}
	if err := h.Store.CreateGroup(r.Context(), g); err != nil {
		return fmt.Errorf("create group %q: %w", g.DisplayName, err)
	}
	undo := func(what, id string, err error) error {
		if derr := h.Store.DeleteGroup(r.Context(), g.ID, now); derr != nil {
			h.log().ErrorContext(r.Context(), "graph: undo group create", "id", g.ID, "err", derr)
		}
		return fmt.Errorf("add %s %s to new group: %w", what, id, err)
	}
	for _, m := range members {
		if err := h.Store.AddMember(r.Context(), g.ID, m, now); err != nil {
			return undo("member", m, err)
		}
	}
	for _, o := range owners {
		if err := h.Store.AddOwner(r.Context(), g.ID, o, now); err != nil {
			return undo("owner", o, err)
		}
	}
	h.log().InfoContext(r.Context(), "graph: group created", "id", g.ID, "displayName", g.DisplayName,
		"members", len(members), "owners", len(owners))
	h.writeEntity(w, r, http.StatusCreated, "groups/$entity", groupObject(g, false))
	return nil
}

// resolveBinds resolves @odata.bind references to object ids, once each;
// owners must be users.
func (h *Handler) resolveBinds(ctx context.Context, binds []string, owners bool) ([]string, error) {
	var ids []string
	for _, b := range binds {
		ref, err := parseRefString(b)
		if err != nil {
			return nil, err
		}
		kind, id, err := h.resolveRef(ctx, ref)
		if err != nil {
			return nil, err
		}
		if owners && kind != directory.KindUser {
			return nil, errOwnerKind(id)
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// GET /groups/{id}
func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request) error {
	if strings.EqualFold(r.PathValue("id"), "$count") {
		return unsupportedQuery("$count is not supported by this directory; page through the collection with $top and @odata.nextLink instead.")
	}
	q, err := parseQuery(r, groupResource)
	if err != nil {
		return err
	}
	g, err := h.resolveGroup(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	h.writeEntity(w, r, http.StatusOK, "groups"+q.contextSuffix()+"/$entity", project(groupObject(g, false), q.sel))
	return nil
}

// PATCH /groups/{id}: 204.
func (h *Handler) patchGroup(w http.ResponseWriter, r *http.Request) error {
	g0, err := h.resolveGroup(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	body, err := readObject(r)
	if err != nil {
		return err
	}
	now := h.now().Truncate(time.Millisecond)
	_, err = h.Store.UpdateGroup(r.Context(), g0.ID, func(g *directory.Group) error {
		before := *g
		if _, err := applyGroup(g, body, false); err != nil {
			return err
		}
		directory.NormalizeGroup(g)
		if err := directory.ValidateGroup(g); err != nil {
			return err
		}
		if before == *g {
			return errUnchanged
		}
		g.Modified = now
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return fmt.Errorf("update group %s: %w", g0.ID, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// DELETE /groups/{id}: 204. Security groups are deleted for good, as in
// Entra ID (they never enter deletedItems).
func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := h.resolveGroup(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := h.Store.DeleteGroup(r.Context(), g.ID, h.now()); err != nil {
		return fmt.Errorf("delete group %s: %w", g.ID, err)
	}
	h.log().InfoContext(r.Context(), "graph: group deleted", "id", g.ID, "displayName", g.DisplayName)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// members returns the group's members as directoryObjects: direct ones, or
// with transitive every user and group below it. Soft-deleted users are
// left out, as Entra does while they are in the recycle bin.
func (h *Handler) members(ctx context.Context, groupID string, transitive bool) ([]object, error) {
	seen := map[string]bool{groupID: true}
	var out []object
	queue := []string{groupID}
	for len(queue) > 0 {
		gid := queue[0]
		queue = queue[1:]
		ms, err := h.Store.Members(ctx, gid)
		if err != nil {
			return nil, fmt.Errorf("members of %s: %w", gid, err)
		}
		for _, m := range ms {
			if seen[m.ID] {
				continue
			}
			seen[m.ID] = true
			switch m.Kind {
			case directory.KindUser:
				u, err := h.Store.GetUser(ctx, m.ID)
				if errors.Is(err, directory.ErrNotFound) || err == nil && u.Deleted != nil {
					continue
				}
				if err != nil {
					return nil, fmt.Errorf("read user %s: %w", m.ID, err)
				}
				out = append(out, userObject(u, true))
			case directory.KindGroup:
				g, err := h.Store.GetGroup(ctx, m.ID)
				if errors.Is(err, directory.ErrNotFound) {
					continue
				}
				if err != nil {
					return nil, fmt.Errorf("read group %s: %w", m.ID, err)
				}
				out = append(out, groupObject(g, true))
				if transitive {
					queue = append(queue, m.ID)
				}
			}
		}
	}
	return out, nil
}

// GET /groups/{id}/members: users and groups, each with its @odata.type.
func (h *Handler) listMembers(w http.ResponseWriter, r *http.Request) error {
	return h.listMembersOf(w, r, false)
}

// GET /groups/{id}/transitiveMembers
func (h *Handler) listTransitiveMembers(w http.ResponseWriter, r *http.Request) error {
	return h.listMembersOf(w, r, true)
}

func (h *Handler) listMembersOf(w http.ResponseWriter, r *http.Request, transitive bool) error {
	return h.listOf(w, r, func(ctx context.Context, gid string) ([]object, error) { return h.members(ctx, gid, transitive) })
}

// listOf answers the collection of directoryObjects of group {id} that
// load lists.
func (h *Handler) listOf(w http.ResponseWriter, r *http.Request, load func(context.Context, string) ([]object, error)) error {
	q, err := parseQuery(r, objectResource)
	if err != nil {
		return err
	}
	g, err := h.resolveGroup(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	objs, err := load(r.Context(), g.ID)
	if err != nil {
		return err
	}
	page, next := q.pageOf(objs)
	h.writeCollection(w, r, "directoryObjects", q, page, next)
	return nil
}

// GET /groups/{id}/members/microsoft.graph.user (or .group): the members
// of one type, the OData cast.
func (h *Handler) listMembersCast(w http.ResponseWriter, r *http.Request) error {
	return h.listCast(w, r, func(ctx context.Context, gid string) ([]object, error) { return h.members(ctx, gid, false) })
}

// listCast answers the cast segment {cast} of a group's directoryObjects
// that load lists.
func (h *Handler) listCast(w http.ResponseWriter, r *http.Request, load func(context.Context, string) ([]object, error)) error {
	var res *resource
	var want, set string
	switch strings.ToLower(r.PathValue("cast")) {
	case "microsoft.graph.user":
		res, want, set = userResource, typeUser, "users"
	case "microsoft.graph.group":
		res, want, set = groupResource, typeGroup, "groups"
	default:
		return &graphError{status: http.StatusBadRequest, code: codeSegment,
			msg: fmt.Sprintf("Resource not found for the segment '%s'.", r.PathValue("cast"))}
	}
	q, err := parseQuery(r, res)
	if err != nil {
		return err
	}
	g, err := h.resolveGroup(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	objs, err := load(r.Context(), g.ID)
	if err != nil {
		return err
	}
	var typed []object
	for _, o := range objs {
		if t, _ := o.get("@odata.type"); t == want {
			typed = append(typed, o[1:]) // without @odata.type: the cast names it
		}
	}
	page, next := q.pageOf(typed)
	h.writeCollection(w, r, set, q, page, next)
	return nil
}

// POST /groups/{id}/members/$ref with {"@odata.id": ".../directoryObjects/{id}"}:
// 204. An unknown member is 404; a member added twice is Graph's 400 "One
// or more added object references already exist"; a group that would
// contain itself is 400.
func (h *Handler) addMember(w http.ResponseWriter, r *http.Request) error {
	g, _, mid, err := h.groupRef(r)
	if err != nil {
		return err
	}
	if err := h.Store.AddMember(r.Context(), g.ID, mid, h.now()); err != nil {
		return fmt.Errorf("add %s to group %s: %w", mid, g.ID, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// groupRef reads a $ref request to group {id}: the group, and the kind
// and id of the live user or group its body's "@odata.id" names.
func (h *Handler) groupRef(r *http.Request) (g *directory.Group, kind, id string, err error) {
	if g, err = h.resolveGroup(r.Context(), r.PathValue("id")); err != nil {
		return nil, "", "", err
	}
	body, err := readObject(r)
	if err != nil {
		return nil, "", "", err
	}
	ref, err := parseRef(body)
	if err != nil {
		return nil, "", "", err
	}
	kind, id, err = h.resolveRef(r.Context(), ref)
	if err != nil {
		return nil, "", "", err
	}
	return g, kind, id, nil
}

// DELETE /groups/{id}/members/{memberId}/$ref: 204, or 404 naming the
// member when it is not a direct member.
func (h *Handler) removeMember(w http.ResponseWriter, r *http.Request) error {
	g, err := h.resolveGroup(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	mid := r.PathValue("mid")
	if err := h.Store.RemoveMember(r.Context(), g.ID, mid, h.now()); err != nil {
		return fmt.Errorf("remove %s from group %s: %w", mid, g.ID, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET /groups/{id}/memberOf
func (h *Handler) groupMemberOf(w http.ResponseWriter, r *http.Request) error {
	return h.memberOf(w, r, h.groupID, false)
}

// GET /groups/{id}/transitiveMemberOf
func (h *Handler) groupTransitiveMemberOf(w http.ResponseWriter, r *http.Request) error {
	return h.memberOf(w, r, h.groupID, true)
}

// GET /directoryObjects/{id}: a live user or a group, with its @odata.type.
func (h *Handler) getDirectoryObject(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, objectResource)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	var o object
	u, err := h.resolveUser(r.Context(), id)
	switch {
	case err == nil:
		o = userObject(u, true)
	case isNotFound(err):
		g, err := h.resolveGroup(r.Context(), id)
		if err != nil {
			return err
		}
		o = groupObject(g, true)
	default:
		return err
	}
	h.writeEntity(w, r, http.StatusOK, "directoryObjects/$entity", project(o, q.sel))
	return nil
}

// isNotFound tells whether err is a 404 built by notFound.
func isNotFound(err error) bool {
	var ge *graphError
	return errors.As(err, &ge) && ge.status == http.StatusNotFound
}
