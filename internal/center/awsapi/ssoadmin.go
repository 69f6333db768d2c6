package awsapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
)

// The sso-admin operations ("SWBExternalService", signing name "sso") over
// the center's access model (center.AccessStore), reference §2.4 and §2.5.
//
// Choices where AWS's behaviour cannot be reproduced or is not documented:
//
//   - There is one instance. An InstanceArn that does not match the
//     instance's pattern is a ValidationException; a well-formed one that is
//     not ours is a ResourceNotFoundException ("Instance ... not found"), and
//     so is a permission set ARN of another instance.
//   - Provisioning is synchronous (see center.AccessStore): every status is
//     SUCCEEDED when returned. CreateAccountAssignment, DeleteAccountAssignment
//     and ProvisionPermissionSet record their status object by request id
//     (centerdb's center_request_status), so Describe…Status answers after a
//     restart and after the assignment is gone.
//   - A permission set is provisioned to an account while it has an
//     assignment there; since provisioning is synchronous every such one is
//     LATEST_PERMISSION_SET_PROVISIONED and the NOT_PROVISIONED filter lists
//     nothing. ProvisionPermissionSet checks its target and records a status.
//   - Accounts cannot be created through this API (nor through AWS's
//     sso-admin: they come from AWS Organizations); they are put in the store
//     by the operator (center.AccessStore.PutAccount).
//   - Tags are supported on permission sets.

// OwnerAccountID is the account the instance reports as its owner (a fixed
// demo id: there is no AWS Organizations management account behind it).
const OwnerAccountID = "111122223333"

// InstanceName is the instance's display name in ListInstances.
const InstanceName = "Gatehouse"

var (
	reInstanceARN = regexp.MustCompile(`^arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$`)
	reABACKey     = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	reABACSource  = regexp.MustCompile(`^\$\{path:(.+)\}$`)
)

const patternInstanceARN = `arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}`

// abacPaths are the user attributes an access control attribute may take
// its value from (reference §2.4: Source "${path:...}").
var abacPaths = map[string]bool{
	"userName": true, "name.familyName": true, "name.givenName": true, "displayName": true, "nickName": true,
	"emails[primary eq true].value": true, `phoneNumbers[type eq "work"].value`: true, "userType": true,
	"title": true, "locale": true, "timezone": true,
	`addresses[type eq "work"].streetAddress`: true, `addresses[type eq "work"].locality`: true,
	`addresses[type eq "work"].region`: true, `addresses[type eq "work"].postalCode`: true,
	`addresses[type eq "work"].country`: true, `addresses[type eq "work"].formatted`: true,
	"enterprise.employeeNumber": true, "enterprise.costCenter": true, "enterprise.organization": true,
	"enterprise.division": true, "enterprise.department": true, "enterprise.manager.value": true,
}

func (h *Handler) ssoAdminOps() {
	reg := func(name string, op operation) { h.register(PrefixSSOAdmin, name, op) }
	reg("ListInstances", h.ssoListInstances)
	reg("DescribeInstance", h.ssoDescribeInstance)
	reg("CreatePermissionSet", h.ssoCreatePermissionSet)
	reg("DescribePermissionSet", h.ssoDescribePermissionSet)
	reg("ListPermissionSets", h.ssoListPermissionSets)
	reg("UpdatePermissionSet", h.ssoUpdatePermissionSet)
	reg("DeletePermissionSet", h.ssoDeletePermissionSet)
	reg("AttachManagedPolicyToPermissionSet", h.ssoAttachManagedPolicy)
	reg("DetachManagedPolicyFromPermissionSet", h.ssoDetachManagedPolicy)
	reg("ListManagedPoliciesInPermissionSet", h.ssoListManagedPolicies)
	reg("PutInlinePolicyToPermissionSet", h.ssoPutInlinePolicy)
	reg("GetInlinePolicyForPermissionSet", h.ssoGetInlinePolicy)
	reg("DeleteInlinePolicyFromPermissionSet", h.ssoDeleteInlinePolicy)
	reg("AttachCustomerManagedPolicyReferenceToPermissionSet", h.ssoAttachCustomerPolicy)
	reg("DetachCustomerManagedPolicyReferenceFromPermissionSet", h.ssoDetachCustomerPolicy)
	reg("ListCustomerManagedPolicyReferencesInPermissionSet", h.ssoListCustomerPolicies)
	reg("PutPermissionsBoundaryToPermissionSet", h.ssoPutBoundary)
	reg("GetPermissionsBoundaryForPermissionSet", h.ssoGetBoundary)
	reg("DeletePermissionsBoundaryFromPermissionSet", h.ssoDeleteBoundary)
	reg("CreateAccountAssignment", h.ssoCreateAssignment)
	reg("DeleteAccountAssignment", h.ssoDeleteAssignment)
	reg("DescribeAccountAssignmentCreationStatus", h.ssoDescribeCreationStatus)
	reg("DescribeAccountAssignmentDeletionStatus", h.ssoDescribeDeletionStatus)
	reg("ListAccountAssignments", h.ssoListAssignments)
	reg("ListAccountAssignmentsForPrincipal", h.ssoListAssignmentsForPrincipal)
	reg("ListAccountsForProvisionedPermissionSet", h.ssoListAccountsForPermissionSet)
	reg("ListPermissionSetsProvisionedToAccount", h.ssoListPermissionSetsForAccount)
	reg("ProvisionPermissionSet", h.ssoProvisionPermissionSet)
	reg("DescribePermissionSetProvisioningStatus", h.ssoDescribeProvisioningStatus)
	reg("TagResource", h.ssoTagResource)
	reg("UntagResource", h.ssoUntagResource)
	reg("ListTagsForResource", h.ssoListTags)
	reg("CreateInstanceAccessControlAttributeConfiguration", h.ssoCreateABAC)
	reg("DescribeInstanceAccessControlAttributeConfiguration", h.ssoDescribeABAC)
	reg("UpdateInstanceAccessControlAttributeConfiguration", h.ssoUpdateABAC)
	reg("DeleteInstanceAccessControlAttributeConfiguration", h.ssoDeleteABAC)
}

// --- errors and arguments ---

