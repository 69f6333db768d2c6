package graphapi

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// OData query options on collections (OData v4.01 URL conventions §5.1, as
// Graph implements them for directory objects):
//
//	$filter    eq and startswith(attr,'value') joined by and, parentheses
//	$select    a comma list of properties; id is always returned
//	$top       1..999, default 100
//	$skiptoken the opaque cursor of @odata.nextLink
//
// $count, $orderby, $search, $expand and $skip are refused with
// Request_UnsupportedQuery. Graph lets the $ be omitted (filter=...), and so
// does this API.

// Page sizes (Graph: "returns 100 objects by default and supports returning
// up to 999 objects per page using $top").
const (
	defaultTop = 100
	maxTop     = 999
)

type filterOps uint8

const (
	opEq filterOps = 1 << iota
	opStartsWith
	opBool // compared with true or false, not with a string
)

// resource describes what a collection holds, for its query options.
type resource struct {
	name     string // in messages: "User", "Group", "DirectoryObject"
	odata    string // in messages: "microsoft.graph.user"
	byLower  map[string]string
	ops      map[string]filterOps
	ordering []string // property names in Graph's order
}

func newResource(name, odata string, props ...[]propInfo) *resource {
	r := &resource{name: name, odata: odata, byLower: map[string]string{}, ops: map[string]filterOps{}}
	for _, ps := range props {
		for _, p := range ps {
			if _, ok := r.ops[p.name]; !ok {
				r.ordering = append(r.ordering, p.name)
			}
			r.byLower[strings.ToLower(p.name)] = p.name
			r.ops[p.name] |= p.ops
		}
	}
	return r
}

type propInfo struct {
	name string
	ops  filterOps
}

func infos[T any](ps []prop[T]) []propInfo {
	out := make([]propInfo, len(ps))
	for i, p := range ps {
		out[i] = propInfo{p.name, p.filter}
	}
	return out
}

var (
	userResource  = newResource("User", "microsoft.graph.user", infos(userProps))
	groupResource = newResource("Group", "microsoft.graph.group", infos(groupProps))
	// objectResource is a collection of directoryObjects: users and groups.
	objectResource = newResource("DirectoryObject", "microsoft.graph.directoryObject", infos(userProps), infos(groupProps))
)

// cond is one comparison of a $filter; a filter is their conjunction.
type cond struct {
	attr  string    // canonical property name
	op    filterOps // opEq or opStartsWith
	value string    // a string, or "true"/"false" for a boolean property
}

// query is a collection request's parsed options.
type query struct {
	conds     []cond
	sel       selection // nil: every property
	selList   []string  // the selected properties in the order asked, for @odata.context
	top       int
	after     string // the id after which the page starts ($skiptoken)
	filterRaw string
	selectRaw string
	topRaw    string
}

// queryOptions are the system query options Graph knows, by lower-case
// name without the $.
var queryOptions = map[string]bool{
	"filter": true, "select": true, "top": true, "skiptoken": true, "count": true, "orderby": true,
	"search": true, "expand": true, "skip": true, "format": true,
}

