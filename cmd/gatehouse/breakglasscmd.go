package main

import (
	"bufio"
	"context"
	"fmt"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-id/gatehouse/internal/center/breakglass"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
)

// breakGlassCmd is `gatehouse center break-glass`: emergency accounts that
// sign in at /start/break-glass when the identity source is down.
func breakGlassCmd() *cobra.Command {
	var f dbFlags
	cmd := &cobra.Command{
		Use:   "break-glass",
		Short: "Manage emergency accounts (sign-in at /start/break-glass without the identity provider)",
	}
	// Its own --config and --database, so that it works wherever it is
	// registered; under `center` they take the place of center's.
	f.add(cmd)
	with := func(needBox bool, run func(ctx context.Context, cs *centerdb.Store, box *secret.Box, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
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
			var box *secret.Box
			if needBox {
				if box, err = secret.LoadOrCreateKey(cfg.KeyFile()); err != nil {
					return err
				}
			}
			return run(cmd.Context(), centerdb.New(db), box, cmd, args)
		}
	}
	var grants []string
	create := &cobra.Command{
		Use:   "create USERNAME --grant ACCOUNT_ID=PERMISSION_SET ...",
		Short: "Create an emergency account; the password is read from standard input, the TOTP secret printed once",
		Args:  cobra.ExactArgs(1),
		RunE: with(true, func(ctx context.Context, cs *centerdb.Store, box *secret.Box, cmd *cobra.Command, args []string) error {
			line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
			password := strings.TrimRight(line, "\r\n")
			if password == "" {
				return fmt.Errorf("give the password on standard input (one line, at least %d characters): %v", breakglass.MinPasswordLen, err)
			}
			var gs []breakglass.Grant
			for _, spec := range grants {
				g, err := breakglass.ResolveGrant(ctx, cs, spec)
				if err != nil {
					return err
				}
				gs = append(gs, g)
			}
			a, key, err := breakglass.NewAccount(ctx, cs, cs, box, breakglass.NewHasher(1), breakglass.NewAccountInput{
				Username: args[0], Password: password, Grants: gs, Now: time.Now(),
			})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "emergency account %s created (id %s) with %d grant(s)\n", a.Username, a.ID, len(a.Grants))
			fmt.Fprintf(out, "TOTP secret: %s\nTOTP URL:    %s\n\n", key.Secret(), key.URL())
			fmt.Fprintln(out, "The secret is shown only once: enrol it in an authenticator and keep it with the password, sealed, offline.")
			fmt.Fprintln(out, "Sign-in: <center_url>/start/break-glass. Every use is audited (breakglass.use) and raises an alert.")
			return nil
		}),
	}
	create.Flags().StringArrayVar(&grants, "grant", nil, "ACCOUNT_ID=PERMISSION_SET (ARN or name) the account may use; repeat")
	var all bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List emergency accounts and the alerts their use raised",
		Args:  cobra.NoArgs,
		RunE: with(false, func(ctx context.Context, cs *centerdb.Store, _ *secret.Box, cmd *cobra.Command, _ []string) error {
			accounts, err := cs.ListBreakGlassAccounts(ctx)
			if err != nil {
				return err
			}
			now := time.Now()
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "USERNAME\tCREATED\tLAST USED\tSTATE\tGRANTS")
			for _, a := range accounts {
				used, state := "never", "ready"
				if a.LastUsed != nil {
					used = a.LastUsed.Format(time.RFC3339)
				}
				if a.Locked(now) {
					state = "locked until " + a.LockedUntil.Format(time.RFC3339)
				}
				var gs []string
				for _, g := range a.Grants {
					gs = append(gs, g.AccountID+"="+g.PermissionSetARN)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Username, a.Created.Format(time.RFC3339), used, state, strings.Join(gs, ", "))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			alerts, err := cs.BreakGlassAlerts(ctx, !all)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if len(alerts) == 0 {
				fmt.Fprintln(out, "\nNo unacknowledged alerts.")
				return nil
			}
			fmt.Fprintln(out, "\nALERTS")
			tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tALERT\tFROM\tACKNOWLEDGED")
			for _, al := range alerts {
				ack := "no"
				if al.AckAt != nil {
					ack = al.AckAt.Format(time.RFC3339) + " by " + al.AckBy
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", al.ID, al.Message(), al.Remote, ack)
			}
			return tw.Flush()
		}),
	}
	list.Flags().BoolVar(&all, "all", false, "include acknowledged alerts")
	remove := &cobra.Command{
		Use:   "remove USERNAME",
		Short: "Delete an emergency account and end its sessions",
		Args:  cobra.ExactArgs(1),
		RunE: with(false, func(ctx context.Context, cs *centerdb.Store, _ *secret.Box, cmd *cobra.Command, args []string) error {
			a, err := cs.BreakGlassAccount(ctx, args[0])
			if err != nil {
				return fmt.Errorf("emergency account %q: %w", args[0], err)
			}
			if err := cs.DeleteBreakGlassAccount(ctx, a.Username); err != nil {
				return err
			}
			n, err := cs.RevokeUserAccountSessions(ctx, breakglass.UserID(a.Username), time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %s; %d account session(s) ended\n", a.Username, n)
			return nil
		}),
	}
	var by string
	ack := &cobra.Command{
		Use:   "ack ALERT-ID",
		Short: "Acknowledge an alert, which removes it from the portal header",
		Args:  cobra.ExactArgs(1),
		RunE: with(false, func(ctx context.Context, cs *centerdb.Store, _ *secret.Box, cmd *cobra.Command, args []string) error {
			if by == "" {
				if u, err := user.Current(); err == nil {
					by = u.Username
				}
			}
			if err := cs.AcknowledgeBreakGlassAlert(ctx, args[0], by, time.Now()); err != nil {
				return fmt.Errorf("acknowledge %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "acknowledged %s\n", args[0])
			return nil
		}),
	}
	ack.Flags().StringVar(&by, "by", "", "who acknowledges (default: the OS user)")
	unlock := &cobra.Command{
		Use:   "unlock USERNAME",
		Short: "Clear an emergency account's failed sign-ins and lockout",
		Args:  cobra.ExactArgs(1),
		RunE: with(false, func(ctx context.Context, cs *centerdb.Store, _ *secret.Box, cmd *cobra.Command, args []string) error {
			if err := cs.UnlockBreakGlassAccount(ctx, args[0]); err != nil {
				return fmt.Errorf("unlock %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "unlocked %s\n", args[0])
			return nil
		}),
	}
	cmd.AddCommand(create, list, remove, ack, unlock)
	return cmd
}
