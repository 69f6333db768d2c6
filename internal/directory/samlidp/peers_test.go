package samlidp_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/directory/samlidp"
	"github.com/gatehouse-id/gatehouse/internal/testenv"
)

// nodeSAMLResult is what testdata/peers/sp_nodesaml.js prints.
type nodeSAMLResult struct {
	OK           bool           `json:"ok"`
	Error        string         `json:"error"`
	NameID       string         `json:"nameID"`
	NameIDFormat string         `json:"nameIDFormat"`
	Issuer       string         `json:"issuer"`
	Attributes   map[string]any `json:"attributes"`
}

// nodeSAML validates a SAMLResponse (raw XML) with @node-saml/node-saml
// acting as the SP, pinned to certPEM, with the given audience and ACS.
func nodeSAML(t *testing.T, xml []byte, certPEM []byte, audience, acs string, env ...string) nodeSAMLResult {
	t.Helper()
	node := testenv.Command(t, "node")
	modules := filepath.Join(testenv.PeersDir(t), "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "@node-saml", "node-saml", "package.json")); err != nil {
		testenv.Missing(t, "@node-saml/node-saml (npm ci in tools/peers)")
	}
	dir := t.TempDir()
	rf, cf := filepath.Join(dir, "resp.b64"), filepath.Join(dir, "idp.crt")
	if err := os.WriteFile(rf, []byte(base64.StdEncoding.EncodeToString(xml)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cf, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	script, _ := filepath.Abs(filepath.Join("testdata", "peers", "sp_nodesaml.js"))
	cmd := exec.Command(node, script, rf, cf, audience, acs)
	cmd.Env = append(append(os.Environ(), "NODE_PATH="+modules), env...)
	out, err := cmd.Output()
	var res nodeSAMLResult
	if jerr := json.Unmarshal(out, &res); jerr != nil {
		t.Fatalf("node-saml: %v %v; output:\n%s", err, jerr, out)
	}
	if res.OK != (err == nil) {
		t.Fatalf("node-saml: exit %v but ok=%v", err, res.OK)
	}
	return res
}

// TestNodeSAMLAcceptsIdPInitiated: a real SP (node-saml 5.1.0) accepts an
// IdP-initiated response for alice in each signing mode, reads its NameID,
// and rejects the same response tampered, checked against the wrong
// audience or ACS, or against another certificate.
func TestNodeSAMLAcceptsIdPInitiated(t *testing.T) {
	for _, c := range []struct {
		signing string
		env     []string
	}{
		{samlidp.SignAssertion, nil},
		{samlidp.SignBoth, []string{"WANT_RESPONSE_SIGNED=1"}},
		{samlidp.SignResponse, []string{"WANT_RESPONSE_SIGNED=1", "WANT_ASSERTION_SIGNED=0"}},
	} {
		t.Run(c.signing, func(t *testing.T) {
			e := newEnv(t)
			cfg, _ := e.idp.Config(context.Background(), "app-aws")
			cfg.Signing = c.signing
			e.configure(cfg)
			resp, body := e.get("/saml/app-aws/start", e.alice.ID)
			p := parsePost(t, resp, body)
			cert := e.metadataCerts("app-aws")[0]
			certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})

			res := nodeSAML(t, p.XML, certPEM, spEntity, spACS, c.env...)
			if !res.OK {
				t.Fatalf("node-saml rejected our response: %s\n%s", res.Error, p.XML)
			}
			if res.NameID != "alice@example.com" || res.NameIDFormat != samlidp.NameIDEmail {
				t.Fatalf("node-saml profile NameID %q format %q", res.NameID, res.NameIDFormat)
			}
			if want := e.srv.URL + "/saml/app-aws/metadata"; res.Issuer != want {
				t.Fatalf("issuer %q, want %q", res.Issuer, want)
			}

			bad := []byte(strings.Replace(string(p.XML), "alice@example.com", "mallory@example.com", 1))
			if string(bad) == string(p.XML) {
				t.Fatal("tampering changed nothing")
			}
			if res := nodeSAML(t, bad, certPEM, spEntity, spACS, c.env...); res.OK || !strings.Contains(strings.ToLower(res.Error), "signature") {
				t.Fatalf("node-saml accepted a tampered response: %+v", res)
			}
			if res := nodeSAML(t, p.XML, certPEM, "https://wrong-sp.example.test", spACS, c.env...); res.OK || !strings.Contains(res.Error, "audience") {
				t.Fatalf("wrong audience: %+v", res)
			}
			_, otherDER := spKeyPair(t)
			other := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: otherDER})
			if res := nodeSAML(t, p.XML, other, spEntity, spACS, c.env...); res.OK {
				t.Fatalf("node-saml accepted our response against another certificate: %+v", res)
			}
		})
	}
}
