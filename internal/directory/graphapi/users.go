package graphapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/google/uuid"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// userStrings are the writable string properties of a user.
var userStrings = map[string]func(*directory.User) *string{
	"userPrincipalName": func(u *directory.User) *string { return &u.UserPrincipalName },
	"displayName":       func(u *directory.User) *string { return &u.DisplayName },
	"givenName":         func(u *directory.User) *string { return &u.GivenName },
	"surname":           func(u *directory.User) *string { return &u.Surname },
	"mail":              func(u *directory.User) *string { return &u.Mail },
	"mailNickname":      func(u *directory.User) *string { return &u.MailNickname },
	"jobTitle":          func(u *directory.User) *string { return &u.JobTitle },
	"department":        func(u *directory.User) *string { return &u.Department },
	"employeeId":        func(u *directory.User) *string { return &u.EmployeeID },
	"companyName":       func(u *directory.User) *string { return &u.CompanyName },
	"mobilePhone":       func(u *directory.User) *string { return &u.MobilePhone },
	"officeLocation":    func(u *directory.User) *string { return &u.OfficeLocation },
	"streetAddress":     func(u *directory.User) *string { return &u.StreetAddress },
	"city":              func(u *directory.User) *string { return &u.City },
	"state":             func(u *directory.User) *string { return &u.State },
	"postalCode":        func(u *directory.User) *string { return &u.PostalCode },
	"country":           func(u *directory.User) *string { return &u.Country },
	"preferredLanguage": func(u *directory.User) *string { return &u.PreferredLanguage },
	"usageLocation":     func(u *directory.User) *string { return &u.UsageLocation },
}

// readOnly are properties Graph computes; a body may not set them.
var readOnly = map[string]bool{"id": true, "createdDateTime": true, "deletedDateTime": true}

// unsupportedUserProps are real Graph user properties this directory does
// not hold; they are refused by name rather than as unknown.
var unsupportedUserProps = map[string]bool{
	"passwordPolicies": true, "otherMails": true, "onPremisesImmutableId": true, "userType": true,
	"employeeType": true, "employeeHireDate": true, "employeeOrgData": true, "ageGroup": true,
	"consentProvidedForMinor": true, "faxNumber": true, "identities": true, "showInAddressList": true,
	"proxyAddresses": true, "onPremisesExtensionAttributes": true, "preferredDataLocation": true,
	"manager@odata.bind": true,
}

func attrErr(resource, attr, reason string) error {
	return &directory.AttrError{Resource: resource, Attr: attr, Reason: reason}
}

// decodeString reads a string property; null clears it.
func decodeString(resource, attr string, raw json.RawMessage) (string, error) {
	if string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", attrErr(resource, attr, "expected a string (Edm.String)")
	}
	return s, nil
}

func decodeBool(resource, attr string, raw json.RawMessage) (bool, error) {
	var b *bool
	if err := json.Unmarshal(raw, &b); err != nil || b == nil {
		return false, attrErr(resource, attr, "expected true or false (Edm.Boolean)")
	}
	return *b, nil
}

func decodeStrings(resource, attr string, raw json.RawMessage) ([]string, error) {
	var ss []string
	if err := json.Unmarshal(raw, &ss); err != nil || ss == nil {
		return nil, attrErr(resource, attr, "expected an array of strings")
	}
	return ss, nil
}

// applyUser sets the properties of a POST or PATCH body on u, key by key in
// sorted order (so the first error is always the same one).
//
// passwordProfile is accepted and discarded on create: Graph requires it
// there, so scripts send it, but the directory has no password sign-in yet,
// and a password must never reach the stored user or the logs. On PATCH (a
// password reset) it is refused, so that no script believes a reset
// happened.
func applyUser(u *directory.User, body map[string]json.RawMessage, create bool) error {
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		raw := body[k]
		switch {
		case strings.HasPrefix(k, "@odata."):
			// annotations such as @odata.type
		case k == "passwordProfile" && !create:
			return badRequest("Property 'passwordProfile' cannot be changed: this directory has no password sign-in yet, so there is no password to reset.")
		case k == "passwordProfile":
			if t := strings.TrimSpace(string(raw)); t != "null" && !strings.HasPrefix(t, "{") {
				return attrErr(directory.ResourceUser, k, "expected an object (passwordProfile)")
			}
		case k == "accountEnabled":
			b, err := decodeBool(directory.ResourceUser, k, raw)
			if err != nil {
				return err
			}
			u.AccountEnabled = b
		case k == "businessPhones":
			ss, err := decodeStrings(directory.ResourceUser, k, raw)
			if err != nil {
				return err
			}
			u.BusinessPhones = ss
		case userStrings[k] != nil:
			s, err := decodeString(directory.ResourceUser, k, raw)
			if err != nil {
				return err
			}
			*userStrings[k](u) = s
		case readOnly[k]:
			return badRequest("Property '%s' is read-only and cannot be set.", k)
		case unsupportedUserProps[k]:
			return badRequest("Property '%s' is not supported by this directory.", k)
		default:
			return badRequest("Property '%s' does not exist as a declared property or extension property.", k)
		}
	}
	return nil
}

