package httpserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the HTTP metrics of one process.
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics and the Go runtime collectors.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_http_requests_total", Help: "HTTP requests answered, by listener, route and status code.",
		}, []string{"listener", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gatehouse_http_request_duration_seconds", Help: "Time to answer HTTP requests, by listener and route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"listener", "route"}),
	}
	reg.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Pinger is what readiness checks: the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Mount adds /healthz (the process runs), /readyz (its database answers) and
// /metrics to mux.
func (m *Metrics) Mount(mux *http.ServeMux, db Pinger) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			http.Error(w, "database: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Observe wraps a listener's mux: it counts and times each request by the
// mux pattern that served it (bounded cardinality, unlike raw paths) and
// logs it.
func (m *Metrics) Observe(listener string, mux *http.ServeMux, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		mux.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		d := time.Since(start)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(listener, route, strconv.Itoa(sw.status)).Inc()
		m.duration.WithLabelValues(listener, route).Observe(d.Seconds())
		if r.URL.Path != "/healthz" && r.URL.Path != "/metrics" {
			log.Debug("http request", "listener", listener, "method", r.Method, "path", r.URL.Path,
				"status", sw.status, "duration_ms", float64(d.Microseconds())/1000, "remote", r.RemoteAddr)
		}
	})
}

// Server is one listener.
type Server struct {
	Name     string
	Listener net.Listener
	Handler  http.Handler
}

// Listen opens addr now, so that a port of 0 is resolved before URLs that
// name it are printed.
func Listen(name, addr string, h http.Handler) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &Server{Name: name, Listener: l, Handler: h}, nil
}

// URL is the http URL of the listener's address.
func (s *Server) URL() string { return "http://" + s.Listener.Addr().String() }

// Serve runs the servers until ctx ends, then shuts them down gracefully,
// letting requests in flight finish for up to ten seconds.
func Serve(ctx context.Context, log *slog.Logger, servers ...*Server) error {
	errc := make(chan error, len(servers))
	var hs []*http.Server
	for _, s := range servers {
		h := &http.Server{Handler: s.Handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		hs = append(hs, h)
		log.Info("listening", "listener", s.Name, "url", s.URL())
		go func() {
			if err := h.Serve(s.Listener); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, h := range hs {
		h.Shutdown(sctx)
	}
	return err
}
