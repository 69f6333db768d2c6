package awsapi_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	istypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"

	"github.com/gatehouse-id/gatehouse/internal/center"
)

const readOnlyPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}`

func TestSSOAdminInstances(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	li, err := e.sso.ListInstances(ctx, &ssoadmin.ListInstancesInput{})
	if err != nil || len(li.Instances) != 1 {
		t.Fatalf("ListInstances: %+v %v", li, err)
	}
	in := li.Instances[0]
	if aws.ToString(in.InstanceArn) != e.instanceARN() || aws.ToString(in.IdentityStoreId) != e.inst.IdentityStoreID ||
		in.Status != types.InstanceStatusActive || aws.ToString(in.OwnerAccountId) != "111122223333" ||
		in.CreatedDate == nil || in.CreatedDate.Sub(e.inst.Created).Abs() > time.Second {
		t.Fatalf("instance: %+v", in)
	}
	di, err := e.sso.DescribeInstance(ctx, &ssoadmin.DescribeInstanceInput{InstanceArn: aws.String(e.instanceARN())})
	if err != nil || aws.ToString(di.IdentityStoreId) != e.inst.IdentityStoreID || di.Status != types.InstanceStatusActive {
		t.Fatalf("DescribeInstance: %+v %v", di, err)
	}
	// Another (well-formed) instance: not found; a malformed one: invalid.
	_, err = e.sso.DescribeInstance(ctx, &ssoadmin.DescribeInstanceInput{InstanceArn: aws.String("arn:aws:sso:::instance/ssoins-0000000000000000")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("DescribeInstance of another instance: %v", err)
	}
	_, err = e.sso.ListPermissionSets(ctx, &ssoadmin.ListPermissionSetsInput{InstanceArn: aws.String("arn:aws:sso:::instance/bad")})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || !strings.Contains(aws.ToString(ve.Message), "instanceArn") {
		t.Fatalf("malformed instance ARN: %v", err)
	}
}

func TestSSOAdminPermissionSets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	inst := aws.String(e.instanceARN())

	cp, err := e.sso.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: inst, Name: aws.String("AdminAccess"),
		Description: aws.String("Admin access"), SessionDuration: aws.String("PT8H"),
		RelayState: aws.String("https://console.aws.amazon.com/"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}})
	if err != nil {
		t.Fatalf("CreatePermissionSet: %v", err)
	}
	ps := cp.PermissionSet
	arn := ps.PermissionSetArn
	if aws.ToString(ps.Name) != "AdminAccess" || !strings.HasPrefix(aws.ToString(arn), "arn:aws:sso:::permissionSet/"+e.inst.InstanceID+"/ps-") ||
		aws.ToString(ps.SessionDuration) != "PT8H" || aws.ToString(ps.Description) != "Admin access" || ps.CreatedDate == nil {
		t.Fatalf("created: %+v", ps)
	}

	// Defaults: PT1H.
	cp2, err := e.sso.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: inst, Name: aws.String("ReadOnly")})
	if err != nil || aws.ToString(cp2.PermissionSet.SessionDuration) != "PT1H" {
		t.Fatalf("CreatePermissionSet default duration: %+v %v", cp2, err)
	}

	// Errors: duplicate name (case-insensitive), bad name, PT13H.
	_, err = e.sso.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: inst, Name: aws.String("adminaccess")})
	var ce *types.ConflictException
	if !errors.As(err, &ce) || !strings.Contains(aws.ToString(ce.Message), "already exists") {
		t.Fatalf("duplicate name: %v", err)
	}
	_, err = e.sso.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: inst, Name: aws.String("bad name!")})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || aws.ToString(ve.Message) != `1 validation error detected: Value 'bad name!' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+` {
		t.Fatalf("bad name: %v", err)
	}
	_, err = e.sso.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: inst, Name: aws.String("Long"),
		SessionDuration: aws.String("PT13H")})
	if !errors.As(err, &ve) || !strings.Contains(aws.ToString(ve.Message), "'PT13H' at 'sessionDuration'") {
		t.Fatalf("PT13H: %v", err)
	}
	_, err = e.sso.ListPermissionSets(ctx, &ssoadmin.ListPermissionSetsInput{InstanceArn: inst, MaxResults: aws.Int32(0)})
	if !errors.As(err, &ve) || !strings.Contains(aws.ToString(ve.Message), "'maxResults'") {
		t.Fatalf("MaxResults 0: %v", err)
	}
	_, err = e.sso.DescribePermissionSet(ctx, &ssoadmin.DescribePermissionSetInput{InstanceArn: inst,
		PermissionSetArn: aws.String("arn:aws:sso:::permissionSet/" + e.inst.InstanceID + "/ps-0000000000000000")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("unknown permission set: %v", err)
	}

	// Describe, List (paged), Update.
	d, err := e.sso.DescribePermissionSet(ctx, &ssoadmin.DescribePermissionSetInput{InstanceArn: inst, PermissionSetArn: arn})
	if err != nil || aws.ToString(d.PermissionSet.RelayState) != "https://console.aws.amazon.com/" {
		t.Fatalf("DescribePermissionSet: %+v %v", d, err)
	}
	var listed []string
	pages := 0
	for p := ssoadmin.NewListPermissionSetsPaginator(e.sso, &ssoadmin.ListPermissionSetsInput{InstanceArn: inst, MaxResults: aws.Int32(1)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		listed = append(listed, out.PermissionSets...)
	}
	if pages != 2 || !slices.Equal(listed, []string{aws.ToString(arn), aws.ToString(cp2.PermissionSet.PermissionSetArn)}) {
		t.Fatalf("ListPermissionSets: %d pages %v", pages, listed)
	}
	if _, err := e.sso.UpdatePermissionSet(ctx, &ssoadmin.UpdatePermissionSetInput{InstanceArn: inst, PermissionSetArn: arn,
		SessionDuration: aws.String("PT12H"), Description: aws.String("Administrators")}); err != nil {
		t.Fatalf("UpdatePermissionSet: %v", err)
	}
	d, _ = e.sso.DescribePermissionSet(ctx, &ssoadmin.DescribePermissionSetInput{InstanceArn: inst, PermissionSetArn: arn})
	if aws.ToString(d.PermissionSet.SessionDuration) != "PT12H" || aws.ToString(d.PermissionSet.Description) != "Administrators" ||
		aws.ToString(d.PermissionSet.RelayState) != "https://console.aws.amazon.com/" {
		t.Fatalf("after update: %+v", d.PermissionSet)
	}
	if _, err := e.sso.UpdatePermissionSet(ctx, &ssoadmin.UpdatePermissionSetInput{InstanceArn: inst, PermissionSetArn: arn,
		SessionDuration: aws.String("PT30M")}); !errors.As(err, &ve) {
		t.Fatalf("update to PT30M: %v", err)
	}

	// Managed policies.
	for _, p := range []string{"arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"} {
		if _, err := e.sso.AttachManagedPolicyToPermissionSet(ctx, &ssoadmin.AttachManagedPolicyToPermissionSetInput{
			InstanceArn: inst, PermissionSetArn: arn, ManagedPolicyArn: aws.String(p)}); err != nil {
			t.Fatalf("attach %s: %v", p, err)
		}
	}
	if _, err := e.sso.AttachManagedPolicyToPermissionSet(ctx, &ssoadmin.AttachManagedPolicyToPermissionSetInput{
		InstanceArn: inst, PermissionSetArn: arn, ManagedPolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); !errors.As(err, &ce) {
		t.Fatalf("attach twice: %v", err)
	}
	if _, err := e.sso.AttachManagedPolicyToPermissionSet(ctx, &ssoadmin.AttachManagedPolicyToPermissionSetInput{
		InstanceArn: inst, PermissionSetArn: arn, ManagedPolicyArn: aws.String("arn:aws:iam::123456789012:policy/Mine")}); !errors.As(err, &ve) {
		t.Fatalf("attach a customer policy ARN: %v", err)
	}
	mp, err := e.sso.ListManagedPoliciesInPermissionSet(ctx, &ssoadmin.ListManagedPoliciesInPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn})
	if err != nil || len(mp.AttachedManagedPolicies) != 2 || aws.ToString(mp.AttachedManagedPolicies[1].Name) != "ViewOnlyAccess" ||
		aws.ToString(mp.AttachedManagedPolicies[1].Arn) != "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess" {
		t.Fatalf("ListManagedPoliciesInPermissionSet: %+v %v", mp, err)
	}
	if _, err := e.sso.DetachManagedPolicyFromPermissionSet(ctx, &ssoadmin.DetachManagedPolicyFromPermissionSetInput{
		InstanceArn: inst, PermissionSetArn: arn, ManagedPolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatalf("detach: %v", err)
	}
	if _, err := e.sso.DetachManagedPolicyFromPermissionSet(ctx, &ssoadmin.DetachManagedPolicyFromPermissionSetInput{
		InstanceArn: inst, PermissionSetArn: arn, ManagedPolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); !errors.As(err, &nf) {
		t.Fatalf("detach twice: %v", err)
	}
	mp, _ = e.sso.ListManagedPoliciesInPermissionSet(ctx, &ssoadmin.ListManagedPoliciesInPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn})
	if len(mp.AttachedManagedPolicies) != 1 {
		t.Fatalf("after detach: %+v", mp.AttachedManagedPolicies)
	}

	// Inline policy.
	if _, err := e.sso.PutInlinePolicyToPermissionSet(ctx, &ssoadmin.PutInlinePolicyToPermissionSetInput{InstanceArn: inst,
		PermissionSetArn: arn, InlinePolicy: aws.String(readOnlyPolicy)}); err != nil {
		t.Fatalf("PutInlinePolicy: %v", err)
	}
	if _, err := e.sso.PutInlinePolicyToPermissionSet(ctx, &ssoadmin.PutInlinePolicyToPermissionSetInput{InstanceArn: inst,
		PermissionSetArn: arn, InlinePolicy: aws.String(`{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`)}); !errors.As(err, &ve) {
		t.Fatalf("invalid inline policy: %v", err)
	}
	ip, err := e.sso.GetInlinePolicyForPermissionSet(ctx, &ssoadmin.GetInlinePolicyForPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn})
	if err != nil || aws.ToString(ip.InlinePolicy) != readOnlyPolicy {
		t.Fatalf("GetInlinePolicy: %+v %v", ip, err)
	}
	if _, err := e.sso.DeleteInlinePolicyFromPermissionSet(ctx, &ssoadmin.DeleteInlinePolicyFromPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn}); err != nil {
		t.Fatal(err)
	}
	if ip, _ := e.sso.GetInlinePolicyForPermissionSet(ctx, &ssoadmin.GetInlinePolicyForPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn}); aws.ToString(ip.InlinePolicy) != "" {
		t.Fatalf("inline policy after delete: %q", aws.ToString(ip.InlinePolicy))
	}

	// Customer managed policy references.
	if _, err := e.sso.AttachCustomerManagedPolicyReferenceToPermissionSet(ctx, &ssoadmin.AttachCustomerManagedPolicyReferenceToPermissionSetInput{
		InstanceArn: inst, PermissionSetArn: arn, CustomerManagedPolicyReference: &types.CustomerManagedPolicyReference{Name: aws.String("TeamPolicy")}}); err != nil {
		t.Fatalf("AttachCustomerManagedPolicyReference: %v", err)
	}
	if _, err := e.sso.AttachCustomerManagedPolicyReferenceToPermissionSet(ctx, &ssoadmin.AttachCustomerManagedPolicyReferenceToPermissionSetInput{
		InstanceArn: inst, PermissionSetArn: arn, CustomerManagedPolicyReference: &types.CustomerManagedPolicyReference{Name: aws.String("Other"), Path: aws.String("/team/")}}); err != nil {
		t.Fatal(err)
	}
	cr, err := e.sso.ListCustomerManagedPolicyReferencesInPermissionSet(ctx, &ssoadmin.ListCustomerManagedPolicyReferencesInPermissionSetInput{
		InstanceArn: inst, PermissionSetArn: arn, MaxResults: aws.Int32(1)})
	if err != nil || len(cr.CustomerManagedPolicyReferences) != 1 || aws.ToString(cr.CustomerManagedPolicyReferences[0].Path) != "/" ||
		aws.ToString(cr.CustomerManagedPolicyReferences[0].Name) != "TeamPolicy" || cr.NextToken == nil {
		t.Fatalf("ListCustomerManagedPolicyReferences: %+v %v", cr, err)
	}
	if _, err := e.sso.DetachCustomerManagedPolicyReferenceFromPermissionSet(ctx, &ssoadmin.DetachCustomerManagedPolicyReferenceFromPermissionSetInput{
		InstanceArn: inst, PermissionSetArn: arn, CustomerManagedPolicyReference: &types.CustomerManagedPolicyReference{Name: aws.String("TeamPolicy")}}); err != nil {
		t.Fatalf("Detach customer policy: %v", err)
	}
	cr, _ = e.sso.ListCustomerManagedPolicyReferencesInPermissionSet(ctx, &ssoadmin.ListCustomerManagedPolicyReferencesInPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn})
	if len(cr.CustomerManagedPolicyReferences) != 1 || aws.ToString(cr.CustomerManagedPolicyReferences[0].Path) != "/team/" {
		t.Fatalf("after detach: %+v", cr.CustomerManagedPolicyReferences)
	}

	// Permissions boundary.
	if _, err := e.sso.GetPermissionsBoundaryForPermissionSet(ctx, &ssoadmin.GetPermissionsBoundaryForPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn}); !errors.As(err, &nf) {
		t.Fatalf("no boundary: %v", err)
	}
	if _, err := e.sso.PutPermissionsBoundaryToPermissionSet(ctx, &ssoadmin.PutPermissionsBoundaryToPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn,
		PermissionsBoundary: &types.PermissionsBoundary{ManagedPolicyArn: aws.String("arn:aws:iam::aws:policy/PowerUserAccess")}}); err != nil {
		t.Fatalf("PutPermissionsBoundary: %v", err)
	}
	pb, err := e.sso.GetPermissionsBoundaryForPermissionSet(ctx, &ssoadmin.GetPermissionsBoundaryForPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn})
	if err != nil || aws.ToString(pb.PermissionsBoundary.ManagedPolicyArn) != "arn:aws:iam::aws:policy/PowerUserAccess" {
		t.Fatalf("GetPermissionsBoundary: %+v %v", pb, err)
	}
	if _, err := e.sso.PutPermissionsBoundaryToPermissionSet(ctx, &ssoadmin.PutPermissionsBoundaryToPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn,
		PermissionsBoundary: &types.PermissionsBoundary{CustomerManagedPolicyReference: &types.CustomerManagedPolicyReference{Name: aws.String("Boundary")}}}); err != nil {
		t.Fatal(err)
	}
	pb, _ = e.sso.GetPermissionsBoundaryForPermissionSet(ctx, &ssoadmin.GetPermissionsBoundaryForPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn})
	if pb.PermissionsBoundary.ManagedPolicyArn != nil || aws.ToString(pb.PermissionsBoundary.CustomerManagedPolicyReference.Name) != "Boundary" {
		t.Fatalf("customer boundary: %+v", pb.PermissionsBoundary)
	}
	if _, err := e.sso.DeletePermissionsBoundaryFromPermissionSet(ctx, &ssoadmin.DeletePermissionsBoundaryFromPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sso.GetPermissionsBoundaryForPermissionSet(ctx, &ssoadmin.GetPermissionsBoundaryForPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn}); !errors.As(err, &nf) {
		t.Fatalf("boundary after delete: %v", err)
	}

	// Tags.
	if _, err := e.sso.TagResource(ctx, &ssoadmin.TagResourceInput{InstanceArn: inst, ResourceArn: arn,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("security")}, {Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if _, err := e.sso.TagResource(ctx, &ssoadmin.TagResourceInput{InstanceArn: inst, ResourceArn: arn,
		Tags: []types.Tag{{Key: aws.String("aws:reserved"), Value: aws.String("x")}}}); !errors.As(err, &ve) {
		t.Fatalf("reserved tag key: %v", err)
	}
	tags, err := e.sso.ListTagsForResource(ctx, &ssoadmin.ListTagsForResourceInput{InstanceArn: inst, ResourceArn: arn})
	if err != nil || len(tags.Tags) != 2 || aws.ToString(tags.Tags[0].Key) != "team" || aws.ToString(tags.Tags[0].Value) != "security" ||
		aws.ToString(tags.Tags[1].Key) != "env" {
		t.Fatalf("ListTagsForResource: %+v %v", tags, err)
	}
	if _, err := e.sso.UntagResource(ctx, &ssoadmin.UntagResourceInput{InstanceArn: inst, ResourceArn: arn, TagKeys: []string{"team"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	tags, _ = e.sso.ListTagsForResource(ctx, &ssoadmin.ListTagsForResourceInput{InstanceArn: inst, ResourceArn: arn})
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Fatalf("after untag: %+v", tags.Tags)
	}

	// Delete.
	for _, a := range []*string{arn, cp2.PermissionSet.PermissionSetArn} {
		if _, err := e.sso.DeletePermissionSet(ctx, &ssoadmin.DeletePermissionSetInput{InstanceArn: inst, PermissionSetArn: a}); err != nil {
			t.Fatalf("DeletePermissionSet: %v", err)
		}
	}
	if _, err := e.sso.DescribePermissionSet(ctx, &ssoadmin.DescribePermissionSetInput{InstanceArn: inst, PermissionSetArn: arn}); !errors.As(err, &nf) {
		t.Fatalf("describe after delete: %v", err)
	}
	if _, err := e.sso.DeletePermissionSet(ctx, &ssoadmin.DeletePermissionSetInput{InstanceArn: inst, PermissionSetArn: arn}); !errors.As(err, &nf) {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestSSOAdminAssignments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	inst := aws.String(e.instanceARN())
	for _, a := range []*center.Account{{ID: "111111111111", Name: "Production", Email: "prod@example.com"},
		{ID: "222222222222", Name: "Development", Email: "dev@example.com"}} {
		if err := e.store.PutAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	g, err := e.ids.CreateGroup(ctx, &identitystore.CreateGroupInput{IdentityStoreId: aws.String(e.inst.IdentityStoreID), DisplayName: aws.String("Developers")})
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.ids.CreateUser(ctx, &identitystore.CreateUserInput{IdentityStoreId: aws.String(e.inst.IdentityStoreID), UserName: aws.String("dev1"),
		DisplayName: aws.String("Dev One"), Name: &istypes.Name{GivenName: aws.String("Dev"), FamilyName: aws.String("One")}})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := e.sso.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: inst, Name: aws.String("Dev")})
	if err != nil {
		t.Fatal(err)
	}
	arn := cp.PermissionSet.PermissionSetArn

	assign := func(account string, typ types.PrincipalType, principal string) *types.AccountAssignmentOperationStatus {
		t.Helper()
		out, err := e.sso.CreateAccountAssignment(ctx, &ssoadmin.CreateAccountAssignmentInput{InstanceArn: inst, TargetId: aws.String(account),
			TargetType: types.TargetTypeAwsAccount, PermissionSetArn: arn, PrincipalType: typ, PrincipalId: aws.String(principal)})
		if err != nil {
			t.Fatalf("CreateAccountAssignment: %v", err)
		}
		return out.AccountAssignmentCreationStatus
	}
	st := assign("111111111111", types.PrincipalTypeGroup, aws.ToString(g.GroupId))
	if st.Status != types.StatusValuesSucceeded || len(aws.ToString(st.RequestId)) != 36 || aws.ToString(st.TargetId) != "111111111111" ||
		st.PrincipalType != types.PrincipalTypeGroup || st.CreatedDate == nil {
		t.Fatalf("creation status: %+v", st)
	}
	assign("222222222222", types.PrincipalTypeGroup, aws.ToString(g.GroupId))
	assign("111111111111", types.PrincipalTypeUser, aws.ToString(u.UserId))

	ds, err := e.sso.DescribeAccountAssignmentCreationStatus(ctx, &ssoadmin.DescribeAccountAssignmentCreationStatusInput{InstanceArn: inst,
		AccountAssignmentCreationRequestId: st.RequestId})
	if err != nil || ds.AccountAssignmentCreationStatus.Status != types.StatusValuesSucceeded ||
		aws.ToString(ds.AccountAssignmentCreationStatus.PrincipalId) != aws.ToString(g.GroupId) {
		t.Fatalf("DescribeAccountAssignmentCreationStatus: %+v %v", ds, err)
	}
	var nf *types.ResourceNotFoundException
	if _, err := e.sso.DescribeAccountAssignmentCreationStatus(ctx, &ssoadmin.DescribeAccountAssignmentCreationStatusInput{InstanceArn: inst,
		AccountAssignmentCreationRequestId: aws.String("00000000-0000-4000-8000-000000000000")}); !errors.As(err, &nf) {
		t.Fatalf("unknown request id: %v", err)
	}
	// Unknown account, principal: not found; bad target type: invalid.
	for _, in := range []*ssoadmin.CreateAccountAssignmentInput{
		{InstanceArn: inst, TargetId: aws.String("999999999999"), TargetType: types.TargetTypeAwsAccount, PermissionSetArn: arn,
			PrincipalType: types.PrincipalTypeGroup, PrincipalId: g.GroupId},
		{InstanceArn: inst, TargetId: aws.String("111111111111"), TargetType: types.TargetTypeAwsAccount, PermissionSetArn: arn,
			PrincipalType: types.PrincipalTypeUser, PrincipalId: aws.String(e.inst.IDPrefix + "-11111111-2222-3333-4444-555555555555")},
	} {
		if _, err := e.sso.CreateAccountAssignment(ctx, in); !errors.As(err, &nf) {
			t.Fatalf("assignment to a missing target: %v", err)
		}
	}
	var ve *types.ValidationException
	if _, err := e.sso.CreateAccountAssignment(ctx, &ssoadmin.CreateAccountAssignmentInput{InstanceArn: inst, TargetId: aws.String("12345"),
		TargetType: types.TargetTypeAwsAccount, PermissionSetArn: arn, PrincipalType: types.PrincipalTypeGroup, PrincipalId: g.GroupId}); !errors.As(err, &ve) {
		t.Fatalf("bad target id: %v", err)
	}

	la, err := e.sso.ListAccountAssignments(ctx, &ssoadmin.ListAccountAssignmentsInput{InstanceArn: inst, AccountId: aws.String("111111111111"), PermissionSetArn: arn})
	if err != nil || len(la.AccountAssignments) != 2 || la.AccountAssignments[0].PrincipalType != types.PrincipalTypeGroup ||
		la.AccountAssignments[1].PrincipalType != types.PrincipalTypeUser {
		t.Fatalf("ListAccountAssignments: %+v %v", la, err)
	}
	lp, err := e.sso.ListAccountAssignmentsForPrincipal(ctx, &ssoadmin.ListAccountAssignmentsForPrincipalInput{InstanceArn: inst,
		PrincipalId: g.GroupId, PrincipalType: types.PrincipalTypeGroup})
	if err != nil || len(lp.AccountAssignments) != 2 || aws.ToString(lp.AccountAssignments[1].AccountId) != "222222222222" {
		t.Fatalf("ListAccountAssignmentsForPrincipal: %+v %v", lp, err)
	}
	lp, err = e.sso.ListAccountAssignmentsForPrincipal(ctx, &ssoadmin.ListAccountAssignmentsForPrincipalInput{InstanceArn: inst,
		PrincipalId: g.GroupId, PrincipalType: types.PrincipalTypeGroup, Filter: &types.ListAccountAssignmentsFilter{AccountId: aws.String("222222222222")}})
	if err != nil || len(lp.AccountAssignments) != 1 {
		t.Fatalf("ListAccountAssignmentsForPrincipal with filter: %+v %v", lp, err)
	}
	acc, err := e.sso.ListAccountsForProvisionedPermissionSet(ctx, &ssoadmin.ListAccountsForProvisionedPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn})
	if err != nil || !slices.Equal(acc.AccountIds, []string{"111111111111", "222222222222"}) {
		t.Fatalf("ListAccountsForProvisionedPermissionSet: %+v %v", acc, err)
	}
	acc, err = e.sso.ListAccountsForProvisionedPermissionSet(ctx, &ssoadmin.ListAccountsForProvisionedPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn,
		ProvisioningStatus: types.ProvisioningStatusLatestPermissionSetNotProvisioned})
	if err != nil || len(acc.AccountIds) != 0 {
		t.Fatalf("not provisioned filter: %+v %v", acc, err)
	}
	pa, err := e.sso.ListPermissionSetsProvisionedToAccount(ctx, &ssoadmin.ListPermissionSetsProvisionedToAccountInput{InstanceArn: inst, AccountId: aws.String("222222222222")})
	if err != nil || !slices.Equal(pa.PermissionSets, []string{aws.ToString(arn)}) {
		t.Fatalf("ListPermissionSetsProvisionedToAccount: %+v %v", pa, err)
	}

	// ProvisionPermissionSet: synchronous, recorded.
	pr, err := e.sso.ProvisionPermissionSet(ctx, &ssoadmin.ProvisionPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn,
		TargetType: types.ProvisionTargetTypeAwsAccount, TargetId: aws.String("111111111111")})
	if err != nil || pr.PermissionSetProvisioningStatus.Status != types.StatusValuesSucceeded ||
		aws.ToString(pr.PermissionSetProvisioningStatus.AccountId) != "111111111111" {
		t.Fatalf("ProvisionPermissionSet: %+v %v", pr, err)
	}
	pr2, err := e.sso.ProvisionPermissionSet(ctx, &ssoadmin.ProvisionPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn,
		TargetType: types.ProvisionTargetTypeAllProvisionedAccounts})
	if err != nil {
		t.Fatal(err)
	}

	// Deleting an assigned permission set: conflict.
	var ce *types.ConflictException
	if _, err := e.sso.DeletePermissionSet(ctx, &ssoadmin.DeletePermissionSetInput{InstanceArn: inst, PermissionSetArn: arn}); !errors.As(err, &ce) {
		t.Fatalf("delete an assigned permission set: %v", err)
	}

	del, err := e.sso.DeleteAccountAssignment(ctx, &ssoadmin.DeleteAccountAssignmentInput{InstanceArn: inst, TargetId: aws.String("111111111111"),
		TargetType: types.TargetTypeAwsAccount, PermissionSetArn: arn, PrincipalType: types.PrincipalTypeGroup, PrincipalId: g.GroupId})
	if err != nil || del.AccountAssignmentDeletionStatus.Status != types.StatusValuesSucceeded {
		t.Fatalf("DeleteAccountAssignment: %+v %v", del, err)
	}
	delID := del.AccountAssignmentDeletionStatus.RequestId
	if _, err := e.sso.DeleteAccountAssignment(ctx, &ssoadmin.DeleteAccountAssignmentInput{InstanceArn: inst, TargetId: aws.String("111111111111"),
		TargetType: types.TargetTypeAwsAccount, PermissionSetArn: arn, PrincipalType: types.PrincipalTypeGroup, PrincipalId: g.GroupId}); !errors.As(err, &nf) {
		t.Fatalf("delete twice: %v", err)
	}

	// Statuses survive a restart, and the creation status its assignment.
	e.restart()
	dd, err := e.sso.DescribeAccountAssignmentDeletionStatus(ctx, &ssoadmin.DescribeAccountAssignmentDeletionStatusInput{InstanceArn: inst,
		AccountAssignmentDeletionRequestId: delID})
	if err != nil || dd.AccountAssignmentDeletionStatus.Status != types.StatusValuesSucceeded ||
		aws.ToString(dd.AccountAssignmentDeletionStatus.TargetId) != "111111111111" ||
		aws.ToString(dd.AccountAssignmentDeletionStatus.PrincipalId) != aws.ToString(g.GroupId) {
		t.Fatalf("DescribeAccountAssignmentDeletionStatus after restart: %+v %v", dd, err)
	}
	if ds, err := e.sso.DescribeAccountAssignmentCreationStatus(ctx, &ssoadmin.DescribeAccountAssignmentCreationStatusInput{InstanceArn: inst,
		AccountAssignmentCreationRequestId: st.RequestId}); err != nil || ds.AccountAssignmentCreationStatus.Status != types.StatusValuesSucceeded {
		t.Fatalf("creation status of a deleted assignment: %+v %v", ds, err)
	}
	for _, id := range []*string{pr.PermissionSetProvisioningStatus.RequestId, pr2.PermissionSetProvisioningStatus.RequestId} {
		ps, err := e.sso.DescribePermissionSetProvisioningStatus(ctx, &ssoadmin.DescribePermissionSetProvisioningStatusInput{InstanceArn: inst,
			ProvisionPermissionSetRequestId: id})
		if err != nil || ps.PermissionSetProvisioningStatus.Status != types.StatusValuesSucceeded ||
			aws.ToString(ps.PermissionSetProvisioningStatus.PermissionSetArn) != aws.ToString(arn) {
			t.Fatalf("DescribePermissionSetProvisioningStatus: %+v %v", ps, err)
		}
	}
	// A deletion request id is not a creation request id.
	if _, err := e.sso.DescribeAccountAssignmentCreationStatus(ctx, &ssoadmin.DescribeAccountAssignmentCreationStatusInput{InstanceArn: inst,
		AccountAssignmentCreationRequestId: delID}); !errors.As(err, &nf) {
		t.Fatalf("deletion id as creation id: %v", err)
	}
	acc, _ = e.sso.ListAccountsForProvisionedPermissionSet(ctx, &ssoadmin.ListAccountsForProvisionedPermissionSetInput{InstanceArn: inst, PermissionSetArn: arn})
	if !slices.Equal(acc.AccountIds, []string{"111111111111", "222222222222"}) { // the user's assignment remains in 1111…
		t.Fatalf("accounts after one deletion: %v", acc.AccountIds)
	}
}

func TestSSOAdminABAC(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	inst := aws.String(e.instanceARN())
	attr := func(key, src string) types.AccessControlAttribute {
		return types.AccessControlAttribute{Key: aws.String(key), Value: &types.AccessControlAttributeValue{Source: []string{src}}}
	}
	var nf *types.ResourceNotFoundException
	if _, err := e.sso.DescribeInstanceAccessControlAttributeConfiguration(ctx, &ssoadmin.DescribeInstanceAccessControlAttributeConfigurationInput{InstanceArn: inst}); !errors.As(err, &nf) {
		t.Fatalf("describe before create: %v", err)
	}
	cfg := &types.InstanceAccessControlAttributeConfiguration{AccessControlAttributes: []types.AccessControlAttribute{
		attr("CostCenter", "${path:enterprise.costCenter}"), attr("Department", "${path:enterprise.department}")}}
	if _, err := e.sso.CreateInstanceAccessControlAttributeConfiguration(ctx, &ssoadmin.CreateInstanceAccessControlAttributeConfigurationInput{
		InstanceArn: inst, InstanceAccessControlAttributeConfiguration: cfg}); err != nil {
		t.Fatalf("create ABAC: %v", err)
	}
	var ce *types.ConflictException
	if _, err := e.sso.CreateInstanceAccessControlAttributeConfiguration(ctx, &ssoadmin.CreateInstanceAccessControlAttributeConfigurationInput{
		InstanceArn: inst, InstanceAccessControlAttributeConfiguration: cfg}); !errors.As(err, &ce) {
		t.Fatalf("create twice: %v", err)
	}
	var ve *types.ValidationException
	for _, bad := range []string{"${path:enterprise.salary}", "enterprise.costCenter", "${path:userName} "} {
		if _, err := e.sso.UpdateInstanceAccessControlAttributeConfiguration(ctx, &ssoadmin.UpdateInstanceAccessControlAttributeConfigurationInput{
			InstanceArn: inst, InstanceAccessControlAttributeConfiguration: &types.InstanceAccessControlAttributeConfiguration{
				AccessControlAttributes: []types.AccessControlAttribute{attr("X", bad)}}}); !errors.As(err, &ve) {
			t.Fatalf("source %q: %v", bad, err)
		}
	}
	e.restart()
	d, err := e.sso.DescribeInstanceAccessControlAttributeConfiguration(ctx, &ssoadmin.DescribeInstanceAccessControlAttributeConfigurationInput{InstanceArn: inst})
	if err != nil || d.Status != types.InstanceAccessControlAttributeConfigurationStatusEnabled ||
		len(d.InstanceAccessControlAttributeConfiguration.AccessControlAttributes) != 2 ||
		d.InstanceAccessControlAttributeConfiguration.AccessControlAttributes[0].Value.Source[0] != "${path:enterprise.costCenter}" {
		t.Fatalf("describe ABAC: %+v %v", d, err)
	}
	if _, err := e.sso.UpdateInstanceAccessControlAttributeConfiguration(ctx, &ssoadmin.UpdateInstanceAccessControlAttributeConfigurationInput{
		InstanceArn: inst, InstanceAccessControlAttributeConfiguration: &types.InstanceAccessControlAttributeConfiguration{
			AccessControlAttributes: []types.AccessControlAttribute{attr("Email", "${path:emails[primary eq true].value}")}}}); err != nil {
		t.Fatalf("update ABAC: %v", err)
	}
	d, _ = e.sso.DescribeInstanceAccessControlAttributeConfiguration(ctx, &ssoadmin.DescribeInstanceAccessControlAttributeConfigurationInput{InstanceArn: inst})
	if a := d.InstanceAccessControlAttributeConfiguration.AccessControlAttributes; len(a) != 1 || aws.ToString(a[0].Key) != "Email" {
		t.Fatalf("after update: %+v", a)
	}
	if _, err := e.sso.DeleteInstanceAccessControlAttributeConfiguration(ctx, &ssoadmin.DeleteInstanceAccessControlAttributeConfigurationInput{InstanceArn: inst}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sso.DeleteInstanceAccessControlAttributeConfiguration(ctx, &ssoadmin.DeleteInstanceAccessControlAttributeConfigurationInput{InstanceArn: inst}); !errors.As(err, &nf) {
		t.Fatalf("delete twice: %v", err)
	}
}

// TestAccessLossHooks: every API change that can take access away tells the
// portal (through the hooks) who to re-check; refused changes tell nobody.
func TestAccessLossHooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	inst, store := aws.String(e.instanceARN()), aws.String(e.inst.IdentityStoreID)
	if err := e.store.PutAccount(ctx, &center.Account{ID: "111111111111", Name: "Production", Email: "prod@example.com"}); err != nil {
		t.Fatal(err)
	}
	var users []string
	for _, n := range []string{"ann", "ben"} {
		u, err := e.ids.CreateUser(ctx, &identitystore.CreateUserInput{IdentityStoreId: store, UserName: aws.String(n),
			DisplayName: aws.String(n), Name: &istypes.Name{GivenName: aws.String(n), FamilyName: aws.String("X")}})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, aws.ToString(u.UserId))
	}
	g, err := e.ids.CreateGroup(ctx, &identitystore.CreateGroupInput{IdentityStoreId: store, DisplayName: aws.String("Ops")})
	if err != nil {
		t.Fatal(err)
	}
	gid := aws.ToString(g.GroupId)
	var memberships []string
	for _, u := range users {
		m, err := e.ids.CreateGroupMembership(ctx, &identitystore.CreateGroupMembershipInput{IdentityStoreId: store, GroupId: &gid,
			MemberId: &istypes.MemberIdMemberUserId{Value: u}})
		if err != nil {
			t.Fatal(err)
		}
		memberships = append(memberships, aws.ToString(m.MembershipId))
	}
	ps, err := e.sso.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: inst, Name: aws.String("Ops")})
	if err != nil {
		t.Fatal(err)
	}
	assignment := func(typ types.PrincipalType, id string) *ssoadmin.DeleteAccountAssignmentInput {
		return &ssoadmin.DeleteAccountAssignmentInput{InstanceArn: inst, TargetId: aws.String("111111111111"),
			TargetType: types.TargetTypeAwsAccount, PermissionSetArn: ps.PermissionSet.PermissionSetArn, PrincipalType: typ,
			PrincipalId: aws.String(id)}
	}
	d := assignment(types.PrincipalTypeGroup, gid)
	if _, err := e.sso.CreateAccountAssignment(ctx, &ssoadmin.CreateAccountAssignmentInput{InstanceArn: d.InstanceArn,
		TargetId: d.TargetId, TargetType: d.TargetType, PermissionSetArn: d.PermissionSetArn, PrincipalType: d.PrincipalType,
		PrincipalId: d.PrincipalId}); err != nil {
		t.Fatal(err)
	}
	if got := e.hooks.take(); len(got) != 0 {
		t.Fatalf("granting access called hooks: %v", got)
	}
	steps := []struct {
		name string
		do   func() error
		want []string
	}{
		{"delete the group's assignment", func() error { _, err := e.sso.DeleteAccountAssignment(ctx, d); return err },
			[]string{"assignment GROUP " + gid}},
		{"delete a missing assignment", func() error {
			_, err := e.sso.DeleteAccountAssignment(ctx, d)
			if err == nil {
				return errors.New("no error")
			}
			return nil
		}, nil},
		{"delete ann's membership", func() error {
			_, err := e.ids.DeleteGroupMembership(ctx, &identitystore.DeleteGroupMembershipInput{IdentityStoreId: store,
				MembershipId: &memberships[0]})
			return err
		}, []string{fmt.Sprintf("members [%s]", users[0])}},
		{"delete the group (ben still in it)", func() error {
			_, err := e.ids.DeleteGroup(ctx, &identitystore.DeleteGroupInput{IdentityStoreId: store, GroupId: &gid})
			return err
		}, []string{fmt.Sprintf("members [%s]", users[1])}},
		{"delete ann", func() error {
			_, err := e.ids.DeleteUser(ctx, &identitystore.DeleteUserInput{IdentityStoreId: store, UserId: &users[0]})
			return err
		}, []string{"user " + users[0] + " active=false"}},
		{"delete ann again", func() error {
			_, err := e.ids.DeleteUser(ctx, &identitystore.DeleteUserInput{IdentityStoreId: store, UserId: &users[0]})
			if err == nil {
				return errors.New("no error")
			}
			return nil
		}, nil},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := e.hooks.take(); !slices.Equal(got, s.want) {
			t.Errorf("%s: hooks %q, want %q", s.name, got, s.want)
		}
	}
}