// parseQuery reads the query options of a collection request.
func parseQuery(r *http.Request, res *resource) (*query, error) {
	q := &query{top: defaultTop}
	opts := map[string]string{}
	for k, vs := range r.URL.Query() {
		name := strings.ToLower(strings.TrimPrefix(k, "$"))
		if !strings.HasPrefix(k, "$") && !queryOptions[name] {
			continue // not a query option (Graph ignores unknown parameters)
		}
		if !queryOptions[name] {
			return nil, badRequest("Query option '%s' is not supported.", k)
		}
		if _, dup := opts[name]; dup || len(vs) > 1 {
			return nil, badRequest("Query option '$%s' was specified more than once, but it must be specified at most once.", name)
		}
		opts[name] = vs[0]
	}
	for _, name := range []string{"count", "orderby", "search", "expand", "skip", "format"} {
		v, ok := opts[name]
		if !ok || (name == "count" && strings.EqualFold(v, "false")) {
			continue
		}
		switch name {
		case "count":
			return nil, unsupportedQuery("$count is not supported by this directory; page through the collection with $top and @odata.nextLink instead.")
		case "skip":
			return nil, unsupportedQuery("$skip is not supported; page with $top and @odata.nextLink ($skiptoken), as Graph does for directory objects.")
		default:
			return nil, unsupportedQuery("$%s is not supported by this directory.", name)
		}
	}
	if v, ok := opts["filter"]; ok {
		conds, err := parseFilter(v, res)
		if err != nil {
			return nil, err
		}
		q.conds, q.filterRaw = conds, v
	}
	if v, ok := opts["select"]; ok {
		if err := q.parseSelect(v, res); err != nil {
			return nil, err
		}
	}
	if v, ok := opts["top"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > maxTop {
			return nil, badRequest("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", v, maxTop)
		}
		q.top, q.topRaw = n, strconv.Itoa(n)
	}
	if v, ok := opts["skiptoken"]; ok {
		after, err := decodeSkipToken(v)
		if err != nil {
			return nil, err
		}
		q.after = after
	}
	return q, nil
}

func (q *query) parseSelect(v string, res *resource) error {
	sel := selection{"id": true}
	var list []string
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "*" {
			return nil // every property, as without $select
		}
		name, ok := res.byLower[strings.ToLower(item)]
		if !ok {
			return badRequest("Parsing OData Select and Expand failed: Could not find a property named '%s' on type '%s'.", item, res.odata)
		}
		if !sel[name] || name == "id" && !slices.Contains(list, "id") {
			list = append(list, name)
		}
		sel[name] = true
	}
	q.sel, q.selList, q.selectRaw = sel, list, v
	return nil
}

// skipTokenPrefix versions the cursor, so a future format can tell old
// tokens apart.
const skipTokenPrefix = "v1:"

func encodeSkipToken(afterID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(skipTokenPrefix + afterID))
}

func decodeSkipToken(t string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil || !strings.HasPrefix(string(b), skipTokenPrefix) || len(b) == len(skipTokenPrefix) {
		return "", badRequest("The $skiptoken '%s' is not valid; use the @odata.nextLink of a previous page as it is.", t)
	}
	return string(b[len(skipTokenPrefix):]), nil
}

// nextLink is the URL of the page after lastID: the same path and options
// with a $skiptoken.
func (q *query) nextLink(apiBase, path, lastID string) string {
	var parts []string
	if q.filterRaw != "" {
		parts = append(parts, "$filter="+queryEscape(q.filterRaw))
	}
	if q.selectRaw != "" {
		parts = append(parts, "$select="+queryEscape(q.selectRaw))
	}
	if q.topRaw != "" {
		parts = append(parts, "$top="+q.topRaw)
	}
	parts = append(parts, "$skiptoken="+encodeSkipToken(lastID))
	return apiBase + path + "?" + strings.Join(parts, "&")
}

// queryEscape escapes a query value, spaces as %20 as Graph writes them.
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// contextSuffix is the select list of @odata.context: "(displayName,id)".
func (q *query) contextSuffix() string {
	if q.sel == nil {
		return ""
	}
	return "(" + strings.Join(q.selList, ",") + ")"
}

// storeFilter turns the conditions into the Eq and StartsWith maps of the
// store's queries. none is true when they cannot all hold (two different eq
// values on one property), so nothing need be asked. mailEnabled, always
// false here, is answered without the store.
func (q *query) storeFilter() (eq, sw map[string]string, none bool) {
	eq, sw = map[string]string{}, map[string]string{}
	for _, c := range q.conds {
		if c.attr == "mailEnabled" {
			if c.value != "false" {
				return nil, nil, true
			}
			continue
		}
		switch c.op {
		case opEq:
			if v, ok := eq[c.attr]; ok && !strings.EqualFold(v, c.value) {
				return nil, nil, true
			}
			eq[c.attr] = c.value
		case opStartsWith:
			v, ok := sw[c.attr]
			lv, lc := strings.ToLower(v), strings.ToLower(c.value)
			switch {
			case !ok || strings.HasPrefix(lc, lv):
				sw[c.attr] = c.value
			case strings.HasPrefix(lv, lc):
				// the longer prefix already implies this one
			default:
				return nil, nil, true
			}
		}
	}
	return eq, sw, false
}

