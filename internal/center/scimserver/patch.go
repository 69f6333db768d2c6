package scimserver

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/scim/filter"
)

// op is a PATCH operation with its op lower-cased and its path parsed.
type op struct {
	op    string // add, replace or remove
	path  *filter.Path
	raw   string
	value json.RawMessage
}

// decodePatch parses a PatchOp body (RFC 7644 §3.5.2). Op names are compared
// case-insensitively because Entra sends "Add", "Replace" and "Remove".
func decodePatch(b []byte) ([]op, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, badRequest("The request body must be a JSON object.")
	}
	if err := checkAttrs(raw, map[string]bool{"schemas": true, "operations": true}, nil, "PatchOp"); err != nil {
		return nil, err
	}
	var req scim.PatchRequest
	if err := strictUnmarshal(b, &req); err != nil {
		return nil, err
	}
	if len(req.Operations) == 0 {
		return nil, badRequest("A PATCH request needs at least one operation.")
	}
	ops := make([]op, 0, len(req.Operations))
	for i, o := range req.Operations {
		name := strings.ToLower(o.Op)
		switch name {
		case "add", "replace", "remove":
		case "":
			return nil, badRequest("Operation %d has no op.", i+1)
		default:
			return nil, badRequest("Operation %d: op %q is not one of add, replace and remove.", i+1, o.Op)
		}
		hasValue := len(o.Value) > 0 && string(o.Value) != "null"
		if name != "remove" && !hasValue {
			return nil, badRequest("Operation %d (%s) needs a value.", i+1, name)
		}
		p := op{op: name, raw: o.Path, value: o.Value}
		if o.Path != "" {
			path, err := filter.ParsePath(o.Path)
			if err != nil {
				return nil, badRequest("Operation %d: invalid path: %s", i+1, err.Error())
			}
			p.path = &path
		} else if name == "remove" {
			return nil, badRequest("Operation %d: remove needs a path.", i+1)
		}
		if !hasValue {
			p.value = nil
		}
		ops = append(ops, p)
	}
	return ops, nil
}

// opTargets lists the top-level attributes (lower case) an operation
// touches: its path's attribute, or the keys of a path-less value.
func opTargets(o op) []string {
	if o.path != nil {
		return []string{strings.ToLower(topName(o.path.Attr))}
	}
	var m map[string]json.RawMessage
	json.Unmarshal(o.value, &m)
	var out []string
	for k := range m {
		out = append(out, strings.ToLower(strings.SplitN(k, ".", 2)[0]))
	}
	return out
}

// topName is the attribute a path addresses at the top of the resource: a
// core-schema URN prefix is dropped, an extension keeps its URN.
func topName(a filter.AttrPath) string {
	switch {
	case a.URN == "" || strings.EqualFold(a.URN, scim.SchemaUser) || strings.EqualFold(a.URN, scim.SchemaGroup):
		return a.Name
	case strings.EqualFold(a.URN+":"+a.Name, scim.SchemaEnterprise):
		return scim.SchemaEnterprise
	default:
		return a.URN
	}
}

// checkUserPatch applies AWS's PatchUser limits: userName and active may
// each be the target of one operation only, and neither can be removed.
func checkUserPatch(ops []op) error {
	seen := map[string]int{}
	for _, o := range ops {
		for _, t := range opTargets(o) {
			if t != "username" && t != "active" {
				continue
			}
			if o.op == "remove" {
				return badRequest("The attribute %s cannot be removed.", t)
			}
			if seen[t]++; seen[t] > 1 {
				return badRequest("Multiple operations on %s in one request are not supported.", t)
			}
		}
	}
	return nil
}

