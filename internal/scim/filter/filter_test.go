package filter

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Helpers that build expected trees without going through the parser.

// attr builds an unqualified AttrPath from "name" or "name.sub".
func attr(s string) AttrPath {
	name, sub, _ := strings.Cut(s, ".")
	return AttrPath{Name: name, Sub: sub}
}

func cmp(a AttrPath, op string, v any) *Compare { return &Compare{Path: a, Op: op, Value: v} }
func pr(a AttrPath) *Present                    { return &Present{Path: a} }
func and(l, r Expr) *Logical                    { return &Logical{Op: "and", Left: l, Right: r} }
func or(l, r Expr) *Logical                     { return &Logical{Op: "or", Left: l, Right: r} }
func not(x Expr) *Not                           { return &Not{X: x} }
func vp(a AttrPath, f Expr) *ValuePath          { return &ValuePath{Attr: a, Filter: f} }

const (
	coreUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

// dump shows a tree's structure, including what String hides: how a
// path splits into URN, name and sub-attribute, and each value's type.
func dump(e Expr) string {
	switch e := e.(type) {
	case nil:
		return "nil"
	case *Compare:
		return fmt.Sprintf("Compare(%s %s %T:%v)", dumpAttr(e.Path), e.Op, e.Value, e.Value)
	case *Present:
		return fmt.Sprintf("Present(%s)", dumpAttr(e.Path))
	case *Logical:
		return fmt.Sprintf("%s(%s, %s)", e.Op, dump(e.Left), dump(e.Right))
	case *Not:
		return fmt.Sprintf("Not(%s)", dump(e.X))
	case *ValuePath:
		return fmt.Sprintf("ValuePath(%s, %s)", dumpAttr(e.Attr), dump(e.Filter))
	}
	return fmt.Sprintf("%T", e)
}

func dumpAttr(a AttrPath) string { return fmt.Sprintf("{%q %q %q}", a.URN, a.Name, a.Sub) }

type parseTest struct {
	in   string
	want Expr
}

// rfcFilters are the examples of RFC 7644 §3.4.2.2.
var rfcFilters = []parseTest{
	{`userName eq "bjensen"`, cmp(attr("userName"), "eq", "bjensen")},
	{`name.familyName co "O'Malley"`, cmp(attr("name.familyName"), "co", "O'Malley")},
	{`userName sw "J"`, cmp(attr("userName"), "sw", "J")},
	{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
		cmp(AttrPath{URN: coreUser, Name: "userName"}, "sw", "J")},
	{`title pr`, pr(attr("title"))},
	{`meta.lastModified gt "2011-05-13T04:42:34Z"`, cmp(attr("meta.lastModified"), "gt", "2011-05-13T04:42:34Z")},
	{`meta.lastModified ge "2011-05-13T04:42:34Z"`, cmp(attr("meta.lastModified"), "ge", "2011-05-13T04:42:34Z")},
	{`meta.lastModified lt "2011-05-13T04:42:34Z"`, cmp(attr("meta.lastModified"), "lt", "2011-05-13T04:42:34Z")},
	{`meta.lastModified le "2011-05-13T04:42:34Z"`, cmp(attr("meta.lastModified"), "le", "2011-05-13T04:42:34Z")},
	{`title pr and userType eq "Employee"`, and(pr(attr("title")), cmp(attr("userType"), "eq", "Employee"))},
	{`title pr or userType eq "Intern"`, or(pr(attr("title")), cmp(attr("userType"), "eq", "Intern"))},
	{`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`,
		cmp(attr("schemas"), "eq", enterpriseUser)},
	{`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
		and(cmp(attr("userType"), "eq", "Employee"),
			or(cmp(attr("emails"), "co", "example.com"), cmp(attr("emails.value"), "co", "example.org")))},
	{`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
		and(cmp(attr("userType"), "ne", "Employee"),
			not(or(cmp(attr("emails"), "co", "example.com"), cmp(attr("emails.value"), "co", "example.org"))))},
	{`userType eq "Employee" and (emails.type eq "work")`,
		and(cmp(attr("userType"), "eq", "Employee"), cmp(attr("emails.type"), "eq", "work"))},
	{`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
		and(cmp(attr("userType"), "eq", "Employee"),
			vp(attr("emails"), and(cmp(attr("type"), "eq", "work"), cmp(attr("value"), "co", "@example.com"))))},
	{`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
		or(vp(attr("emails"), and(cmp(attr("type"), "eq", "work"), cmp(attr("value"), "co", "@example.com"))),
			vp(attr("ims"), and(cmp(attr("type"), "eq", "xmpp"), cmp(attr("value"), "co", "@foo.com"))))},
}

// clientFilters are filters real clients send: Microsoft Entra ID's
// provisioning service and Microsoft's SCIM Postman test suite.
var clientFilters = []parseTest{
	{`userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"`,
		cmp(attr("userName"), "eq", "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee")},
	{`displayName eq "displayName"`, cmp(attr("displayName"), "eq", "displayName")},
	// Not in RFC 7644 Figure 1; represented as the equivalent
	// emails[type eq "work" and value eq "user@contoso.com"].
	{`emails[type eq "work"].value eq "user@contoso.com"`,
		vp(attr("emails"), and(cmp(attr("type"), "eq", "work"), cmp(attr("value"), "eq", "user@contoso.com")))},
	{`members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]`,
		vp(attr("members"), cmp(attr("value"), "eq", "7f4bc1a3-285e-48ae-8202-5accb43efb0e"))},
	{`DisplayName eq "BobIsAmazing"`, cmp(attr("DisplayName"), "eq", "BobIsAmazing")},
	{`name.FamilyName eq "Employee" and (emails.Value co "example.com" or emails.Value co "example.org")`,
		and(cmp(attr("name.FamilyName"), "eq", "Employee"),
			or(cmp(attr("emails.Value"), "co", "example.com"), cmp(attr("emails.Value"), "co", "example.org")))},
	{`userName sw "O"`, cmp(attr("userName"), "sw", "O")},
	{`meta.Created gt "2015-10-10T14:38:21.8617979-07:00"`,
		cmp(attr("meta.Created"), "gt", "2015-10-10T14:38:21.8617979-07:00")},
}

// grammarFilters cover the rest of the grammar: precedence, case,
// whitespace, values and names.
var grammarFilters = []parseTest{
	// "and" binds tighter than "or"; both associate to the left.
	{`a pr or b pr and c pr`, or(pr(attr("a")), and(pr(attr("b")), pr(attr("c"))))},
	{`a pr and b pr or c pr and d pr`,
		or(and(pr(attr("a")), pr(attr("b"))), and(pr(attr("c")), pr(attr("d"))))},
	{`a pr and b pr and c pr`, and(and(pr(attr("a")), pr(attr("b"))), pr(attr("c")))},
	{`a pr or b pr or c pr`, or(or(pr(attr("a")), pr(attr("b"))), pr(attr("c")))},
	{`a pr and (b pr and c pr)`, and(pr(attr("a")), and(pr(attr("b")), pr(attr("c"))))},
	{`(a pr or b pr) and c pr`, and(or(pr(attr("a")), pr(attr("b"))), pr(attr("c")))},
	{`not (a pr) and b pr`, and(not(pr(attr("a"))), pr(attr("b")))},
	{`((((a pr))))`, pr(attr("a"))},
	// Operators and keywords in any case; names as written.
	{`userName EQ "x" AND Title Pr OR NoT (a Ne FALSE)`,
		or(and(cmp(attr("userName"), "eq", "x"), pr(attr("Title"))), not(cmp(attr("a"), "ne", false)))},
	{`a Co "x" or a SW "x" or a eW "x"`,
		or(or(cmp(attr("a"), "co", "x"), cmp(attr("a"), "sw", "x")), cmp(attr("a"), "ew", "x"))},
	{`a GT 1 and a LT 2 and a GE 3 and a le 4`,
		and(and(and(cmp(attr("a"), "gt", json.Number("1")), cmp(attr("a"), "lt", json.Number("2"))),
			cmp(attr("a"), "ge", json.Number("3"))), cmp(attr("a"), "le", json.Number("4")))},
	// Flexible whitespace, including "not(" as Figure 1 writes it.
	{"  userName\teq\r\n\"x\"  ", cmp(attr("userName"), "eq", "x")},
	{`not(a pr)`, not(pr(attr("a")))},
	{`(a pr)and(b pr)`, and(pr(attr("a")), pr(attr("b")))},
	{`emails [type eq "work"]`, vp(attr("emails"), cmp(attr("type"), "eq", "work"))},
	// Values.
	{`active eq true`, cmp(attr("active"), "eq", true)},
	{`active eq False`, cmp(attr("active"), "eq", false)},
	{`manager eq NULL`, cmp(attr("manager"), "eq", nil)},
	{`age eq 0`, cmp(attr("age"), "eq", json.Number("0"))},
	{`age gt -12.5e+3`, cmp(attr("age"), "gt", json.Number("-12.5e+3"))},
	{`age lt 1E-2`, cmp(attr("age"), "lt", json.Number("1E-2"))},
	{`n eq 12345678901234567890`, cmp(attr("n"), "eq", json.Number("12345678901234567890"))},
	{`a eq ""`, cmp(attr("a"), "eq", "")},
	{`a eq "\"\\\/\b\f\n\r\t"`, cmp(attr("a"), "eq", "\"\\/\b\f\n\r\t")},
	{`a eq "\u00e9\u00C9 \ud83d\ude00 é"`, cmp(attr("a"), "eq", "éÉ 😀 é")},
	{`a eq "\u0000"`, cmp(attr("a"), "eq", "\x00")},
	{`a eq "a and b or (c) [d] not pr"`, cmp(attr("a"), "eq", "a and b or (c) [d] not pr")},
	// Names: RFC 7643 §2.1 ATTRNAME, "$ref", URNs, keywords as names.
	{`x-custom_Attr2 pr`, pr(attr("x-custom_Attr2"))},
	{`members[$ref eq "https://example.com/v2/Users/1"]`,
		vp(attr("members"), cmp(attr("$ref"), "eq", "https://example.com/v2/Users/1"))},
	{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`,
		cmp(AttrPath{URN: enterpriseUser, Name: "manager", Sub: "value"}, "eq", "26118915-6090-4610-87e4-49d8ca9f808d")},
	{`URN:IETF:params:scim:schemas:core:2.0:User:name.givenName pr`,
		pr(AttrPath{URN: "URN:IETF:params:scim:schemas:core:2.0:User", Name: "name", Sub: "givenName"})},
	{`urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]`,
		vp(AttrPath{URN: coreUser, Name: "emails"}, cmp(attr("type"), "eq", "work"))},
	{`not pr`, pr(attr("not"))},
	{`not eq "x"`, cmp(attr("not"), "eq", "x")},
	{`not[value pr]`, vp(attr("not"), pr(attr("value")))},
	{`and pr and or pr or pr pr`, or(and(pr(attr("and")), pr(attr("or"))), pr(attr("pr")))},
	// Value filters.
	{`emails[not (type eq "home")]`, vp(attr("emails"), not(cmp(attr("type"), "eq", "home")))},
	{`emails[(type eq "work" or type eq "home") and primary eq true]`,
		vp(attr("emails"), and(or(cmp(attr("type"), "eq", "work"), cmp(attr("type"), "eq", "home")),
			cmp(attr("primary"), "eq", true)))},
	{`emails[type eq "work" or type eq "home"].value pr`,
		vp(attr("emails"), and(or(cmp(attr("type"), "eq", "work"), cmp(attr("type"), "eq", "home")),
			pr(attr("value"))))},
}

func TestParse(t *testing.T) {
	for _, group := range [][]parseTest{rfcFilters, clientFilters, grammarFilters} {
		for _, tt := range group {
			got, err := Parse(tt.in)
			if err != nil {
				t.Errorf("Parse(%q): %v", tt.in, err)
				continue
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tt.in, dump(got), dump(tt.want))
			}
			checkRoundTrip(t, tt.in, got)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{`userName EQ "a" AND  ( title PR )`, `userName eq "a" and title pr`},
		{`a pr and (b pr or c pr)`, `a pr and (b pr or c pr)`},
		{`(a pr and b pr) or c pr`, `a pr and b pr or c pr`},
		{`a pr or (b pr or c pr)`, `a pr or (b pr or c pr)`},
		{`(a pr or b pr) or c pr`, `a pr or b pr or c pr`},
		{`a pr and (b pr and c pr)`, `a pr and (b pr and c pr)`},
		{`not(a pr)`, `not (a pr)`},
		{`not ((a pr or b pr))`, `not (a pr or b pr)`},
		{`a eq TRUE or a eq False or a eq nuLL`, `a eq true or a eq false or a eq null`},
		{`a eq -0.50E+2`, `a eq -0.50E+2`},
		{`a eq "\u00e9\/\t\u001F<&>"`, `a eq "é/\t\u001f<&>"`},
		{`emails[type eq "work"].value eq "x"`, `emails[type eq "work" and value eq "x"]`},
		{`emails[type eq "a" or type eq "b"].value pr`, `emails[(type eq "a" or type eq "b") and value pr]`},
		{`urn:ietf:params:scim:schemas:core:2.0:User:name.familyName pr`, `urn:ietf:params:scim:schemas:core:2.0:User:name.familyName pr`},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := e.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %s, want %s", tt.in, got, tt.want)
		}
	}
}

type errorTest struct {
	in  string
	pos int
	msg string // the error message must contain this
}

var filterErrors = []errorTest{
	{``, 0, "the filter is empty"},
	{"  \t", 0, "the filter is empty"},
	{`userName`, 8, "expected a comparison operator (eq, ne, co, sw, ew, gt, lt, ge, le) or pr, found the end of the input"},
	{`userName xx "a"`, 9, `expected a comparison operator (eq, ne, co, sw, ew, gt, lt, ge, le) or pr, found "xx"`},
	{`userName = "a"`, 9, `expected a comparison operator (eq, ne, co, sw, ew, gt, lt, ge, le) or pr, found "="`},
	{`userName "eq" "a"`, 9, `found the string "eq"`},
	{`externalId eq jyoung`, 14, `value must be a JSON string, number, true, false or null, found jyoung; put text in double quotes, as in "jyoung"`},
	{`userName eq`, 11, "value must be a JSON string, number, true, false or null, found the end of the input"},
	{`userName eq (`, 12, `value must be a JSON string, number, true, false or null, found "("`},
	{`userName eq 'bjensen'`, 12, `value must be a JSON string, number, true, false or null, found "'"`},
	{`age eq 01`, 7, `invalid number "01"`},
	{`age eq 1.`, 7, `invalid number "1."`},
	{`age eq +1`, 7, `invalid number "+1"`},
	{`age eq 12abc`, 7, `invalid number "12abc"`},
	{`userName eq "bjensen`, 12, "string is missing its closing quote"},
	{`userName eq "bjensen\"`, 12, "string is missing its closing quote"},
	{`userName eq "a\qb"`, 14, `invalid escape in string: backslash followed by 'q'`},
	{`userName eq "\u12"`, 13, `\u must be followed by four hexadecimal digits`},
	{`userName eq "\u12G4"`, 13, `\u must be followed by four hexadecimal digits`},
	{`userName eq "\udc00"`, 13, `invalid escape \udc00 in string: a UTF-16 surrogate must be part of a pair`},
	{`userName eq "\ud800\u0041"`, 13, "surrogate must be part of a pair"},
	{"userName eq \"a\nb\"", 14, `control character U+000A in string must be escaped, as \u000a`},
	{"userName eq \"a\xffb\"", 14, "string is not valid UTF-8"},
	{`userName eq "a" and`, 19, `expected an attribute name, "not" or "(", found the end of the input`},
	{`userName eq "a" nand title pr`, 16, `expected "and", "or" or the end of the filter, found "nand"`},
	{`userName eq "a" && title pr`, 16, `expected "and", "or" or the end of the filter, found "&"`},
	{`(userName eq "a"`, 16, `missing ")" to close the "(" at position 0`},
	{`a pr or (b pr and (c pr or d pr)`, 32, `missing ")" to close the "(" at position 8`},
	{`userName eq "a")`, 15, `")" has no matching opening "("`},
	{`userName eq "a"]`, 15, `"]" has no matching opening "["`},
	{`()`, 1, `expected an attribute name, "not" or "(", found ")"`},
	{`"userName" eq "a"`, 0, `found the string "userName"; attribute names are written without quotes`},
	{`not userName pr`, 4, `expected "(" after "not", found "userName"`},
	{`not`, 3, `expected "(" after "not", found the end of the input`},
	{`not (userName pr`, 16, `missing ")" to close the "(" at position 4`},
	{`1userName eq "a"`, 0, `invalid attribute name "1userName": names start with a letter and contain only letters, digits, "-" and "_"`},
	{`user$name pr`, 0, `invalid attribute name "user$name"`},
	{`name.familyName.x eq "a"`, 15, `"name.familyName.x" has more than one sub-attribute`},
	{`name. pr`, 5, "missing sub-attribute name"},
	{`name.1 pr`, 5, `invalid sub-attribute name "1"`},
	{`name:userName eq "a"`, 0, `"name" is not a schema URN`},
	{`urn:userName eq "a"`, 0, `"urn" is not a schema URN`},
	{`urn:ietf:params:scim:schemas:core:2.0:User: eq "a"`, 43, `expected an attribute name after the schema URN "urn:ietf:params:scim:schemas:core:2.0:User"`},
	{`emails[]`, 7, `expected an attribute name, "not" or "(", found "]"`},
	{`emails[type eq "work"`, 21, `missing "]" to close the "[" at position 6`},
	{`emails[type eq "work")`, 21, `expected "and", "or" or "]", found ")"`},
	{`emails[type eq "work"]]`, 22, `"]" has no matching opening "["`},
	{`emails[types[value pr]]`, 12, `a value filter cannot contain another "["`},
	{`emails[type eq "work"] eq "x"`, 23, `expected "and", "or" or the end of the filter, found "eq"`},
	{`emails[type eq "work"].value`, 28, "expected a comparison operator"},
	{`emails[type eq "work"].`, 23, "missing sub-attribute name"},
	{`emails[type eq "work"].value.x eq "a"`, 23, `invalid sub-attribute name "value.x"`},
	{`emails[type eq "work"] .value eq "a"`, 23, `expected "and", "or" or the end of the filter, found ".value"`},
	{`userName eq "a" ` + "\u00a0", 16, `found "\u00a0"`},
}

func TestParseErrors(t *testing.T) {
	for _, tt := range filterErrors {
		e, err := Parse(tt.in)
		checkSyntaxError(t, "Parse", "filter", tt, err)
		if e != nil {
			t.Errorf("Parse(%q) returned %s with its error", tt.in, dump(e))
		}
	}
}

func checkSyntaxError(t *testing.T, fn, what string, tt errorTest, err error) {
	t.Helper()
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Errorf("%s(%q) error = %v, want a *SyntaxError", fn, tt.in, err)
		return
	}
	if se.What != what || se.Pos != tt.pos || !strings.Contains(se.Msg, tt.msg) {
		t.Errorf("%s(%q) error = %q (position %d)\nwant position %d and a message containing %q", fn, tt.in, err, se.Pos, tt.pos, tt.msg)
	}
}

func TestSyntaxErrorText(t *testing.T) {
	_, err := Parse(`name.familyName xx "x"`)
	const want = `filter: at position 16: expected a comparison operator (eq, ne, co, sw, ew, gt, lt, ge, le) or pr, found "xx"`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant %s", err, want)
	}
	_, err = ParsePath(`members[value eq 2819c223]`)
	const wantPath = `path: at position 17: invalid number "2819c223": a value must be a JSON string, number, true, false or null`
	if err == nil || err.Error() != wantPath {
		t.Errorf("error = %v\nwant %s", err, wantPath)
	}
}

