package awsapi

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/scimserver"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/scim/filter"
)

// The identitystore operations read and write the same users and groups as
// the SCIM server: one truth, two APIs.

type isName struct {
	Formatted       string `json:",omitempty"`
	FamilyName      string `json:",omitempty"`
	GivenName       string `json:",omitempty"`
	MiddleName      string `json:",omitempty"`
	HonorificPrefix string `json:",omitempty"`
	HonorificSuffix string `json:",omitempty"`
}

type isTyped struct {
	Value   string `json:",omitempty"`
	Type    string `json:",omitempty"`
	Primary bool   `json:",omitempty"`
}

type isAddress struct {
	StreetAddress string `json:",omitempty"`
	Locality      string `json:",omitempty"`
	Region        string `json:",omitempty"`
	PostalCode    string `json:",omitempty"`
	Country       string `json:",omitempty"`
	Formatted     string `json:",omitempty"`
	Type          string `json:",omitempty"`
	Primary       bool   `json:",omitempty"`
}

type isExternalID struct {
	Issuer string
	ID     string `json:"Id"`
}

// isUser is the identitystore User shape.
type isUser struct {
	IdentityStoreId   string         `json:",omitempty"`
	UserId            string         `json:",omitempty"`
	UserName          string         `json:",omitempty"`
	ExternalIds       []isExternalID `json:",omitempty"`
	Name              *isName        `json:",omitempty"`
	DisplayName       string         `json:",omitempty"`
	NickName          string         `json:",omitempty"`
	ProfileUrl        string         `json:",omitempty"`
	Emails            []isTyped      `json:",omitempty"`
	Addresses         []isAddress    `json:",omitempty"`
	PhoneNumbers      []isTyped      `json:",omitempty"`
	UserType          string         `json:",omitempty"`
	Title             string         `json:",omitempty"`
	PreferredLanguage string         `json:",omitempty"`
	Locale            string         `json:",omitempty"`
	Timezone          string         `json:",omitempty"`
	UserStatus        string         `json:",omitempty"`
	CreatedAt         float64        `json:",omitempty"`
	UpdatedAt         float64        `json:",omitempty"`
}

// externalIssuer names the issuer of external ids set through SCIM.
const externalIssuer = "SCIM"

func toIS(storeID string, u *scim.User) isUser {
	o := isUser{IdentityStoreId: storeID, UserId: u.ID, UserName: u.UserName, DisplayName: u.DisplayName,
		NickName: u.NickName, ProfileUrl: u.ProfileURL, UserType: u.UserType, Title: u.Title,
		PreferredLanguage: u.PreferredLanguage, Locale: u.Locale, Timezone: u.Timezone, UserStatus: "ENABLED"}
	if !u.Active {
		o.UserStatus = "DISABLED"
	}
	if u.ExternalID != "" {
		o.ExternalIds = []isExternalID{{Issuer: externalIssuer, ID: u.ExternalID}}
	}
	if n := u.Name; n != nil {
		o.Name = &isName{n.Formatted, n.FamilyName, n.GivenName, n.MiddleName, n.HonorificPrefix, n.HonorificSuffix}
	}
	for _, e := range u.Emails {
		o.Emails = append(o.Emails, isTyped{e.Value, e.Type, bool(e.Primary)})
	}
	for _, p := range u.PhoneNumbers {
		o.PhoneNumbers = append(o.PhoneNumbers, isTyped{p.Value, p.Type, bool(p.Primary)})
	}
	for _, a := range u.Addresses {
		o.Addresses = append(o.Addresses, isAddress{a.StreetAddress, a.Locality, a.Region, a.PostalCode, a.Country, a.Formatted, a.Type, bool(a.Primary)})
	}
	if u.Meta != nil {
		o.CreatedAt, o.UpdatedAt = epoch(u.Meta.Created), epoch(u.Meta.LastModified)
	}
	return o
}

