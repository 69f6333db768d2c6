package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
)

// demoGroups are the groups of the setup guides, all assigned to the AWS
// IAM Identity Center app.
var demoGroups = []string{"AWS-ReadOnly", "AWS-Developers-ReadOnly", "AWS-Developers-PowerUser", "AWS-Developers-Admin"}

// demoUsers are the guides' people and the group each starts in.
var demoUsers = []struct{ upn, given, surname, group string }{
	{"awsdemo@gatehouse.example", "AWS", "Demo", "AWS-Developers-ReadOnly"},
	{"aamir@gatehouse.example", "Aamir", "Khan", "AWS-Developers-PowerUser"},
	{"shen@gatehouse.example", "Shen", "Li", "AWS-Developers-Admin"},
	{"alex@gatehouse.example", "Alex", "Doe", "AWS-ReadOnly"},
}

// demoAppName is the seeded enterprise app.
const demoAppName = "AWS IAM Identity Center"

// seedDirectory creates the demo's app, groups and users once, on an empty
// directory, and returns the app.
func seedDirectory(ctx context.Context, ds directory.Store) (*directory.App, error) {
	apps, err := ds.ListApps(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		if a.DisplayName == demoAppName {
			return a, nil
		}
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	app := &directory.App{ID: directorydb.NewID(), DisplayName: demoAppName, Template: provisioning.TemplateAWS, Created: now}
	if err := ds.CreateApp(ctx, app); err != nil {
		return nil, err
	}
	groups := map[string]string{}
	for _, name := range demoGroups {
		g := &directory.Group{ID: directorydb.NewID(), DisplayName: name, SecurityEnabled: true, Created: now, Modified: now}
		directory.FillGroupDefaults(g)
		if err := directory.ValidateGroup(g); err != nil {
			return nil, err
		}
		if err := ds.CreateGroup(ctx, g); err != nil {
			return nil, fmt.Errorf("seed group %s: %w", name, err)
		}
		groups[name] = g.ID
		if err := ds.Assign(ctx, &directory.Assignment{ID: directorydb.NewID(), AppID: app.ID, PrincipalID: g.ID, Created: now}); err != nil {
			return nil, err
		}
	}
	for i, du := range demoUsers {
		u := &directory.User{
			ID: directorydb.NewID(), UserPrincipalName: du.upn, Mail: du.upn, GivenName: du.given, Surname: du.surname,
			DisplayName: du.given + " " + du.surname, JobTitle: "Developer", Department: "Engineering",
			EmployeeID: fmt.Sprintf("%d", 1001+i), AccountEnabled: true, BusinessPhones: []string{},
			Created: now, Modified: now,
		}
		directory.FillUserDefaults(u)
		if err := directory.ValidateUser(u); err != nil {
			return nil, err
		}
		if err := ds.CreateUser(ctx, u); err != nil {
			return nil, fmt.Errorf("seed user %s: %w", du.upn, err)
		}
		if err := ds.AddMember(ctx, groups[du.group], u.ID, now); err != nil {
			return nil, err
		}
	}
	return app, nil
}
