package expr

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the functions that build and take apart strings. Lengths
// and positions count characters (code points), not bytes.

// evalAppend: a null source gives null, so that a missing attribute is not
// turned into a bare suffix; a null suffix appends nothing.
func evalAppend(ev *evaluator, c *callNode) (Value, error) {
	s, ok, err := ev.text(c, 0)
	if err != nil || !ok {
		return Value{}, err
	}
	suffix, _, err := ev.text(c, 1)
	if err != nil {
		return Value{}, err
	}
	return String(s + suffix), nil
}

// evalJoin joins every value of every source, skipping null and empty ones;
// Microsoft's Join(", ", "", [surname], [givenName]) giving "Doe, John"
// shows that empty values are skipped too. With nothing to join the result
// is "".
func evalJoin(ev *evaluator, c *callNode) (Value, error) {
	sep, _, err := ev.text(c, 0)
	if err != nil {
		return Value{}, err
	}
	var parts []string
	size := 0
	for i := 1; i < len(c.args); i++ {
		v, err := ev.arg(c, i)
		if err != nil {
			return Value{}, err
		}
		for _, s := range v.Items() {
			if s == "" {
				continue
			}
			if size += len(s) + len(sep); size > MaxValueLen+len(sep) {
				return Value{}, tooLong(c)
			}
			parts = append(parts, s)
		}
	}
	return String(strings.Join(parts, sep)), nil
}

// evalLeft follows Microsoft's rules: a null string gives "", NumChars 0
// gives "", a negative NumChars gives the whole string.
func evalLeft(ev *evaluator, c *callNode) (Value, error) {
	s, _, err := ev.text(c, 0)
	if err != nil {
		return Value{}, err
	}
	n, err := ev.requiredInteger(c, 1)
	if err != nil {
		return Value{}, err
	}
	if n < 0 {
		return String(s), nil
	}
	return String(prefix(s, n)), nil
}

// prefix returns the first n characters of s.
func prefix(s string, n int64) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// evalMid is 1-based. A length running past the end stops at the end, a
// start past the end gives "", and start below 1 or a negative length is an
// error, as in VBA. Null gives null.
func evalMid(ev *evaluator, c *callNode) (Value, error) {
	s, ok, err := ev.text(c, 0)
	if err != nil {
		return Value{}, err
	}
	start, err := ev.requiredInteger(c, 1)
	if err != nil {
		return Value{}, err
	}
	length, err := ev.requiredInteger(c, 2)
	if err != nil {
		return Value{}, err
	}
	if start < 1 {
		return Value{}, argError(c, 1, "is %d; characters are numbered from 1", start)
	}
	if length < 0 {
		return Value{}, argError(c, 2, "is %d; it cannot be negative", length)
	}
	if !ok {
		return Value{}, nil
	}
	rest := s[len(prefix(s, start-1)):]
	return String(prefix(rest, length)), nil
}

// evalInStr returns the 1-based position of value2 in value1 at or after
// start, or 0. compareType is vbBinaryCompare (the default, case-sensitive)
// or vbTextCompare (case-insensitive), written bare, as a string, or as VBA's
// 0 and 1. Like VB.NET, a null or empty value1 gives 0 and an empty value2
// gives start.
func evalInStr(ev *evaluator, c *callNode) (Value, error) {
	s, _, err := ev.text(c, 0)
	if err != nil {
		return Value{}, err
	}
	sub, _, err := ev.text(c, 1)
	if err != nil {
		return Value{}, err
	}
	start, ok, err := ev.integer(c, 2)
	if err != nil {
		return Value{}, err
	}
	if !ok {
		start = 1
	}
	if start < 1 {
		return Value{}, argError(c, 2, "is %d; characters are numbered from 1", start)
	}
	mode, _, err := ev.text(c, 3)
	if err != nil {
		return Value{}, err
	}
	text, err := parseCompareType(mode)
	if err != nil {
		return Value{}, argError(c, 3, "%v", err)
	}
	if n := int64(utf8.RuneCountInString(s)); n == 0 || start-1 > n {
		return String("0"), nil
	}
	if sub == "" {
		return String(strconv.FormatInt(start, 10)), nil
	}
	rest := s[len(prefix(s, start-1)):]
	if text {
		rest, sub = strings.ToLower(rest), strings.ToLower(sub)
	}
	i := strings.Index(rest, sub)
	if i < 0 {
		return String("0"), nil
	}
	return String(strconv.FormatInt(start+int64(utf8.RuneCountInString(rest[:i])), 10)), nil
}

