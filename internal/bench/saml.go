package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/samlidp"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/auditdb"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
)

// SAMLOptions configure the sign-in benchmarks (SAMLSignIn).
type SAMLOptions struct {
	// Clients is the number of concurrent HTTP clients, each with its own
	// signed-in session; the raw crypto baselines run on as many goroutines.
	Clients int
	// Duration of each measured phase, split over Rounds alternating rounds
	// (default 3).
	Duration time.Duration
	Rounds   int
	// LoginClients is the concurrency of the password sign-in phase
	// (default Clients).
	LoginClients int
	// Progress, when set, receives one line per phase.
	Progress io.Writer
	// NoAudit leaves out the audit log that `gatehouse serve` writes on
	// every sign-in and SAML response, to measure what it costs.
	NoAudit bool
}

// SAMLResult holds the figures of one run; every rate is per second over
// the same machine and run.
type SAMLResult struct {
	Clients, LoginClients int
	Audited               bool
	GOMAXPROCS            int
	// RSASign is crypto/rsa SignPKCS1v15 (RSA-2048, SHA-256 of a 4 KiB
	// message) on Clients goroutines.
	RSASign float64
	// SSO is SAML responses per second: GET /saml/{app}/start (IdP-initiated)
	// for a signed-in session, answered 200 with a signed Response, over
	// HTTP on loopback, each recorded in the audit log first (unless
	// NoAudit).
	SSO     float64
	SSOLat  *Latencies
	Argon2  float64 // signin.Hasher.Verify of the right password, LoginClients goroutines
	Logins  float64 // POST /login with the right password → 303 + session, over HTTP
	LoginLt *Latencies
}

// SSORatio is SSO / RSASign (goal ≥ 0.75).
func (r *SAMLResult) SSORatio() float64 { return r.SSO / r.RSASign }

// LoginRatio is Logins / Argon2.
func (r *SAMLResult) LoginRatio() float64 { return r.Logins / r.Argon2 }

// Report formats the result.
func (r *SAMLResult) Report() string {
	var b strings.Builder
	audited := "every sign-in and response in the audit log"
	if !r.Audited {
		audited = "no audit log"
	}
	fmt.Fprintf(&b, "GOMAXPROCS=%d, %d clients (logins: %d), %s\n", r.GOMAXPROCS, r.Clients, r.LoginClients, audited)
	fmt.Fprintf(&b, "rsa-2048 SignPKCS1v15:       %8.0f/s\n", r.RSASign)
	fmt.Fprintf(&b, "saml sso responses (http):   %8.0f/s  p50 %s p99 %s  ratio to rsa %.2f (goal >= 0.75)\n",
		r.SSO, ms(r.SSOLat.Quantile(0.5)), ms(r.SSOLat.Quantile(0.99)), r.SSORatio())
	fmt.Fprintf(&b, "argon2id verify (Hasher):    %8.1f/s\n", r.Argon2)
	fmt.Fprintf(&b, "password sign-ins (http):    %8.1f/s  p50 %s p99 %s  ratio to argon2id %.2f\n",
		r.Logins, ms(r.LoginLt.Quantile(0.5)), ms(r.LoginLt.Quantile(0.99)), r.LoginRatio())
	return b.String()
}

const (
	benchPassword = "correct horse battery staple"
	benchApp      = "app-bench"
)

// forDuration runs job on workers goroutines until d has passed and
// returns the completed jobs per second.
func forDuration(workers int, d time.Duration, job func(worker int) error) (float64, error) {
	var n atomic.Int64
	var first error
	var once sync.Once
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := job(w); err != nil {
					once.Do(func() { first = err })
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds(), first
}

// RSASignRate measures RSA-2048 PKCS#1 v1.5 signatures per second on
// workers goroutines (SHA-256 of a 4 KiB message, as perf-anchors §2.1).
func RSASignRate(workers int, d time.Duration) (float64, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return 0, err
	}
	msg := make([]byte, 4096)
	rand.Read(msg)
	return forDuration(workers, d, func(int) error {
		h := sha256.Sum256(msg)
		_, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
		return err
	})
}

// Argon2Rate measures signin.Hasher verifications of the right password
// per second on workers goroutines (the Hasher bounds them to GOMAXPROCS).
func Argon2Rate(workers int, d time.Duration) (float64, error) {
	h := signin.NewHasher(0)
	ctx := context.Background()
	enc, err := h.Hash(ctx, benchPassword)
	if err != nil {
		return 0, err
	}
	return forDuration(workers, d, func(int) error {
		ok, err := h.Verify(ctx, enc, benchPassword)
		if err == nil && !ok {
			err = errors.New("argon2id: right password refused")
		}
		return err
	})
}

// samlWorld is a directory with sign-in and the SAML IdP on loopback.
type samlWorld struct {
	url  string
	srv  *http.Server
	db   interface{ Close() error }
	dir  string
	user *directory.User
}

