package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
)

// accountCmd manages the center's AWS accounts. AWS's sso-admin API cannot
// create accounts (they come from AWS Organizations), so operators declare
// them here; permission sets and assignments are then managed with the
// AWS-compatible API.
func accountCmd(f *dbFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "account", Short: "Declare the AWS accounts the center grants access to"}
	with := func(run func(ctx context.Context, cs *centerdb.Store, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			db, err := f.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			return run(cmd.Context(), centerdb.New(db), cmd, args)
		}
	}
	var email string
	var realAWS bool
	add := &cobra.Command{
		Use:   "add ACCOUNT-ID NAME",
		Short: "Add or update an account (12-digit id)",
		Args:  cobra.ExactArgs(2),
		RunE: with(func(ctx context.Context, cs *centerdb.Store, cmd *cobra.Command, args []string) error {
			a := &center.Account{ID: args[0], Name: args[1], Email: email, RealAWS: realAWS, CreatedDate: time.Now()}
			if err := cs.PutAccount(ctx, a); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "account %s (%s)\n", a.ID, a.Name)
			return nil
		}),
	}
	add.Flags().StringVar(&email, "email", "", "the account's root email")
	add.Flags().BoolVar(&realAWS, "real-aws", false, "a real AWS account: the portal offers sign-in to its management console")
	add.MarkFlagRequired("email")
	cmd.AddCommand(add, &cobra.Command{
		Use:   "list",
		Short: "List accounts",
		Args:  cobra.NoArgs,
		RunE: with(func(ctx context.Context, cs *centerdb.Store, cmd *cobra.Command, _ []string) error {
			as, err := cs.ListAccounts(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tREAL AWS")
			for _, a := range as {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%v\n", a.ID, a.Name, a.Email, a.RealAWS)
			}
			return tw.Flush()
		}),
	}, &cobra.Command{
		Use:   "remove ACCOUNT-ID",
		Short: "Remove an account and its assignments",
		Args:  cobra.ExactArgs(1),
		RunE: with(func(ctx context.Context, cs *centerdb.Store, cmd *cobra.Command, args []string) error {
			if err := cs.DeleteAccount(ctx, args[0]); err != nil {
				return fmt.Errorf("remove %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", args[0])
			return nil
		}),
	})
	return cmd
}