// parseCompareType reports whether mode asks for a case-insensitive search.
func parseCompareType(mode string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(mode)) {
	case "", "vbbinarycompare", "0":
		return false, nil
	case "vbtextcompare", "1":
		return true, nil
	}
	return false, fmt.Errorf("%q is not vbBinaryCompare or vbTextCompare", mode)
}

func checkInStr(c *callNode) error {
	if err := numericArgs(2)(c); err != nil {
		return err
	}
	if s, ok := literal(c, 3); ok {
		if _, err := parseCompareType(s); err != nil {
			return literalError(c, 3, err)
		}
	}
	return nil
}

// evalWord splits on any of the delimiter characters and returns word n
// (1-based), ignoring empty words between adjacent delimiters. Per Microsoft:
// n below 1, a null string, or too few words give "".
func evalWord(ev *evaluator, c *callNode) (Value, error) {
	s, _, err := ev.text(c, 0)
	if err != nil {
		return Value{}, err
	}
	n, err := ev.requiredInteger(c, 1)
	if err != nil {
		return Value{}, err
	}
	delims, _, err := ev.text(c, 2)
	if err != nil {
		return Value{}, err
	}
	words := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delims, r) })
	if n < 1 || n > int64(len(words)) {
		return String(""), nil
	}
	return String(words[n-1]), nil
}

// evalSplit splits on the delimiter string and trims white space around each
// element: Microsoft's example splits "PermissionSetOne, PermissionSetTwo" on
// "," into ["PermissionSetOne", "PermissionSetTwo"]. Null gives null.
func evalSplit(ev *evaluator, c *callNode) (Value, error) {
	s, ok, err := ev.text(c, 0)
	if err != nil {
		return Value{}, err
	}
	delim, _, err := ev.text(c, 1)
	if err != nil {
		return Value{}, err
	}
	if delim == "" {
		return Value{}, argError(c, 1, "is empty")
	}
	if !ok {
		return Value{}, nil
	}
	parts := strings.Split(s, delim)
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return List(parts...), nil
}

// evalStripSpaces removes every U+0020 space, and only that character, as
// Microsoft documents.
func evalStripSpaces(ev *evaluator, c *callNode) (Value, error) {
	return mapText(ev, c, func(s string) string { return strings.ReplaceAll(s, " ", "") })
}

// mapText applies f to a single-valued first argument; null gives null.
func mapText(ev *evaluator, c *callNode, f func(string) string) (Value, error) {
	s, ok, err := ev.text(c, 0)
	if err != nil || !ok {
		return Value{}, err
	}
	return String(f(s)), nil
}

// evalConvertToBase64 encodes the UTF-16LE bytes of the string, as .NET's
// Encoding.Unicode does: "Hello world!" gives "SABlAGwAbABvACAAdwBvAHIAbABkACEA".
func evalConvertToBase64(ev *evaluator, c *callNode) (Value, error) {
	return mapText(ev, c, func(s string) string {
		units := utf16.Encode([]rune(s))
		b := make([]byte, 2*len(units))
		for i, u := range units {
			b[2*i], b[2*i+1] = byte(u), byte(u>>8)
		}
		return base64.StdEncoding.EncodeToString(b)
	})
}

// evalConvertToUTF8Hex gives upper-case hex, as Microsoft's example does.
func evalConvertToUTF8Hex(ev *evaluator, c *callNode) (Value, error) {
	return mapText(ev, c, func(s string) string { return strings.ToUpper(hex.EncodeToString([]byte(s))) })
}

func evalNormalizeDiacritics(ev *evaluator, c *callNode) (Value, error) {
	return mapText(ev, c, normalizeDiacritics)
}

func evalToLower(ev *evaluator, c *callNode) (Value, error) {
	return changeCase(ev, c, unicode.TurkishCase.ToLower, unicode.ToLower)
}

func evalToUpper(ev *evaluator, c *callNode) (Value, error) {
	return changeCase(ev, c, unicode.TurkishCase.ToUpper, unicode.ToUpper)
}

