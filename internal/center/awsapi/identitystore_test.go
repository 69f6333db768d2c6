package awsapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/document"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/smithy-go"
)

// apiCode is the error code the SDK read from a response.
func apiCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an API error, got %v", err)
	}
	return ae.ErrorCode()
}

func TestIdentityStoreUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	store := aws.String(e.inst.IdentityStoreID)

	created, err := e.ids.CreateUser(ctx, &identitystore.CreateUserInput{IdentityStoreId: store,
		UserName: aws.String("jdoe"), DisplayName: aws.String("John Doe"),
		Name:   &types.Name{GivenName: aws.String("John"), FamilyName: aws.String("Doe")},
		Emails: []types.Email{{Value: aws.String("jdoe@example.com"), Type: aws.String("work"), Primary: true}},
		Title:  aws.String("Engineer")})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	id := aws.ToString(created.UserId)
	if aws.ToString(created.IdentityStoreId) != e.inst.IdentityStoreID || len(id) != 47 || id[:10] != e.inst.IDPrefix {
		t.Fatalf("CreateUser: %+v", created)
	}

	u, err := e.ids.DescribeUser(ctx, &identitystore.DescribeUserInput{IdentityStoreId: store, UserId: &id})
	if err != nil {
		t.Fatalf("DescribeUser: %v", err)
	}
	if aws.ToString(u.UserName) != "jdoe" || aws.ToString(u.DisplayName) != "John Doe" ||
		aws.ToString(u.Name.GivenName) != "John" || aws.ToString(u.Name.FamilyName) != "Doe" ||
		len(u.Emails) != 1 || aws.ToString(u.Emails[0].Value) != "jdoe@example.com" || !u.Emails[0].Primary ||
		aws.ToString(u.Title) != "Engineer" || u.UserStatus != types.UserStatusEnabled {
		t.Fatalf("DescribeUser: %+v", u)
	}

	// Duplicate user name: ConflictException.
	_, err = e.ids.CreateUser(ctx, &identitystore.CreateUserInput{IdentityStoreId: store, UserName: aws.String("JDOE"),
		DisplayName: aws.String("Other"), Name: &types.Name{GivenName: aws.String("A"), FamilyName: aws.String("B")}})
	var ce *types.ConflictException
	if !errors.As(err, &ce) || ce.Reason != types.ConflictExceptionReasonUniquenessConstraintViolation {
		t.Fatalf("duplicate CreateUser: %v", err)
	}

	// UpdateUser: replace and remove attributes.
	_, err = e.ids.UpdateUser(ctx, &identitystore.UpdateUserInput{IdentityStoreId: store, UserId: &id,
		Operations: []types.AttributeOperation{
			{AttributePath: aws.String("displayName"), AttributeValue: document.NewLazyDocument("Johnny Doe")},
			{AttributePath: aws.String("name.givenName"), AttributeValue: document.NewLazyDocument("Johnny")},
			{AttributePath: aws.String("title")},
		}})
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	u, err = e.ids.DescribeUser(ctx, &identitystore.DescribeUserInput{IdentityStoreId: store, UserId: &id})
	if err != nil || aws.ToString(u.DisplayName) != "Johnny Doe" || aws.ToString(u.Name.GivenName) != "Johnny" ||
		u.Title != nil {
		t.Fatalf("after UpdateUser: %+v %v", u, err)
	}

	// GetUserId by user name.
	got, err := e.ids.GetUserId(ctx, &identitystore.GetUserIdInput{IdentityStoreId: store,
		AlternateIdentifier: &types.AlternateIdentifierMemberUniqueAttribute{Value: types.UniqueAttribute{
			AttributePath: aws.String("UserName"), AttributeValue: document.NewLazyDocument("jdoe")}}})
	if err != nil || aws.ToString(got.UserId) != id {
		t.Fatalf("GetUserId: %+v %v", got, err)
	}
	_, err = e.ids.GetUserId(ctx, &identitystore.GetUserIdInput{IdentityStoreId: store,
		AlternateIdentifier: &types.AlternateIdentifierMemberUniqueAttribute{Value: types.UniqueAttribute{
			AttributePath: aws.String("UserName"), AttributeValue: document.NewLazyDocument("nobody")}}})
	if c := apiCode(t, err); c != "ResourceNotFoundException" {
		t.Fatalf("GetUserId of nobody: %v", err)
	}

	// Paging: 5 users, MaxResults 2, the SDK's paginator.
	for i := range 4 {
		if _, err := e.ids.CreateUser(ctx, &identitystore.CreateUserInput{IdentityStoreId: store,
			UserName: aws.String(fmt.Sprintf("user%d", i)), DisplayName: aws.String(fmt.Sprintf("User %d", i)),
			Name: &types.Name{GivenName: aws.String("U"), FamilyName: aws.String(fmt.Sprint(i))}}); err != nil {
			t.Fatal(err)
		}
	}
	p := identitystore.NewListUsersPaginator(e.ids, &identitystore.ListUsersInput{IdentityStoreId: store, MaxResults: aws.Int32(2)})
	var names []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListUsers page %d: %v", pages+1, err)
		}
		if len(out.Users) > 2 {
			t.Fatalf("page of %d users", len(out.Users))
		}
		pages++
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
		}
	}
	slices.Sort(names)
	if pages != 3 || !slices.Equal(names, []string{"jdoe", "user0", "user1", "user2", "user3"}) {
		t.Fatalf("paginated ListUsers: %d pages, %v", pages, names)
	}
	_, err = e.ids.ListUsers(ctx, &identitystore.ListUsersInput{IdentityStoreId: store, MaxResults: aws.Int32(0)})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Fatalf("ListUsers MaxResults 0: %v", err)
	}

	// DeleteUser, then it is gone.
	if _, err := e.ids.DeleteUser(ctx, &identitystore.DeleteUserInput{IdentityStoreId: store, UserId: &id}); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err = e.ids.DescribeUser(ctx, &identitystore.DescribeUserInput{IdentityStoreId: store, UserId: &id})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ResourceType != types.ResourceTypeUser || aws.ToString(nf.ResourceId) != id {
		t.Fatalf("DescribeUser after delete: %v", err)
	}
	// Another identity store id.
	_, err = e.ids.ListUsers(ctx, &identitystore.ListUsersInput{IdentityStoreId: aws.String("d-0000000000")})
	if !errors.As(err, &nf) || nf.ResourceType != types.ResourceTypeIdentityStore {
		t.Fatalf("ListUsers of another store: %v", err)
	}
}

