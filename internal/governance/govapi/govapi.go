package govapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	"github.com/gatehouse-id/gatehouse/internal/governance/apiauth"
)

// Error is an answer in Graph's error shape.
type Error struct {
	Status    int
	Code, Msg string
	// AuthHeader adds WWW-Authenticate (to a 401).
	AuthHeader bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Msg }

// BadRequest is a 400 BadRequest with the message.
func BadRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "BadRequest", Msg: fmt.Sprintf(format, args...)}
}

// The errors every governance API answers alike.
var (
	ErrUnauthenticated = &Error{Status: http.StatusUnauthorized, Code: "InvalidAuthenticationToken",
		Msg: "Access token validation failure.", AuthHeader: true}
	ErrAdminOnly = &Error{Status: http.StatusForbidden, Code: "Authorization_RequestDenied",
		Msg: "Insufficient privileges to complete the operation."}
	errNotJSON = &Error{Status: http.StatusUnsupportedMediaType, Code: "UnsupportedMediaType",
		Msg: "Content-Type must be application/json."}
	errTooLarge = &Error{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge",
		Msg: "The request body is too large."}
	errInternal = &Error{Status: http.StatusInternalServerError, Code: "generalException",
		Msg: "An unspecified error has occurred."}
)

// API is one governance API's dependencies for Wrap.
type API struct {
	Name    string // in log lines: "pim api"
	Tokens  directory.TokenStore
	SignIn  *signin.Handler
	MaxBody int64
	Logger  *slog.Logger
	// ToError maps the API's domain errors, nil for an error it does not
	// know (a 500 then, logged).
	ToError func(error) *Error
}

// Handler is an API route: it answers, or returns the error to answer.
type Handler func(w http.ResponseWriter, r *http.Request, c *apiauth.Caller) error

// Wrap serves fn: request ids, authentication, the body bound, and any
// error written in Graph's shape.
func (a *API) Wrap(fn Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqID := uuid.NewString()
		clientID := r.Header.Get("client-request-id")
		if clientID == "" || len(clientID) > 128 {
			clientID = reqID
		}
		w.Header().Set("request-id", reqID)
		w.Header().Set("client-request-id", clientID)
		c, err := apiauth.Authenticate(r, a.Tokens, a.SignIn)
		if err == nil {
			r.Body = http.MaxBytesReader(w, r.Body, a.MaxBody)
			err = fn(w, r, c)
		}
		if err != nil {
			a.writeError(w, r, err, reqID, clientID)
		}
	})
}

// toError maps err: this package's and the API's errors, then a 500.
func (a *API) toError(err error) *Error {
	var e *Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, apiauth.ErrUnauthenticated):
		return ErrUnauthenticated
	case errors.Is(err, apiauth.ErrNotJSON):
		return errNotJSON
	case errors.As(err, &mbe):
		return errTooLarge
	}
	if a.ToError != nil {
		if e := a.ToError(err); e != nil {
			return e
		}
	}
	return errInternal
}

func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error, reqID, clientID string) {
	e := a.toError(err)
	if e.Status >= 500 {
		log := a.Logger
		if log == nil {
			log = slog.Default()
		}
		log.ErrorContext(r.Context(), a.Name+": request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if e.AuthHeader {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", error="invalid_token"`)
	}
	WriteJSON(w, e.Status, map[string]any{"error": map[string]any{
		"code": e.Code, "message": e.Msg,
		"innerError": map[string]string{"date": time.Now().UTC().Format("2006-01-02T15:04:05"),
			"request-id": reqID, "client-request-id": clientID},
	}})
}

// WriteJSON answers v as Graph's JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(status)
	w.Write(b)
}

// ReadJSON decodes the (bounded) body into v; bad JSON is a 400.
func ReadJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return BadRequest("Unable to read JSON request payload: %v", err)
	}
	return nil
}
