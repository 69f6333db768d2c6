package bench

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SCIMOptions configure the SCIM benchmark.
type SCIMOptions struct {
	URL      string // SCIM base URL
	Token    string
	Users    int // users to create
	Workers  int // concurrent clients
	Lookups  int // filter-by-userName queries
	Progress io.Writer
}

// SCIMResult holds the measured figures.
type SCIMResult struct {
	Creates, Lookups, SerialLookups *Latencies
	CreateTime, LookupTime          time.Duration
	SerialTime                      time.Duration
}

// SCIM measures user creates per second and filter-by-userName latency,
// both over HTTP: opts.Users creates from opts.Workers clients, then
// opts.Lookups `userName eq` queries for random existing users, from the
// same number of clients and then from one.
func SCIM(opts SCIMOptions) (*SCIMResult, error) {
	c := Client(opts.Workers)
	res := &SCIMResult{Creates: &Latencies{}, Lookups: &Latencies{}, SerialLookups: &Latencies{}}
	prefix := fmt.Sprintf("bench-%d-", time.Now().UnixNano())
	name := func(i int) string { return fmt.Sprintf("%s%07d@example.com", prefix, i) }
	var err error
	res.CreateTime, err = Run(opts.Users, opts.Workers, func(i int) error {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,`+
			`"name":{"givenName":"Bench","familyName":"User %d"},"displayName":"Bench User %d",`+
			`"emails":[{"value":%q,"type":"work","primary":true}],"active":true}`, name(i), i, i, name(i))
		req, _ := http.NewRequest("POST", opts.URL+"/Users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+opts.Token)
		req.Header.Set("Content-Type", "application/scim+json")
		t0 := time.Now()
		if err := Do(c, req, http.StatusCreated); err != nil {
			return err
		}
		res.Creates.Add(time.Since(t0))
		if opts.Progress != nil && (i+1)%20000 == 0 {
			fmt.Fprintf(opts.Progress, "  %d users created\n", i+1)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	lookup := func(l *Latencies) func(int) error {
		return func(int) error {
			q := url.QueryEscape(fmt.Sprintf(`userName eq %q`, name(rand.IntN(opts.Users))))
			req, _ := http.NewRequest("GET", opts.URL+"/Users?filter="+q, nil)
			req.Header.Set("Authorization", "Bearer "+opts.Token)
			t0 := time.Now()
			if err := Do(c, req, http.StatusOK); err != nil {
				return err
			}
			l.Add(time.Since(t0))
			return nil
		}
	}
	if res.LookupTime, err = Run(opts.Lookups, opts.Workers, lookup(res.Lookups)); err != nil {
		return nil, fmt.Errorf("lookup: %w", err)
	}
	if res.SerialTime, err = Run(opts.Lookups/4, 1, lookup(res.SerialLookups)); err != nil {
		return nil, fmt.Errorf("serial lookup: %w", err)
	}
	return res, nil
}

// Report formats the result as the lines recorded in docs/benchmarks.md.
func (r *SCIMResult) Report(opts SCIMOptions) string {
	return fmt.Sprintf(`SCIM user creates, %d clients:                 %s
SCIM filter userName eq, %d users stored, %d clients: %s
SCIM filter userName eq, %d users stored, 1 client:   %s
`, opts.Workers, r.Creates.Summary(r.CreateTime),
		opts.Users, opts.Workers, r.Lookups.Summary(r.LookupTime),
		opts.Users, r.SerialLookups.Summary(r.SerialTime))
}