func TestIdentityStoreGroupsAndMemberships(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	store := aws.String(e.inst.IdentityStoreID)
	var users []string
	for _, n := range []string{"alice", "bob"} {
		out, err := e.ids.CreateUser(ctx, &identitystore.CreateUserInput{IdentityStoreId: store, UserName: aws.String(n),
			DisplayName: aws.String(n), Name: &types.Name{GivenName: aws.String(n), FamilyName: aws.String("X")}})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, aws.ToString(out.UserId))
	}
	g, err := e.ids.CreateGroup(ctx, &identitystore.CreateGroupInput{IdentityStoreId: store, DisplayName: aws.String("Developers")})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	gid := aws.ToString(g.GroupId)
	g2, err := e.ids.CreateGroup(ctx, &identitystore.CreateGroupInput{IdentityStoreId: store, DisplayName: aws.String("Admins")})
	if err != nil {
		t.Fatal(err)
	}
	gid2 := aws.ToString(g2.GroupId)
	if _, err := e.ids.CreateGroup(ctx, &identitystore.CreateGroupInput{IdentityStoreId: store,
		DisplayName: aws.String("developers")}); apiCode(t, err) != "ConflictException" {
		t.Fatalf("duplicate group: %v", err)
	}
	dg, err := e.ids.DescribeGroup(ctx, &identitystore.DescribeGroupInput{IdentityStoreId: store, GroupId: &gid})
	if err != nil || aws.ToString(dg.DisplayName) != "Developers" || aws.ToString(dg.IdentityStoreId) != e.inst.IdentityStoreID {
		t.Fatalf("DescribeGroup: %+v %v", dg, err)
	}
	lg, err := e.ids.ListGroups(ctx, &identitystore.ListGroupsInput{IdentityStoreId: store})
	if err != nil || len(lg.Groups) != 2 || lg.NextToken != nil {
		t.Fatalf("ListGroups: %+v %v", lg, err)
	}
	gi, err := e.ids.GetGroupId(ctx, &identitystore.GetGroupIdInput{IdentityStoreId: store,
		AlternateIdentifier: &types.AlternateIdentifierMemberUniqueAttribute{Value: types.UniqueAttribute{
			AttributePath: aws.String("DisplayName"), AttributeValue: document.NewLazyDocument("Admins")}}})
	if err != nil || aws.ToString(gi.GroupId) != gid2 {
		t.Fatalf("GetGroupId: %+v %v", gi, err)
	}
	if _, err := e.ids.UpdateGroup(ctx, &identitystore.UpdateGroupInput{IdentityStoreId: store, GroupId: &gid2,
		Operations: []types.AttributeOperation{{AttributePath: aws.String("DisplayName"),
			AttributeValue: document.NewLazyDocument("Administrators")}}}); err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	if dg, err := e.ids.DescribeGroup(ctx, &identitystore.DescribeGroupInput{IdentityStoreId: store, GroupId: &gid2}); err != nil ||
		aws.ToString(dg.DisplayName) != "Administrators" {
		t.Fatalf("after UpdateGroup: %+v %v", dg, err)
	}

	// Memberships.
	m, err := e.ids.CreateGroupMembership(ctx, &identitystore.CreateGroupMembershipInput{IdentityStoreId: store, GroupId: &gid,
		MemberId: &types.MemberIdMemberUserId{Value: users[0]}})
	if err != nil {
		t.Fatalf("CreateGroupMembership: %v", err)
	}
	mid := aws.ToString(m.MembershipId)
	if _, err := e.ids.CreateGroupMembership(ctx, &identitystore.CreateGroupMembershipInput{IdentityStoreId: store, GroupId: &gid,
		MemberId: &types.MemberIdMemberUserId{Value: users[0]}}); apiCode(t, err) != "ConflictException" {
		t.Fatalf("duplicate membership: %v", err)
	}
	if _, err := e.ids.CreateGroupMembership(ctx, &identitystore.CreateGroupMembershipInput{IdentityStoreId: store, GroupId: &gid2,
		MemberId: &types.MemberIdMemberUserId{Value: users[0]}}); err != nil {
		t.Fatal(err)
	}
	dm, err := e.ids.DescribeGroupMembership(ctx, &identitystore.DescribeGroupMembershipInput{IdentityStoreId: store, MembershipId: &mid})
	if err != nil || aws.ToString(dm.GroupId) != gid || dm.MemberId.(*types.MemberIdMemberUserId).Value != users[0] {
		t.Fatalf("DescribeGroupMembership: %+v %v", dm, err)
	}
	gm, err := e.ids.GetGroupMembershipId(ctx, &identitystore.GetGroupMembershipIdInput{IdentityStoreId: store, GroupId: &gid,
		MemberId: &types.MemberIdMemberUserId{Value: users[0]}})
	if err != nil || aws.ToString(gm.MembershipId) != mid {
		t.Fatalf("GetGroupMembershipId: %+v %v", gm, err)
	}
	lm, err := e.ids.ListGroupMemberships(ctx, &identitystore.ListGroupMembershipsInput{IdentityStoreId: store, GroupId: &gid})
	if err != nil || len(lm.GroupMemberships) != 1 || aws.ToString(lm.GroupMemberships[0].MembershipId) != mid {
		t.Fatalf("ListGroupMemberships: %+v %v", lm, err)
	}
	lf, err := e.ids.ListGroupMembershipsForMember(ctx, &identitystore.ListGroupMembershipsForMemberInput{IdentityStoreId: store,
		MemberId: &types.MemberIdMemberUserId{Value: users[0]}})
	if err != nil || len(lf.GroupMemberships) != 2 {
		t.Fatalf("ListGroupMembershipsForMember: %+v %v", lf, err)
	}
	im, err := e.ids.IsMemberInGroups(ctx, &identitystore.IsMemberInGroupsInput{IdentityStoreId: store,
		MemberId: &types.MemberIdMemberUserId{Value: users[1]}, GroupIds: []string{gid, gid2}})
	if err != nil || len(im.Results) != 2 || im.Results[0].MembershipExists || im.Results[1].MembershipExists {
		t.Fatalf("IsMemberInGroups (bob): %+v %v", im, err)
	}
	im, err = e.ids.IsMemberInGroups(ctx, &identitystore.IsMemberInGroupsInput{IdentityStoreId: store,
		MemberId: &types.MemberIdMemberUserId{Value: users[0]}, GroupIds: []string{gid}})
	if err != nil || len(im.Results) != 1 || !im.Results[0].MembershipExists || aws.ToString(im.Results[0].GroupId) != gid {
		t.Fatalf("IsMemberInGroups (alice): %+v %v", im, err)
	}
	if _, err := e.ids.DeleteGroupMembership(ctx, &identitystore.DeleteGroupMembershipInput{IdentityStoreId: store,
		MembershipId: &mid}); err != nil {
		t.Fatalf("DeleteGroupMembership: %v", err)
	}
	if _, err := e.ids.DescribeGroupMembership(ctx, &identitystore.DescribeGroupMembershipInput{IdentityStoreId: store,
		MembershipId: &mid}); apiCode(t, err) != "ResourceNotFoundException" {
		t.Fatalf("DescribeGroupMembership after delete: %v", err)
	}
	for _, id := range []string{gid, gid2} {
		if _, err := e.ids.DeleteGroup(ctx, &identitystore.DeleteGroupInput{IdentityStoreId: store, GroupId: aws.String(id)}); err != nil {
			t.Fatalf("DeleteGroup: %v", err)
		}
	}
	if lg, err := e.ids.ListGroups(ctx, &identitystore.ListGroupsInput{IdentityStoreId: store}); err != nil || len(lg.Groups) != 0 {
		t.Fatalf("ListGroups after delete: %+v %v", lg, err)
	}
	if _, err := e.ids.DescribeGroup(ctx, &identitystore.DescribeGroupInput{IdentityStoreId: store, GroupId: &gid}); apiCode(t, err) != "ResourceNotFoundException" {
		t.Fatalf("DescribeGroup after delete: %v", err)
	}
}

