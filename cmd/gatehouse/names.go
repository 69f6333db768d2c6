package main

import (
	"context"
	"fmt"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// dirNames resolves what an admin types on the command line to directory
// objects: a user by id or user principal name, a group by id or display
// name, and shows ids back as names.
type dirNames struct {
	dir directory.Store
}

// noSuchError is a name that matches no object of its kind.
type noSuchError struct{ kind, name string }

func (e noSuchError) Error() string { return fmt.Sprintf("no %s %q", e.kind, e.name) }

func (n dirNames) user(ctx context.Context, s string) (string, error) {
	if _, err := n.dir.GetUser(ctx, s); err == nil {
		return s, nil
	}
	if u, err := n.dir.UserByUPN(ctx, s); err == nil {
		return u.ID, nil
	}
	return "", noSuchError{"user", s}
}

func (n dirNames) group(ctx context.Context, s string) (string, error) {
	if _, err := n.dir.GetGroup(ctx, s); err == nil {
		return s, nil
	}
	gs, err := n.dir.ListGroups(ctx, directory.GroupQuery{Eq: map[string]string{"displayName": s}})
	if err != nil {
		return "", err
	}
	if len(gs) == 1 {
		return gs[0].ID, nil
	}
	return "", noSuchError{"group", s}
}

func (n dirNames) principal(ctx context.Context, s string) (string, error) {
	if id, err := n.user(ctx, s); err == nil {
		return id, nil
	}
	return n.group(ctx, s)
}

func (n dirNames) pair(ctx context.Context, args []string) (g, u string, err error) {
	if g, err = n.group(ctx, args[0]); err != nil {
		return "", "", err
	}
	u, err = n.user(ctx, args[1])
	return g, u, err
}

// name shows a user's UPN or a group's display name, else the id.
func (n dirNames) name(ctx context.Context, id string) string {
	if u, err := n.dir.GetUser(ctx, id); err == nil {
		return u.UserPrincipalName
	}
	if g, err := n.dir.GetGroup(ctx, id); err == nil {
		return g.DisplayName
	}
	return id
}
