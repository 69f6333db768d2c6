package filter

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// AttrPath names an attribute, as in RFC 7644 Figure 1:
//
//	attrPath = [URI ":"] ATTRNAME *1subAttr
//
// For urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value
// URN is "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", Name
// is "manager" and Sub is "value". The URN is everything before the last
// ":", so a bare schema URN such as
// urn:ietf:params:scim:schemas:extension:enterprise:2.0:User parses with
// Name "User"; callers that accept a whole extension as a PATCH path can
// recognise it by joining URN and Name. All parts keep the case they were
// written in.
type AttrPath struct {
	URN  string // schema URN prefix, or "" if the path is not qualified
	Name string // attribute name
	Sub  string // sub-attribute name, or "" if there is none
}

// String returns the path in filter syntax.
func (a AttrPath) String() string {
	s := a.Name
	if a.URN != "" {
		s = a.URN + ":" + s
	}
	if a.Sub != "" {
		s += "." + a.Sub
	}
	return s
}

// Expr is a node of a filter's syntax tree: *Compare, *Present, *Logical,
// *Not or *ValuePath. The set is closed so that evaluators can switch on
// the type exhaustively. String returns canonical filter syntax that
// Parse turns back into an equal tree.
type Expr interface {
	fmt.Stringer
	isExpr()
}

// Compare is "Path Op Value", such as userName eq "bjensen".
type Compare struct {
	Path AttrPath
	// Op is one of eq, ne, co, sw, ew, gt, lt, ge and le, in lower case
	// whatever case the filter used.
	Op string
	// Value is a string, a json.Number (which keeps the literal as
	// written, so callers choose integer or float conversion), a bool, or
	// nil for null. Whether the value suits the attribute and operator
	// (gt on a boolean is an error, RFC 7644 §3.4.2.2) depends on the
	// schema and is left to the caller.
	Value any
}

// Present is "Path pr": the attribute has a non-empty value.
type Present struct {
	Path AttrPath
}

// Logical is "Left and Right" or "Left or Right". Chains associate to the
// left: a and b and c is (a and b) and c.
type Logical struct {
	Op          string // "and" or "or", in lower case
	Left, Right Expr
}

// Not is "not (X)".
type Not struct {
	X Expr
}

// ValuePath is "Attr[Filter]": some value of the multi-valued attribute
// Attr matches Filter. Attribute paths inside Filter are relative to Attr:
// in emails[type eq "work"], "type" means emails.type. Filter never
// contains another ValuePath (RFC 7644 Figure 1, valFilter).
type ValuePath struct {
	Attr   AttrPath
	Filter Expr
}

func (*Compare) isExpr()   {}
func (*Present) isExpr()   {}
func (*Logical) isExpr()   {}
func (*Not) isExpr()       {}
func (*ValuePath) isExpr() {}

func (c *Compare) String() string {
	return c.Path.String() + " " + c.Op + " " + formatValue(c.Value)
}

func (p *Present) String() string { return p.Path.String() + " pr" }

func (l *Logical) String() string {
	return operand(l.Left, l.Op, false) + " " + l.Op + " " + operand(l.Right, l.Op, true)
}

// operand formats one side of a Logical with parentheses only where the
// parser needs them to rebuild the same tree: "and" binds tighter than
// "or", and both associate to the left.
func operand(e Expr, parentOp string, right bool) string {
	if l, ok := e.(*Logical); ok && (l.Op == "or" && parentOp == "and" || right && l.Op == parentOp) {
		return "(" + l.String() + ")"
	}
	return e.String()
}

func (n *Not) String() string { return "not (" + n.X.String() + ")" }

func (v *ValuePath) String() string {
	return v.Attr.String() + "[" + v.Filter.String() + "]"
}

// Path is a parsed PATCH "path" (RFC 7644 §3.5.2):
//
//	PATH = attrPath / valuePath [subAttr]
//
// For emails[type eq "work"].value, Attr is emails, Filter is
// type eq "work" and Sub is "value".
type Path struct {
	Attr   AttrPath
	Filter Expr   // the filter in brackets, or nil if there is none
	Sub    string // the sub-attribute after "]", or ""
}

// String returns the path in PATCH path syntax.
func (p Path) String() string {
	s := p.Attr.String()
	if p.Filter != nil {
		s += "[" + p.Filter.String() + "]"
	}
	if p.Sub != "" {
		s += "." + p.Sub
	}
	return s
}

// formatValue writes a comparison value as the JSON literal the parser
// accepts.
func formatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		if v {
			return "true"
		}
		return "false"
	case json.Number:
		return string(v)
	case string:
		return quote(v)
	}
	return fmt.Sprint(v)
}

// quote writes s as a JSON string. Unlike json.Marshal it leaves <, > and &
// alone, so canonical filters stay readable and no longer than needed.
// Bytes that are not UTF-8 become U+FFFD, as in encoding/json.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteString(`\ufffd`)
			} else {
				b.WriteString(s[i : i+size])
			}
			i += size
			continue
		}
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, c)
			} else {
				b.WriteByte(c)
			}
		}
		i++
	}
	b.WriteByte('"')
	return b.String()
}

// Conjuncts reports whether e is only comparisons joined by "and", such as
// userName eq "a" and externalId eq "b", and if so returns them from left
// to right. A server that supports only that subset of filters checks for
// it in one call, then looks at each Op.
func Conjuncts(e Expr) ([]*Compare, bool) {
	var out []*Compare
	var walk func(Expr) bool
	walk = func(e Expr) bool {
		switch e := e.(type) {
		case *Compare:
			out = append(out, e)
			return true
		case *Logical:
			return e.Op == "and" && walk(e.Left) && walk(e.Right)
		}
		return false
	}
	if !walk(e) {
		return nil, false
	}
	return out, true
}
