package awsapi_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/testenv"
)

// awsCLI is Debian's AWS CLI v2 (apt-get install awscli). It is named by
// its absolute path: `aws` on PATH may be a CLI v1 from pip or pyenv.
const awsCLI = "/usr/bin/aws"

type cli struct {
	t        *testing.T
	endpoint string
	env      []string
}

func newCLI(t *testing.T, e *env, keyID, secret string) *cli {
	t.Helper()
	if _, err := os.Stat(awsCLI); err != nil {
		testenv.Missing(t, "the AWS CLI v2 at %s (apt-get install awscli)", awsCLI)
	}
	return &cli{t: t, endpoint: e.srv.URL, env: []string{
		"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "LANG=C.UTF-8",
		"AWS_ACCESS_KEY_ID=" + keyID, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_MAX_ATTEMPTS=1", "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}}
}

// exec runs the CLI and returns its exit code, stdout and stderr.
func (c *cli) exec(args ...string) (int, []byte, string) {
	c.t.Helper()
	cmd := exec.Command(awsCLI, append([]string{"--endpoint-url", c.endpoint, "--output", "json"}, args...)...)
	cmd.Env = c.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	return code, out.Bytes(), errb.String()
}

// run runs the CLI, which must succeed, and decodes its JSON output into v
// (if not nil).
func (c *cli) run(v any, args ...string) {
	c.t.Helper()
	code, out, stderr := c.exec(args...)
	if code != 0 {
		c.t.Fatalf("aws %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			c.t.Fatalf("aws %s: output %q: %v", strings.Join(args, " "), out, err)
		}
	}
}

