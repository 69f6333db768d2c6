package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-id/gatehouse/internal/bench"
	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/scimserver"
	"github.com/gatehouse-id/gatehouse/internal/config"
	"github.com/gatehouse-id/gatehouse/internal/httpserver"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
)

func benchCmd() *cobra.Command {
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure Gatehouse over HTTP on loopback",
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if cpuProfile == "" {
				return nil
			}
			f, err := os.Create(cpuProfile)
			if err != nil {
				return err
			}
			return pprof.StartCPUProfile(f)
		},
		PersistentPostRun: func(cmd *cobra.Command, args []string) {
			if cpuProfile != "" {
				pprof.StopCPUProfile()
			}
		},
	}
	cmd.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	var opts bench.SCIMOptions
	var database string
	scim := &cobra.Command{
		Use:   "scim",
		Short: "SCIM user creates per second and filter-by-userName latency",
		Long: `Start a center on a fresh database (a temporary SQLite file, durable commits,
unless --database names one) or use --url and --token to measure a running
server, create --users users from --workers clients, then query random users
by userName.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if opts.URL == "" {
				stop, err := benchCenter(ctx, database, &opts)
				if err != nil {
					return err
				}
				defer stop()
			}
			opts.Progress = cmd.ErrOrStderr()
			res, err := bench.SCIM(opts)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), res.Report(opts))
			return nil
		},
	}
	f := scim.Flags()
	f.StringVar(&opts.URL, "url", "", "SCIM base URL of a running server (default: start one)")
	f.StringVar(&opts.Token, "token", "", "SCIM bearer token for --url")
	f.StringVar(&database, "database", "", "database of the started server: SQLite path or postgres:// URL (default: a temporary SQLite file)")
	f.IntVar(&opts.Users, "users", 100000, "users to create")
	f.IntVar(&opts.Workers, "workers", 64, "concurrent clients")
	f.IntVar(&opts.Lookups, "lookups", 20000, "filter queries")
	cmd.AddCommand(scim, benchProvisioningCmd(), benchSAMLCmd(), benchPIMCmd())
	return cmd
}

func benchProvisioningCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "provisioning",
		Short: "Provisioning from the directory into a center: joiner latency and initial sync",
	}
	var wo bench.WorldOptions
	cmd.PersistentFlags().BoolVar(&wo.NoAudit, "no-audit", false, "leave out the audit record gatehouse serve writes on every SCIM change, to measure its cost")
	var n int
	var rate float64
	joiners := &cobra.Command{
		Use:   "joiners",
		Short: "Latency from a directory write to the joiner active and in the group at the center",
		RunE: func(cmd *cobra.Command, args []string) error {
			w, err := bench.NewWorld(cmd.Context(), wo)
			if err != nil {
				return err
			}
			defer w.Close()
			res, err := w.Joiners(cmd.Context(), n, rate)
			if err != nil {
				return err
			}
			l := res.Latency
			fmt.Fprintf(cmd.OutOrStdout(), "joiners: %d at %.0f/s in %.1fs: latency p50 %s, p99 %s, max %s\n", l.Count(), rate,
				res.Elapsed.Seconds(), l.Quantile(0.5).Round(time.Microsecond), l.Quantile(0.99).Round(time.Microsecond),
				l.Quantile(1).Round(time.Microsecond))
			return nil
		},
	}
	joiners.Flags().IntVar(&n, "joiners", 1000, "joiners to measure")
	joiners.Flags().Float64Var(&rate, "rate", 50, "joiners per second")
	var users, groups, perGroup, workers int
	sync := &cobra.Command{
		Use:   "initial-sync",
		Short: "Time the initial cycle of a large directory into an empty center",
		RunE: func(cmd *cobra.Command, args []string) error {
			w, err := bench.NewWorld(cmd.Context(), wo)
			if err != nil {
				return err
			}
			defer w.Close()
			w.Workers = workers
			res, err := w.InitialSync(cmd.Context(), users, groups, perGroup, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "initial sync: %d users, %d groups, %d memberships at the center in %.1fs (directory load %.1fs); cycle counts %v\n",
				res.Users, res.Groups, res.Memberships, res.Sync.Seconds(), res.Load.Seconds(), res.Cycle.Counts)
			for _, p := range res.Phases {
				fmt.Fprintf(cmd.OutOrStdout(), "  phase %-20s %.1fs\n", p.Phase, p.Took.Seconds())
			}
			return nil
		},
	}
	sync.Flags().IntVar(&users, "users", 100000, "users")
	sync.Flags().IntVar(&groups, "groups", 10000, "groups, all assigned")
	sync.Flags().IntVar(&perGroup, "members-per-group", 100, "members of each group")
	sync.Flags().IntVar(&workers, "workers", 0, "provisioning workers (default: the job's default)")
	cmd.AddCommand(joiners, sync)
	return cmd
}

// benchCenter starts a center for the benchmark and a token for it.
func benchCenter(ctx context.Context, database string, opts *bench.SCIMOptions) (func(), error) {
	cleanup := func() {}
	if database == "" {
		dir, err := os.MkdirTemp("", "gatehouse-bench")
		if err != nil {
			return nil, err
		}
		database = filepath.Join(dir, "bench.db")
		cleanup = func() { os.RemoveAll(dir) }
	}
	cfg := config.Default()
	cfg.Role, cfg.Database, cfg.Center.Listen = config.RoleCenter, database, "127.0.0.1:0"
	log := newLogger("warn", "text")
	in, err := start(ctx, cfg, log)
	if err != nil {
		cleanup()
		return nil, err
	}
	now := time.Now()
	tok, secret := center.NewSCIMToken(now)
	if err := centerdb.New(in.db).CreateSCIMToken(ctx, tok, now); err != nil {
		in.close()
		cleanup()
		return nil, err
	}
	opts.URL, opts.Token = in.center.URL()+scimserver.Prefix, secret
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		httpserver.Serve(sctx, log, in.servers...)
		close(done)
	}()
	return func() {
		cancel()
		<-done
		in.close()
		cleanup()
	}, nil
}
