package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/governance/reviews"
	"github.com/gatehouse-id/gatehouse/internal/store/auditdb"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/reviewsdb"
)

// reviewCmd operates access reviews on the database directly. Decisions,
// reminders and removals are written to the audit log, keyed as the
// server keys it. A running server's scheduler starts instances, reminds
// and ends them when due; `gatehouse review tick` does one pass by hand.
func reviewCmd() *cobra.Command {
	var f dbFlags
	cmd := &cobra.Command{
		Use:   "review",
		Short: "Access reviews: campaigns over a group's members or an app's assignments",
		Long: `Operate access reviews on the database directly. USER is a user id or userPrincipalName, GROUP a
group id or display name, APP an app id or display name. Denied access is removed when an instance
ends (with --auto-apply), through the directory, so provisioning pushes the removal at once.`,
	}
	f.add(cmd)
	type env struct {
		svc *reviews.Service
		pim *pimEnv // name resolution
	}
	with := func(run func(ctx context.Context, e *env, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			key, err := auditKey(cfg, true)
			if err != nil {
				return err
			}
			db, err := f.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			dir, rs := directorydb.New(db), reviewsdb.New(db)
			e := &env{pim: &pimEnv{dirNames: dirNames{dir}}, svc: &reviews.Service{Store: rs, Dir: dir, SignIns: rs,
				Audit: audit.NewLog(auditdb.New(db), key)}}
			return run(cmd.Context(), e, cmd, args)
		}
	}

	// --- create ---
	var group, app, reviewersKind, start, recurrence, dflt string
	var reviewerArgs []string
	var duration, remind time.Duration
	var autoApply bool
	create := &cobra.Command{
		Use:   "create NAME (--group GROUP | --app APP) --reviewers named|owners|managers|self",
		Short: "Create a review campaign; its first instance starts at --start (default now)",
		Args:  cobra.ExactArgs(1),
		RunE: with(func(ctx context.Context, e *env, cmd *cobra.Command, args []string) error {
			c := &reviews.Campaign{Name: args[0], Reviewers: reviews.Reviewers(reviewersKind), Duration: duration,
				Recurrence: reviews.Recurrence(recurrence), Default: reviews.Default(dflt), AutoApply: autoApply,
				ReminderInterval: remind, By: "cli"}
			var err error
			if group != "" {
				if c.GroupID, err = e.pim.group(ctx, group); err != nil {
					return err
				}
			}
			if app != "" {
				if c.AppID, err = appID(ctx, e.pim, app); err != nil {
					return err
				}
			}
			for _, r := range reviewerArgs {
				id, err := e.pim.user(ctx, r)
				if err != nil {
					return fmt.Errorf("reviewer: %w", err)
				}
				c.ReviewerIDs = append(c.ReviewerIDs, id)
			}
			if start != "" {
				if c.Start, err = parseUntil(start, time.Now()); err != nil {
					return err
				}
			}
			if err := e.svc.CreateCampaign(ctx, c); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), c.ID)
			return nil
		}),
	}
	create.Flags().StringVar(&group, "group", "", "review the direct user members of GROUP")
	create.Flags().StringVar(&app, "app", "", "review the direct user assignments of APP")
	create.Flags().StringVar(&reviewersKind, "reviewers", "", "named, owners (the group's owners), managers or self")
	create.Flags().StringArrayVar(&reviewerArgs, "reviewer", nil, "a named reviewer, or the owners' or managers' fallback (repeatable)")
	create.Flags().StringVar(&start, "start", "", "first start: RFC 3339 time or a duration from now (default now)")
	create.Flags().DurationVar(&duration, "duration", 14*24*time.Hour, "how long each instance runs")
	create.Flags().StringVar(&recurrence, "recurrence", "none", "none, weekly, monthly or quarterly")
	create.Flags().StringVar(&dflt, "default", "none", "decision for unreviewed items: none, approve, deny or recommendation")
	create.Flags().BoolVar(&autoApply, "auto-apply", false, "remove denied access when an instance ends")
	create.Flags().DurationVar(&remind, "remind", 0, "remind reviewers with pending items at this interval (0: never)")

	// --- list ---
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List campaigns",
		Args:  cobra.NoArgs,
		RunE: with(func(ctx context.Context, e *env, cmd *cobra.Command, args []string) error {
			cs, err := e.svc.Campaigns(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				for _, c := range cs {
					enc.Encode(c)
				}
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tREVIEWERS\tRECURRENCE\tDEFAULT\tAUTO-APPLY\tNEXT START")
			for _, c := range cs {
				kind, id := c.Scope()
				next := "-"
				if c.NextStart != nil {
					next = c.NextStart.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\t%s\t%v\t%s\n", c.ID, c.Name, kind, scopeName(ctx, e.pim, kind, id),
					c.Reviewers, c.Recurrence, c.Default, c.AutoApply, next)
			}
			return tw.Flush()
		}),
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON lines")

	// --- show ---
	var instanceID string
	show := &cobra.Command{
		Use:   "show CAMPAIGN_ID",
		Short: "Show a campaign's instances and the items of the latest one (or of --instance)",
		Args:  cobra.ExactArgs(1),
		RunE: with(func(ctx context.Context, e *env, cmd *cobra.Command, args []string) error {
			c, err := e.svc.Campaign(ctx, args[0])
			if err != nil {
				return err
			}
			ins, err := e.svc.Instances(ctx, c.ID)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			kind, id := c.Scope()
			fmt.Fprintf(out, "%s %q: %s %s, reviewers %s, %s, default %s, auto-apply %v\n", c.ID, c.Name, kind,
				scopeName(ctx, e.pim, kind, id), c.Reviewers, c.Recurrence, c.Default, c.AutoApply)
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "INSTANCE\tSTATUS\tSTART\tEND")
			for _, in := range ins {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", in.ID, in.Status, when(in.Start), when(in.End))
			}
			tw.Flush()
			iid := instanceID
			if iid == "" && len(ins) > 0 {
				iid = ins[len(ins)-1].ID
			}
			if iid == "" {
				return nil
			}
			items, err := e.svc.Items(ctx, iid, "")
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\nitems of %s:\n", iid)
			tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ITEM\tUSER\tRECOMMENDATION\tDECISION\tBY\tREASON\tREVIEWERS\tAPPLIED")
			for _, it := range items {
				var revs []string
				for _, r := range it.Reviewers {
					revs = append(revs, e.pim.name(ctx, r))
				}
				by := it.ReviewedBy
				if by != "" && by != reviews.ActorSystem {
					by = e.pim.name(ctx, by)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%v\n", it.ID, it.UPN, it.Recommendation, it.Decision, dash(by),
					dash(it.Reason), dash(strings.Join(revs, ",")), it.Applied)
			}
			return tw.Flush()
		}),
	}
	show.Flags().StringVar(&instanceID, "instance", "", "the instance whose items to show (default: the latest)")

	// --- decide ---
	var as, decision, reason string
	decide := &cobra.Command{
		Use:   "decide ITEM_ID --as REVIEWER --decision approve|deny|dontknow [--reason TEXT]",
		Short: "Record a reviewer's decision on an item (a denial needs a reason)",
		Long: `Record a decision on the reviewer's behalf: the CLI cannot see a sign-in session, so --as is the
operator's attestation of who decided. Only a reviewer of the item is accepted.`,
		Args: cobra.ExactArgs(1),
		RunE: with(func(ctx context.Context, e *env, cmd *cobra.Command, args []string) error {
			if as == "" {
				return errors.New("--as names the reviewer deciding")
			}
			by, err := e.pim.user(ctx, as)
			if err != nil {
				return err
			}
			d := map[string]reviews.Decision{"approve": reviews.Approve, "deny": reviews.Deny, "dontknow": reviews.DontKnow}[strings.ToLower(decision)]
			if d == "" {
				return fmt.Errorf("--decision %q: approve, deny or dontknow", decision)
			}
			it, err := e.svc.Decide(ctx, reviews.DecideInput{ItemID: args[0], ReviewerID: by, Decision: d, Reason: reason})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s %s\n", it.ID, it.UPN, it.Decision)
			return nil
		}),
	}
	decide.Flags().StringVar(&as, "as", "", "the reviewer (user id or UPN)")
	decide.Flags().StringVar(&decision, "decision", "", "approve, deny or dontknow")
	decide.Flags().StringVar(&reason, "reason", "", "why (required to deny)")

	// --- report ---
	var reportInstance string
	report := &cobra.Command{
		Use:   "report CAMPAIGN_ID [--instance ID]",
		Short: "Write the CSV report of a campaign (every instance) or one instance to stdout",
		Args:  cobra.ExactArgs(1),
		RunE: with(func(ctx context.Context, e *env, cmd *cobra.Command, args []string) error {
			return e.svc.Report(ctx, cmd.OutOrStdout(), args[0], reportInstance)
		}),
	}
	report.Flags().StringVar(&reportInstance, "instance", "", "only this instance")

	// --- close, tick ---
	closeCmd := &cobra.Command{
		Use:   "close INSTANCE_ID",
		Short: "End an instance now: default decisions, then removal of denied access with auto-apply",
		Args:  cobra.ExactArgs(1),
		RunE: with(func(ctx context.Context, e *env, cmd *cobra.Command, args []string) error {
			in, err := e.svc.Close(ctx, args[0], "cli")
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s at %s\n", in.ID, in.Status, when(in.End))
			return nil
		}),
	}
	tick := &cobra.Command{
		Use:   "tick",
		Short: "Run the review scheduler once: start due instances, remind, end due instances",
		Args:  cobra.NoArgs,
		RunE: with(func(ctx context.Context, e *env, cmd *cobra.Command, args []string) error {
			return (&reviews.Scheduler{Service: e.svc}).Tick(ctx)
		}),
	}
	cmd.AddCommand(create, list, show, decide, report, closeCmd, tick)
	return cmd
}

// appID resolves an app id or display name.
func appID(ctx context.Context, env *pimEnv, s string) (string, error) {
	if _, err := env.dir.GetApp(ctx, s); err == nil {
		return s, nil
	}
	apps, err := env.dir.ListApps(ctx)
	if err != nil {
		return "", err
	}
	var found []string
	for _, a := range apps {
		if a.DisplayName == s {
			found = append(found, a.ID)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	return "", fmt.Errorf("no single app %q", s)
}

func scopeName(ctx context.Context, env *pimEnv, kind, id string) string {
	if kind == "app" {
		if a, err := env.dir.GetApp(ctx, id); err == nil {
			return a.DisplayName
		}
		return id
	}
	return env.name(ctx, id)
}
