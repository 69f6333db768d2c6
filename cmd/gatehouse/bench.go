package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
	cmd := &cobra.Command{Use: "bench", Short: "Measure Gatehouse over HTTP on loopback"}
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
	cmd.AddCommand(scim)
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
