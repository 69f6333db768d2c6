package expr

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Kind says which of the three shapes a Value has.
type Kind uint8

const (
	// KindNull is an absent value: the source attribute is not set, or a
	// function had nothing to return.
	KindNull Kind = iota
	// KindString is a single string. Numbers, booleans ("True"/"False") and
	// dates are strings too, as they are in Entra.
	KindString
	// KindList is a multi-valued attribute with at least one element.
	KindList
)

func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindString:
		return "string"
	case KindList:
		return "list"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is the result of an expression or the value of a source attribute.
// The zero Value is null.
type Value struct {
	kind Kind
	str  string
	list []string
}

// Null returns the null Value.
func Null() Value { return Value{} }

// String returns a single-valued Value.
func String(s string) Value { return Value{kind: KindString, str: s} }

// Bool returns "True" or "False", the way Entra writes booleans.
func Bool(b bool) Value {
	if b {
		return String("True")
	}
	return String("False")
}

// List returns a multi-valued Value holding a copy of items. A list without
// items is null, because a multi-valued directory attribute without values
// is simply absent.
func List(items ...string) Value {
	if len(items) == 0 {
		return Value{}
	}
	return Value{kind: KindList, list: append([]string(nil), items...)}
}

// Kind reports the shape of v.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.kind == KindNull }

// Text returns the string of a single-valued v, and "" otherwise.
func (v Value) Text() string { return v.str }

// Items returns the elements of v: a copy of the list, the one string, or
// nil for null.
func (v Value) Items() []string {
	switch v.kind {
	case KindString:
		return []string{v.str}
	case KindList:
		return append([]string(nil), v.list...)
	}
	return nil
}

// Equal reports whether v and w have the same kind and contents.
func (v Value) Equal(w Value) bool {
	if v.kind != w.kind || v.str != w.str || len(v.list) != len(w.list) {
		return false
	}
	for i := range v.list {
		if v.list[i] != w.list[i] {
			return false
		}
	}
	return true
}

// String renders v for logs and test failures: null, a quoted string, or a
// bracketed list of quoted strings. Use Text or Items for the value itself.
func (v Value) String() string {
	switch v.kind {
	case KindString:
		return strconv.Quote(v.str)
	case KindList:
		q := make([]string, len(v.list))
		for i, s := range v.list {
			q[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	return "null"
}

// isNullOrEmpty is Entra's IsNullOrEmpty test, shared by several functions.
func (v Value) isNullOrEmpty() bool {
	return v.kind == KindNull || (v.kind == KindString && v.str == "")
}

// size is the number of bytes v holds.
func (v Value) size() int {
	n := len(v.str)
	for _, s := range v.list {
		n += len(s)
	}
	return n
}

// Source gives an expression the attributes of the source object.
type Source interface {
	// Attribute returns the named attribute, or the null Value when the
	// object does not have it. Entra attribute names are case-insensitive,
	// so implementations must match names without regard to case.
	Attribute(name string) Value
}

// Attributes is a Source backed by a map. Lookups try the exact name first
// and then any key that matches it case-insensitively, so keys should not
// differ only in case.
type Attributes map[string]Value

// Attribute implements Source.
func (a Attributes) Attribute(name string) Value {
	if v, ok := a[name]; ok {
		return v
	}
	for k, v := range a {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return Value{}
}

// AppRoleAssignment is one app role granted to the user, directly or through
// a group, on the application being provisioned.
type AppRoleAssignment struct {
	ID          string `json:"id"`          // the appRole's id, a GUID
	Value       string `json:"value"`       // the appRole's value, e.g. "Admin"
	DisplayName string `json:"displayName"` // the appRole's display name
}

// AppRoleAssignments builds the value of the multi-valued appRoleAssignments
// source attribute. Each element is the JSON object
// {"id":…,"value":…,"displayName":…}, which is exactly the string Entra
// itself puts in a SCIM PATCH for AppRoleAssignmentsComplex, so the SCIM layer
// can pass elements through or decode them with ParseAppRoleAssignment.
func AppRoleAssignments(roles ...AppRoleAssignment) Value {
	items := make([]string, len(roles))
	for i, r := range roles {
		items[i] = r.encode()
	}
	return List(items...)
}

// ParseAppRoleAssignment decodes one element of an appRoleAssignments value.
// An element that is not a JSON object is taken to be a bare role value, so
// a Source may also supply plain role names.
func ParseAppRoleAssignment(s string) (AppRoleAssignment, error) {
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return AppRoleAssignment{Value: s}, nil
	}
	var r AppRoleAssignment
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return AppRoleAssignment{}, err
	}
	return r, nil
}

func (r AppRoleAssignment) encode() string {
	b, _ := json.Marshal(r) // cannot fail: three string fields
	return string(b)
}
