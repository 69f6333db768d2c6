package samlproto

import (
	"bytes"
	"crypto"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/beevik/etree"
)

// Exclusive XML Canonicalization 1.0 without comments
// (https://www.w3.org/TR/xml-exc-c14n/, no InclusiveNamespaces prefix
// list), for the elements this package builds: every element and
// attribute name is prefixed and its prefix is declared by an xmlns:p
// attribute on the element or an ancestor; there is no default namespace,
// no processing instruction and no DTD. Anything else is refused rather
// than canonicalized wrongly.
//
// It replaces a general canonicalizer that copied namespace contexts at
// every element: canonicalizing and serializing were a tenth of a signed
// response's cost besides the RSA signature (docs/benchmarks.md, Sign-in).
const (
	C14NExclusive = "http://www.w3.org/2001/10/xml-exc-c14n#"
)

// canonicalize returns el's canonical form, leaving out the child skip (an
// enveloped signature, XML-DSig §6.6.4) when it is not nil. Namespaces
// declared by el's ancestors are in scope; only those el's subtree
// visibly utilizes are rendered (exc-c14n §3).
func canonicalize(el, skip *etree.Element) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(16 << 10) // a signed response with a certificate: 8-12 KiB
	err := writeCanonical(&b, el, skip, nil)
	return b.Bytes(), err
}

// digestCanonical returns the hash under h of el's canonical form. The
// form is only hashed, so it is written into a buffer from a pool: two of
// the three canonical forms of each signed response are digests.
func digestCanonical(h crypto.Hash, el *etree.Element) ([]byte, error) {
	b := c14nBuffers.Get().(*bytes.Buffer)
	defer c14nBuffers.Put(b)
	b.Reset()
	if err := writeCanonical(b, el, nil, nil); err != nil {
		return nil, err
	}
	d := h.New()
	d.Write(b.Bytes())
	return d.Sum(nil), nil
}

var c14nBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeCanonical writes el under output ancestors that rendered the
// namespaces in rendered (prefix -> URI).
func writeCanonical(b *bytes.Buffer, el, skip *etree.Element, rendered map[string]string) error {
	if el.Space == "" {
		return fmt.Errorf("samlproto: c14n: element %q has no prefix", el.Tag)
	}
	// The prefixes el visibly utilizes (exc-c14n §3): its own and its
	// attributes'; xmlns declarations are not attributes in the data model.
	var usedBuf [4]string
	var attrBuf [8]etree.Attr
	used, attrs := append(usedBuf[:0], el.Space), attrBuf[:0]
	for _, a := range el.Attr {
		switch {
		case a.Space == "xmlns":
			continue
		case a.Space == "" && a.Key == "xmlns":
			return fmt.Errorf("samlproto: c14n: default namespace on %q", el.FullTag())
		case a.Space != "":
			if !slices.Contains(used, a.Space) {
				used = append(used, a.Space)
			}
		}
		attrs = append(attrs, a)
	}
	slices.Sort(used)
	b.WriteByte('<')
	writeName(b, el.Space, el.Tag)
	var child map[string]string
	for _, p := range used {
		uri := lookupNS(el, p)
		if uri == "" {
			return fmt.Errorf("samlproto: c14n: prefix %q of %q is not declared", p, el.FullTag())
		}
		if rendered[p] == uri {
			continue
		}
		if child == nil {
			child = make(map[string]string, len(rendered)+len(used))
			for k, v := range rendered {
				child[k] = v
			}
		}
		child[p] = uri
		b.WriteString(` xmlns:`)
		b.WriteString(p)
		b.WriteString(`="`)
		escapeAttr(b, uri)
		b.WriteByte('"')
	}
	if child == nil {
		child = rendered
	}
	// Attributes in order of namespace URI, then local name (c14n §2.2);
	// unprefixed ones (no namespace) first.
	slices.SortFunc(attrs, func(x, y etree.Attr) int {
		if c := strings.Compare(attrNS(el, x), attrNS(el, y)); c != 0 {
			return c
		}
		return strings.Compare(x.Key, y.Key)
	})
	for _, a := range attrs {
		b.WriteByte(' ')
		writeName(b, a.Space, a.Key)
		b.WriteString(`="`)
		escapeAttr(b, a.Value)
		b.WriteByte('"')
	}
	b.WriteByte('>')
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			if t == skip {
				continue
			}
			if err := writeCanonical(b, t, skip, child); err != nil {
				return err
			}
		case *etree.CharData:
			escapeText(b, t.Data)
		case *etree.Comment:
			// Canonical XML without comments drops them.
		default:
			return fmt.Errorf("samlproto: c14n: unsupported %T in %q", t, el.FullTag())
		}
	}
	b.WriteString("</")
	writeName(b, el.Space, el.Tag)
	b.WriteByte('>')
	return nil
}

// writeName writes the qualified name space:local, or local alone.
func writeName(b *bytes.Buffer, space, local string) {
	if space != "" {
		b.WriteString(space)
		b.WriteByte(':')
	}
	b.WriteString(local)
}

// lookupNS resolves prefix p from el's xmlns:p declarations and its
// ancestors'.
func lookupNS(el *etree.Element, p string) string {
	for e := el; e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if a.Space == "xmlns" && a.Key == p {
				return a.Value
			}
		}
	}
	return ""
}

func attrNS(el *etree.Element, a etree.Attr) string {
	if a.Space == "" {
		return ""
	}
	return lookupNS(el, a.Space)
}

// escapeText escapes character data as c14n §2.3 prescribes.
func escapeText(b *bytes.Buffer, s string) { escape(b, s, textEscapes) }

// escapeAttr escapes an attribute value as c14n §2.3 prescribes.
func escapeAttr(b *bytes.Buffer, s string) { escape(b, s, attrEscapes) }

// textEscapes and attrEscapes map each byte c14n escapes in character
// data and in attribute values to its replacement (c14n §2.3).
var textEscapes, attrEscapes = escapeTable(map[byte]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '\r': "&#xD;"}),
	escapeTable(map[byte]string{'&': "&amp;", '<': "&lt;", '"': "&quot;", '\t': "&#x9;", '\n': "&#xA;", '\r': "&#xD;"})

func escapeTable(m map[byte]string) *[256]string {
	var t [256]string
	for c, r := range m {
		t[c] = r
	}
	return &t
}

// escape writes s with the bytes t names replaced, copying the runs
// between them whole: most values (base64, URLs, names) have none.
func escape(b *bytes.Buffer, s string, t *[256]string) {
	start := 0
	for i := 0; i < len(s); i++ {
		if r := t[s[i]]; r != "" {
			b.WriteString(s[start:i])
			b.WriteString(r)
			start = i + 1
		}
	}
	b.WriteString(s[start:])
}
