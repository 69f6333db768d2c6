package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/samlidp"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
)

// demoAccounts are the demo's AWS accounts.
var demoAccounts = []center.Account{
	{ID: "111122223333", Name: "AWSDemo", Email: "aws-demo@gatehouse.example"},
	{ID: "222233334444", Name: "Sandbox", Email: "aws-sandbox@gatehouse.example"},
	{ID: "333344445555", Name: "Production", Email: "aws-production@gatehouse.example"},
}

// demoPermissionSets are the setup guides' permission sets.
var demoPermissionSets = []center.PermissionSet{
	{Name: "ReadOnlyAccess", SessionDuration: "PT1H", ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
		Description: "Read-only access to every service"},
	{Name: "DeveloperReadOnly", SessionDuration: "PT4H", ManagedPolicies: []string{"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"},
		Description: "Developers: view resources"},
	{Name: "DeveloperPowerUser", SessionDuration: "PT8H", ManagedPolicies: []string{"arn:aws:iam::aws:policy/PowerUserAccess"},
		Description: "Developers: build and run, no IAM"},
	{Name: "DeveloperAdmin", SessionDuration: "PT4H", ManagedPolicies: []string{"arn:aws:iam::aws:policy/AdministratorAccess"},
		Description: "Developers: full administration"},
}

// demoGrants assigns each group a permission set in accounts.
var demoGrants = []struct {
	group, permissionSet string
	accounts             []string
}{
	{"AWS-ReadOnly", "ReadOnlyAccess", []string{"AWSDemo", "Sandbox", "Production"}},
	{"AWS-Developers-ReadOnly", "DeveloperReadOnly", []string{"AWSDemo", "Sandbox"}},
	{"AWS-Developers-PowerUser", "DeveloperPowerUser", []string{"AWSDemo", "Sandbox"}},
	{"AWS-Developers-Admin", "DeveloperAdmin", []string{"Sandbox"}},
}

// demoUser is one entry of demo.json's users.
type demoUser struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// seedSignIn gives every demo user a fresh password (they are stored
// hashed, so each start sets new ones) and returns them, the first one a
// user who can reach an account.
func seedSignIn(ctx context.Context, ds directory.Store, cs directory.CredentialStore) ([]demoUser, error) {
	var out []demoUser
	for _, du := range demoUsers {
		u, err := ds.UserByUPN(ctx, du.upn)
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", du.upn, err)
		}
		pw := newPassword()
		if err := signin.SetPassword(ctx, cs, u.ID, pw); err != nil {
			return nil, err
		}
		out = append(out, demoUser{Username: du.upn, Password: pw})
	}
	return out, nil
}

// newPassword draws a 20-character password from an alphabet without
// look-alike characters.
func newPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// seedFederation connects the halves as an admin would with metadata
// files: the directory's AWS app gets the center as its SAML SP, and the
// center takes the directory's IdP metadata as its identity source.
func seedFederation(ctx context.Context, in *instance, app *directory.App) (idpMetadataURL string, err error) {
	cfg := &samlidp.Config{AppID: app.ID, EntityID: in.sp.EntityID(), ACSURLs: []string{in.sp.ACSURL()},
		Claims: append(samlidp.DefaultClaims(), samlidp.AccessControl("Department", "department"))}
	if _, err := in.idp.Configure(ctx, cfg); err != nil {
		return "", fmt.Errorf("configure the IdP for %s: %w", app.DisplayName, err)
	}
	idpMetadataURL = in.dir.URL() + "/saml/" + app.ID + "/metadata"
	if in.idp.BaseURL != "" {
		idpMetadataURL = in.idp.BaseURL + "/saml/" + app.ID + "/metadata"
	}
	res, err := http.Get(idpMetadataURL)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	md, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		return "", fmt.Errorf("read the IdP metadata: %d %v", res.StatusCode, err)
	}
	if _, err := in.sp.UseExternalIdP(ctx, md); err != nil {
		return "", fmt.Errorf("load the IdP metadata into the center: %w", err)
	}
	return idpMetadataURL, nil
}

// seedAccess creates the demo's accounts and permission sets and assigns
// them to the groups once provisioning has brought the groups to the
// center (the center knows groups only through SCIM).
func seedAccess(ctx context.Context, cs center.Store, as center.AccessStore) error {
	groups := map[string]string{}
	deadline := time.Now().Add(30 * time.Second)
	for len(groups) < len(demoGroups) {
		for _, name := range demoGroups {
			p, err := cs.ListGroups(ctx, center.Query{Match: []center.Match{{Attr: center.AttrDisplayName, Value: name}}, Count: 1})
			if err != nil {
				return err
			}
			if len(p.Groups) == 1 {
				groups[name] = p.Groups[0].ID
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the demo groups did not reach the center: %d of %d", len(groups), len(demoGroups))
		}
		time.Sleep(20 * time.Millisecond)
	}
	inst, err := cs.Instance(ctx)
	if err != nil {
		return err
	}
	accounts := map[string]string{}
	for _, a := range demoAccounts {
		a := a
		if err := as.PutAccount(ctx, &a); err != nil {
			return err
		}
		accounts[a.Name] = a.ID
	}
	existing, err := as.ListPermissionSets(ctx)
	if err != nil {
		return err
	}
	arns := map[string]string{}
	for _, ps := range existing {
		arns[ps.Name] = ps.ARN
	}
	for _, ps := range demoPermissionSets {
		if arns[ps.Name] != "" {
			continue
		}
		ps := ps
		ps.ARN, ps.CreatedDate = center.NewPermissionSetARN(inst.InstanceID), time.Now()
		if err := as.CreatePermissionSet(ctx, &ps); err != nil {
			return fmt.Errorf("permission set %s: %w", ps.Name, err)
		}
		arns[ps.Name] = ps.ARN
	}
	for _, g := range demoGrants {
		for _, acct := range g.accounts {
			if _, err := as.CreateAccountAssignment(ctx, &center.AccountAssignment{AccountID: accounts[acct],
				PermissionSetARN: arns[g.permissionSet], PrincipalType: center.PrincipalGroup, PrincipalID: groups[g.group]}); err != nil {
				return fmt.Errorf("assign %s to %s in %s: %w", g.permissionSet, g.group, acct, err)
			}
		}
	}
	return nil
}

// seedAccessKey issues a fresh AWS API access key, deleting the previous
// demo key: the secret is shown once.
func seedAccessKey(ctx context.Context, in *instance, prevID string) (id, sec string, err error) {
	if prevID != "" {
		if err := in.centerStore.DeleteAccessKey(ctx, prevID); err != nil && !errors.Is(err, center.ErrNotFound) {
			return "", "", err
		}
	}
	id, sec = center.NewAccessKey()
	k := &center.AccessKey{ID: id, SecretSealed: in.box.Seal(sec, id), Description: "demo", Created: time.Now()}
	return id, sec, in.centerStore.CreateAccessKey(ctx, k)
}
