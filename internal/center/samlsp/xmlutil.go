package samlsp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/beevik/etree"
	rtvalidator "github.com/mattermost/xml-roundtrip-validator"
)

// parseStrict parses data into a DOM after refusing what must never reach
// one: any DTD (DOCTYPE, ENTITY, ATTLIST: XXE, entity expansion and the
// parser-differential attacks of real-clients.md §5.4–5.6), undefined
// entities, and documents whose tokens do not survive an encoding/xml round
// trip (CVE-2020-29509/29510/29511, crewjam CVE-2020-27846).
func parseStrict(data []byte) (*etree.Document, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("malformed XML: %w", err)
		}
		if _, ok := tok.(xml.Directive); ok {
			return nil, errors.New("a DTD (DOCTYPE or entity declaration) is not allowed")
		}
	}
	if err := rtvalidator.Validate(bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("XML does not round-trip: %w", err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, fmt.Errorf("malformed XML: %w", err)
	}
	if doc.Root() == nil {
		return nil, errors.New("no root element")
	}
	return doc, nil
}

// is reports whether el is the element {ns}local, with its prefix resolved.
func is(el *etree.Element, ns, local string) bool {
	return el != nil && el.Tag == local && el.NamespaceURI() == ns
}

// children returns the direct child elements {ns}local of el.
func children(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if is(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// child returns the only direct child {ns}local of el, nil if there is
// none, and an error if there are several (a schema violation that wrapping
// attacks rely on).
func child(el *etree.Element, ns, local string) (*etree.Element, error) {
	cs := children(el, ns, local)
	switch len(cs) {
	case 0:
		return nil, nil
	case 1:
		return cs[0], nil
	}
	return nil, fmt.Errorf("%d <%s> elements where at most one is allowed", len(cs), local)
}

// findAll returns every descendant {ns}local of el, in document order.
func findAll(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	var walk func(*etree.Element)
	walk = func(e *etree.Element) {
		for _, c := range e.ChildElements() {
			if is(c, ns, local) {
				out = append(out, c)
			}
			walk(c)
		}
	}
	walk(el)
	return out
}

// textOf returns the whole character content of el: every text and CDATA
// node concatenated, comments and processing instructions skipped. Unlike
// etree's Text(), which stops at the first comment, an injected comment
// cannot truncate the value (VU#475445, real-clients.md §5.3).
func textOf(el *etree.Element) string {
	var b strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}