func TestLimits(t *testing.T) {
	long := func(n int) string {
		prefix := `userName eq "`
		return prefix + strings.Repeat("a", n-len(prefix)-1) + `"`
	}
	if _, err := Parse(long(MaxLength)); err != nil {
		t.Errorf("Parse of %d bytes: %v", MaxLength, err)
	}
	if _, err := ParsePath("a" + strings.Repeat("b", MaxLength-1)); err != nil {
		t.Errorf("ParsePath of %d bytes: %v", MaxLength, err)
	}

	parens := func(n int) string { return strings.Repeat("(", n) + "a pr" + strings.Repeat(")", n) }
	nots := func(n int) string { return strings.Repeat("not (", n) + "a pr" + strings.Repeat(")", n) }
	inBrackets := func(n int) string { return "e[" + parens(n-1) + "]" }
	for _, s := range []string{parens(MaxDepth), nots(MaxDepth), inBrackets(MaxDepth)} {
		if _, err := Parse(s); err != nil {
			t.Errorf("Parse(%q): %v", s, err)
		}
	}
	if _, err := ParsePath("e[" + parens(MaxDepth-1) + "].x"); err != nil {
		t.Errorf("ParsePath at depth %d: %v", MaxDepth, err)
	}

	deep := "parentheses and brackets are nested more than 32 levels deep"
	for _, tt := range []errorTest{
		{long(MaxLength + 1), MaxLength, "the filter is 4097 bytes long; the limit is 4096 bytes"},
		{parens(MaxDepth + 1), MaxDepth, deep},
		{nots(MaxDepth + 1), 5*MaxDepth + 4, deep},
		{inBrackets(MaxDepth + 1), 1 + MaxDepth, deep},
		{parens(100000), MaxLength, "the filter is 200004 bytes long"},
	} {
		_, err := Parse(tt.in)
		checkSyntaxError(t, "Parse", "filter", tt, err)
	}
	for _, tt := range []errorTest{
		{strings.Repeat("a", MaxLength+1), MaxLength, "the path is 4097 bytes long; the limit is 4096 bytes"},
		{"e[" + parens(MaxDepth) + "]", 1 + MaxDepth, deep},
	} {
		_, err := ParsePath(tt.in)
		checkSyntaxError(t, "ParsePath", "path", tt, err)
	}

	// The canonical form of an accepted filter can exceed the limits:
	// it spells out the spaces an input may omit, and it parenthesises
	// the "or" that a sub-attribute after "]" joins with "and".
	// checkRoundTrip tolerates exactly these cases.
	for _, s := range []string{
		strings.Repeat(`a eq"x"and `, (MaxLength-7)/11) + `a eq"x"`,
		"e[a pr or " + nots(MaxDepth-1) + "].v pr",
	} {
		e, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		canon := e.String()
		if _, err := Parse(canon); err == nil || !overLimits(err, canon) {
			t.Errorf("Parse(%q) = %v, want an error for exceeding the limits", canon, err)
		}
		checkRoundTrip(t, s, e)
	}

	// A long chain stays within the limits: "and" chains are parsed
	// iteratively, not by recursion.
	chain := strings.Repeat("a pr and ", (MaxLength-4)/9) + "a pr"
	e, err := Parse(chain)
	if err != nil {
		t.Fatalf("Parse of a %d-byte chain: %v", len(chain), err)
	}
	checkRoundTrip(t, chain, e)
}

