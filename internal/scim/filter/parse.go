package filter

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits on input, so that a hostile filter cannot make the parser spend
// unbounded time, memory or stack. Real filters are far smaller:
// provisioning clients send one or two comparisons.
const (
	// MaxLength is the longest filter or path accepted, in bytes.
	MaxLength = 4096
	// MaxDepth is the deepest nesting of parentheses and brackets
	// accepted.
	MaxDepth = 32
)

// SyntaxError describes input that is not a valid filter or path.
type SyntaxError struct {
	What string // "filter" or "path": which kind of input was parsed
	Pos  int    // byte offset into the input where the problem was found
	Msg  string // what was expected and what was found
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s: at position %d: %s", e.What, e.Pos, e.Msg)
}

// Parse parses a SCIM filter (RFC 7644 §3.4.2.2), such as
// userName eq "bjensen" and not (emails co "example.org"). Errors are
// *SyntaxError values.
func Parse(s string) (Expr, error) {
	p, err := newParser("filter", s)
	if err != nil {
		return nil, err
	}
	e, err := p.parseOr(false)
	if err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != tokEOF {
		if t.kind == tokRParen || t.kind == tokRBracket {
			return nil, p.errorf(t.pos, "%q has no matching opening %q", t.text, opening(t.kind))
		}
		return nil, p.errorf(t.pos, `expected "and", "or" or the end of the filter, found %s`, describe(t))
	}
	return e, nil
}

// ParsePath parses the "path" of a SCIM PATCH operation (RFC 7644 §3.5.2),
// such as emails[type eq "work"].value. Errors are *SyntaxError values.
func ParsePath(s string) (Path, error) {
	p, err := newParser("path", s)
	if err != nil {
		return Path{}, err
	}
	t := p.next()
	if t.kind != tokWord {
		return Path{}, p.errorf(t.pos, "expected an attribute name, found %s", describe(t))
	}
	attr, err := p.parseAttrPath(t)
	if err != nil {
		return Path{}, err
	}
	path := Path{Attr: attr}
	if p.peek().kind == tokLBracket {
		f, closer, err := p.parseBrackets(p.next())
		if err != nil {
			return Path{}, err
		}
		path.Filter = f
		if path.Sub, err = p.parseSubAfter(closer); err != nil {
			return Path{}, err
		}
	}
	if t := p.next(); t.kind != tokEOF {
		if path.Filter == nil && t.kind == tokWord {
			return Path{}, p.errorf(t.pos, `unexpected %s after the attribute path; to select values of a multi-valued attribute put the filter in brackets, as in emails[type eq "work"]`, describe(t))
		}
		return Path{}, p.errorf(t.pos, "unexpected %s after the end of the path", describe(t))
	}
	return path, nil
}

type tokenKind uint8

const (
	tokEOF tokenKind = iota
	tokLParen
	tokRParen
	tokLBracket
	tokRBracket
	tokWord   // attribute path, keyword, operator, number, true, false or null
	tokString // a JSON string with its quotes, possibly unterminated
	tokOther  // any other character, which is always an error
)

type token struct {
	kind tokenKind
	pos  int    // byte offset of the token's first byte
	text string // the token as written
}

type parser struct {
	what  string  // "filter" or "path", for SyntaxError.What
	toks  []token // ends with a tokEOF
	i     int     // index of the next token in toks
	depth int     // parentheses and brackets open at this point
}

func newParser(what, s string) (*parser, error) {
	p := &parser{what: what}
	if len(s) > MaxLength {
		return nil, p.errorf(MaxLength, "the %s is %d bytes long; the limit is %d bytes", what, len(s), MaxLength)
	}
	p.toks = lex(s)
	if p.toks[0].kind == tokEOF {
		return nil, p.errorf(0, "the %s is empty", what)
	}
	return p, nil
}

func (p *parser) errorf(pos int, format string, args ...any) error {
	return &SyntaxError{What: p.what, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

// lex splits s into tokens. It cannot fail: malformed strings and stray
// characters become tokens that the parser reports in context, which
// gives better messages than the lexer could.
func lex(s string) []token {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		start := i
		kind := tokOther
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '(':
			kind, i = tokLParen, i+1
		case c == ')':
			kind, i = tokRParen, i+1
		case c == '[':
			kind, i = tokLBracket, i+1
		case c == ']':
			kind, i = tokRBracket, i+1
		case c == '"':
			kind = tokString
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++ // skip the escaped byte, which may be a quote
				}
			}
			i = min(i+1, len(s))
		case isWordByte(c):
			kind = tokWord
			for i < len(s) && isWordByte(s[i]) {
				i++
			}
		default:
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
		toks = append(toks, token{kind: kind, pos: start, text: s[start:i]})
	}
	return append(toks, token{kind: tokEOF, pos: len(s)})
}

