package scimclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// target is an httptest SCIM server whose answers a test scripts; it
// records every request it receives with its arrival time.
type target struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex
	got []seen
	// answer handles request n (0-based).
	answer func(n int, w http.ResponseWriter, r *http.Request)
}

type seen struct {
	method, uri, auth, contentType string
	body                           string
	at                             time.Time
	answered                       time.Time
}

func newTarget(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *target {
	tg := &target{t: t, answer: answer}
	tg.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		tg.mu.Lock()
		i := len(tg.got)
		tg.got = append(tg.got, seen{method: r.Method, uri: r.URL.RequestURI(), auth: r.Header.Get("Authorization"),
			contentType: r.Header.Get("Content-Type"), body: string(b), at: time.Now()})
		tg.mu.Unlock()
		tg.answer(i, w, r)
		tg.mu.Lock()
		tg.got[i].answered = time.Now()
		tg.mu.Unlock()
	}))
	t.Cleanup(tg.srv.Close)
	return tg
}

func (tg *target) requests() []seen {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]seen(nil), tg.got...)
}

func (tg *target) client() *Client { return New(tg.srv.URL+"/scim/v2", "tok", 0, 5*time.Second) }

func status(w http.ResponseWriter, code int, headers ...string) {
	for i := 0; i+1 < len(headers); i += 2 {
		w.Header().Set(headers[i], headers[i+1])
	}
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"%d","detail":"answer %d"}`, code, code)
}

func ok(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.Write([]byte(body))
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *scimclient.Error", err, err)
	}
	return e
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			status(w, 429, "Retry-After", "1")
			return
		}
		ok(w, `{"id":"u1"}`)
	})
	c := tg.client()
	var d Doc
	if err := c.Do(context.Background(), "GET", "/Users/u1", nil, &d); err != nil {
		t.Fatal(err)
	}
	reqs := tg.requests()
	if len(reqs) != 2 || d["id"] != "u1" {
		t.Fatalf("%d requests, doc %v; want the 429 then a success", len(reqs), d)
	}
	if gap := reqs[1].at.Sub(reqs[0].answered); gap < time.Second {
		t.Fatalf("retried %v after a 429 with Retry-After: 1", gap)
	}
}

// A 429 pauses the whole client: a request for another object waits too.
func TestThrottlePausesTheWholeClient(t *testing.T) {
	t.Parallel()
	tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			status(w, 429, "Retry-After", "1")
			return
		}
		ok(w, `{"id":"x"}`)
	})
	c := tg.client()
	c.MaxAttempts = 1
	err := c.Do(context.Background(), "GET", "/Users/a", nil, nil)
	e := asError(t, err)
	if e.Status != 429 || e.Code != CodeThrottled || !e.Retryable || e.RetryAfter != time.Second {
		t.Fatalf("error = %+v", e)
	}
	if err := c.Do(context.Background(), "GET", "/Groups/b", nil, nil); err != nil {
		t.Fatal(err)
	}
	reqs := tg.requests()
	if len(reqs) != 2 || reqs[1].uri != "/scim/v2/Groups/b" {
		t.Fatalf("requests = %+v", reqs)
	}
	if gap := reqs[1].at.Sub(reqs[0].answered); gap < time.Second {
		t.Fatalf("another request went %v after the 429, inside the Retry-After pause", gap)
	}
}

// A Retry-After longer than MaxRetryAfter is not waited in place: the
// request fails at once (the engine escrows it), and the client pauses only
// up to MaxRetryAfter.
func TestLongRetryAfterFailsTheRequest(t *testing.T) {
	tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) { status(w, 429, "Retry-After", "120") })
	c := tg.client()
	c.MaxRetryAfter = 300 * time.Millisecond
	before := time.Now()
	err := c.Do(context.Background(), "POST", "/Users", Doc{"userName": "a"}, nil)
	e := asError(t, err)
	if e.RetryAfter != 120*time.Second || !e.Retryable || e.Code != CodeThrottled {
		t.Fatalf("error = %+v", e)
	}
	if n := len(tg.requests()); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
	c.mu.Lock()
	pause := c.pauseUntil.Sub(before)
	c.mu.Unlock()
	if pause <= 0 || pause > c.MaxRetryAfter+time.Second {
		t.Fatalf("client paused %v, want at most MaxRetryAfter (%v)", pause, c.MaxRetryAfter)
	}
}

func TestRetryAfterValues(t *testing.T) {
	for _, tc := range []struct {
		v        string
		min, max time.Duration
	}{
		{"", 0, 0},
		{"0", 0, 0},
		{"7", 7 * time.Second, 7 * time.Second},
		{"-3", 0, 0},
		{"soon", 0, 0},
		{time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat), 80 * time.Second, 90 * time.Second},
		{time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0, 0},
	} {
		if got := retryAfter(tc.v); got < tc.min || got > tc.max {
			t.Errorf("Retry-After %q = %v, want %v..%v", tc.v, got, tc.min, tc.max)
		}
	}
	// A 429 without Retry-After waits a second.
	tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) { status(w, 429) })
	c := tg.client()
	c.MaxAttempts = 1
	if e := asError(t, c.Do(context.Background(), "GET", "/Users", nil, nil)); e.RetryAfter != time.Second {
		t.Fatalf("RetryAfter = %v, want 1s", e.RetryAfter)
	}
}

func TestServerErrorsRetriedWithBackoff(t *testing.T) {
	t.Parallel()
	tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n < 2 {
			status(w, 500+n*3) // 500, then 503
			return
		}
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(201)
		w.Write([]byte(`{"id":"new"}`))
	})
	c := tg.client()
	d, err := c.Create(context.Background(), "Users", Doc{"userName": "a"})
	if err != nil {
		t.Fatal(err)
	}
	reqs := tg.requests()
	if len(reqs) != 3 || d["id"] != "new" {
		t.Fatalf("%d requests, doc %v", len(reqs), d)
	}
	// Every attempt sends the same body.
	for _, r := range reqs {
		if r.method != "POST" || r.body != `{"userName":"a"}` {
			t.Fatalf("attempt %+v", r)
		}
	}
	// Backoff with jitter: at least a quarter of 200ms, then of 400ms.
	if g := reqs[1].at.Sub(reqs[0].answered); g < 50*time.Millisecond {
		t.Fatalf("first retry after %v", g)
	}
	if g := reqs[2].at.Sub(reqs[1].answered); g < 100*time.Millisecond {
		t.Fatalf("second retry after %v", g)
	}
	for attempt := 1; attempt <= 8; attempt++ {
		ceil := min(10*time.Second, 200*time.Millisecond<<(attempt-1))
		for range 20 {
			if b := backoff(attempt); b < ceil/4 || b >= ceil+ceil/4 {
				t.Fatalf("backoff(%d) = %v outside [%v, %v)", attempt, b, ceil/4, ceil+ceil/4)
			}
		}
	}
}

func TestServerErrorsGiveUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) { status(w, 502) })
	c := tg.client()
	e := asError(t, c.Patch(context.Background(), "Users", "u1", []Op{{Op: "replace", Path: "active", Value: false}}))
	if n := len(tg.requests()); n != c.MaxAttempts || n != 4 {
		t.Fatalf("%d attempts, want 4", n)
	}
	if e.Status != 502 || e.Code != CodeServer || !e.Retryable || e.Detail != "answer 502" {
		t.Fatalf("error = %+v", e)
	}
	if got := e.Error(); got != "PATCH /Users/u1: 502 InternalServerError: answer 502" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestTimeoutsRetried(t *testing.T) {
	t.Parallel()
	slow := func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers; the client gives up
	}
	tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			slow(w, r)
			return
		}
		ok(w, `{"id":"u1"}`)
	})
	c := New(tg.srv.URL, "tok", 0, 200*time.Millisecond)
	d, err := c.Get(context.Background(), "Users", "u1")
	if err != nil || d["id"] != "u1" {
		t.Fatalf("doc %v, err %v", d, err)
	}
	if n := len(tg.requests()); n != 2 {
		t.Fatalf("%d requests, want a timeout then a success", n)
	}

	always := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) { slow(w, r) })
	c = New(always.srv.URL, "tok", 0, 100*time.Millisecond)
	c.MaxAttempts = 2
	e := asError(t, c.Delete(context.Background(), "Users", "u1"))
	if e.Status != 0 || e.Code != CodeTimeout || !e.Retryable {
		t.Fatalf("error = %+v", e)
	}
	if n := len(always.requests()); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
}

// A cancelled context stops retrying at once and is not a target error.
func TestContextCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) {
		cancel()
		status(w, 429, "Retry-After", "10")
	})
	err := tg.client().Do(ctx, "GET", "/Users", nil, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(tg.requests()); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

func TestBadRequestNotRetried(t *testing.T) {
	tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(400)
		w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidValue",` +
			`"detail":"The attribute userName may not contain whitespace or control characters."}`))
	})
	_, err := tg.client().Create(context.Background(), "Users", Doc{"userName": "a b"})
	e := asError(t, err)
	if n := len(tg.requests()); n != 1 {
		t.Fatalf("%d requests, want 1: a 400 is not retried", n)
	}
	if e.Status != 400 || e.Code != CodeBadRequest || e.Retryable ||
		e.Detail != "The attribute userName may not contain whitespace or control characters." {
		t.Fatalf("error = %+v", e)
	}
	if StatusOf(err) != 400 || StatusOf(errors.New("x")) != 0 || StatusOf(fmt.Errorf("wrapped: %w", err)) != 400 {
		t.Fatal("StatusOf")
	}
}

