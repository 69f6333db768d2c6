package awsapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/awsapi"
	"github.com/gatehouse-id/gatehouse/internal/center/scimserver"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
)

// env is a running center: the AWS API and the SCIM server on one mux,
// over a SQLite center store in a temporary directory, with one access key.
type env struct {
	t          *testing.T
	dbPath     string
	db         *store.DB
	store      *centerdb.Store
	box        *secret.Box
	srv        *httptest.Server
	mux        atomic.Pointer[http.ServeMux]
	inst       *center.Instance
	keyID, key string // access key id and secret
	scimToken  string
	ids        *identitystore.Client
	sso        *ssoadmin.Client
	hooks      hookLog
}

// hookLog records the access-loss hooks the API called, in order.
type hookLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *hookLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, fmt.Sprintf(format, args...))
}

// take returns the calls so far and forgets them.
func (l *hookLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls
	l.calls = nil
	return c
}

func (e *env) instanceARN() string { return "arn:aws:sso:::instance/" + e.inst.InstanceID }

func newEnv(t *testing.T) *env {
	t.Helper()
	k := make([]byte, 32)
	rand.Read(k)
	box, err := secret.NewBox(k)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dbPath: filepath.Join(t.TempDir(), "center.db"), box: box}
	e.open()
	ctx := t.Context()
	var sec string
	e.keyID, sec = center.NewAccessKey()
	e.key = sec
	if err := e.store.CreateAccessKey(ctx, &center.AccessKey{ID: e.keyID, SecretSealed: box.Seal(sec, e.keyID),
		Description: "test", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	tok, bearer := center.NewSCIMToken(time.Now())
	if err := e.store.CreateSCIMToken(ctx, tok, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.scimToken = bearer
	e.ids = identitystore.NewFromConfig(e.cfg(e.keyID, e.key), func(o *identitystore.Options) { o.BaseEndpoint = aws.String(e.srv.URL) })
	e.sso = ssoadmin.NewFromConfig(e.cfg(e.keyID, e.key), func(o *ssoadmin.Options) { o.BaseEndpoint = aws.String(e.srv.URL) })
	t.Cleanup(e.close)
	return e
}

// open (re)opens the database and starts a server on it.
func (e *env) open() {
	t := e.t
	var err error
	if e.db, err = store.Open(context.Background(), e.dbPath); err != nil {
		t.Fatalf("open store: %v", err)
	}
	e.store = centerdb.New(e.db)
	if e.inst, err = e.store.Instance(context.Background()); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&scimserver.Handler{Store: e.store}).Mount(mux)
	(&awsapi.Handler{Store: e.store, Box: e.box,
		OnUserChange: func(_ context.Context, id string, active bool) { e.hooks.add("user %s active=%v", id, active) },
		OnMembersRemoved: func(_ context.Context, ids []string) {
			sort.Strings(ids)
			e.hooks.add("members %v", ids)
		},
		OnAssignmentRemoved: func(_ context.Context, typ center.PrincipalType, id string) {
			e.hooks.add("assignment %s %s", typ, id)
		}}).Mount(mux)
	e.mux.Store(mux)
	if e.srv == nil {
		e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e.mux.Load().ServeHTTP(w, r)
		}))
	}
}

func (e *env) close() {
	if e.srv != nil {
		e.srv.Close()
	}
	if e.db != nil {
		e.db.Close()
	}
}

// restart closes the database and reopens it under the same URL, as a
// restarted process would.
func (e *env) restart() {
	if err := e.db.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

func (e *env) cfg(id, sec string) aws.Config {
	return aws.Config{Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(id, sec, "")}
}

// rawResponse is an API answer read without an SDK.
type rawResponse struct {
	status int
	header http.Header
	body   map[string]any
}

// raw sends one request to the API, signed by the SDK's signer with the
// given credentials, scope and time unless sign is false; tamper may change
// the request after signing.
func (e *env) raw(target, body string, opt rawOpts) rawResponse {
	t := e.t
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	if !opt.unsigned {
		id, sec := e.keyID, e.key
		if opt.keyID != "" {
			id = opt.keyID
		}
		if opt.secret != "" {
			sec = opt.secret
		}
		service := opt.service
		if service == "" {
			service = "sso"
			if len(target) > 16 && target[:16] == "AWSIdentityStore" {
				service = "identitystore"
			}
		}
		at := opt.at
		if at.IsZero() {
			at = time.Now()
		}
		h := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(t.Context(), aws.Credentials{AccessKeyID: id, SecretAccessKey: sec},
			req, hex.EncodeToString(h[:]), service, "us-east-1", at); err != nil {
			t.Fatal(err)
		}
	}
	if opt.tamper != nil {
		opt.tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := rawResponse{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(b, &out.body); err != nil {
		t.Fatalf("%s: response is not JSON: %q", target, b)
	}
	return out
}

type rawOpts struct {
	unsigned      bool
	keyID, secret string
	service       string
	at            time.Time
	tamper        func(*http.Request)
}

// wantError checks an error response's type in the body and the header.
func (r rawResponse) wantError(t *testing.T, status int, typ string) {
	t.Helper()
	if r.status != status || r.body["__type"] != typ || r.header.Get("X-Amzn-Errortype") != typ {
		t.Fatalf("got %d __type=%v x-amzn-ErrorType=%q (%v), want %d %s", r.status, r.body["__type"],
			r.header.Get("X-Amzn-Errortype"), r.body["message"], status, typ)
	}
	if r.body["message"] == "" || r.header.Get("X-Amzn-Requestid") == "" {
		t.Fatalf("error without message or request id: %v", r.body)
	}
}
