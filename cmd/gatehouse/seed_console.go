package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/console"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
)

// demoAdmins is demo.json's "admin": who signs in to the consoles.
type demoAdmins struct {
	Directory         *demoConsoleLogin `json:"directory"`
	DirectoryReadOnly *demoConsoleLogin `json:"directory_read_only,omitempty"`
}

// demoConsoleLogin is one console sign-in.
type demoConsoleLogin struct {
	Username string `json:"username"`
	Password string `json:"password"`
	URL      string `json:"url"`
	Role     string `json:"role"`
}

// demoConsoleAdmins are the directory console's admins. They are in no
// group assigned to an app, so nothing provisions them.
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
