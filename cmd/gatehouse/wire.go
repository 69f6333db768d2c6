package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/center/awsapi"
	"github.com/gatehouse-id/gatehouse/internal/center/breakglass"
	centerconsole "github.com/gatehouse-id/gatehouse/internal/center/console"
	"github.com/gatehouse-id/gatehouse/internal/center/portal"
	"github.com/gatehouse-id/gatehouse/internal/center/samlsp"
	"github.com/gatehouse-id/gatehouse/internal/center/scimserver"
	"github.com/gatehouse-id/gatehouse/internal/config"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/console"
	"github.com/gatehouse-id/gatehouse/internal/directory/graphapi"
	"github.com/gatehouse-id/gatehouse/internal/directory/samlidp"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	"github.com/gatehouse-id/gatehouse/internal/governance"
	"github.com/gatehouse-id/gatehouse/internal/governance/myaccess"
	"github.com/gatehouse-id/gatehouse/internal/governance/pimapi"
	"github.com/gatehouse-id/gatehouse/internal/governance/reviewapi"
	"github.com/gatehouse-id/gatehouse/internal/governance/reviews"
	"github.com/gatehouse-id/gatehouse/internal/httpserver"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/auditdb"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/governancedb"
	"github.com/gatehouse-id/gatehouse/internal/store/provisioningdb"
	"github.com/gatehouse-id/gatehouse/internal/store/reviewsdb"
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

// instance is a running Gatehouse: its database, the halves it runs and
// their listeners.
type instance struct {
	db      *store.DB
	log     *slog.Logger
	servers []*httpserver.Server
	center  *httpserver.Server
	dir     *httpserver.Server

	centerStore *centerdb.Store
	dirStore    *directorydb.Store
	provStore   *provisioningdb.Store
	engine      *provisioning.Engine
	signin      *signin.Handler
	idp         *samlidp.IdP
	sp          *samlsp.SP
	portal      *portal.Handler
	breakGlass  *breakglass.Handler
	governance  *governance.Service
	reviews     *reviews.Service
	audit       *audit.Log
	box         *secret.Box
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
	if in.box, err = secret.LoadOrCreateKey(cfg.KeyFile()); err != nil {
		db.Close()
		return nil, err
	}
	// One hash-chained audit log for the process, keyed from the secret key
	// file so that `gatehouse audit verify` can check it.
	in.audit = audit.NewLog(auditdb.New(db), in.box.DeriveKey(audit.KeyLabel))
	metrics := httpserver.NewMetrics()
	if cfg.Runs(config.RoleCenter) {
		in.centerStore = centerdb.New(db)
		mux := http.NewServeMux()
		metrics.Mount(mux, db)
		in.sp = &samlsp.SP{Store: in.centerStore, Users: in.centerStore, Logger: log}
		in.sp.Mount(mux)
		in.portal = &portal.Handler{Store: in.centerStore, Sessions: in.centerStore, SP: in.sp, Logger: log,
			IdPCerts: in.centerStore, Box: in.box}
		in.portal.Mount(mux)
		in.breakGlass = &breakglass.Handler{Store: in.centerStore, Access: in.centerStore, Sessions: in.centerStore,
			Box: in.box, Audit: in.audit, CenterURL: cfg.Center.URL, Logger: log}
		in.breakGlass.Mount(mux)
		// A leaver's portal and account sessions end the moment SCIM
		// deactivates or deletes the user.
		(&scimserver.Handler{Store: in.centerStore, Logger: log, OnUserChange: in.portal.OnUserChange,
			OnMembersRemoved: in.portal.OnMembersRemoved}).Mount(mux)
		(&awsapi.Handler{Store: in.centerStore, Box: in.box, Logger: log, OnUserChange: in.portal.OnUserChange,
			OnMembersRemoved: in.portal.OnMembersRemoved, OnAssignmentRemoved: in.portal.OnAssignmentRemoved}).Mount(mux)
		// The center console (/console): admins sign in through the
		// identity source; membership of the configured groups decides.
		(&centerconsole.Handler{Store: in.centerStore, Settings: in.centerStore, SP: in.sp, Logger: log,
			OnAssignmentRemoved: in.portal.OnAssignmentRemoved, Alerts: in.centerStore}).Mount(mux)
		// Emergency access raises an alert in the portal's header until an
		// admin acknowledges it.
		handler := audit.HTTP(in.audit, classifyCenter, log,
			breakglass.Banner(in.centerStore, log, metrics.Observe("center", mux, log)))
		if in.center, err = httpserver.Listen("center", cfg.Center.Listen, handler); err != nil {
			in.close()
			return nil, fmt.Errorf("center listener: %w", err)
		}
		in.sp.CenterURL = publicURL(cfg.Center.URL, in.center)
		in.breakGlass.CenterURL = in.sp.CenterURL
		in.servers = append(in.servers, in.center)
	}
	if cfg.Runs(config.RoleDirectory) {
		in.dirStore, in.provStore = directorydb.New(db), provisioningdb.New(db)
		// The node id is stable across restarts of the same instance, so a
		// restarted node takes its own leases back at once instead of waiting
		// for them to expire; distinct instances listen on distinct addresses.
		host, _ := os.Hostname()
		in.engine = &provisioning.Engine{Dir: in.dirStore, Store: in.provStore, Box: in.box, Logger: log,
			Node: host + "|" + cfg.Directory.Listen}
		mux := http.NewServeMux()
		metrics.Mount(mux, db)
		(&graphapi.Handler{Store: in.dirStore, Tokens: in.dirStore, Logger: log, BaseURL: cfg.Directory.URL,
			Provisioning: in.engine, Audit: in.audit}).Mount(mux)
		in.signin = &signin.Handler{Store: in.dirStore, Box: in.box, Logger: log, Issuer: "Gatehouse", Home: "/myapps",
			Audit: in.audit}
		in.signin.Mount(mux)
		in.idp = &samlidp.IdP{Directory: in.dirStore, Store: in.dirStore, Box: in.box, Auth: in.signin, Logger: log, Audit: in.audit,
			BaseURL: cfg.Directory.URL}
		in.idp.Mount(mux)
		// Just-in-time access: activations become memberships that
		// provisioning pushes at once; the scheduler ends them to the second.
		in.governance = &governance.Service{Store: governancedb.New(db), Dir: in.dirStore, Logger: log}
		(&pimapi.Handler{Service: in.governance, Tokens: in.dirStore, SignIn: in.signin, Logger: log}).Mount(mux)
		// Access reviews: denials are removed at the end and provisioning
		// carries the removal to the targets.
		rs := reviewsdb.New(db)
		in.reviews = &reviews.Service{Store: rs, Dir: in.dirStore, SignIns: rs, Audit: in.audit, Logger: log}
		(&reviewapi.Handler{Service: in.reviews, Tokens: in.dirStore, SignIn: in.signin, Logger: log}).Mount(mux)
		// My access: users activate, deactivate, approve and review in the
		// browser.
		(&myaccess.Handler{Service: in.governance, Reviews: in.reviews, Dir: in.dirStore, SignIn: in.signin,
			Logger: log}).Mount(mux)
		// The directory console (/console): directory admins sign in like
		// everyone else; their console role decides what they may do.
		(&console.Handler{Store: in.dirStore, Credentials: in.dirStore, Roles: in.dirStore, MFA: in.dirStore,
			SignIn: in.signin, Engine: in.engine, Governance: in.governance, Reviews: in.reviews, Audit: in.audit,
			IdP: in.idp, Logger: log}).Mount(mux)
		handler := audit.HTTP(in.audit, classifyDirectory, log, metrics.Observe("directory", mux, log))
		if in.dir, err = httpserver.Listen("directory", cfg.Directory.Listen, handler); err != nil {
			in.close()
			return nil, fmt.Errorf("directory listener: %w", err)
		}
		in.idp.BaseURL = publicURL(cfg.Directory.URL, in.dir)
		in.servers = append(in.servers, in.dir)
	}
	return in, nil
}

