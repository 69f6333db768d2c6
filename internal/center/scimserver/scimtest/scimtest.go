package scimtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/scimserver"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

// Server is a running SCIM server.
type Server struct {
	// URL is the SCIM base URL (…/scim/v2), what a job's tenant URL is.
	URL string
	// Token is a bearer token the server accepts.
	Token string
	// Store is the center's identity store behind it, for checking what
	// arrived.
	Store *centerdb.Store
	// Handler is the server's handler, before wrap.
	Handler http.Handler
}

// Start starts a server that stops when t ends. wrap, when not nil, wraps
// the handler the listener serves (fault injection, observation).
func Start(t testing.TB, wrap func(http.Handler) http.Handler) *Server {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	cs := centerdb.New(db)
	tok, bearer := center.NewSCIMToken(time.Now())
	if err := cs.CreateSCIMToken(ctx, tok, time.Now()); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&scimserver.Handler{Store: cs}).Mount(mux)
	var h http.Handler = mux
	if wrap != nil {
		h = wrap(mux)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Server{URL: srv.URL + scimserver.Prefix, Token: bearer, Store: cs, Handler: mux}
}