// changeCase uses the invariant culture unless a Turkish or Azerbaijani
// culture asks for dotted and dotless i; those are the only cultures whose
// case rules differ from the invariant ones for single characters.
func changeCase(ev *evaluator, c *callNode, turkic, invariant func(rune) rune) (Value, error) {
	culture, _, err := ev.text(c, 1)
	if err != nil {
		return Value{}, err
	}
	isTurkic, err := parseCulture(culture)
	if err != nil {
		return Value{}, argError(c, 1, "%v", err)
	}
	f := invariant
	if isTurkic {
		f = turkic
	}
	return mapText(ev, c, func(s string) string { return strings.Map(f, s) })
}

var cultureName = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// parseCulture validates an RFC 4646 culture name such as "en-US" and
// reports whether it is Turkish or Azerbaijani.
func parseCulture(name string) (bool, error) {
	if name == "" {
		return false, nil
	}
	if !cultureName.MatchString(name) {
		return false, fmt.Errorf("%q is not a culture name such as en-US", name)
	}
	lang, _, _ := strings.Cut(strings.ToLower(name), "-")
	return lang == "tr" || lang == "az", nil
}

func checkCulture(c *callNode) error {
	if s, ok := literal(c, 1); ok {
		if _, err := parseCulture(s); err != nil {
			return literalError(c, 1, err)
		}
	}
	return nil
}

// evalPCase lower-cases the string and upper-cases the first letter of each
// word (Microsoft's example turns "PABLO GONSALVES (SECOND)" into "Pablo
// Gonsalves (Second)"). Words are separated by the wordSeparators characters
// when given, and otherwise by the rules of .NET's TextInfo.ToTitleCase.
func evalPCase(ev *evaluator, c *callNode) (Value, error) {
	seps, hasSeps, err := ev.text(c, 1)
	if err != nil {
		return Value{}, err
	}
	if hasSeps && seps != "" {
		return mapText(ev, c, func(s string) string { return properCase(s, seps) })
	}
	return mapText(ev, c, titleCase)
}

