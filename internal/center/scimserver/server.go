package scimserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/google/uuid"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/scim"
)

// Prefix is where the server is mounted on the center's listener.
const Prefix = "/scim/v2"

// MaxBodyBytes bounds a request body. The largest valid request, a group
// create with 100 members or a user with every attribute, is far smaller.
const MaxBodyBytes = 1 << 20

// Handler serves the SCIM API. Its fields are its dependencies.
type Handler struct {
	Store  center.Store
	Now    func() time.Time
	Logger *slog.Logger
	// OnUserChange, if set, is called after a user was deactivated or
	// deleted, so that the center can end the user's sessions at once.
	OnUserChange func(ctx context.Context, userID string, active bool)
	// OnMembersRemoved, if set, is called with the users a group PATCH or
	// DELETE may have taken out of a group (a superset is fine: the hook
	// re-checks), so that sessions for access they lost end at once.
	OnMembersRemoved func(ctx context.Context, userIDs []string)
}

// Mount registers the SCIM routes on mux under Prefix.
func (h *Handler) Mount(mux *http.ServeMux) {
	route := func(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
		method, path, _ := strings.Cut(pattern, " ")
		mux.Handle(method+" "+Prefix+path, h.wrap(fn))
	}
	route("GET /Users", h.listUsers)
	route("POST /Users", h.createUser)
	route("GET /Users/{id}", h.getUser)
	route("PUT /Users/{id}", h.putUser)
	route("PATCH /Users/{id}", h.patchUser)
	route("DELETE /Users/{id}", h.deleteUser)
	route("GET /Groups", h.listGroups)
	route("POST /Groups", h.createGroup)
	route("GET /Groups/{id}", h.getGroup)
	route("PATCH /Groups/{id}", h.patchGroup)
	route("DELETE /Groups/{id}", h.deleteGroup)
	route("GET /ServiceProviderConfig", h.serviceProviderConfig)
	route("GET /Schemas", h.listSchemas)
	route("GET /Schemas/{urn}", h.getSchema)
	route("GET /ResourceTypes", h.listResourceTypes)
	route("GET /ResourceTypes/{name}", h.getResourceType)
	// Everything else under the prefix, including PUT /Groups/{id}, /Bulk,
	// /Me and /.search, is an unsupported operation: AWS answers those with
	// a 400 ValidationException rather than 404 or 405.
	mux.Handle(Prefix+"/", h.wrap(h.unsupported))
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

// apiError is an error with the HTTP status to answer it with.
type apiError struct {
	status int
	detail string
}

func (e *apiError) Error() string { return e.detail }

func badRequest(format string, args ...any) error {
	return &apiError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// AWS's detail strings (shared/reference/aws-identity-center.md §1.5, §1.7).
const (
	detailDuplicate = "Refused to create a new, duplicate resource."
	detailNotFound  = "Resource not found."
	detailAuth      = "The bearer token is missing, invalid, expired or revoked."
	detailInternal  = "The request could not be completed because of an internal error."
)

type requestIDKey struct{}

// wrap adds what every SCIM request gets: a request id, the bearer token
// check, the body limit, and errors written in AWS's SCIM error shape.
func (h *Handler) wrap(fn func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := uuid.NewString()
		w.Header().Set("x-amzn-RequestId", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		if err := h.authenticate(r); err != nil {
			h.writeError(w, r, err)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		if err := fn(w, r); err != nil {
			h.writeError(w, r, err)
		}
	})
}

func (h *Handler) authenticate(r *http.Request) error {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return center.ErrUnauthorized
	}
	_, err := center.VerifySCIMToken(r.Context(), h.Store, strings.TrimSpace(token), h.now())
	return err
}

// writeError maps an error to AWS's SCIM error body, in this one place.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, detail := http.StatusInternalServerError, detailInternal
	var ae *apiError
	var ie *center.InvalidError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		status, detail = ae.status, ae.detail
	case errors.As(err, &ie):
		status, detail = http.StatusBadRequest, ie.Msg
	case errors.As(err, &mbe):
		status, detail = http.StatusBadRequest, fmt.Sprintf("The request body exceeds the limit of %d bytes.", MaxBodyBytes)
	case errors.Is(err, center.ErrUnauthorized):
		status, detail = http.StatusUnauthorized, detailAuth
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
	case errors.Is(err, center.ErrNotFound):
		status, detail = http.StatusNotFound, detailNotFound
	case errors.Is(err, center.ErrConflict):
		status, detail = http.StatusConflict, detailDuplicate
	}
	if status >= 500 {
		h.log().ErrorContext(r.Context(), "scim: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	id, _ := r.Context().Value(requestIDKey{}).(string)
	body := scim.Error{
		Schema:             []string{scim.SchemaError},
		Schemas:            []string{scim.SchemaError},
		Detail:             detail,
		Status:             fmt.Sprintf("%d", status),
		ExceptionRequestID: id,
		TimeStamp:          h.now().Format("2006-01-02 15:04:05.000"),
	}
	writeJSON(w, status, body)
}

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// writeJSON answers with AWS's content type, application/json; clients
// accept it as well as application/scim+json.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// readBody reads the whole body and refuses what is not valid UTF-8 JSON:
// encoding/json would silently replace invalid bytes with U+FFFD.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, badRequest("The request body is empty.")
	}
	if !utf8.Valid(b) {
		return nil, badRequest("The request body is not valid UTF-8.")
	}
	if !json.Valid(b) {
		return nil, badRequest("The request body is not valid JSON.")
	}
	return b, nil
}

func (h *Handler) unsupported(w http.ResponseWriter, r *http.Request) error {
	return badRequest("%s %s is not a supported operation.", r.Method, r.URL.Path)
}
