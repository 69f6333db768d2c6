package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/governance"
)

// demoJITGroup is the group the demo's first user may activate just in
// time (PIM for Groups), at My access, for up to demoJITMax with a
// justification: the permanent AWS-Developers-ReadOnly plus DeveloperAdmin
// when needed.
const (
	demoJITGroup = "AWS-Developers-Admin"
	demoJITMax   = 4 * time.Hour
)

// seedEligibility makes upn eligible for demoJITGroup; a restart keeps the
// eligibility it made before.
func seedEligibility(ctx context.Context, in *instance, upn string) error {
	u, err := in.dirStore.UserByUPN(ctx, upn)
	if err != nil {
		return fmt.Errorf("demo eligibility: user %s: %w", upn, err)
	}
	gs, err := in.dirStore.ListGroups(ctx, directory.GroupQuery{Eq: map[string]string{"displayName": demoJITGroup}, Limit: 1})
	if err != nil || len(gs) == 0 {
		return fmt.Errorf("demo eligibility: group %s: %v", demoJITGroup, err)
	}
	err = in.governance.AddEligibility(ctx, &governance.Eligibility{GroupID: gs[0].ID, PrincipalID: u.ID,
		MaxDuration: demoJITMax, RequireJustification: true})
	if errors.Is(err, governance.ErrConflict) {
		return nil
	}
	return err
}

// demoJITOwner owns demoJITGroup: the owner a campaign "by the group's
// owners" or an eligibility the owners approve asks.
const demoJITOwner = "shen@gatehouse.example"

// seedOwner makes demoJITOwner an owner of demoJITGroup; a restart keeps
// it.
func seedOwner(ctx context.Context, ds directory.Store) error {
	u, err := ds.UserByUPN(ctx, demoJITOwner)
	if err != nil {
		return fmt.Errorf("demo owner: user %s: %w", demoJITOwner, err)
	}
	gs, err := ds.ListGroups(ctx, directory.GroupQuery{Eq: map[string]string{"displayName": demoJITGroup}, Limit: 1})
	if err != nil || len(gs) == 0 {
		return fmt.Errorf("demo owner: group %s: %v", demoJITGroup, err)
	}
	if err := ds.AddOwner(ctx, gs[0].ID, u.ID, time.Now()); err != nil && !errors.Is(err, directory.ErrConflict) {
		return fmt.Errorf("demo owner: %w", err)
	}
	return nil
}
