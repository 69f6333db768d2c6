package center_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
)

const testARN = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef"

// wantInvalid checks that err is an InvalidError whose message contains each
// of parts.
func wantInvalid(t *testing.T, what string, err error, parts ...string) {
	t.Helper()
	var ie *center.InvalidError
	if !errors.As(err, &ie) || !errors.Is(err, center.ErrInvalid) {
		t.Errorf("%s: err = %v, want an InvalidError", what, err)
		return
	}
	for _, p := range parts {
		if !strings.Contains(ie.Msg, p) {
			t.Errorf("%s: message %q does not contain %q", what, ie.Msg, p)
		}
	}
}

func TestPermissionSetName(t *testing.T) {
	for _, ok := range []string{"a", "AdministratorAccess", "read_only+x=y,z.w@q-1", strings.Repeat("n", 32)} {
		if err := center.ValidatePermissionSetName(ok); err != nil {
			t.Errorf("ValidatePermissionSetName(%q) = %v", ok, err)
		}
	}
	wantInvalid(t, "space", center.ValidatePermissionSetName("x y"),
		`1 validation error detected: Value 'x y' at 'name' failed to satisfy constraint: `+
			`Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	wantInvalid(t, "empty", center.ValidatePermissionSetName(""), "at 'name'", "greater than or equal to 1")
	wantInvalid(t, "33", center.ValidatePermissionSetName(strings.Repeat("n", 33)), "at 'name'", "less than or equal to 32")
	for _, bad := range []string{"a/b", "é", "a:b", "a\tb"} {
		wantInvalid(t, bad, center.ValidatePermissionSetName(bad), "at 'name'")
	}
}

func TestSessionDuration(t *testing.T) {
	for s, want := range map[string]time.Duration{
		"PT1H": time.Hour, "PT12H": 12 * time.Hour, "PT90M": 90 * time.Minute, "PT2H30M": 150 * time.Minute,
		"PT3600S": time.Hour, "PT11H59M59S": 12*time.Hour - time.Second,
	} {
		got, err := center.ParseSessionDuration(s)
		if err != nil || got != want {
			t.Errorf("ParseSessionDuration(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, bad := range []string{"PT30M", "PT13H", "P1D", "PT12H1S", "PT59M59S", "", "1h", "PT", "P", "PT1.5H", "pt1h",
		"P1DT", "PT99999999999999999999H"} {
		_, err := center.ParseSessionDuration(bad)
		wantInvalid(t, bad, err, "at 'sessionDuration'")
	}
}

func TestManagedPolicyARN(t *testing.T) {
	for _, ok := range []string{
		"arn:aws:iam::aws:policy/ReadOnlyAccess",
		"arn:aws:iam::aws:policy/AdministratorAccess",
		"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
		"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
		"arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess",
	} {
		if err := center.ValidateManagedPolicyARN(ok); err != nil {
			t.Errorf("ValidateManagedPolicyARN(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{
		"arn:aws:iam::123456789012:policy/Mine", // customer managed, not AWS managed
		"arn:aws:iam::aws:policy/",
		"arn:aws:iam::aws:policy//x",
		"arn:aws:iam::aws:role/ReadOnlyAccess",
		"ReadOnlyAccess",
		"arn:aws:iam::aws:policy/Read Only",
	} {
		wantInvalid(t, bad, center.ValidateManagedPolicyARN(bad), "at 'managedPolicyArn'")
	}
	if got := center.ManagedPolicyName("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"); got != "ViewOnlyAccess" {
		t.Errorf("ManagedPolicyName = %q", got)
	}
}

func TestCustomerManagedPolicyReference(t *testing.T) {
	for _, ok := range []center.CustomerManagedPolicyReference{
		{Name: "Mine"}, {Name: "Mine", Path: "/"}, {Name: "x", Path: "/team/ops/"},
	} {
		if err := center.ValidateCustomerManagedPolicyReference(ok); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	wantInvalid(t, "no name", center.ValidateCustomerManagedPolicyReference(center.CustomerManagedPolicyReference{}),
		"at 'customerManagedPolicyReference.name'")
	for _, p := range []string{"team", "/team", "//", "/a b/"} {
		wantInvalid(t, p, center.ValidateCustomerManagedPolicyReference(center.CustomerManagedPolicyReference{Name: "x", Path: p}),
			"at 'customerManagedPolicyReference.path'")
	}
}

func TestInlinePolicy(t *testing.T) {
	for _, ok := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		`{"Version":"2012-10-17","Statement":{"Sid":"All","Effect":"Deny","NotAction":["iam:*","s3:Get*"],"NotResource":"*"}}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":["*"],
			"Condition":{"StringEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}`,
		`{"Version":"2008-10-17","Id":"p1","Statement":[{"Effect":"Allow","Action":["ec2:Describe*"],"Resource":"*"}]}`,
	} {
		if err := center.ValidateInlinePolicy(ok); err != nil {
			t.Errorf("ValidateInlinePolicy(%s) = %v", ok, err)
		}
	}
	for name, bad := range map[string]string{
		"not json":      `{"Version":`,
		"array":         `[]`,
		"version":       `{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"no statement":  `{"Version":"2012-10-17"}`,
		"empty list":    `{"Version":"2012-10-17","Statement":[]}`,
		"effect":        `{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}`,
		"no effect":     `{"Statement":[{"Action":"*","Resource":"*"}]}`,
		"no action":     `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`,
		"both actions":  `{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}]}`,
		"no resource":   `{"Statement":[{"Effect":"Allow","Action":"*"}]}`,
		"bad action":    `{"Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}`,
		"bad resource":  `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"bucket"}]}`,
		"empty actions": `{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`,
		"principal":     `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`,
		"unknown":       `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Foo":1}]}`,
		"top unknown":   `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}],"Foo":1}`,
		"sid":           `{"Statement":[{"Sid":"a b","Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"condition":     `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":"x"}]}`,
		"control char":  "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\x01\"}]}",
		"empty":         ``,
	} {
		wantInvalid(t, name, center.ValidateInlinePolicy(bad), "at 'inlinePolicy'")
	}
	// Length: 32,768 characters at most, and 10,240 other than whitespace.
	stmt := `{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`
	big := func(n int, pad string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = stmt
		}
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(parts, ","+pad) + `]}`
	}
	if err := center.ValidateInlinePolicy(big(130, "")); err != nil {
		t.Errorf("policy of %d chars: %v", len(big(130, "")), err)
	}
	wantInvalid(t, "too many non-space", center.ValidateInlinePolicy(big(150, "")), "other than whitespace")
	wantInvalid(t, "too long", center.ValidateInlinePolicy(big(100, strings.Repeat(" ", 300))), "less than or equal to 32768")
}