// isWordByte reports whether c can be part of an attribute path (letters,
// digits, "-", "_", "$" for "$ref", "." and ":" for sub-attributes and
// URNs) or of a JSON number (digits, "-", "+", ".", "e").
func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == ':' || c == '$' || c == '+'
}

// parseOr parses FILTER, or valFilter when inBrackets is set. RFC 7644
// §3.4.2.2 gives grouping precedence over "not", "not" over "and", and
// "and" over "or", hence or → and → term.
func (p *parser) parseOr(inBrackets bool) (Expr, error) {
	left, err := p.parseAnd(inBrackets)
	if err != nil {
		return nil, err
	}
	for p.peekKeyword("or") {
		p.next()
		right, err := p.parseAnd(inBrackets)
		if err != nil {
			return nil, err
		}
		left = &Logical{Op: "or", Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) parseAnd(inBrackets bool) (Expr, error) {
	left, err := p.parseTerm(inBrackets)
	if err != nil {
		return nil, err
	}
	for p.peekKeyword("and") {
		p.next()
		right, err := p.parseTerm(inBrackets)
		if err != nil {
			return nil, err
		}
		left = &Logical{Op: "and", Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) peekKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tokWord && strings.EqualFold(t.text, kw)
}

// parseTerm parses a parenthesised filter, "not (…)", an attribute
// expression or a value path.
func (p *parser) parseTerm(inBrackets bool) (Expr, error) {
	t := p.next()
	switch t.kind {
	case tokLParen:
		return p.parseParens(t, inBrackets)
	case tokWord:
		if strings.EqualFold(t.text, "not") {
			// "not" is only a keyword before "(": an attribute may be
			// called "not" (ATTRNAME allows it), as in "not pr".
			if p.peek().kind == tokLParen {
				x, err := p.parseParens(p.next(), inBrackets)
				if err != nil {
					return nil, err
				}
				return &Not{X: x}, nil
			}
			if next := p.peek(); !(next.kind == tokLBracket || next.kind == tokWord && isOperator(next.text)) {
				return nil, p.errorf(next.pos, `expected "(" after "not", found %s; write not (…)`, describe(next))
			}
		}
		return p.parseAttrExp(t, inBrackets)
	case tokString:
		return nil, p.errorf(t.pos, `expected an attribute name, "not" or "(", found %s; attribute names are written without quotes`, describe(t))
	}
	return nil, p.errorf(t.pos, `expected an attribute name, "not" or "(", found %s`, describe(t))
}

// parseParens parses the rest of a parenthesised filter whose "(" is open.
func (p *parser) parseParens(open token, inBrackets bool) (Expr, error) {
	if err := p.enter(open); err != nil {
		return nil, err
	}
	x, err := p.parseOr(inBrackets)
	if err != nil {
		return nil, err
	}
	if err := p.leave(open, tokRParen); err != nil {
		return nil, err
	}
	return x, nil
}

// parseBrackets parses the valFilter of a value path whose "[" is open,
// and returns it with the closing "]".
func (p *parser) parseBrackets(open token) (Expr, token, error) {
	if err := p.enter(open); err != nil {
		return nil, token{}, err
	}
	x, err := p.parseOr(true)
	if err != nil {
		return nil, token{}, err
	}
	closer := p.peek()
	if err := p.leave(open, tokRBracket); err != nil {
		return nil, token{}, err
	}
	return x, closer, nil
}

func (p *parser) enter(open token) error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errorf(open.pos, "parentheses and brackets are nested more than %d levels deep", MaxDepth)
	}
	return nil
}

// leave consumes the token that closes open, which must be of kind want.
func (p *parser) leave(open token, want tokenKind) error {
	t := p.next()
	if t.kind == want {
		p.depth--
		return nil
	}
	closing := ")"
	if want == tokRBracket {
		closing = "]"
	}
	if t.kind == tokEOF {
		return p.errorf(t.pos, "missing %q to close the %q at position %d", closing, open.text, open.pos)
	}
	return p.errorf(t.pos, `expected "and", "or" or %q, found %s`, closing, describe(t))
}

// parseAttrExp parses what follows an attribute path whose word is t:
// "pr", a comparison, or a value filter in brackets.
func (p *parser) parseAttrExp(t token, inBrackets bool) (Expr, error) {
	path, err := p.parseAttrPath(t)
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tokLBracket {
		return p.parseCondition(path)
	}
	open := p.next()
	if inBrackets {
		return nil, p.errorf(open.pos, `a value filter cannot contain another "[": inside brackets, attribute names are relative to the multi-valued attribute`)
	}
	f, closer, err := p.parseBrackets(open)
	if err != nil {
		return nil, err
	}
	sub, err := p.parseSubAfter(closer)
	if err != nil {
		return nil, err
	}
	if sub != "" {
		// Entra ID's emails[type eq "work"].value eq "x" means some
		// email has type "work" and value "x": the same as
		// emails[type eq "work" and value eq "x"], which is how it is
		// represented.
		cond, err := p.parseCondition(AttrPath{Name: sub})
		if err != nil {
			return nil, err
		}
		f = &Logical{Op: "and", Left: f, Right: cond}
	}
	return &ValuePath{Attr: path, Filter: f}, nil
}

// parseSubAfter parses the subAttr that may directly follow the "]" of a
// value path (RFC 7644 §3.5.2), returning "" if there is none.
func (p *parser) parseSubAfter(closer token) (string, error) {
	t := p.peek()
	if t.kind != tokWord || t.pos != closer.pos+1 || t.text[0] != '.' {
		return "", nil
	}
	p.next()
	sub := t.text[1:]
	if !isAttrName(sub) {
		return "", p.errorf(t.pos+1, "%s", badName("sub-attribute", sub))
	}
	return sub, nil
}

// parseCondition parses "pr" or a comparison operator and value after path.
func (p *parser) parseCondition(path AttrPath) (Expr, error) {
	t := p.next()
	if t.kind == tokWord {
		op := strings.ToLower(t.text)
		if op == "pr" {
			return &Present{Path: path}, nil
		}
		if isOperator(op) {
			v, err := p.parseValue()
			if err != nil {
				return nil, err
			}
			return &Compare{Path: path, Op: op, Value: v}, nil
		}
	}
	return nil, p.errorf(t.pos, "expected a comparison operator (eq, ne, co, sw, ew, gt, lt, ge, le) or pr, found %s", describe(t))
}

// isOperator reports whether w is a compareOp of RFC 7644 Figure 1 or
// "pr", in any case.
func isOperator(w string) bool {
	switch strings.ToLower(w) {
	case "eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le", "pr":
		return true
	}
	return false
}

const valueRule = "a value must be a JSON string, number, true, false or null"

// parseValue parses compValue (RFC 7644 Figure 1).
func (p *parser) parseValue() (any, error) {
	t := p.next()
	switch t.kind {
	case tokString:
		return p.decodeString(t)
	case tokWord:
		// ABNF literals are case-insensitive (RFC 5234 §2.3), so TRUE
		// is true.
		switch strings.ToLower(t.text) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		if c := t.text[0]; c == '-' || c == '+' || c == '.' || '0' <= c && c <= '9' {
			if !isJSONNumber(t.text) {
				return nil, p.errorf(t.pos, "invalid number %s: %s", describe(t), valueRule)
			}
			return json.Number(t.text), nil
		}
		return nil, p.errorf(t.pos, "%s, found %s; put text in double quotes, as in \"%s\"", valueRule, truncate(t.text), truncate(t.text))
	}
	return nil, p.errorf(t.pos, "%s, found %s", valueRule, describe(t))
}

// isJSONNumber reports whether s is a number in the JSON grammar
// (RFC 8259 §6), which compValue uses.
func isJSONNumber(s string) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// decodeString decodes a JSON string token (RFC 8259 §7). It is stricter
// than encoding/json: invalid UTF-8 and unpaired surrogates are errors
// rather than silently becoming U+FFFD, since a filter value that is not
// the text the client meant would match the wrong resources.
func (p *parser) decodeString(t token) (string, error) {
	raw := t.text
	var b strings.Builder
	for i := 1; i < len(raw); {
		c := raw[i]
		switch {
		case c == '"':
			// The lexer ends a string token at its first unescaped quote.
			return b.String(), nil
		case c == '\\':
			if i+1 >= len(raw) {
				i = len(raw)
				continue
			}
			if r, ok := simpleEscape(raw[i+1]); ok {
				b.WriteByte(r)
				i += 2
				continue
			}
			if raw[i+1] != 'u' {
				r, _ := utf8.DecodeRuneInString(raw[i+1:])
				return "", p.errorf(t.pos+i, `invalid escape in string: backslash followed by %q; JSON strings allow \" \\ \/ \b \f \n \r \t and \uXXXX`, r)
			}
			r, n, err := p.unicodeEscape(raw, i, t.pos)
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
			i += n
		case c < 0x20:
			return "", p.errorf(t.pos+i, "control character %U in string must be escaped, as \\u%04x", c, c)
		default:
			r, size := utf8.DecodeRuneInString(raw[i:])
			if r == utf8.RuneError && size == 1 {
				return "", p.errorf(t.pos+i, "string is not valid UTF-8")
			}
			b.WriteString(raw[i : i+size])
			i += size
		}
	}
	return "", p.errorf(t.pos, "string is missing its closing quote")
}

func simpleEscape(c byte) (byte, bool) {
	switch c {
	case '"', '\\', '/':
		return c, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

// unicodeEscape decodes the \uXXXX escape at raw[i], joining a UTF-16
// surrogate pair written as two escapes. It returns the rune and the
// number of bytes consumed; base is raw's offset in the input.
func (p *parser) unicodeEscape(raw string, i, base int) (rune, int, error) {
	hex4 := func(j int) (rune, bool) {
		if j+6 > len(raw) || raw[j] != '\\' || raw[j+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(raw[j+2:j+6], 16, 16)
		return rune(v), err == nil
	}
	r, ok := hex4(i)
	if !ok {
		return 0, 0, p.errorf(base+i, `invalid escape in string: \u must be followed by four hexadecimal digits`)
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, nil
	}
	if r < 0xdc00 {
		if lo, ok := hex4(i + 6); ok {
			if pair := utf16.DecodeRune(r, lo); pair != utf8.RuneError {
				return pair, 12, nil
			}
		}
	}
	return 0, 0, p.errorf(base+i, `invalid escape %s in string: a UTF-16 surrogate must be part of a pair`, raw[i:i+6])
}

// parseAttrPath parses attrPath (RFC 7644 Figure 1) from the word t.
func (p *parser) parseAttrPath(t token) (AttrPath, error) {
	var ap AttrPath
	rest, restPos := t.text, t.pos
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		ap.URN = rest[:i]
		if !isURN(ap.URN) {
			return AttrPath{}, p.errorf(t.pos, `%q is not a schema URN: an attribute can only be qualified by a schema URN, as in urn:ietf:params:scim:schemas:core:2.0:User:userName`, truncate(ap.URN))
		}
		rest, restPos = rest[i+1:], t.pos+i+1
	}
	name, sub, hasSub := strings.Cut(rest, ".")
	if !isAttrName(name) {
		if name == "" && ap.URN != "" {
			return AttrPath{}, p.errorf(restPos, "expected an attribute name after the schema URN %q", truncate(ap.URN))
		}
		return AttrPath{}, p.errorf(restPos, "%s", badName("attribute", name))
	}
	ap.Name = name
	if hasSub {
		subPos := restPos + len(name) + 1
		if i := strings.IndexByte(sub, '.'); i >= 0 {
			return AttrPath{}, p.errorf(subPos+i, "%q has more than one sub-attribute; SCIM paths go at most one level down, as in name.familyName", truncate(t.text))
		}
		if !isAttrName(sub) {
			return AttrPath{}, p.errorf(subPos, "%s", badName("sub-attribute", sub))
		}
		ap.Sub = sub
	}
	return ap, nil
}

func badName(kind, name string) string {
	if name == "" {
		return "missing " + kind + " name"
	}
	return fmt.Sprintf(`invalid %s name %q: names start with a letter and contain only letters, digits, "-" and "_"`, kind, truncate(name))
}

// isAttrName reports whether s is an ATTRNAME (RFC 7643 §2.1:
// ALPHA *(nameChar)), or "$ref", the sub-attribute that holds a
// reference's URI (RFC 7643 §2.4).
func isAttrName(s string) bool {
	if s == "$ref" {
		return true
	}
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !('0' <= c && c <= '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// isURN reports whether s looks like a URN (RFC 8141): "urn:", a
// namespace identifier of letters, digits and "-", ":", and a non-empty
// namespace-specific string. Schema URIs are URNs in practice (RFC 7643
// §3), and requiring one turns typos such as "name:givenName" into a clear
// error instead of an unknown schema.
func isURN(s string) bool {
	if len(s) < 4 || !strings.EqualFold(s[:4], "urn:") {
		return false
	}
	nid, nss, ok := strings.Cut(s[4:], ":")
	if !ok || nid == "" || nss == "" {
		return false
	}
	for i := 0; i < len(nid); i++ {
		if c := nid[i]; !isAlpha(c) && !('0' <= c && c <= '9') && c != '-' {
			return false
		}
	}
	return true
}

// describe names a token for an error message.
func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "the end of the input"
	case tokString:
		if len(t.text) > maxQuoted || !utf8.ValidString(t.text) || strings.ContainsFunc(t.text, func(r rune) bool { return !strconv.IsPrint(r) }) {
			return "a string"
		}
		return "the string " + t.text
	}
	return strconv.Quote(truncate(t.text))
}

// maxQuoted is how much of the input an error message quotes: enough for
// any schema URN, but not all of a hostile 4096-byte word.
const maxQuoted = 100

// truncate shortens s for an error message. Words are ASCII, so cutting
// at a byte offset is safe.
func truncate(s string) string {
	if len(s) > maxQuoted {
		return s[:maxQuoted] + "..."
	}
	return s
}

func opening(k tokenKind) string {
	if k == tokRParen {
		return "("
	}
	return "["
}