func properCase(s, seps string) string {
	var b strings.Builder
	start := true
	for _, r := range s {
		switch {
		case strings.ContainsRune(seps, r):
			start = true
		case start:
			r, start = unicode.ToUpper(r), false
		default:
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// titleCase mirrors ToTitleCase on an already lower-cased string: a word
// starts at a letter and runs over letters, apostrophes and any character
// that is not a separator (so digits do not start words: "1st" becomes
// "1St", as in .NET).
func titleCase(s string) string {
	var b strings.Builder
	inWord := false
	for _, r := range strings.ToLower(s) {
		switch {
		case inWord && (r == '\'' || !isWordSeparator(r)):
		case unicode.IsLetter(r):
			r, inWord = unicode.ToTitle(r), true
		default:
			inWord = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isWordSeparator lists the Unicode categories .NET's ToTitleCase treats as
// word separators.
func isWordSeparator(r rune) bool {
	return unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp, unicode.Cc, unicode.Cf,
		unicode.Pc, unicode.Pd, unicode.Ps, unicode.Pe, unicode.Pi, unicode.Pf, unicode.Po,
		unicode.Sm, unicode.Sc, unicode.Sk, unicode.So)
}

// replaceMode is which of Replace's documented behaviours a call selects,
// decided by which arguments are written (not by their values), so that
// Parse can check it.
type replaceMode int

const (
	replaceOld        replaceMode = iota // oldValue, replacementValue
	replaceTemplate                      // oldValue, template
	replaceRegex                         // regexPattern, replacementValue
	replaceGroup                         // regexPattern, regexGroupName, replacementValue
	replaceFromAttrib                    // regexPattern, regexGroupName, replacementAttributeName
)

// Replace's argument positions.
const (
	rSource = iota
	rOld
	rPattern
	rGroup
	rReplacement
	rAttribute
	rTemplate
)

func modeOf(c *callNode) (replaceMode, error) {
	has := func(i int) bool { return i < len(c.args) && c.args[i] != nil }
	switch {
	case has(rPattern) && has(rGroup) && has(rAttribute):
		return replaceFromAttrib, nil
	case has(rPattern) && has(rGroup) && has(rReplacement):
		return replaceGroup, nil
	case has(rPattern) && has(rGroup):
		return 0, errors.New("with regexPattern and regexGroupName, give replacementValue or replacementAttributeName")
	case has(rPattern) && has(rReplacement):
		return replaceRegex, nil
	case has(rPattern):
		return 0, errors.New("with regexPattern, give replacementValue")
	case has(rOld) && has(rReplacement):
		return replaceOld, nil
	case has(rOld) && has(rTemplate):
		return replaceTemplate, nil
	case has(rOld):
		return 0, errors.New("with oldValue, give replacementValue or template")
	}
	return 0, errors.New("give oldValue or regexPattern")
}

// replaceAll replaces every old in s with repl, refusing to build a result
// longer than MaxValueLen. An empty old replaces nothing.
func replaceAll(c *callNode, s, old, repl string) (Value, error) {
	if old == "" {
		return String(s), nil
	}
	if n := strings.Count(s, old); len(s)+n*(len(repl)-len(old)) > MaxValueLen {
		return Value{}, tooLong(c)
	}
	return String(strings.ReplaceAll(s, old, repl)), nil
}

func checkReplace(c *callNode) error {
	if _, err := modeOf(c); err != nil {
		return &SyntaxError{Pos: c.pos, Msg: "Replace: " + err.Error()}
	}
	pattern, ok := literal(c, rPattern)
	if !ok {
		return nil
	}
	re, err := compileRegex(pattern)
	if err != nil {
		return literalError(c, rPattern, err)
	}
	if group, ok := literal(c, rGroup); ok && re.SubexpIndex(group) < 0 {
		return literalError(c, rGroup, fmt.Errorf("regexPattern has no group named %q", group))
	}
	return nil
}

// compileRegex compiles a pattern. Microsoft's are .NET regular expressions;
// Go's RE2 accepts the common subset, including (?<name>…) groups, and
// refuses backreferences and lookaround.
func compileRegex(pattern string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression: %v", err)
	}
	return re, nil
}

// evalReplace implements Microsoft's five behaviours, case-sensitively.
// Left-out and null arguments other than source count as "". A null source
// gives null, except in the replacementAttributeName form, which exists to
// handle it. In the regexPattern+replacementValue form the replacement may
// use ${name} and $1; in the regexGroupName+replacementValue form it is
// literal. In the replacementAttributeName form a pattern that does not
// match gives null.
func evalReplace(ev *evaluator, c *callNode) (Value, error) {
	mode, err := modeOf(c)
	if err != nil {
		return Value{}, fail(c, "%v", err)
	}
	var args [7]string
	var present [7]bool
	for i := range args {
		if args[i], present[i], err = ev.text(c, i); err != nil {
			return Value{}, err
		}
	}
	src := args[rSource]
	if mode == replaceFromAttrib {
		if src != "" {
			return String(src), nil
		}
	} else if !present[rSource] {
		return Value{}, nil
	}
	switch mode {
	case replaceOld:
		return replaceAll(c, src, args[rOld], args[rReplacement])
	case replaceTemplate:
		return replaceAll(c, args[rTemplate], args[rOld], src)
	}
	re, err := compileRegex(args[rPattern])
	if err != nil {
		return Value{}, argError(c, rPattern, "%v", err)
	}
	if mode == replaceRegex {
		repl := args[rReplacement]
		refs := strings.Count(repl, "$")
		var out []byte
		last := 0
		for _, m := range re.FindAllStringSubmatchIndex(src, -1) {
			out = append(out, src[last:m[0]]...)
			// Each $ reference expands to at most the match, since groups
			// lie within it; check before expanding, not after.
			if len(out)+len(repl)+refs*(m[1]-m[0]) > MaxValueLen {
				return Value{}, tooLong(c)
			}
			out = re.ExpandString(out, repl, src, m)
			last = m[1]
		}
		return String(string(append(out, src[last:]...))), nil
	}
	group := re.SubexpIndex(args[rGroup])
	if group < 0 {
		return Value{}, argError(c, rGroup, "names no group of regexPattern")
	}
	if mode == replaceFromAttrib {
		m := re.FindStringSubmatchIndex(args[rAttribute])
		if m == nil || m[2*group] < 0 {
			return Value{}, nil
		}
		return String(args[rAttribute][m[2*group]:m[2*group+1]]), nil
	}
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(src, -1) {
		from, to := m[2*group], m[2*group+1]
		if from < 0 || from < last {
			continue
		}
		b.WriteString(src[last:from])
		b.WriteString(args[rReplacement])
		if last = to; b.Len() > MaxValueLen {
			return Value{}, tooLong(c)
		}
	}
	b.WriteString(src[last:])
	return String(b.String()), nil
}
