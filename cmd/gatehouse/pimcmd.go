package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-id/gatehouse/internal/governance"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/governancedb"
)

// pimEnv is what the pim commands work with: the governance service on the
// database. Memberships change at once; a running server's scheduler ends
// grants at their End (or run `gatehouse pim tick`).
type pimEnv struct {
	svc *governance.Service
	dirNames
}

func pimCmd() *cobra.Command {
	var f dbFlags
	cmd := &cobra.Command{
		Use:   "pim",
		Short: "Privileged access for groups: eligibility, activation, approval, time-bound membership",
		Long: `Operate PIM for Groups on the database directly. USER is a user id or userPrincipalName;
GROUP is a group id or display name. Activations and assignments change the directory membership at once,
and provisioning pushes it; a running server's scheduler removes it at the grant's end.`,
	}
	f.add(cmd)
	with := func(run func(ctx context.Context, env *pimEnv, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			db, err := f.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			dir := directorydb.New(db)
			env := &pimEnv{dirNames: dirNames{dir}, svc: &governance.Service{Store: governancedb.New(db), Dir: dir}}
			return run(cmd.Context(), env, cmd, args)
		}
	}

	// --- eligible add|list|remove ---
	elig := &cobra.Command{Use: "eligible", Short: "Manage eligible group membership"}
	var maxDur time.Duration
	var mfa, just, ticket, ownersApprove, asJSON bool
	var approvers []string
	var until string
	add := &cobra.Command{
		Use:   "add GROUP PRINCIPAL",
		Short: "Make a user, or every member of a group, eligible for GROUP",
		Args:  cobra.ExactArgs(2),
		RunE: with(func(ctx context.Context, env *pimEnv, cmd *cobra.Command, args []string) error {
			g, err := env.group(ctx, args[0])
			if err != nil {
				return err
			}
			p, err := env.principal(ctx, args[1])
			if err != nil {
				return err
			}
			e := &governance.Eligibility{GroupID: g, PrincipalID: p, MaxDuration: maxDur,
				RequireMFA: mfa, RequireJustification: just, RequireTicket: ticket, OwnersApprove: ownersApprove}
			for _, a := range approvers {
				id, err := env.user(ctx, a)
				if err != nil {
					return fmt.Errorf("approver: %w", err)
				}
				e.Approvers = append(e.Approvers, id)
			}
			if until != "" {
				t, err := parseUntil(until, time.Now())
				if err != nil {
					return err
				}
				e.Expires = &t
			}
			if err := env.svc.AddEligibility(ctx, e); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), e.ID)
			return nil
		}),
	}
	add.Flags().DurationVar(&maxDur, "max", governance.DefaultMaxDuration, "maximum activation duration (1h to 24h)")
	add.Flags().BoolVar(&mfa, "require-mfa", false, "require MFA at activation")
	add.Flags().BoolVar(&just, "require-justification", false, "require a justification")
	add.Flags().BoolVar(&ticket, "require-ticket", false, "require a ticket number")
	add.Flags().StringArrayVar(&approvers, "approver", nil, "user who approves activations (repeatable); none means no approval")
	add.Flags().BoolVar(&ownersApprove, "owners-approve", false, "the group's owners approve activations (with any --approver)")
	add.Flags().StringVar(&until, "until", "", "end of the eligibility (RFC 3339 time or a duration from now)")

	var group string
	list := &cobra.Command{
		Use:   "list",
		Short: "List eligibilities",
		Args:  cobra.NoArgs,
		RunE: with(func(ctx context.Context, env *pimEnv, cmd *cobra.Command, args []string) error {
			q := governance.EligibilityQuery{}
			if group != "" {
				g, err := env.group(ctx, group)
				if err != nil {
					return err
				}
				q.GroupID = g
			}
			els, err := env.svc.Eligibilities(ctx, q)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				for _, e := range els {
					enc.Encode(e)
				}
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tGROUP\tPRINCIPAL\tMAX\tREQUIRES\tAPPROVERS\tEXPIRES")
			for _, e := range els {
				var req []string
				for _, r := range []struct {
					on   bool
					name string
				}{{e.RequireMFA, "mfa"}, {e.RequireJustification, "justification"}, {e.RequireTicket, "ticket"}} {
					if r.on {
						req = append(req, r.name)
					}
				}
				exp := "-"
				if e.Expires != nil {
					exp = e.Expires.Format(time.RFC3339)
				}
				approvedBy := slices.Clone(e.Approvers)
				if e.OwnersApprove {
					approvedBy = append(approvedBy, "owners")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, env.name(ctx, e.GroupID), env.name(ctx, e.PrincipalID),
					e.MaxDuration, dash(strings.Join(req, ",")), dash(strings.Join(approvedBy, ",")), exp)
			}
			return tw.Flush()
		}),
	}
	list.Flags().StringVar(&group, "group", "", "only this group")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON lines")
	remove := &cobra.Command{
		Use:   "remove ELIGIBILITY_ID",
		Short: "Remove an eligibility (activations made from it run to their end)",
		Args:  cobra.ExactArgs(1),
		RunE: with(func(ctx context.Context, env *pimEnv, cmd *cobra.Command, args []string) error {
			return env.svc.RemoveEligibility(ctx, args[0])
		}),
	}
	elig.AddCommand(add, list, remove)

	// --- activate, deactivate ---
	var dur time.Duration
	var justification, ticketNo string
	var mfaDone bool
	activate := &cobra.Command{
		Use:   "activate GROUP USER",
		Short: "Activate USER's eligible membership of GROUP",
		Long: `Activate an eligible membership on the user's behalf. The CLI cannot see a sign-in session:
--mfa is the operator's attestation that the user verified a second factor, recorded on the request.`,
		Args: cobra.ExactArgs(2),
		RunE: with(func(ctx context.Context, env *pimEnv, cmd *cobra.Command, args []string) error {
			g, u, err := env.pair(ctx, args)
			if err != nil {
				return err
			}
			r, err := env.svc.Activate(ctx, governance.ActivateInput{GroupID: g, UserID: u, Duration: dur,
				Justification: justification, Ticket: ticketNo, MFA: mfaDone})
			if r != nil {
				printRequest(cmd, r)
			}
			return err
		}),
	}
	activate.Flags().DurationVar(&dur, "duration", 0, "how long (default: the eligibility's maximum)")
	activate.Flags().StringVar(&justification, "justification", "", "why")
	activate.Flags().StringVar(&ticketNo, "ticket", "", "ticket number")
	activate.Flags().BoolVar(&mfaDone, "mfa", false, "the user verified a second factor")
	deactivate := &cobra.Command{
		Use:   "deactivate GROUP USER",
		Short: "End USER's activations of GROUP now",
		Args:  cobra.ExactArgs(2),
		RunE: with(func(ctx context.Context, env *pimEnv, cmd *cobra.Command, args []string) error {
			g, u, err := env.pair(ctx, args)
			if err != nil {
				return err
			}
			ended, err := env.svc.Deactivate(ctx, g, u)
			for _, r := range ended {
				printRequest(cmd, r)
			}
			return err
		}),
	}

	// --- approve, deny ---
	var as, reason string
	decide := func(use, short string, approve bool) *cobra.Command {
		c := &cobra.Command{
			Use:   use + " REQUEST_ID --as APPROVER",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: with(func(ctx context.Context, env *pimEnv, cmd *cobra.Command, args []string) error {
				if as == "" {
					return errors.New("--as names the approver deciding")
				}
				by, err := env.user(ctx, as)
				if err != nil {
					return err
				}
				fn := env.svc.Deny
				if approve {
					fn = env.svc.Approve
				}
				r, err := fn(ctx, args[0], by, reason)
				if r != nil {
					printRequest(cmd, r)
				}
				return err
			}),
		}
		c.Flags().StringVar(&as, "as", "", "the approver (user id or UPN)")
		c.Flags().StringVar(&reason, "reason", "", "the decision's reason")
		return c
	}

	// --- list-requests ---
	var lgroup, luser, lstatus string
	listReq := &cobra.Command{
		Use:   "list-requests",
		Short: "List activation requests and time-bound assignments",
		Args:  cobra.NoArgs,
		RunE: with(func(ctx context.Context, env *pimEnv, cmd *cobra.Command, args []string) error {
			q := governance.RequestQuery{}
			var err error
			if lgroup != "" {
				if q.GroupID, err = env.group(ctx, lgroup); err != nil {
					return err
				}
			}
			if luser != "" {
				if q.UserID, err = env.user(ctx, luser); err != nil {
					return err
				}
			}
			if lstatus != "" {
				q.Status = []governance.Status{governance.Status(lstatus)}
			}
			rs, err := env.svc.Requests(ctx, q)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				for _, r := range rs {
					enc.Encode(r)
				}
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tSTATUS\tGROUP\tUSER\tSTART\tEND\tJUSTIFICATION")
			for _, r := range rs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Status, env.name(ctx, r.GroupID),
					env.name(ctx, r.UserID), when(r.Start), when(r.End), dash(r.Justification))
			}
			return tw.Flush()
		}),
	}
	listReq.Flags().StringVar(&lgroup, "group", "", "only this group")
	listReq.Flags().StringVar(&luser, "user", "", "only this user")
	listReq.Flags().StringVar(&lstatus, "status", "", "only this status (PendingApproval, Active, Expired, ...)")
	listReq.Flags().BoolVar(&asJSON, "json", false, "print JSON lines")

	// --- assign, unassign, tick ---
	var auntil string
	assign := &cobra.Command{
		Use:   "assign GROUP USER --until TIME",
		Short: "Make USER a member of GROUP until TIME (a time-bound direct assignment)",
		Args:  cobra.ExactArgs(2),
		RunE: with(func(ctx context.Context, env *pimEnv, cmd *cobra.Command, args []string) error {
			if auntil == "" {
				return errors.New("--until is required (RFC 3339 time or a duration such as 72h)")
			}
			t, err := parseUntil(auntil, time.Now())
			if err != nil {
				return err
			}
			g, u, err := env.pair(ctx, args)
			if err != nil {
				return err
			}
			r, err := env.svc.Assign(ctx, g, u, t, "cli")
			if r != nil {
				printRequest(cmd, r)
			}
			return err
		}),
	}
	assign.Flags().StringVar(&auntil, "until", "", "end: RFC 3339 time, or a duration from now")
	unassign := &cobra.Command{
		Use:   "unassign GROUP USER",
		Short: "End USER's time-bound assignments to GROUP now",
		Args:  cobra.ExactArgs(2),
		RunE: with(func(ctx context.Context, env *pimEnv, cmd *cobra.Command, args []string) error {
			g, u, err := env.pair(ctx, args)
			if err != nil {
				return err
			}
			ended, err := env.svc.Unassign(ctx, g, u)
			for _, r := range ended {
				printRequest(cmd, r)
			}
			return err
		}),
	}
	tick := &cobra.Command{
		Use:   "tick",
		Short: "Run the scheduler once: end due grants, expire undecided requests, finish interrupted transitions",
		Args:  cobra.NoArgs,
		RunE: with(func(ctx context.Context, env *pimEnv, cmd *cobra.Command, args []string) error {
			return (&governance.Scheduler{Service: env.svc}).Tick(ctx)
		}),
	}
	cmd.AddCommand(elig, activate, deactivate, decide("approve", "Approve a pending activation", true),
		decide("deny", "Deny a pending activation", false), listReq, assign, unassign, tick)
	return cmd
}

func printRequest(cmd *cobra.Command, r *governance.Request) {
	end := ""
	if !r.End.IsZero() {
		end = " until " + r.End.Format(time.RFC3339)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s %s %s%s\n", r.ID, r.Kind, r.Status, end)
}

// parseUntil reads an RFC 3339 time, or a Go duration from now.
func parseUntil(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a positive duration", s)
	}
	return now.Add(d).UTC(), nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}
