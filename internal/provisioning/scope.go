package provisioning

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/provisioning/expr"
)

// Scoping filter operators, as Entra spells them
// (shared/reference/entra-provisioning.md §2.4).
const (
	OpEquals         = "EQUALS"
	OpNotEquals      = "NOT EQUALS"
	OpIsTrue         = "IS TRUE"
	OpIsFalse        = "IS FALSE"
	OpIsNull         = "IS NULL"
	OpIsNotNull      = "IS NOT NULL"
	OpRegexMatch     = "REGEX MATCH"
	OpNotRegexMatch  = "NOT REGEX MATCH"
	OpGreaterThan    = "Greater_Than"
	OpGreaterOrEqual = "Greater_Than_OR_EQUALS"
	OpIncludes       = "Includes"
	OpEndsWith       = "ENDS_WITH"
	OpIn             = "&"
	OpNotIn          = "!&"
)

// ScopingFilter is one filter: all its clauses must hold. An object is in
// scope when it passes any filter (or there are none).
type ScopingFilter struct {
	Clauses []Clause `json:"clauses"`
}

// Clause is one condition on a source attribute.
type Clause struct {
	Attribute string `json:"attribute"`
	Operator  string `json:"operator"`
	Value     string `json:"value,omitempty"`
}

// validateFilters checks operators and regular expressions up front.
func validateFilters(fs []ScopingFilter) error {
	for i, f := range fs {
		for j, c := range f.Clauses {
			if c.Attribute == "" {
				return fmt.Errorf("scoping filter %d, clause %d: no attribute", i+1, j+1)
			}
			switch c.Operator {
			case OpEquals, OpNotEquals, OpIsTrue, OpIsFalse, OpIsNull, OpIsNotNull, OpIncludes, OpEndsWith, OpIn, OpNotIn:
			case OpRegexMatch, OpNotRegexMatch:
				if _, err := regexp.Compile(c.Value); err != nil {
					return fmt.Errorf("scoping filter %d, clause %d: %w", i+1, j+1, err)
				}
			case OpGreaterThan, OpGreaterOrEqual:
				if _, err := strconv.ParseInt(c.Value, 10, 64); err != nil {
					return fmt.Errorf("scoping filter %d, clause %d: %s compares integers only", i+1, j+1, c.Operator)
				}
			default:
				return fmt.Errorf("scoping filter %d, clause %d: unknown operator %q", i+1, j+1, c.Operator)
			}
		}
	}
	return nil
}

// inScope evaluates the scoping filters on a source object. Null or empty
// values make every operator false except IS NULL (Entra's rule).
func inScope(fs []ScopingFilter, src expr.Source) bool {
	if len(fs) == 0 {
		return true
	}
	for _, f := range fs {
		ok := true
		for _, c := range f.Clauses {
			if !clauseHolds(c, src.Attribute(c.Attribute)) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func clauseHolds(c Clause, v expr.Value) bool {
	s := v.Text()
	if v.Kind() == expr.KindList {
		s = strings.Join(v.Items(), ",")
	}
	empty := v.IsNull() || s == ""
	switch c.Operator {
	case OpIsNull:
		return empty
	case OpIsNotNull:
		return !empty
	}
	if empty {
		return false
	}
	switch c.Operator {
	case OpEquals:
		return s == c.Value
	case OpNotEquals:
		return s != c.Value
	case OpIsTrue:
		return strings.EqualFold(s, "true")
	case OpIsFalse:
		return strings.EqualFold(s, "false")
	case OpIncludes:
		return strings.Contains(s, c.Value)
	case OpEndsWith:
		return strings.HasSuffix(s, c.Value)
	case OpIn, OpNotIn:
		// "&": the attribute's value is one of the comma-separated values.
		found := false
		for _, item := range strings.Split(c.Value, ",") {
			if strings.TrimSpace(item) == s {
				found = true
			}
		}
		return found == (c.Operator == OpIn)
	case OpRegexMatch, OpNotRegexMatch:
		re, err := regexp.Compile(c.Value)
		return err == nil && re.MatchString(s) == (c.Operator == OpRegexMatch)
	case OpGreaterThan, OpGreaterOrEqual:
		a, err1 := strconv.ParseInt(s, 10, 64)
		b, err2 := strconv.ParseInt(c.Value, 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return a > b || (c.Operator == OpGreaterOrEqual && a == b)
	}
	return false
}