// applyUserPatch applies ops to a copy of u as a JSON document and decodes
// and validates the result exactly as a PUT body, so a PATCH can never store
// what a create would refuse.
func applyUserPatch(u *scim.User, ops []op) (*scim.User, error) {
	b, err := json.Marshal(u)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		return nil, err
	}
	delete(doc, "meta")
	delete(doc, "id")
	for i, o := range ops {
		if err := applyOp(doc, o); err != nil {
			return nil, badRequest("Operation %d: %s", i+1, err.Error())
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return decodeUser(out)
}

// patchError is a reason a PATCH operation cannot be applied.
type patchError string

func (e patchError) Error() string { return string(e) }

func applyOp(doc map[string]any, o op) error {
	var value any
	if o.value != nil {
		d := json.NewDecoder(bytes.NewReader(o.value))
		d.UseNumber()
		if err := d.Decode(&value); err != nil {
			return patchError("the value is not valid JSON")
		}
	}
	if o.path == nil {
		// A path-less add or replace carries an object whose keys are paths
		// (RFC 7644 §3.5.2.1 and §3.5.2.3); Entra also sends dotted keys
		// such as "name.givenName" and URN-qualified ones.
		obj, ok := value.(map[string]any)
		if !ok {
			return patchError("an operation without a path needs an object value")
		}
		for k, v := range obj {
			if strings.EqualFold(k, scim.SchemaEnterprise) {
				if err := mergeInto(doc, scim.SchemaEnterprise, v); err != nil {
					return err
				}
				continue
			}
			p, err := filter.ParsePath(k)
			if err != nil {
				return patchError("invalid attribute " + k)
			}
			if err := applyPath(doc, o.op, p, v); err != nil {
				return err
			}
		}
		return nil
	}
	return applyPath(doc, o.op, *o.path, value)
}

// mergeInto sets the sub-attributes of a complex attribute that value names,
// leaving the others as they were (RFC 7644 §3.5.2.3, complex attributes).
func mergeInto(doc map[string]any, attr string, value any) error {
	obj, ok := value.(map[string]any)
	if !ok {
		return patchError(attr + " needs an object value")
	}
	target, _ := get(doc, attr).(map[string]any)
	if target == nil {
		target = map[string]any{}
	}
	for k, v := range obj {
		set(target, k, v)
	}
	set(doc, attr, target)
	return nil
}

// container returns the object holding the path's attribute: the document,
// or the enterprise extension (created when adding).
func container(doc map[string]any, p filter.Path, create bool) (map[string]any, string, error) {
	top := topName(p.Attr)
	if strings.EqualFold(top, scim.SchemaEnterprise) {
		ext, _ := get(doc, scim.SchemaEnterprise).(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			if create {
				set(doc, scim.SchemaEnterprise, ext)
			}
		}
		if strings.EqualFold(p.Attr.URN+":"+p.Attr.Name, scim.SchemaEnterprise) {
			return doc, scim.SchemaEnterprise, nil // the whole extension
		}
		return ext, p.Attr.Name, nil
	}
	if p.Attr.URN != "" && top == p.Attr.URN {
		return nil, "", patchError("the schema " + p.Attr.URN + " is not supported")
	}
	return doc, p.Attr.Name, nil
}

func applyPath(doc map[string]any, opName string, p filter.Path, value any) error {
	c, name, err := container(doc, p, opName != "remove")
	if err != nil {
		return err
	}
	// Entra sends the manager as a bare id string.
	if strings.EqualFold(name, "manager") && p.Attr.Sub == "" && p.Filter == nil {
		if s, ok := value.(string); ok {
			value = map[string]any{"value": s}
		}
	}
	if p.Filter != nil {
		return applyFiltered(c, name, opName, p, value)
	}
	if p.Attr.Sub != "" {
		obj, _ := get(c, name).(map[string]any)
		if opName == "remove" {
			if obj != nil {
				del(obj, p.Attr.Sub)
			}
			return nil
		}
		if obj == nil {
			obj = map[string]any{}
			set(c, name, obj)
		}
		set(obj, p.Attr.Sub, value)
		return nil
	}
	switch opName {
	case "remove":
		if list, ok := get(c, name).([]any); ok && value != nil {
			set(c, name, removeValues(list, value))
		} else {
			del(c, name)
		}
	case "add":
		// add to a multi-valued attribute appends (RFC 7644 §3.5.2.1); to a
		// complex one it merges.
		if list, ok := get(c, name).([]any); ok {
			if vs, ok := value.([]any); ok {
				set(c, name, append(list, vs...))
				return nil
			}
		}
		if _, ok := get(c, name).(map[string]any); ok {
			return mergeInto(c, name, value)
		}
		set(c, name, value)
	case "replace":
		if _, ok := get(c, name).(map[string]any); ok {
			if _, isObj := value.(map[string]any); isObj {
				return mergeInto(c, name, value)
			}
		}
		set(c, name, value)
	}
	return nil
}

// applyFiltered handles attr[filter] and attr[filter].sub paths on a
// multi-valued attribute. AWS supports only eq in path filters.
func applyFiltered(c map[string]any, name, opName string, p filter.Path, value any) error {
	cmps, ok := filter.Conjuncts(p.Filter)
	if !ok {
		return patchError("only eq comparisons joined by and are supported in path filters")
	}
	for _, cmp := range cmps {
		if cmp.Op != "eq" {
			return patchError("only eq is supported in path filters")
		}
	}
	list, _ := get(c, name).([]any)
	matched := false
	var kept []any
	for _, el := range list {
		obj, ok := el.(map[string]any)
		if !ok || !matches(obj, cmps) {
			kept = append(kept, el)
			continue
		}
		matched = true
		switch {
		case opName == "remove" && p.Sub == "":
			continue // drop the element
		case opName == "remove":
			del(obj, p.Sub)
		case p.Sub != "":
			set(obj, p.Sub, value)
		default:
			vo, ok := value.(map[string]any)
			if !ok {
				return patchError(name + "[...] needs an object value")
			}
			for k, v := range vo {
				set(obj, k, v)
			}
		}
		kept = append(kept, obj)
	}
	if !matched && opName != "remove" {
		// Entra replaces emails[type eq "work"].value on a user that has no
		// work email yet: create the value the filter describes.
		obj := map[string]any{}
		for _, cmp := range cmps {
			set(obj, cmp.Path.Name, cmp.Value)
		}
		if p.Sub != "" {
			set(obj, p.Sub, value)
		} else if vo, ok := value.(map[string]any); ok {
			for k, v := range vo {
				set(obj, k, v)
			}
		}
		if strings.EqualFold(name, "emails") && len(list) == 0 {
			set(obj, "primary", true)
		}
		kept = append(kept, obj)
	}
	if kept == nil {
		del(c, name)
	} else {
		set(c, name, kept)
	}
	return nil
}

// matches evaluates eq comparisons on one value of a multi-valued attribute;
// string comparison ignores case, as for the caseExact=false sub-attributes
// type and value (RFC 7643 §4.1.2).
func matches(obj map[string]any, cmps []*filter.Compare) bool {
	for _, c := range cmps {
		got := get(obj, c.Path.Name)
		if c.Path.Sub != "" {
			sub, _ := got.(map[string]any)
			got = get(sub, c.Path.Sub)
		}
		if !equalValues(got, c.Value) {
			return false
		}
	}
	return true
}

func equalValues(got, want any) bool {
	gs, gok := got.(string)
	ws, wok := want.(string)
	if gok && wok {
		return strings.EqualFold(gs, ws)
	}
	switch w := want.(type) {
	case bool:
		g, ok := got.(bool)
		return ok && g == w
	case json.Number:
		g, ok := got.(json.Number)
		return ok && g.String() == w.String()
	case nil:
		return got == nil
	}
	return false
}

// removeValues drops the list values whose "value" equals one of the given
// values' (a remove with a value on a multi-valued attribute).
func removeValues(list []any, value any) []any {
	vs, ok := value.([]any)
	if !ok {
		vs = []any{value}
	}
	var out []any
outer:
	for _, el := range list {
		eo, _ := el.(map[string]any)
		for _, v := range vs {
			vo, _ := v.(map[string]any)
			if eo != nil && vo != nil && equalValues(get(eo, "value"), get(vo, "value")) {
				continue outer
			}
		}
		out = append(out, el)
	}
	return out
}

// get, set and del address object keys case-insensitively (RFC 7643 §2.1).
func get(m map[string]any, key string) any {
	if k, ok := findKey(m, key); ok {
		return m[k]
	}
	return nil
}

func set(m map[string]any, key string, v any) {
	if k, ok := findKey(m, key); ok {
		key = k
	}
	m[key] = v
}

func del(m map[string]any, key string) {
	if k, ok := findKey(m, key); ok {
		delete(m, k)
	}
}

func findKey(m map[string]any, key string) (string, bool) {
	if _, ok := m[key]; ok {
		return key, true
	}
	for k := range m {
		if strings.EqualFold(k, key) {
			return k, true
		}
	}
	return "", false
}
