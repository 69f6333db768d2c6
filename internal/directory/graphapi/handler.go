package graphapi

import (
	"context"
	"encoding/json"
	"github.com/google/uuid"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
)

// Prefix is where the API is mounted on the directory's listener, so that
// https://graph.microsoft.com/v1.0/... becomes <directory URL>/v1.0/...
const Prefix = "/v1.0"

// MaxBodyBytes bounds a request body; the largest valid request, a group
// created with its members, is far smaller.
const MaxBodyBytes = 1 << 20

// Handler serves the Graph-compatible admin API. Its fields are its
// dependencies.
type Handler struct {
	Store directory.Store
	// Tokens checks bearer tokens. When nil, Store is used if it is also a
	// TokenStore (directorydb.Store is); otherwise every request is refused.
	Tokens directory.TokenStore
	Now    func() time.Time
	Logger *slog.Logger
	// BaseURL is the directory's external URL, such as
	// https://login.example.com (a trailing /v1.0 is accepted too); it
	// prefixes @odata.context and @odata.nextLink. When empty, the scheme
	// and Host of each request are used.
	BaseURL string
	// Provisioning, when set, serves the synchronization API (jobs,
	// provisionOnDemand) and the provisioning logs.
	Provisioning *provisioning.Engine
	// Audit, when set, serves the audit log at auditLogs/directoryAudits.
	Audit *audit.Log
}

