package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/config"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
)

// dbFlags are the flags of administrative commands that open the database
// directly, like `gatehouse serve` does.
type dbFlags struct{ config, database string }

func (f *dbFlags) add(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.config, "config", "", "YAML configuration file")
	cmd.PersistentFlags().StringVar(&f.database, "database", "", "SQLite file path, or a postgres:// URL")
}

// load reads the configuration the flags name.
func (f *dbFlags) load() (config.Config, error) {
	cfg, err := config.Load(f.config)
	if err != nil {
		return cfg, err
	}
	if f.database != "" {
		cfg.Database = f.database
	}
	return cfg, nil
}

func (f *dbFlags) open(ctx context.Context) (*store.DB, error) {
	cfg, err := f.load()
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, cfg.Database)
}

func centerCmd() *cobra.Command {
	var f dbFlags
	cmd := &cobra.Command{Use: "center", Short: "Administer the center (the AWS IAM Identity Center role)"}
	f.add(cmd)
	tok := &cobra.Command{Use: "scim-token", Short: "Manage SCIM access tokens (at most two active, valid one year)"}
	cmd.AddCommand(tok)
	withStore := func(run func(ctx context.Context, s center.Store, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			db, err := f.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			return run(cmd.Context(), centerdb.New(db), cmd, args)
		}
	}
	tok.AddCommand(&cobra.Command{
		Use:   "create",
		Short: "Create a token and print it; it is shown only this once",
		Args:  cobra.NoArgs,
		RunE: withStore(func(ctx context.Context, s center.Store, cmd *cobra.Command, _ []string) error {
			now := time.Now()
			t, secret := center.NewSCIMToken(now)
			if err := s.CreateSCIMToken(ctx, t, now); err != nil {
				return fmt.Errorf("create SCIM token: %w: at most %d tokens can be active; revoke one first",
					err, center.MaxActiveSCIMTokens)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token id: %s\nexpires:  %s\ntoken:    %s\n\nThe token is shown only once; store it in your identity provider now.\n",
				t.ID, t.Expires.Format(time.RFC3339), secret)
			return nil
		}),
	}, &cobra.Command{
		Use:   "list",
		Short: "List tokens with their state",
		Args:  cobra.NoArgs,
		RunE: withStore(func(ctx context.Context, s center.Store, cmd *cobra.Command, _ []string) error {
			ts, err := s.ListSCIMTokens(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCREATED\tEXPIRES\tSTATE")
			now := time.Now()
			for _, t := range ts {
				state := "active"
				switch {
				case t.Revoked != nil:
					state = "revoked " + t.Revoked.Format(time.RFC3339)
				case !t.Active(now):
					state = "expired"
				case t.Expires.Sub(now) < 90*24*time.Hour:
					state = fmt.Sprintf("active, expires in %d days: rotate it", int(t.Expires.Sub(now).Hours()/24))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, t.Created.Format(time.RFC3339), t.Expires.Format(time.RFC3339), state)
			}
			return tw.Flush()
		}),
	}, &cobra.Command{
		Use:   "revoke TOKEN-ID",
		Short: "Revoke a token at once",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(func(ctx context.Context, s center.Store, cmd *cobra.Command, args []string) error {
			if err := s.RevokeSCIMToken(ctx, args[0], time.Now()); err != nil {
				return fmt.Errorf("revoke %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
			return nil
		}),
	})
	cmd.AddCommand(accessKeyCmd(&f), accountCmd(&f), exportIAMCmd(&f), breakGlassCmd(), consoleAdminsCmd(&f))
	return cmd
}

// accessKeyCmd manages the AWS API's access keys. The secret is shown once
// and stored encrypted, since SigV4 verification needs it.
func accessKeyCmd(f *dbFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "access-key", Short: "Manage access keys for the AWS-compatible API (SigV4)"}
	with := func(run func(ctx context.Context, cs *centerdb.Store, box *secret.Box, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			db, err := store.Open(cmd.Context(), cfg.Database)
			if err != nil {
				return err
			}
			defer db.Close()
			box, err := secret.LoadOrCreateKey(cfg.KeyFile())
			if err != nil {
				return err
			}
			return run(cmd.Context(), centerdb.New(db), box, cmd, args)
		}
	}
	var desc string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an access key and print it; the secret is shown only this once",
		Args:  cobra.NoArgs,
		RunE: with(func(ctx context.Context, cs *centerdb.Store, box *secret.Box, cmd *cobra.Command, _ []string) error {
			id, sec := center.NewAccessKey()
			if err := cs.CreateAccessKey(ctx, &center.AccessKey{ID: id, SecretSealed: box.Seal(sec, id), Description: desc,
				Created: time.Now()}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n\nThe secret is shown only once.\n", id, sec)
			return nil
		}),
	}
	create.Flags().StringVar(&desc, "description", "", "what the key is for")
	cmd.AddCommand(create, &cobra.Command{
		Use:   "list",
		Short: "List access keys (without their secrets)",
		Args:  cobra.NoArgs,
		RunE: with(func(ctx context.Context, cs *centerdb.Store, _ *secret.Box, cmd *cobra.Command, _ []string) error {
			ks, err := cs.ListAccessKeys(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ACCESS KEY ID\tCREATED\tDESCRIPTION")
			for _, k := range ks {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", k.ID, k.Created.Format(time.RFC3339), k.Description)
			}
			return tw.Flush()
		}),
	}, &cobra.Command{
		Use:   "delete ACCESS-KEY-ID",
		Short: "Delete an access key at once",
		Args:  cobra.ExactArgs(1),
		RunE: with(func(ctx context.Context, cs *centerdb.Store, _ *secret.Box, cmd *cobra.Command, args []string) error {
			if err := cs.DeleteAccessKey(ctx, args[0]); err != nil {
				return fmt.Errorf("delete %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", args[0])
			return nil
		}),
	})
	return cmd
}
