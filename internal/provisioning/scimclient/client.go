package scimclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/gatehouse-id/gatehouse/internal/scim"
)

// Entra's provisioning-log error codes for target failures.
const (
	CodeBadRequest   = "SystemForCrossDomainIdentityManagementBadRequest"
	CodeCredentials  = "SystemForCrossDomainIdentityManagementCredentialValidationFailure"
	CodeForbidden    = "InsufficientRights"
	CodeNotFound     = "InvalidAnchor"
	CodeConflict     = "EntryConflict"
	CodeThrottled    = "TooManyRequests"
	CodeServer       = "InternalServerError"
	CodeTimeout      = "Timeout"
	CodeProtocol     = "WebExceptionProtocolError"
	CodeIncompatible = "SystemForCrossDomainIdentityManagementServiceIncompatible"
)

// Error is a failed SCIM request.
type Error struct {
	Method, Path string
	Status       int    // 0 for network errors and timeouts
	Code         string // Entra's error code
	Detail       string // the SCIM error detail, or the transport error
	// Retryable errors may succeed later: 429, 5xx, timeouts, network.
	Retryable  bool
	RetryAfter time.Duration // from a Retry-After header
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("%s %s: %s: %s", e.Method, e.Path, e.Code, e.Detail)
	}
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Detail)
}

// StatusOf returns the HTTP status of a client error, 0 if none.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Client talks to one SCIM target.
type Client struct {
	base  string
	token string
	http  *http.Client
	limit *rate.Limiter
	// MaxAttempts bounds the tries of one request (default 4).
	MaxAttempts int
	// MaxRetryAfter is the longest Retry-After waited in place; a longer
	// one fails the request, which the engine escrows (default 30s).
	MaxRetryAfter time.Duration

	mu         sync.Mutex
	pauseUntil time.Time // set by a 429: the whole target is paused
}

// New returns a client for the SCIM base URL (ending in /scim/v2 or the
// like), bearer token, and requests-per-second limit (0: none).
func New(baseURL, token string, rps float64, timeout time.Duration) *Client {
	lim := rate.NewLimiter(rate.Inf, 1)
	if rps > 0 {
		lim = rate.NewLimiter(rate.Limit(rps), max(1, int(rps)))
	}
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	return &Client{
		base:          strings.TrimRight(baseURL, "/"),
		token:         token,
		http:          &http.Client{Timeout: timeout, Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}},
		limit:         lim,
		MaxAttempts:   4,
		MaxRetryAfter: 30 * time.Second,
	}
}

// Do sends a request and decodes a JSON answer into out (if not nil),
// retrying as described in the package comment.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	var last *Error
	for attempt := 0; attempt < max(1, c.MaxAttempts); attempt++ {
		if attempt > 0 {
			wait := backoff(attempt)
			if last.RetryAfter > 0 {
				wait = last.RetryAfter
			}
			if err := sleep(ctx, wait); err != nil {
				return err
			}
		}
		if err := c.waitTurn(ctx); err != nil {
			return err
		}
		err := c.once(ctx, method, path, payload, out)
		if err == nil {
			return nil
		}
		if !errors.As(err, &last) {
			return err
		}
		if !last.Retryable || last.RetryAfter > c.MaxRetryAfter {
			return last
		}
	}
	return last
}

// backoff is exponential with full jitter: up to 200ms, 400ms, 800ms, ...
// capped at 10s.
func backoff(attempt int) time.Duration {
	ceil := min(10*time.Second, 200*time.Millisecond<<(attempt-1))
	return time.Duration(rand.Int64N(int64(ceil))) + ceil/4
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// waitTurn waits out a target-wide pause (429) and the rate limit.
func (c *Client) waitTurn(ctx context.Context) error {
	c.mu.Lock()
	pause := time.Until(c.pauseUntil)
	c.mu.Unlock()
	if pause > 0 {
		if err := sleep(ctx, pause); err != nil {
			return err
		}
	}
	return c.limit.Wait(ctx)
}

func (c *Client) once(ctx context.Context, method, path string, payload []byte, out any) error {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/scim+json, application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		e := &Error{Method: method, Path: path, Code: CodeProtocol, Detail: err.Error(), Retryable: true}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			e.Code = CodeTimeout
		}
		return e
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return &Error{Method: method, Path: path, Status: res.StatusCode, Code: CodeProtocol, Detail: err.Error(), Retryable: true}
	}
	if res.StatusCode >= 300 {
		return c.failure(method, path, res, b)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return &Error{Method: method, Path: path, Status: res.StatusCode, Code: CodeIncompatible,
				Detail: "cannot parse the response: " + err.Error()}
		}
	}
	return nil
}

