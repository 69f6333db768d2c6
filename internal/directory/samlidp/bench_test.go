package samlidp_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/bench"
)

// TestBenchSAMLSignIn runs `gatehouse bench saml` briefly: every phase must
// complete real work (signed responses, sign-ins) over HTTP. With
// GATEHOUSE_BENCH_SAML=<duration> it runs that long per phase and logs the
// figures recorded in docs/benchmarks.md.
func TestBenchSAMLSignIn(t *testing.T) {
	o := bench.SAMLOptions{Clients: 4, Duration: 300 * time.Millisecond}
	if d, err := time.ParseDuration(os.Getenv("GATEHOUSE_BENCH_SAML")); err == nil {
		o = bench.SAMLOptions{Clients: 32, Duration: d}
	} else if testing.Short() {
		t.Skip("benchmark smoke run skipped in -short mode")
	}
	res, err := bench.SAMLSignIn(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", res.Report())
	if res.SSO <= 0 || res.RSASign <= 0 || res.Logins <= 0 || res.Argon2 <= 0 {
		t.Fatalf("a phase did no work: %+v", res)
	}
	if res.SSOLat.Count() == 0 || res.LoginLt.Count() == 0 {
		t.Fatal("no latencies recorded")
	}
}
