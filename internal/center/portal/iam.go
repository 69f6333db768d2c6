package portal

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/gatehouse-id/gatehouse/internal/center"
)

// Names of what a member account holds for the center (reference §4.1).
const (
	// SAMLProviderName is the IAM SAML provider the roles trust.
	SAMLProviderName = "Gatehouse"
	// RolePrefix starts every role name, as Identity Center's roles do.
	RolePrefix = "AWSReservedSSO_"
	// SAMLAudience is the audience of assertions for AWS sign-in.
	SAMLAudience = "https://signin.aws.amazon.com/saml"
	// InlinePolicyName names the permission set's inline policy in a role.
	InlinePolicyName = "AwsSSOInlinePolicy"
)

// SAML attributes of a federated sign-in to the AWS console.
const (
	AttrRole            = "https://aws.amazon.com/SAML/Attributes/Role"
	AttrRoleSessionName = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	AttrSessionDuration = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	AttrPrincipalTag    = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
)

// RoleName is the IAM role a permission set becomes in a member account:
// AWSReservedSSO_<name>_<16 hex>, the hex the first 8 bytes of the SHA-256
// of the permission set ARN. It is stable, so the portal and the
// CloudFormation export (export-iam) name the same role; at most 64
// characters, IAM's limit, since names have at most 32.
func RoleName(ps *center.PermissionSet) string {
	h := sha256.Sum256([]byte(ps.ARN))
	return RolePrefix + ps.Name + "_" + hex.EncodeToString(h[:8])
}

// RoleARN is the ARN of RoleName in an account (path "/").
func RoleARN(accountID string, ps *center.PermissionSet) string {
	return "arn:aws:iam::" + accountID + ":role/" + RoleName(ps)
}

// ProviderARN is the ARN of the SAML provider in an account.
func ProviderARN(accountID string) string {
	return "arn:aws:iam::" + accountID + ":saml-provider/" + SAMLProviderName
}

// RoleAttribute is the value of the https://aws.amazon.com/SAML/Attributes/Role
// attribute for a sign-in as ps in the account: "role-arn,provider-arn".
func RoleAttribute(accountID string, ps *center.PermissionSet) string {
	return RoleARN(accountID, ps) + "," + ProviderARN(accountID)
}

// MetadataParameter is the template parameter that carries the SAML
// provider's metadata when none is embedded.
const MetadataParameter = "SamlMetadataDocument"

// IAMTemplate returns a CloudFormation template (JSON) for the member
// account accountID: an AWS::IAM::SAMLProvider named Gatehouse and, for
// each permission set, an AWS::IAM::Role named RoleName(ps) that the
// provider's users may assume (sts:AssumeRoleWithSAML and sts:TagSession,
// so that PrincipalTag session tags pass, for the audience
// https://signin.aws.amazon.com/saml), with the permission set's session
// duration, AWS managed and customer managed policies, inline policy and
// permissions boundary.
//
// metadata is the IdP metadata XML to embed; when empty the template takes
// it from the parameter SamlMetadataDocument at deployment.
func IAMTemplate(accountID string, sets []*center.PermissionSet, metadata string) ([]byte, error) {
	resources := map[string]any{}
	params := map[string]any{}
	var doc any = metadata
	if metadata == "" {
		params[MetadataParameter] = map[string]any{
			"Type":        "String",
			"Description": "SAML 2.0 metadata XML of the identity provider that signs users in to AWS for Gatehouse",
			"MinLength":   1000,
		}
		doc = map[string]any{"Ref": MetadataParameter}
	}
	resources["GatehouseSAMLProvider"] = map[string]any{
		"Type": "AWS::IAM::SAMLProvider",
		"Properties": map[string]any{
			"Name":                 SAMLProviderName,
			"SamlMetadataDocument": doc,
		},
	}
	outputs := map[string]any{
		"SAMLProviderArn": map[string]any{"Value": map[string]any{"Ref": "GatehouseSAMLProvider"}},
	}
	sorted := append([]*center.PermissionSet(nil), sets...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for i, ps := range sorted {
		role, err := roleResource(ps)
		if err != nil {
			return nil, err
		}
		id := fmt.Sprintf("Role%d%s", i+1, logicalID(ps.Name))
		resources[id] = role
		outputs[id+"Arn"] = map[string]any{"Value": map[string]any{"Fn::GetAtt": []string{id, "Arn"}}}
	}
	t := map[string]any{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Description": fmt.Sprintf("Gatehouse center: SAML provider and permission set roles for account %s "+
			"(gatehouse center export-iam)", accountID),
		"Resources": resources,
		"Outputs":   outputs,
	}
	if len(params) > 0 {
		t["Parameters"] = params
	}
	return json.MarshalIndent(t, "", "  ")
}

// logicalID keeps the alphanumerics of a name (CloudFormation logical IDs
// are [A-Za-z0-9]).
func logicalID(name string) string {
	var b []byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b = append(b, c)
		}
	}
	return string(b)
}

// customerPolicyARN refers to a policy of the account the stack runs in.
func customerPolicyARN(r center.CustomerManagedPolicyReference) any {
	path := r.Path
	if path == "" {
		path = center.DefaultPolicyPath
	}
	return map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy" + path + r.Name}
}

func roleResource(ps *center.PermissionSet) (map[string]any, error) {
	sd := ps.SessionDuration
	if sd == "" {
		sd = center.DefaultSessionDuration
	}
	d, err := center.ParseSessionDuration(sd)
	if err != nil {
		return nil, fmt.Errorf("permission set %s: %w", ps.Name, err)
	}
	trust := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Federated": map[string]any{"Ref": "GatehouseSAMLProvider"}},
			"Action":    []string{"sts:AssumeRoleWithSAML", "sts:TagSession"},
			"Condition": map[string]any{"StringEquals": map[string]any{"SAML:aud": SAMLAudience}},
		}},
	}
	managed := []any{}
	for _, arn := range ps.ManagedPolicies {
		managed = append(managed, arn)
	}
	for _, r := range ps.CustomerManagedPolicies {
		managed = append(managed, customerPolicyARN(r))
	}
	desc := "Gatehouse permission set " + ps.Name + " (" + ps.ARN + ")"
	props := map[string]any{
		"RoleName":                 RoleName(ps),
		"Description":              truncate(desc, 1000),
		"AssumeRolePolicyDocument": trust,
		"MaxSessionDuration":       int(d.Seconds()),
		"ManagedPolicyArns":        managed,
	}
	if ps.InlinePolicy != "" {
		var doc any
		if err := json.Unmarshal([]byte(ps.InlinePolicy), &doc); err != nil {
			return nil, fmt.Errorf("permission set %s: inline policy: %w", ps.Name, err)
		}
		props["Policies"] = []any{map[string]any{"PolicyName": InlinePolicyName, "PolicyDocument": doc}}
	}
	if b := ps.PermissionsBoundary; b != nil {
		if b.CustomerManagedPolicyReference != nil {
			props["PermissionsBoundary"] = customerPolicyARN(*b.CustomerManagedPolicyReference)
		} else {
			props["PermissionsBoundary"] = b.ManagedPolicyArn
		}
	}
	return map[string]any{"Type": "AWS::IAM::Role", "Properties": props}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