// resolveUser finds a live user by id or, as Graph allows in the path, by
// userPrincipalName.
func (h *Handler) resolveUser(ctx context.Context, key string) (*directory.User, error) {
	var u *directory.User
	var err error
	if strings.Contains(key, "@") {
		u, err = h.Store.UserByUPN(ctx, key)
	} else {
		u, err = h.Store.GetUser(ctx, key)
	}
	if errors.Is(err, directory.ErrNotFound) || err == nil && u.Deleted != nil {
		return nil, notFound(key)
	}
	if err != nil {
		return nil, fmt.Errorf("read user %q: %w", key, err)
	}
	return u, nil
}

// GET /users
func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, userResource)
	if err != nil {
		return err
	}
	page, next, err := h.queryUsers(r.Context(), q, false)
	if err != nil {
		return err
	}
	h.writeCollection(w, r, "users", q, page, next)
	return nil
}

// queryUsers runs a user query on the store: one page and the id after
// which the next page starts ("" on the last page).
func (h *Handler) queryUsers(ctx context.Context, q *query, deleted bool) ([]object, string, error) {
	eq, sw, none := q.storeFilter()
	if none {
		return nil, "", nil
	}
	users, err := h.Store.ListUsers(ctx, directory.UserQuery{Eq: eq, StartsWith: sw, Deleted: deleted,
		After: q.after, Limit: q.top + 1})
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	next := ""
	if len(users) > q.top {
		users = users[:q.top]
		next = users[len(users)-1].ID
	}
	page := make([]object, 0, len(users))
	for _, u := range users {
		if deleted && h.expired(u) {
			continue
		}
		page = append(page, userObject(u, false))
	}
	return page, next, nil
}

// POST /users
func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) error {
	body, err := readObject(r)
	if err != nil {
		return err
	}
	u := &directory.User{AccountEnabled: directory.DefaultAccountEnabled, BusinessPhones: []string{}}
	if err := applyUser(u, body, true); err != nil {
		return err
	}
	now := h.now().Truncate(time.Millisecond)
	u.ID, u.Created, u.Modified = uuid.NewString(), now, now
	directory.FillUserDefaults(u)
	directory.NormalizeUser(u)
	if err := directory.ValidateUser(u); err != nil {
		return err
	}
	if err := h.Store.CreateUser(r.Context(), u); err != nil {
		return fmt.Errorf("create user %q: %w", u.UserPrincipalName, err)
	}
	h.log().InfoContext(r.Context(), "graph: user created", "id", u.ID, "upn", u.UserPrincipalName)
	h.writeEntity(w, r, http.StatusCreated, "users/$entity", userObject(u, false))
	return nil
}

// GET /users/{id | userPrincipalName}
func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) error {
	if strings.EqualFold(r.PathValue("id"), "$count") {
		return unsupportedQuery("$count is not supported by this directory; page through the collection with $top and @odata.nextLink instead.")
	}
	q, err := parseQuery(r, userResource)
	if err != nil {
		return err
	}
	u, err := h.resolveUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	h.writeEntity(w, r, http.StatusOK, "users"+q.contextSuffix()+"/$entity", project(userObject(u, false), q.sel))
	return nil
}

