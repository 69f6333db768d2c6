package provisioning

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning/expr"
	"github.com/gatehouse-id/gatehouse/internal/provisioning/scimclient"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/scim/filter"
)

// This file tests the pure parts of the engine: mapping build, scoping
// filters, the planner (planUser, planGroup, memberPatches, diff) and the
// escrow thresholds. Cases follow shared/reference/entra-provisioning.md
// §1.4 (request sequences), §1.7 (thresholds), §1.10 (scope matrix) and §2
// (mappings and scoping).

var fixedNow = func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }

// sampleUser is a fully populated directory user.
func sampleUser() *directory.User {
	return &directory.User{
		ID: "11111111-2222-3333-4444-555555555555", UserPrincipalName: "alex@example.com", Mail: "alex.w@example.com",
		GivenName: "Alex", Surname: "Wilber", DisplayName: "Alex Wilber", JobTitle: "Engineer",
		Department: "R&D", EmployeeID: "1007", CompanyName: "Contoso", BusinessPhones: []string{"+1 425 555 0100"},
		OfficeLocation: "Building 4", StreetAddress: "1 Main St", City: "Redmond", State: "WA", PostalCode: "98052",
		Country: "US", PreferredLanguage: "en-US", ManagerID: "mgr-source-id", AccountEnabled: true,
	}
}

