package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
)

// The access model's rules (center.AccessStore): permission sets, accounts,
// account assignments with their synchronous provisioning status, effective
// access through groups, and the removal of a deleted principal's
// assignments. They run on the store RunCenter opens when it also
// implements center.AccessStore.
var accessTests = []centerTest{
	{"PermissionSetRoundTrip", testPermissionSetRoundTrip},
	{"PermissionSetInvalid", testPermissionSetInvalid},
	{"PermissionSetDuplicateName", testPermissionSetDuplicateName},
	{"PermissionSetNotFound", testPermissionSetNotFound},
	{"UpdatePermissionSet", testUpdatePermissionSet},
	{"DeleteAssignedPermissionSet", testDeleteAssignedPermissionSet},
	{"Accounts", testAccounts},
	{"DeleteAccountRemovesAssignments", testDeleteAccountRemovesAssignments},
	{"AccountAssignments", testAccountAssignments},
	{"AccountAssignmentIdempotent", testAccountAssignmentIdempotent},
	{"AccountAssignmentRefused", testAccountAssignmentRefused},
	{"EffectiveAccess", testEffectiveAccess},
	{"DeleteUserRemovesAssignments", testDeleteUserRemovesAssignments},
	{"DeleteGroupRemovesAssignments", testDeleteGroupRemovesAssignments},
}

// access returns the store as a center.AccessStore, skipping the test for a
// backend without the access model.
func (e *env) access() center.AccessStore {
	e.t.Helper()
	a, ok := e.s.(center.AccessStore)
	if !ok {
		e.t.Skip("the store does not implement center.AccessStore")
	}
	return a
}

// newPermissionSet is a permission set with a fresh ARN in this instance.
func (e *env) newPermissionSet(name string) *center.PermissionSet {
	e.t.Helper()
	inst, err := e.s.Instance(e.ctx)
	e.noErr("Instance", err)
	return &center.PermissionSet{ARN: center.NewPermissionSetARN(inst.InstanceID), Name: name, CreatedDate: t0}
}

// permissionSet creates a minimal permission set.
func (e *env) permissionSet(name string) *center.PermissionSet {
	e.t.Helper()
	ps := e.newPermissionSet(name)
	e.noErr("CreatePermissionSet "+name, e.access().CreatePermissionSet(e.ctx, ps))
	ps.SessionDuration = center.DefaultSessionDuration
	return ps
}

// account creates an account.
func (e *env) account(id, name string) *center.Account {
	e.t.Helper()
	a := &center.Account{ID: id, Name: name, Email: "aws+" + id + "@example.com", CreatedDate: t0}
	e.noErr("PutAccount "+id, e.access().PutAccount(e.ctx, a))
	return a
}

func assignment(acc *center.Account, ps *center.PermissionSet, typ center.PrincipalType, id string) *center.AccountAssignment {
	return &center.AccountAssignment{AccountID: acc.ID, PermissionSetARN: ps.ARN, PrincipalType: typ, PrincipalID: id,
		CreatedDate: t0}
}

// assign creates an assignment and checks its provisioning status.
func (e *env) assign(acc *center.Account, ps *center.PermissionSet, typ center.PrincipalType, id string) *center.AccountAssignment {
	e.t.Helper()
	got, err := e.access().CreateAccountAssignment(e.ctx, assignment(acc, ps, typ, id))
	e.noErr("CreateAccountAssignment", err)
	if got.Status != center.StatusSucceeded || got.RequestID == "" || got.FailureReason != "" {
		e.t.Errorf("CreateAccountAssignment = %+v, want SUCCEEDED with a request id", got)
	}
	return got
}

// accessLines renders effective access as "account/permission set: via, via".
func accessLines(xs []*center.Access) []string {
	out := []string{}
	for _, x := range xs {
		vias := make([]string, len(x.Via))
		for i, v := range x.Via {
			vias[i] = "direct"
			if !v.Direct() {
				vias[i] = v.GroupDisplayName
			}
		}
		out = append(out, x.Account.Name+"/"+x.PermissionSet.Name+": "+strings.Join(vias, ", "))
	}
	return out
}