func ssoNotFound(format string, args ...any) error {
	return &awsError{typ: "ResourceNotFoundException", msg: fmt.Sprintf(format, args...), status: 400}
}

func ssoConflict(format string, args ...any) error {
	return &awsError{typ: "ConflictException", msg: fmt.Sprintf(format, args...), status: 400}
}

// required reports the members (name, value pairs) that are missing, in
// AWS's words.
func required(pairs ...string) error {
	var msgs []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			msgs = append(msgs, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", pairs[i]))
		}
	}
	switch len(msgs) {
	case 0:
		return nil
	case 1:
		return validation("1 validation error detected: %s", msgs[0])
	}
	return validation("%d validation errors detected: %s", len(msgs), strings.Join(msgs, "; "))
}

func checkMaxResults(n int) error {
	switch {
	case n < 1:
		return validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: "+
			"Member must have value greater than or equal to 1", n)
	case n > 100:
		return validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: "+
			"Member must have value less than or equal to 100", n)
	}
	return nil
}

// paginate returns one page of items: MaxResults (1..100, default 100) from
// the offset NextToken carries.
func paginate[T any](items []T, max *int, token string) ([]T, string, error) {
	n := 100
	if max != nil {
		if err := checkMaxResults(*max); err != nil {
			return nil, "", err
		}
		n = *max
	}
	start := 0
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		v, perr := strconv.Atoi(string(b))
		if err != nil || perr != nil || v < 0 || v > len(items) {
			return nil, "", validation("The NextToken is not valid.")
		}
		start = v
	}
	end := min(start+n, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	out := items[start:end]
	if out == nil {
		out = []T{}
	}
	return out, next, nil
}

type pageReq struct {
	MaxResults *int   `json:",omitempty"`
	NextToken  string `json:",omitempty"`
}

func instanceARN(inst *center.Instance) string { return "arn:aws:sso:::instance/" + inst.InstanceID }

// instance checks a request's InstanceArn.
func (h *Handler) instance(ctx context.Context, arn string) (*center.Instance, error) {
	if err := required("instanceArn", arn); err != nil {
		return nil, err
	}
	if !reInstanceARN.MatchString(arn) {
		return nil, validation("1 validation error detected: Value '%s' at 'instanceArn' failed to satisfy constraint: "+
			"Member must satisfy regular expression pattern: %s", arn, patternInstanceARN)
	}
	inst, err := h.Store.Instance(ctx)
	if err != nil {
		return nil, err
	}
	if arn != instanceARN(inst) {
		return nil, ssoNotFound("Instance %s not found", arn)
	}
	return inst, nil
}

type psRef struct {
	InstanceArn      string
	PermissionSetArn string
}