func mustBuild(t *testing.T, ms []Mapping, src expr.Source, create bool) *built {
	t.Helper()
	cs, err := compile(ms)
	if err != nil {
		t.Fatal(err)
	}
	b, err := build(cs, src, create, expr.Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// doc decodes a JSON object as documents arrive from a target.
func doc(t *testing.T, s string) scimclient.Doc {
	t.Helper()
	d, err := scim.DecodeDocument([]byte(s))
	if err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return d
}

// sameDoc compares two documents as JSON values.
func sameDoc(t *testing.T, got, want any) bool {
	t.Helper()
	norm := func(v any) any {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var out any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	return reflect.DeepEqual(norm(got), norm(want))
}

func path(t *testing.T, s string) filter.Path {
	t.Helper()
	p, err := filter.ParsePath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// awsTarget is what an AWS-like target holds for sampleUser once
// provisioned (its own id and meta included).
const awsTarget = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "id": "t-1", "meta": {"resourceType": "User"},
  "userName": "alex@example.com", "active": true, "displayName": "Alex Wilber", "title": "Engineer",
  "preferredLanguage": "en-US", "externalId": "11111111-2222-3333-4444-555555555555",
  "emails": [{"type": "work", "value": "alex.w@example.com", "primary": true}],
  "name": {"givenName": "Alex", "familyName": "Wilber", "formatted": "Alex Wilber"},
  "addresses": [{"type": "work", "formatted": "Building 4", "streetAddress": "1 Main St", "locality": "Redmond",
                 "region": "WA", "postalCode": "98052", "country": "US"}],
  "phoneNumbers": [{"type": "work", "value": "+1 425 555 0100"}],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "employeeNumber": "1007", "department": "R&D", "organization": "Contoso", "manager": {"value": "t-mgr"}}
}`

func TestBuildAWSDefaultMappings(t *testing.T) {
	b := mustBuild(t, AWSUserMappings(), userSource(sampleUser(), false, nil), true)
	want := doc(t, awsTarget)
	delete(want, "id")
	delete(want, "meta")
	delete(want, "schemas")
	// The manager is a reference: it is resolved to the target id later.
	delete(scim.Get(want, scim.SchemaEnterprise).(map[string]any), "manager")
	if !sameDoc(t, b.doc, want) {
		got, _ := json.MarshalIndent(b.doc, "", "  ")
		t.Fatalf("AWS default mappings built\n%s", got)
	}
	if len(b.refs) != 1 || b.refs[0].source != "mgr-source-id" || b.refs[0].path.String() != scim.SchemaEnterprise+":manager" {
		t.Fatalf("refs = %+v, want the manager's source id", b.refs)
	}
	if len(b.warnings) != 0 {
		t.Fatalf("warnings = %v", b.warnings)
	}
	// Every mapping is managed (21 mappings, manager included).
	if len(b.managed) != len(AWSUserMappings()) {
		t.Fatalf("managed %d paths, want %d", len(b.managed), len(AWSUserMappings()))
	}
	// A soft-deleted user maps to active false (the IsSoftDeleted Switch).
	b = mustBuild(t, AWSUserMappings(), userSource(sampleUser(), true, nil), true)
	if b.doc["active"] != false {
		t.Fatalf("soft-deleted user: active = %#v, want false", b.doc["active"])
	}
}

func TestBuildMultiValuedReducedWithWarning(t *testing.T) {
	u := sampleUser()
	u.BusinessPhones = []string{"+1 425 555 0100", "+1 425 555 0199"}
	b := mustBuild(t, AWSUserMappings(), userSource(u, false, nil), true)
	phones := scim.Get(b.doc, "phoneNumbers").([]any)
	if len(phones) != 1 || phones[0].(map[string]any)["value"] != "+1 425 555 0100" {
		t.Fatalf("phoneNumbers = %v, want the first phone only", phones)
	}
	if len(b.warnings) != 1 || !strings.Contains(b.warnings[0], `phoneNumbers[type eq "work"].value: 2 values reduced to the first`) {
		t.Fatalf("warnings = %q", b.warnings)
	}
}

func TestBuildCreateOnlyAndDefault(t *testing.T) {
	ms := []Mapping{
		{Type: MapDirect, Source: "userPrincipalName", Target: "userName", Match: 1},
		{Type: MapConstant, Source: "Welcome", Target: "nickName", Apply: ApplyCreate},
		{Type: MapDirect, Source: "jobTitle", Target: "title", Default: "Staff"},
		{Type: MapDirect, Source: "department", Target: "profileUrl", Default: "none"},
	}
	u := sampleUser()
	u.JobTitle = ""
	src := userSource(u, false, nil)

	created := mustBuild(t, ms, src, true)
	if !sameDoc(t, created.doc, map[string]any{"userName": "alex@example.com", "nickName": "Welcome", "title": "Staff", "profileUrl": "R&D"}) {
		t.Fatalf("on create: %v", created.doc)
	}

	updated := mustBuild(t, ms, src, false)
	if !sameDoc(t, updated.doc, map[string]any{"userName": "alex@example.com", "profileUrl": "R&D"}) {
		t.Fatalf("on update: %v", updated.doc)
	}
	for _, p := range updated.managed {
		switch p.String() {
		case "nickName":
			t.Fatal("a create-only mapping is managed on update")
		case "title":
			// Default is create-only: on update a null source leaves the
			// target's value (the default set on create) alone.
			t.Fatal("a null source with a default is managed on update, so the default would be removed")
		}
	}
	// So the user created with the defaults is up to date afterwards.
	target := doc(t, `{"id":"t-1","userName":"alex@example.com","nickName":"Welcome","title":"Staff","profileUrl":"R&D"}`)
	if p := planUser(userInput{Desired: updated, InScope: true, Target: target}); p.Action != ActionNone {
		t.Fatalf("plan after create with defaults = %s %+v, want None", p.Action, p.Patch)
	}
}

func TestBuildIgnoreFlowLeavesAttributeUnmanaged(t *testing.T) {
	ms := []Mapping{
		{Type: MapDirect, Source: "userPrincipalName", Target: "userName", Match: 1},
		{Type: MapExpression, Source: `IgnoreFlowIfNullOrEmpty([department])`, Target: scim.SchemaEnterprise + ":department"},
	}
	u := sampleUser()
	u.Department = ""
	b := mustBuild(t, ms, userSource(u, false, nil), false)
	if len(b.managed) != 1 || b.managed[0].String() != "userName" {
		t.Fatalf("managed = %v, want userName only", b.managed)
	}
	// The target's department, set by someone else, is left alone.
	target := doc(t, `{"id":"t","userName":"alex@example.com","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales"}}`)
	if p := planUser(userInput{Desired: b, InScope: true, Target: target}); p.Action != ActionNone {
		t.Fatalf("plan = %s %+v, want None", p.Action, p.Patch)
	}
	// With a value, it flows.
	u.Department = "R&D"
	b = mustBuild(t, ms, userSource(u, false, nil), false)
	p := planUser(userInput{Desired: b, InScope: true, Target: target})
	want := []scimclient.Op{{Op: "replace", Path: scim.SchemaEnterprise + ":department", Value: "R&D"}}
	if p.Action != ActionUpdate || !reflect.DeepEqual(p.Patch, want) {
		t.Fatalf("plan = %s %+v, want %+v", p.Action, p.Patch, want)
	}
}

func TestMappingErrorsNameTheMapping(t *testing.T) {
	for _, tc := range []struct {
		m    Mapping
		want string
	}{
		{Mapping{Type: MapDirect, Source: "", Target: "title"}, "mapping 1 (title): a direct mapping needs a source attribute name"},
		{Mapping{Type: "bogus", Source: "x", Target: "title"}, `type must be direct, constant or expression, not "bogus"`},
		{Mapping{Type: MapExpression, Source: `Join(" ", [givenName]`, Target: "displayName"}, "mapping 1 (displayName)"},
		{Mapping{Type: MapDirect, Source: "mail", Target: `emails[type eq`}, "mapping 1 (emails[type eq): target:"},
		{Mapping{Type: MapDirect, Source: "mail", Target: "title", Apply: "sometimes"}, `apply must be always or create, not "sometimes"`},
	} {
		err := ValidateMappings([]Mapping{tc.m})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.m, err, tc.want)
		}
	}
}

func TestMatchPrecedence(t *testing.T) {
	cs, err := compile([]Mapping{
		{Type: MapDirect, Source: "mail", Target: "externalId", Match: 2},
		{Type: MapDirect, Source: "displayName", Target: "displayName"},
		{Type: MapDirect, Source: "userPrincipalName", Target: "userName", Match: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := matchPaths(cs)
	if len(m) != 2 || m[0].Target != "userName" || m[1].Target != "externalId" {
		t.Fatalf("match order = %v", m)
	}
}

// --- scoping filters ---

func TestScopingOperators(t *testing.T) {
	src := expr.Attributes{
		"department":     expr.String("Sales"),
		"employeeId":     expr.String("1007"),
		"accountEnabled": expr.Bool(true),
		"isContractor":   expr.String("False"),
		"mail":           expr.String("ana@contoso.com"),
		"jobTitle":       expr.Null(),
		"city":           expr.String(""),
	}
	for _, tc := range []struct {
		attr, op, value string
		want            bool
	}{
		{"department", OpEquals, "Sales", true},
		{"department", OpEquals, "sales", false}, // case-sensitive
		{"department", OpNotEquals, "Marketing", true},
		{"department", OpNotEquals, "Sales", false},
		{"accountEnabled", OpIsTrue, "", true},
		{"accountEnabled", OpIsFalse, "", false},
		{"isContractor", OpIsFalse, "", true},
		{"isContractor", OpIsTrue, "", false},
		{"department", OpIsNull, "", false},
		{"department", OpIsNotNull, "", true},
		{"mail", OpRegexMatch, `^[a-z]+@contoso\.com$`, true},
		{"mail", OpRegexMatch, `^ANA@`, false}, // case-sensitive
		{"mail", OpNotRegexMatch, `@fabrikam\.com$`, true},
		{"mail", OpNotRegexMatch, `@contoso\.com$`, false},
		{"employeeId", OpGreaterThan, "1000", true},
		{"employeeId", OpGreaterThan, "1007", false},
		{"employeeId", OpGreaterOrEqual, "1007", true},
		{"employeeId", OpGreaterOrEqual, "1008", false},
		{"department", OpGreaterThan, "1", false}, // not an integer
		{"mail", OpIncludes, "@contoso", true},
		{"mail", OpIncludes, "@Contoso", false}, // case-sensitive
		{"mail", OpEndsWith, "contoso.com", true},
		{"mail", OpEndsWith, "fabrikam.com", false},
		{"department", OpIn, "Marketing, Sales", true},
		{"department", OpIn, "Marketing,Legal", false},
		{"department", OpNotIn, "Marketing,Legal", true},
		{"department", OpNotIn, "Sales,Legal", false},
	} {
		f := []ScopingFilter{{Clauses: []Clause{{Attribute: tc.attr, Operator: tc.op, Value: tc.value}}}}
		if err := validateFilters(f); err != nil {
			t.Fatalf("%s %s %q: %v", tc.attr, tc.op, tc.value, err)
		}
		if got := inScope(f, src); got != tc.want {
			t.Errorf("%s %s %q = %v, want %v", tc.attr, tc.op, tc.value, got, tc.want)
		}
	}
	// Null or empty values make every operator false except IS NULL.
	for _, attr := range []string{"jobTitle", "city", "missingAttribute"} {
		for _, op := range []string{OpEquals, OpNotEquals, OpIsTrue, OpIsFalse, OpIsNotNull, OpRegexMatch,
			OpNotRegexMatch, OpGreaterThan, OpGreaterOrEqual, OpIncludes, OpEndsWith, OpIn, OpNotIn} {
			value := map[string]string{OpGreaterThan: "0", OpGreaterOrEqual: "0", OpRegexMatch: ".*", OpNotRegexMatch: "x"}[op]
			f := []ScopingFilter{{Clauses: []Clause{{Attribute: attr, Operator: op, Value: value}}}}
			if inScope(f, src) {
				t.Errorf("%s (null or empty) %s %q is true, want false", attr, op, value)
			}
		}
		if !inScope([]ScopingFilter{{Clauses: []Clause{{Attribute: attr, Operator: OpIsNull}}}}, src) {
			t.Errorf("%s IS NULL is false, want true", attr)
		}
	}
}

func TestScopingAndOr(t *testing.T) {
	src := expr.Attributes{"department": expr.String("Sales"), "country": expr.String("US")}
	c := func(a, v string) Clause { return Clause{Attribute: a, Operator: OpEquals, Value: v} }
	for _, tc := range []struct {
		fs   []ScopingFilter
		want bool
	}{
		{nil, true}, // no filters: everything is in scope
		{[]ScopingFilter{{Clauses: []Clause{c("department", "Sales"), c("country", "US")}}}, true},
		{[]ScopingFilter{{Clauses: []Clause{c("department", "Sales"), c("country", "FR")}}}, false},                     // AND
		{[]ScopingFilter{{Clauses: []Clause{c("country", "FR")}}, {Clauses: []Clause{c("department", "Sales")}}}, true}, // OR
		{[]ScopingFilter{{Clauses: []Clause{c("country", "FR")}}, {Clauses: []Clause{c("department", "HR")}}}, false},
	} {
		if got := inScope(tc.fs, src); got != tc.want {
			t.Errorf("%+v = %v, want %v", tc.fs, got, tc.want)
		}
	}
}

func TestScopingValidation(t *testing.T) {
	for _, tc := range []struct {
		c    Clause
		want string
	}{
		{Clause{Operator: OpEquals, Value: "x"}, "no attribute"},
		{Clause{Attribute: "a", Operator: "LIKE"}, `unknown operator "LIKE"`},
		{Clause{Attribute: "a", Operator: OpRegexMatch, Value: "("}, "missing closing )"},
		{Clause{Attribute: "a", Operator: OpGreaterThan, Value: "1.5"}, "compares integers only"},
	} {
		err := validateFilters([]ScopingFilter{{Clauses: []Clause{tc.c}}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.c, err, tc.want)
		}
	}
}

// --- planUser ---

func TestPlanUser(t *testing.T) {
	u := sampleUser()
	desired := func(mutate func(*directory.User), softDeleted bool) *built {
		v := *u
		if mutate != nil {
			mutate(&v)
		}
		b := mustBuild(t, AWSUserMappings(), userSource(&v, softDeleted, nil), false)
		// The engine resolves the manager to its target id before planning.
		for _, r := range b.refs {
			if err := scim.ApplyPath(b.doc, "add", r.path, "t-mgr"); err != nil {
				t.Fatal(err)
			}
		}
		return b
	}
	target := func(mutate func(scimclient.Doc)) scimclient.Doc {
		d := doc(t, awsTarget)
		if mutate != nil {
			mutate(d)
		}
		return d
	}
	inactive := target(func(d scimclient.Doc) { d["active"] = false })
	ops := func(ss ...scimclient.Op) []scimclient.Op { return ss }

	for _, tc := range []struct {
		name   string
		in     userInput
		action string
		patch  []scimclient.Op
	}{
		{"no-op when the target is up to date", userInput{Desired: desired(nil, false), InScope: true, Target: target(nil)}, ActionNone, nil},
		{"update of changed attributes", userInput{Desired: desired(func(u *directory.User) {
			u.JobTitle, u.Mail, u.City, u.Department = "Architect", "alex@contoso.com", "Seattle", "Sales"
		}, false), InScope: true, Target: target(nil)}, ActionUpdate, ops(
			scimclient.Op{Op: "replace", Path: "title", Value: "Architect"},
			scimclient.Op{Op: "replace", Path: `emails[type eq "work"].value`, Value: "alex@contoso.com"},
			scimclient.Op{Op: "replace", Path: `addresses[type eq "work"].locality`, Value: "Seattle"},
			scimclient.Op{Op: "replace", Path: scim.SchemaEnterprise + ":department", Value: "Sales"},
		)},
		{"drift made in the target is repaired", userInput{Desired: desired(nil, false), InScope: true,
			Target: target(func(d scimclient.Doc) { d["displayName"] = "Hacked"; delete(d, "title") })}, ActionUpdate, ops(
			scimclient.Op{Op: "replace", Path: "displayName", Value: "Alex Wilber"},
			scimclient.Op{Op: "replace", Path: "title", Value: "Engineer"},
		)},
		{"attributes cleared at the source are removed", userInput{Desired: desired(func(u *directory.User) {
			u.JobTitle, u.Mail, u.BusinessPhones, u.PostalCode, u.EmployeeID = "", "", nil, "", ""
		}, false), InScope: true, Target: target(nil)}, ActionUpdate, ops(
			scimclient.Op{Op: "remove", Path: "title"},
			// A filtered value's "value" goes with its whole value.
			scimclient.Op{Op: "remove", Path: `emails[type eq "work"]`},
			// Other sub-attributes of a filtered value go alone.
			scimclient.Op{Op: "remove", Path: `addresses[type eq "work"].postalCode`},
			scimclient.Op{Op: "remove", Path: `phoneNumbers[type eq "work"]`},
			scimclient.Op{Op: "remove", Path: scim.SchemaEnterprise + ":employeeNumber"},
		)},
		{"re-enable when back in scope", userInput{Desired: desired(nil, false), InScope: true, Target: inactive}, ActionUpdate,
			ops(scimclient.Op{Op: "replace", Path: "active", Value: true})},
		{"disable when out of scope and active", userInput{Desired: desired(nil, true), InScope: false, Target: target(nil)}, ActionDisable,
			ops(scimclient.Op{Op: "replace", Path: "active", Value: false})},
		{"none when out of scope and already inactive", userInput{Desired: desired(nil, true), InScope: false, Target: inactive}, ActionNone, nil},
		{"skip when out of scope and absent", userInput{Desired: desired(nil, true), InScope: false}, ActionSkip, nil},
		{"delete on hard delete", userInput{Deleted: true, Target: target(nil)}, ActionDelete, nil},
		{"delete on hard delete of an inactive user", userInput{Deleted: true, Target: inactive}, ActionDelete, nil},
		{"none when deleted and absent", userInput{Deleted: true}, ActionNone, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := planUser(tc.in)
			if p.Action != tc.action {
				t.Fatalf("action = %s (%s), want %s", p.Action, p.Reason, tc.action)
			}
			if !reflect.DeepEqual(p.Patch, tc.patch) {
				t.Fatalf("patch = %s\nwant    %s", jsonText(p.Patch), jsonText(tc.patch))
			}
			if p.Create != nil {
				t.Fatalf("a %s carries a resource to create", p.Action)
			}
			if len(tc.patch) > 0 && len(p.Modified) != len(tc.patch) {
				t.Fatalf("modified = %+v, want one per operation", p.Modified)
			}
		})
	}
}

func TestPlanUserCreate(t *testing.T) {
	b := mustBuild(t, AWSUserMappings(), userSource(sampleUser(), false, nil), true)
	p := planUser(userInput{Desired: b, InScope: true})
	if p.Action != ActionCreate || p.Patch != nil {
		t.Fatalf("plan = %+v", p)
	}
	want := doc(t, awsTarget)
	delete(want, "id")
	delete(want, "meta")
	delete(scim.Get(want, scim.SchemaEnterprise).(map[string]any), "manager")
	if !sameDoc(t, p.Create, want) {
		t.Fatalf("create = %s", jsonText(p.Create))
	}
	// The plan's resource is a copy: planning never alters the built one.
	p.Create["userName"] = "changed"
	if b.doc["userName"] != "alex@example.com" {
		t.Fatal("the plan shares its document with the built resource")
	}
	// Without enterprise attributes, only the core schema is declared.
	u := sampleUser()
	u.EmployeeID, u.Department, u.CompanyName, u.ManagerID = "", "", "", ""
	p = planUser(userInput{Desired: mustBuild(t, AWSUserMappings(), userSource(u, false, nil), true), InScope: true})
	if !sameDoc(t, p.Create["schemas"], []string{scim.SchemaUser}) {
		t.Fatalf("schemas = %v", p.Create["schemas"])
	}
	if len(p.Modified) == 0 || p.Modified[0].Name != "userName" || p.Modified[0].New != "alex@example.com" {
		t.Fatalf("modified = %+v", p.Modified)
	}
}

// userName and active are never removed, even when nothing maps a value to
// them (AWS refuses their removal); an extension attribute of the same
// name is an ordinary attribute.
func TestPlanUserNeverRemovesUserNameOrActive(t *testing.T) {
	b := &built{doc: map[string]any{}, managed: []filter.Path{path(t, "userName"), path(t, "active"), path(t, "title")}}
	target := doc(t, `{"id":"t","userName":"alex@example.com","active":true,"title":"Engineer"}`)
	p := planUser(userInput{Desired: b, InScope: true, Target: target})
	want := []scimclient.Op{{Op: "remove", Path: "title"}}
	if p.Action != ActionUpdate || !reflect.DeepEqual(p.Patch, want) {
		t.Fatalf("plan = %s %s, want only title removed", p.Action, jsonText(p.Patch))
	}
	b = &built{doc: map[string]any{}, managed: []filter.Path{path(t, "userName"), path(t, "active")}}
	if p := planUser(userInput{Desired: b, InScope: true, Target: target}); p.Action != ActionNone {
		t.Fatalf("plan = %s %s, want None", p.Action, jsonText(p.Patch))
	}
}

// --- planGroup and memberPatches ---

func TestPlanGroup(t *testing.T) {
	g := &directory.Group{ID: "g-src", DisplayName: "AWS-Developers", SecurityEnabled: true}
	desired := func(name string, create bool) *built {
		h := *g
		h.DisplayName = name
		return mustBuild(t, AWSGroupMappings(), groupSource(&h), create)
	}
	target := doc(t, `{"id":"tg","displayName":"AWS-Developers","externalId":"g-src"}`)

	t.Run("create with members", func(t *testing.T) {
		p := planGroup(groupInput{Desired: desired("AWS-Developers", true), Members: []string{"u3", "u1", "u2", "u1"}})
		if p.Action != ActionCreate {
			t.Fatalf("action = %s", p.Action)
		}
		want := map[string]any{"schemas": []string{scim.SchemaGroup}, "displayName": "AWS-Developers", "externalId": "g-src"}
		if !sameDoc(t, p.Create, want) {
			t.Fatalf("create = %s (without MaxCreateMembers, members are PATCHed after the POST, as Entra does)", jsonText(p.Create))
		}
		if !reflect.DeepEqual(p.Add, []string{"u1", "u2", "u3"}) || p.Remove != nil {
			t.Fatalf("add = %v remove = %v", p.Add, p.Remove)
		}
	})
	t.Run("create with the first members in the POST", func(t *testing.T) {
		p := planGroup(groupInput{Desired: desired("AWS-Developers", true), Members: []string{"u3", "u1", "u2"}, MaxCreateMembers: 2})
		want := map[string]any{"schemas": []string{scim.SchemaGroup}, "displayName": "AWS-Developers", "externalId": "g-src",
			"members": []map[string]string{{"value": "u1"}, {"value": "u2"}}}
		if p.Action != ActionCreate || !sameDoc(t, p.Create, want) || !reflect.DeepEqual(p.Add, []string{"u3"}) {
			t.Fatalf("create = %s, add = %v", jsonText(p.Create), p.Add)
		}
	})
	t.Run("rename", func(t *testing.T) {
		p := planGroup(groupInput{Desired: desired("AWS-Platform", false), Target: target})
		want := []scimclient.Op{{Op: "replace", Path: "displayName", Value: "AWS-Platform"}}
		if p.Action != ActionUpdate || !reflect.DeepEqual(p.Patch, want) || p.Add != nil || p.Remove != nil {
			t.Fatalf("plan = %+v", p)
		}
	})
	t.Run("member diff", func(t *testing.T) {
		p := planGroup(groupInput{Desired: desired("AWS-Developers", false), Target: target,
			Members: []string{"u1", "u4", "u5"}, TargetMembers: []string{"u3", "u1", "u2"}})
		if p.Action != ActionUpdate || p.Patch != nil {
			t.Fatalf("plan = %+v", p)
		}
		if !reflect.DeepEqual(p.Add, []string{"u4", "u5"}) || !reflect.DeepEqual(p.Remove, []string{"u2", "u3"}) {
			t.Fatalf("add = %v remove = %v", p.Add, p.Remove)
		}
		if m := p.Modified[len(p.Modified)-1]; m.Name != "members" || m.Old != "3 members" || m.New != "3 members (+2 -2)" {
			t.Fatalf("modified = %+v", p.Modified)
		}
	})
	t.Run("none when up to date", func(t *testing.T) {
		p := planGroup(groupInput{Desired: desired("AWS-Developers", false), Target: target,
			Members: []string{"u1", "u2"}, TargetMembers: []string{"u2", "u1"}})
		if p.Action != ActionNone {
			t.Fatalf("plan = %+v", p)
		}
	})
	t.Run("delete when out of scope", func(t *testing.T) {
		p := planGroup(groupInput{Target: target, TargetMembers: []string{"u1"}})
		if p.Action != ActionDelete || p.Add != nil || p.Remove != nil {
			t.Fatalf("plan = %+v", p)
		}
	})
	t.Run("none when out of scope and absent", func(t *testing.T) {
		if p := planGroup(groupInput{}); p.Action != ActionNone {
			t.Fatalf("plan = %+v", p)
		}
	})
}

func TestMemberPatches(t *testing.T) {
	ids := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s%03d", prefix, i)
		}
		return out
	}
	add, remove := ids("a", 150), ids("r", 60)
	patches := memberPatches(add, remove, 100)
	if len(patches) != 3 {
		t.Fatalf("%d patches, want 3 for 210 changes", len(patches))
	}
	var gotRemove, gotAdd []string
	for i, ops := range patches {
		n := 0
		sawAdd := false
		for _, op := range ops {
			if op.Path != "members" {
				t.Fatalf("patch %d: path %q", i, op.Path)
			}
			vals := op.Value.([]map[string]string)
			n += len(vals)
			for _, v := range vals {
				switch op.Op {
				case "remove":
					if sawAdd {
						t.Fatalf("patch %d: a remove after an add", i)
					}
					gotRemove = append(gotRemove, v["value"])
				case "add":
					sawAdd = true
					gotAdd = append(gotAdd, v["value"])
				default:
					t.Fatalf("patch %d: op %q", i, op.Op)
				}
			}
		}
		if n > 100 {
			t.Fatalf("patch %d has %d changes, more than 100", i, n)
		}
	}
	// Every remove comes before every add, and nothing is lost.
	if !reflect.DeepEqual(gotRemove, remove) || !reflect.DeepEqual(gotAdd, add) {
		t.Fatalf("removes %d adds %d, want %d and %d in order", len(gotRemove), len(gotAdd), len(remove), len(add))
	}
	if first := patches[0]; len(first) != 2 || first[0].Op != "remove" || len(first[0].Value.([]map[string]string)) != 60 ||
		len(first[1].Value.([]map[string]string)) != 40 {
		t.Fatalf("first patch = %s, want 60 removes then 40 adds", jsonText(first))
	}
	// The wire form is RFC 7644's members PATCH.
	if b, _ := json.Marshal(memberPatches([]string{"u1"}, nil, 1)[0]); string(b) != `[{"op":"add","path":"members","value":[{"value":"u1"}]}]` {
		t.Fatalf("wire form %s", b)
	}
	// n <= 0 means AWS's 100; a limit of 1 is Entra's non-gallery shape.
	if got := len(memberPatches(ids("a", 250), nil, 0)); got != 3 {
		t.Fatalf("default chunking: %d patches, want 3", got)
	}
	if got := len(memberPatches(ids("a", 3), ids("r", 2), 1)); got != 5 {
		t.Fatalf("one change per patch: %d patches, want 5", got)
	}
	if got := memberPatches(nil, nil, 100); got != nil {
		t.Fatalf("no changes: %v", got)
	}
}

// --- escrow thresholds ---

func TestEscrowReason(t *testing.T) {
	for _, tc := range []struct {
		name            string
		failed, success int
		want            string
	}{
		// Entra's documented examples (shared/reference/entra-provisioning.md §1.7).
		{"4,000 failures: below the 5,000 floor", 4000, 0, ""},
		{"45,000 failures: more than 40,000", 45000, 100000, ReasonEscrowTotal},
		{"30,000 failed with 5,000 OK: more than 40%", 30000, 5000, ReasonEscrowProportion},
		{"20,000 failed with 100,000 OK: under 40%", 20000, 100000, ""},
		{"61,000 failures: the absolute cap", 61000, 1000000, ReasonEscrowTotal},
		// Edges.
		{"4,999 failures, all failing", 4999, 0, ""},
		{"5,000 failures, all failing", 5000, 0, ReasonEscrowProportion},
		{"exactly 40% is not more than 40%", 8000, 12000, ""},
		{"just over 40%", 8001, 11999, ReasonEscrowProportion},
		{"exactly 40,000 at a low rate", 40000, 1000000, ""},
		{"exactly 60,000", 60000, 10000000, ReasonEscrowTotal},
	} {
		counts := map[string]int{"Create/failure": tc.failed, "Create/success": tc.success}
		if got := escrowReason(tc.failed, counts); got != tc.want {
			t.Errorf("%s: reason = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestEscrowDelay(t *testing.T) {
	want := []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 6 * time.Hour}
	for i, w := range want {
		if got := escrowDelay(i + 1); got != w {
			t.Errorf("failure %d: delay %v, want %v", i+1, got, w)
		}
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
