package bench

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Latencies collects request durations from many goroutines.
type Latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

// Add records one duration.
func (l *Latencies) Add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// Quantile returns the q-quantile (0..1) of the recorded durations.
func (l *Latencies) Quantile(q float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	slices.Sort(l.d)
	return l.d[min(len(l.d)-1, int(q*float64(len(l.d))))]
}

// Count is the number of recorded durations.
func (l *Latencies) Count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.d)
}

// Summary formats count, rate and p50/p99 latency.
func (l *Latencies) Summary(elapsed time.Duration) string {
	n := l.Count()
	return fmt.Sprintf("%d requests in %.2fs: %.0f/s, p50 %s, p99 %s", n, elapsed.Seconds(),
		float64(n)/elapsed.Seconds(), ms(l.Quantile(0.50)), ms(l.Quantile(0.99)))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// Client returns an HTTP client that keeps one connection per worker alive.
func Client(workers int) *http.Client {
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers},
	}
}

// Run spreads n jobs over workers goroutines; job i returns an error to
// stop the run.
func Run(n, workers int, job func(i int) error) (time.Duration, error) {
	start := time.Now()
	var next int64 = -1
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				next++
				i := next
				stop := first != nil
				mu.Unlock()
				if stop || i >= int64(n) {
					return
				}
				if err := job(int(i)); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), first
}

// Do sends a request and fails unless the status is want.
func Do(c *http.Client, req *http.Request, want int) error {
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d, want %d: %.200s", req.Method, req.URL.Path, res.StatusCode, want, body)
	}
	return nil
}