// TestOneTruth: a user provisioned through SCIM is the identitystore's
// user and the other way round.
func TestOneTruth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"scim.user@example.com",
		"name":{"givenName":"Scim","familyName":"User"},"displayName":"Scim User","active":true,
		"emails":[{"value":"scim.user@example.com","type":"work","primary":true}],"externalId":"ext-42"}`
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/scim/v2/Users", bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+e.scimToken)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || created.ID == "" {
		t.Fatalf("SCIM POST: %d %+v", resp.StatusCode, created)
	}
	store := aws.String(e.inst.IdentityStoreID)
	u, err := e.ids.DescribeUser(ctx, &identitystore.DescribeUserInput{IdentityStoreId: store, UserId: &created.ID})
	if err != nil || aws.ToString(u.UserName) != "scim.user@example.com" || aws.ToString(u.DisplayName) != "Scim User" ||
		len(u.ExternalIds) != 1 || aws.ToString(u.ExternalIds[0].Id) != "ext-42" {
		t.Fatalf("DescribeUser of a SCIM user: %+v %v", u, err)
	}
	byExt, err := e.ids.GetUserId(ctx, &identitystore.GetUserIdInput{IdentityStoreId: store,
		AlternateIdentifier: &types.AlternateIdentifierMemberExternalId{Value: types.ExternalId{Issuer: aws.String("SCIM"), Id: aws.String("ext-42")}}})
	if err != nil || aws.ToString(byExt.UserId) != created.ID {
		t.Fatalf("GetUserId by external id: %+v %v", byExt, err)
	}

	out, err := e.ids.CreateUser(ctx, &identitystore.CreateUserInput{IdentityStoreId: store, UserName: aws.String("api.user"),
		DisplayName: aws.String("Api User"), Name: &types.Name{GivenName: aws.String("Api"), FamilyName: aws.String("User")}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodGet, e.srv.URL+"/scim/v2/Users/"+aws.ToString(out.UserId), nil)
	req.Header.Set("Authorization", "Bearer "+e.scimToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		ID, UserName, DisplayName string
		Name                      struct{ GivenName, FamilyName string }
		Active                    bool
	}
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || got.ID != aws.ToString(out.UserId) || got.UserName != "api.user" ||
		got.DisplayName != "Api User" || got.Name.GivenName != "Api" || !got.Active {
		t.Fatalf("SCIM GET of an identitystore user: %d %+v", resp.StatusCode, got)
	}
}
