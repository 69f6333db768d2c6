package samlsp_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/gatehouse-id/gatehouse/internal/center/samlsp"
)

// TestGoodPath: SP-initiated sign-in, signed assertion, session with tags,
// cookie flags, redirect to a same-origin RelayState.
func TestGoodPath(t *testing.T) {
	f := newFixture(t)
	id := f.begin()
	res := f.post(serialize(f.signedAssertion(f.good(id), idpKey)), "/accounts?x=1")
	se := f.accepted(res)
	if res.location != "/accounts?x=1" {
		t.Errorf("redirect to %q, want the RelayState", res.location)
	}
	if se.UserID != f.users["alice@example.com"] {
		t.Errorf("session user %q", se.UserID)
	}
	if len(se.Tags) != 2 || se.Tags["CostCenter"] != "4711" || se.Tags["Department"] != "Engineering" {
		t.Errorf("tags %v", se.Tags)
	}
	if !se.Expires.Equal(f.now.Add(samlsp.DefaultSessionDuration)) {
		t.Errorf("expires %v", se.Expires)
	}
	c := res.cookie
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Errorf("cookie flags: %+v", c)
	}
	// The request ID was consumed: the same response again is refused.
	f.refused(f.post(serialize(f.signedAssertion(f.good(id), idpKey)), ""), "matches no outstanding request")
}

func TestRelayStateOpenRedirect(t *testing.T) {
	f := newFixture(t)
	for _, relay := range []string{"", "https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "start"} {
		res := f.post(serialize(f.signedAssertion(f.good(""), idpKey)), relay)
		f.accepted(res)
		if res.location != "/start" {
			t.Errorf("RelayState %q: redirect to %q, want /start", relay, res.location)
		}
	}
}

// TestSignedResponseAndRollover: only the response signed, by the second
// (rollover) certificate; and both signed.
func TestSignedResponseAndRollover(t *testing.T) {
	f := newFixture(t)
	f.accepted(f.post(serialize(f.signedResponse(f.good(f.begin()), idpKey2)), ""))
	r := f.good(f.begin())
	f.accepted(f.post(serialize(sign(t, idpKey, r.response(sign(t, idpKey2, r.assertion())))), ""))
}

func TestIdPInitiatedConfigurable(t *testing.T) {
	f := newFixture(t)
	f.accepted(f.post(serialize(f.signedAssertion(f.good(""), idpKey)), ""))
	f.sp.DisallowIdPInitiated = true
	f.refused(f.post(serialize(f.signedAssertion(f.good(""), idpKey)), ""), "unsolicited")
}

func TestReplay(t *testing.T) {
	f := newFixture(t)
	xml := serialize(f.signedAssertion(f.good(""), idpKey))
	f.accepted(f.post(xml, ""))
	f.refused(f.post(xml, ""), "already used (replay)")
	// Across nodes: a second SP on the same database refuses it too.
	sp2 := *f.sp
	mux := http.NewServeMux()
	sp2.Mount(mux)
	f.mux = mux
	f.refused(f.post(xml, ""), "already used (replay)")
}