func newSAMLWorld(ctx context.Context, audited bool) (*samlWorld, error) {
	dir, err := os.MkdirTemp("", "gatehouse-bench-saml")
	if err != nil {
		return nil, err
	}
	w := &samlWorld{dir: dir}
	fail := func(err error) (*samlWorld, error) { w.Close(); return nil, err }
	db, err := store.Open(ctx, filepath.Join(dir, "directory.db"))
	if err != nil {
		return fail(err)
	}
	w.db = db
	st := directorydb.New(db)
	key := make([]byte, 32)
	rand.Read(key)
	box, err := secret.NewBox(key)
	if err != nil {
		return fail(err)
	}
	log := slog.New(slog.DiscardHandler)
	// As in `gatehouse serve`: every sign-in and every SAML response is
	// recorded in the hash-chained audit log (a durable write) before it
	// is answered.
	h := &signin.Handler{Store: st, Box: box, Logger: log, Hasher: signin.NewHasher(0)}
	idp := &samlidp.IdP{Directory: st, Store: st, Box: box, Auth: h, Logger: log}
	if audited {
		trail := audit.NewLog(auditdb.New(db), box.DeriveKey(audit.KeyLabel))
		h.Audit, idp.Audit = trail, trail
	}
	mux := http.NewServeMux()
	h.Mount(mux)
	idp.Mount(mux)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	w.url = "http://" + l.Addr().String()
	idp.BaseURL = w.url
	w.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go w.srv.Serve(l)

	now := time.Now().UTC()
	w.user = &directory.User{ID: directorydb.NewID(), UserPrincipalName: "alice@example.com", Mail: "alice@example.com",
		GivenName: "Alice", Surname: "Archer", DisplayName: "Alice Archer", AccountEnabled: true,
		BusinessPhones: []string{}, Created: now, Modified: now}
	if err := st.CreateUser(ctx, w.user); err != nil {
		return fail(err)
	}
	if err := signin.SetPassword(ctx, st, w.user.ID, benchPassword); err != nil {
		return fail(err)
	}
	if err := st.CreateApp(ctx, &directory.App{ID: benchApp, DisplayName: "Bench SP", Template: "saml", Created: now}); err != nil {
		return fail(err)
	}
	if err := st.Assign(ctx, &directory.Assignment{ID: "as-bench", AppID: benchApp, PrincipalID: w.user.ID,
		PrincipalKind: directory.KindUser, Created: now}); err != nil {
		return fail(err)
	}
	if _, err := idp.Configure(ctx, &samlidp.Config{AppID: benchApp, EntityID: "https://sp.example.test/metadata",
		ACSURLs: []string{"https://sp.example.test/acs"}}); err != nil {
		return fail(err)
	}
	return w, nil
}

func (w *samlWorld) Close() {
	if w.srv != nil {
		w.srv.Close()
	}
	if w.db != nil {
		w.db.Close()
	}
	os.RemoveAll(w.dir)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// login signs a client in over HTTP: GET /login for the CSRF cookie and
// token, then POST /login with the right password, which must answer 303
// and set the session cookie.
func (w *samlWorld) login(c *http.Client) error {
	res, err := c.Get(w.url + signin.LoginPath)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindSubmatch(body)
	if res.StatusCode != 200 || m == nil {
		return fmt.Errorf("GET /login: %d, no CSRF token", res.StatusCode)
	}
	form := url.Values{"username": {w.user.UserPrincipalName}, "password": {benchPassword}, "csrf": {html.UnescapeString(string(m[1]))}}
	res, err = c.PostForm(w.url+signin.LoginPath, form)
	if err != nil {
		return err
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("POST /login: %d, want 303: %.300s", res.StatusCode, body)
	}
	u, _ := url.Parse(w.url)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == signin.SessionCookie {
			return nil
		}
	}
	return errors.New("POST /login: no session cookie")
}