// A JSON syntax error names its line and column (in characters), so the
// console can say where to look.
func TestInlinePolicyJSONErrorPosition(t *testing.T) {
	for doc, want := range map[string]string{
		"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\",}]\n}": "invalid character '}' looking for beginning of object key string at line 3, column 36",
		`{"Sid": "é", x}`:      "invalid character 'x' looking for beginning of object key string at line 1, column 14",
		`{"Statement": [`:      "unexpected end of JSON input at line 1, column 15",
		`[{"Effect":"Allow"}]`: "not a JSON object: found a JSON array",
	} {
		wantInvalid(t, doc, center.ValidateInlinePolicy(doc), "Member must be a valid IAM policy document: ", want)
	}
}

func TestTags(t *testing.T) {
	if err := center.ValidateTags([]center.Tag{{"team", "ops"}, {"cost-center", ""}, {"Ünïcode key", "a/b:c=d+e@f"}}); err != nil {
		t.Errorf("ValidateTags: %v", err)
	}
	many := make([]center.Tag, 51)
	for i := range many {
		many[i] = center.Tag{Key: fmt.Sprint("k", i)}
	}
	wantInvalid(t, "51 tags", center.ValidateTags(many), "at 'tags'", "less than or equal to 50")
	if err := center.ValidateTags(many[:50]); err != nil {
		t.Errorf("50 tags: %v", err)
	}
	wantInvalid(t, "empty key", center.ValidateTags([]center.Tag{{"", "v"}}), "at 'tags.1.member.key'")
	wantInvalid(t, "long key", center.ValidateTags([]center.Tag{{strings.Repeat("k", 129), "v"}}), "tags.1.member.key")
	wantInvalid(t, "long value", center.ValidateTags([]center.Tag{{"k", strings.Repeat("v", 257)}}), "tags.1.member.value")
	wantInvalid(t, "bad key", center.ValidateTags([]center.Tag{{"a", ""}, {"k*", "v"}}), "tags.2.member.key", "regular expression")
	wantInvalid(t, "bad value", center.ValidateTags([]center.Tag{{"k", "v;"}}), "tags.1.member.value")
	wantInvalid(t, "duplicate", center.ValidateTags([]center.Tag{{"k", "1"}, {"k", "2"}}), "tags.2.member.key", "unique")
	wantInvalid(t, "aws:", center.ValidateTags([]center.Tag{{"aws:x", "1"}}), "reserved prefix")
}