// run serves until ctx ends, with the provisioning engine beside the
// listeners.
func (in *instance) run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if in.engine != nil {
		wg.Go(func() { in.engine.Run(ctx) })
	}
	if in.governance != nil {
		wg.Go(func() { (&governance.Scheduler{Service: in.governance}).Run(ctx) })
		wg.Go(func() { (&reviews.Scheduler{Service: in.reviews}).Run(ctx) })
	}
	wg.Go(func() { in.housekeeping(ctx, time.Hour) })
	return httpserver.Serve(ctx, in.log, in.servers...)
}

// classifyCenter audits SCIM requests that change something or are refused
// at the door, AWS API calls that change something, and center console
// changes.
func classifyCenter(r *http.Request) string {
	if k := scimserver.AuditKind(r); k != "" {
		return k
	}
	switch {
	case strings.HasPrefix(r.URL.Path, centerconsole.Prefix+"/") && r.Method == http.MethodPost:
		return audit.KindAdminChange
	case r.URL.Path == "/" && r.Method == http.MethodPost:
		_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
		for _, read := range []string{"Describe", "List", "Get", "Is"} {
			if strings.HasPrefix(op, read) {
				return ""
			}
		}
		return audit.KindAdminChange
	}
	return ""
}

// classifyDirectory audits writes to the Graph API and the directory
// console (admin changes) and to the PIM API (activations, approvals,
// eligibility).
func classifyDirectory(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, console.Prefix+"/") && r.Method == http.MethodPost {
		return audit.KindAdminChange
	}
	if !strings.HasPrefix(r.URL.Path, graphapi.Prefix+"/") || r.Method == http.MethodGet {
		return ""
	}
	if strings.Contains(r.URL.Path, "/identityGovernance/") {
		if strings.Contains(r.URL.Path, "/assignmentApprovals/") {
			return audit.KindPIMApproval
		}
		return audit.KindPIMActivation
	}
	return audit.KindAdminChange
}

// housekeeping runs the periodic clean-ups: users deleted more than 30 days
// ago are purged for good (which provisioning turns into a SCIM DELETE),
// and expired sessions, SAML request ids and replay-cache entries go.
func (in *instance) housekeeping(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		now := time.Now()
		if in.dirStore != nil {
			if n, err := in.dirStore.PurgeDeletedBefore(ctx, now.Add(-directory.SoftDeleteRetention)); err != nil {
				in.log.ErrorContext(ctx, "housekeeping: purge deleted users", "err", err)
			} else if n > 0 {
				in.log.InfoContext(ctx, "housekeeping: purged users deleted over 30 days ago", "count", n)
			}
			if _, err := in.dirStore.DeleteSessionsBefore(ctx, now); err != nil {
				in.log.ErrorContext(ctx, "housekeeping: sign-in sessions", "err", err)
			}
		}
		if in.centerStore != nil {
			if err := in.centerStore.PurgeSAML(ctx, now); err != nil {
				in.log.ErrorContext(ctx, "housekeeping: SAML records", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// publicURL is the configured external URL, or the listener's own.
func publicURL(configured string, s *httpserver.Server) string {
	if configured != "" {
		return strings.TrimRight(configured, "/")
	}
	return s.URL()
}

func (in *instance) close() {
	for _, s := range in.servers {
		s.Listener.Close()
	}
	in.db.Close()
}
