package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/provisioningdb"
)

// provisioningEnv is what the provisioning commands work with: the engine
// on the database, without running it (a running server picks changes up).
type provisioningEnv struct {
	engine *provisioning.Engine
	dirNames
}

func provisioningCmd() *cobra.Command {
	var f dbFlags
	cmd := &cobra.Command{
		Use:   "provisioning",
		Short: "Operate the directory's SCIM provisioning jobs (one per app)",
		Long: `Operate provisioning jobs. APP is an app id or display name. The commands work on
the database directly; a running server picks their changes up within seconds.`,
	}
	f.add(cmd)
	with := func(run func(ctx context.Context, env *provisioningEnv, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			db, err := f.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			box, err := secret.LoadOrCreateKey(cfg.KeyFile())
			if err != nil {
				return err
			}
			env := &provisioningEnv{dirNames: dirNames{directorydb.New(db)}}
			env.engine = &provisioning.Engine{Dir: env.dir, Store: provisioningdb.New(db), Box: box}
			return run(cmd.Context(), env, cmd, args)
		}
	}
	var asJSON bool
	status := &cobra.Command{
		Use:   "status [APP]",
		Short: "Show jobs: state, running cycle, counts, escrow, quarantine",
		Args:  cobra.MaximumNArgs(1),
		RunE: with(func(ctx context.Context, env *provisioningEnv, cmd *cobra.Command, args []string) error {
			apps, err := env.apps(ctx, args)
			if err != nil {
				return err
			}
			for _, a := range apps {
				st, err := env.engine.Status(ctx, a.ID)
				if errors.Is(err, provisioning.ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				if asJSON {
					json.NewEncoder(cmd.OutOrStdout()).Encode(st)
					continue
				}
				printStatus(cmd.OutOrStdout(), a, st)
			}
			return nil
		}),
	}
	status.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var q provisioning.LogQuery
	var since time.Duration
	var subject string
	logs := &cobra.Command{
		Use:   "logs APP",
		Short: "Print provisioning logs, newest first, as JSON lines with Entra's fields",
		Args:  cobra.ExactArgs(1),
		RunE: with(func(ctx context.Context, env *provisioningEnv, cmd *cobra.Command, args []string) error {
			a, err := env.app(ctx, args[0])
			if err != nil {
				return err
			}
			q.AppID = a.ID
			if since > 0 {
				q.Since = time.Now().Add(-since)
			}
			if subject != "" {
				if q.SourceID, err = env.objectID(ctx, subject); err != nil {
					return err
				}
			}
			entries, err := env.engine.Store.Logs(ctx, q)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			for _, e := range entries {
				if err := enc.Encode(e); err != nil {
					return err
				}
			}
			return nil
		}),
	}
	lf := logs.Flags()
	lf.StringVar(&q.CycleID, "cycle", "", "only this cycle id")
	lf.StringVar(&subject, "object", "", "only this user (id or userPrincipalName) or group (id or name)")
	lf.StringVar(&q.Action, "action", "", "only this action: Create, Update, Disable, Delete, StagedDelete")
	lf.StringVar(&q.Status, "status", "", "only this status: success, failure, warning, skipped")
	lf.DurationVar(&since, "since", 0, "only entries newer than this, e.g. 1h")
	lf.IntVar(&q.Limit, "limit", 1000, "at most this many entries")

	onDemand := &cobra.Command{
		Use:   "provision-on-demand APP OBJECT",
		Short: "Provision one user (id or userPrincipalName) or group (id or name) now, and show every step",
		Args:  cobra.ExactArgs(2),
		RunE: with(func(ctx context.Context, env *provisioningEnv, cmd *cobra.Command, args []string) error {
			a, err := env.app(ctx, args[0])
			if err != nil {
				return err
			}
			id, err := env.objectID(ctx, args[1])
			if err != nil {
				return err
			}
			kind := directory.KindUser
			if _, err := env.dir.GetGroup(ctx, id); err == nil {
				kind = directory.KindGroup
			}
			entries, err := env.engine.ProvisionOnDemand(ctx, a.ID, kind, id)
			for _, e := range entries {
				printEntry(cmd.OutOrStdout(), e)
			}
			if err == nil && len(entries) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "nothing to do: the target is up to date, or the object is out of scope and was never provisioned")
			}
			return err
		}),
	}

	simple := func(use, short string, fn func(ctx context.Context, env *provisioningEnv, appID string) (string, error)) *cobra.Command {
		return &cobra.Command{Use: use + " APP", Short: short, Args: cobra.ExactArgs(1),
			RunE: with(func(ctx context.Context, env *provisioningEnv, cmd *cobra.Command, args []string) error {
				a, err := env.app(ctx, args[0])
				if err != nil {
					return err
				}
				msg, err := fn(ctx, env, a.ID)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), msg)
				return nil
			})}
	}
	cmd.AddCommand(status, logs, onDemand,
		simple("start", "Start (enable) a job", func(ctx context.Context, env *provisioningEnv, id string) (string, error) {
			return "started", env.engine.SetEnabled(ctx, id, true)
		}),
		simple("stop", "Stop (pause) a job; a running pass finishes", func(ctx context.Context, env *provisioningEnv, id string) (string, error) {
			return "stopped", env.engine.SetEnabled(ctx, id, false)
		}),
		simple("restart", "Clear quarantine, escrows and staged deletes, and run an initial cycle now", func(ctx context.Context, env *provisioningEnv, id string) (string, error) {
			return "restarted: an initial cycle starts now", env.engine.Restart(ctx, id)
		}),
		simple("approve-deletes", "Carry out the disables and deletes staged by the deletion threshold", func(ctx context.Context, env *provisioningEnv, id string) (string, error) {
			n, err := env.engine.ApproveDeletes(ctx, id)
			return fmt.Sprintf("%d staged disables and deletes carried out", n), err
		}),
		simple("test-connection", "Check the target as Entra's Test Connection does", func(ctx context.Context, env *provisioningEnv, id string) (string, error) {
			return "the target answered as expected", env.engine.TestConnection(ctx, id)
		}),
	)
	return cmd
}

