package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
)

// consoleAdminsCmd names the groups whose members may use the center
// console. The console's own settings page can change them too, but only an
// admin can reach it: a new installation needs this command for its first
// admins. The groups are the identity source's, provisioned over SCIM.
func consoleAdminsCmd(f *dbFlags) *cobra.Command {
	var admin, readOnly string
	cmd := &cobra.Command{
		Use:   "console-admins",
		Short: "Show or set the groups whose members administer (or read) the center console",
		Long: "Without flags, shows the configured groups. --admin and --read-only take a group's\n" +
			"displayName (as provisioned by SCIM) or id; --read-only \"\" turns read-only access off.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			cs := centerdb.New(db)
			cur, err := cs.ConsoleSettings(ctx)
			if err != nil {
				return err
			}
			next := *cur
			if cmd.Flags().Changed("admin") {
				if next.AdminGroupID, err = findGroup(ctx, cs, admin); err != nil {
					return fmt.Errorf("--admin: %w", err)
				}
			}
			if cmd.Flags().Changed("read-only") {
				next.ReadOnlyGroupID = ""
				if readOnly != "" {
					if next.ReadOnlyGroupID, err = findGroup(ctx, cs, readOnly); err != nil {
						return fmt.Errorf("--read-only: %w", err)
					}
				}
			}
			if next.AdminGroupID != "" && next.AdminGroupID == next.ReadOnlyGroupID {
				return errors.New("the admin and read-only groups must differ")
			}
			if next != *cur {
				next.Updated = time.Now().UTC()
				if err := cs.PutConsoleSettings(ctx, &next); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			for _, row := range []struct{ role, id string }{{"admin", next.AdminGroupID}, {"read-only", next.ReadOnlyGroupID}} {
				name := "(none)"
				if row.id != "" {
					name = row.id
					if g, err := cs.GetGroup(ctx, row.id); err == nil {
						name = fmt.Sprintf("%s (%s)", g.DisplayName, g.ID)
					}
				}
				fmt.Fprintf(out, "%-10s %s\n", row.role+":", name)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&admin, "admin", "", "group whose members administer the console")
	cmd.Flags().StringVar(&readOnly, "read-only", "", "group whose members may read the console")
	return cmd
}

// findGroup resolves a group by id or by displayName (compared
// case-insensitively, as the SCIM server does).
func findGroup(ctx context.Context, cs *centerdb.Store, ref string) (string, error) {
	if g, err := cs.GetGroup(ctx, ref); err == nil {
		return g.ID, nil
	} else if !errors.Is(err, center.ErrNotFound) {
		return "", err
	}
	p, err := cs.ListGroups(ctx, center.Query{Match: []center.Match{{Attr: center.AttrDisplayName, Value: ref}}, Count: 2})
	if err != nil {
		return "", err
	}
	if len(p.Groups) == 0 {
		return "", fmt.Errorf("no group %q: groups arrive from the identity source over SCIM; provision it first", ref)
	}
	return p.Groups[0].ID, nil
}
