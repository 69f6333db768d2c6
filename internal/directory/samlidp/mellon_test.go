package samlidp_test

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/samlidp"
	"github.com/gatehouse-id/gatehouse/internal/testenv"
)

// mellonSP is Apache 2.4 with mod_auth_mellon (Lasso) running on
// 127.0.0.1 as a stand-alone SP, configured from our IdP's metadata.
type mellonSP struct {
	base, dir, conf, apache string
	env                     []string
	entityID, acs           string
	cert                    string // the SP's signing certificate, base64 DER
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// newMellon creates the SP's keys and metadata (mellon_create_metadata);
// start() runs Apache once the IdP metadata is in place.
func newMellon(t *testing.T) *mellonSP {
	t.Helper()
	apache := "/usr/sbin/apache2"
	if _, err := os.Stat(apache); err != nil {
		testenv.Missing(t, "apache2 (apt-get install apache2 libapache2-mod-auth-mellon)")
	}
	if _, err := os.Stat("/usr/lib/apache2/modules/mod_auth_mellon.so"); err != nil {
		testenv.Missing(t, "mod_auth_mellon (apt-get install libapache2-mod-auth-mellon)")
	}
	create := "/usr/sbin/mellon_create_metadata"
	if _, err := os.Stat(create); err != nil {
		testenv.Missing(t, "mellon_create_metadata (libapache2-mod-auth-mellon)")
	}
	// Apache's worker runs as www-data when started as root: the files must
	// be readable by it, which t.TempDir's 0700 parents are not.
	dir, err := os.MkdirTemp("", "gatehouse-mellon-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	os.MkdirAll(filepath.Join(dir, "www", "protected"), 0o755)
	os.WriteFile(filepath.Join(dir, "www", "protected", "index.html"), []byte("protected\n"), 0o644)
	port := strconv.Itoa(freePort(t))
	m := &mellonSP{base: "http://127.0.0.1:" + port, dir: dir, apache: apache}
	m.entityID, m.acs = m.base+"/mellon/metadata", m.base+"/mellon/postResponse"
	cmd := exec.Command(create, m.entityID, m.base+"/mellon")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mellon_create_metadata: %v\n%s", err, out)
	}
	prefix := "http_127.0.0.1_" + port + "_mellon_metadata"
	for from, to := range map[string]string{".xml": "sp_metadata.xml", ".key": "sp.key", ".cert": "sp.cert"} {
		if err := os.Rename(filepath.Join(dir, prefix+from), filepath.Join(dir, to)); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(dir, to), 0o644)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "sp_metadata.xml"))
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(md); err != nil {
		t.Fatal(err)
	}
	x := doc.FindElement("//KeyDescriptor[@use='signing']//X509Certificate")
	if x == nil {
		t.Fatalf("no signing certificate in mellon metadata:\n%s", md)
	}
	m.cert = strings.Join(strings.Fields(x.Text()), "")
	conf, _ := filepath.Abs(filepath.Join("testdata", "peers", "mellon.conf"))
	m.conf = conf
	m.env = append(os.Environ(), "PWD="+dir, "MELLON_PORT="+port)
	return m
}

