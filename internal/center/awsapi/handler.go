package awsapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// Target prefixes and the SigV4 signing names of the two services.
const (
	PrefixIdentityStore = "AWSIdentityStore"
	PrefixSSOAdmin      = "SWBExternalService"
	signingIdentity     = "identitystore"
	signingSSO          = "sso"
)

// MaxBodyBytes bounds a request body; the largest valid one is an inline
// policy of 32,768 characters.
const MaxBodyBytes = 256 << 10

// Stores is what the API reads and writes: one center store implements all.
type Stores interface {
	center.Store
	center.KeyStore
	center.AccessStore
	StatusStore
}

// StatusStore keeps what sso-admin needs beyond center.AccessStore (see
// centerdb's assignment_status.go): asynchronous request statuses by request
// id (so they survive restarts and the assignments they name), the ABAC
// configuration, and where permission sets are provisioned.
type StatusStore interface {
	// PutRequestStatus records a status doc; the first record of a request
	// id wins.
	PutRequestStatus(ctx context.Context, kind, requestID string, doc []byte, created time.Time) error
	// RequestStatus returns a recorded doc, or center.ErrNotFound.
	RequestStatus(ctx context.Context, kind, requestID string) ([]byte, error)
	AccessControlAttributes(ctx context.Context) ([]byte, time.Time, error)
	// PutAccessControlAttributes creates (center.ErrConflict if one exists)
	// or updates (center.ErrNotFound if none) the ABAC configuration.
	PutAccessControlAttributes(ctx context.Context, doc []byte, create bool, now time.Time) error
	DeleteAccessControlAttributes(ctx context.Context) error
	// ProvisionedAccounts and ProvisionedPermissionSets say where
	// permission sets are provisioned (assigned), sorted.
	ProvisionedAccounts(ctx context.Context, permissionSetARN string) ([]string, error)
	ProvisionedPermissionSets(ctx context.Context, accountID string) ([]string, error)
}

// Handler serves the API at the center's root. Its fields are its
// dependencies.
type Handler struct {
	Store  Stores
	Box    *secret.Box
	Now    func() time.Time
	Logger *slog.Logger

	// The hooks, if set, are called after a change that may take access
	// away, so that sessions relying on it end at once (the portal's
	// handlers of the same names; see scimserver.Handler).
	OnUserChange        func(ctx context.Context, userID string, active bool)
	OnMembersRemoved    func(ctx context.Context, userIDs []string)
	OnAssignmentRemoved func(ctx context.Context, principalType center.PrincipalType, principalID string)

	ops map[string]operation
}

// operation is one API action: it decodes its input and returns its output.
type operation func(ctx context.Context, in []byte) (any, error)

// Mount registers POST / on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	h.ops = map[string]operation{}
	h.identityStoreOps()
	h.ssoAdminOps()
	mux.Handle("POST /{$}", http.HandlerFunc(h.serve))
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) register(prefix, name string, op operation) { h.ops[prefix+"."+name] = op }

// awsError is an error in AWS's JSON 1.1 shape.
type awsError struct {
	typ    string
	msg    string
	status int
	extra  map[string]any
}

func (e *awsError) Error() string { return e.typ + ": " + e.msg }

func validation(format string, args ...any) error {
	return &awsError{typ: "ValidationException", msg: fmt.Sprintf(format, args...), status: 400}
}

func notFound(resourceType, id string) error {
	return &awsError{typ: "ResourceNotFoundException", msg: fmt.Sprintf("%s %s not found", resourceType, id), status: 400,
		extra: map[string]any{"ResourceType": resourceType, "ResourceId": id}}
}

func conflict(msg string) error {
	return &awsError{typ: "ConflictException", msg: msg, status: 400, extra: map[string]any{"Reason": "UNIQUENESS_CONSTRAINT_VIOLATION"}}
}