// PATCH /users/{id | userPrincipalName}: 204. The body is applied to the
// stored user inside the store's transaction, normalized and validated as a
// whole; an invalid result changes nothing.
func (h *Handler) patchUser(w http.ResponseWriter, r *http.Request) error {
	u0, err := h.resolveUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	body, err := readObject(r)
	if err != nil {
		return err
	}
	now := h.now().Truncate(time.Millisecond)
	_, err = h.Store.UpdateUser(r.Context(), u0.ID, func(u *directory.User) error {
		before := *u
		before.BusinessPhones = slices.Clone(u.BusinessPhones)
		if err := applyUser(u, body, false); err != nil {
			return err
		}
		directory.NormalizeUser(u)
		if err := directory.ValidateUser(u); err != nil {
			return err
		}
		if sameUser(&before, u) {
			return errUnchanged
		}
		u.Modified = now
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return fmt.Errorf("update user %s: %w", u0.ID, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func sameUser(a, b *directory.User) bool {
	x, y := *a, *b
	x.BusinessPhones, y.BusinessPhones = nonNil(x.BusinessPhones), nonNil(y.BusinessPhones)
	return reflect.DeepEqual(x, y)
}

// DELETE /users/{id | userPrincipalName}: a soft delete, restorable from
// /directory/deletedItems for directory.SoftDeleteRetention.
func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request) error {
	u, err := h.resolveUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := h.Store.DeleteUser(r.Context(), u.ID, h.now()); err != nil {
		return fmt.Errorf("delete user %s: %w", u.ID, err)
	}
	h.log().InfoContext(r.Context(), "graph: user deleted", "id", u.ID, "upn", u.UserPrincipalName)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET /users/{id}/memberOf: the groups that contain the user directly.
func (h *Handler) userMemberOf(w http.ResponseWriter, r *http.Request) error {
	return h.memberOf(w, r, h.userID, false)
}

// GET /users/{id}/transitiveMemberOf: directly or through nested groups.
func (h *Handler) userTransitiveMemberOf(w http.ResponseWriter, r *http.Request) error {
	return h.memberOf(w, r, h.userID, true)
}

func (h *Handler) userID(ctx context.Context, key string) (string, error) {
	u, err := h.resolveUser(ctx, key)
	if err != nil {
		return "", err
	}
	return u.ID, nil
}

// memberOf answers the groups containing an object, as directoryObjects.
func (h *Handler) memberOf(w http.ResponseWriter, r *http.Request, resolve func(context.Context, string) (string, error), transitive bool) error {
	q, err := parseQuery(r, objectResource)
	if err != nil {
		return err
	}
	id, err := resolve(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	groupsOf := h.Store.MemberOf
	if transitive {
		groupsOf = h.Store.Ancestors
	}
	ids, err := groupsOf(r.Context(), id)
	if err != nil {
		return fmt.Errorf("groups of %s: %w", id, err)
	}
	var objs []object
	for _, gid := range ids {
		g, err := h.Store.GetGroup(r.Context(), gid)
		if errors.Is(err, directory.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return fmt.Errorf("read group %s: %w", gid, err)
		}
		objs = append(objs, groupObject(g, true))
	}
	page, next := q.pageOf(objs)
	h.writeCollection(w, r, "directoryObjects", q, page, next)
	return nil
}

// GET /users/{id}/manager: the manager as a directoryObject, or 404
// Resource 'manager' when none is set.
func (h *Handler) getManager(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, userResource)
	if err != nil {
		return err
	}
	u, err := h.resolveUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if u.ManagerID == "" {
		return notFound("manager")
	}
	m, err := h.Store.GetUser(r.Context(), u.ManagerID)
	if errors.Is(err, directory.ErrNotFound) || err == nil && m.Deleted != nil {
		return notFound("manager")
	}
	if err != nil {
		return fmt.Errorf("read manager %s: %w", u.ManagerID, err)
	}
	h.writeEntity(w, r, http.StatusOK, "directoryObjects/$entity", project(userObject(m, true), q.sel))
	return nil
}

// PUT /users/{id}/manager/$ref with {"@odata.id": ".../users/{managerId}"}:
// 204. The manager must be a live user other than the user.
func (h *Handler) putManager(w http.ResponseWriter, r *http.Request) error {
	u0, err := h.resolveUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	body, err := readObject(r)
	if err != nil {
		return err
	}
	ref, err := parseRef(body)
	if err != nil {
		return err
	}
	kind, mid, err := h.resolveRef(r.Context(), ref)
	if err != nil {
		return err
	}
	if kind != directory.KindUser {
		return badRequest("The manager must be a user; '%s' is a group.", mid)
	}
	if mid == u0.ID {
		return attrErr(directory.ResourceUser, "manager", "a user cannot be their own manager")
	}
	return h.setManager(w, r, u0.ID, mid)
}

// DELETE /users/{id}/manager/$ref: 204, or 404 when no manager is set.
func (h *Handler) deleteManager(w http.ResponseWriter, r *http.Request) error {
	u, err := h.resolveUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if u.ManagerID == "" {
		return notFound("manager")
	}
	return h.setManager(w, r, u.ID, "")
}

func (h *Handler) setManager(w http.ResponseWriter, r *http.Request, id, managerID string) error {
	now := h.now().Truncate(time.Millisecond)
	_, err := h.Store.UpdateUser(r.Context(), id, func(u *directory.User) error {
		if u.ManagerID == managerID {
			return errUnchanged
		}
		u.ManagerID, u.Modified = managerID, now
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return fmt.Errorf("set manager of %s: %w", id, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