func psID(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

func psNotFound(arn string) error {
	return ssoNotFound("Could not find PermissionSet with id %s", psID(arn))
}

// checkPS checks the instance and the format of the permission set ARN and
// that it belongs to the instance; it does not read the permission set.
func (h *Handler) checkPS(ctx context.Context, r psRef) (*center.Instance, error) {
	if err := required("instanceArn", r.InstanceArn, "permissionSetArn", r.PermissionSetArn); err != nil {
		return nil, err
	}
	inst, err := h.instance(ctx, r.InstanceArn)
	if err != nil {
		return nil, err
	}
	if err := center.ValidatePermissionSetARN(r.PermissionSetArn); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(r.PermissionSetArn, "arn:aws:sso:::permissionSet/"+inst.InstanceID+"/") {
		return nil, psNotFound(r.PermissionSetArn)
	}
	return inst, nil
}

func (h *Handler) permissionSet(ctx context.Context, r psRef) (*center.PermissionSet, error) {
	if _, err := h.checkPS(ctx, r); err != nil {
		return nil, err
	}
	ps, err := h.Store.GetPermissionSet(ctx, r.PermissionSetArn)
	if errors.Is(err, center.ErrNotFound) {
		return nil, psNotFound(r.PermissionSetArn)
	}
	return ps, err
}

// updatePS runs fn on the permission set in the store's transaction.
func (h *Handler) updatePS(ctx context.Context, r psRef, fn func(ps *center.PermissionSet) error) (any, error) {
	if _, err := h.checkPS(ctx, r); err != nil {
		return nil, err
	}
	_, err := h.Store.UpdatePermissionSet(ctx, r.PermissionSetArn, fn)
	var ae *awsError
	if errors.Is(err, center.ErrNotFound) && !errors.As(err, &ae) {
		return nil, psNotFound(r.PermissionSetArn)
	}
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// --- instances ---

type instanceOut struct {
	InstanceArn     string
	IdentityStoreId string
	OwnerAccountId  string
	Name            string
	CreatedDate     float64
	Status          string
}

func (h *Handler) instanceOut(inst *center.Instance) instanceOut {
	return instanceOut{InstanceArn: instanceARN(inst), IdentityStoreId: inst.IdentityStoreID, OwnerAccountId: OwnerAccountID,
		Name: InstanceName, CreatedDate: epoch(inst.Created), Status: "ACTIVE"}
}

func (h *Handler) ssoListInstances(ctx context.Context, in []byte) (any, error) {
	var req struct {
		pageReq
		RegionScope string `json:",omitempty"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	inst, err := h.Store.Instance(ctx)
	if err != nil {
		return nil, err
	}
	items, next, err := paginate([]instanceOut{h.instanceOut(inst)}, req.MaxResults, req.NextToken)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Instances": items, "NextToken": omit(next)}, nil
}

func (h *Handler) ssoDescribeInstance(ctx context.Context, in []byte) (any, error) {
	var req struct{ InstanceArn string }
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	inst, err := h.instance(ctx, req.InstanceArn)
	if err != nil {
		return nil, err
	}
	return h.instanceOut(inst), nil
}

// omit turns "" into an absent member.
func omit(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// --- permission sets ---

type psOut struct {
	Name             string
	PermissionSetArn string
	Description      string `json:",omitempty"`
	CreatedDate      float64
	SessionDuration  string `json:",omitempty"`
	RelayState       string `json:",omitempty"`
}

func toPSOut(ps *center.PermissionSet) psOut {
	return psOut{Name: ps.Name, PermissionSetArn: ps.ARN, Description: ps.Description, CreatedDate: epoch(ps.CreatedDate),
		SessionDuration: ps.SessionDuration, RelayState: ps.RelayState}
}

type tagIn struct{ Key, Value string }

func toTags(in []tagIn) []center.Tag {
	out := make([]center.Tag, len(in))
	for i, t := range in {
		out[i] = center.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

func (h *Handler) ssoCreatePermissionSet(ctx context.Context, in []byte) (any, error) {
	var req struct {
		Name, InstanceArn                        string
		Description, SessionDuration, RelayState string `json:",omitempty"`
		Tags                                     []tagIn
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if err := required("name", req.Name, "instanceArn", req.InstanceArn); err != nil {
		return nil, err
	}
	inst, err := h.instance(ctx, req.InstanceArn)
	if err != nil {
		return nil, err
	}
	ps := &center.PermissionSet{ARN: center.NewPermissionSetARN(inst.InstanceID), Name: req.Name,
		Description: req.Description, SessionDuration: req.SessionDuration, RelayState: req.RelayState,
		CreatedDate: h.now().Truncate(time.Millisecond), Tags: toTags(req.Tags)}
	if err := h.Store.CreatePermissionSet(ctx, ps); err != nil {
		return nil, err
	}
	center.NormalizePermissionSet(ps)
	return map[string]any{"PermissionSet": toPSOut(ps)}, nil
}

func (h *Handler) ssoDescribePermissionSet(ctx context.Context, in []byte) (any, error) {
	var req psRef
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	ps, err := h.permissionSet(ctx, req)
	if err != nil {
		return nil, err
	}
	return map[string]any{"PermissionSet": toPSOut(ps)}, nil
}

func (h *Handler) ssoListPermissionSets(ctx context.Context, in []byte) (any, error) {
	var req struct {
		InstanceArn string
		pageReq
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, err := h.instance(ctx, req.InstanceArn); err != nil {
		return nil, err
	}
	all, err := h.Store.ListPermissionSets(ctx)
	if err != nil {
		return nil, err
	}
	arns := make([]string, len(all))
	for i, ps := range all {
		arns[i] = ps.ARN
	}
	page, next, err := paginate(arns, req.MaxResults, req.NextToken)
	if err != nil {
		return nil, err
	}
	return map[string]any{"PermissionSets": page, "NextToken": omit(next)}, nil
}

func (h *Handler) ssoUpdatePermissionSet(ctx context.Context, in []byte) (any, error) {
	var req struct {
		psRef
		Description, SessionDuration, RelayState *string `json:",omitempty"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	return h.updatePS(ctx, req.psRef, func(ps *center.PermissionSet) error {
		if req.Description != nil {
			ps.Description = *req.Description
		}
		if req.SessionDuration != nil {
			ps.SessionDuration = *req.SessionDuration
		}
		if req.RelayState != nil {
			ps.RelayState = *req.RelayState
		}
		return nil
	})
}

func (h *Handler) ssoDeletePermissionSet(ctx context.Context, in []byte) (any, error) {
	var req psRef
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, err := h.checkPS(ctx, req); err != nil {
		return nil, err
	}
	err := h.Store.DeletePermissionSet(ctx, req.PermissionSetArn)
	var ce *center.ConflictError
	if errors.Is(err, center.ErrNotFound) && !errors.As(err, &ce) {
		return nil, psNotFound(req.PermissionSetArn)
	}
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// --- policies ---

func (h *Handler) ssoAttachManagedPolicy(ctx context.Context, in []byte) (any, error) {
	var req struct {
		psRef
		ManagedPolicyArn string
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if err := required("managedPolicyArn", req.ManagedPolicyArn); err != nil {
		return nil, err
	}
	if err := center.ValidateManagedPolicyARN(req.ManagedPolicyArn); err != nil {
		return nil, err
	}
	return h.updatePS(ctx, req.psRef, func(ps *center.PermissionSet) error {
		if slices.Contains(ps.ManagedPolicies, req.ManagedPolicyArn) {
			return ssoConflict("Managed policy %s is already attached to permission set %s", req.ManagedPolicyArn, psID(ps.ARN))
		}
		if len(ps.ManagedPolicies)+len(ps.CustomerManagedPolicies) >= center.MaxAttachedPolicies {
			return quotaExceeded()
		}
		ps.ManagedPolicies = append(ps.ManagedPolicies, req.ManagedPolicyArn)
		return nil
	})
}

func quotaExceeded() error {
	return &awsError{typ: "ServiceQuotaExceededException", status: 400,
		msg: fmt.Sprintf("A permission set can have at most %d managed and customer managed policies.", center.MaxAttachedPolicies)}
}

func (h *Handler) ssoDetachManagedPolicy(ctx context.Context, in []byte) (any, error) {
	var req struct {
		psRef
		ManagedPolicyArn string
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if err := required("managedPolicyArn", req.ManagedPolicyArn); err != nil {
		return nil, err
	}
	return h.updatePS(ctx, req.psRef, func(ps *center.PermissionSet) error {
		i := slices.Index(ps.ManagedPolicies, req.ManagedPolicyArn)
		if i < 0 {
			return ssoNotFound("Managed policy %s is not attached to permission set %s", req.ManagedPolicyArn, psID(ps.ARN))
		}
		ps.ManagedPolicies = slices.Delete(ps.ManagedPolicies, i, i+1)
		return nil
	})
}

type pagedPSReq struct {
	psRef
	pageReq
}

func (h *Handler) ssoListManagedPolicies(ctx context.Context, in []byte) (any, error) {
	var req pagedPSReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	ps, err := h.permissionSet(ctx, req.psRef)
	if err != nil {
		return nil, err
	}
	type attached struct{ Name, Arn string }
	all := make([]attached, len(ps.ManagedPolicies))
	for i, arn := range ps.ManagedPolicies {
		all[i] = attached{Name: center.ManagedPolicyName(arn), Arn: arn}
	}
	page, next, err := paginate(all, req.MaxResults, req.NextToken)
	if err != nil {
		return nil, err
	}
	return map[string]any{"AttachedManagedPolicies": page, "NextToken": omit(next)}, nil
}

func (h *Handler) ssoPutInlinePolicy(ctx context.Context, in []byte) (any, error) {
	var req struct {
		psRef
		InlinePolicy string
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if err := required("inlinePolicy", req.InlinePolicy); err != nil {
		return nil, err
	}
	if err := center.ValidateInlinePolicy(req.InlinePolicy); err != nil {
		return nil, err
	}
	return h.updatePS(ctx, req.psRef, func(ps *center.PermissionSet) error {
		ps.InlinePolicy = req.InlinePolicy
		return nil
	})
}

func (h *Handler) ssoGetInlinePolicy(ctx context.Context, in []byte) (any, error) {
	var req psRef
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	ps, err := h.permissionSet(ctx, req)
	if err != nil {
		return nil, err
	}
	return map[string]any{"InlinePolicy": ps.InlinePolicy}, nil
}

func (h *Handler) ssoDeleteInlinePolicy(ctx context.Context, in []byte) (any, error) {
	var req psRef
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	return h.updatePS(ctx, req, func(ps *center.PermissionSet) error {
		ps.InlinePolicy = ""
		return nil
	})
}

type customerRef struct {
	Name string
	Path string `json:",omitempty"`
}

func (r *customerRef) ref() center.CustomerManagedPolicyReference {
	p := r.Path
	if p == "" {
		p = center.DefaultPolicyPath
	}
	return center.CustomerManagedPolicyReference{Name: r.Name, Path: p}
}

type customerPolicyReq struct {
	psRef
	CustomerManagedPolicyReference *customerRef
}

func (r *customerPolicyReq) check() (center.CustomerManagedPolicyReference, error) {
	if r.CustomerManagedPolicyReference == nil {
		return center.CustomerManagedPolicyReference{}, required("customerManagedPolicyReference", "")
	}
	ref := r.CustomerManagedPolicyReference.ref()
	return ref, center.ValidateCustomerManagedPolicyReference(ref)
}

func (h *Handler) ssoAttachCustomerPolicy(ctx context.Context, in []byte) (any, error) {
	var req customerPolicyReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	ref, err := req.check()
	if err != nil {
		return nil, err
	}
	return h.updatePS(ctx, req.psRef, func(ps *center.PermissionSet) error {
		if slices.Contains(ps.CustomerManagedPolicies, ref) {
			return ssoConflict("Customer managed policy %s%s is already attached to permission set %s", ref.Path, ref.Name, psID(ps.ARN))
		}
		if len(ps.ManagedPolicies)+len(ps.CustomerManagedPolicies) >= center.MaxAttachedPolicies {
			return quotaExceeded()
		}
		ps.CustomerManagedPolicies = append(ps.CustomerManagedPolicies, ref)
		return nil
	})
}

func (h *Handler) ssoDetachCustomerPolicy(ctx context.Context, in []byte) (any, error) {
	var req customerPolicyReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	ref, err := req.check()
	if err != nil {
		return nil, err
	}
	return h.updatePS(ctx, req.psRef, func(ps *center.PermissionSet) error {
		i := slices.Index(ps.CustomerManagedPolicies, ref)
		if i < 0 {
			return ssoNotFound("Customer managed policy %s%s is not attached to permission set %s", ref.Path, ref.Name, psID(ps.ARN))
		}
		ps.CustomerManagedPolicies = slices.Delete(ps.CustomerManagedPolicies, i, i+1)
		return nil
	})
}

func (h *Handler) ssoListCustomerPolicies(ctx context.Context, in []byte) (any, error) {
	var req pagedPSReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	ps, err := h.permissionSet(ctx, req.psRef)
	if err != nil {
		return nil, err
	}
	all := make([]customerRef, len(ps.CustomerManagedPolicies))
	for i, r := range ps.CustomerManagedPolicies {
		all[i] = customerRef{Name: r.Name, Path: r.Path}
	}
	page, next, err := paginate(all, req.MaxResults, req.NextToken)
	if err != nil {
		return nil, err
	}
	return map[string]any{"CustomerManagedPolicyReferences": page, "NextToken": omit(next)}, nil
}

type boundaryJSON struct {
	CustomerManagedPolicyReference *customerRef `json:",omitempty"`
	ManagedPolicyArn               string       `json:",omitempty"`
}

func (h *Handler) ssoPutBoundary(ctx context.Context, in []byte) (any, error) {
	var req struct {
		psRef
		PermissionsBoundary *boundaryJSON
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if req.PermissionsBoundary == nil {
		return nil, required("permissionsBoundary", "")
	}
	b := &center.PermissionsBoundary{ManagedPolicyArn: req.PermissionsBoundary.ManagedPolicyArn}
	if r := req.PermissionsBoundary.CustomerManagedPolicyReference; r != nil {
		ref := r.ref()
		b.CustomerManagedPolicyReference = &ref
	}
	if err := center.ValidatePermissionsBoundary(b); err != nil {
		return nil, err
	}
	return h.updatePS(ctx, req.psRef, func(ps *center.PermissionSet) error {
		ps.PermissionsBoundary = b
		return nil
	})
}

func (h *Handler) ssoGetBoundary(ctx context.Context, in []byte) (any, error) {
	var req psRef
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	ps, err := h.permissionSet(ctx, req)
	if err != nil {
		return nil, err
	}
	b := ps.PermissionsBoundary
	if b == nil {
		return nil, ssoNotFound("Permission set %s has no permissions boundary", psID(ps.ARN))
	}
	out := boundaryJSON{ManagedPolicyArn: b.ManagedPolicyArn}
	if r := b.CustomerManagedPolicyReference; r != nil {
		out.CustomerManagedPolicyReference = &customerRef{Name: r.Name, Path: r.Path}
	}
	return map[string]any{"PermissionsBoundary": out}, nil
}

func (h *Handler) ssoDeleteBoundary(ctx context.Context, in []byte) (any, error) {
	var req psRef
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	return h.updatePS(ctx, req, func(ps *center.PermissionSet) error {
		if ps.PermissionsBoundary == nil {
			return ssoNotFound("Permission set %s has no permissions boundary", psID(ps.ARN))
		}
		ps.PermissionsBoundary = nil
		return nil
	})
}

// --- account assignments ---

// assignmentStatus is AccountAssignmentOperationStatus (reference §2.5).
type assignmentStatus struct {
	Status           string
	RequestId        string
	FailureReason    string `json:",omitempty"`
	TargetId         string
	TargetType       string
	PermissionSetArn string
	PrincipalType    string
	PrincipalId      string
	CreatedDate      float64
}

func toStatus(a *center.AccountAssignment) assignmentStatus {
	return assignmentStatus{Status: string(a.Status), RequestId: a.RequestID, FailureReason: a.FailureReason,
		TargetId: a.AccountID, TargetType: center.TargetTypeAccount, PermissionSetArn: a.PermissionSetARN,
		PrincipalType: string(a.PrincipalType), PrincipalId: a.PrincipalID, CreatedDate: epoch(a.CreatedDate)}
}

type assignmentReq struct {
	InstanceArn, TargetId, TargetType, PermissionSetArn, PrincipalType, PrincipalId string
}

// assignment checks an assignment request and that everything it names
// exists.
func (h *Handler) assignment(ctx context.Context, in []byte) (*center.AccountAssignment, error) {
	var req assignmentReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if err := required("instanceArn", req.InstanceArn, "targetId", req.TargetId, "targetType", req.TargetType,
		"permissionSetArn", req.PermissionSetArn, "principalType", req.PrincipalType, "principalId", req.PrincipalId); err != nil {
		return nil, err
	}
	if req.TargetType != center.TargetTypeAccount {
		return nil, validation("1 validation error detected: Value '%s' at 'targetType' failed to satisfy constraint: "+
			"Member must satisfy enum value set: [AWS_ACCOUNT]", req.TargetType)
	}
	a := &center.AccountAssignment{AccountID: req.TargetId, PermissionSetARN: req.PermissionSetArn,
		PrincipalType: center.PrincipalType(req.PrincipalType), PrincipalID: req.PrincipalId}
	if err := center.ValidateAccountAssignment(a); err != nil {
		return nil, err
	}
	if _, err := h.permissionSet(ctx, psRef{req.InstanceArn, req.PermissionSetArn}); err != nil {
		return nil, err
	}
	if err := h.account(ctx, req.TargetId); err != nil {
		return nil, err
	}
	var err error
	if a.PrincipalType == center.PrincipalUser {
		_, err = h.Store.GetUser(ctx, a.PrincipalID)
	} else {
		_, err = h.Store.GetGroup(ctx, a.PrincipalID)
	}
	if errors.Is(err, center.ErrNotFound) {
		return nil, ssoNotFound("Could not find %s with id %s", strings.ToLower(req.PrincipalType), a.PrincipalID)
	}
	return a, err
}

func (h *Handler) account(ctx context.Context, id string) error {
	_, err := h.Store.GetAccount(ctx, id)
	if errors.Is(err, center.ErrNotFound) {
		return ssoNotFound("Could not find account %s", id)
	}
	return err
}

func (h *Handler) recordStatus(ctx context.Context, kind, requestID string, status any, created time.Time) error {
	b, err := json.Marshal(status)
	if err != nil {
		return err
	}
	return h.Store.PutRequestStatus(ctx, kind, requestID, b, created)
}

func (h *Handler) ssoCreateAssignment(ctx context.Context, in []byte) (any, error) {
	a, err := h.assignment(ctx, in)
	if err != nil {
		return nil, err
	}
	a.CreatedDate = h.now()
	got, err := h.Store.CreateAccountAssignment(ctx, a)
	if errors.Is(err, center.ErrNotFound) {
		return nil, ssoNotFound("%s", err.Error()) // deleted concurrently
	}
	if err != nil {
		return nil, err
	}
	st := toStatus(got)
	if err := h.recordStatus(ctx, centerdb.KindAssignmentCreation, st.RequestId, st, got.CreatedDate); err != nil {
		return nil, err
	}
	return map[string]any{"AccountAssignmentCreationStatus": st}, nil
}

func (h *Handler) ssoDeleteAssignment(ctx context.Context, in []byte) (any, error) {
	var req assignmentReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if err := required("instanceArn", req.InstanceArn, "targetId", req.TargetId, "targetType", req.TargetType,
		"permissionSetArn", req.PermissionSetArn, "principalType", req.PrincipalType, "principalId", req.PrincipalId); err != nil {
		return nil, err
	}
	if req.TargetType != center.TargetTypeAccount {
		return nil, validation("1 validation error detected: Value '%s' at 'targetType' failed to satisfy constraint: "+
			"Member must satisfy enum value set: [AWS_ACCOUNT]", req.TargetType)
	}
	if _, err := h.checkPS(ctx, psRef{req.InstanceArn, req.PermissionSetArn}); err != nil {
		return nil, err
	}
	a := &center.AccountAssignment{AccountID: req.TargetId, PermissionSetARN: req.PermissionSetArn,
		PrincipalType: center.PrincipalType(req.PrincipalType), PrincipalID: req.PrincipalId}
	got, err := h.Store.DeleteAccountAssignment(ctx, a)
	var ie *center.InvalidError
	if errors.Is(err, center.ErrNotFound) && !errors.As(err, &ie) {
		return nil, ssoNotFound("Could not find the account assignment of permission set %s in account %s to %s %s",
			psID(req.PermissionSetArn), req.TargetId, strings.ToLower(req.PrincipalType), req.PrincipalId)
	}
	if err != nil {
		return nil, err
	}
	// The deletion is done; its status is recorded after it, in its own
	// transaction (the AccessStore interface has no hook inside its own).
	if h.OnAssignmentRemoved != nil {
		h.OnAssignmentRemoved(ctx, a.PrincipalType, a.PrincipalID)
	}
	st := toStatus(got)
	if err := h.recordStatus(ctx, centerdb.KindAssignmentDeletion, st.RequestId, st, got.CreatedDate); err != nil {
		return nil, err
	}
	return map[string]any{"AccountAssignmentDeletionStatus": st}, nil
}

// requestStatus reads a recorded status doc of a request of that kind.
func (h *Handler) requestStatus(ctx context.Context, kind, field, instanceArn, id string) (json.RawMessage, error) {
	if err := required("instanceArn", instanceArn, field, id); err != nil {
		return nil, err
	}
	if _, err := h.instance(ctx, instanceArn); err != nil {
		return nil, err
	}
	doc, err := h.Store.RequestStatus(ctx, kind, id)
	if errors.Is(err, center.ErrNotFound) {
		return nil, ssoNotFound("Could not find the request with id %s", id)
	}
	return json.RawMessage(doc), err
}

func (h *Handler) ssoDescribeCreationStatus(ctx context.Context, in []byte) (any, error) {
	var req struct{ InstanceArn, AccountAssignmentCreationRequestId string }
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	doc, err := h.requestStatus(ctx, centerdb.KindAssignmentCreation, "accountAssignmentCreationRequestId",
		req.InstanceArn, req.AccountAssignmentCreationRequestId)
	var ae *awsError
	if errors.As(err, &ae) && ae.typ == "ResourceNotFoundException" {
		// An assignment created before statuses were recorded (another
		// writer of the AccessStore) is still found by its request id.
		a, aerr := h.Store.AccountAssignmentByRequest(ctx, req.AccountAssignmentCreationRequestId)
		if aerr == nil {
			return map[string]any{"AccountAssignmentCreationStatus": toStatus(a)}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"AccountAssignmentCreationStatus": doc}, nil
}

func (h *Handler) ssoDescribeDeletionStatus(ctx context.Context, in []byte) (any, error) {
	var req struct{ InstanceArn, AccountAssignmentDeletionRequestId string }
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	doc, err := h.requestStatus(ctx, centerdb.KindAssignmentDeletion, "accountAssignmentDeletionRequestId",
		req.InstanceArn, req.AccountAssignmentDeletionRequestId)
	if err != nil {
		return nil, err
	}
	return map[string]any{"AccountAssignmentDeletionStatus": doc}, nil
}

type assignmentOut struct {
	AccountId, PermissionSetArn, PrincipalType, PrincipalId string
}

func toAssignmentsOut(as []*center.AccountAssignment) []assignmentOut {
	out := make([]assignmentOut, len(as))
	for i, a := range as {
		out[i] = assignmentOut{a.AccountID, a.PermissionSetARN, string(a.PrincipalType), a.PrincipalID}
	}
	return out
}

func checkAccountID(id, field string) error {
	if err := required(field, id); err != nil {
		return err
	}
	if len(id) != 12 || strings.Trim(id, "0123456789") != "" {
		return validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: "+
			"Member must satisfy regular expression pattern: \\d{12}", id, field)
	}
	return nil
}

func (h *Handler) ssoListAssignments(ctx context.Context, in []byte) (any, error) {
	var req struct {
		AccountId string
		psRef
		pageReq
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if err := checkAccountID(req.AccountId, "accountId"); err != nil {
		return nil, err
	}
	if _, err := h.permissionSet(ctx, req.psRef); err != nil {
		return nil, err
	}
	as, err := h.Store.ListAccountAssignments(ctx, req.AccountId, req.PermissionSetArn)
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(toAssignmentsOut(as), req.MaxResults, req.NextToken)
	if err != nil {
		return nil, err
	}
	return map[string]any{"AccountAssignments": page, "NextToken": omit(next)}, nil
}

func (h *Handler) ssoListAssignmentsForPrincipal(ctx context.Context, in []byte) (any, error) {
	var req struct {
		InstanceArn, PrincipalId, PrincipalType string
		Filter                                  *struct{ AccountId string }
		pageReq
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if err := required("instanceArn", req.InstanceArn, "principalId", req.PrincipalId, "principalType", req.PrincipalType); err != nil {
		return nil, err
	}
	if _, err := h.instance(ctx, req.InstanceArn); err != nil {
		return nil, err
	}
	typ := center.PrincipalType(req.PrincipalType)
	if typ != center.PrincipalUser && typ != center.PrincipalGroup {
		return nil, validation("1 validation error detected: Value '%s' at 'principalType' failed to satisfy constraint: "+
			"Member must satisfy enum value set: [USER, GROUP]", req.PrincipalType)
	}
	as, err := h.Store.AssignmentsForPrincipal(ctx, typ, req.PrincipalId)
	if err != nil {
		return nil, err
	}
	if req.Filter != nil && req.Filter.AccountId != "" {
		if err := checkAccountID(req.Filter.AccountId, "filter.accountId"); err != nil {
			return nil, err
		}
		as = slices.DeleteFunc(as, func(a *center.AccountAssignment) bool { return a.AccountID != req.Filter.AccountId })
	}
	page, next, err := paginate(toAssignmentsOut(as), req.MaxResults, req.NextToken)
	if err != nil {
		return nil, err
	}
	return map[string]any{"AccountAssignments": page, "NextToken": omit(next)}, nil
}

// provisioned applies the ProvisioningStatus filter: everything provisioned
// is the latest version (provisioning is synchronous).
func provisioned(filter string, items []string) ([]string, error) {
	switch filter {
	case "", "LATEST_PERMISSION_SET_PROVISIONED":
		return items, nil
	case "LATEST_PERMISSION_SET_NOT_PROVISIONED":
		return []string{}, nil
	}
	return nil, validation("1 validation error detected: Value '%s' at 'provisioningStatus' failed to satisfy constraint: "+
		"Member must satisfy enum value set: [LATEST_PERMISSION_SET_PROVISIONED, LATEST_PERMISSION_SET_NOT_PROVISIONED]", filter)
}

func (h *Handler) ssoListAccountsForPermissionSet(ctx context.Context, in []byte) (any, error) {
	var req struct {
		psRef
		ProvisioningStatus string `json:",omitempty"`
		pageReq
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, err := h.permissionSet(ctx, req.psRef); err != nil {
		return nil, err
	}
	ids, err := h.Store.ProvisionedAccounts(ctx, req.PermissionSetArn)
	if err != nil {
		return nil, err
	}
	if ids, err = provisioned(req.ProvisioningStatus, ids); err != nil {
		return nil, err
	}
	page, next, err := paginate(ids, req.MaxResults, req.NextToken)
	if err != nil {
		return nil, err
	}
	return map[string]any{"AccountIds": page, "NextToken": omit(next)}, nil
}

func (h *Handler) ssoListPermissionSetsForAccount(ctx context.Context, in []byte) (any, error) {
	var req struct {
		InstanceArn, AccountId string
		ProvisioningStatus     string `json:",omitempty"`
		pageReq
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, err := h.instance(ctx, req.InstanceArn); err != nil {
		return nil, err
	}
	if err := checkAccountID(req.AccountId, "accountId"); err != nil {
		return nil, err
	}
	if err := h.account(ctx, req.AccountId); err != nil {
		return nil, err
	}
	arns, err := h.Store.ProvisionedPermissionSets(ctx, req.AccountId)
	if err != nil {
		return nil, err
	}
	if arns, err = provisioned(req.ProvisioningStatus, arns); err != nil {
		return nil, err
	}
	page, next, err := paginate(arns, req.MaxResults, req.NextToken)
	if err != nil {
		return nil, err
	}
	return map[string]any{"PermissionSets": page, "NextToken": omit(next)}, nil
}

// provisioningStatus is PermissionSetProvisioningStatus (reference §2.5).
type provisioningStatus struct {
	Status           string
	RequestId        string
	AccountId        string `json:",omitempty"`
	PermissionSetArn string
	FailureReason    string `json:",omitempty"`
	CreatedDate      float64
}

// ssoProvisionPermissionSet re-provisions a permission set to an account or
// to every account it is provisioned to. There is nothing to push (see the
// top of this file), so it completes at once: SUCCEEDED, recorded by
// request id for DescribePermissionSetProvisioningStatus.
func (h *Handler) ssoProvisionPermissionSet(ctx context.Context, in []byte) (any, error) {
	var req struct {
		psRef
		TargetType string
		TargetId   string `json:",omitempty"`
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if err := required("instanceArn", req.InstanceArn, "permissionSetArn", req.PermissionSetArn, "targetType", req.TargetType); err != nil {
		return nil, err
	}
	if _, err := h.permissionSet(ctx, req.psRef); err != nil {
		return nil, err
	}
	switch req.TargetType {
	case center.TargetTypeAccount:
		if err := checkAccountID(req.TargetId, "targetId"); err != nil {
			return nil, err
		}
		if err := h.account(ctx, req.TargetId); err != nil {
			return nil, err
		}
	case "ALL_PROVISIONED_ACCOUNTS":
		if req.TargetId != "" {
			return nil, validation("TargetId must not be set when TargetType is ALL_PROVISIONED_ACCOUNTS.")
		}
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'targetType' failed to satisfy constraint: "+
			"Member must satisfy enum value set: [AWS_ACCOUNT, ALL_PROVISIONED_ACCOUNTS]", req.TargetType)
	}
	now := h.now().Truncate(time.Millisecond)
	st := provisioningStatus{Status: string(center.StatusSucceeded), RequestId: center.NewRequestID(),
		AccountId: req.TargetId, PermissionSetArn: req.PermissionSetArn, CreatedDate: epoch(now)}
	if err := h.recordStatus(ctx, centerdb.KindProvisioning, st.RequestId, st, now); err != nil {
		return nil, err
	}
	return map[string]any{"PermissionSetProvisioningStatus": st}, nil
}

func (h *Handler) ssoDescribeProvisioningStatus(ctx context.Context, in []byte) (any, error) {
	var req struct{ InstanceArn, ProvisionPermissionSetRequestId string }
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	doc, err := h.requestStatus(ctx, centerdb.KindProvisioning, "provisionPermissionSetRequestId",
		req.InstanceArn, req.ProvisionPermissionSetRequestId)
	if err != nil {
		return nil, err
	}
	return map[string]any{"PermissionSetProvisioningStatus": doc}, nil
}

// --- tags ---

type tagReq struct {
	InstanceArn string `json:",omitempty"`
	ResourceArn string
	Tags        []tagIn  `json:",omitempty"`
	TagKeys     []string `json:",omitempty"`
	NextToken   string   `json:",omitempty"`
}

// tagged resolves a tag request's resource: a permission set. InstanceArn
// is optional in the model; when given it must be ours.
func (h *Handler) tagged(ctx context.Context, r *tagReq) (psRef, error) {
	if err := required("resourceArn", r.ResourceArn); err != nil {
		return psRef{}, err
	}
	inst, err := h.Store.Instance(ctx)
	if err != nil {
		return psRef{}, err
	}
	ref := psRef{InstanceArn: r.InstanceArn, PermissionSetArn: r.ResourceArn}
	if ref.InstanceArn == "" {
		ref.InstanceArn = instanceARN(inst)
	}
	return ref, nil
}

func (h *Handler) ssoTagResource(ctx context.Context, in []byte) (any, error) {
	var req tagReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	ref, err := h.tagged(ctx, &req)
	if err != nil {
		return nil, err
	}
	if req.TagKeys != nil || req.NextToken != "" {
		return nil, validation("TagResource takes ResourceArn and Tags.")
	}
	if err := required("tags", map[bool]string{true: "x"}[req.Tags != nil]); err != nil {
		return nil, err
	}
	if err := center.ValidateTags(toTags(req.Tags)); err != nil {
		return nil, err
	}
	return h.updatePS(ctx, ref, func(ps *center.PermissionSet) error {
		for _, t := range req.Tags {
			i := slices.IndexFunc(ps.Tags, func(x center.Tag) bool { return x.Key == t.Key })
			if i >= 0 {
				ps.Tags[i].Value = t.Value
			} else {
				ps.Tags = append(ps.Tags, center.Tag{Key: t.Key, Value: t.Value})
			}
		}
		if len(ps.Tags) > center.MaxTags {
			return &awsError{typ: "ServiceQuotaExceededException", status: 400,
				msg: fmt.Sprintf("A resource can have at most %d tags.", center.MaxTags)}
		}
		return nil
	})
}

func (h *Handler) ssoUntagResource(ctx context.Context, in []byte) (any, error) {
	var req tagReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	ref, err := h.tagged(ctx, &req)
	if err != nil {
		return nil, err
	}
	if req.Tags != nil || req.NextToken != "" {
		return nil, validation("UntagResource takes ResourceArn and TagKeys.")
	}
	if len(req.TagKeys) == 0 || len(req.TagKeys) > center.MaxTags {
		return nil, validation("1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: "+
			"Member must have length between 1 and %d", center.MaxTags)
	}
	return h.updatePS(ctx, ref, func(ps *center.PermissionSet) error {
		ps.Tags = slices.DeleteFunc(ps.Tags, func(t center.Tag) bool { return slices.Contains(req.TagKeys, t.Key) })
		return nil
	})
}

func (h *Handler) ssoListTags(ctx context.Context, in []byte) (any, error) {
	var req tagReq
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	ref, err := h.tagged(ctx, &req)
	if err != nil {
		return nil, err
	}
	if req.Tags != nil || req.TagKeys != nil {
		return nil, validation("ListTagsForResource takes ResourceArn and NextToken.")
	}
	ps, err := h.permissionSet(ctx, ref)
	if err != nil {
		return nil, err
	}
	tags := make([]tagIn, len(ps.Tags))
	for i, t := range ps.Tags {
		tags[i] = tagIn{t.Key, t.Value}
	}
	page, next, err := paginate(tags, nil, req.NextToken)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Tags": page, "NextToken": omit(next)}, nil
}

// --- attribute-based access control ---

type abacConfig struct {
	AccessControlAttributes []abacAttribute
}

type abacAttribute struct {
	Key   string
	Value struct{ Source []string }
}

// validateABAC checks a configuration: at most 50 attributes with unique
// keys of AWS's tag characters, each with exactly one Source of the form
// ${path:<attribute>} naming a supported user attribute.
func validateABAC(c *abacConfig) error {
	field := "instanceAccessControlAttributeConfiguration.accessControlAttributes"
	if c.AccessControlAttributes == nil {
		return required(field, "")
	}
	var msgs []string
	add := func(value, field, constraint string) {
		msgs = append(msgs, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint))
	}
	if n := len(c.AccessControlAttributes); n > 50 {
		add(fmt.Sprintf("%d attributes", n), field, "Member must have length less than or equal to 50")
	}
	seen := map[string]bool{}
	for i, a := range c.AccessControlAttributes {
		f := fmt.Sprintf("%s.%d.member", field, i+1)
		switch n := len([]rune(a.Key)); {
		case n < 1 || n > 128:
			add(a.Key, f+".key", "Member must have length between 1 and 128")
		case !reABACKey.MatchString(a.Key):
			add(a.Key, f+".key", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:\/=+\-@]+`)
		case seen[a.Key]:
			add(a.Key, f+".key", "Member must be unique among the attributes")
		}
		seen[a.Key] = true
		if len(a.Value.Source) != 1 {
			add(fmt.Sprintf("%d sources", len(a.Value.Source)), f+".value.source", "Member must have length equal to 1")
			continue
		}
		src := a.Value.Source[0]
		m := reABACSource.FindStringSubmatch(src)
		switch {
		case len([]rune(src)) > 256:
			add(shortValue(src), f+".value.source.1.member", "Member must have length less than or equal to 256")
		case m == nil || !abacPaths[m[1]]:
			add(src, f+".value.source.1.member",
				"Member must be ${path:<attribute>} naming a supported user attribute, such as ${path:enterprise.department}")
		}
	}
	switch len(msgs) {
	case 0:
		return nil
	case 1:
		return validation("1 validation error detected: %s", msgs[0])
	}
	return validation("%d validation errors detected: %s", len(msgs), strings.Join(msgs, "; "))
}

func shortValue(s string) string {
	if r := []rune(s); len(r) > 64 {
		return string(r[:61]) + "..."
	}
	return s
}

func (h *Handler) putABAC(ctx context.Context, in []byte, create bool) (any, error) {
	var req struct {
		InstanceArn                                 string
		InstanceAccessControlAttributeConfiguration *abacConfig
	}
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, err := h.instance(ctx, req.InstanceArn); err != nil {
		return nil, err
	}
	if req.InstanceAccessControlAttributeConfiguration == nil {
		return nil, required("instanceAccessControlAttributeConfiguration", "")
	}
	if err := validateABAC(req.InstanceAccessControlAttributeConfiguration); err != nil {
		return nil, err
	}
	doc, err := json.Marshal(req.InstanceAccessControlAttributeConfiguration)
	if err != nil {
		return nil, err
	}
	err = h.Store.PutAccessControlAttributes(ctx, doc, create, h.now())
	switch {
	case create && errors.Is(err, center.ErrConflict):
		return nil, ssoConflict("The instance already has an access control attribute configuration; update it instead.")
	case !create && errors.Is(err, center.ErrNotFound):
		return nil, abacNotFound()
	case err != nil:
		return nil, err
	}
	return struct{}{}, nil
}

func abacNotFound() error {
	return ssoNotFound("The instance has no access control attribute configuration.")
}

func (h *Handler) ssoCreateABAC(ctx context.Context, in []byte) (any, error) {
	return h.putABAC(ctx, in, true)
}

func (h *Handler) ssoUpdateABAC(ctx context.Context, in []byte) (any, error) {
	return h.putABAC(ctx, in, false)
}

func (h *Handler) ssoDescribeABAC(ctx context.Context, in []byte) (any, error) {
	var req struct{ InstanceArn string }
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, err := h.instance(ctx, req.InstanceArn); err != nil {
		return nil, err
	}
	doc, _, err := h.Store.AccessControlAttributes(ctx)
	if errors.Is(err, center.ErrNotFound) {
		return nil, abacNotFound()
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"Status": "ENABLED", "InstanceAccessControlAttributeConfiguration": json.RawMessage(doc)}, nil
}

func (h *Handler) ssoDeleteABAC(ctx context.Context, in []byte) (any, error) {
	var req struct{ InstanceArn string }
	if err := decode(in, &req); err != nil {
		return nil, err
	}
	if _, err := h.instance(ctx, req.InstanceArn); err != nil {
		return nil, err
	}
	if err := h.Store.DeleteAccessControlAttributes(ctx); errors.Is(err, center.ErrNotFound) {
		return nil, abacNotFound()
	} else if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