func (w *samlWorld) clients(n int) []*http.Client {
	tr := &http.Transport{MaxIdleConns: n, MaxIdleConnsPerHost: n, MaxConnsPerHost: n}
	out := make([]*http.Client, n)
	for i := range out {
		jar, _ := cookiejar.New(nil)
		out[i] = &http.Client{Jar: jar, Transport: tr, Timeout: 60 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return out
}

var ssoPath = "/saml/" + benchApp + "/start"

// ssoMarker is what every SSO answer must hold: the HTTP-POST binding's field.
var ssoMarker = []byte(`name="SAMLResponse"`)

// ssoClient asks for IdP-initiated responses over one keep-alive HTTP/1.1
// connection, with the session cookie of a client that signed in. Like
// wrk, it writes a fixed request and reads the response with net/http's
// parser, and no more: it shares the CPUs with the server it measures, and
// http.Client's per-request machinery (cookie jar, connection pool, a
// reader and a writer goroutine per connection) cost a twentieth of them.
type ssoClient struct {
	conn net.Conn
	br   *bufio.Reader
	req  []byte
	body bytes.Buffer
}

// ssoClient opens a connection that asks for responses with c's session.
func (w *samlWorld) ssoClient(c *http.Client) (*ssoClient, error) {
	u, _ := url.Parse(w.url)
	var cookies []string
	for _, ck := range c.Jar.Cookies(u) {
		cookies = append(cookies, ck.String())
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		return nil, err
	}
	req := "GET " + ssoPath + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUser-Agent: gatehouse-bench\r\n" +
		"Cookie: " + strings.Join(cookies, "; ") + "\r\n\r\n"
	return &ssoClient{conn: conn, br: bufio.NewReaderSize(conn, 16<<10), req: []byte(req)}, nil
}

// sso asks for one response and checks it is 200 with the signed POST form.
// Like http.Client's Timeout in the other phases, a deadline keeps a stuck
// server from hanging the benchmark.
func (c *ssoClient) sso() error {
	c.conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := c.conn.Write(c.req); err != nil {
		return err
	}
	res, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", ssoPath, err)
	}
	c.body.Reset()
	_, err = c.body.ReadFrom(res.Body)
	res.Body.Close()
	if err != nil {
		return fmt.Errorf("GET %s: %w", ssoPath, err)
	}
	if res.StatusCode != 200 || !bytes.Contains(c.body.Bytes(), ssoMarker) {
		return fmt.Errorf("GET %s: %d, want 200 with a SAMLResponse: %.300s", ssoPath, res.StatusCode, c.body.Bytes())
	}
	return nil
}

func (c *ssoClient) Close() error { return c.conn.Close() }

func (o *SAMLOptions) progress(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format+"\n", args...)
	}
}

// SAMLSignIn measures, in one run: the RSA-2048 signing rate, SAML SSO
// responses per second over HTTP for signed-in sessions, the argon2id
// verify rate of signin's Hasher, and password sign-ins per second over
// HTTP (POST /login with the right password).
func SAMLSignIn(ctx context.Context, o SAMLOptions) (*SAMLResult, error) {
	if o.Clients <= 0 {
		o.Clients = 32
	}
	if o.LoginClients <= 0 {
		o.LoginClients = o.Clients
	}
	if o.Rounds <= 0 {
		o.Rounds = 3
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	r := &SAMLResult{Clients: o.Clients, LoginClients: o.LoginClients, Audited: !o.NoAudit, GOMAXPROCS: runtime.GOMAXPROCS(0),
		SSOLat: &Latencies{}, LoginLt: &Latencies{}}
	w, err := newSAMLWorld(ctx, !o.NoAudit)
	if err != nil {
		return nil, err
	}
	defer w.Close()

	// SSO: every client signs in once, then asks for responses.
	cs := w.clients(o.Clients)
	for _, c := range cs {
		if err := w.login(c); err != nil {
			return nil, err
		}
	}
	scs := make([]*ssoClient, len(cs))
	for i, c := range cs { // warm-up: connections, caches, buffers
		sc, err := w.ssoClient(c)
		if err != nil {
			return nil, err
		}
		defer sc.Close()
		if err := sc.sso(); err != nil {
			return nil, err
		}
		scs[i] = sc
	}
	lcs := w.clients(o.LoginClients)
	// Each pair of phases alternates in rounds, so load from elsewhere on
	// the machine weighs on both sides of a ratio alike.
	slice := o.Duration / time.Duration(o.Rounds)
	var sso, rsaRate, logins, argon float64
	for round := range o.Rounds {
		o.progress("round %d/%d: sso (%d signed-in clients), rsa-2048 sign, logins (%d clients), argon2id verify; %s each",
			round+1, o.Rounds, o.Clients, o.LoginClients, slice)
		v, err := forDuration(o.Clients, slice, func(i int) error {
			t := time.Now()
			err := scs[i].sso()
			r.SSOLat.Add(time.Since(t))
			return err
		})
		if err != nil {
			return nil, err
		}
		sso += v
		if v, err = RSASignRate(o.Clients, slice); err != nil {
			return nil, err
		}
		rsaRate += v
		// Password sign-ins: a fresh session each time.
		v, err = forDuration(o.LoginClients, slice, func(i int) error {
			jar, _ := cookiejar.New(nil)
			lcs[i].Jar = jar
			t := time.Now()
			err := w.login(lcs[i])
			r.LoginLt.Add(time.Since(t))
			return err
		})
		if err != nil {
			return nil, err
		}
		logins += v
		if v, err = Argon2Rate(o.LoginClients, slice); err != nil {
			return nil, err
		}
		argon += v
	}
	n := float64(o.Rounds)
	r.SSO, r.RSASign, r.Logins, r.Argon2 = sso/n, rsaRate/n, logins/n, argon/n
	return r, nil
}