func validPermissionSet() *center.PermissionSet {
	return &center.PermissionSet{
		ARN:             testARN,
		Name:            "PowerUser",
		Description:     "Power users\twith ümlauts",
		SessionDuration: "PT8H",
		RelayState:      "https://console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:",
		ManagedPolicies: []string{"arn:aws:iam::aws:policy/PowerUserAccess", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"},
		CustomerManagedPolicies: []center.CustomerManagedPolicyReference{
			{Name: "Extra"}, {Name: "Extra", Path: "/team/"},
		},
		InlinePolicy:        `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`,
		PermissionsBoundary: &center.PermissionsBoundary{ManagedPolicyArn: "arn:aws:iam::aws:policy/PowerUserAccess"},
		Tags:                []center.Tag{{"team", "platform"}},
	}
}

func TestValidatePermissionSet(t *testing.T) {
	if err := center.ValidatePermissionSet(validPermissionSet()); err != nil {
		t.Fatalf("valid permission set: %v", err)
	}
	if err := center.ValidatePermissionSet(&center.PermissionSet{ARN: testARN, Name: "Min"}); err != nil {
		t.Fatalf("minimal permission set: %v", err)
	}
	cases := map[string]struct {
		edit  func(ps *center.PermissionSet)
		parts []string
	}{
		"arn": {func(ps *center.PermissionSet) { ps.ARN = "arn:aws:sso:::permissionSet/x/ps-1" }, []string{"at 'permissionSetArn'"}},
		"description": {func(ps *center.PermissionSet) { ps.Description = "emoji 🚀" },
			[]string{"at 'description'", `Member must satisfy regular expression pattern`}},
		"description length": {func(ps *center.PermissionSet) { ps.Description = strings.Repeat("d", 701) },
			[]string{"at 'description'", "less than or equal to 700"}},
		"duration":       {func(ps *center.PermissionSet) { ps.SessionDuration = "PT13H" }, []string{"at 'sessionDuration'"}},
		"relay relative": {func(ps *center.PermissionSet) { ps.RelayState = "/ec2" }, []string{"at 'relayState'"}},
		"relay scheme":   {func(ps *center.PermissionSet) { ps.RelayState = "javascript:alert(1)" }, []string{"at 'relayState'"}},
		"relay length": {func(ps *center.PermissionSet) { ps.RelayState = "https://x.example/" + strings.Repeat("a", 240) },
			[]string{"at 'relayState'", "less than or equal to 240"}},
		"managed": {func(ps *center.PermissionSet) { ps.ManagedPolicies[1] = "arn:aws:iam::111122223333:policy/X" },
			[]string{"at 'managedPolicies.2.member'"}},
		"managed twice": {func(ps *center.PermissionSet) { ps.ManagedPolicies[1] = ps.ManagedPolicies[0] },
			[]string{"managedPolicies.2.member", "only once"}},
		"customer twice": {func(ps *center.PermissionSet) { ps.CustomerManagedPolicies[1].Path = "/" },
			[]string{"customerManagedPolicies.2.member", "only once"}},
		"too many policies": {func(ps *center.PermissionSet) {
			for i := range 19 {
				ps.CustomerManagedPolicies = append(ps.CustomerManagedPolicies, center.CustomerManagedPolicyReference{Name: fmt.Sprint("P", i)})
			}
		}, []string{"at most 20"}},
		"inline": {func(ps *center.PermissionSet) { ps.InlinePolicy = `{"Statement":[]}` }, []string{"at 'inlinePolicy'"}},
		"boundary both": {func(ps *center.PermissionSet) {
			ps.PermissionsBoundary.CustomerManagedPolicyReference = &center.CustomerManagedPolicyReference{Name: "B"}
		}, []string{"at 'permissionsBoundary'", "exactly one"}},
		"boundary none": {func(ps *center.PermissionSet) { ps.PermissionsBoundary = &center.PermissionsBoundary{} },
			[]string{"exactly one"}},
		"boundary arn": {func(ps *center.PermissionSet) { ps.PermissionsBoundary.ManagedPolicyArn = "nope-but-20-chars-long" },
			[]string{"at 'permissionsBoundary.managedPolicyArn'"}},
		"boundary customer": {func(ps *center.PermissionSet) {
			ps.PermissionsBoundary = &center.PermissionsBoundary{
				CustomerManagedPolicyReference: &center.CustomerManagedPolicyReference{Name: "B", Path: "x"}}
		}, []string{"at 'permissionsBoundary.customerManagedPolicyReference.path'"}},
		"tags": {func(ps *center.PermissionSet) { ps.Tags = []center.Tag{{"", ""}} }, []string{"at 'tags.1.member.key'"}},
		"two errors": {func(ps *center.PermissionSet) { ps.Name = "a b"; ps.SessionDuration = "P1D" },
			[]string{"2 validation errors detected: Value 'a b' at 'name'", "; Value 'P1D' at 'sessionDuration'"}},
	}
	for name, c := range cases {
		ps := validPermissionSet()
		c.edit(ps)
		wantInvalid(t, name, center.ValidatePermissionSet(ps), c.parts...)
	}
}

func TestNormalizePermissionSet(t *testing.T) {
	ps := &center.PermissionSet{
		CustomerManagedPolicies: []center.CustomerManagedPolicyReference{{Name: "A"}, {Name: "B", Path: "/x/"}},
		PermissionsBoundary:     &center.PermissionsBoundary{CustomerManagedPolicyReference: &center.CustomerManagedPolicyReference{Name: "C"}},
	}
	center.NormalizePermissionSet(ps)
	if ps.SessionDuration != "PT1H" || ps.CustomerManagedPolicies[0].Path != "/" || ps.CustomerManagedPolicies[1].Path != "/x/" ||
		ps.PermissionsBoundary.CustomerManagedPolicyReference.Path != "/" {
		t.Errorf("NormalizePermissionSet = %+v", ps)
	}
}

func TestValidateAccount(t *testing.T) {
	ok := &center.Account{ID: "123456789012", Name: "Production (EU)", Email: "aws-prod@example.com"}
	if err := center.ValidateAccount(ok); err != nil {
		t.Fatalf("ValidateAccount: %v", err)
	}
	for name, c := range map[string]struct {
		a    center.Account
		part string
	}{
		"short id":   {center.Account{ID: "12345678901", Name: "n", Email: "a@b.cd"}, "at 'accountId'"},
		"letters id": {center.Account{ID: "12345678901a", Name: "n", Email: "a@b.cd"}, "at 'accountId'"},
		"no name":    {center.Account{ID: "123456789012", Email: "a@b.cd"}, "at 'name'"},
		"long name":  {center.Account{ID: "123456789012", Name: strings.Repeat("n", 51), Email: "a@b.cd"}, "less than or equal to 50"},
		"name chars": {center.Account{ID: "123456789012", Name: "tab\there", Email: "a@b.cd"}, "at 'name'"},
		"email":      {center.Account{ID: "123456789012", Name: "n", Email: "not-an-email"}, "at 'email'"},
	} {
		wantInvalid(t, name, center.ValidateAccount(&c.a), c.part)
	}
}

func TestValidateAccountAssignment(t *testing.T) {
	ok := &center.AccountAssignment{AccountID: "123456789012", PermissionSetARN: testARN,
		PrincipalType: center.PrincipalGroup, PrincipalID: "1234567890-abcdef01-2345-6789-abcd-ef0123456789"}
	if err := center.ValidateAccountAssignment(ok); err != nil {
		t.Fatalf("ValidateAccountAssignment: %v", err)
	}
	bare := *ok
	bare.PrincipalID, bare.PrincipalType = "abcdef01-2345-6789-abcd-ef0123456789", center.PrincipalUser
	if err := center.ValidateAccountAssignment(&bare); err != nil {
		t.Fatalf("bare UUID principal: %v", err)
	}
	for name, c := range map[string]struct {
		edit func(a *center.AccountAssignment)
		part string
	}{
		"target":    {func(a *center.AccountAssignment) { a.AccountID = "1" }, "at 'targetId'"},
		"arn":       {func(a *center.AccountAssignment) { a.PermissionSetARN = "ps-1" }, "at 'permissionSetArn'"},
		"type":      {func(a *center.AccountAssignment) { a.PrincipalType = "ROLE" }, "enum value set: [USER, GROUP]"},
		"principal": {func(a *center.AccountAssignment) { a.PrincipalID = "alice" }, "at 'principalId'"},
		"request":   {func(a *center.AccountAssignment) { a.RequestID = "R1" }, "at 'requestId'"},
	} {
		a := *ok
		c.edit(&a)
		wantInvalid(t, name, center.ValidateAccountAssignment(&a), c.part)
	}
}

func TestIdentifiers(t *testing.T) {
	arn := center.NewPermissionSetARN("ssoins-1234567890abcdef")
	if !regexp.MustCompile(`^arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-[0-9a-f]{16}$`).MatchString(arn) {
		t.Errorf("NewPermissionSetARN = %q", arn)
	}
	if err := center.ValidatePermissionSetARN(arn); err != nil {
		t.Errorf("ValidatePermissionSetARN(%q) = %v", arn, err)
	}
	wantInvalid(t, "arn", center.ValidatePermissionSetARN("arn:aws:sso:::permissionSet/ssoins-1/ps-2"), "at 'permissionSetArn'")
	id := center.NewRequestID()
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("NewRequestID = %q", id)
	}
	if center.NewRequestID() == id || center.NewPermissionSetARN("ssoins-1234567890abcdef") == arn {
		t.Error("identifiers repeat")
	}
	if (center.Via{}).String() != "direct" || !(center.Via{}).Direct() {
		t.Error("zero Via is not direct")
	}
	if v := (center.Via{GroupID: "g", GroupDisplayName: "Ops"}); v.Direct() || v.String() != "group Ops (g)" {
		t.Errorf("Via = %v", v)
	}
}

func TestConflictError(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", center.Conflictf("ps %s is assigned", "x"))
	if !errors.Is(err, center.ErrConflict) || !strings.Contains(err.Error(), "ps x is assigned") {
		t.Errorf("Conflictf = %v", err)
	}
}