// Every status gets Entra's provisioning-log error code.
func TestErrorCodes(t *testing.T) {
	for _, tc := range []struct {
		status    int
		body      string
		code      string
		retryable bool
		detail    string
	}{
		{400, "", CodeBadRequest, false, ""},
		{401, "", CodeCredentials, false, ""},
		{403, "", CodeForbidden, false, ""},
		{404, "", CodeNotFound, false, ""},
		{409, "", CodeConflict, false, ""},
		{422, "", CodeBadRequest, false, ""},
		{429, "", CodeThrottled, true, ""},
		{500, "", CodeServer, true, ""},
		{502, "", CodeServer, true, ""},
		{503, "", CodeServer, true, ""},
		{504, "", CodeServer, true, ""},
		// A body that is not a SCIM error is kept, trimmed, as the detail.
		{500, "  <html>gateway exploded</html>\n", CodeServer, true, "<html>gateway exploded</html>"},
		{409, strings.Repeat("x", 700), CodeConflict, false, strings.Repeat("x", 500)},
	} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if tc.body != "" {
					w.WriteHeader(tc.status)
					w.Write([]byte(tc.body))
					return
				}
				status(w, tc.status, "Retry-After", "0")
			})
			c := tg.client()
			c.MaxAttempts = 1
			e := asError(t, c.Do(context.Background(), "GET", "/Users/x", nil, nil))
			if e.Status != tc.status || e.Code != tc.code || e.Retryable != tc.retryable {
				t.Fatalf("error = %+v, want code %s retryable %v", e, tc.code, tc.retryable)
			}
			want := tc.detail
			if want == "" {
				want = fmt.Sprintf("answer %d", tc.status)
			}
			if e.Detail != want {
				t.Fatalf("detail = %q, want %q", e.Detail, want)
			}
		})
	}

	t.Run("network", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close() // nothing listens there now
		c := New("http://"+addr, "tok", 0, time.Second)
		c.MaxAttempts = 1
		e := asError(t, c.Do(context.Background(), "GET", "/Users", nil, nil))
		if e.Status != 0 || e.Code != CodeProtocol || !e.Retryable {
			t.Fatalf("error = %+v", e)
		}
	})
	t.Run("unparseable", func(t *testing.T) {
		tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) { ok(w, `<html>`) })
		_, err := tg.client().Get(context.Background(), "Users", "x")
		if e := asError(t, err); e.Code != CodeIncompatible || e.Retryable || e.Status != 200 {
			t.Fatalf("error = %+v", e)
		}
		if n := len(tg.requests()); n != 1 {
			t.Fatalf("%d requests", n)
		}
	})
}

