package expr

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ErrIgnoreFlow is returned by Eval when IgnoreFlowIfNullOrEmpty found
// nothing to flow: the target attribute must be left out of this
// synchronisation entirely, neither set nor cleared. It is not wrapped.
var ErrIgnoreFlow = errors.New("expression: attribute dropped from the flow by IgnoreFlowIfNullOrEmpty")

// ErrNoUniqueValue is wrapped in the error SelectUniqueValue returns when
// every candidate is already taken; Entra escrows the object in that case.
var ErrNoUniqueValue = errors.New("every candidate value is already taken")

// EvalError reports an expression that could not be evaluated for a
// particular source object.
type EvalError struct {
	Pos  int    // 1-based character position of the failing call or attribute
	Func string // the function or operator that failed
	Err  error
}

func (e *EvalError) Error() string {
	return fmt.Sprintf("expression: at position %d: %s: %v", e.Pos, e.Func, e.Err)
}

func (e *EvalError) Unwrap() error { return e.Err }

// Options supplies what an evaluation needs from outside the source object.
// The zero Options uses the system clock and crypto/rand, and makes
// SelectUniqueValue fail.
type Options struct {
	// Now returns the current time for Now(). Nil means time.Now. It is
	// called at most once per evaluation, so every Now() in one expression
	// sees the same instant.
	Now func() time.Time
	// Rand supplies the random bytes behind Guid and RandomString. Nil means
	// crypto/rand.Reader.
	Rand io.Reader
	// IsUnique reports whether a SelectUniqueValue candidate is still free
	// in the target. The provisioning engine implements it with a lookup in
	// the target directory; to bound that lookup, close over a context.
	IsUnique func(candidate string) (bool, error)
}

// Eval evaluates e against src with the zero Options.
func (e *Expr) Eval(src Source) (Value, error) { return e.EvalWith(src, Options{}) }