// TestRefusals: each changes one thing of a good response; each refusal
// changes nothing, so the good response for the same request still works
// afterwards.
func TestRefusals(t *testing.T) {
	f := newFixture(t)
	id := f.begin()
	cases := []struct {
		name string
		xml  func() []byte
		want string
	}{
		{"wrong audience", func() []byte {
			r := f.good(id)
			r.Audience = "https://other-sp.example/saml/metadata"
			return serialize(f.signedAssertion(r, idpKey))
		}, "does not include this service provider"},
		{"wrong recipient", func() []byte {
			r := f.good(id)
			r.Recipient = "https://other-sp.example/saml/acs"
			return serialize(f.signedAssertion(r, idpKey))
		}, "Recipient"},
		{"wrong destination", func() []byte {
			r := f.good(id)
			r.Destination = "https://other-sp.example/saml/acs"
			return serialize(f.signedResponse(r, idpKey))
		}, "Destination"},
		{"expired conditions", func() []byte {
			r := f.good(id)
			r.NotOnOrAfter = f.now.Add(-4 * time.Minute)
			return serialize(f.signedAssertion(r, idpKey))
		}, "assertion Conditions expired"},
		{"expired subject confirmation", func() []byte {
			r := f.good(id)
			r.SCDNotOnOrAfter = f.now.Add(-3*time.Minute - time.Second)
			return serialize(f.signedAssertion(r, idpKey))
		}, "SubjectConfirmationData expired"},
		{"not yet valid", func() []byte {
			r := f.good(id)
			r.NotBefore = f.now.Add(3*time.Minute + time.Second)
			return serialize(f.signedAssertion(r, idpKey))
		}, "not yet valid"},
		{"wrong issuer", func() []byte {
			r := f.good(id)
			r.Issuer = "https://evil.example/"
			return serialize(f.signedAssertion(r, idpKey))
		}, "is not the identity provider"},
		{"status not success", func() []byte {
			r := f.good(id)
			r.Status = samlsp.StatusResponder
			return serialize(f.signedResponse(r, idpKey))
		}, "the identity provider answered urn:oasis:names:tc:SAML:2.0:status:Responder"},
		{"unsigned", func() []byte {
			r := f.good(id)
			return serialize(r.response(r.assertion()))
		}, "neither the response nor the assertion is signed"},
		{"signature by another key", func() []byte {
			return serialize(f.signedAssertion(f.good(id), evilKey))
		}, "not signed by a configured IdP certificate"},
		{"key embedded in the message (RSAKeyValue)", func() []byte {
			el := f.signedAssertion(f.good(id), evilKey)
			a := el.FindElement("./Assertion")
			ki := a.FindElement("./Signature/KeyInfo")
			for _, c := range ki.ChildElements() {
				ki.RemoveChild(c)
			}
			ki.CreateElement("ds:KeyValue").CreateElement("ds:RSAKeyValue").CreateElement("ds:Modulus").SetText(
				base64.StdEncoding.EncodeToString(evilKey.key.N.Bytes()))
			return serialize(el)
		}, "not signed by a configured IdP certificate"},
		{"trusted certificate in KeyInfo, signed by another key", func() []byte {
			el := f.signedAssertion(f.good(id), evilKey)
			el.FindElement("./Assertion/Signature/KeyInfo/X509Data/X509Certificate").SetText(base64.StdEncoding.EncodeToString(idpKey.der))
			return serialize(el)
		}, "not signed by a configured IdP certificate"},
		{"DOCTYPE", func() []byte {
			xml := serialize(f.signedAssertion(f.good(id), idpKey))
			return append([]byte(`<!DOCTYPE Response [<!ENTITY x "alice@example.com">]>`), xml...)
		}, "DTD"},
		{"XXE", func() []byte {
			return []byte(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><samlp:Response xmlns:samlp="` + nsSAMLP + `">&xxe;</samlp:Response>`)
		}, "DTD"},
		{"round-trip unstable XML", func() []byte {
			return []byte(`<samlp:Response xmlns:samlp="` + nsSAMLP + `" ::foo="bar"/>`)
		}, "refused"},
		{"InResponseTo unknown", func() []byte {
			return serialize(f.signedAssertion(f.good("id-0000000000000000000000000000000000000000"), idpKey))
		}, "matches no outstanding request"},
		{"InResponseTo differs between response and subject confirmation", func() []byte {
			r := f.good(id)
			el := r.response(sign(t, idpKey, r.assertion()))
			el.CreateAttr("InResponseTo", "id-other")
			return serialize(el)
		}, "differs from the response"},
		{"unknown user", func() []byte {
			r := f.good(id)
			r.NameID = "mallory@example.com"
			return serialize(f.signedAssertion(r, idpKey))
		}, "no user with userName &#34;mallory@example.com&#34; exists"},
		{"inactive user", func() []byte {
			r := f.good(id)
			r.NameID = "bob@example.com"
			return serialize(f.signedAssertion(r, idpKey))
		}, "is disabled"},
		{"NameID format not emailAddress", func() []byte {
			r := f.good(id)
			r.NameIDFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
			return serialize(f.signedAssertion(r, idpKey))
		}, "NameID format"},
		{"multi-valued access-control attribute", func() []byte {
			r := f.good(id)
			a := r.assertion()
			at := a.FindElement("./AttributeStatement/Attribute[@Name='https://aws.amazon.com/SAML/Attributes/AccessControl:CostCenter']")
			at.CreateElement("saml:AttributeValue").SetText("4712")
			return serialize(r.response(sign(t, idpKey, a)))
		}, "exactly one value"},
		{"encrypted assertion", func() []byte {
			r := f.good(id)
			el := r.response(sign(t, idpKey, r.assertion()))
			el.CreateElement("saml:EncryptedAssertion").CreateAttr("xmlns:saml", nsSAML)
			return serialize(el)
		}, "encrypted assertions are not supported"},
		{"two References in SignedInfo (CVE-2026-33487 shape)", func() []byte {
			el := f.signedAssertion(f.good(id), idpKey)
			si := el.FindElement("./Assertion/Signature/SignedInfo")
			ref := si.FindElement("./Reference").Copy()
			ref.CreateAttr("URI", "#"+el.SelectAttrValue("ID", ""))
			si.AddChild(ref)
			return serialize(el)
		}, "exactly one Reference"},
		{"signature tampered (NameID changed after signing)", func() []byte {
			el := f.signedAssertion(f.good(id), idpKey)
			el.FindElement("./Assertion/Subject/NameID").SetText("bob@example.com")
			return serialize(el)
		}, "not signed by a configured IdP certificate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.t = t
			f.refused(f.post(c.xml(), "/x"), c.want)
			if !strings.Contains(f.logs.String(), "saml response refused") {
				t.Errorf("refusal not logged")
			}
		})
	}
	f.t = t
	// Nothing was consumed or recorded by the refusals.
	f.accepted(f.post(serialize(f.signedAssertion(f.good(id), idpKey)), ""))
}

// TestSkew: times within the 3-minute skew are accepted.
func TestSkew(t *testing.T) {
	f := newFixture(t)
	r := f.good(f.begin())
	r.NotBefore = f.now.Add(2 * time.Minute)
	r.NotOnOrAfter = f.now.Add(-2 * time.Minute)
	r.SCDNotOnOrAfter = f.now.Add(-2 * time.Minute)
	f.accepted(f.post(serialize(f.signedAssertion(r, idpKey)), ""))
}

// TestCommentInjection (VU#475445): the IdP signed the NameID
// alice@example.com.evil.com; a comment after alice@example.com keeps the
// signature valid, and a reader of the first text node would see
// alice@example.com. The whole NameID is read, so no such user.
func TestCommentInjection(t *testing.T) {
	f := newFixture(t)
	id := f.begin()
	r := f.good(id)
	r.NameID = "alice@example.com.evil.com"
	xml := strings.Replace(string(serialize(f.signedAssertion(r, idpKey))),
		"alice@example.com.evil.com", "alice@example.com<!-- injected -->.evil.com", 1)
	f.refused(f.post([]byte(xml), ""), "no user with userName &#34;alice@example.com.evil.com&#34;")
	// A comment in a signed NameID of a real user reads as the whole value.
	r = f.good(id)
	xml = strings.Replace(string(serialize(f.signedAssertion(r, idpKey))),
		"alice@example.com</saml:NameID>", "alice@<!---->example.com</saml:NameID>", 1)
	se := f.accepted(f.post([]byte(xml), ""))
	if se.UserID != f.users["alice@example.com"] {
		t.Fatalf("user %q", se.UserID)
	}
}

func TestMultipleAssertions(t *testing.T) {
	f := newFixture(t)
	id := f.begin()
	for _, sameID := range []bool{false, true} {
		r := f.good(id)
		el := f.signedAssertion(r, idpKey)
		evil := r.assertion()
		evil.FindElement("./Subject/NameID").SetText("bob@example.com")
		if !sameID {
			evil.CreateAttr("ID", r.AssertionID+"_attack")
		}
		el.AddChild(evil)
		f.refused(f.post(serialize(el), ""), "")
	}
	f.accepted(f.post(serialize(f.signedAssertion(f.good(id), idpKey)), ""))
}

func findSig(el *etree.Element) *etree.Element { return el.FindElement("./Signature") }

func removeSig(el *etree.Element) *etree.Element {
	if s := findSig(el); s != nil {
		el.RemoveChild(s)
	}
	return el
}

// TestXSW applies the SAMLRaider XSW1–8 permutations (real-clients.md §5.1)
// to responses signed here; every one must be refused.
func TestXSW(t *testing.T) {
	f := newFixture(t)
	f.addUser("admin@example.com", true)
	id := f.begin()
	evil := func(a *etree.Element) { a.FindElement(".//NameID").SetText("admin@example.com") }
	respSigned := func() *etree.Element { return f.signedResponse(f.good(id), idpKey) }
	assertSigned := func() *etree.Element { return f.signedAssertion(f.good(id), idpKey) }
	xsw := map[string]func() *etree.Element{
		"XSW1": func() *etree.Element {
			r := respSigned()
			clone := removeSig(r.Copy())
			findSig(r).AddChild(clone)
			r.CreateAttr("ID", "_evil_response_ID")
			evil(r.FindElement("./Assertion"))
			return r
		},
		"XSW2": func() *etree.Element {
			r := respSigned()
			clone := removeSig(r.Copy())
			r.InsertChildAt(findSig(r).Index(), clone)
			r.CreateAttr("ID", "_evil_response_ID")
			evil(r.FindElement("./Assertion"))
			return r
		},
		"XSW3": func() *etree.Element {
			r := assertSigned()
			a := r.FindElement("./Assertion")
			e := removeSig(a.Copy())
			evil(e)
			e.CreateAttr("ID", "_evil_assertion_ID")
			r.InsertChildAt(a.Index(), e)
			return r
		},
		"XSW4": func() *etree.Element {
			r := assertSigned()
			a := r.FindElement("./Assertion")
			e := removeSig(a.Copy())
			evil(e)
			e.CreateAttr("ID", "_evil_assertion_ID")
			r.RemoveChild(a)
			e.AddChild(a)
			r.AddChild(e)
			return r
		},
		"XSW5": func() *etree.Element {
			r := assertSigned()
			a := r.FindElement("./Assertion")
			pristine := removeSig(a.Copy())
			evil(a)
			a.CreateAttr("ID", "_evil_assertion_ID")
			r.AddChild(pristine)
			return r
		},
		"XSW6": func() *etree.Element {
			r := assertSigned()
			a := r.FindElement("./Assertion")
			pristine := removeSig(a.Copy())
			evil(a)
			a.CreateAttr("ID", "_evil_assertion_ID")
			findSig(a).AddChild(pristine)
			return r
		},
		"XSW7": func() *etree.Element {
			r := assertSigned()
			a := r.FindElement("./Assertion")
			e := removeSig(a.Copy())
			evil(e)
			ext := etree.NewElement("samlp:Extensions")
			ext.AddChild(e)
			r.InsertChildAt(a.Index(), ext)
			return r
		},
		"XSW8": func() *etree.Element {
			r := assertSigned()
			a := r.FindElement("./Assertion")
			pristine := removeSig(a.Copy())
			evil(a)
			obj := etree.NewElement("ds:Object")
			obj.AddChild(pristine)
			findSig(a).AddChild(obj)
			return r
		},
	}
	for _, name := range []string{"XSW1", "XSW2", "XSW3", "XSW4", "XSW5", "XSW6", "XSW7", "XSW8"} {
		t.Run(name, func(t *testing.T) {
			f.t = t
			res := f.post(serialize(xsw[name]()), "")
			f.refused(res, "Sign-in refused")
			t.Log(strings.TrimSpace(res.body[strings.Index(res.body, "<p>"):]))
		})
	}
	f.t = t
	se := f.accepted(f.post(serialize(assertSigned()), ""))
	if se.UserID != f.users["alice@example.com"] {
		t.Fatalf("user %q", se.UserID)
	}
}

// TestBegin: HTTP-Redirect binding with DEFLATE, base64 and RelayState; the
// request ID is recorded.
func TestBegin(t *testing.T) {
	f := newFixture(t)
	w := httptest.NewRecorder()
	f.sp.Begin(w, httptest.NewRequest("GET", centerURL+"/start", nil), "/accounts")
	if w.Code != http.StatusFound {
		t.Fatalf("status %d", w.Code)
	}
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil || loc.Scheme+"://"+loc.Host+loc.Path != idpSSO {
		t.Fatalf("location %q", w.Header().Get("Location"))
	}
	if loc.Query().Get("RelayState") != "/accounts" {
		t.Errorf("RelayState %q", loc.Query().Get("RelayState"))
	}
	raw, err := base64.StdEncoding.DecodeString(loc.Query().Get("SAMLRequest"))
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(inflate(t, raw)); err != nil {
		t.Fatal(err)
	}
	req := doc.Root()
	if req.Tag != "AuthnRequest" || req.SelectAttrValue("Version", "") != "2.0" ||
		req.SelectAttrValue("AssertionConsumerServiceURL", "") != centerURL+"/saml/acs" ||
		req.FindElement("./Issuer").Text() != centerURL+"/saml/metadata" ||
		req.FindElement("./NameIDPolicy").SelectAttrValue("Format", "") != samlsp.NameIDFormatEmail {
		t.Fatalf("AuthnRequest:\n%s", inflate(t, raw))
	}
	id := req.SelectAttrValue("ID", "")
	if id == "" || id[0] >= '0' && id[0] <= '9' {
		t.Fatalf("ID %q", id)
	}
	// The ID is answerable until it expires.
	f.now = f.now.Add(samlsp.DefaultRequestLifetime + time.Second)
	f.refused(f.post(serialize(f.signedAssertion(f.good(id), idpKey)), ""), "matches no outstanding request")
}

func TestOwnUsersSource(t *testing.T) {
	f := newFixture(t)
	if err := f.sp.UseCenterDirectory(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.refused(f.post(serialize(f.signedAssertion(f.good(""), idpKey)), ""), "not an external identity provider")
	w := httptest.NewRecorder()
	f.sp.Begin(w, httptest.NewRequest("GET", centerURL+"/start", nil), "")
	if w.Code != http.StatusForbidden {
		t.Fatalf("Begin with own users: %d", w.Code)
	}
}

func TestSPMetadata(t *testing.T) {
	f := newFixture(t)
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, httptest.NewRequest("GET", centerURL+"/saml/metadata", nil))
	body, _ := io.ReadAll(w.Body)
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(body); err != nil {
		t.Fatal(err)
	}
	ed := doc.Root()
	sp := ed.FindElement("./SPSSODescriptor")
	acs := sp.FindElement("./AssertionConsumerService")
	if ed.SelectAttrValue("entityID", "") != centerURL+"/saml/metadata" ||
		sp.SelectAttrValue("WantAssertionsSigned", "") != "true" ||
		sp.FindElement("./NameIDFormat").Text() != samlsp.NameIDFormatEmail ||
		acs.SelectAttrValue("Binding", "") != samlsp.BindingPOST ||
		acs.SelectAttrValue("Location", "") != centerURL+"/saml/acs" {
		t.Fatalf("metadata:\n%s", body)
	}
}

// TestRevokeUser: a leaver's sessions end at once, through the hook the
// SCIM server calls.
func TestRevokeUser(t *testing.T) {
	f := newFixture(t)
	res1 := f.post(serialize(f.signedAssertion(f.good(""), idpKey)), "")
	res2 := f.post(serialize(f.signedAssertion(f.good(""), idpKey)), "")
	se := f.accepted(res1)
	f.accepted(res2)
	var hook func(ctx context.Context, userID string, active bool) = f.sp.OnUserChange
	hook(context.Background(), se.UserID, false)
	for _, res := range []result{res1, res2} {
		req := httptest.NewRequest("GET", centerURL+"/start", nil)
		req.AddCookie(res.cookie)
		if _, err := f.sp.CurrentSession(req); err != samlsp.ErrNotFound {
			t.Fatalf("session after revoke: %v", err)
		}
	}
	// Sessions also end when they expire.
	res3 := f.post(serialize(f.signedAssertion(f.good(""), idpKey)), "")
	se3 := f.accepted(res3)
	f.now = se3.Expires
	req := httptest.NewRequest("GET", centerURL+"/start", nil)
	req.AddCookie(res3.cookie)
	if _, err := f.sp.CurrentSession(req); err != samlsp.ErrNotFound {
		t.Fatalf("expired session: %v", err)
	}
}