func fromIS(in isUser) *scim.User {
	u := &scim.User{UserName: in.UserName, DisplayName: in.DisplayName, NickName: in.NickName, ProfileURL: in.ProfileUrl,
		UserType: in.UserType, Title: in.Title, PreferredLanguage: in.PreferredLanguage, Locale: in.Locale,
		Timezone: in.Timezone, Active: true}
	if len(in.ExternalIds) > 0 {
		u.ExternalID = in.ExternalIds[0].ID
	}
	if n := in.Name; n != nil {
		u.Name = &scim.Name{Formatted: n.Formatted, FamilyName: n.FamilyName, GivenName: n.GivenName, MiddleName: n.MiddleName,
			HonorificPrefix: n.HonorificPrefix, HonorificSuffix: n.HonorificSuffix}
	}
	for _, e := range in.Emails {
		u.Emails = append(u.Emails, scim.Email{Value: e.Value, Type: e.Type, Primary: scim.Bool(e.Primary || len(in.Emails) == 1)})
	}
	for _, p := range in.PhoneNumbers {
		u.PhoneNumbers = append(u.PhoneNumbers, scim.PhoneNumber{Value: p.Value, Type: p.Type, Primary: scim.Bool(p.Primary)})
	}
	for _, a := range in.Addresses {
		u.Addresses = append(u.Addresses, scim.Address{StreetAddress: a.StreetAddress, Locality: a.Locality, Region: a.Region,
			PostalCode: a.PostalCode, Country: a.Country, Formatted: a.Formatted, Type: a.Type, Primary: scim.Bool(a.Primary)})
	}
	u.Normalize()
	return u
}

type isGroup struct {
	IdentityStoreId string         `json:",omitempty"`
	GroupId         string         `json:",omitempty"`
	DisplayName     string         `json:",omitempty"`
	ExternalIds     []isExternalID `json:",omitempty"`
	Description     string         `json:",omitempty"`
	CreatedAt       float64        `json:",omitempty"`
	UpdatedAt       float64        `json:",omitempty"`
}

func groupToIS(storeID string, g *scim.Group) isGroup {
	o := isGroup{IdentityStoreId: storeID, GroupId: g.ID, DisplayName: g.DisplayName}
	if g.ExternalID != "" {
		o.ExternalIds = []isExternalID{{Issuer: externalIssuer, ID: g.ExternalID}}
	}
	if g.Meta != nil {
		o.CreatedAt, o.UpdatedAt = epoch(g.Meta.Created), epoch(g.Meta.LastModified)
	}
	return o
}

// store checks the identity store id of a request.
func (h *Handler) store(ctx context.Context, id string) (*center.Instance, error) {
	inst, err := h.Store.Instance(ctx)
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, validation("1 validation error detected: Value null at 'identityStoreId' failed to satisfy constraint: Member must not be null")
	}
	if id != inst.IdentityStoreID {
		return nil, notFound("IDENTITY_STORE", id)
	}
	return inst, nil
}

// pageArgs reads MaxResults (1..100) and NextToken.
// A MaxResults that is present is checked, including 0.
func pageArgs(max *int, token string) (center.Query, error) {
	q := center.Query{Count: 100}
	if max != nil {
		if err := checkMaxResults(*max); err != nil {
			return q, err
		}
		q.Count = *max
	}
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		n, perr := strconv.ParseInt(string(b), 10, 64)
		if err != nil || perr != nil || n < 0 {
			return q, validation("The NextToken is not valid.")
		}
		q.After = n
	}
	return q, nil
}

// withToken adds NextToken to a list response when another page follows;
// the last page has none, as AWS answers.
func withToken(out map[string]any, next int64) map[string]any {
	if next != 0 {
		out["NextToken"] = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(next, 10)))
	}
	return out
}

func (h *Handler) identityStoreOps() {
	reg := func(name string, op operation) { h.register(PrefixIdentityStore, name, op) }
	reg("CreateUser", h.isCreateUser)
	reg("DescribeUser", h.isDescribeUser)
	reg("ListUsers", h.isListUsers)
	reg("UpdateUser", h.isUpdateUser)
	reg("DeleteUser", h.isDeleteUser)
	reg("GetUserId", h.isGetUserID)
	reg("CreateGroup", h.isCreateGroup)
	reg("DescribeGroup", h.isDescribeGroup)
	reg("ListGroups", h.isListGroups)
	reg("UpdateGroup", h.isUpdateGroup)
	reg("DeleteGroup", h.isDeleteGroup)
	reg("GetGroupId", h.isGetGroupID)
	reg("CreateGroupMembership", h.isCreateMembership)
	reg("DeleteGroupMembership", h.isDeleteMembership)
	reg("DescribeGroupMembership", h.isDescribeMembership)
	reg("GetGroupMembershipId", h.isGetMembershipID)
	reg("ListGroupMemberships", h.isListMemberships)
	reg("ListGroupMembershipsForMember", h.isListMembershipsForMember)
	reg("IsMemberInGroups", h.isIsMemberInGroups)
}

