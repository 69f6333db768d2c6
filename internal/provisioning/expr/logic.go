package expr

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// This file holds the functions that test, choose and count values, and
// the generators of random values.

// evalIIF evaluates only the chosen branch. Entra cannot evaluate a
// condition over a null or empty attribute (a documented limitation, see
// evaluator.inCondition), and neither can we.
func evalIIF(ev *evaluator, c *callNode) (Value, error) {
	ev.inCondition++
	cond, err := ev.arg(c, 0)
	ev.inCondition--
	if err != nil {
		return Value{}, err
	}
	if cond.kind != KindString {
		return Value{}, argError(c, 0, "is %s; a boolean is needed", cond.kind)
	}
	b, err := truth(cond.str)
	if err != nil {
		return Value{}, argError(c, 0, "%v", err)
	}
	if b {
		return ev.arg(c, 1)
	}
	return ev.arg(c, 2)
}

// evalSwitch compares source with each key, case-sensitively, and returns
// the value of the first match, else defaultValue (null when left out). A
// null source is compared as "", which is how Microsoft tells users to match
// a missing attribute: Switch([x], "default", "", "when empty").
func evalSwitch(ev *evaluator, c *callNode) (Value, error) {
	src, _, err := ev.text(c, 0)
	if err != nil {
		return Value{}, err
	}
	for i := 2; i+1 < len(c.args); i += 2 {
		key, _, err := ev.text(c, i)
		if err != nil {
			return Value{}, err
		}
		if key == src {
			return ev.arg(c, i+1)
		}
	}
	return ev.arg(c, 1)
}

// evalCoalesce returns the first source that is neither null nor empty.
// Otherwise it returns the last argument as it is, which is where Microsoft
// places the optional defaultValue (it may be "").
func evalCoalesce(ev *evaluator, c *callNode) (Value, error) {
	last := len(c.args) - 1
	for i := range last {
		v, err := ev.arg(c, i)
		if err != nil {
			return Value{}, err
		}
		if !v.isNullOrEmpty() {
			return v, nil
		}
	}
	return ev.arg(c, last)
}

// evalCBool: null stays null; otherwise "True"/"False" in any case, or a
// number (true unless zero). Anything else is an error, as in VBA.
func evalCBool(ev *evaluator, c *callNode) (Value, error) {
	s, ok, err := ev.text(c, 0)
	if err != nil || !ok {
		return Value{}, err
	}
	b, err := truth(s)
	if err != nil {
		return Value{}, argError(c, 0, "%v", err)
	}
	return Bool(b), nil
}

// evalNot follows Microsoft literally: "True" (in any case) gives "False",
// anything else, null included, gives "True".
func evalNot(ev *evaluator, c *callNode) (Value, error) {
	s, _, err := ev.text(c, 0)
	if err != nil {
		return Value{}, err
	}
	return Bool(!strings.EqualFold(strings.TrimSpace(s), "True")), nil
}

func evalIsNull(ev *evaluator, c *callNode) (Value, error) {
	v, err := ev.arg(c, 0)
	return Bool(v.kind == KindNull), err
}

func evalIsNullOrEmpty(ev *evaluator, c *callNode) (Value, error) {
	v, err := ev.arg(c, 0)
	return Bool(v.isNullOrEmpty()), err
}

func evalIsPresent(ev *evaluator, c *callNode) (Value, error) {
	v, err := ev.arg(c, 0)
	return Bool(!v.isNullOrEmpty()), err
}

// evalIsString: only a single value is a string; null and lists are not.
func evalIsString(ev *evaluator, c *callNode) (Value, error) {
	v, err := ev.arg(c, 0)
	return Bool(v.kind == KindString), err
}

// evalCStr: every value is already a string here, so CStr only checks that
// it is a single one. Null stays null.
func evalCStr(ev *evaluator, c *callNode) (Value, error) {
	s, ok, err := ev.text(c, 0)
	if err != nil || !ok {
		return Value{}, err
	}
	return String(s), nil
}

