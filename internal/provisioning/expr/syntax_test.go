package expr

import (
	"errors"
	"strings"
	"testing"
)

func TestCanonicalForm(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`Switch([IsSoftDeleted], , "False", "True", "True", "False")`, `Switch([IsSoftDeleted],,"False","True","True","False")`},
		{"join(\" \",\n\t[givenName] , [surname] )", `Join(" ",[givenName],[surname])`},
		{`IIF( [country] = "USA" , [country], [department] )`, `IIF([country]="USA",[country],[department])`},
		{`IIF(DateDiff("d", Now(), CDate([StatusHireDate])) >= 5, "a", "b")`, `IIF(DateDiff("d",Now(),CDate([StatusHireDate]))>=5,"a","b")`},
		{`BitAnd(&hf7, 007)`, `BitAnd(&HF7,7)`},
		{`BitAnd(&H0, -0)`, `BitAnd(&H0,0)`},
		{`Append("Company name: \"Contoso\"", "\\")`, `Append("Company name: \"Contoso\"","\\")`},
		{`InStr("a","b",1,VBTEXTCOMPARE)`, `InStr("a","b",1,vbTextCompare)`},
		{`Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>.*)", , "${phoneNumber}", , )`, `Replace([telephoneNumber],,"\\+(?<isdCode>\\d* )(?<phoneNumber>.*)",,"${phoneNumber}",,)`},
		{`FormatDateTime([extensionAttribute1], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")`, `FormatDateTime([extensionAttribute1],,"yyyyMMddHHmmss.fZ","yyyy-MM-dd")`},
		{`SINGLEAPPROLEASSIGNMENT([appRoleAssignments])`, `SingleAppRoleAssignment([appRoleAssignments])`},
		{`Guid( )`, `Guid()`},
		{` [extension_abc_Dept Code.x] `, `[extension_abc_Dept Code.x]`},
		{`"multi
line"`, "\"multi\nline\""},
	} {
		e, err := Parse(tc.src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.src, err)
		}
		if got := e.String(); got != tc.want {
			t.Errorf("Parse(%q).String() = %s, want %s", tc.src, got, tc.want)
		}
		again, err := Parse(e.String())
		if err != nil || again.String() != tc.want {
			t.Errorf("canonical form %s does not round-trip: %v, %v", tc.want, again, err)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	deep := strings.Repeat("Not(", MaxDepth+1) + `"x"` + strings.Repeat(")", MaxDepth+1)
	for _, tc := range []struct {
		src string
		pos int
		msg string
	}{
		{`Join(" ", [sn], Lft([givenName], 1))`, 17, `unknown function "Lft"; did you mean "Left"?`},
		{`Lenght("x")`, 1, `unknown function "Lenght"`},
		{`Frobnicate()`, 1, `unknown function "Frobnicate"`},
		{`Left([givenName])`, 1, `Left expects 2 arguments, got 1`},
		{`Append("x", Left([givenName]))`, 13, `Left expects 2 arguments, got 1`},
		{`ToUpper([a], "en-US", "x")`, 1, `ToUpper expects 1 or 2 arguments, got 3`},
		{`InStr("a")`, 1, `InStr expects 2 to 4 arguments, got 1`},
		{`Join(",")`, 1, `Join expects at least 2 arguments, got 1`},
		{`SelectUniqueValue("a")`, 1, `SelectUniqueValue expects at least 2 arguments, got 1`},
		{`Switch([a], "d", "k")`, 1, `Switch expects at least 4 arguments, got 3`},
		{`Switch([a], "d", "k", "v", "k2")`, 1, `Switch expects source, defaultValue and then key/value pairs, so an even number of arguments; got 5`},
		{`Now(1)`, 1, `Now expects no arguments, got 1`},
		{`Not()`, 1, `Not expects 1 argument, got 0`},
		{`Left(, 3)`, 6, `Left: argument 1 (String) is required and cannot be left out`},
		{`Switch([a], , "k", )`, 20, `Switch: argument 4 (value) is required and cannot be left out`},
		{`Append("a", SelectUniqueValue("a", "b"))`, 13, `SelectUniqueValue must be the whole expression; it cannot be nested`},
		{`Append("a`, 8, `string is missing its closing '"'`},
		{`Append("a\`, 8, `string is missing its closing '"'`},
		{`Append("a\d", "b")`, 10, `unknown escape \d in string; only \" and \\ are allowed, so write \\ for a backslash`},
		{`Append([a, "b")`, 8, `attribute name is missing its closing ']'`},
		{`Append([], "b")`, 8, `empty attribute name`},
		{`Append([ ], "b")`, 8, `empty attribute name`},
		{"Append([a\nb], \"x\")", 10, `attribute name contains the control character U+000A`},
		{`Append([a], "b"`, 1, `Append( is missing its closing ')'`},
		{`Append([a] "b")`, 12, `unexpected '"' in the arguments of Append; expected ',' or ')'`},
		{`Append([a],`, 12, `unexpected end of expression; expected an attribute, a string, a number or a function call`},
		{`Append([a], "b") x`, 18, `unexpected 'x' after the end of the expression`},
		{`Append([a], @)`, 13, `unexpected '@'; expected an attribute, a string, a number or a function call`},
		{``, 1, `empty expression`},
		{" \n\t", 1, `empty expression`},
		{`IIF([a] = "x" = "y", "a", "b")`, 15, `comparisons cannot be chained; nest IIF calls instead`},
		{`IIF([a] = , "a", "b")`, 11, `unexpected ','; expected an attribute, a string, a number or a function call`},
		{`True`, 1, `unknown name True; booleans are the strings "True" and "False"`},
		{`Append(givenName, "x")`, 8, `unknown name givenName; attribute names go in square brackets, as in [givenName]`},
		{`Left [a]`, 6, `expected '(' after the function name Left`},
		{`Replace([a], "x")`, 1, `Replace: with oldValue, give replacementValue or template`},
		{`Replace([a], , , , "x", , )`, 1, `Replace: give oldValue or regexPattern`},
		{`Replace([a], , "x", , , , )`, 1, `Replace: with regexPattern, give replacementValue`},
		{`Replace([a], , "(?<n>x)", "n", , , )`, 1, `Replace: with regexPattern and regexGroupName, give replacementValue or replacementAttributeName`},
		{`Replace([a], , "(", , "x", , )`, 16, "Replace: argument 3 (regexPattern): invalid regular expression: error parsing regexp: missing closing ): `(`"},
		{`Replace([a], , "(?<n>x)", "m", "y", , )`, 27, `Replace: argument 4 (regexGroupName): regexPattern has no group named "m"`},
		{`Replace([a], , "(?=x)", , "y", , )`, 16, "Replace: argument 3 (regexPattern): invalid regular expression: error parsing regexp: invalid or unsupported Perl syntax: `(?=`"},
		{`Item([a], 0)`, 11, `Item: argument 2 (index): items are numbered from 1`},
		{`DateAdd("q", 1, Now())`, 9, `DateAdd: argument 1 (interval): "q" is not one of the intervals yyyy, m, d, ww, h, n, s`},
		{`DateAdd("d", "x", Now())`, 14, `DateAdd: argument 2 (value): "x" is not a whole number`},
		{`DateDiff("hh", Now(), Now())`, 10, `DateDiff: argument 1 (interval): "hh" is not one of the intervals yyyy, m, d, ww, h, n, s`},
		{`Left([a], "x")`, 11, `Left: argument 2 (NumChars): "x" is not a whole number`},
		{`FormatDateTime([a], "Bogus", "yyyy", "yyyy")`, 21, `FormatDateTime: argument 2 (dateTimeStyles): "Bogus" is not a DateTimeStyles value`},
		{`FormatDateTime([a], "RoundtripKind,AssumeLocal", "yyyy", "yyyy")`, 21, `FormatDateTime: argument 2 (dateTimeStyles): RoundtripKind excludes AdjustToUniversal, AssumeLocal and AssumeUniversal`},
		{`FormatDateTime([a], , "q", "yyyy")`, 23, `FormatDateTime: argument 3 (inputFormat): "q" is not a standard format; write a one-letter custom format as %q`},
		{`FormatDateTime([a], , "yyyy", "'yy")`, 31, `FormatDateTime: argument 4 (outputFormat): "'yy" has an unterminated quoted string`},
		{`FormatDateTime([a], , "ffffffff", "yyyy")`, 23, `FormatDateTime: argument 3 (inputFormat): "ffffffff" has more than 7 f specifiers`},
		{`FormatDateTime([a], , "yyyy", "")`, 31, `FormatDateTime: argument 4 (outputFormat): the format is empty`},
		{`ToUpper([a], "english please")`, 14, `ToUpper: argument 2 (culture): "english please" is not a culture name such as en-US`},
		{`InStr("a","b",1,vbFoo)`, 17, `unknown name vbFoo; attribute names go in square brackets, as in [vbFoo]`},
		{`InStr("a","b",1,"vbFoo")`, 17, `InStr: argument 4 (compareType): "vbFoo" is not vbBinaryCompare or vbTextCompare`},
		{`Left([a], 1.5)`, 11, `malformed number; only whole numbers such as 42, -7 and &HFF are allowed`},
		{`Left([a], 12abc)`, 11, `malformed number; only whole numbers such as 42, -7 and &HFF are allowed`},
		{`Left([a], 99999999999999999999)`, 11, `number 99999999999999999999 is out of range`},
		{`BitAnd(&G, 1)`, 8, `'&' must start a hexadecimal number such as &HFF`},
		{`BitAnd(&H, 1)`, 8, `'&H' must be followed by hexadecimal digits`},
		{`Left([a], - 1)`, 11, `'-' must be followed by a digit`},
		{"Append(\"é\xff\")", 10, `expression is not valid UTF-8`},
		{`Append("é", "x") ?`, 18, `unexpected '?' after the end of the expression`},
		{strings.Repeat(" ", MaxSourceLen-6) + `Guid()x`, 1, `expression is 8193 bytes long; at most 8192 are allowed`},
		{deep, 4*MaxDepth + 1, `expression nests more than 64 function calls`},
		{`SelectUniqueValue("a", "b") = "a"`, 1, `SelectUniqueValue must be the whole expression; it cannot be compared`},
	} {
		_, err := Parse(tc.src)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error = %v, want a *SyntaxError", tc.src, err)
			continue
		}
		if se.Pos != tc.pos || se.Msg != tc.msg {
			t.Errorf("Parse(%q) error = %d %q\n\twant %d %q", tc.src, se.Pos, se.Msg, tc.pos, tc.msg)
		}
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	_, err := Parse(`Join(" ", [sn], Lft([givenName], 1))`)
	const want = `expression: at position 17: unknown function "Lft"; did you mean "Left"?`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
}

func TestLimitsAccepted(t *testing.T) {
	ok := strings.Repeat("Not(", MaxDepth) + `"x"` + strings.Repeat(")", MaxDepth)
	e, err := Parse(ok)
	if err != nil {
		t.Fatalf("%d nested calls: %v", MaxDepth, err)
	}
	if v, err := e.Eval(nil); err != nil || !v.Equal(String("False")) {
		t.Fatalf("%d nested Not = %v, %v", MaxDepth, v, err)
	}
	long := `"` + strings.Repeat("a", MaxSourceLen-2) + `"`
	if _, err := Parse(long); err != nil {
		t.Fatalf("%d-byte expression: %v", MaxSourceLen, err)
	}
	// Comparisons and constants do not count as nesting.
	if _, err := Parse(strings.Repeat("IIF(", MaxDepth) + `1=1` + strings.Repeat(`,"a","b")`, MaxDepth)); err != nil {
		t.Fatal(err)
	}
}

func TestEvalErrorShape(t *testing.T) {
	e, err := Parse(`Append("x", Mid([a], 0, 1))`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Eval(Attributes{"a": String("abc")})
	var ee *EvalError
	if !errors.As(err, &ee) || ee.Pos != 13 || ee.Func != "Mid" {
		t.Fatalf("error = %#v", err)
	}
	const want = `expression: at position 13: Mid: argument 2 (start) is 0; characters are numbered from 1`
	if err.Error() != want {
		t.Fatalf("error = %q, want %q", err, want)
	}
}