// EvalWith evaluates e against src; a nil src has no attributes. Besides
// *EvalError it may return ErrIgnoreFlow, which is not a failure; see its
// documentation.
func (e *Expr) EvalWith(src Source, opts Options) (Value, error) {
	if src == nil {
		src = Attributes(nil)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	ev := &evaluator{src: src, opts: opts}
	return ev.eval(e.root)
}

type evaluator struct {
	src    Source
	opts   Options
	now    time.Time
	hasNow bool
	// inCondition counts the IIF conditions being evaluated. Entra cannot
	// evaluate an IIF condition over a null or empty attribute, so inside
	// one such an attribute is an error rather than a value.
	inCondition int
}

func (ev *evaluator) clock() time.Time {
	if !ev.hasNow {
		ev.now, ev.hasNow = ev.opts.Now().UTC(), true
	}
	return ev.now
}

func (ev *evaluator) eval(n node) (Value, error) {
	switch n := n.(type) {
	case nil:
		return Value{}, nil
	case *callNode:
		v, err := n.fn.eval(ev, n)
		if err == nil && v.size() > MaxValueLen {
			return Value{}, tooLong(n)
		}
		return v, err
	case *attrNode:
		v := ev.src.Attribute(n.name)
		if ev.inCondition > 0 && v.isNullOrEmpty() {
			return Value{}, &EvalError{Pos: n.pos, Func: "IIF", Err: fmt.Errorf("attribute [%s] is null or empty, and Entra cannot evaluate an IIF condition on it; use Switch with a \"\" key instead", n.name)}
		}
		return v, nil
	case *strNode:
		return String(n.val), nil
	case *numNode:
		return String(strconv.FormatInt(n.val, 10)), nil
	case *constNode:
		return String(n.name), nil
	case *cmpNode:
		return ev.compare(n)
	}
	panic(fmt.Sprintf("expr: unknown node %T", n))
}

// compare evaluates a = b and its siblings. Equality is Entra's
// case-sensitive string comparison; ordering is numeric when both sides are
// numbers (as in DateDiff(...) > 5) and ordinal otherwise. A null or
// multi-valued side cannot be compared.
func (ev *evaluator) compare(n *cmpNode) (Value, error) {
	var sides [2]string
	for i, side := range []node{n.left, n.right} {
		v, err := ev.eval(side)
		if err != nil {
			return Value{}, err
		}
		if v.kind != KindString {
			return Value{}, &EvalError{Pos: n.pos, Func: "comparison " + n.op, Err: fmt.Errorf("cannot compare a %s value", v.kind)}
		}
		sides[i] = v.str
	}
	c := strings.Compare(sides[0], sides[1])
	if n.op != "=" && n.op != "<>" {
		if a, errA := strconv.ParseFloat(strings.TrimSpace(sides[0]), 64); errA == nil {
			if b, errB := strconv.ParseFloat(strings.TrimSpace(sides[1]), 64); errB == nil {
				c = cmpFloat(a, b)
			}
		}
	}
	var r bool
	switch n.op {
	case "=":
		r = c == 0
	case "<>":
		r = c != 0
	case "<":
		r = c < 0
	case "<=":
		r = c <= 0
	case ">":
		r = c > 0
	case ">=":
		r = c >= 0
	}
	return Bool(r), nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// arg evaluates argument i of c; a missing or left-out argument is null.
func (ev *evaluator) arg(c *callNode, i int) (Value, error) {
	if i >= len(c.args) {
		return Value{}, nil
	}
	return ev.eval(c.args[i])
}

// text evaluates argument i as a single string; ok is false when it is null.
func (ev *evaluator) text(c *callNode, i int) (s string, ok bool, err error) {
	v, err := ev.arg(c, i)
	if err != nil {
		return "", false, err
	}
	switch v.kind {
	case KindList:
		return "", false, argError(c, i, "is multi-valued; a single value is needed")
	case KindNull:
		return "", false, nil
	}
	return v.str, true, nil
}

// integer evaluates argument i as a whole number; ok is false when it is null.
func (ev *evaluator) integer(c *callNode, i int) (n int64, ok bool, err error) {
	s, ok, err := ev.text(c, i)
	if err != nil || !ok {
		return 0, ok, err
	}
	n, err = parseInteger(s)
	if err != nil {
		return 0, false, argError(c, i, "%q is not a whole number", s)
	}
	return n, true, nil
}

// requiredInteger is integer for parameters that may not be null.
func (ev *evaluator) requiredInteger(c *callNode, i int) (int64, error) {
	n, ok, err := ev.integer(c, i)
	if err == nil && !ok {
		err = argError(c, i, "is null")
	}
	return n, err
}

// parseInteger reads a whole number the way the language writes one:
// decimal with an optional sign, or VBA hexadecimal &H….
func parseInteger(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && s[0] == '&' && (s[1] == 'H' || s[1] == 'h') {
		return strconv.ParseInt(s[2:], 16, 64)
	}
	return strconv.ParseInt(s, 10, 64)
}

func tooLong(c *callNode) error {
	return fail(c, "the result would be longer than %d bytes", MaxValueLen)
}

func fail(c *callNode, format string, args ...any) error {
	return &EvalError{Pos: c.pos, Func: c.fn.name, Err: fmt.Errorf(format, args...)}
}

func argError(c *callNode, i int, format string, args ...any) error {
	return fail(c, "argument %d (%s) %s", i+1, c.fn.param(i), fmt.Sprintf(format, args...))
}

// truth converts a value to a boolean as CBool and IIF do: "True"/"False" in
// any case, or a number, which is true unless zero.
func truth(s string) (bool, error) {
	t := strings.TrimSpace(s)
	switch {
	case strings.EqualFold(t, "True"):
		return true, nil
	case strings.EqualFold(t, "False"):
		return false, nil
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		return f != 0, nil
	}
	return false, fmt.Errorf("%q is not a boolean", s)
}

// randomInt returns a uniformly distributed integer in [0, n) read from the
// configured randomness.
func (ev *evaluator) randomInt(n int) (int, error) {
	var buf [8]byte
	limit := ^uint64(0) - ^uint64(0)%uint64(n)
	for {
		if _, err := io.ReadFull(ev.opts.Rand, buf[:]); err != nil {
			return 0, err
		}
		var x uint64
		for _, b := range buf {
			x = x<<8 | uint64(b)
		}
		if x < limit {
			return int(x % uint64(n)), nil
		}
	}
}