func evalIgnoreFlowIfNullOrEmpty(ev *evaluator, c *callNode) (Value, error) {
	v, err := ev.arg(c, 0)
	if err != nil {
		return Value{}, err
	}
	if v.isNullOrEmpty() {
		return Value{}, ErrIgnoreFlow
	}
	return v, nil
}

// evalRedact returns its argument unchanged; hiding it from the logs is the
// caller's job, signalled by Expr.Redacted.
func evalRedact(ev *evaluator, c *callNode) (Value, error) { return ev.arg(c, 0) }

// evalCount counts the values of an attribute: 0 for null, 1 for a single
// value.
func evalCount(ev *evaluator, c *callNode) (Value, error) {
	v, err := ev.arg(c, 0)
	if err != nil {
		return Value{}, err
	}
	return String(strconv.Itoa(len(v.Items()))), nil
}

// evalItem is 1-based, as Microsoft documents; an index past the end gives
// null, and an index below 1 is an error.
func evalItem(ev *evaluator, c *callNode) (Value, error) {
	v, err := ev.arg(c, 0)
	if err != nil {
		return Value{}, err
	}
	idx, err := ev.requiredInteger(c, 1)
	if err != nil {
		return Value{}, err
	}
	if idx < 1 {
		return Value{}, argError(c, 1, "is %d; items are numbered from 1", idx)
	}
	items := v.Items()
	if idx > int64(len(items)) {
		return Value{}, nil
	}
	return String(items[idx-1]), nil
}

func checkItem(c *callNode) error {
	if s, ok := literal(c, 1); ok {
		n, err := parseInteger(s)
		if err != nil {
			return literalError(c, 1, fmt.Errorf("%q is not a whole number", s))
		}
		if n < 1 {
			return literalError(c, 1, errors.New("items are numbered from 1"))
		}
	}
	return nil
}

// evalRemoveDuplicates keeps the first of equal values, comparing
// case-sensitively (in proxyAddresses "SMTP:" and "smtp:" mean different
// things).
func evalRemoveDuplicates(ev *evaluator, c *callNode) (Value, error) {
	v, err := ev.arg(c, 0)
	if err != nil || v.kind != KindList {
		return v, err
	}
	seen := make(map[string]bool, len(v.list))
	var out []string
	for _, s := range v.list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return List(out...), nil
}

// evalBitAnd: null in either argument gives null.
func evalBitAnd(ev *evaluator, c *callNode) (Value, error) {
	a, okA, err := ev.integer(c, 0)
	if err != nil {
		return Value{}, err
	}
	b, okB, err := ev.integer(c, 1)
	if err != nil || !okA || !okB {
		return Value{}, err
	}
	return String(strconv.FormatInt(a&b, 10)), nil
}

// evalSelectUniqueValue returns the first rule's value that Options.IsUnique
// accepts. Rules that give null or "" are skipped. Entra only offers this
// function for provisioning into Active Directory, and only at the top
// level, which Parse enforces.
func evalSelectUniqueValue(ev *evaluator, c *callNode) (Value, error) {
	if ev.opts.IsUnique == nil {
		return Value{}, fail(c, "no uniqueness check was supplied (Options.IsUnique)")
	}
	for i := range c.args {
		s, ok, err := ev.text(c, i)
		if err != nil {
			return Value{}, err
		}
		if !ok || s == "" {
			continue
		}
		unique, err := ev.opts.IsUnique(s)
		if err != nil {
			return Value{}, &EvalError{Pos: c.pos, Func: c.fn.name, Err: err}
		}
		if unique {
			return String(s), nil
		}
	}
	return Value{}, &EvalError{Pos: c.pos, Func: c.fn.name, Err: ErrNoUniqueValue}
}

// appRoles decodes the appRoleAssignments argument; see AppRoleAssignments.
func (ev *evaluator) appRoles(c *callNode) ([]AppRoleAssignment, error) {
	v, err := ev.arg(c, 0)
	if err != nil {
		return nil, err
	}
	items := v.Items()
	roles := make([]AppRoleAssignment, len(items))
	for i, s := range items {
		if roles[i], err = ParseAppRoleAssignment(s); err != nil {
			return nil, argError(c, 0, "element %d is not an app role assignment: %v", i+1, err)
		}
	}
	return roles, nil
}

