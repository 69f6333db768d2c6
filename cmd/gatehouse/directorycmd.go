package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/console"
	"github.com/gatehouse-id/gatehouse/internal/directory/hrimport"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
)

func directoryCmd() *cobra.Command {
	var f dbFlags
	cmd := &cobra.Command{Use: "directory", Short: "Administer the directory (the Microsoft Entra ID role)"}
	f.add(cmd)
	var dryRun bool
	imp := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Bring the directory's users in line with an HR feed (CSV)",
		Long: `Read a full HR feed and bring the directory's users in line with it: create
the users the directory lacks, update the attributes that differ, and disable
the users that have an employeeId but are not in the file.

The header row names the columns, case-insensitively: employeeId (required;
it matches rows to users), and any of userPrincipalName (required for a new
user), displayName, givenName, surname, mail, jobTitle, department,
companyName, mobilePhone, businessPhones, officeLocation, preferredLanguage,
usageLocation, accountEnabled (true or false; new users default to true) and
managerEmployeeId (the manager's employeeId, in the file or the directory).
Only the columns in the file are managed. An empty cell clears the
attribute, except userPrincipalName, displayName and accountEnabled, which
it leaves as they are.

Every row is checked first. If any row is bad, each problem is printed on
standard error with its line number, nothing is changed, and the exit status
is 1. Otherwise the changes are printed, one a line (+ create, ~ update,
- disable), with a count, and made one at a time, so each reaches the
provisioning outbox; with --dry-run they are only printed. FILE "-" reads
standard input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := args[0]
			var in io.Reader = cmd.InOrStdin()
			if name != "-" {
				file, err := os.Open(name)
				if err != nil {
					return err
				}
				defer file.Close()
				in = file
			}
			db, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			s := directorydb.New(db)

			plan, err := hrimport.Load(ctx, s, in)
			var bad hrimport.Errors
			if errors.As(err, &bad) {
				count := func(n int, noun string) string {
					if n == 1 {
						return "1 " + noun
					}
					return fmt.Sprintf("%d %ss", n, noun)
				}
				for _, le := range bad {
					fmt.Fprintln(cmd.ErrOrStderr(), le)
				}
				return fmt.Errorf("import %s: %s on %s; nothing was changed", name, count(len(bad), "problem"), count(bad.Lines(), "line"))
			}
			if err != nil {
				return fmt.Errorf("import %s: %w", name, err)
			}
			out := cmd.OutOrStdout()
			if _, err := plan.WriteTo(out); err != nil {
				return err
			}
			if dryRun {
				fmt.Fprintln(out, "dry run: nothing was changed")
				return nil
			}
			n, err := hrimport.Apply(ctx, s, plan, time.Now)
			if err != nil {
				return fmt.Errorf("import %s: %w", name, err)
			}
			fmt.Fprintf(out, "applied %d changes\n", n)
			return nil
		},
	}
	imp.Flags().BoolVar(&dryRun, "dry-run", false, "print the changes without making them")
	cmd.AddCommand(imp, consoleRoleCmd(&f), ownersCmd(&f))
	return cmd
}

// consoleRoleCmd gives a directory user a role in the directory console;
// on a new installation it makes the first admin (the console can only be
// reached by one).
func consoleRoleCmd(f *dbFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "console-role USER-PRINCIPAL-NAME admin|read-only|none",
		Short: "Give a user a directory console role, or take it away",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			role := args[1]
			switch role {
			case console.RoleAdmin, console.RoleReadOnly, "none":
			default:
				return fmt.Errorf("role %q: want %s, %s or none", role, console.RoleAdmin, console.RoleReadOnly)
			}
			db, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			s := directorydb.New(db)
			u, err := s.UserByUPN(ctx, args[0])
			if errors.Is(err, directory.ErrNotFound) {
				return fmt.Errorf("no user %s in the directory", args[0])
			}
			if err != nil {
				return err
			}
			if err := s.SetConsoleRole(ctx, u.ID, role, time.Now()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", u.UserPrincipalName, role)
			return nil
		},
	}
}

// ownersCmd lists, adds and removes a group's owners (Graph's group
// owners, also in the console): the people who approve PIM activations
// and review access when the group's policy or campaign says so. GROUP is
// an id or display name, USER an id or user principal name.
func ownersCmd(f *dbFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "owners", Short: "List, add and remove the owners of a group"}
	with := func(n int, use, short string, fn func(ctx context.Context, names dirNames, args []string, out io.Writer) error) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: cobra.ExactArgs(n),
			RunE: func(cmd *cobra.Command, args []string) error {
				db, err := f.open(cmd.Context())
				if err != nil {
					return err
				}
				defer db.Close()
				return fn(cmd.Context(), dirNames{directorydb.New(db)}, args, cmd.OutOrStdout())
			}}
	}
	list := with(1, "list GROUP", "Print the group's owners, a user principal name a line",
		func(ctx context.Context, names dirNames, args []string, out io.Writer) error {
			g, err := names.group(ctx, args[0])
			if err != nil {
				return err
			}
			ids, err := names.dir.Owners(ctx, g)
			if err != nil {
				return err
			}
			for _, id := range ids {
				fmt.Fprintln(out, names.name(ctx, id))
			}
			return nil
		})
	add := with(2, "add GROUP USER", "Make a user an owner of the group",
		func(ctx context.Context, names dirNames, args []string, out io.Writer) error {
			g, u, err := names.pair(ctx, args)
			if err != nil {
				return err
			}
			switch err := names.dir.AddOwner(ctx, g, u, time.Now()); {
			case errors.Is(err, directory.ErrConflict):
				return fmt.Errorf("%s already owns %s", args[1], args[0])
			case err != nil:
				return err
			}
			fmt.Fprintf(out, "%s now owns %s\n", names.name(ctx, u), names.name(ctx, g))
			return nil
		})
	remove := with(2, "remove GROUP USER", "Take a user's ownership of the group away",
		func(ctx context.Context, names dirNames, args []string, out io.Writer) error {
			g, u, err := names.pair(ctx, args)
			if err != nil {
				return err
			}
			switch err := names.dir.RemoveOwner(ctx, g, u); {
			case errors.Is(err, directory.ErrNotFound):
				return fmt.Errorf("%s does not own %s", args[1], args[0])
			case err != nil:
				return err
			}
			fmt.Fprintf(out, "%s no longer owns %s\n", names.name(ctx, u), names.name(ctx, g))
			return nil
		})
	cmd.AddCommand(list, add, remove)
	return cmd
}
