package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	centerconsole "github.com/gatehouse-id/gatehouse/internal/center/console"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/console"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
)

// demoAdmins is demo.json's "admin": who signs in to the consoles.
type demoAdmins struct {
	Directory         *demoConsoleLogin `json:"directory"`
	DirectoryReadOnly *demoConsoleLogin `json:"directory_read_only,omitempty"`
	// Center is the center console's admin: the directory admin, who
	// signs in to the center through SAML with their directory password
	// as a member of Gatehouse-Center-Admins; CenterReadOnly likewise
	// through Gatehouse-Center-Auditors.
	Center         *demoConsoleLogin `json:"center,omitempty"`
	CenterReadOnly *demoConsoleLogin `json:"center_read_only,omitempty"`
}

// demoConsoleLogin is one console sign-in.
type demoConsoleLogin struct {
	Username string `json:"username"`
	Password string `json:"password"`
	URL      string `json:"url"`
	Role     string `json:"role"`
}

// demoConsoleAdmins are the directory console's admins. The center
// console's admin groups (demoCenterAdminGroups) make provisioning bring
// them to the center too.
var demoConsoleAdmins = []struct{ upn, given, surname, role string }{
	{"admin@gatehouse.example", "Directory", "Admin", console.RoleAdmin},
	{"auditor@gatehouse.example", "Directory", "Auditor", console.RoleReadOnly},
}

// seedConsoleAdmins creates the console admins when missing, gives them
// their roles and fresh passwords, and returns their sign-ins.
func seedConsoleAdmins(ctx context.Context, ds *directorydb.Store, dirURL string) (*demoAdmins, error) {
	out := &demoAdmins{}
	for i, a := range demoConsoleAdmins {
		u, err := ds.UserByUPN(ctx, a.upn)
		if errors.Is(err, directory.ErrNotFound) {
			now := time.Now().UTC().Truncate(time.Millisecond)
			u = &directory.User{ID: directorydb.NewID(), UserPrincipalName: a.upn, Mail: a.upn, GivenName: a.given,
				Surname: a.surname, DisplayName: a.given + " " + a.surname, JobTitle: "Identity administrator",
				Department: "IT", EmployeeID: fmt.Sprintf("%d", 9001+i), AccountEnabled: true, BusinessPhones: []string{},
				Created: now, Modified: now}
			directory.FillUserDefaults(u)
			if err := directory.ValidateUser(u); err != nil {
				return nil, err
			}
			if err := ds.CreateUser(ctx, u); err != nil {
				return nil, fmt.Errorf("seed console admin %s: %w", a.upn, err)
			}
		} else if err != nil {
			return nil, err
		}
		if err := ds.SetConsoleRole(ctx, u.ID, a.role, time.Now()); err != nil {
			return nil, err
		}
		pw := newPassword()
		if err := signin.SetPassword(ctx, ds, u.ID, pw); err != nil {
			return nil, err
		}
		login := &demoConsoleLogin{Username: a.upn, Password: pw, URL: dirURL + console.Prefix, Role: a.role}
		if a.role == console.RoleAdmin {
			out.Directory = login
		} else {
			out.DirectoryReadOnly = login
		}
	}
	return out, nil
}

// demoCenterAdminGroups are the directory groups, assigned to the AWS app
// and so provisioned to the center, whose members sign in to the center
// console through SAML: the directory console's admins, one per role.
var demoCenterAdminGroups = []struct{ name, upn, role string }{
	{"Gatehouse-Center-Admins", "admin@gatehouse.example", centerconsole.RoleAdmin},
	{"Gatehouse-Center-Auditors", "auditor@gatehouse.example", centerconsole.RoleReadOnly},
}

// seedCenterConsole creates the center console's admin groups in the
// directory (once), assigns them to app and puts the console admins in
// them, waits until provisioning brings them to the center, makes them the
// console's admin and read-only groups, and adds the center's sign-ins to
// admins (the same directory passwords: sign-in is through SAML).
func seedCenterConsole(ctx context.Context, in *instance, app *directory.App, admins *demoAdmins, centerURL string) error {
	ds, cs := in.dirStore, in.centerStore
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, ag := range demoCenterAdminGroups {
		gs, err := ds.ListGroups(ctx, directory.GroupQuery{Eq: map[string]string{"displayName": ag.name}, Limit: 2})
		if err != nil {
			return err
		}
		var g *directory.Group
		if len(gs) > 0 {
			g = gs[0]
		} else {
			g = &directory.Group{ID: directorydb.NewID(), DisplayName: ag.name, SecurityEnabled: true, Created: now, Modified: now,
				Description: "Administrators of the Gatehouse center console (" + ag.role + ")"}
			directory.FillGroupDefaults(g)
			if err := directory.ValidateGroup(g); err != nil {
				return err
			}
			if err := ds.CreateGroup(ctx, g); err != nil {
				return fmt.Errorf("seed group %s: %w", ag.name, err)
			}
		}
		err = ds.Assign(ctx, &directory.Assignment{ID: directorydb.NewID(), AppID: app.ID, PrincipalID: g.ID, Created: now})
		if err != nil && !errors.Is(err, directory.ErrConflict) {
			return err
		}
		u, err := ds.UserByUPN(ctx, ag.upn)
		if err != nil {
			return err
		}
		if err := ds.AddMember(ctx, g.ID, u.ID, now); err != nil && !errors.Is(err, directory.ErrConflict) {
			return err
		}
	}
	// Provisioning pushes each change at once; wait for the groups and
	// their members at the center.
	ids := map[string]string{}
	deadline := time.Now().Add(30 * time.Second)
	for len(ids) < len(demoCenterAdminGroups) {
		for _, ag := range demoCenterAdminGroups {
			if ids[ag.role] != "" {
				continue
			}
			up, err := cs.ListUsers(ctx, center.Query{Match: []center.Match{{Attr: center.AttrUserName, Value: ag.upn}}, Count: 1})
			if err != nil {
				return err
			}
			if len(up.Users) != 1 {
				continue
			}
			gp, err := cs.ListGroups(ctx, center.Query{Match: []center.Match{{Attr: center.AttrDisplayName, Value: ag.name},
				{Attr: center.AttrMembers, Value: up.Users[0].ID}}, Count: 1})
			if err != nil {
				return err
			}
			if len(gp.Groups) == 1 {
				ids[ag.role] = gp.Groups[0].ID
			}
		}
		if len(ids) < len(demoCenterAdminGroups) {
			if time.Now().After(deadline) {
				return fmt.Errorf("the center console's admin groups did not reach the center: %d of %d", len(ids), len(demoCenterAdminGroups))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if err := cs.PutConsoleSettings(ctx, &centerconsole.Settings{AdminGroupID: ids[centerconsole.RoleAdmin],
		ReadOnlyGroupID: ids[centerconsole.RoleReadOnly], Updated: time.Now()}); err != nil {
		return err
	}
	login := func(dir *demoConsoleLogin, role string) *demoConsoleLogin {
		if dir == nil {
			return nil
		}
		return &demoConsoleLogin{Username: dir.Username, Password: dir.Password, URL: centerURL + centerconsole.Prefix, Role: role}
	}
	admins.Center = login(admins.Directory, centerconsole.RoleAdmin)
	admins.CenterReadOnly = login(admins.DirectoryReadOnly, centerconsole.RoleReadOnly)
	return nil
}