var (
	errMissingAuth = &awsError{typ: "MissingAuthenticationTokenException", msg: "Missing Authentication Token", status: 403}
	errUnknownKey  = &awsError{typ: "UnrecognizedClientException", msg: "The security token included in the request is invalid.", status: 403}
	errSignature   = &awsError{typ: "InvalidSignatureException", status: 403,
		msg: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."}
	errExpired = &awsError{typ: "InvalidSignatureException", status: 403, msg: "Signature expired: the request's X-Amz-Date is more than 15 minutes from the server's time."}
)

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	reqID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", reqID)
	out, err := h.handle(r)
	if err != nil {
		h.writeError(w, r, err, reqID)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		h.writeError(w, r, err, reqID)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Write(b)
}

func (h *Handler) handle(r *http.Request) (any, error) {
	target := r.Header.Get("X-Amz-Target")
	prefix, _, _ := strings.Cut(target, ".")
	op, ok := h.ops[target]
	if !ok {
		return nil, &awsError{typ: "UnknownOperationException", msg: fmt.Sprintf("unknown operation %q", target), status: 400}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		return nil, &awsError{typ: "SerializationException", msg: "the request body is too large or unreadable", status: 400}
	}
	service := signingIdentity
	if prefix == PrefixSSOAdmin {
		service = signingSSO
	}
	if err := h.authenticate(r, body, service); err != nil {
		return nil, err
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	if !json.Valid(body) {
		return nil, &awsError{typ: "SerializationException", msg: "the request body is not valid JSON", status: 400}
	}
	return op(r.Context(), body)
}

// authenticate verifies the request's SigV4 signature in constant time.
func (h *Handler) authenticate(r *http.Request, body []byte, service string) error {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return errMissingAuth
	}
	s, err := parseAuthorization(auth)
	if err != nil {
		return &awsError{typ: "IncompleteSignatureException", msg: err.Error(), status: 403}
	}
	if s.service != service {
		return &awsError{typ: "InvalidSignatureException", status: 403,
			msg: fmt.Sprintf("Credential should be scoped to correct service: '%s'.", service)}
	}
	amzDate, err := s.checkSigned(r, h.now())
	if err != nil {
		if errors.Is(err, errExpired) {
			return errExpired
		}
		return &awsError{typ: "IncompleteSignatureException", msg: err.Error(), status: 403}
	}
	if p := r.Header.Get("X-Amz-Content-Sha256"); p != "" && p != sha256Hex(body) {
		return errSignature // the body is not the one that was signed
	}
	k, err := h.Store.GetAccessKey(r.Context(), s.accessKey)
	if errors.Is(err, center.ErrNotFound) {
		return errUnknownKey
	}
	if err != nil {
		return err
	}
	sec, err := h.Box.Open(k.SecretSealed, k.ID)
	if err != nil {
		return err
	}
	want := s.expectedSignature(r, body, sec, amzDate)
	if subtle.ConstantTimeCompare([]byte(want), []byte(s.signature)) != 1 {
		return errSignature
	}
	return nil
}

// writeError maps errors to AWS's shape in one place: the __type in the
// body and in x-amzn-ErrorType, the message, HTTP 400 for client errors.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error, reqID string) {
	var ae *awsError
	var ie *center.InvalidError
	var ce *center.ConflictError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &ie):
		ae = &awsError{typ: "ValidationException", msg: ie.Msg, status: 400}
	case errors.As(err, &ce):
		ae = &awsError{typ: "ConflictException", msg: ce.Msg, status: 400}
	case errors.Is(err, center.ErrNotFound):
		ae = &awsError{typ: "ResourceNotFoundException", msg: "The resource was not found.", status: 400}
	case errors.Is(err, center.ErrConflict):
		ae = &awsError{typ: "ConflictException", msg: "The resource already exists.", status: 400,
			extra: map[string]any{"Reason": "UNIQUENESS_CONSTRAINT_VIOLATION"}}
	default:
		h.log().ErrorContext(r.Context(), "awsapi: request failed", "target", r.Header.Get("X-Amz-Target"), "err", err)
		ae = &awsError{typ: "InternalServerException", msg: "An internal error occurred.", status: 500}
	}
	body := map[string]any{"__type": ae.typ, "message": ae.msg, "Message": ae.msg, "RequestId": reqID}
	for k, v := range ae.extra {
		body[k] = v
	}
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-ErrorType", ae.typ)
	w.WriteHeader(ae.status)
	w.Write(b)
}

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// decode reads an operation's input strictly: unknown members are
// refused, as AWS's serializers do.
func decode(in []byte, v any) error {
	d := json.NewDecoder(strings.NewReader(string(in)))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return &awsError{typ: "SerializationException", msg: err.Error(), status: 400}
	}
	return nil
}

// epoch is a timestamp as AWS JSON 1.1 sends it: seconds since the epoch.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func newUUID() string { return uuid.NewString() }

// toDoc turns a user into a generic SCIM document, for path operations.
func toDoc(u *scim.User) (map[string]any, error) {
	b, err := json.Marshal(u)
	if err != nil {
		return nil, err
	}
	doc, err := scim.DecodeDocument(b)
	if err != nil {
		return nil, err
	}
	delete(doc, "meta")
	delete(doc, "id")
	return doc, nil
}

// lowerKeys turns identitystore's PascalCase member names (GivenName) into
// SCIM's camelCase (givenName) inside a value.
func lowerKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[strings.ToLower(k[:1])+k[1:]] = lowerKeys(x)
		}
		return out
	case []any:
		for i := range v {
			v[i] = lowerKeys(v[i])
		}
	}
	return v
}