type pathTest struct {
	in   string
	want Path
}

var validPaths = []pathTest{
	// RFC 7644 §3.5.2 and its subsections.
	{`members`, Path{Attr: attr("members")}},
	{`name.familyName`, Path{Attr: attr("name.familyName")}},
	{`addresses[type eq "work"]`, Path{Attr: attr("addresses"), Filter: cmp(attr("type"), "eq", "work")}},
	{`members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
		Path{Attr: attr("members"), Filter: cmp(attr("value"), "eq", "2819c223-7f76-453a-919d-413861904646")}},
	{`members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName`,
		Path{Attr: attr("members"), Filter: cmp(attr("value"), "eq", "2819c223-7f76-453a-919d-413861904646"), Sub: "displayName"}},
	{`emails[type eq "work" and value ew "example.com"]`,
		Path{Attr: attr("emails"), Filter: and(cmp(attr("type"), "eq", "work"), cmp(attr("value"), "ew", "example.com"))}},
	{`addresses[type eq "work"].streetAddress`,
		Path{Attr: attr("addresses"), Filter: cmp(attr("type"), "eq", "work"), Sub: "streetAddress"}},
	// Shapes from the task's clients.
	{`emails[type eq "work"].value`, Path{Attr: attr("emails"), Filter: cmp(attr("type"), "eq", "work"), Sub: "value"}},
	{`members[value eq "2819c223"]`, Path{Attr: attr("members"), Filter: cmp(attr("value"), "eq", "2819c223")}},
	{`members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]`,
		Path{Attr: attr("members"), Filter: cmp(attr("value"), "eq", "7f4bc1a3-285e-48ae-8202-5accb43efb0e")}},
	{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`,
		Path{Attr: AttrPath{URN: enterpriseUser, Name: "employeeNumber"}}},
	{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`,
		Path{Attr: AttrPath{URN: enterpriseUser, Name: "manager", Sub: "value"}}},
	{`urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value`,
		Path{Attr: AttrPath{URN: coreUser, Name: "emails"}, Filter: cmp(attr("type"), "eq", "work"), Sub: "value"}},
	// A bare schema URN splits at its last ":" (see AttrPath).
	{enterpriseUser, Path{Attr: AttrPath{URN: "urn:ietf:params:scim:schemas:extension:enterprise:2.0", Name: "User"}}},
	{`members.$ref`, Path{Attr: attr("members.$ref")}},
	{`Emails[Type EQ "work" OR not (Primary eq false)].Value`,
		Path{Attr: attr("Emails"), Filter: or(cmp(attr("Type"), "eq", "work"), not(cmp(attr("Primary"), "eq", false))), Sub: "Value"}},
	{` members `, Path{Attr: attr("members")}},
}

var pathErrors = []errorTest{
	{``, 0, "the path is empty"},
	{`"members"`, 0, "expected an attribute name, found the string \"members\""},
	{`[value eq "x"]`, 0, `expected an attribute name, found "["`},
	{`userName eq "x"`, 9, `unexpected "eq" after the attribute path; to select values of a multi-valued attribute put the filter in brackets, as in emails[type eq "work"]`},
	{`members value`, 8, `unexpected "value" after the attribute path`},
	{`emails[type eq "work"]value`, 22, `unexpected "value" after the end of the path`},
	{`emails[type eq "work"] .value`, 23, `unexpected ".value" after the end of the path`},
	{`emails[type eq "work"][primary eq true]`, 22, `unexpected "[" after the end of the path`},
	{`emails[type eq "work"].`, 23, "missing sub-attribute name"},
	{`members[value eq "x"].display.name`, 22, `invalid sub-attribute name "display.name"`},
	{`emails[type eq "work"`, 21, `missing "]" to close the "[" at position 6`},
	{`emails[value[type pr]]`, 12, `a value filter cannot contain another "["`},
	{`members[value eq 2819c223]`, 17, `invalid number "2819c223"`},
	{`name.givenName.x`, 14, "has more than one sub-attribute"},
	{`enterprise:manager`, 0, `"enterprise" is not a schema URN`},
}

func TestParsePath(t *testing.T) {
	for _, tt := range validPaths {
		got, err := ParsePath(tt.in)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParsePath(%q)\n got %s %s %q\nwant %s %s %q", tt.in,
				dumpAttr(got.Attr), dump(got.Filter), got.Sub, dumpAttr(tt.want.Attr), dump(tt.want.Filter), tt.want.Sub)
		}
		checkPathRoundTrip(t, tt.in, got)
	}
	for _, tt := range pathErrors {
		_, err := ParsePath(tt.in)
		checkSyntaxError(t, "ParsePath", "path", tt, err)
	}
}

func TestPathString(t *testing.T) {
	for in, want := range map[string]string{
		`members`:                            `members`,
		`emails[type EQ "work"].value`:       `emails[type eq "work"].value`,
		`members[ value eq "2819c223" ]`:     `members[value eq "2819c223"]`,
		enterpriseUser + `:manager.value`:    enterpriseUser + `:manager.value`,
		`emails[(type eq "a") or not(x pr)]`: `emails[type eq "a" or not (x pr)]`,
	} {
		p, err := ParsePath(in)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", in, err)
			continue
		}
		if got := p.String(); got != want {
			t.Errorf("ParsePath(%q).String() = %s, want %s", in, got, want)
		}
	}
}

func TestConjuncts(t *testing.T) {
	a := cmp(attr("userName"), "eq", "a")
	b := cmp(attr("externalId"), "eq", "b")
	c := cmp(attr("displayName"), "eq", "c")
	tests := []struct {
		in   string
		want []*Compare
		ok   bool
	}{
		{`userName eq "a"`, []*Compare{a}, true},
		{`userName eq "a" and externalId eq "b"`, []*Compare{a, b}, true},
		{`userName eq "a" AND externalId eq "b" and displayName eq "c"`, []*Compare{a, b, c}, true},
		{`userName eq "a" and (externalId eq "b" and displayName eq "c")`, []*Compare{a, b, c}, true},
		{`userName ne "a"`, []*Compare{cmp(attr("userName"), "ne", "a")}, true},
		{`userName eq "a" or externalId eq "b"`, nil, false},
		{`userName eq "a" and (externalId eq "b" or displayName eq "c")`, nil, false},
		{`userName eq "a" and title pr`, nil, false},
		{`not (userName eq "a")`, nil, false},
		{`members[value eq "a"]`, nil, false},
		{`userName eq "a" and emails[type eq "work"].value eq "x"`, nil, false},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		got, ok := Conjuncts(e)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Conjuncts(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// checkRoundTrip checks that String of a parsed filter is canonical: it
// parses back to an equal tree, and String of that tree is the same
// text.
func checkRoundTrip(t *testing.T, in string, e Expr) {
	t.Helper()
	canon := e.String()
	e2, err := Parse(canon)
	if err != nil {
		if overLimits(err, canon) {
			return
		}
		t.Fatalf("Parse(%q) = %s\nwhose String %q does not parse: %v", in, dump(e), canon, err)
	}
	if !reflect.DeepEqual(e, e2) {
		t.Fatalf("Parse(%q) = %s\nbut its String %q parses to %s", in, dump(e), canon, dump(e2))
	}
	if s := e2.String(); s != canon {
		t.Fatalf("String is not stable for %q: %q, then %q", in, canon, s)
	}
}

func checkPathRoundTrip(t *testing.T, in string, p Path) {
	t.Helper()
	canon := p.String()
	p2, err := ParsePath(canon)
	if err != nil {
		if overLimits(err, canon) {
			return
		}
		t.Fatalf("ParsePath(%q) = %+v\nwhose String %q does not parse: %v", in, p, canon, err)
	}
	if !reflect.DeepEqual(p, p2) {
		t.Fatalf("ParsePath(%q) = %s %s %q\nbut its String %q parses to %s %s %q", in,
			dumpAttr(p.Attr), dump(p.Filter), p.Sub, canon, dumpAttr(p2.Attr), dump(p2.Filter), p2.Sub)
	}
	if s := p2.String(); s != canon {
		t.Fatalf("String is not stable for %q: %q, then %q", in, canon, s)
	}
}

// overLimits reports whether err rejects canon only because canon is
// over MaxLength or MaxDepth. The canonical form can be longer than an
// accepted input, which may omit spaces (a eq"x"), and one level deeper:
// emails[a pr or b pr].value pr becomes emails[(a pr or b pr) and value pr].
func overLimits(err error, canon string) bool {
	var se *SyntaxError
	if !errors.As(err, &se) {
		return false
	}
	return len(canon) > MaxLength || nesting(canon) > MaxDepth && strings.Contains(se.Msg, "nested more than")
}

// nesting returns the deepest nesting of parentheses and brackets in s,
// outside strings.
func nesting(s string) int {
	depth, deepest := 0, 0
	for _, t := range lex(s) {
		switch t.kind {
		case tokLParen, tokLBracket:
			depth++
			deepest = max(deepest, depth)
		case tokRParen, tokRBracket:
			depth--
		}
	}
	return deepest
}

// fuzzFilterSeeds are extra seeds beyond the tables, aimed at the edges
// of the grammar.
var fuzzFilterSeeds = []string{
	`a eq"x"and b pr`,
	`e[a pr or b pr].v pr`,
	`a eq "\ud83d\ude00\u0000\"\\"`,
	`not(not(not(a pr)))`,
	`a[b pr]and(c eq -1.5E+10 or not (d[e eq null]))`,
	`URN:a:b:c.d Ge 1`,
}

func FuzzParse(f *testing.F) {
	for _, group := range [][]parseTest{rfcFilters, clientFilters, grammarFilters} {
		for _, tt := range group {
			f.Add(tt.in)
		}
	}
	for _, tt := range filterErrors {
		f.Add(tt.in)
	}
	for _, s := range fuzzFilterSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			checkFuzzError(t, s, err, "filter")
			return
		}
		if e == nil {
			t.Fatalf("Parse(%q) returned neither a tree nor an error", s)
		}
		checkRoundTrip(t, s, e)
	})
}

func FuzzParsePath(f *testing.F) {
	for _, tt := range validPaths {
		f.Add(tt.in)
	}
	for _, tt := range pathErrors {
		f.Add(tt.in)
	}
	f.Add(`e[a pr or b pr].v`)
	f.Add(`urn:x:y:z[not (a eq "\u00e9")].$ref`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			checkFuzzError(t, s, err, "path")
			return
		}
		checkPathRoundTrip(t, s, p)
	})
}

func checkFuzzError(t *testing.T, s string, err error, what string) {
	t.Helper()
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error for %q is %T, not *SyntaxError: %v", s, err, err)
	}
	if se.What != what || se.Pos < 0 || se.Pos > len(s) || se.Msg == "" {
		t.Fatalf("bad SyntaxError for %q: %#v", s, se)
	}
}
