package govapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/governance/apiauth"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// oneToken is a TokenStore holding one admin token.
type oneToken struct{ t *directory.APIToken }

func (o oneToken) CreateAPIToken(context.Context, *directory.APIToken) error {
	return errors.ErrUnsupported
}
func (o oneToken) ListAPITokens(context.Context) ([]*directory.APIToken, error) {
	return []*directory.APIToken{o.t}, nil
}
func (o oneToken) RevokeAPIToken(context.Context, string, time.Time) error {
	return errors.ErrUnsupported
}
func (o oneToken) GetAPIToken(_ context.Context, id string) (*directory.APIToken, error) {
	if id != o.t.ID {
		return nil, directory.ErrNotFound
	}
	return o.t, nil
}

// Every error becomes Graph's error document with the request's ids: the
// shared ones (no credentials, a body too large), the API's own mapping,
// and anything else as a 500 that says nothing of the cause.
func TestWrapErrors(t *testing.T) {
	tok := secret.NewToken()
	tokens := oneToken{&directory.APIToken{ID: tok.ID, SecretHash: tok.Hash}}
	domain := errors.New("domain conflict")
	a := &API{Name: "test api", MaxBody: 16, ToError: func(err error) *Error {
		if errors.Is(err, domain) {
			return &Error{Status: http.StatusConflict, Code: "Conflict", Msg: "in use"}
		}
		return nil
	}}
	fail := func(err error) Handler {
		return func(http.ResponseWriter, *http.Request, *apiauth.Caller) error { return err }
	}
	readAll := func(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error {
		_, err := io.ReadAll(r.Body)
		return err
	}
	for name, c := range map[string]struct {
		h        Handler
		token    bool
		body     string
		status   int
		code     string
		wwwAuth  bool
		noDetail string
	}{
		"no credentials": {h: fail(nil), status: 401, code: "InvalidAuthenticationToken", wwwAuth: true},
		"domain":         {h: fail(domain), token: true, status: 409, code: "Conflict"},
		"shared":         {h: fail(BadRequest("bad %s", "x")), token: true, status: 400, code: "BadRequest"},
		"too large":      {h: readAll, token: true, body: strings.Repeat("x", 100), status: 413, code: "RequestEntityTooLarge"},
		"unknown":        {h: fail(errors.New("disk on fire")), token: true, status: 500, code: "generalException", noDetail: "disk on fire"},
	} {
		t.Run(name, func(t *testing.T) {
			if c.token {
				a.Tokens = tokens
			} else {
				a.Tokens = nil
			}
			req := httptest.NewRequest("POST", "/x", strings.NewReader(c.body))
			req.Header.Set("client-request-id", "client-1")
			if c.token {
				req.Header.Set("Authorization", "Bearer "+tok.Bearer)
			}
			rec := httptest.NewRecorder()
			a.Wrap(c.h).ServeHTTP(rec, req)
			var doc struct {
				Error struct {
					Code, Message string
					InnerError    map[string]string
				}
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || rec.Code != c.status || doc.Error.Code != c.code {
				t.Fatalf("%d %s (%v)", rec.Code, rec.Body, err)
			}
			if doc.Error.InnerError["client-request-id"] != "client-1" || doc.Error.InnerError["request-id"] != rec.Header().Get("request-id") {
				t.Fatalf("ids %v, header %q", doc.Error.InnerError, rec.Header().Get("request-id"))
			}
			if (rec.Header().Get("WWW-Authenticate") != "") != c.wwwAuth {
				t.Fatalf("WWW-Authenticate %q", rec.Header().Get("WWW-Authenticate"))
			}
			if c.noDetail != "" && strings.Contains(rec.Body.String(), c.noDetail) {
				t.Fatalf("internal error leaked: %s", rec.Body)
			}
		})
	}
}