// TestAWSCLI builds the setup guides' permission-set design from nothing
// with the real AWS CLI v2, checks it, and tears it down. The API cannot
// create accounts (AWS's cannot either: they come from AWS Organizations),
// so the two accounts are put directly in the store.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	start := time.Now()
	e := newEnv(t)
	c := newCLI(t, e, e.keyID, e.key)
	ctx := t.Context()

	var instances struct {
		// CLI 2.9.19's model predates Status, Name and CreatedDate, so
		// it drops them.
		Instances []struct{ InstanceArn, IdentityStoreId string }
	}
	c.run(&instances, "sso-admin", "list-instances")
	if len(instances.Instances) != 1 || instances.Instances[0].InstanceArn != e.instanceARN() ||
		instances.Instances[0].IdentityStoreId != e.inst.IdentityStoreID {
		t.Fatalf("list-instances: %+v", instances)
	}
	inst, idStore := instances.Instances[0].InstanceArn, instances.Instances[0].IdentityStoreId

	// Permission sets.
	design := []struct{ name, duration, policy string }{
		{"DeveloperReadOnly", "PT4H", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"},
		{"DeveloperPowerUser", "PT8H", "arn:aws:iam::aws:policy/PowerUserAccess"},
		{"DeveloperAdmin", "PT4H", "arn:aws:iam::aws:policy/AdministratorAccess"},
	}
	arns := map[string]string{}
	for _, d := range design {
		var out struct {
			PermissionSet struct{ Name, PermissionSetArn, SessionDuration, Description string }
		}
		c.run(&out, "sso-admin", "create-permission-set", "--instance-arn", inst, "--name", d.name,
			"--session-duration", d.duration, "--description", d.name+" access")
		if out.PermissionSet.Name != d.name || out.PermissionSet.SessionDuration != d.duration ||
			!strings.HasPrefix(out.PermissionSet.PermissionSetArn, "arn:aws:sso:::permissionSet/"+e.inst.InstanceID+"/ps-") {
			t.Fatalf("create-permission-set %s: %+v", d.name, out)
		}
		arns[d.name] = out.PermissionSet.PermissionSetArn
		c.run(nil, "sso-admin", "attach-managed-policy-to-permission-set", "--instance-arn", inst,
			"--permission-set-arn", arns[d.name], "--managed-policy-arn", d.policy)
	}
	c.run(nil, "sso-admin", "put-inline-policy-to-permission-set", "--instance-arn", inst,
		"--permission-set-arn", arns["DeveloperReadOnly"], "--inline-policy", readOnlyPolicy)

	// Groups.
	groups := map[string]string{}
	for _, g := range []string{"Developers", "PlatformAdmins"} {
		var out struct{ GroupId, IdentityStoreId string }
		c.run(&out, "identitystore", "create-group", "--identity-store-id", idStore, "--display-name", g)
		if out.IdentityStoreId != idStore || !strings.HasPrefix(out.GroupId, e.inst.IDPrefix+"-") {
			t.Fatalf("create-group %s: %+v", g, out)
		}
		groups[g] = out.GroupId
	}

	// Accounts: not creatable through the API.
	for _, a := range []*center.Account{{ID: "111111111111", Name: "Production", Email: "aws-prod@example.com"},
		{ID: "222222222222", Name: "Development", Email: "aws-dev@example.com"}} {
		if err := e.store.PutAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}

	// Assignments, polled to SUCCEEDED.
	type assignment struct{ account, permissionSet, group string }
	assignments := []assignment{
		{"222222222222", "DeveloperPowerUser", "Developers"},
		{"111111111111", "DeveloperReadOnly", "Developers"},
		{"111111111111", "DeveloperAdmin", "PlatformAdmins"},
		{"222222222222", "DeveloperAdmin", "PlatformAdmins"},
	}
	type status struct {
		Status, RequestId, TargetId, TargetType, PermissionSetArn, PrincipalType, PrincipalId string
		CreatedDate                                                                           string // the CLI prints ISO 8601
	}
	for _, a := range assignments {
		var out struct{ AccountAssignmentCreationStatus status }
		c.run(&out, "sso-admin", "create-account-assignment", "--instance-arn", inst, "--target-id", a.account,
			"--target-type", "AWS_ACCOUNT", "--permission-set-arn", arns[a.permissionSet], "--principal-type", "GROUP",
			"--principal-id", groups[a.group])
		id := out.AccountAssignmentCreationStatus.RequestId
		var polled struct{ AccountAssignmentCreationStatus status }
		for i := 0; ; i++ {
			c.run(&polled, "sso-admin", "describe-account-assignment-creation-status", "--instance-arn", inst,
				"--account-assignment-creation-request-id", id)
			if polled.AccountAssignmentCreationStatus.Status != "IN_PROGRESS" || i == 10 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if s := polled.AccountAssignmentCreationStatus; s.Status != "SUCCEEDED" || s.RequestId != id || s.TargetId != a.account ||
			s.PermissionSetArn != arns[a.permissionSet] || s.PrincipalId != groups[a.group] || s.PrincipalType != "GROUP" ||
			!createdSince(s.CreatedDate, start) {
			t.Fatalf("creation status of %+v: %+v", a, s)
		}
	}

	// List and describe everything.
	var psList struct{ PermissionSets []string }
	c.run(&psList, "sso-admin", "list-permission-sets", "--instance-arn", inst, "--page-size", "1")
	want := []string{arns["DeveloperAdmin"], arns["DeveloperPowerUser"], arns["DeveloperReadOnly"]} // by name
	if !slices.Equal(psList.PermissionSets, want) {
		t.Fatalf("list-permission-sets (paged by 1): %v, want %v", psList.PermissionSets, want)
	}
	for _, d := range design {
		var ps struct {
			PermissionSet struct{ Name, SessionDuration, Description string }
		}
		c.run(&ps, "sso-admin", "describe-permission-set", "--instance-arn", inst, "--permission-set-arn", arns[d.name])
		if ps.PermissionSet.Name != d.name || ps.PermissionSet.SessionDuration != d.duration || ps.PermissionSet.Description != d.name+" access" {
			t.Fatalf("describe-permission-set %s: %+v", d.name, ps)
		}
		var mp struct{ AttachedManagedPolicies []struct{ Name, Arn string } }
		c.run(&mp, "sso-admin", "list-managed-policies-in-permission-set", "--instance-arn", inst, "--permission-set-arn", arns[d.name])
		if len(mp.AttachedManagedPolicies) != 1 || mp.AttachedManagedPolicies[0].Arn != d.policy ||
			mp.AttachedManagedPolicies[0].Name != d.policy[strings.LastIndex(d.policy, "/")+1:] {
			t.Fatalf("list-managed-policies-in-permission-set %s: %+v", d.name, mp)
		}
	}
	var inline struct{ InlinePolicy string }
	c.run(&inline, "sso-admin", "get-inline-policy-for-permission-set", "--instance-arn", inst, "--permission-set-arn", arns["DeveloperReadOnly"])
	if inline.InlinePolicy != readOnlyPolicy {
		t.Fatalf("get-inline-policy-for-permission-set: %q", inline.InlinePolicy)
	}
	var la struct {
		AccountAssignments []struct{ AccountId, PermissionSetArn, PrincipalType, PrincipalId string }
	}
	c.run(&la, "sso-admin", "list-account-assignments", "--instance-arn", inst, "--account-id", "111111111111",
		"--permission-set-arn", arns["DeveloperAdmin"])
	if len(la.AccountAssignments) != 1 || la.AccountAssignments[0].PrincipalId != groups["PlatformAdmins"] {
		t.Fatalf("list-account-assignments: %+v", la)
	}
	var accounts struct{ AccountIds []string }
	c.run(&accounts, "sso-admin", "list-accounts-for-provisioned-permission-set", "--instance-arn", inst, "--permission-set-arn", arns["DeveloperAdmin"])
	if !slices.Equal(accounts.AccountIds, []string{"111111111111", "222222222222"}) {
		t.Fatalf("list-accounts-for-provisioned-permission-set: %+v", accounts)
	}
	var provisioned struct{ PermissionSets []string }
	c.run(&provisioned, "sso-admin", "list-permission-sets-provisioned-to-account", "--instance-arn", inst, "--account-id", "222222222222")
	wantProv := []string{arns["DeveloperAdmin"], arns["DeveloperPowerUser"]}
	slices.Sort(wantProv)
	if !slices.Equal(provisioned.PermissionSets, wantProv) {
		t.Fatalf("list-permission-sets-provisioned-to-account: %v, want %v", provisioned.PermissionSets, wantProv)
	}
	// (CLI 2.9.19 has no list-account-assignments-for-principal; the SDK
	// test covers it.)
	var gl struct {
		Groups []struct{ GroupId, DisplayName string }
	}
	c.run(&gl, "identitystore", "list-groups", "--identity-store-id", idStore, "--page-size", "1")
	if len(gl.Groups) != 2 {
		t.Fatalf("identitystore list-groups (paged by 1): %+v", gl)
	}

	// Refusals: a permission set still assigned; unsigned; a wrong secret.
	code, _, stderr := c.exec("sso-admin", "delete-permission-set", "--instance-arn", inst, "--permission-set-arn", arns["DeveloperAdmin"])
	if code == 0 || !strings.Contains(stderr, "ConflictException") {
		t.Fatalf("delete an assigned permission set: exit %d %s", code, stderr)
	}
	code, _, stderr = c.exec("sso-admin", "list-permission-sets", "--instance-arn", inst, "--no-sign-request")
	if code == 0 || !strings.Contains(stderr, "MissingAuthenticationTokenException") {
		t.Fatalf("unsigned: exit %d %s", code, stderr)
	}
	wrong := newCLI(t, e, e.keyID, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	code, _, stderr = wrong.exec("identitystore", "list-groups", "--identity-store-id", idStore)
	if code == 0 || !strings.Contains(stderr, "InvalidSignatureException") {
		t.Fatalf("wrong secret: exit %d %s", code, stderr)
	}
	code, _, stderr = c.exec("sso-admin", "describe-permission-set", "--instance-arn", inst,
		"--permission-set-arn", "arn:aws:sso:::permissionSet/"+e.inst.InstanceID+"/ps-0000000000000000")
	if code != 254 || !strings.Contains(stderr, "An error occurred (ResourceNotFoundException) when calling the DescribePermissionSet operation") {
		t.Fatalf("describe a missing permission set: exit %d %s", code, stderr)
	}

	// Tear down.
	for _, a := range assignments {
		var out struct{ AccountAssignmentDeletionStatus status }
		c.run(&out, "sso-admin", "delete-account-assignment", "--instance-arn", inst, "--target-id", a.account,
			"--target-type", "AWS_ACCOUNT", "--permission-set-arn", arns[a.permissionSet], "--principal-type", "GROUP",
			"--principal-id", groups[a.group])
		var polled struct{ AccountAssignmentDeletionStatus status }
		c.run(&polled, "sso-admin", "describe-account-assignment-deletion-status", "--instance-arn", inst,
			"--account-assignment-deletion-request-id", out.AccountAssignmentDeletionStatus.RequestId)
		if polled.AccountAssignmentDeletionStatus.Status != "SUCCEEDED" || polled.AccountAssignmentDeletionStatus.TargetId != a.account {
			t.Fatalf("deletion status of %+v: %+v", a, polled)
		}
	}
	c.run(nil, "sso-admin", "delete-inline-policy-from-permission-set", "--instance-arn", inst, "--permission-set-arn", arns["DeveloperReadOnly"])
	for _, d := range design {
		c.run(nil, "sso-admin", "detach-managed-policy-from-permission-set", "--instance-arn", inst,
			"--permission-set-arn", arns[d.name], "--managed-policy-arn", d.policy)
		var mp struct{ AttachedManagedPolicies []any }
		c.run(&mp, "sso-admin", "list-managed-policies-in-permission-set", "--instance-arn", inst, "--permission-set-arn", arns[d.name])
		if len(mp.AttachedManagedPolicies) != 0 {
			t.Fatalf("policies left on %s: %v", d.name, mp)
		}
		c.run(nil, "sso-admin", "delete-permission-set", "--instance-arn", inst, "--permission-set-arn", arns[d.name])
	}
	for _, id := range groups {
		c.run(nil, "identitystore", "delete-group", "--identity-store-id", idStore, "--group-id", id)
	}
	psList.PermissionSets = nil
	c.run(&psList, "sso-admin", "list-permission-sets", "--instance-arn", inst)
	gl.Groups = nil
	c.run(&gl, "identitystore", "list-groups", "--identity-store-id", idStore)
	accounts.AccountIds = nil
	c.run(&accounts, "sso-admin", "list-permission-sets-provisioned-to-account", "--instance-arn", inst, "--account-id", "111111111111")
	if len(psList.PermissionSets) != 0 || len(gl.Groups) != 0 || len(accounts.AccountIds) != 0 {
		t.Fatalf("left after teardown: %v %v %v", psList, gl, accounts)
	}
	t.Logf("AWS CLI scenario took %v", time.Since(start).Round(time.Millisecond))
}

// createdSince reports whether an ISO 8601 time the CLI printed is at or
// after start (to the second) and not in the future.
func createdSince(iso string, start time.Time) bool {
	at, err := time.Parse(time.RFC3339Nano, iso)
	return err == nil && !at.Before(start.Truncate(time.Second)) && !at.After(time.Now())
}
