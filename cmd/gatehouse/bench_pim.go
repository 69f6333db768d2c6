package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-id/gatehouse/internal/bench"
)

// benchPIMCmd is `gatehouse bench pim`: activation-to-access and
// expiry-to-revocation latency of PIM for Groups, through provisioning, at
// the center (issue 7).
func benchPIMCmd() *cobra.Command {
	var opts bench.PIMOptions
	cmd := &cobra.Command{
		Use:   "pim",
		Short: "PIM latency: activation -> access at the center, expiry -> access gone",
		Long: `Start a directory with its provisioning engine and a center (SCIM over
HTTP on loopback, each on its own SQLite file), make --activations users
eligible for a group the center maps to an account and permission set, and
activate one user every 1/--rate seconds. Measures, per activation, the time
from Activate to the center's EffectiveAccess including the permission set,
and from the activation's end (after --duration, see internal/bench.World.PIM)
to EffectiveAccess no longer including it. The goal is p99 under 1 second.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			w, err := bench.NewWorld(cmd.Context(), bench.WorldOptions{})
			if err != nil {
				return err
			}
			defer w.Close()
			opts.Progress = cmd.ErrOrStderr()
			res, err := w.PIM(cmd.Context(), opts)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), res.Report(opts))
			return nil
		},
	}
	cmd.Flags().IntVar(&opts.Activations, "activations", 200, "activations to measure (one user each)")
	cmd.Flags().DurationVar(&opts.Duration, "duration", 3*time.Second, "real length of each activation (at most 5m)")
	cmd.Flags().Float64Var(&opts.Rate, "rate", 20, "activations per second")
	return cmd
}
