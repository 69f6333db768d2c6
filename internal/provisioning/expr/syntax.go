package expr

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what Parse accepts and Eval builds. They keep hostile or runaway
// mappings from costing unbounded time, memory or stack.
const (
	MaxSourceLen = 8 << 10 // bytes
	MaxDepth     = 64      // nested function calls
	MaxValueLen  = 1 << 20 // bytes in a value computed during evaluation
)

// SyntaxError reports an expression that Parse refused.
type SyntaxError struct {
	Pos int    // 1-based position, in characters, of the offending text
	Msg string // what is wrong
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("expression: at position %d: %s", e.Pos, e.Msg)
}

// Expr is a parsed expression. It is immutable and safe for concurrent use.
type Expr struct {
	root     node
	redacted bool
}

// Redacted reports whether the expression calls Redact. Entra then logs the
// literal RedactedText in place of the computed value, and so must the caller.
func (e *Expr) Redacted() bool { return e.redacted }

// RedactedText is what provisioning logs show instead of a redacted value.
const RedactedText = "[Redact]"

// String returns the canonical form of the expression: Microsoft's spelling
// of function names, no white space outside literals, strings re-escaped and
// numbers in plain form. It is never longer than the text it was parsed
// from, so it always parses again, to the same expression.
func (e *Expr) String() string {
	var b strings.Builder
	writeNode(&b, e.root)
	return b.String()
}

// node is one of the syntax-tree types below. A nil node is an argument
// that was left out, as in Switch([x], , "a", "b").
type node interface{ position() int }

type (
	callNode struct {
		pos  int
		fn   *function
		args []node
	}
	attrNode struct {
		pos  int
		name string
	}
	strNode struct {
		pos int
		val string
	}
	numNode struct {
		pos int
		val int64
		hex bool // written &H…; kept so the canonical form stays recognisable
	}
	constNode struct {
		pos  int
		name string // canonical spelling, e.g. vbTextCompare
	}
	cmpNode struct {
		pos         int // of the operator
		op          string
		left, right node
	}
)

func (n *callNode) position() int  { return n.pos }
func (n *attrNode) position() int  { return n.pos }
func (n *strNode) position() int   { return n.pos }
func (n *numNode) position() int   { return n.pos }
func (n *constNode) position() int { return n.pos }
func (n *cmpNode) position() int   { return n.pos }

// constants are the bare names the language knows: InStr's comparison
// modes. Their value is their name, which InStr interprets.
var constants = map[string]string{
	"vbbinarycompare": "vbBinaryCompare",
	"vbtextcompare":   "vbTextCompare",
}