func TestRequestShape(t *testing.T) {
	tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	c := New(tg.srv.URL+"/scim/v2/", "s3cret", 0, time.Second)
	if err := c.Patch(context.Background(), "Groups", "g/1", []Op{{Op: "add", Path: "members", Value: []map[string]string{{"value": "u1"}}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(context.Background(), "Users", "u 1"); err != nil {
		t.Fatal(err)
	}
	reqs := tg.requests()
	p := reqs[0]
	if p.method != "PATCH" || p.uri != "/scim/v2/Groups/g%2F1" || p.auth != "Bearer s3cret" || p.contentType != "application/scim+json" {
		t.Fatalf("patch request %+v", p)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(p.body), &body); err != nil {
		t.Fatal(err)
	}
	want := `{"Operations":[{"op":"add","path":"members","value":[{"value":"u1"}]}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`
	if b, _ := json.Marshal(body); string(b) != want {
		t.Fatalf("patch body %s", b)
	}
	if d := reqs[1]; d.method != "DELETE" || d.uri != "/scim/v2/Users/u%201" || d.contentType != "" {
		t.Fatalf("delete request %+v", d)
	}
}

// --- paging ---

func userList(ids []string, extra string) string {
	var rs []string
	for _, id := range ids {
		rs = append(rs, fmt.Sprintf(`{"id":%q,"userName":"%s@example.com"}`, id, id))
	}
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"Resources":[` + strings.Join(rs, ",") + `]` + extra + `}`
}

func ids(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("u%03d", i))
	}
	return out
}

func collect(t *testing.T, c *Client, filter string, cursor bool) []string {
	t.Helper()
	var got []string
	if err := c.Each(context.Background(), "Users", filter, cursor, func(d Doc) error {
		got = append(got, d["id"].(string))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestEachCursorPaging(t *testing.T) {
	pages := map[string]string{
		"":   userList(ids(0, 100), `,"itemsPerPage":100,"nextCursor":"c1"`),
		"c1": userList(ids(100, 200), `,"itemsPerPage":100,"nextCursor":"c2"`),
		"c2": userList(ids(200, 230), `,"itemsPerPage":30`),
	}
	tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) {
		cur, has := r.URL.Query()["cursor"]
		if !has || r.URL.Query().Get("count") != "100" || r.URL.Query().Get("filter") != `groups.value eq "g1"` {
			status(w, 400)
			return
		}
		ok(w, pages[cur[0]])
	})
	got := collect(t, tg.client(), `groups.value eq "g1"`, true)
	if strings.Join(got, ",") != strings.Join(ids(0, 230), ",") {
		t.Fatalf("visited %d resources: %v", len(got), got)
	}
	reqs := tg.requests()
	if len(reqs) != 3 || !strings.HasPrefix(reqs[0].uri, "/scim/v2/Users?cursor=&") || !strings.Contains(reqs[2].uri, "cursor=c2") {
		t.Fatalf("requests %+v", reqs)
	}
}

func TestEachStartIndexPaging(t *testing.T) {
	all := ids(0, 250)
	tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if _, has := r.URL.Query()["cursor"]; has || r.URL.Query().Has("filter") {
			status(w, 400)
			return
		}
		start, _ := strconv.Atoi(r.URL.Query().Get("startIndex"))
		count, _ := strconv.Atoi(r.URL.Query().Get("count"))
		end := min(len(all), start-1+count)
		ok(w, userList(all[start-1:end], fmt.Sprintf(`,"totalResults":%d,"startIndex":%d,"itemsPerPage":%d`, len(all), start, end-start+1)))
	})
	got := collect(t, tg.client(), "", false)
	if strings.Join(got, ",") != strings.Join(all, ",") {
		t.Fatalf("visited %d resources", len(got))
	}
	var starts []string
	for _, r := range tg.requests() {
		starts = append(starts, r.uri[strings.Index(r.uri, "startIndex="):])
	}
	if strings.Join(starts, " ") != "startIndex=1 startIndex=101 startIndex=201" {
		t.Fatalf("pages asked: %v", starts)
	}
}

// A server that pages less than asked, or claims more than it has, does not
// make Each loop or skip resources.
func TestEachStartIndexShortPagesAndLies(t *testing.T) {
	all := ids(0, 45)
	tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) {
		start, _ := strconv.Atoi(r.URL.Query().Get("startIndex"))
		end := min(len(all), start-1+20) // pages of 20, whatever count says
		if start > len(all) {
			ok(w, userList(nil, `,"totalResults":1000`))
			return
		}
		ok(w, userList(all[start-1:end], `,"totalResults":1000`))
	})
	got := collect(t, tg.client(), "", false)
	if strings.Join(got, ",") != strings.Join(all, ",") {
		t.Fatalf("visited %v", got)
	}
	if n := len(tg.requests()); n != 4 {
		t.Fatalf("%d requests, want 4 (3 pages and an empty one)", n)
	}

	// No totalResults: one page only.
	tg = newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) { ok(w, userList(ids(0, 3), "")) })
	if got := collect(t, tg.client(), "", false); len(got) != 3 || len(tg.requests()) != 1 {
		t.Fatalf("visited %v in %d requests", got, len(tg.requests()))
	}
}

func TestEachStopsOnCallbackError(t *testing.T) {
	tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) {
		ok(w, userList(ids(0, 100), `,"nextCursor":"more"`))
	})
	stop := errors.New("stop")
	seen := 0
	err := tg.client().Each(context.Background(), "Users", "", true, func(Doc) error {
		seen++
		if seen == 5 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || seen != 5 || len(tg.requests()) != 1 {
		t.Fatalf("err %v after %d resources and %d requests", err, seen, len(tg.requests()))
	}
}

func TestFind(t *testing.T) {
	tg := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("filter") != `userName eq "a@example.com"` {
			status(w, 400)
			return
		}
		ok(w, userList([]string{"a"}, `,"totalResults":1`))
	})
	docs, err := tg.client().Find(context.Background(), "Users", `userName eq "a@example.com"`)
	if err != nil || len(docs) != 1 || docs[0]["id"] != "a" {
		t.Fatalf("docs %v err %v", docs, err)
	}
}

// --- Test Connection ---

func TestTestConnection(t *testing.T) {
	var filters []string
	var mu sync.Mutex
	good := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		filters = append(filters, r.URL.Query().Get("filter"))
		mu.Unlock()
		ok(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}`)
	})
	if err := good.client().TestConnection(context.Background(), "userName"); err != nil {
		t.Fatal(err)
	}
	if err := good.client().TestConnection(context.Background(), "userName"); err != nil {
		t.Fatal(err)
	}
	// Entra's probe: the matching attribute eq a random value, new each time.
	if len(filters) != 2 || !strings.HasPrefix(filters[0], `userName eq "`) || filters[0] == filters[1] {
		t.Fatalf("probe filters %q", filters)
	}

	// A target that ignores the filter returns users: not usable.
	ignores := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) { ok(w, userList(ids(0, 2), `,"totalResults":2`)) })
	e := asError(t, ignores.client().TestConnection(context.Background(), "userName"))
	if e.Code != CodeIncompatible || !strings.Contains(e.Detail, "does not filter") {
		t.Fatalf("error = %+v", e)
	}

	// A wrong token is reported as Entra reports it.
	denied := newTarget(t, func(n int, w http.ResponseWriter, r *http.Request) { status(w, 401) })
	if e := asError(t, denied.client().TestConnection(context.Background(), "userName")); e.Code != CodeCredentials {
		t.Fatalf("error = %+v", e)
	}
	if n := len(denied.requests()); n != 1 {
		t.Fatalf("%d requests: a 401 is not retried", n)
	}
}
