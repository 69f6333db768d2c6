package provisioning

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/provisioning/expr"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/scim/filter"
)

// Mapping types (shared/reference/entra-provisioning.md §2.1).
const (
	MapDirect     = "direct"
	MapConstant   = "constant"
	MapExpression = "expression"
)

// When a mapping applies.
const (
	ApplyAlways = "always"
	ApplyCreate = "create"
)

// Mapping computes one target attribute.
type Mapping struct {
	Type string `json:"type"`
	// Source is the source attribute (direct), the value (constant) or the
	// expression text (expression).
	Source string `json:"source"`
	// Target is a SCIM attribute path, e.g. emails[type eq "work"].value.
	Target string `json:"target"`
	// Default is used when the source is null, on create only (as Entra).
	Default string `json:"default,omitempty"`
	Apply   string `json:"apply,omitempty"`
	// Match > 0 makes the target attribute a matching attribute; lower
	// numbers are tried first (Entra's matching precedence).
	Match int `json:"matchPrecedence,omitempty"`
}

// compiled is a parsed mapping.
type compiled struct {
	Mapping
	expr *expr.Expr
	path filter.Path
	// reference is set for the manager, whose value is a source object id
	// that must become the target's id.
	reference bool
}

// MappingError points at the mapping, and the position in its expression,
// that is wrong.
type MappingError struct {
	Index  int
	Target string
	Err    error
}

func (e *MappingError) Error() string {
	return fmt.Sprintf("mapping %d (%s): %v", e.Index+1, e.Target, e.Err)
}

func (e *MappingError) Unwrap() error { return e.Err }

// compile parses mappings; every error names its mapping, and expression
// errors their position.
func compile(ms []Mapping) ([]compiled, error) {
	out := make([]compiled, 0, len(ms))
	for i, m := range ms {
		c := compiled{Mapping: m}
		var src string
		switch m.Type {
		case MapDirect:
			if m.Source == "" || strings.ContainsAny(m.Source, "[]") {
				return nil, &MappingError{i, m.Target, fmt.Errorf("a direct mapping needs a source attribute name")}
			}
			src = "[" + m.Source + "]"
		case MapConstant:
			src = `"` + strings.ReplaceAll(m.Source, `"`, `\"`) + `"`
		case MapExpression:
			src = m.Source
		default:
			return nil, &MappingError{i, m.Target, fmt.Errorf("type must be direct, constant or expression, not %q", m.Type)}
		}
		e, err := expr.Parse(src)
		if err != nil {
			return nil, &MappingError{i, m.Target, err}
		}
		c.expr = e
		p, err := filter.ParsePath(m.Target)
		if err != nil {
			return nil, &MappingError{i, m.Target, fmt.Errorf("target: %w", err)}
		}
		c.path = p
		c.reference = strings.EqualFold(p.Attr.Name, "manager") && p.Filter == nil
		switch m.Apply {
		case "", ApplyAlways, ApplyCreate:
		default:
			return nil, &MappingError{i, m.Target, fmt.Errorf("apply must be always or create, not %q", m.Apply)}
		}
		out = append(out, c)
	}
	return out, nil
}

// ValidateMappings checks mappings without building anything; the console
// uses it to validate expressions as they are typed.
func ValidateMappings(ms []Mapping) error {
	_, err := compile(ms)
	return err
}

// matchPaths returns the matching attributes in precedence order.
func matchPaths(cs []compiled) []compiled {
	var out []compiled
	for _, c := range cs {
		if c.Match > 0 {
			out = append(out, c)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Match < out[j-1].Match; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// booleanAttrs are target attributes whose values are SCIM booleans; the
// expression language yields "True" and "False".
var booleanAttrs = map[string]bool{"active": true, "primary": true}

// built is the desired target resource computed from a source object.
type built struct {
	doc map[string]any
	// managed are the paths this job sets; only those are compared with,
	// and cleared in, the target.
	managed []filter.Path
	// refs are reference attributes whose value, a source object id, must
	// become the target's id before the resource is sent.
	refs     []ref
	warnings []string
}

// ref is an unresolved reference attribute.
type ref struct {
	path   filter.Path
	source string
}

// build evaluates the mappings for one source object. On update (create
// false) create-only mappings are skipped and not managed.
func build(cs []compiled, src expr.Source, create bool, opts expr.Options) (*built, error) {
	b := &built{doc: map[string]any{}}
	for _, c := range cs {
		if c.Apply == ApplyCreate && !create {
			continue
		}
		v, err := c.expr.EvalWith(src, opts)
		if errors.Is(err, expr.ErrIgnoreFlow) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Target, err)
		}
		if v.IsNull() && !create && c.Default != "" {
			// The default was set on create; on update a null source
			// leaves it alone rather than removing it.
			continue
		}
		b.managed = append(b.managed, c.path)
		if v.IsNull() && create && c.Default != "" {
			v = expr.String(c.Default)
		}
		if v.IsNull() {
			continue
		}
		var value any
		switch items := v.Items(); {
		case v.Kind() == expr.KindList && len(items) == 0:
			continue
		case v.Kind() == expr.KindList:
			if len(items) > 1 {
				b.warnings = append(b.warnings, fmt.Sprintf("%s: %d values reduced to the first; the target accepts one", c.Target, len(items)))
			}
			value = items[0]
		default:
			value = v.Text()
		}
		if value == "" {
			continue // Entra does not flow empty values
		}
		leaf := c.path.Attr.Name
		if c.path.Sub != "" {
			leaf = c.path.Sub
		} else if c.path.Attr.Sub != "" {
			leaf = c.path.Attr.Sub
		}
		if booleanAttrs[strings.ToLower(leaf)] {
			value = strings.EqualFold(value.(string), "true")
		}
		if c.reference {
			b.refs = append(b.refs, ref{path: c.path, source: value.(string)})
			continue
		}
		if err := scim.ApplyPath(b.doc, "add", c.path, value); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Target, err)
		}
	}
	return b, nil
}