// evalSingleAppRoleAssignment returns the role's value (its display name if
// the role has no value), which is what Entra sends as
// roles[primary eq "True"].value. With several assignments Entra picks one
// unpredictably; we pick the first. Null when there is none.
func evalSingleAppRoleAssignment(ev *evaluator, c *callNode) (Value, error) {
	roles, err := ev.appRoles(c)
	if err != nil || len(roles) == 0 {
		return Value{}, err
	}
	if roles[0].Value != "" {
		return String(roles[0].Value), nil
	}
	return String(roles[0].DisplayName), nil
}

// evalAppRoleAssignmentsComplex returns every assignment, each in Entra's
// JSON encoding {"id":…,"value":…,"displayName":…}; the SCIM layer turns
// them into roles entries with primary=false.
func evalAppRoleAssignmentsComplex(ev *evaluator, c *callNode) (Value, error) {
	roles, err := ev.appRoles(c)
	if err != nil {
		return Value{}, err
	}
	return AppRoleAssignments(roles...), nil
}

func evalGuid(ev *evaluator, c *callNode) (Value, error) {
	var b [16]byte
	if _, err := io.ReadFull(ev.opts.Rand, b[:]); err != nil {
		return Value{}, fail(c, "reading randomness: %v", err)
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return String(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])), nil
}

// The character classes of RandomString are those of Windows password
// complexity rules, which Microsoft's reference points to.
var randomClasses = [4]string{
	"0123456789",
	"~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/",
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"abcdefghijklmnopqrstuvwxyz",
}

// maxRandomString is Microsoft's documented limit on Length.
const maxRandomString = 256

// evalRandomString meets each minimum, then fills the remaining length from
// the classes that were asked for (minimum above zero), or from all classes
// when every minimum is zero, so that RandomString(6,3,0,0,3) never yields
// special characters. The result is shuffled.
func evalRandomString(ev *evaluator, c *callNode) (Value, error) {
	var nums [5]int64
	for i := range nums {
		n, err := ev.requiredInteger(c, i)
		if err != nil {
			return Value{}, err
		}
		switch {
		case i == 0 && (n < 1 || n > maxRandomString):
			return Value{}, argError(c, i, "is %d; it must be from 1 to %d", n, maxRandomString)
		case n < 0:
			return Value{}, argError(c, i, "is %d; it cannot be negative", n)
		}
		nums[i] = n
	}
	avoid, _, err := ev.text(c, 5)
	if err != nil {
		return Value{}, err
	}
	length, mins := nums[0], nums[1:]
	var classes [4]string
	var fill strings.Builder
	var total int64
	for i, set := range randomClasses {
		classes[i] = strings.Map(func(r rune) rune {
			if strings.ContainsRune(avoid, r) {
				return -1
			}
			return r
		}, set)
		total += mins[i]
		if mins[i] > 0 {
			if classes[i] == "" {
				return Value{}, argError(c, 5, "excludes every character of a class whose minimum is %d", mins[i])
			}
			fill.WriteString(classes[i])
		}
	}
	if total > length {
		return Value{}, fail(c, "the minimums add up to %d, more than Length %d", total, length)
	}
	if fill.Len() == 0 {
		fill.WriteString(strings.Join(classes[:], ""))
		if fill.Len() == 0 {
			return Value{}, argError(c, 5, "excludes every character")
		}
	}
	out := make([]byte, 0, length)
	pick := func(set string) error {
		i, err := ev.randomInt(len(set))
		if err != nil {
			return fail(c, "reading randomness: %v", err)
		}
		out = append(out, set[i])
		return nil
	}
	for i, set := range classes {
		for range mins[i] {
			if err := pick(set); err != nil {
				return Value{}, err
			}
		}
	}
	for int64(len(out)) < length {
		if err := pick(fill.String()); err != nil {
			return Value{}, err
		}
	}
	for i := len(out) - 1; i > 0; i-- {
		j, err := ev.randomInt(i + 1)
		if err != nil {
			return Value{}, fail(c, "reading randomness: %v", err)
		}
		out[i], out[j] = out[j], out[i]
	}
	return String(string(out)), nil
}
