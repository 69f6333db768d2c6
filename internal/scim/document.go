package scim

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/scim/filter"
)

// This file applies PATCH operations (RFC 7644 §3.5.2) to a resource held as
// a generic JSON document. The center's server uses it for PATCH, and the
// provisioning engine to build resources from attribute mappings whose
// targets are paths such as emails[type eq "work"].value.

// DecodeDocument decodes a JSON object keeping numbers as json.Number.
func DecodeDocument(b []byte) (map[string]any, error) {
	var doc map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// TopName is the attribute a path addresses at the top of the resource: a
// core-schema URN prefix is dropped, an extension keeps its URN.
func TopName(a filter.AttrPath) string {
	switch {
	case a.URN == "" || strings.EqualFold(a.URN, SchemaUser) || strings.EqualFold(a.URN, SchemaGroup):
		return a.Name
	case strings.EqualFold(a.URN+":"+a.Name, SchemaEnterprise):
		return SchemaEnterprise
	default:
		return a.URN
	}
}

// PatchError is a reason a PATCH operation cannot be applied.
type PatchError string

func (e PatchError) Error() string { return string(e) }

// MergeInto sets the sub-attributes of a complex attribute that value names,
// leaving the others as they were (RFC 7644 §3.5.2.3, complex attributes).
func MergeInto(doc map[string]any, attr string, value any) error {
	obj, ok := value.(map[string]any)
	if !ok {
		return PatchError(attr + " needs an object value")
	}
	target, _ := Get(doc, attr).(map[string]any)
	if target == nil {
		target = map[string]any{}
	}
	for k, v := range obj {
		Set(target, k, v)
	}
	Set(doc, attr, target)
	return nil
}

// container returns the object holding the path's attribute: the document,
// or the enterprise extension (created when adding).
func container(doc map[string]any, p filter.Path, create bool) (map[string]any, string, error) {
	top := TopName(p.Attr)
	if strings.EqualFold(top, SchemaEnterprise) {
		ext, _ := Get(doc, SchemaEnterprise).(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			if create {
				Set(doc, SchemaEnterprise, ext)
			}
		}
		if strings.EqualFold(p.Attr.URN+":"+p.Attr.Name, SchemaEnterprise) {
			return doc, SchemaEnterprise, nil // the whole extension
		}
		return ext, p.Attr.Name, nil
	}
	if p.Attr.URN != "" && top == p.Attr.URN {
		return nil, "", PatchError("the schema " + p.Attr.URN + " is not supported")
	}
	return doc, p.Attr.Name, nil
}

// ApplyPath applies one operation ("add", "replace" or "remove") on path p
// to doc. Keys are matched case-insensitively (RFC 7643 §2.1).
func ApplyPath(doc map[string]any, opName string, p filter.Path, value any) error {
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
		obj, _ := Get(c, name).(map[string]any)
		if opName == "remove" {
			if obj != nil {
				Del(obj, p.Attr.Sub)
			}
			return nil
		}
		if obj == nil {
			obj = map[string]any{}
			Set(c, name, obj)
		}
		Set(obj, p.Attr.Sub, value)
		return nil
	}
	switch opName {
	case "remove":
		if list, ok := Get(c, name).([]any); ok && value != nil {
			Set(c, name, removeValues(list, value))
		} else {
			Del(c, name)
		}
	case "add":
		// add to a multi-valued attribute appends (RFC 7644 §3.5.2.1); to a
		// complex one it merges.
		if list, ok := Get(c, name).([]any); ok {
			if vs, ok := value.([]any); ok {
				Set(c, name, append(list, vs...))
				return nil
			}
		}
		if _, ok := Get(c, name).(map[string]any); ok {
			return MergeInto(c, name, value)
		}
		Set(c, name, value)
	case "replace":
		if _, ok := Get(c, name).(map[string]any); ok {
			if _, isObj := value.(map[string]any); isObj {
				return MergeInto(c, name, value)
			}
		}
		Set(c, name, value)
	}
	return nil
}

// applyFiltered handles attr[filter] and attr[filter].sub paths on a
// multi-valued attribute. AWS supports only eq in path filters.
func applyFiltered(c map[string]any, name, opName string, p filter.Path, value any) error {
	cmps, ok := filter.Conjuncts(p.Filter)
	if !ok {
		return PatchError("only eq comparisons joined by and are supported in path filters")
	}
	for _, cmp := range cmps {
		if cmp.Op != "eq" {
			return PatchError("only eq is supported in path filters")
		}
	}
	list, _ := Get(c, name).([]any)
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
			Del(obj, p.Sub)
		case p.Sub != "":
			Set(obj, p.Sub, value)
		default:
			vo, ok := value.(map[string]any)
			if !ok {
				return PatchError(name + "[...] needs an object value")
			}
			for k, v := range vo {
				Set(obj, k, v)
			}
		}
		kept = append(kept, obj)
	}
	if !matched && opName != "remove" {
		// Entra replaces emails[type eq "work"].value on a user that has no
		// work email yet: create the value the filter describes.
		obj := map[string]any{}
		for _, cmp := range cmps {
			Set(obj, cmp.Path.Name, cmp.Value)
		}
		if p.Sub != "" {
			Set(obj, p.Sub, value)
		} else if vo, ok := value.(map[string]any); ok {
			for k, v := range vo {
				Set(obj, k, v)
			}
		}
		if strings.EqualFold(name, "emails") && len(list) == 0 {
			Set(obj, "primary", true)
		}
		kept = append(kept, obj)
	}
	if kept == nil {
		Del(c, name)
	} else {
		Set(c, name, kept)
	}
	return nil
}

// matches evaluates eq comparisons on one value of a multi-valued attribute;
// string comparison ignores case, as for the caseExact=false sub-attributes
// type and value (RFC 7643 §4.1.2).
func matches(obj map[string]any, cmps []*filter.Compare) bool {
	for _, c := range cmps {
		got := Get(obj, c.Path.Name)
		if c.Path.Sub != "" {
			sub, _ := got.(map[string]any)
			got = Get(sub, c.Path.Sub)
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
			if eo != nil && vo != nil && equalValues(Get(eo, "value"), Get(vo, "value")) {
				continue outer
			}
		}
		out = append(out, el)
	}
	return out
}

// Get, Set and Del address object keys case-insensitively (RFC 7643 §2.1).
func Get(m map[string]any, key string) any {
	if k, ok := findKey(m, key); ok {
		return m[k]
	}
	return nil
}

func Set(m map[string]any, key string, v any) {
	if k, ok := findKey(m, key); ok {
		key = k
	}
	m[key] = v
}

func Del(m map[string]any, key string) {
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

// GetPath returns the value at path p in doc, or nil: an attribute, a
// sub-attribute, the first value of a multi-valued attribute matching the
// path's filter, or a sub-attribute of that value.
func GetPath(doc map[string]any, p filter.Path) any {
	c, name, err := container(doc, p, false)
	if err != nil || c == nil {
		return nil
	}
	v := Get(c, name)
	if p.Filter != nil {
		cmps, ok := filter.Conjuncts(p.Filter)
		if !ok {
			return nil
		}
		list, _ := v.([]any)
		v = nil
		for _, el := range list {
			if obj, ok := el.(map[string]any); ok && matches(obj, cmps) {
				v = obj
				break
			}
		}
		if v == nil || p.Sub == "" {
			return v
		}
		return Get(v.(map[string]any), p.Sub)
	}
	if p.Attr.Sub != "" {
		obj, _ := v.(map[string]any)
		if obj == nil {
			return nil
		}
		return Get(obj, p.Attr.Sub)
	}
	return v
}