func (m *mellonSP) start(t *testing.T, idpMetadata []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(m.dir, "idp_metadata.xml"), idpMetadata, 0o644); err != nil {
		t.Fatal(err)
	}
	ctl := func(action string) ([]byte, error) {
		cmd := exec.Command(m.apache, "-f", m.conf, "-k", action)
		cmd.Dir, cmd.Env = m.dir, m.env
		return cmd.CombinedOutput()
	}
	if out, err := ctl("start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(m.dir, "error.log"))
		t.Fatalf("apache2 -k start: %v\n%s\n%s", err, out, log)
	}
	t.Cleanup(func() {
		ctl("stop")
		// Wait for the pid file to go so the directory can be removed.
		for i := 0; i < 50; i++ {
			if _, err := os.Stat(filepath.Join(m.dir, "httpd.pid")); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(m.base, "http://"), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if i == 50 {
			log, _ := os.ReadFile(filepath.Join(m.dir, "error.log"))
			t.Fatalf("apache2 did not listen on %s:\n%s", m.base, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (m *mellonSP) errorLog() string {
	b, _ := os.ReadFile(filepath.Join(m.dir, "error.log"))
	return string(b)
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) get(u string) (*http.Response, string) {
	req, _ := http.NewRequest("GET", u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) (*http.Response, string) {
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// follow resolves a redirect's Location against the request URL.
func follow(t *testing.T, resp *http.Response, want int) string {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d", resp.Request.Method, resp.Request.URL, resp.StatusCode, want)
	}
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("%s: no Location: %v", resp.Request.URL, err)
	}
	return loc.String()
}

// mellonLogin runs SP-initiated sign-in from mellon's protected page to the
// POST of our Response at its ACS; it returns the browser (holding
// mellon's cookies), the Response and the ACS answer.
func mellonLogin(t *testing.T, e *env, m *mellonSP, tamper func([]byte) []byte) (*browser, *samlPost, *http.Response, string) {
	t.Helper()
	b := newBrowser(t)
	// The directory session (test Authenticator) for our IdP.
	ipd, _ := url.Parse(e.srv.URL)
	b.c.Jar.SetCookies(ipd, []*http.Cookie{{Name: testCookie, Value: e.alice.ID}})
	resp, _ := b.get(m.base + "/protected/")
	login := follow(t, resp, http.StatusSeeOther)
	if !strings.Contains(login, "/mellon/login") {
		t.Fatalf("protected page redirected to %s, want mellon's login", login)
	}
	resp, _ = b.get(login)
	sso := follow(t, resp, http.StatusSeeOther)
	if !strings.HasPrefix(sso, e.srv.URL+"/saml/app-mellon/sso?") || !strings.Contains(sso, "SAMLRequest=") || !strings.Contains(sso, "Signature=") {
		t.Fatalf("mellon sent the browser to %s, want our SSO with a signed SAMLRequest", sso)
	}
	resp, body := b.get(sso)
	p := parsePost(t, resp, body)
	if p.Action != m.acs {
		t.Fatalf("our IdP posts to %s, want mellon's ACS %s", p.Action, m.acs)
	}
	xml := p.XML
	if tamper != nil {
		xml = tamper(xml)
	}
	form := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(xml)}}
	if p.RelayState != "" {
		form.Set("RelayState", p.RelayState)
	}
	resp, body = b.post(p.Action, form)
	return b, p, resp, body
}

var nameIDRe = regexp.MustCompile(`<(?:\w+:)?NameID[^>]*>([^<]*)<`)

// TestMellonSP: Apache mod_auth_mellon, a production SP, signs in through
// our IdP end to end (signed AuthnRequest by the HTTP-Redirect binding,
// our signed Response by HTTP-POST) and reads alice's NameID and mail; it
// refuses the Response tampered, and the same Response posted twice.
func TestMellonSP(t *testing.T) {
	e := newEnv(t)
	m := newMellon(t)
	ctx := context.Background()
	now := e.clock.Now()
	if err := e.dir.CreateApp(ctx, &directory.App{ID: "app-mellon", DisplayName: "Apache mellon", Template: "saml", Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := e.dir.Assign(ctx, &directory.Assignment{ID: "as-m", AppID: "app-mellon", PrincipalID: e.alice.ID, PrincipalKind: directory.KindUser, Created: now}); err != nil {
		t.Fatal(err)
	}
	e.configure(&samlidp.Config{AppID: "app-mellon", EntityID: m.entityID, ACSURLs: []string{m.acs},
		SPCertificates: []string{m.cert}, RequireSignedRequests: true})
	// Mellon checks times against the real clock.
	e.clock.Add(time.Now().UTC().Truncate(time.Second).Sub(e.clock.Now()))
	resp, md := e.get("/saml/app-mellon/metadata", "")
	if resp.StatusCode != 200 {
		t.Fatalf("metadata: %d", resp.StatusCode)
	}
	m.start(t, []byte(md))

	b, p, resp, body := mellonLogin(t, e, m, nil)
	back := follow(t, resp, http.StatusSeeOther)
	if !strings.Contains(back, "/protected/") {
		t.Fatalf("mellon ACS redirected to %s, want the protected page\n%s\n%s", back, body, m.errorLog())
	}
	resp, body = b.get(back)
	if resp.StatusCode != 200 || body != "protected\n" {
		t.Fatalf("protected page after sign-in: %d\n%s\n%s", resp.StatusCode, body, m.errorLog())
	}
	nid := nameIDRe.FindStringSubmatch(string(p.XML))
	if nid == nil {
		t.Fatalf("no NameID in our response:\n%s", p.XML)
	}
	if got := resp.Header.Get("X-Mellon-NameID"); got == "" || got != nid[1] {
		t.Fatalf("mellon's NameID %q, want %q (ours)", got, nid[1])
	}
	if got := resp.Header.Get("X-Mellon-Mail"); got != "alice@example.com" {
		t.Fatalf("mellon's mail attribute %q, want alice@example.com", got)
	}
	// Replay: the same Response posted again from a fresh browser.
	form := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(p.XML)}, "RelayState": {p.RelayState}}
	if resp, body := newBrowser(t).post(m.acs, form); resp.StatusCode != http.StatusBadRequest || !strings.Contains(m.errorLog(), "has already been used") {
		t.Fatalf("mellon accepted a replayed response: %d\n%s", resp.StatusCode, body)
	}

	// Tampered: the mail attribute changed after signing.
	_, _, resp, body = mellonLogin(t, e, m, func(x []byte) []byte {
		s := strings.Replace(string(x), ">alice@example.com<", ">mallory@example.com<", 1)
		if s == string(x) {
			t.Fatal("tampering changed nothing")
		}
		return []byte(s)
	})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("mellon answered %d to a tampered response, want 400\n%s", resp.StatusCode, body)
	}
	if log := m.errorLog(); !strings.Contains(log, "Failed to verify signature") {
		t.Fatalf("mellon's log does not name the signature failure:\n%s", log)
	}
}
