package graphapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// Graph's error codes (https://learn.microsoft.com/graph/errors and the
// answers Graph gives for directory objects).
const (
	codeBadRequest       = "Request_BadRequest"
	codeNotFound         = "Request_ResourceNotFound"
	codeUnsupportedQuery = "Request_UnsupportedQuery"
	codeInvalidToken     = "InvalidAuthenticationToken"
	codeSegment          = "BadRequest" // an unknown URL segment
	codeTooLarge         = "RequestEntityTooLarge"
	codeInternal         = "generalException"
)

// Graph's messages for the errors clients and scripts most often meet.
const (
	msgEmptyToken     = "Access token is empty."
	msgInvalidToken   = "Access token validation failure."
	msgUPNConflict    = "Another object with the same value for property userPrincipalName already exists."
	msgMemberConflict = "One or more added object references already exist for the following modified properties: 'members'."
	msgOwnerConflict  = "One or more added object references already exist for the following modified properties: 'owners'."
	msgMethod         = "Specified HTTP method is not allowed for the request target."
	msgBadJSON        = "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."
	msgInternal       = "An unspecified error has occurred."
)

// graphError is an error with its HTTP status and Graph code.
type graphError struct {
	status  int
	code    string
	msg     string
	details []detail
}

// detail is an entry of Graph's "details" array (ObjectConflict on
// userPrincipalName, InvalidValue on an attribute).
type detail struct {
	Code   string `json:"code"`
	Target string `json:"target"`
}

func (e *graphError) Error() string { return e.code + ": " + e.msg }

func badRequest(format string, args ...any) *graphError {
	return &graphError{status: http.StatusBadRequest, code: codeBadRequest, msg: fmt.Sprintf(format, args...)}
}

func unsupportedQuery(format string, args ...any) *graphError {
	return &graphError{status: http.StatusBadRequest, code: codeUnsupportedQuery, msg: fmt.Sprintf(format, args...)}
}

// notFound is Graph's 404 for a directory object (or a navigation such as
// 'manager') named in the request.
func notFound(resource string) *graphError {
	return &graphError{status: http.StatusNotFound, code: codeNotFound,
		msg: fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", resource)}
}

var (
	errEmptyToken   = &graphError{status: http.StatusUnauthorized, code: codeInvalidToken, msg: msgEmptyToken}
	errInvalidToken = &graphError{status: http.StatusUnauthorized, code: codeInvalidToken, msg: msgInvalidToken}
	errMethod       = &graphError{status: http.StatusMethodNotAllowed, code: codeBadRequest, msg: msgMethod}
)

// errUnchanged aborts an update whose result equals the stored object, so
// that a PATCH changing nothing writes nothing (and appends no outbox
// record); the handler answers 204 as for any PATCH.
var errUnchanged = errors.New("unchanged")

// toGraphError maps any error to Graph's wire form. It is the one place
// where domain errors meet HTTP:
//
//  1. *graphError: as built by the handler.
//  2. *directory.AttrError: 400 Request_BadRequest naming the attribute,
//     with an InvalidValue detail.
//  3. directory.ErrInvalid (cycles, restoring onto a taken UPN): 400.
//  4. directory.ErrConflict: 400 as Graph answers it: on a members or
//     owners $ref, the "already exist ... 'members'" ('owners') message; on users, the
//     userPrincipalName ObjectConflict.
//  5. directory.ErrNotFound: 404 naming the object of the route (the member
//     or owner for .../members/{memberId}/$ref and .../owners/{ownerId}/$ref,
//     else {id}).
//  6. a body over MaxBodyBytes: 413.
//  7. anything else: 500, logged.
func toGraphError(r *http.Request, err error) *graphError {
	var ge *graphError
	var ae *directory.AttrError
	var ie *directory.InvalidError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ge):
		return ge
	case errors.As(err, &ae):
		return &graphError{status: http.StatusBadRequest, code: codeBadRequest, msg: ae.Error(),
			details: []detail{{Code: "InvalidValue", Target: ae.Attr}}}
	case errors.As(err, &ie):
		return badRequest("%s", ie.Msg)
	case errors.Is(err, directory.ErrInvalid):
		return badRequest("%s", err.Error())
	case errors.Is(err, directory.ErrConflict):
		if strings.Contains(r.Pattern, "/members/$ref") {
			return badRequest(msgMemberConflict)
		}
		if strings.Contains(r.Pattern, "/owners/$ref") {
			return badRequest(msgOwnerConflict)
		}
		if strings.Contains(r.Pattern, "/users") {
			return &graphError{status: http.StatusBadRequest, code: codeBadRequest, msg: msgUPNConflict,
				details: []detail{{Code: "ObjectConflict", Target: "userPrincipalName"}}}
		}
		return badRequest("The request conflicts with an existing object.")
	case errors.Is(err, directory.ErrNotFound):
		if m := r.PathValue("mid"); m != "" {
			return notFound(m)
		}
		return notFound(r.PathValue("id"))
	case errors.As(err, &mbe):
		return &graphError{status: http.StatusRequestEntityTooLarge, code: codeTooLarge,
			msg: fmt.Sprintf("The request body exceeds the limit of %d bytes.", MaxBodyBytes)}
	}
	return &graphError{status: http.StatusInternalServerError, code: codeInternal, msg: msgInternal}
}

// errorBody is Graph's error document.
type errorBody struct {
	Error errorInner `json:"error"`
}

type errorInner struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	Details    []detail   `json:"details,omitempty"`
	InnerError innerError `json:"innerError"`
}

type innerError struct {
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id"`
}

// writeError answers err in Graph's shape.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ge := toGraphError(r, err)
	if ge.status >= 500 {
		h.log().ErrorContext(r.Context(), "graph: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if ge.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", error="invalid_token"`)
	}
	ids := requestIDs(r)
	writeJSON(w, ge.status, errorBody{Error: errorInner{
		Code:    ge.code,
		Message: ge.msg,
		Details: ge.details,
		InnerError: innerError{
			Date:            h.now().Format("2006-01-02T15:04:05"),
			RequestID:       ids.request,
			ClientRequestID: ids.client,
		},
	}})
}
