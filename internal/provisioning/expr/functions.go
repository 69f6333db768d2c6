package expr

import (
	"fmt"
	"strconv"
	"strings"
)

// function describes one function of the language: its signature, checked
// by Parse, and its implementation.
type function struct {
	name string // Microsoft's spelling
	// params are the parameter names as Microsoft documents them; a trailing
	// "?" marks one that may be left out, or dropped from the end.
	params []string
	// repeat is how many trailing params repeat: Join's sources, Switch's
	// key/value pairs.
	repeat       int
	topLevelOnly bool
	// check validates literal arguments at parse time, so mistakes in a
	// mapping surface when it is saved rather than when a user flows.
	check func(c *callNode) error
	eval  func(ev *evaluator, c *callNode) (Value, error)
}

// functionList is the whole documented function set, in Microsoft's order.
// Notes on each function's semantics sit beside its implementation; where
// Microsoft documents nothing about a case (usually a null argument), the
// general rule is that a null main argument gives a null result.
var functionList = []*function{
	{name: "Append", params: []string{"source", "suffix"}, eval: evalAppend},
	{name: "AppRoleAssignmentsComplex", params: []string{"appRoleAssignments"}, eval: evalAppRoleAssignmentsComplex},
	{name: "BitAnd", params: []string{"value1", "value2"}, check: numericArgs(0, 1), eval: evalBitAnd},
	{name: "CBool", params: []string{"expression"}, eval: evalCBool},
	{name: "CDate", params: []string{"expression"}, eval: evalCDate},
	{name: "Coalesce", params: []string{"source"}, repeat: 1, eval: evalCoalesce},
	{name: "ConvertToBase64", params: []string{"source"}, eval: evalConvertToBase64},
	{name: "ConvertToUTF8Hex", params: []string{"source"}, eval: evalConvertToUTF8Hex},
	{name: "Count", params: []string{"attribute"}, eval: evalCount},
	{name: "CStr", params: []string{"value"}, eval: evalCStr},
	{name: "DateAdd", params: []string{"interval", "value", "dateTime"}, check: checkDateAdd, eval: evalDateAdd},
	{name: "DateDiff", params: []string{"interval", "date1", "date2"}, check: checkInterval, eval: evalDateDiff},
	{name: "DateFromNum", params: []string{"value"}, check: numericArgs(0), eval: evalDateFromNum},
	{name: "FormatDateTime", params: []string{"source", "dateTimeStyles?", "inputFormat", "outputFormat"}, check: checkFormatDateTime, eval: evalFormatDateTime},
	{name: "Guid", eval: evalGuid},
	{name: "IgnoreFlowIfNullOrEmpty", params: []string{"expression"}, eval: evalIgnoreFlowIfNullOrEmpty},
	{name: "IIF", params: []string{"condition", "valueIfTrue", "valueIfFalse"}, eval: evalIIF},
	{name: "InStr", params: []string{"value1", "value2", "start?", "compareType?"}, check: checkInStr, eval: evalInStr},
	{name: "IsNull", params: []string{"expression"}, eval: evalIsNull},
	{name: "IsNullOrEmpty", params: []string{"expression"}, eval: evalIsNullOrEmpty},
	{name: "IsPresent", params: []string{"expression"}, eval: evalIsPresent},
	{name: "IsString", params: []string{"expression"}, eval: evalIsString},
	{name: "Item", params: []string{"attribute", "index"}, check: checkItem, eval: evalItem},
	{name: "Join", params: []string{"separator", "source"}, repeat: 1, eval: evalJoin},
	{name: "Left", params: []string{"String", "NumChars"}, check: numericArgs(1), eval: evalLeft},
	{name: "Mid", params: []string{"source", "start", "length"}, check: numericArgs(1, 2), eval: evalMid},
	{name: "NormalizeDiacritics", params: []string{"source"}, eval: evalNormalizeDiacritics},
	{name: "Not", params: []string{"source"}, eval: evalNot},
	{name: "Now", eval: evalNow},
	{name: "NumFromDate", params: []string{"value"}, eval: evalNumFromDate},
	{name: "PCase", params: []string{"source", "wordSeparators?"}, eval: evalPCase},
	{name: "RandomString", params: []string{"Length", "MinimumNumbers", "MinimumSpecialCharacters", "MinimumCapital", "MinimumLowerCase", "CharactersToAvoid?"}, check: numericArgs(0, 1, 2, 3, 4), eval: evalRandomString},
	{name: "Redact", params: []string{"value"}, eval: evalRedact},
	{name: "RemoveDuplicates", params: []string{"attribute"}, eval: evalRemoveDuplicates},
	{name: "Replace", params: []string{"source", "oldValue?", "regexPattern?", "regexGroupName?", "replacementValue?", "replacementAttributeName?", "template?"}, check: checkReplace, eval: evalReplace},
	{name: "SelectUniqueValue", params: []string{"uniqueValueRule", "uniqueValueRule"}, repeat: 1, topLevelOnly: true, eval: evalSelectUniqueValue},
	{name: "SingleAppRoleAssignment", params: []string{"appRoleAssignments"}, eval: evalSingleAppRoleAssignment},
	{name: "Split", params: []string{"source", "delimiter"}, eval: evalSplit},
	{name: "StripSpaces", params: []string{"source"}, eval: evalStripSpaces},
	{name: "Switch", params: []string{"source", "defaultValue?", "key", "value"}, repeat: 2, eval: evalSwitch},
	{name: "ToLower", params: []string{"source", "culture?"}, check: checkCulture, eval: evalToLower},
	{name: "ToUpper", params: []string{"source", "culture?"}, check: checkCulture, eval: evalToUpper},
	{name: "Word", params: []string{"String", "WordNumber", "Delimiters"}, check: numericArgs(1), eval: evalWord},
}