// match evaluates the filter on a rendered object, for collections filtered
// in memory (members, memberOf). Comparisons ignore case, as the store's do.
func (q *query) match(o object) bool {
	for _, c := range q.conds {
		v, ok := o.get(c.attr)
		if !ok {
			return false
		}
		s, ok := propText(v)
		if !ok {
			return false
		}
		switch c.op {
		case opEq:
			if !strings.EqualFold(s, c.value) {
				return false
			}
		case opStartsWith:
			if !strings.HasPrefix(strings.ToLower(s), strings.ToLower(c.value)) {
				return false
			}
		}
	}
	return true
}

// pageOf filters, orders by id and pages objects held in memory. It returns
// the page and, when more follow, the id to continue after.
func (q *query) pageOf(objs []object) (page []object, next string) {
	slices.SortFunc(objs, func(a, b object) int { return strings.Compare(a.id(), b.id()) })
	for _, o := range objs {
		if q.after != "" && o.id() <= q.after {
			continue
		}
		if !q.match(o) {
			continue
		}
		if len(page) == q.top {
			return page, page[len(page)-1].id()
		}
		page = append(page, o)
	}
	return page, ""
}

// --- $filter ---

// parseFilter parses Graph's $filter subset: comparisons `attr eq literal`
// and calls `startswith(attr,'prefix')`, joined by `and`, in parentheses at
// will. Literals are single-quoted strings (a quote inside is doubled) or true/false
// for boolean properties. Everything else is refused with
// Request_UnsupportedQuery and a message saying what.
func parseFilter(src string, res *resource) ([]cond, error) {
	if strings.TrimSpace(src) == "" {
		return nil, unsupportedQuery("Invalid filter clause: the filter is empty.")
	}
	toks, err := lexFilter(src)
	if err != nil {
		return nil, err
	}
	p := &filterParser{src: src, toks: toks, res: res}
	if err := p.expr(0); err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.syntax(t)
	}
	return p.conds, nil
}

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tString
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokKind
	text string // the word, or the unquoted string
	pos  int    // byte offset in the filter
}

