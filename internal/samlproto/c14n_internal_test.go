package samlproto

import (
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// The canonicalizer agrees with goxmldsig's general exclusive C14N on the
// shapes this package builds, escaping and namespace placement included,
// and refuses what it does not handle.
func TestCanonicalizeMatchesReference(t *testing.T) {
	resp := etree.NewElement("samlp:Response")
	resp.CreateAttr("xmlns:samlp", NSProtocol)
	resp.CreateAttr("xmlns:saml", NSAssertion) // declared but not used by Response itself
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("ID", "_r1")
	resp.CreateAttr("Destination", "https://sp.example/acs?a=1&b=\"2\"\t<x>\n")
	resp.CreateElement("saml:Issuer").SetText("https://idp.example/ & <co> \r\n")
	a := resp.CreateElement("saml:Assertion")
	a.CreateAttr("xmlns:saml", NSAssertion) // redundant in the document, rendered once
	a.CreateAttr("ID", "_a1")
	a.CreateAttr("IssueInstant", "2026-01-01T00:00:00.000Z")
	sig := a.CreateElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", NSDSig)
	sig.CreateElement("ds:SignedInfo").SetText("x")
	a.CreateComment(" dropped ")
	at := a.CreateElement("saml:AttributeStatement").CreateElement("saml:Attribute")
	at.CreateAttr("Name", "https://aws.amazon.com/SAML/Attributes/PrincipalTag:Team")
	at.CreateAttr("NameFormat", AttrNameFormatURI)
	at.CreateElement("saml:AttributeValue").SetText("R&D > ops ü")
	at.CreateElement("saml:AttributeValue")

	ref := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	for name, el := range map[string]*etree.Element{"response": resp, "assertion": a, "signedinfo-in-place": sig.SelectElement("SignedInfo")} {
		want := canonicalOfAttached(t, ref, el)
		got, err := canonicalize(el, nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	// The enveloped signature is left out.
	got, err := canonicalize(a, sig)
	if err != nil {
		t.Fatal(err)
	}
	a.RemoveChild(sig)
	want, _ := canonicalize(a, nil)
	if string(got) != string(want) {
		t.Errorf("skip:\n got %s\nwant %s", got, want)
	}

	for name, el := range map[string]*etree.Element{
		"no prefix":  etree.NewElement("Response"),
		"undeclared": etree.NewElement("x:Response"),
		"default xmlns": func() *etree.Element {
			e := etree.NewElement("x:R")
			e.CreateAttr("xmlns:x", "urn:x")
			e.CreateAttr("xmlns", "urn:d")
			return e
		}(),
		"processing instr": func() *etree.Element {
			e := etree.NewElement("x:R")
			e.CreateAttr("xmlns:x", "urn:x")
			e.CreateProcInst("p", "q")
			return e
		}(),
	} {
		if b, err := canonicalize(el, nil); err == nil {
			t.Errorf("%s: canonicalized to %s, want an error", name, b)
		}
	}
}

// canonicalOfAttached canonicalizes el with goxmldsig as its verifier does
// for an element inside a document: a copy given its ancestors'
// declarations, which are in scope.
func canonicalOfAttached(t *testing.T, ref dsig.Canonicalizer, el *etree.Element) []byte {
	t.Helper()
	cp := el.Copy()
	for e := el.Parent(); e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if a.Space == "xmlns" && cp.SelectAttr("xmlns:"+a.Key) == nil {
				cp.CreateAttr("xmlns:"+a.Key, a.Value)
			}
		}
	}
	b, err := ref.Canonicalize(cp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkCanonicalizeResponse canonicalizes a signed response with AWS's
// attributes, as BuildResponse does three times per response (the
// assertion's digest, the SignedInfo, the document written out).
func BenchmarkCanonicalizeResponse(b *testing.B) {
	der, key, err := NewSigningCert("bench idp", time.Now(), time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	r := &Response{Issuer: "https://idp.example.test/saml/app/metadata", Destination: "https://signin.aws.amazon.com/saml",
		Audience: "urn:amazon:webservices", NameID: "alice@example.test", NameIDFormat: NameIDEmail,
		IssueInstant: time.Now(), SessionIndex: "_s1", AuthnContextClassRef: AuthnPasswordProtectedTransport,
		Attributes: []Attribute{
			{Name: "https://aws.amazon.com/SAML/Attributes/Role", Values: []string{
				"arn:aws:iam::111122223333:role/Admin,arn:aws:iam::111122223333:saml-provider/Gatehouse"}},
			{Name: "https://aws.amazon.com/SAML/Attributes/RoleSessionName", Values: []string{"alice@example.test"}},
			{Name: "https://aws.amazon.com/SAML/Attributes/SessionDuration", Values: []string{"3600"}},
			{Name: "https://aws.amazon.com/SAML/Attributes/PrincipalTag:Department", Values: []string{"R&D"}},
			{Name: "https://aws.amazon.com/SAML/Attributes/AccessControl:CostCenter", Values: []string{"4711"}},
		}}
	out, err := BuildResponse(r, &Signer{Key: key, CertDER: der})
	if err != nil {
		b.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(out); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := canonicalize(doc.Root(), nil); err != nil {
			b.Fatal(err)
		}
	}
}