func (h *Handler) isCreateUser(ctx context.Context, in []byte) (any, error) {
	var req isUser
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	inst, err := h.store(ctx, req.IdentityStoreId)
	if err != nil {
		return nil, err
	}
	u := fromIS(req)
	if err := scimserver.ValidateUser(u); err != nil {
		return nil, validation("%s", err.Error())
	}
	u.ID = inst.IDPrefix + "-" + newUUID()
	now := h.now().Truncate(1e6)
	u.Meta = &scim.Meta{ResourceType: "User", Created: now, LastModified: now}
	if err := h.Store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, center.ErrConflict) {
			return nil, conflict("Duplicate UserName")
		}
		return nil, err
	}
	return map[string]string{"UserId": u.ID, "IdentityStoreId": inst.IdentityStoreID}, nil
}

type idReq struct {
	IdentityStoreId string
	UserId          string   `json:",omitempty"`
	GroupId         string   `json:",omitempty"`
	Extensions      []string `json:",omitempty"`
}

func (h *Handler) getUser(ctx context.Context, in []byte) (*center.Instance, *scim.User, error) {
	var req idReq
	if err := decode(in, &req); err != nil {
		return nil, nil, err
	}
	inst, err := h.store(ctx, req.IdentityStoreId)
	if err != nil {
		return nil, nil, err
	}
	u, err := h.Store.GetUser(ctx, req.UserId)
	if errors.Is(err, center.ErrNotFound) {
		return nil, nil, notFound("USER", req.UserId)
	}
	return inst, u, err
}

func (h *Handler) isDescribeUser(ctx context.Context, in []byte) (any, error) {
	inst, u, err := h.getUser(ctx, in)
	if err != nil {
		return nil, err
	}
	return toIS(inst.IdentityStoreID, u), nil
}

type listReq struct {
	IdentityStoreId string
	MaxResults      *int   `json:",omitempty"`
	NextToken       string `json:",omitempty"`
	Filters         []struct {
		AttributePath  string
		AttributeValue string
	} `json:",omitempty"`
	Extensions []string `json:",omitempty"`
}

func (h *Handler) isListUsers(ctx context.Context, in []byte) (any, error) {
	var req listReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	inst, err := h.store(ctx, req.IdentityStoreId)
	if err != nil {
		return nil, err
	}
	q, err := pageArgs(req.MaxResults, req.NextToken)
	if err != nil {
		return nil, err
	}
	for _, f := range req.Filters {
		switch strings.ToLower(f.AttributePath) {
		case "username":
			q.Match = append(q.Match, center.Match{Attr: center.AttrUserName, Value: f.AttributeValue})
		default:
			return nil, validation("Filtering users on %s is not supported; use UserName.", f.AttributePath)
		}
	}
	p, err := h.Store.ListUsers(ctx, q)
	if err != nil {
		return nil, err
	}
	users := make([]isUser, len(p.Users))
	for i, u := range p.Users {
		users[i] = toIS(inst.IdentityStoreID, u)
	}
	return withToken(map[string]any{"Users": users}, p.Next), nil
}

type updateReq struct {
	IdentityStoreId string
	UserId          string `json:",omitempty"`
	GroupId         string `json:",omitempty"`
	Operations      []struct {
		AttributePath  string
		AttributeValue any
	}
}