// apps resolves the APP argument, or lists every app.
func (env *provisioningEnv) apps(ctx context.Context, args []string) ([]*directory.App, error) {
	if len(args) == 1 {
		a, err := env.app(ctx, args[0])
		if err != nil {
			return nil, err
		}
		return []*directory.App{a}, nil
	}
	return env.dir.ListApps(ctx)
}

func (env *provisioningEnv) app(ctx context.Context, idOrName string) (*directory.App, error) {
	if a, err := env.dir.GetApp(ctx, idOrName); err == nil {
		return a, nil
	}
	apps, err := env.dir.ListApps(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		if strings.EqualFold(a.DisplayName, idOrName) {
			return a, nil
		}
	}
	return nil, fmt.Errorf("no app %q", idOrName)
}

// objectID resolves a user (id or UPN) or group (id or display name).
func (env *provisioningEnv) objectID(ctx context.Context, s string) (string, error) {
	id, err := env.principal(ctx, s)
	if errors.As(err, new(noSuchError)) {
		return "", fmt.Errorf("no user or group %q", s)
	}
	return id, err
}

func printStatus(w io.Writer, a *directory.App, st *provisioning.JobStatus) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "App\t%s (%s)\n", a.DisplayName, a.ID)
	fmt.Fprintf(tw, "Status\t%s\n", st.Status)
	fmt.Fprintf(tw, "Target\t%s\n", st.TenantURL)
	if q := st.Quarantine; q != nil {
		fmt.Fprintf(tw, "Quarantine\t%s since %s, next attempt %s: %s\n", q.Reason, q.Began.Format(time.RFC3339),
			q.NextAttempt.Format(time.RFC3339), q.Error)
	}
	if r := st.Running; r != nil {
		pct := 0
		if r.Total > 0 {
			pct = int(100 * r.Done / r.Total)
		}
		fmt.Fprintf(tw, "Running\t%s cycle %s: %s, %d/%d (%d%%)\n", kindOfCycle(r.Initial), r.ID, r.Phase, r.Done, r.Total, pct)
	}
	if c := st.LastCycle; c != nil {
		fmt.Fprintf(tw, "Last cycle\t%s %s, %s, took %s, %v\n", kindOfCycle(c.Initial), c.ID, c.Finished.Format(time.RFC3339),
			c.Finished.Sub(c.Started).Round(time.Millisecond), c.Counts)
		if c.Error != "" {
			fmt.Fprintf(tw, "Cycle error\t%s\n", c.Error)
		}
	}
	fmt.Fprintf(tw, "Next cycle\t%s\n", st.NextCycle)
	fmt.Fprintf(tw, "Provisioned\t%d users, %d groups\n", st.Provisioned[directory.KindUser], st.Provisioned[directory.KindGroup])
	fmt.Fprintf(tw, "Escrowed\t%d\n", st.Escrowed)
	if st.LastError != "" {
		fmt.Fprintf(tw, "Last error\t%s\n", st.LastError)
	}
	if st.StagedDeletes > 0 {
		fmt.Fprintf(tw, "Staged deletes\t%d (gatehouse provisioning approve-deletes to carry them out)\n", st.StagedDeletes)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

func kindOfCycle(initial bool) string {
	if initial {
		return "initial"
	}
	return "incremental"
}

func printEntry(w io.Writer, e provisioning.LogEntry) {
	fmt.Fprintf(w, "%s %s %s (%s): %s\n", e.Action, e.Kind, e.SourceName, e.SourceID, e.Status)
	for _, s := range e.Steps {
		fmt.Fprintf(w, "  %-8s %-8s %s\n", s.Name, s.Status, s.Details)
	}
	for _, m := range e.Modified {
		fmt.Fprintf(w, "  changed  %s: %q -> %q\n", m.Name, m.Old, m.New)
	}
	if e.ErrorCode != "" {
		fmt.Fprintf(w, "  error    %s: %s\n", e.ErrorCode, e.ErrorMsg)
	}
}