func (c *Client) failure(method, path string, res *http.Response, body []byte) *Error {
	e := &Error{Method: method, Path: path, Status: res.StatusCode}
	var se scim.Error
	if json.Unmarshal(body, &se) == nil && se.Detail != "" {
		e.Detail = se.Detail
	} else {
		e.Detail = strings.TrimSpace(string(body))
		if len(e.Detail) > 500 {
			e.Detail = e.Detail[:500]
		}
	}
	switch s := res.StatusCode; {
	case s == http.StatusUnauthorized:
		e.Code = CodeCredentials
	case s == http.StatusForbidden:
		e.Code = CodeForbidden
	case s == http.StatusNotFound:
		e.Code = CodeNotFound
	case s == http.StatusConflict:
		e.Code = CodeConflict
	case s == http.StatusTooManyRequests:
		e.Code, e.Retryable = CodeThrottled, true
		e.RetryAfter = retryAfter(res.Header.Get("Retry-After"))
		if e.RetryAfter == 0 {
			e.RetryAfter = time.Second
		}
		c.mu.Lock()
		if until := time.Now().Add(min(e.RetryAfter, c.MaxRetryAfter)); until.After(c.pauseUntil) {
			c.pauseUntil = until
		}
		c.mu.Unlock()
	case s >= 500:
		e.Code, e.Retryable = CodeServer, true
		e.RetryAfter = retryAfter(res.Header.Get("Retry-After"))
	default:
		e.Code = CodeBadRequest
	}
	return e
}

// retryAfter reads delay-seconds or an HTTP date (RFC 9110 §10.2.3).
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}

// --- resources ---

// Doc is a SCIM resource as a generic JSON document.
type Doc = map[string]any

// Get reads a resource, e.g. Get(ctx, "Users", id).
func (c *Client) Get(ctx context.Context, resource, id string) (Doc, error) {
	var d Doc
	err := c.Do(ctx, http.MethodGet, "/"+resource+"/"+url.PathEscape(id), nil, &d)
	return d, err
}

// Create posts a resource and returns the created one.
func (c *Client) Create(ctx context.Context, resource string, body Doc) (Doc, error) {
	var d Doc
	err := c.Do(ctx, http.MethodPost, "/"+resource, body, &d)
	return d, err
}

// Patch sends PATCH operations.
func (c *Client) Patch(ctx context.Context, resource, id string, ops []Op) error {
	body := map[string]any{"schemas": []string{scim.SchemaPatchOp}, "Operations": ops}
	return c.Do(ctx, http.MethodPatch, "/"+resource+"/"+url.PathEscape(id), body, nil)
}

// Delete deletes a resource.
func (c *Client) Delete(ctx context.Context, resource, id string) error {
	return c.Do(ctx, http.MethodDelete, "/"+resource+"/"+url.PathEscape(id), nil, nil)
}

// Op is one PATCH operation as sent.
type Op struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

type listPage struct {
	TotalResults *int              `json:"totalResults"`
	ItemsPerPage int               `json:"itemsPerPage"`
	StartIndex   int               `json:"startIndex"`
	NextCursor   string            `json:"nextCursor"`
	Resources    []json.RawMessage `json:"Resources"`
}

// Find returns the resources matching a filter (first page of up to 100;
// a match filter selects at most a few).
func (c *Client) Find(ctx context.Context, resource, filter string) ([]Doc, error) {
	q := url.Values{"filter": {filter}, "count": {"100"}}
	var p listPage
	if err := c.Do(ctx, http.MethodGet, "/"+resource+"?"+q.Encode(), nil, &p); err != nil {
		return nil, err
	}
	return decodeDocs(p.Resources)
}

func decodeDocs(raw []json.RawMessage) ([]Doc, error) {
	out := make([]Doc, 0, len(raw))
	for _, r := range raw {
		d, err := scim.DecodeDocument(r)
		if err != nil {
			return nil, &Error{Code: CodeIncompatible, Detail: "cannot parse a resource: " + err.Error()}
		}
		out = append(out, d)
	}
	return out, nil
}

// Each calls fn for every resource matching filter (all if empty), page by
// page: AWS's cursor mode when cursor is true, else startIndex paging.
func (c *Client) Each(ctx context.Context, resource, filter string, cursor bool, fn func(Doc) error) error {
	next, start := "", 1
	for {
		q := url.Values{"count": {"100"}}
		if filter != "" {
			q.Set("filter", filter)
		}
		path := "/" + resource + "?"
		if cursor {
			// The first request carries an empty cursor; url.Values would
			// drop it, so it is written by hand.
			path += "cursor=" + url.QueryEscape(next) + "&" + q.Encode()
		} else {
			q.Set("startIndex", strconv.Itoa(start))
			path += q.Encode()
		}
		var p listPage
		if err := c.Do(ctx, http.MethodGet, path, nil, &p); err != nil {
			return err
		}
		docs, err := decodeDocs(p.Resources)
		if err != nil {
			return err
		}
		for _, d := range docs {
			if err := fn(d); err != nil {
				return err
			}
		}
		if cursor {
			if p.NextCursor == "" {
				return nil
			}
			next = p.NextCursor
			continue
		}
		start += len(docs)
		if len(docs) == 0 || p.TotalResults == nil || start > *p.TotalResults {
			return nil
		}
	}
}

// TestConnection does what Entra's Test Connection does: query the matching
// attribute for a random value, expecting 200 and no result.
func (c *Client) TestConnection(ctx context.Context, matchAttr string) error {
	probe := fmt.Sprintf("%x-%x", rand.Uint64(), rand.Uint64())
	docs, err := c.Find(ctx, "Users", fmt.Sprintf("%s eq %q", matchAttr, probe))
	if err != nil {
		return err
	}
	if len(docs) != 0 {
		return &Error{Method: "GET", Path: "/Users", Status: 200, Code: CodeIncompatible,
			Detail: "a filter for a random value returned results; the target does not filter"}
	}
	return nil
}