// isUpdateUser applies AttributeOperations (a path and a value; a null
// value removes the attribute) as SCIM replace/remove on the same user.
func (h *Handler) isUpdateUser(ctx context.Context, in []byte) (any, error) {
	var req updateReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, err := h.store(ctx, req.IdentityStoreId); err != nil {
		return nil, err
	}
	if len(req.Operations) < 1 || len(req.Operations) > 100 {
		return nil, validation("Operations must have between 1 and 100 items.")
	}
	_, err := h.Store.UpdateUser(ctx, req.UserId, func(u *scim.User) error {
		doc, err := toDoc(u)
		if err != nil {
			return err
		}
		for _, op := range req.Operations {
			p, err := filter.ParsePath(op.AttributePath)
			if err != nil {
				return validation("Invalid AttributePath %q.", op.AttributePath)
			}
			verb := "replace"
			if op.AttributeValue == nil {
				verb = "remove"
			}
			if err := scim.ApplyPath(doc, verb, p, lowerKeys(op.AttributeValue)); err != nil {
				return validation("%s: %v", op.AttributePath, err)
			}
		}
		nu, err := scimserver.DecodeUser(doc)
		if err != nil {
			return validation("%s", err.Error())
		}
		nu.ID, nu.Meta = u.ID, u.Meta
		nu.Meta.LastModified = h.now().Truncate(1e6)
		*u = *nu
		return nil
	})
	if errors.Is(err, center.ErrNotFound) {
		return nil, notFound("USER", req.UserId)
	}
	if errors.Is(err, center.ErrConflict) {
		return nil, conflict("Duplicate UserName")
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

func (h *Handler) isDeleteUser(ctx context.Context, in []byte) (any, error) {
	var req idReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, err := h.store(ctx, req.IdentityStoreId); err != nil {
		return nil, err
	}
	if err := h.Store.DeleteUser(ctx, req.UserId); errors.Is(err, center.ErrNotFound) {
		return nil, notFound("USER", req.UserId)
	} else if err != nil {
		return nil, err
	}
	if h.OnUserChange != nil {
		h.OnUserChange(ctx, req.UserId, false)
	}
	return map[string]any{}, nil
}

type altIDReq struct {
	IdentityStoreId     string
	AlternateIdentifier struct {
		ExternalId      *isExternalID
		UniqueAttribute *struct {
			AttributePath  string
			AttributeValue any
		}
	}
}

// lookupID resolves an AlternateIdentifier against users or groups.
func (h *Handler) lookupID(ctx context.Context, in []byte, groups bool) (string, string, error) {
	var req altIDReq
	if err := decode(in, &req); err != nil {
		return "", "", err
	}
	inst, err := h.store(ctx, req.IdentityStoreId)
	if err != nil {
		return "", "", err
	}
	var m center.Match
	switch a := req.AlternateIdentifier; {
	case a.ExternalId != nil:
		m = center.Match{Attr: center.AttrExternalID, Value: a.ExternalId.ID}
	case a.UniqueAttribute != nil:
		v, _ := a.UniqueAttribute.AttributeValue.(string)
		path := strings.ToLower(a.UniqueAttribute.AttributePath)
		switch {
		case !groups && path == "username":
			m = center.Match{Attr: center.AttrUserName, Value: v}
		case groups && path == "displayname":
			m = center.Match{Attr: center.AttrDisplayName, Value: v}
		default:
			return "", "", validation("UniqueAttribute %s is not supported.", a.UniqueAttribute.AttributePath)
		}
	default:
		return "", "", validation("AlternateIdentifier needs ExternalId or UniqueAttribute.")
	}
	q := center.Query{Match: []center.Match{m}, Count: 2}
	var ids []string
	if groups {
		p, err := h.Store.ListGroups(ctx, q)
		if err != nil {
			return "", "", err
		}
		for _, g := range p.Groups {
			ids = append(ids, g.ID)
		}
	} else {
		p, err := h.Store.ListUsers(ctx, q)
		if err != nil {
			return "", "", err
		}
		for _, u := range p.Users {
			ids = append(ids, u.ID)
		}
	}
	if len(ids) != 1 {
		kind := "USER"
		if groups {
			kind = "GROUP"
		}
		return "", "", notFound(kind, m.Value)
	}
	return inst.IdentityStoreID, ids[0], nil
}

func (h *Handler) isGetUserID(ctx context.Context, in []byte) (any, error) {
	store, id, err := h.lookupID(ctx, in, false)
	if err != nil {
		return nil, err
	}
	return map[string]string{"UserId": id, "IdentityStoreId": store}, nil
}

func (h *Handler) isGetGroupID(ctx context.Context, in []byte) (any, error) {
	store, id, err := h.lookupID(ctx, in, true)
	if err != nil {
		return nil, err
	}
	return map[string]string{"GroupId": id, "IdentityStoreId": store}, nil
}

func (h *Handler) isCreateGroup(ctx context.Context, in []byte) (any, error) {
	var req isGroup
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	inst, err := h.store(ctx, req.IdentityStoreId)
	if err != nil {
		return nil, err
	}
	if req.Description != "" {
		return nil, validation("Group descriptions are not stored by this identity store.")
	}
	g := &scim.Group{Schemas: []string{scim.SchemaGroup}, DisplayName: req.DisplayName, Members: []scim.Member{}}
	if len(req.ExternalIds) > 0 {
		g.ExternalID = req.ExternalIds[0].ID
	}
	if err := scimserver.ValidateGroup(g); err != nil {
		return nil, validation("%s", err.Error())
	}
	g.ID = inst.IDPrefix + "-" + newUUID()
	now := h.now().Truncate(1e6)
	g.Meta = &scim.Meta{ResourceType: "Group", Created: now, LastModified: now}
	if err := h.Store.CreateGroup(ctx, g, nil); err != nil {
		if errors.Is(err, center.ErrConflict) {
			return nil, conflict("Duplicate GroupDisplayName")
		}
		return nil, err
	}
	return map[string]string{"GroupId": g.ID, "IdentityStoreId": inst.IdentityStoreID}, nil
}

func (h *Handler) getGroup(ctx context.Context, storeID, id string) (*scim.Group, error) {
	if _, err := h.store(ctx, storeID); err != nil {
		return nil, err
	}
	g, err := h.Store.GetGroup(ctx, id)
	if errors.Is(err, center.ErrNotFound) {
		return nil, notFound("GROUP", id)
	}
	return g, err
}

func (h *Handler) isDescribeGroup(ctx context.Context, in []byte) (any, error) {
	var req idReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	g, err := h.getGroup(ctx, req.IdentityStoreId, req.GroupId)
	if err != nil {
		return nil, err
	}
	return groupToIS(req.IdentityStoreId, g), nil
}

func (h *Handler) isListGroups(ctx context.Context, in []byte) (any, error) {
	var req listReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	inst, err := h.store(ctx, req.IdentityStoreId)
	if err != nil {
		return nil, err
	}
	q, err := pageArgs(req.MaxResults, req.NextToken)
	if err != nil {
		return nil, err
	}
	for _, f := range req.Filters {
		if !strings.EqualFold(f.AttributePath, "DisplayName") {
			return nil, validation("Filtering groups on %s is not supported; use DisplayName.", f.AttributePath)
		}
		q.Match = append(q.Match, center.Match{Attr: center.AttrDisplayName, Value: f.AttributeValue})
	}
	p, err := h.Store.ListGroups(ctx, q)
	if err != nil {
		return nil, err
	}
	groups := make([]isGroup, len(p.Groups))
	for i, g := range p.Groups {
		groups[i] = groupToIS(inst.IdentityStoreID, g)
	}
	return withToken(map[string]any{"Groups": groups}, p.Next), nil
}

func (h *Handler) isUpdateGroup(ctx context.Context, in []byte) (any, error) {
	var req updateReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, err := h.store(ctx, req.IdentityStoreId); err != nil {
		return nil, err
	}
	if len(req.Operations) < 1 || len(req.Operations) > 100 {
		return nil, validation("Operations must have between 1 and 100 items.")
	}
	_, err := h.Store.UpdateGroup(ctx, req.GroupId, func(g *scim.Group, _ center.Members) error {
		for _, op := range req.Operations {
			v, _ := op.AttributeValue.(string)
			switch strings.ToLower(op.AttributePath) {
			case "displayname":
				g.DisplayName = v
			case "externalids":
				g.ExternalID = ""
				if l, ok := op.AttributeValue.([]any); ok && len(l) > 0 {
					if m, ok := l[0].(map[string]any); ok {
						g.ExternalID, _ = m["Id"].(string)
					}
				}
			default:
				return validation("AttributePath %s cannot be updated on a group.", op.AttributePath)
			}
		}
		g.Meta.LastModified = h.now().Truncate(1e6)
		if err := scimserver.ValidateGroup(g); err != nil {
			return validation("%s", err.Error())
		}
		return nil
	})
	if errors.Is(err, center.ErrNotFound) {
		return nil, notFound("GROUP", req.GroupId)
	}
	if errors.Is(err, center.ErrConflict) {
		return nil, conflict("Duplicate GroupDisplayName")
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

func (h *Handler) isDeleteGroup(ctx context.Context, in []byte) (any, error) {
	var req idReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, err := h.store(ctx, req.IdentityStoreId); err != nil {
		return nil, err
	}
	// The members are read first: once the group is gone they cannot be.
	var members []string
	if h.OnMembersRemoved != nil {
		var err error
		if members, err = center.GroupMemberIDs(ctx, h.Store, req.GroupId); err != nil {
			return nil, err
		}
	}
	if err := h.Store.DeleteGroup(ctx, req.GroupId); errors.Is(err, center.ErrNotFound) {
		return nil, notFound("GROUP", req.GroupId)
	} else if err != nil {
		return nil, err
	}
	if h.OnMembersRemoved != nil && len(members) > 0 {
		h.OnMembersRemoved(ctx, members)
	}
	return map[string]any{}, nil
}

type memberID struct{ UserId string }

type membershipReq struct {
	IdentityStoreId string
	GroupId         string   `json:",omitempty"`
	MemberId        memberID `json:",omitempty"`
	MembershipId    string   `json:",omitempty"`
	GroupIds        []string `json:",omitempty"`
	MaxResults      *int     `json:",omitempty"`
	NextToken       string   `json:",omitempty"`
}

func membership(store, id, group, user string) map[string]any {
	return map[string]any{"IdentityStoreId": store, "MembershipId": id, "GroupId": group,
		"MemberId": map[string]string{"UserId": user}}
}

// membershipID returns the id of the user's membership in the group, or
// center.ErrNotFound.
func (h *Handler) membershipID(ctx context.Context, group, user string) (string, error) {
	p := center.MemberPair{GroupID: group, UserID: user}
	ids, err := h.Store.MembershipIDs(ctx, []center.MemberPair{p})
	if err != nil {
		return "", err
	}
	id, ok := ids[p]
	if !ok {
		return "", center.ErrNotFound
	}
	return id, nil
}

// memberships describes the pairs of a page, with their ids read in one
// query.
func (h *Handler) memberships(ctx context.Context, store string, pairs []center.MemberPair) ([]map[string]any, error) {
	ids, err := h.Store.MembershipIDs(ctx, pairs)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(pairs))
	for i, p := range pairs {
		out[i] = membership(store, ids[p], p.GroupID, p.UserID)
	}
	return out, nil
}

func (h *Handler) isCreateMembership(ctx context.Context, in []byte) (any, error) {
	var req membershipReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, err := h.getGroup(ctx, req.IdentityStoreId, req.GroupId); err != nil {
		return nil, err
	}
	if _, err := h.membershipID(ctx, req.GroupId, req.MemberId.UserId); err == nil {
		return nil, conflict("Member is already in the group")
	} else if !errors.Is(err, center.ErrNotFound) {
		return nil, err
	}
	_, err := h.Store.UpdateGroup(ctx, req.GroupId, func(g *scim.Group, m center.Members) error {
		g.Meta.LastModified = h.now().Truncate(1e6)
		return m.Add([]string{req.MemberId.UserId})
	})
	var ie *center.InvalidError
	if errors.As(err, &ie) {
		return nil, notFound("USER", req.MemberId.UserId)
	}
	if err != nil {
		return nil, err
	}
	id, err := h.membershipID(ctx, req.GroupId, req.MemberId.UserId)
	if err != nil {
		return nil, err
	}
	return map[string]string{"MembershipId": id, "IdentityStoreId": req.IdentityStoreId}, nil
}

func (h *Handler) resolveMembership(ctx context.Context, in []byte) (*membershipReq, string, string, error) {
	var req membershipReq
	if err := decode(in, &req); err != nil {
		return nil, "", "", err
	}
	if _, err := h.store(ctx, req.IdentityStoreId); err != nil {
		return nil, "", "", err
	}
	g, u, err := h.Store.Membership(ctx, req.MembershipId)
	if errors.Is(err, center.ErrNotFound) {
		return nil, "", "", notFound("GROUP_MEMBERSHIP", req.MembershipId)
	}
	return &req, g, u, err
}

func (h *Handler) isDeleteMembership(ctx context.Context, in []byte) (any, error) {
	_, g, u, err := h.resolveMembership(ctx, in)
	if err != nil {
		return nil, err
	}
	_, err = h.Store.UpdateGroup(ctx, g, func(grp *scim.Group, m center.Members) error {
		grp.Meta.LastModified = h.now().Truncate(1e6)
		return m.Remove([]string{u})
	})
	if err != nil {
		return nil, err
	}
	if h.OnMembersRemoved != nil {
		h.OnMembersRemoved(ctx, []string{u})
	}
	return map[string]any{}, nil
}

func (h *Handler) isDescribeMembership(ctx context.Context, in []byte) (any, error) {
	req, g, u, err := h.resolveMembership(ctx, in)
	if err != nil {
		return nil, err
	}
	return membership(req.IdentityStoreId, req.MembershipId, g, u), nil
}

func (h *Handler) isGetMembershipID(ctx context.Context, in []byte) (any, error) {
	var req membershipReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, err := h.store(ctx, req.IdentityStoreId); err != nil {
		return nil, err
	}
	id, err := h.membershipID(ctx, req.GroupId, req.MemberId.UserId)
	if errors.Is(err, center.ErrNotFound) {
		return nil, notFound("GROUP_MEMBERSHIP", req.GroupId+"/"+req.MemberId.UserId)
	} else if err != nil {
		return nil, err
	}
	return map[string]string{"MembershipId": id, "IdentityStoreId": req.IdentityStoreId}, nil
}

func (h *Handler) isListMemberships(ctx context.Context, in []byte) (any, error) {
	var req membershipReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, err := h.getGroup(ctx, req.IdentityStoreId, req.GroupId); err != nil {
		return nil, err
	}
	q, err := pageArgs(req.MaxResults, req.NextToken)
	if err != nil {
		return nil, err
	}
	q.Match = []center.Match{{Attr: center.AttrGroups, Value: req.GroupId}}
	p, err := h.Store.ListUsers(ctx, q)
	if err != nil {
		return nil, err
	}
	pairs := make([]center.MemberPair, len(p.Users))
	for i, u := range p.Users {
		pairs[i] = center.MemberPair{GroupID: req.GroupId, UserID: u.ID}
	}
	out, err := h.memberships(ctx, req.IdentityStoreId, pairs)
	if err != nil {
		return nil, err
	}
	return withToken(map[string]any{"GroupMemberships": out}, p.Next), nil
}

func (h *Handler) isListMembershipsForMember(ctx context.Context, in []byte) (any, error) {
	var req membershipReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, err := h.store(ctx, req.IdentityStoreId); err != nil {
		return nil, err
	}
	q, err := pageArgs(req.MaxResults, req.NextToken)
	if err != nil {
		return nil, err
	}
	q.Match = []center.Match{{Attr: center.AttrMembers, Value: req.MemberId.UserId}}
	p, err := h.Store.ListGroups(ctx, q)
	if err != nil {
		return nil, err
	}
	pairs := make([]center.MemberPair, len(p.Groups))
	for i, g := range p.Groups {
		pairs[i] = center.MemberPair{GroupID: g.ID, UserID: req.MemberId.UserId}
	}
	out, err := h.memberships(ctx, req.IdentityStoreId, pairs)
	if err != nil {
		return nil, err
	}
	return withToken(map[string]any{"GroupMemberships": out}, p.Next), nil
}

func (h *Handler) isIsMemberInGroups(ctx context.Context, in []byte) (any, error) {
	var req membershipReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, err := h.store(ctx, req.IdentityStoreId); err != nil {
		return nil, err
	}
	if len(req.GroupIds) < 1 || len(req.GroupIds) > 100 {
		return nil, validation("GroupIds must have between 1 and 100 items.")
	}
	pairs := make([]center.MemberPair, len(req.GroupIds))
	for i, g := range req.GroupIds {
		pairs[i] = center.MemberPair{GroupID: g, UserID: req.MemberId.UserId}
	}
	ids, err := h.Store.MembershipIDs(ctx, pairs)
	if err != nil {
		return nil, err
	}
	var results []map[string]any
	for _, p := range pairs {
		_, exists := ids[p]
		results = append(results, map[string]any{"GroupId": p.GroupID, "MemberId": map[string]string{"UserId": p.UserID},
			"MembershipExists": exists})
	}
	return map[string]any{"Results": results}, nil
}