func writeNode(b *strings.Builder, n node) {
	switch n := n.(type) {
	case nil:
	case *callNode:
		b.WriteString(n.fn.name)
		b.WriteByte('(')
		for i, a := range n.args {
			if i > 0 {
				b.WriteByte(',')
			}
			writeNode(b, a)
		}
		b.WriteByte(')')
	case *attrNode:
		b.WriteByte('[')
		b.WriteString(n.name)
		b.WriteByte(']')
	case *strNode:
		b.WriteByte('"')
		for _, r := range n.val {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	case *numNode:
		if n.hex {
			b.WriteString("&H")
			b.WriteString(strings.ToUpper(strconv.FormatInt(n.val, 16)))
		} else {
			b.WriteString(strconv.FormatInt(n.val, 10))
		}
	case *constNode:
		b.WriteString(n.name)
	case *cmpNode:
		writeNode(b, n.left)
		b.WriteString(n.op)
		writeNode(b, n.right)
	}
}

// Parse parses an attribute-mapping expression.
func Parse(src string) (*Expr, error) {
	if len(src) > MaxSourceLen {
		return nil, &SyntaxError{Pos: 1, Msg: fmt.Sprintf("expression is %d bytes long; at most %d are allowed", len(src), MaxSourceLen)}
	}
	if !utf8.ValidString(src) {
		bad := 0
		for bad < len(src) {
			r, size := utf8.DecodeRuneInString(src[bad:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			bad += size
		}
		return nil, &SyntaxError{Pos: utf8.RuneCountInString(src[:bad]) + 1, Msg: "expression is not valid UTF-8"}
	}
	p := &parser{src: src, pos: 1}
	p.skipSpace()
	if p.eof() {
		return nil, &SyntaxError{Pos: 1, Msg: "empty expression"}
	}
	root, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		return nil, p.errorf(p.pos, "unexpected %s after the end of the expression", p.describe())
	}
	return &Expr{root: root, redacted: p.redacted}, nil
}

type parser struct {
	src      string
	off      int // byte offset of the next character
	pos      int // its 1-based character position
	redacted bool
}

func (p *parser) eof() bool { return p.off >= len(p.src) }

func (p *parser) peek() rune {
	r, _ := utf8.DecodeRuneInString(p.src[p.off:])
	return r
}

func (p *parser) next() rune {
	r, size := utf8.DecodeRuneInString(p.src[p.off:])
	p.off += size
	p.pos++
	return r
}

func (p *parser) skipSpace() {
	for !p.eof() {
		switch p.peek() {
		case ' ', '\t', '\r', '\n':
			p.next()
		default:
			return
		}
	}
}

func (p *parser) errorf(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// describe names the next character for error messages; callers handle
// the end of the input themselves.
func (p *parser) describe() string { return strconv.QuoteRune(p.peek()) }

// expr parses an operand, optionally compared with a second one. depth is
// the number of calls enclosing it.
func (p *parser) expr(depth int) (node, error) {
	left, err := p.operand(depth)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	opPos := p.pos
	op := p.comparison()
	if op == "" {
		return left, nil
	}
	p.skipSpace()
	right, err := p.operand(depth)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if again := p.pos; p.comparison() != "" {
		return nil, p.errorf(again, "comparisons cannot be chained; nest IIF calls instead")
	}
	for _, side := range []node{left, right} {
		if c, ok := side.(*callNode); ok && c.fn.topLevelOnly {
			return nil, p.errorf(c.pos, "%s must be the whole expression; it cannot be compared", c.fn.name)
		}
	}
	return &cmpNode{pos: opPos, op: op, left: left, right: right}, nil
}

func (p *parser) comparison() string {
	rest := p.src[p.off:]
	for _, op := range []string{"<>", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(rest, op) {
			p.off += len(op)
			p.pos += len(op)
			return op
		}
	}
	return ""
}

func (p *parser) operand(depth int) (node, error) {
	if p.eof() {
		return nil, p.errorf(p.pos, "unexpected end of expression; expected an attribute, a string, a number or a function call")
	}
	switch r := p.peek(); {
	case r == '[':
		return p.attribute()
	case r == '"':
		return p.stringLit()
	case r == '-' || r == '&' || isDigit(r):
		return p.number()
	case isLetter(r):
		return p.name(depth)
	default:
		return nil, p.errorf(p.pos, "unexpected %s; expected an attribute, a string, a number or a function call", p.describe())
	}
}

func (p *parser) attribute() (node, error) {
	start := p.pos
	p.next() // [
	from := p.off
	for !p.eof() && p.peek() != ']' {
		if r := p.peek(); unicode.IsControl(r) {
			return nil, p.errorf(p.pos, "attribute name contains the control character %U", r)
		}
		p.next()
	}
	if p.eof() {
		return nil, p.errorf(start, "attribute name is missing its closing ']'")
	}
	name := p.src[from:p.off]
	p.next() // ]
	if strings.TrimSpace(name) == "" {
		return nil, p.errorf(start, "empty attribute name")
	}
	return &attrNode{pos: start, name: name}, nil
}

func (p *parser) stringLit() (node, error) {
	start := p.pos
	p.next() // "
	var b strings.Builder
	for {
		if p.eof() {
			return nil, p.errorf(start, "string is missing its closing '\"'")
		}
		escPos := p.pos
		switch r := p.next(); r {
		case '"':
			return &strNode{pos: start, val: b.String()}, nil
		case '\\':
			if p.eof() {
				return nil, p.errorf(start, "string is missing its closing '\"'")
			}
			e := p.next()
			if e != '"' && e != '\\' {
				return nil, p.errorf(escPos, `unknown escape \%c in string; only \" and \\ are allowed, so write \\ for a backslash`, e)
			}
			b.WriteRune(e)
		default:
			b.WriteRune(r)
		}
	}
}

func (p *parser) number() (node, error) {
	start, begin := p.pos, p.off
	from := p.off
	hex := false
	switch p.peek() {
	case '&':
		p.next()
		if p.eof() || (p.peek() != 'H' && p.peek() != 'h') {
			return nil, p.errorf(start, "'&' must start a hexadecimal number such as &HFF")
		}
		p.next()
		from = p.off
		hex = true
		for !p.eof() && isHexDigit(p.peek()) {
			p.next()
		}
	case '-':
		p.next()
		if p.eof() || !isDigit(p.peek()) {
			return nil, p.errorf(start, "'-' must be followed by a digit")
		}
		fallthrough
	default:
		for !p.eof() && isDigit(p.peek()) {
			p.next()
		}
	}
	text := p.src[from:p.off]
	if !p.eof() {
		if r := p.peek(); r == '.' || r == '_' || isLetter(r) || isDigit(r) {
			return nil, p.errorf(start, "malformed number; only whole numbers such as 42, -7 and &HFF are allowed")
		}
	}
	if text == "" {
		return nil, p.errorf(start, "'&H' must be followed by hexadecimal digits")
	}
	base := 10
	if hex {
		base = 16
	}
	v, err := strconv.ParseInt(text, base, 64)
	if err != nil {
		return nil, p.errorf(start, "number %s is out of range", p.src[begin:p.off])
	}
	return &numNode{pos: start, val: v, hex: hex}, nil
}

// name parses a function call or one of the bare constants.
func (p *parser) name(depth int) (node, error) {
	start := p.pos
	from := p.off
	for !p.eof() && (isLetter(p.peek()) || isDigit(p.peek()) || p.peek() == '_') {
		p.next()
	}
	ident := p.src[from:p.off]
	p.skipSpace()
	if p.eof() || p.peek() != '(' {
		if c, ok := constants[strings.ToLower(ident)]; ok {
			return &constNode{pos: start, name: c}, nil
		}
		if strings.EqualFold(ident, "True") || strings.EqualFold(ident, "False") {
			return nil, p.errorf(start, "unknown name %s; booleans are the strings \"True\" and \"False\"", ident)
		}
		if _, ok := functions[strings.ToLower(ident)]; ok {
			return nil, p.errorf(p.pos, "expected '(' after the function name %s", ident)
		}
		return nil, p.errorf(start, "unknown name %s; attribute names go in square brackets, as in [%s]", ident, ident)
	}
	fn, ok := functions[strings.ToLower(ident)]
	if !ok {
		if s := suggest(ident); s != "" {
			return nil, p.errorf(start, "unknown function %q; did you mean %q?", ident, s)
		}
		return nil, p.errorf(start, "unknown function %q", ident)
	}
	depth++
	if depth > MaxDepth {
		return nil, p.errorf(start, "expression nests more than %d function calls", MaxDepth)
	}
	if fn.topLevelOnly && depth > 1 {
		return nil, p.errorf(start, "%s must be the whole expression; it cannot be nested", fn.name)
	}
	if fn.name == "Redact" {
		p.redacted = true
	}
	call := &callNode{pos: start, fn: fn}
	p.next() // (
	p.skipSpace()
	if !p.eof() && p.peek() == ')' {
		p.next()
		return call, fn.checkCall(call)
	}
	for {
		p.skipSpace()
		argPos := p.pos
		var arg node
		if p.eof() || (p.peek() != ',' && p.peek() != ')') {
			var err error
			if arg, err = p.expr(depth); err != nil {
				return nil, err
			}
			p.skipSpace()
		}
		if arg == nil && !fn.mayOmit(len(call.args)) {
			return nil, p.errorf(argPos, "%s: argument %d (%s) is required and cannot be left out", fn.name, len(call.args)+1, fn.param(len(call.args)))
		}
		call.args = append(call.args, arg)
		if p.eof() {
			return nil, p.errorf(start, "%s( is missing its closing ')'", fn.name)
		}
		switch p.peek() {
		case ',':
			p.next()
		case ')':
			p.next()
			return call, fn.checkCall(call)
		default:
			return nil, p.errorf(p.pos, "unexpected %s in the arguments of %s; expected ',' or ')'", p.describe(), fn.name)
		}
	}
}

func isDigit(r rune) bool    { return '0' <= r && r <= '9' }
func isLetter(r rune) bool   { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' }
func isHexDigit(r rune) bool { return isDigit(r) || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F' }

// suggest returns the known function name closest to an unknown one, if any
// is close enough to be a likely typo.
func suggest(name string) string {
	best, bestDist := "", 3
	for _, fn := range functionList {
		if d := editDistance(strings.ToLower(name), strings.ToLower(fn.name)); d < bestDist {
			best, bestDist = fn.name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between two ASCII names.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
