package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/center/scimserver"
	"github.com/gatehouse-id/gatehouse/internal/config"
	"github.com/gatehouse-id/gatehouse/internal/httpserver"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
)

func newLogger(level, format string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if strings.EqualFold(format, "json") {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// instance is a running Gatehouse: its database and listeners.
type instance struct {
	db      *store.DB
	log     *slog.Logger
	servers []*httpserver.Server
	center  *httpserver.Server
	dir     *httpserver.Server
}

// start opens the database and the listeners of the halves cfg runs.
func start(ctx context.Context, cfg config.Config, log *slog.Logger) (*instance, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	in := &instance{db: db, log: log}
	metrics := httpserver.NewMetrics()
	if cfg.Runs(config.RoleCenter) {
		mux := http.NewServeMux()
		metrics.Mount(mux, db)
		(&scimserver.Handler{Store: centerdb.New(db), Logger: log}).Mount(mux)
		if in.center, err = httpserver.Listen("center", cfg.Center.Listen, metrics.Observe("center", mux, log)); err != nil {
			db.Close()
			return nil, fmt.Errorf("center listener: %w", err)
		}
		in.servers = append(in.servers, in.center)
	}
	if cfg.Runs(config.RoleDirectory) {
		// The directory's APIs arrive with its own issue; its listener
		// already answers probes and metrics.
		mux := http.NewServeMux()
		metrics.Mount(mux, db)
		if in.dir, err = httpserver.Listen("directory", cfg.Directory.Listen, metrics.Observe("directory", mux, log)); err != nil {
			in.close()
			return nil, fmt.Errorf("directory listener: %w", err)
		}
		in.servers = append(in.servers, in.dir)
	}
	return in, nil
}

func (in *instance) close() {
	for _, s := range in.servers {
		s.Listener.Close()
	}
	in.db.Close()
}

// publicURL is the configured URL, or the listener's own.
func publicURL(configured string, s *httpserver.Server) string {
	if configured != "" {
		return strings.TrimRight(configured, "/")
	}
	return s.URL()
}
