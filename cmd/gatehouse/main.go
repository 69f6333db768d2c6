// Command gatehouse runs Gatehouse, workforce identity federation in one
// binary: the directory (the Entra ID role), the center (the AWS IAM Identity
// Center role), or both, and administers them.
//
// This package is the only place that wires the other packages together.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gatehouse-id/gatehouse/internal/gctune"
)

func main() {
	// Every command, the benchmarks included, runs with the collector set
	// as a server is.
	gctune.Apply()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "gatehouse:", err)
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "gatehouse",
		Short:         "Workforce identity federation: a directory, an identity center, and governance",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), demoCmd(), centerCmd(), directoryCmd(), provisioningCmd(), pimCmd(), reviewCmd(), auditCmd(), benchCmd())
	return root
}
