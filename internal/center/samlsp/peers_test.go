package samlsp_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center/samlsp"
	"github.com/gatehouse-id/gatehouse/internal/testenv"
)

// pysaml2IdP runs testdata/peers/idp_pysaml2.py: pysaml2 (Debian
// python3-pysaml2, signing through the xmlsec1 binary) issues a Response
// for email to our SP, both Response and Assertion signed with k. It
// returns the Response XML and pysaml2's IdP metadata.
func pysaml2IdP(t *testing.T, f *fixture, k *testKey, email, inResponseTo string) (resp, metadata []byte) {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		testenv.Missing(t, "%s (Debian python3-pysaml2)", py)
	}
	testenv.Command(t, "xmlsec1")
	if err := exec.Command(py, "-c", "import saml2.server").Run(); err != nil {
		testenv.Missing(t, "pysaml2 for %s (apt-get install python3-pysaml2): %v", py, err)
	}
	dir := t.TempDir()
	kf, cf, spf := filepath.Join(dir, "idp.key"), filepath.Join(dir, "idp.crt"), filepath.Join(dir, "sp.xml")
	rf, mf := filepath.Join(dir, "resp.xml"), filepath.Join(dir, "idp-metadata.xml")
	der, err := x509.MarshalPKCS8PrivateKey(k.key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	os.WriteFile(cf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.der}), 0o600)
	os.WriteFile(spf, samlsp.SPMetadata(f.sp.EntityID(), f.sp.ACSURL()), 0o600)
	script, _ := filepath.Abs(filepath.Join("testdata", "peers", "idp_pysaml2.py"))
	out, err := exec.Command(py, script, kf, cf, spf, email, rf, mf, inResponseTo).CombinedOutput()
	if err != nil {
		t.Fatalf("pysaml2 IdP: %v\n%s", err, out)
	}
	resp, err = os.ReadFile(rf)
	if err != nil {
		t.Fatal(err)
	}
	metadata, err = os.ReadFile(mf)
	if err != nil {
		t.Fatal(err)
	}
	return resp, metadata
}

// TestPySAML2IdP: our SP, configured from pysaml2's own IdP metadata,
// accepts a Response pysaml2 signed (SP-initiated and IdP-initiated) and
// signs alice in; the same Response with its NameID changed is refused, and
// so is one signed by a key the metadata does not carry.
func TestPySAML2IdP(t *testing.T) {
	f := newFixture(t)
	// pysaml2 stamps the real time; the SP's clock follows.
	f.now = time.Now().UTC()
	xml, md := pysaml2IdP(t, f, idpKey, "alice@example.com", "")
	idp, err := f.sp.UseExternalIdP(context.Background(), md)
	if err != nil {
		t.Fatalf("UseExternalIdP(pysaml2 metadata): %v\n%s", err, md)
	}
	if idp.EntityID != "https://idp.pysaml2.example.test/metadata" || len(idp.Certs) != 1 || !idp.Certs[0].Equal(idpKey.cert) {
		t.Fatalf("parsed pysaml2 metadata: entity %q, %d certs", idp.EntityID, len(idp.Certs))
	}

	// IdP-initiated (no InResponseTo), both signatures by pysaml2.
	if !strings.Contains(string(xml), "alice@example.com") || strings.Count(string(xml), "SignatureValue>") < 4 {
		t.Fatalf("pysaml2 response is not what we asked for:\n%s", xml)
	}
	res := f.post(xml, "/accounts")
	se := f.accepted(res)
	if se.UserID != f.users["alice@example.com"] || res.location != "/accounts" {
		t.Fatalf("session user %q (want alice %q), redirect %q", se.UserID, f.users["alice@example.com"], res.location)
	}
	// The very same response again is a replay.
	f.refused(f.post(xml, ""), "already used (replay)")

	// Tampered: NameID changed to bob, who exists, after pysaml2 signed it.
	xml2, _ := pysaml2IdP(t, f, idpKey, "alice@example.com", "")
	bad := []byte(strings.Replace(string(xml2), ">alice@example.com<", ">bob@example.com<", 1))
	if string(bad) == string(xml2) {
		t.Fatal("tampering changed nothing")
	}
	f.refused(f.post(bad, ""), "signature")
	// The untampered twin is still good: the refusal was the signature.
	f.accepted(f.post(xml2, ""))

	// SP-initiated: InResponseTo names our outstanding AuthnRequest.
	id := f.begin()
	xml3, _ := pysaml2IdP(t, f, idpKey, "alice@example.com", id)
	if !strings.Contains(string(xml3), `InResponseTo="`+id+`"`) {
		t.Fatalf("pysaml2 response lacks InResponseTo %s", id)
	}
	if se := f.accepted(f.post(xml3, "")); se.UserID != f.users["alice@example.com"] {
		t.Fatalf("SP-initiated session user %q", se.UserID)
	}

	// Signed by pysaml2 with a key not in the metadata we loaded.
	evil, _ := pysaml2IdP(t, f, evilKey, "alice@example.com", "")
	f.refused(f.post(evil, ""), "signature")
}
