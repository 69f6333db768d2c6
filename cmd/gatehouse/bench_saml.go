package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-id/gatehouse/internal/bench"
)

// benchSAMLCmd is `gatehouse bench saml`: SAML SSO responses and password
// sign-ins per second over HTTP on loopback, each as a ratio to the raw
// crypto it is bound by (RSA-2048 signing, argon2id), measured in the same run.
func benchSAMLCmd() *cobra.Command {
	var o bench.SAMLOptions
	cmd := &cobra.Command{
		Use:   "saml",
		Short: "SAML SSO responses/s vs RSA-2048 signs/s, and password sign-ins/s vs argon2id hashes/s",
		Long: `Start a directory (sign-in + SAML IdP) on a temporary SQLite file on loopback,
sign --clients clients in, then measure for --duration each, in --rounds
alternating rounds:
  - IdP-initiated SAML responses (GET /saml/{app}/start, signed Response) per second;
  - crypto/rsa SignPKCS1v15 (RSA-2048) per second on as many goroutines;
  - password sign-ins (GET+POST /login, right password, new session) per second;
  - signin.Hasher argon2id verifications per second on as many goroutines.
Every sign-in and every response is recorded in the audit log first, as
gatehouse serve does; --no-audit leaves it out to show what it costs.
The SSO figure is reported as a ratio to the RSA rate (goal >= 0.75) and the
sign-in figure as a ratio to the argon2id rate.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Progress = cmd.ErrOrStderr()
			res, err := bench.SAMLSignIn(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), res.Report())
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Clients, "clients", 32, "concurrent clients (and goroutines of the RSA baseline)")
	f.IntVar(&o.LoginClients, "login-clients", 0, "concurrent clients of the sign-in phase (default --clients)")
	f.DurationVar(&o.Duration, "duration", 10*time.Second, "length of each measured phase (split over --rounds)")
	f.IntVar(&o.Rounds, "rounds", 3, "alternating rounds of the four phases")
	f.BoolVar(&o.NoAudit, "no-audit", false, "leave out the audit log gatehouse serve writes on every sign-in and response, to measure its cost")
	return cmd
}
