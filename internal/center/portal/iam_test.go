package portal_test

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/portal"
)

const (
	adminARN = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-aaaaaaaaaaaaaaaa"
	readARN  = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-bbbbbbbbbbbbbbbb"
)

func templateSets() []*center.PermissionSet {
	return []*center.PermissionSet{
		{ARN: readARN, Name: "ReadOnly", SessionDuration: "PT1H", ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}},
		{ARN: adminARN, Name: "Admin.Ops", SessionDuration: "PT4H",
			ManagedPolicies:         []string{"arn:aws:iam::aws:policy/AdministratorAccess"},
			CustomerManagedPolicies: []center.CustomerManagedPolicyReference{{Name: "TeamPolicy", Path: "/teams/"}},
			InlinePolicy:            `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`,
			PermissionsBoundary:     &center.PermissionsBoundary{CustomerManagedPolicyReference: &center.CustomerManagedPolicyReference{Name: "Boundary", Path: "/"}},
		},
	}
}

type cfnTemplate struct {
	AWSTemplateFormatVersion string
	Description              string
	Parameters               map[string]map[string]any
	Resources                map[string]struct {
		Type       string
		Properties map[string]any
	}
	Outputs map[string]any
}

func parseTemplate(t *testing.T, b []byte) *cfnTemplate {
	t.Helper()
	var tmpl cfnTemplate
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tmpl); err != nil {
		t.Fatalf("template does not parse: %v\n%s", err, b)
	}
	return &tmpl
}

func TestIAMTemplate(t *testing.T) {
	b, err := portal.IAMTemplate(prodID, templateSets(), "")
	if err != nil {
		t.Fatal(err)
	}
	tmpl := parseTemplate(t, b)
	if tmpl.AWSTemplateFormatVersion != "2010-09-09" {
		t.Errorf("version %q", tmpl.AWSTemplateFormatVersion)
	}
	if p := tmpl.Parameters[portal.MetadataParameter]; p["Type"] != "String" {
		t.Errorf("metadata parameter = %v", p)
	}
	types := map[string]int{}
	roles := map[string]map[string]any{}
	for id, r := range tmpl.Resources {
		types[r.Type]++
		if !regexp.MustCompile(`^[A-Za-z0-9]+$`).MatchString(id) {
			t.Errorf("logical id %q", id)
		}
		if r.Type == "AWS::IAM::Role" {
			roles[r.Properties["RoleName"].(string)] = r.Properties
		}
	}
	if !reflect.DeepEqual(types, map[string]int{"AWS::IAM::SAMLProvider": 1, "AWS::IAM::Role": 2}) {
		t.Fatalf("resource types = %v", types)
	}
	prov := tmpl.Resources["GatehouseSAMLProvider"].Properties
	if prov["Name"] != "Gatehouse" || !reflect.DeepEqual(prov["SamlMetadataDocument"], map[string]any{"Ref": portal.MetadataParameter}) {
		t.Errorf("provider = %v", prov)
	}

	sets := templateSets()
	admin := roles[portal.RoleName(sets[1])]
	if admin == nil {
		t.Fatalf("no role %s among %v", portal.RoleName(sets[1]), roles)
	}
	if !regexp.MustCompile(`^AWSReservedSSO_Admin\.Ops_[0-9a-f]{16}$`).MatchString(admin["RoleName"].(string)) {
		t.Errorf("role name %v", admin["RoleName"])
	}
	if admin["MaxSessionDuration"] != float64(4*3600) {
		t.Errorf("MaxSessionDuration = %v", admin["MaxSessionDuration"])
	}
	wantTrust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect":    "Allow",
		"Principal": map[string]any{"Federated": map[string]any{"Ref": "GatehouseSAMLProvider"}},
		"Action":    []any{"sts:AssumeRoleWithSAML", "sts:TagSession"},
		"Condition": map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://signin.aws.amazon.com/saml"}},
	}}}
	if !reflect.DeepEqual(admin["AssumeRolePolicyDocument"], wantTrust) {
		t.Errorf("trust policy = %v", admin["AssumeRolePolicyDocument"])
	}
	wantManaged := []any{"arn:aws:iam::aws:policy/AdministratorAccess",
		map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/teams/TeamPolicy"}}
	if !reflect.DeepEqual(admin["ManagedPolicyArns"], wantManaged) {
		t.Errorf("ManagedPolicyArns = %v", admin["ManagedPolicyArns"])
	}
	wantInline := []any{map[string]any{"PolicyName": "AwsSSOInlinePolicy", "PolicyDocument": map[string]any{
		"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}}}}}
	if !reflect.DeepEqual(admin["Policies"], wantInline) {
		t.Errorf("Policies = %v", admin["Policies"])
	}
	if !reflect.DeepEqual(admin["PermissionsBoundary"], map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/Boundary"}) {
		t.Errorf("PermissionsBoundary = %v", admin["PermissionsBoundary"])
	}
	ro := roles[portal.RoleName(sets[0])]
	if ro == nil || ro["MaxSessionDuration"] != float64(3600) || ro["Policies"] != nil || ro["PermissionsBoundary"] != nil ||
		!reflect.DeepEqual(ro["ManagedPolicyArns"], []any{"arn:aws:iam::aws:policy/ReadOnlyAccess"}) {
		t.Errorf("ReadOnly role = %v", ro)
	}
	// The portal's Role attribute names these roles.
	if got := portal.RoleAttribute(prodID, sets[1]); got != "arn:aws:iam::"+prodID+":role/"+admin["RoleName"].(string)+
		",arn:aws:iam::"+prodID+":saml-provider/Gatehouse" {
		t.Errorf("RoleAttribute = %s", got)
	}

	// Embedded metadata: no parameter, the document inline.
	b, err = portal.IAMTemplate(prodID, templateSets()[:1], "<EntityDescriptor/>")
	if err != nil {
		t.Fatal(err)
	}
	tmpl = parseTemplate(t, b)
	if tmpl.Parameters != nil || tmpl.Resources["GatehouseSAMLProvider"].Properties["SamlMetadataDocument"] != "<EntityDescriptor/>" {
		t.Errorf("embedded metadata: %s", b)
	}
}

func TestRoleNameStable(t *testing.T) {
	a := &center.PermissionSet{ARN: adminARN, Name: "AdministratorAccessLongName12345"} // 32 characters
	if portal.RoleName(a) != portal.RoleName(&center.PermissionSet{ARN: adminARN, Name: a.Name}) {
		t.Error("RoleName is not stable")
	}
	if n := len(portal.RoleName(a)); n != 64 {
		t.Errorf("role name of a 32-character permission set is %d characters, want 64 (IAM's limit)", n)
	}
	if portal.RoleName(a) == portal.RoleName(&center.PermissionSet{ARN: readARN, Name: a.Name}) {
		t.Error("different ARNs give the same role name")
	}
}