func lexFilter(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(':
			toks = append(toks, token{tLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, ")", i})
			i++
		case c == ',':
			toks = append(toks, token{tComma, ",", i})
			i++
		case c == '\'':
			start := i
			var b strings.Builder
			i++
			for {
				if i >= len(src) {
					return nil, unsupportedQuery("Invalid filter clause: the string starting at position %d is not closed with a quote in '%s'.", start, src)
				}
				if src[i] == '\'' {
					if i+1 < len(src) && src[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(src[i])
				i++
			}
			toks = append(toks, token{tString, b.String(), start})
		case isWordByte(c):
			start := i
			for i < len(src) && isWordByte(src[i]) {
				i++
			}
			toks = append(toks, token{tWord, src[start:i], start})
		default:
			return nil, unsupportedQuery("Invalid filter clause: Syntax error at position %d in '%s'.", i, src)
		}
	}
	return append(toks, token{tEOF, "", len(src)}), nil
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == '/' || c == '-' || c == ':' || c == '@' || c == '$'
}

type filterParser struct {
	src   string
	toks  []token
	i     int
	res   *resource
	conds []cond
}

func (p *filterParser) peek() token { return p.toks[p.i] }

func (p *filterParser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *filterParser) syntax(t token) error {
	return unsupportedQuery("Invalid filter clause: Syntax error at position %d in '%s'.", t.pos, p.src)
}

func isWord(t token, w string) bool { return t.kind == tWord && strings.EqualFold(t.text, w) }

// maxDepth bounds parenthesis nesting.
const maxDepth = 32

// expr := term ('and' term)*
func (p *filterParser) expr(depth int) error {
	if depth > maxDepth {
		return unsupportedQuery("Invalid filter clause: parentheses are nested too deeply.")
	}
	for {
		if err := p.term(depth); err != nil {
			return err
		}
		t := p.peek()
		switch {
		case isWord(t, "and"):
			p.next()
		case isWord(t, "or"):
			return unsupportedQuery("Unsupported filter operator 'or': this directory supports eq and startswith joined by and.")
		default:
			return nil
		}
	}
}

// term := '(' expr ')' | 'not' ... | name '(' args ')' | name op literal
func (p *filterParser) term(depth int) error {
	t := p.next()
	switch {
	case t.kind == tLParen:
		if err := p.expr(depth + 1); err != nil {
			return err
		}
		if c := p.next(); c.kind != tRParen {
			return p.syntax(c)
		}
		return nil
	case isWord(t, "not"):
		return unsupportedQuery("Unsupported filter operator 'not': this directory supports eq and startswith joined by and.")
	case t.kind == tWord && p.peek().kind == tLParen:
		return p.call(t)
	case t.kind == tWord:
		return p.comparison(t)
	}
	return p.syntax(t)
}

// call := startswith '(' attr ',' string ')'
func (p *filterParser) call(fn token) error {
	name := strings.ToLower(fn.text)
	if name != "startswith" {
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			return unsupportedQuery("Complex query on property '%s' is not supported.", fn.text[:i])
		}
		return unsupportedQuery("Unsupported filter function '%s': this directory supports eq and startswith joined by and.", fn.text)
	}
	p.next() // (
	attr := p.next()
	if attr.kind != tWord {
		return p.syntax(attr)
	}
	if c := p.next(); c.kind != tComma {
		return p.syntax(c)
	}
	lit := p.next()
	if c := p.next(); c.kind != tRParen {
		return p.syntax(c)
	}
	return p.add(attr, opStartsWith, lit)
}

// comparison := attr 'eq' literal
func (p *filterParser) comparison(attr token) error {
	op := p.next()
	if op.kind != tWord {
		return p.syntax(op)
	}
	switch strings.ToLower(op.text) {
	case "eq":
	case "ne", "gt", "ge", "lt", "le", "in", "has":
		return unsupportedQuery("Unsupported filter operator '%s': this directory supports eq and startswith joined by and.", op.text)
	default:
		return p.syntax(op)
	}
	return p.add(attr, opEq, p.next())
}

// add checks a comparison against the resource and records it.
func (p *filterParser) add(attr token, op filterOps, lit token) error {
	name, ok := p.res.byLower[strings.ToLower(attr.text)]
	ops := p.res.ops[name]
	if !ok || ops&op == 0 {
		return unsupportedQuery("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", attr.text, p.res.name)
	}
	var value string
	switch {
	case lit.kind == tString && ops&opBool == 0:
		value = lit.text
	case lit.kind == tWord && ops&opBool != 0 && (strings.EqualFold(lit.text, "true") || strings.EqualFold(lit.text, "false")):
		value = strings.ToLower(lit.text)
	case isWord(lit, "null"):
		return unsupportedQuery("Filtering on null values of '%s' is not supported by this directory.", name)
	case lit.kind == tString || lit.kind == tWord:
		want, got := "Edm.String", "Edm.String"
		if ops&opBool != 0 {
			want = "Edm.Boolean"
		} else {
			got = "an unquoted literal"
		}
		if lit.kind == tString {
			got = "Edm.String"
		}
		return unsupportedQuery("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for property '%s'.", want, got, name)
	default:
		return p.syntax(lit)
	}
	p.conds = append(p.conds, cond{attr: name, op: op, value: value})
	return nil
}

// String renders a condition, for logs and tests.
func (c cond) String() string {
	if c.op == opStartsWith {
		return fmt.Sprintf("startswith(%s,%q)", c.attr, c.value)
	}
	return fmt.Sprintf("%s eq %q", c.attr, c.value)
}