// functions indexes functionList by lower-case name.
var functions = func() map[string]*function {
	m := make(map[string]*function, len(functionList))
	for _, f := range functionList {
		m[strings.ToLower(f.name)] = f
	}
	return m
}()

// param names argument i of a call whose argument count has been checked.
func (f *function) param(i int) string {
	if i >= len(f.params) {
		i = len(f.params) - f.repeat + (i-len(f.params))%f.repeat
	}
	return strings.TrimSuffix(f.params[i], "?")
}

// mayOmit reports whether argument i may be left out. Surplus arguments
// are let through here; the arity check reports them.
func (f *function) mayOmit(i int) bool {
	if i >= len(f.params) && f.repeat == 0 {
		return true
	}
	return i < len(f.params) && strings.HasSuffix(f.params[i], "?")
}

// minArgs is the number of arguments up to the last required one.
func (f *function) minArgs() int {
	if f.repeat > 0 {
		return len(f.params)
	}
	n := 0
	for i, p := range f.params {
		if !strings.HasSuffix(p, "?") {
			n = i + 1
		}
	}
	return n
}

// checkCall validates the argument count and literal arguments of a call.
func (f *function) checkCall(c *callNode) error {
	n, lo, hi := len(c.args), f.minArgs(), len(f.params)
	var msg string
	switch {
	case f.repeat == 2 && n >= lo && (n-lo)%2 != 0:
		msg = fmt.Sprintf("%s expects %s and then %s/%s pairs, so an even number of arguments; got %d", f.name, strings.Join(trimOptional(f.params[:lo-2]), ", "), f.param(lo-2), f.param(lo-1), n)
	case f.repeat > 0 && n < lo:
		msg = fmt.Sprintf("%s expects at least %s, got %d", f.name, plural(lo, "argument"), n)
	case f.repeat == 0 && (n < lo || n > hi):
		switch {
		case lo == hi && lo == 0:
			msg = fmt.Sprintf("%s expects no arguments, got %d", f.name, n)
		case lo == hi:
			msg = fmt.Sprintf("%s expects %s, got %d", f.name, plural(lo, "argument"), n)
		case hi == lo+1:
			msg = fmt.Sprintf("%s expects %d or %d arguments, got %d", f.name, lo, hi, n)
		default:
			msg = fmt.Sprintf("%s expects %d to %d arguments, got %d", f.name, lo, hi, n)
		}
	}
	if msg != "" {
		return &SyntaxError{Pos: c.pos, Msg: msg}
	}
	if f.check != nil {
		return f.check(c)
	}
	return nil
}

func trimOptional(params []string) []string {
	out := make([]string, len(params))
	for i, p := range params {
		out[i] = strings.TrimSuffix(p, "?")
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// literal returns the value of argument i when it is written as a literal.
func literal(c *callNode, i int) (string, bool) {
	if i >= len(c.args) {
		return "", false
	}
	switch n := c.args[i].(type) {
	case *strNode:
		return n.val, true
	case *numNode:
		return strconv.FormatInt(n.val, 10), true
	case *constNode:
		return n.name, true
	}
	return "", false
}

// literalError reports a bad literal argument at parse time.
func literalError(c *callNode, i int, err error) error {
	return &SyntaxError{Pos: c.args[i].position(), Msg: fmt.Sprintf("%s: argument %d (%s): %v", c.fn.name, i+1, c.fn.param(i), err)}
}

// numericArgs returns a check that the listed arguments, when literal, are
// whole numbers.
func numericArgs(idx ...int) func(c *callNode) error {
	return func(c *callNode) error {
		for _, i := range idx {
			if s, ok := literal(c, i); ok {
				if _, err := parseInteger(s); err != nil {
					return literalError(c, i, fmt.Errorf("%q is not a whole number", s))
				}
			}
		}
		return nil
	}
}