func (e *env) effective(userID string, want ...string) {
	e.t.Helper()
	got, err := e.access().EffectiveAccess(e.ctx, userID)
	e.noErr("EffectiveAccess", err)
	if want == nil {
		want = []string{}
	}
	if lines := accessLines(got); !reflect.DeepEqual(lines, want) {
		e.t.Errorf("EffectiveAccess =\n  %s\nwant\n  %s", strings.Join(lines, "\n  "), strings.Join(want, "\n  "))
	}
}

func (e *env) principalAssignments(typ center.PrincipalType, id string) int {
	e.t.Helper()
	as, err := e.access().AssignmentsForPrincipal(e.ctx, typ, id)
	e.noErr("AssignmentsForPrincipal", err)
	return len(as)
}

func testPermissionSetRoundTrip(e *env) {
	s := e.access()
	ps := e.newPermissionSet("PowerUser")
	ps.Description = `Power users: "everything" but IAM <ok> & ümlauts`
	ps.SessionDuration = "PT8H"
	ps.RelayState = "https://console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:"
	ps.ManagedPolicies = []string{"arn:aws:iam::aws:policy/PowerUserAccess", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"}
	ps.CustomerManagedPolicies = []center.CustomerManagedPolicyReference{{Name: "Extra"}, {Name: "Extra", Path: "/team/"}}
	ps.InlinePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`
	ps.PermissionsBoundary = &center.PermissionsBoundary{
		CustomerManagedPolicyReference: &center.CustomerManagedPolicyReference{Name: "Boundary"}}
	ps.Tags = []center.Tag{{Key: "team", Value: "platform"}, {Key: "empty", Value: ""}}
	ps.CreatedDate = t0.In(time.FixedZone("X", 3600)).Add(123 * time.Microsecond)
	e.noErr("CreatePermissionSet", s.CreatePermissionSet(e.ctx, ps))
	if ps.CustomerManagedPolicies[0].Path != "" {
		e.t.Error("CreatePermissionSet changed the caller's value")
	}

	want := *ps
	want.CreatedDate = t0
	want.CustomerManagedPolicies = []center.CustomerManagedPolicyReference{{Name: "Extra", Path: "/"}, {Name: "Extra", Path: "/team/"}}
	want.PermissionsBoundary = &center.PermissionsBoundary{
		CustomerManagedPolicyReference: &center.CustomerManagedPolicyReference{Name: "Boundary", Path: "/"}}
	got, err := s.GetPermissionSet(e.ctx, ps.ARN)
	e.noErr("GetPermissionSet", err)
	if !reflect.DeepEqual(got, &want) {
		e.t.Errorf("GetPermissionSet =\n  %+v\nwant\n  %+v", got, &want)
	}
	e.sameTime("CreatedDate", got.CreatedDate, t0)

	// Defaults: PT1H.
	bare := e.permissionSet("bare")
	got, err = s.GetPermissionSet(e.ctx, bare.ARN)
	e.noErr("GetPermissionSet(bare)", err)
	if got.SessionDuration != "PT1H" || got.Name != "bare" || got.ARN != bare.ARN {
		e.t.Errorf("GetPermissionSet(bare) = %+v", got)
	}

	// Listed by name, case-insensitively.
	e.permissionSet("Admin")
	e.permissionSet("billing")
	list, err := s.ListPermissionSets(e.ctx)
	e.noErr("ListPermissionSets", err)
	var names []string
	for _, p := range list {
		names = append(names, p.Name)
	}
	if want := []string{"Admin", "bare", "billing", "PowerUser"}; !reflect.DeepEqual(names, want) {
		e.t.Errorf("ListPermissionSets = %v, want %v", names, want)
	}
}

func testPermissionSetInvalid(e *env) {
	s := e.access()
	for name, edit := range map[string]func(ps *center.PermissionSet){
		"name":     func(ps *center.PermissionSet) { ps.Name = "x y" },
		"long":     func(ps *center.PermissionSet) { ps.Name = strings.Repeat("n", 33) },
		"duration": func(ps *center.PermissionSet) { ps.SessionDuration = "PT30M" },
		"arn":      func(ps *center.PermissionSet) { ps.ARN = "ps-1" },
		"managed":  func(ps *center.PermissionSet) { ps.ManagedPolicies = []string{"arn:aws:iam::123456789012:policy/Mine"} },
		"inline":   func(ps *center.PermissionSet) { ps.InlinePolicy = `{"Statement":[{"Effect":"Allow"}]}` },
		"tags":     func(ps *center.PermissionSet) { ps.Tags = []center.Tag{{Key: "aws:x"}} },
	} {
		ps := e.newPermissionSet("valid")
		edit(ps)
		err := s.CreatePermissionSet(e.ctx, ps)
		e.wantErr("CreatePermissionSet("+name+")", err, center.ErrInvalid)
	}
	err := s.CreatePermissionSet(e.ctx, &center.PermissionSet{ARN: e.newPermissionSet("x").ARN, Name: "x y"})
	if err == nil || !strings.Contains(err.Error(),
		`1 validation error detected: Value 'x y' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`) {
		e.t.Errorf("CreatePermissionSet(x y) = %v", err)
	}
	list, err := s.ListPermissionSets(e.ctx)
	e.noErr("ListPermissionSets", err)
	if len(list) != 0 {
		e.t.Errorf("invalid permission sets were stored: %d", len(list))
	}
}

func testPermissionSetDuplicateName(e *env) {
	s := e.access()
	first := e.permissionSet("ReadOnly")
	for _, name := range []string{"ReadOnly", "readonly", "READONLY"} {
		e.wantErr("CreatePermissionSet("+name+")", s.CreatePermissionSet(e.ctx, e.newPermissionSet(name)), center.ErrConflict)
	}
	same := e.newPermissionSet("Other")
	same.ARN = first.ARN
	e.wantErr("CreatePermissionSet(same ARN)", s.CreatePermissionSet(e.ctx, same), center.ErrConflict)

	// Concurrent creates of one name: exactly one wins.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = s.CreatePermissionSet(e.ctx, e.newPermissionSetNoHelper("Race")) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !isConflict(err):
			e.t.Errorf("concurrent CreatePermissionSet: %v", err)
		}
	}
	if won != 1 {
		e.t.Errorf("%d concurrent creates of one name succeeded, want 1", won)
	}
	// A freed name can be used again.
	e.noErr("DeletePermissionSet", s.DeletePermissionSet(e.ctx, first.ARN))
	e.permissionSet("readOnly")
}

// newPermissionSetNoHelper is newPermissionSet for goroutines, which must
// not call t.Fatal.
func (e *env) newPermissionSetNoHelper(name string) *center.PermissionSet {
	inst, err := e.s.Instance(e.ctx)
	if err != nil {
		e.t.Errorf("Instance: %v", err)
		return &center.PermissionSet{Name: name}
	}
	return &center.PermissionSet{ARN: center.NewPermissionSetARN(inst.InstanceID), Name: name, CreatedDate: t0}
}

func isConflict(err error) bool { return errors.Is(err, center.ErrConflict) }

func testPermissionSetNotFound(e *env) {
	s := e.access()
	e.permissionSet("present")
	missing := e.newPermissionSet("missing").ARN
	_, err := s.GetPermissionSet(e.ctx, missing)
	e.wantErr("GetPermissionSet(missing)", err, center.ErrNotFound)
	called := false
	_, err = s.UpdatePermissionSet(e.ctx, missing, func(*center.PermissionSet) error { called = true; return nil })
	e.wantErr("UpdatePermissionSet(missing)", err, center.ErrNotFound)
	if called {
		e.t.Error("UpdatePermissionSet called fn for a missing permission set")
	}
	e.wantErr("DeletePermissionSet(missing)", s.DeletePermissionSet(e.ctx, missing), center.ErrNotFound)
}

func testUpdatePermissionSet(e *env) {
	s := e.access()
	ps := e.permissionSet("Dev")
	got, err := s.UpdatePermissionSet(e.ctx, ps.ARN, func(p *center.PermissionSet) error {
		p.Description = "Developers"
		p.SessionDuration = "PT12H"
		p.ManagedPolicies = append(p.ManagedPolicies, "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess")
		p.CustomerManagedPolicies = []center.CustomerManagedPolicyReference{{Name: "DevExtra"}}
		p.InlinePolicy = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
		p.Tags = []center.Tag{{Key: "team", Value: "dev"}}
		p.CreatedDate = t0.Add(time.Hour) // ignored: immutable
		return nil
	})
	e.noErr("UpdatePermissionSet", err)
	stored, err := s.GetPermissionSet(e.ctx, ps.ARN)
	e.noErr("GetPermissionSet", err)
	if !reflect.DeepEqual(got, stored) {
		e.t.Errorf("UpdatePermissionSet returned %+v, stored %+v", got, stored)
	}
	if stored.Description != "Developers" || stored.SessionDuration != "PT12H" || len(stored.ManagedPolicies) != 1 ||
		stored.CustomerManagedPolicies[0].Path != "/" || stored.InlinePolicy == "" || len(stored.Tags) != 1 {
		e.t.Errorf("after update: %+v", stored)
	}
	e.sameTime("CreatedDate", stored.CreatedDate, t0)

	// The name is immutable; invalid values and fn's errors roll back.
	for name, fn := range map[string]func(p *center.PermissionSet) error{
		"rename":   func(p *center.PermissionSet) error { p.Name = "Dev2"; return nil },
		"duration": func(p *center.PermissionSet) error { p.Description = "x"; p.SessionDuration = "PT13H"; return nil },
		"inline":   func(p *center.PermissionSet) error { p.Description = "x"; p.InlinePolicy = "{}"; return nil },
	} {
		_, err := s.UpdatePermissionSet(e.ctx, ps.ARN, fn)
		e.wantErr("UpdatePermissionSet("+name+")", err, center.ErrInvalid)
	}
	boom := fmt.Errorf("boom")
	_, err = s.UpdatePermissionSet(e.ctx, ps.ARN, func(p *center.PermissionSet) error { p.Description = "x"; return boom })
	e.wantErr("UpdatePermissionSet(fn error)", err, boom)
	after, err := s.GetPermissionSet(e.ctx, ps.ARN)
	e.noErr("GetPermissionSet", err)
	if !reflect.DeepEqual(after, stored) {
		e.t.Errorf("failed updates changed the permission set: %+v", after)
	}
}

func testDeleteAssignedPermissionSet(e *env) {
	s := e.access()
	ps := e.permissionSet("Admin")
	acc := e.account("111111111111", "Prod")
	u := e.user("alice@example.com")
	a := e.assign(acc, ps, center.PrincipalUser, u.ID)
	err := s.DeletePermissionSet(e.ctx, ps.ARN)
	e.wantErr("DeletePermissionSet(assigned)", err, center.ErrConflict)
	if _, err := s.GetPermissionSet(e.ctx, ps.ARN); err != nil {
		e.t.Errorf("refused delete removed the permission set: %v", err)
	}
	_, err = s.DeleteAccountAssignment(e.ctx, a)
	e.noErr("DeleteAccountAssignment", err)
	e.noErr("DeletePermissionSet", s.DeletePermissionSet(e.ctx, ps.ARN))
	_, err = s.GetPermissionSet(e.ctx, ps.ARN)
	e.wantErr("GetPermissionSet(deleted)", err, center.ErrNotFound)
}

func testAccounts(e *env) {
	s := e.access()
	e.account("222222222222", "staging")
	prod := e.account("111111111111", "Production")
	e.account("333333333333", "audit")
	got, err := s.GetAccount(e.ctx, prod.ID)
	e.noErr("GetAccount", err)
	if !reflect.DeepEqual(got, prod) {
		e.t.Errorf("GetAccount = %+v, want %+v", got, prod)
	}
	// Put replaces, keeping the creation date.
	replaced := &center.Account{ID: prod.ID, Name: "Prod", Email: "prod@example.com", RealAWS: true,
		CreatedDate: t0.Add(time.Hour)}
	e.noErr("PutAccount(replace)", s.PutAccount(e.ctx, replaced))
	got, err = s.GetAccount(e.ctx, prod.ID)
	e.noErr("GetAccount", err)
	want := *replaced
	want.CreatedDate = t0
	if !reflect.DeepEqual(got, &want) {
		e.t.Errorf("after replace: %+v, want %+v", got, &want)
	}
	list, err := s.ListAccounts(e.ctx)
	e.noErr("ListAccounts", err)
	var names []string
	for _, a := range list {
		names = append(names, a.Name)
	}
	if want := []string{"audit", "Prod", "staging"}; !reflect.DeepEqual(names, want) {
		e.t.Errorf("ListAccounts = %v, want %v", names, want)
	}
	for name, a := range map[string]*center.Account{
		"id":    {ID: "1234", Name: "x", Email: "a@b.cd"},
		"name":  {ID: "444444444444", Name: strings.Repeat("n", 51), Email: "a@b.cd"},
		"email": {ID: "444444444444", Name: "x", Email: "nope"},
	} {
		e.wantErr("PutAccount("+name+")", s.PutAccount(e.ctx, a), center.ErrInvalid)
	}
	_, err = s.GetAccount(e.ctx, "444444444444")
	e.wantErr("GetAccount(missing)", err, center.ErrNotFound)
	e.wantErr("DeleteAccount(missing)", s.DeleteAccount(e.ctx, "444444444444"), center.ErrNotFound)
}

func testDeleteAccountRemovesAssignments(e *env) {
	s := e.access()
	ps := e.permissionSet("Admin")
	prod := e.account("111111111111", "Prod")
	dev := e.account("222222222222", "Dev")
	u := e.user("alice@example.com")
	e.assign(prod, ps, center.PrincipalUser, u.ID)
	e.assign(dev, ps, center.PrincipalUser, u.ID)
	e.noErr("DeleteAccount", s.DeleteAccount(e.ctx, prod.ID))
	_, err := s.GetAccount(e.ctx, prod.ID)
	e.wantErr("GetAccount(deleted)", err, center.ErrNotFound)
	if n := e.principalAssignments(center.PrincipalUser, u.ID); n != 1 {
		e.t.Errorf("assignments after account delete = %d, want 1", n)
	}
	e.effective(u.ID, "Dev/Admin: direct")
	// Recreating the account does not bring the assignment back.
	e.account("111111111111", "Prod")
	e.effective(u.ID, "Dev/Admin: direct")
}

func testAccountAssignments(e *env) {
	s := e.access()
	ps := e.permissionSet("Admin")
	acc := e.account("111111111111", "Prod")
	u := e.user("alice@example.com")
	g := e.group("ops")
	au := e.assign(acc, ps, center.PrincipalUser, u.ID)
	ag := e.assign(acc, ps, center.PrincipalGroup, g.ID)
	if au.RequestID == ag.RequestID {
		e.t.Error("two assignments share a request id")
	}
	e.sameTime("CreatedDate", au.CreatedDate, t0)
	if au.AccountID != acc.ID || au.PermissionSetARN != ps.ARN || au.PrincipalType != center.PrincipalUser ||
		au.PrincipalID != u.ID {
		e.t.Errorf("CreateAccountAssignment = %+v", au)
	}
	byReq, err := s.AccountAssignmentByRequest(e.ctx, au.RequestID)
	e.noErr("AccountAssignmentByRequest", err)
	if !reflect.DeepEqual(byReq, au) {
		e.t.Errorf("AccountAssignmentByRequest = %+v, want %+v", byReq, au)
	}
	_, err = s.AccountAssignmentByRequest(e.ctx, center.NewRequestID())
	e.wantErr("AccountAssignmentByRequest(missing)", err, center.ErrNotFound)

	list, err := s.ListAccountAssignments(e.ctx, acc.ID, ps.ARN)
	e.noErr("ListAccountAssignments", err)
	if len(list) != 2 || list[0].PrincipalType != center.PrincipalGroup || list[1].PrincipalType != center.PrincipalUser {
		e.t.Errorf("ListAccountAssignments = %+v", list)
	}
	other := e.permissionSet("ReadOnly")
	list, err = s.ListAccountAssignments(e.ctx, acc.ID, other.ARN)
	e.noErr("ListAccountAssignments(other)", err)
	if list == nil || len(list) != 0 {
		e.t.Errorf("ListAccountAssignments(unassigned) = %#v, want empty", list)
	}
	if n := e.principalAssignments(center.PrincipalGroup, g.ID); n != 1 {
		e.t.Errorf("AssignmentsForPrincipal(group) = %d, want 1", n)
	}
	// A user id asked as a group has no assignments.
	if n := e.principalAssignments(center.PrincipalGroup, u.ID); n != 0 {
		e.t.Errorf("AssignmentsForPrincipal(GROUP, user id) = %d, want 0", n)
	}

	del, err := s.DeleteAccountAssignment(e.ctx, assignment(acc, ps, center.PrincipalUser, u.ID))
	e.noErr("DeleteAccountAssignment", err)
	if del.Status != center.StatusSucceeded || del.RequestID == "" || del.RequestID == au.RequestID || del.PrincipalID != u.ID {
		e.t.Errorf("DeleteAccountAssignment = %+v", del)
	}
	_, err = s.DeleteAccountAssignment(e.ctx, assignment(acc, ps, center.PrincipalUser, u.ID))
	e.wantErr("DeleteAccountAssignment(again)", err, center.ErrNotFound)
	if n := e.principalAssignments(center.PrincipalUser, u.ID); n != 0 {
		e.t.Errorf("assignments after delete = %d, want 0", n)
	}
	// Assigning again is a new assignment with a new request.
	again := e.assign(acc, ps, center.PrincipalUser, u.ID)
	if again.RequestID == au.RequestID {
		e.t.Error("re-created assignment kept the old request id")
	}
}

func testAccountAssignmentIdempotent(e *env) {
	s := e.access()
	ps := e.permissionSet("Admin")
	acc := e.account("111111111111", "Prod")
	u := e.user("alice@example.com")
	first := e.assign(acc, ps, center.PrincipalUser, u.ID)
	again := assignment(acc, ps, center.PrincipalUser, u.ID)
	again.CreatedDate = t0.Add(time.Hour)
	got, err := s.CreateAccountAssignment(e.ctx, again)
	e.noErr("CreateAccountAssignment(again)", err)
	if !reflect.DeepEqual(got, first) {
		e.t.Errorf("CreateAccountAssignment(again) = %+v, want the existing %+v", got, first)
	}

	// Concurrent creates of one tuple all return the one assignment.
	g := e.group("ops")
	var wg sync.WaitGroup
	results := make([]*center.AccountAssignment, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Go(func() {
			results[i], errs[i] = s.CreateAccountAssignment(e.ctx, assignment(acc, ps, center.PrincipalGroup, g.ID))
		})
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil {
			e.t.Fatalf("concurrent CreateAccountAssignment: %v", errs[i])
		}
		if results[i].RequestID != results[0].RequestID {
			e.t.Errorf("concurrent creates returned request ids %s and %s", results[0].RequestID, results[i].RequestID)
		}
	}
	list, err := s.ListAccountAssignments(e.ctx, acc.ID, ps.ARN)
	e.noErr("ListAccountAssignments", err)
	if len(list) != 2 {
		e.t.Errorf("ListAccountAssignments = %d assignments, want 2", len(list))
	}
}

func testAccountAssignmentRefused(e *env) {
	s := e.access()
	ps := e.permissionSet("Admin")
	acc := e.account("111111111111", "Prod")
	u := e.user("alice@example.com")
	g := e.group("ops")
	missingPS := e.newPermissionSet("missing")
	missingAcc := &center.Account{ID: "999999999999"}
	for name, a := range map[string]*center.AccountAssignment{
		"account":        assignment(missingAcc, ps, center.PrincipalUser, u.ID),
		"permission set": assignment(acc, missingPS, center.PrincipalUser, u.ID),
		"user":           assignment(acc, ps, center.PrincipalUser, newID()),
		"group":          assignment(acc, ps, center.PrincipalGroup, newID()),
		"user as group":  assignment(acc, ps, center.PrincipalGroup, u.ID),
		"group as user":  assignment(acc, ps, center.PrincipalUser, g.ID),
	} {
		_, err := s.CreateAccountAssignment(e.ctx, a)
		e.wantErr("CreateAccountAssignment(missing "+name+")", err, center.ErrNotFound)
	}
	for name, a := range map[string]*center.AccountAssignment{
		"account id": {AccountID: "1", PermissionSetARN: ps.ARN, PrincipalType: center.PrincipalUser, PrincipalID: u.ID},
		"type":       {AccountID: acc.ID, PermissionSetARN: ps.ARN, PrincipalType: "ROLE", PrincipalID: u.ID},
		"principal":  {AccountID: acc.ID, PermissionSetARN: ps.ARN, PrincipalType: center.PrincipalUser, PrincipalID: "alice"},
		"arn":        {AccountID: acc.ID, PermissionSetARN: "Admin", PrincipalType: center.PrincipalUser, PrincipalID: u.ID},
	} {
		_, err := s.CreateAccountAssignment(e.ctx, a)
		e.wantErr("CreateAccountAssignment(invalid "+name+")", err, center.ErrInvalid)
	}
	list, err := s.ListAccountAssignments(e.ctx, acc.ID, ps.ARN)
	e.noErr("ListAccountAssignments", err)
	if len(list) != 0 {
		e.t.Errorf("refused assignments were stored: %+v", list)
	}
}

func testEffectiveAccess(e *env) {
	s := e.access()
	admin := e.permissionSet("Admin")
	readOnly := e.permissionSet("readOnly")
	billing := e.permissionSet("Billing")
	alpha := e.account("222222222222", "alpha")
	beta := e.account("111111111111", "Beta")
	alice := e.user("alice@example.com")
	bob := e.user("bob@example.com")
	carol := e.user("carol@example.com")
	ops := e.group("Ops", alice.ID, bob.ID)
	dev := e.group("dev", alice.ID)
	e.group("empty")

	e.assign(alpha, admin, center.PrincipalUser, alice.ID)
	e.assign(alpha, admin, center.PrincipalGroup, ops.ID)
	e.assign(beta, readOnly, center.PrincipalGroup, ops.ID)
	e.assign(beta, readOnly, center.PrincipalGroup, dev.ID)
	e.assign(beta, billing, center.PrincipalGroup, dev.ID)
	e.assign(alpha, readOnly, center.PrincipalUser, bob.ID)

	e.effective(alice.ID,
		"alpha/Admin: direct, Ops",
		"Beta/Billing: dev",
		"Beta/readOnly: dev, Ops")
	e.effective(bob.ID,
		"alpha/Admin: Ops",
		"alpha/readOnly: direct",
		"Beta/readOnly: Ops")
	e.effective(carol.ID)

	got, err := s.EffectiveAccess(e.ctx, alice.ID)
	e.noErr("EffectiveAccess", err)
	if x := got[0]; x.Account.ID != alpha.ID || x.Account.Email != alpha.Email || x.PermissionSet.ARN != admin.ARN ||
		x.PermissionSet.SessionDuration != "PT1H" || x.Via[1].GroupID != ops.ID || x.Via[1].GroupDisplayName != "Ops" {
		e.t.Errorf("EffectiveAccess[0] = %+v %+v %+v", x.Account, x.PermissionSet, x.Via)
	}
	_, err = s.EffectiveAccess(e.ctx, newID())
	e.wantErr("EffectiveAccess(missing user)", err, center.ErrNotFound)

	// Membership is dynamic: leaving a group drops what it granted.
	e.noErr("remove alice from Ops", e.editMembers(ops.ID, func(m center.Members) error { return m.Remove([]string{alice.ID}) }))
	e.effective(alice.ID,
		"alpha/Admin: direct",
		"Beta/Billing: dev",
		"Beta/readOnly: dev")
	e.noErr("add carol to dev", e.editMembers(dev.ID, func(m center.Members) error { return m.Add([]string{carol.ID}) }))
	e.effective(carol.ID, "Beta/Billing: dev", "Beta/readOnly: dev")
}

func testDeleteUserRemovesAssignments(e *env) {
	s := e.access()
	ps := e.permissionSet("Admin")
	acc := e.account("111111111111", "Prod")
	alice := e.user("alice@example.com")
	bob := e.user("bob@example.com")
	e.assign(acc, ps, center.PrincipalUser, alice.ID)
	e.assign(acc, ps, center.PrincipalUser, bob.ID)
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, alice.ID))
	if n := e.principalAssignments(center.PrincipalUser, alice.ID); n != 0 {
		e.t.Errorf("deleted user keeps %d assignments", n)
	}
	if n := e.principalAssignments(center.PrincipalUser, bob.ID); n != 1 {
		e.t.Errorf("other user has %d assignments, want 1", n)
	}
	_, err := s.EffectiveAccess(e.ctx, alice.ID)
	e.wantErr("EffectiveAccess(deleted user)", err, center.ErrNotFound)
	// A user re-created with the same name is a new principal without access.
	again := e.user("alice@example.com")
	e.effective(again.ID)
	// Once bob's assignment is gone too, the permission set can be deleted.
	e.noErr("DeleteUser(bob)", e.s.DeleteUser(e.ctx, bob.ID))
	e.noErr("DeletePermissionSet", s.DeletePermissionSet(e.ctx, ps.ARN))
}

func testDeleteGroupRemovesAssignments(e *env) {
	s := e.access()
	ps := e.permissionSet("Admin")
	acc := e.account("111111111111", "Prod")
	alice := e.user("alice@example.com")
	ops := e.group("ops", alice.ID)
	dev := e.group("dev", alice.ID)
	e.assign(acc, ps, center.PrincipalGroup, ops.ID)
	e.assign(acc, ps, center.PrincipalGroup, dev.ID)
	e.effective(alice.ID, "Prod/Admin: dev, ops")
	e.noErr("DeleteGroup", e.s.DeleteGroup(e.ctx, ops.ID))
	if n := e.principalAssignments(center.PrincipalGroup, ops.ID); n != 0 {
		e.t.Errorf("deleted group keeps %d assignments", n)
	}
	e.effective(alice.ID, "Prod/Admin: dev")
	list, err := s.ListAccountAssignments(e.ctx, acc.ID, ps.ARN)
	e.noErr("ListAccountAssignments", err)
	if len(list) != 1 || list[0].PrincipalID != dev.ID {
		e.t.Errorf("ListAccountAssignments = %+v, want dev's only", list)
	}
	// A failed delete (missing group) removes nothing.
	e.wantErr("DeleteGroup(missing)", e.s.DeleteGroup(e.ctx, newID()), center.ErrNotFound)
	e.noErr("DeleteGroup(dev)", e.s.DeleteGroup(e.ctx, dev.ID))
	e.effective(alice.ID)
	e.noErr("DeletePermissionSet", s.DeletePermissionSet(e.ctx, ps.ARN))
}
