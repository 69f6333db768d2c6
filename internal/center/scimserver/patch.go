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
		return []string{strings.ToLower(scim.TopName(o.path.Attr))}
	}
	var m map[string]json.RawMessage
	json.Unmarshal(o.value, &m)
	var out []string
	for k := range m {
		out = append(out, strings.ToLower(strings.SplitN(k, ".", 2)[0]))
	}
	return out
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
	doc, err := scim.DecodeDocument(b)
	if err != nil {
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

func applyOp(doc map[string]any, o op) error {
	var value any
	if o.value != nil {
		d := json.NewDecoder(bytes.NewReader(o.value))
		d.UseNumber()
		if err := d.Decode(&value); err != nil {
			return scim.PatchError("the value is not valid JSON")
		}
	}
	if o.path == nil {
		// A path-less add or replace carries an object whose keys are paths
		// (RFC 7644 §3.5.2.1 and §3.5.2.3); Entra also sends dotted keys
		// such as "name.givenName" and URN-qualified ones.
		obj, ok := value.(map[string]any)
		if !ok {
			return scim.PatchError("an operation without a path needs an object value")
		}
		for k, v := range obj {
			if strings.EqualFold(k, scim.SchemaEnterprise) {
				if err := scim.MergeInto(doc, scim.SchemaEnterprise, v); err != nil {
					return err
				}
				continue
			}
			p, err := filter.ParsePath(k)
			if err != nil {
				return scim.PatchError("invalid attribute " + k)
			}
			if err := scim.ApplyPath(doc, o.op, p, v); err != nil {
				return err
			}
		}
		return nil
	}
	return scim.ApplyPath(doc, o.op, *o.path, value)
}