// Mount registers the API's routes on mux under Prefix.
func (h *Handler) Mount(mux *http.ServeMux) {
	// paths holds every route's path without its method, so that the
	// catch-all can tell a wrong method (405) from an unknown path (400).
	paths := http.NewServeMux()
	seen := map[string]bool{}
	route := func(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
		method, path, _ := strings.Cut(pattern, " ")
		mux.Handle(method+" "+Prefix+path, h.wrap(fn))
		if !seen[path] {
			seen[path] = true
			paths.Handle(Prefix+path, http.NotFoundHandler())
		}
	}
	route("GET /users", h.listUsers)
	route("POST /users", h.createUser)
	route("GET /users/{id}", h.getUser)
	route("PATCH /users/{id}", h.patchUser)
	route("DELETE /users/{id}", h.deleteUser)
	route("GET /users/{id}/memberOf", h.userMemberOf)
	route("GET /users/{id}/transitiveMemberOf", h.userTransitiveMemberOf)
	route("GET /users/{id}/ownedObjects", h.listOwnedObjects)
	route("GET /users/{id}/manager", h.getManager)
	route("PUT /users/{id}/manager/$ref", h.putManager)
	route("DELETE /users/{id}/manager/$ref", h.deleteManager)

	route("GET /groups", h.listGroups)
	route("POST /groups", h.createGroup)
	route("GET /groups/{id}", h.getGroup)
	route("PATCH /groups/{id}", h.patchGroup)
	route("DELETE /groups/{id}", h.deleteGroup)
	route("GET /groups/{id}/members", h.listMembers)
	route("GET /groups/{id}/members/{cast}", h.listMembersCast)
	route("GET /groups/{id}/transitiveMembers", h.listTransitiveMembers)
	route("POST /groups/{id}/members/$ref", h.addMember)
	route("DELETE /groups/{id}/members/{mid}/$ref", h.removeMember)
	route("GET /groups/{id}/memberOf", h.groupMemberOf)
	route("GET /groups/{id}/owners", h.listOwners)
	route("GET /groups/{id}/owners/{cast}", h.listOwnersCast)
	route("POST /groups/{id}/owners/$ref", h.addOwner)
	route("DELETE /groups/{id}/owners/{mid}/$ref", h.removeOwner)
	route("GET /groups/{id}/transitiveMemberOf", h.groupTransitiveMemberOf)

	route("GET /directoryObjects/{id}", h.getDirectoryObject)
	h.mountSync(route)
	// Graph's documentation spells the segment both deletedItems and
	// deleteditems; path segments are case-insensitive there.
	for _, d := range []string{"deletedItems", "deleteditems"} {
		route("GET /directory/"+d+"/microsoft.graph.user", h.listDeletedUsers)
		route("GET /directory/"+d+"/microsoft.graph.group", h.listDeletedGroups)
		route("GET /directory/"+d+"/{id}", h.getDeletedItem)
		route("POST /directory/"+d+"/{id}/restore", h.restoreDeletedItem)
		route("DELETE /directory/"+d+"/{id}", h.purgeDeletedItem)
	}
	mux.Handle(Prefix+"/", h.wrap(func(w http.ResponseWriter, r *http.Request) error {
		if _, pattern := paths.Handler(r); pattern != "" {
			return errMethod
		}
		seg := strings.TrimPrefix(r.URL.Path, Prefix+"/")
		seg, _, _ = strings.Cut(seg, "/")
		if seg == "me" {
			// Graph's answer to /me with an application token, which is what
			// an API token is: there is no signed-in user.
			return badRequest("/me request is only valid with delegated authentication flow.")
		}
		return &graphError{status: http.StatusBadRequest, code: codeSegment,
			msg: "Resource not found for the segment '" + seg + "'."}
	}))
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

type idsKey struct{}

// reqIDs are Graph's request-id (ours) and client-request-id (the client's,
// echoed, or ours when it sent none).
type reqIDs struct{ request, client string }

func requestIDs(r *http.Request) reqIDs {
	ids, _ := r.Context().Value(idsKey{}).(reqIDs)
	return ids
}

// wrap adds what every request gets: request ids in headers and context,
// the bearer token check, the body limit, and errors in Graph's shape.
func (h *Handler) wrap(fn func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ids := reqIDs{request: uuid.NewString()}
		ids.client = r.Header.Get("client-request-id")
		if ids.client == "" || len(ids.client) > 128 {
			ids.client = ids.request
		}
		w.Header().Set("request-id", ids.request)
		w.Header().Set("client-request-id", ids.client)
		r = r.WithContext(context.WithValue(r.Context(), idsKey{}, ids))
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

// apiBase is the URL of the API's root, ending in /v1.0.
func (h *Handler) apiBase(r *http.Request) string {
	if h.BaseURL != "" {
		return strings.TrimSuffix(strings.TrimRight(h.BaseURL, "/"), Prefix) + Prefix
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Prefix
}

// contextURL is the @odata.context of a response: <base>/$metadata#<what>.
func (h *Handler) contextURL(r *http.Request, what string) string {
	return h.apiBase(r) + "/$metadata#" + what
}

// contentType is Graph's JSON media type.
const contentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(status)
	w.Write(b)
}

// writeEntity answers one object with its @odata.context first.
func (h *Handler) writeEntity(w http.ResponseWriter, r *http.Request, status int, context string, o object) {
	writeJSON(w, status, append(object{{"@odata.context", h.contextURL(r, context)}}, o...))
}

// writeCollection answers a page of a collection.
func (h *Handler) writeCollection(w http.ResponseWriter, r *http.Request, context string, q *query, page []object, next string) {
	if page == nil {
		page = []object{}
	}
	for i := range page {
		page[i] = project(page[i], q.sel)
	}
	body := object{{"@odata.context", h.contextURL(r, context+q.contextSuffix())}}
	if next != "" {
		path := strings.TrimPrefix(r.URL.EscapedPath(), Prefix)
		body = append(body, field{"@odata.nextLink", q.nextLink(h.apiBase(r), path, next)})
	}
	writeJSON(w, http.StatusOK, append(body, field{"value", page}))
}

// readObject reads a JSON object body. Nothing is changed before the body
// is read whole and found valid.
func readObject(r *http.Request) (map[string]json.RawMessage, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, badRequest("Empty Payload. JSON content expected.")
	}
	if !utf8.Valid(b) {
		return nil, badRequest("The request body is not valid UTF-8.")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, badRequest(msgBadJSON)
	}
	return m, nil
}
