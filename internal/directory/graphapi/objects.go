package graphapi

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// Graph's OData type names.
const (
	typeUser  = "#microsoft.graph.user"
	typeGroup = "#microsoft.graph.group"
)

// object is a JSON object that keeps its keys in order, so responses read
// like Graph's (annotations first, then the properties).
type object []field

type field struct {
	k string
	v any
}

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// get returns the value of key k, or nil.
func (o object) get(k string) (any, bool) {
	for _, f := range o {
		if f.k == k {
			return f.v, true
		}
	}
	return nil, false
}

// str is a string property: Graph writes an unset string as null.
func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// graphTime formats a time as Graph does: UTC, seconds, Z.
func graphTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// prop is one property of a resource: its Graph name and how to read it.
// filter tells which $filter operators it supports (see odata.go).
type prop[T any] struct {
	name   string
	get    func(T) any
	filter filterOps
}

// userProps are the user properties this API reads and writes, in the order
// Graph returns them: its default set first (businessPhones through id),
// then the rest alphabetically. Every property is returned by default (Graph
// returns the rest only on $select; returning them too breaks no client).
var userProps = []prop[*directory.User]{
	{"businessPhones", func(u *directory.User) any { return nonNil(u.BusinessPhones) }, 0},
	{"displayName", func(u *directory.User) any { return str(u.DisplayName) }, opEq | opStartsWith},
	{"givenName", func(u *directory.User) any { return str(u.GivenName) }, opEq | opStartsWith},
	{"jobTitle", func(u *directory.User) any { return str(u.JobTitle) }, opEq | opStartsWith},
	{"mail", func(u *directory.User) any { return str(u.Mail) }, opEq | opStartsWith},
	{"mobilePhone", func(u *directory.User) any { return str(u.MobilePhone) }, opEq | opStartsWith},
	{"officeLocation", func(u *directory.User) any { return str(u.OfficeLocation) }, opEq | opStartsWith},
	{"preferredLanguage", func(u *directory.User) any { return str(u.PreferredLanguage) }, opEq | opStartsWith},
	{"surname", func(u *directory.User) any { return str(u.Surname) }, opEq | opStartsWith},
	{"userPrincipalName", func(u *directory.User) any { return u.UserPrincipalName }, opEq | opStartsWith},
	{"id", func(u *directory.User) any { return u.ID }, opEq},
	{"accountEnabled", func(u *directory.User) any { return u.AccountEnabled }, opEq | opBool},
	{"city", func(u *directory.User) any { return str(u.City) }, opEq | opStartsWith},
	{"companyName", func(u *directory.User) any { return str(u.CompanyName) }, opEq | opStartsWith},
	{"country", func(u *directory.User) any { return str(u.Country) }, opEq | opStartsWith},
	{"createdDateTime", func(u *directory.User) any { return graphTime(u.Created) }, 0},
	{"deletedDateTime", func(u *directory.User) any {
		if u.Deleted == nil {
			return nil
		}
		return graphTime(*u.Deleted)
	}, 0},
	{"department", func(u *directory.User) any { return str(u.Department) }, opEq | opStartsWith},
	{"employeeId", func(u *directory.User) any { return str(u.EmployeeID) }, opEq | opStartsWith},
	{"mailNickname", func(u *directory.User) any { return str(u.MailNickname) }, opEq | opStartsWith},
	{"postalCode", func(u *directory.User) any { return str(u.PostalCode) }, opEq | opStartsWith},
	{"state", func(u *directory.User) any { return str(u.State) }, opEq | opStartsWith},
	{"streetAddress", func(u *directory.User) any { return str(u.StreetAddress) }, 0},
	{"usageLocation", func(u *directory.User) any { return str(u.UsageLocation) }, opEq | opStartsWith},
}

// groupProps are the group properties, in Graph's order. Only security
// groups exist here: mailEnabled is always false, groupTypes always empty
// and mail always null.
var groupProps = []prop[*directory.Group]{
	{"id", func(g *directory.Group) any { return g.ID }, opEq},
	{"createdDateTime", func(g *directory.Group) any { return graphTime(g.Created) }, 0},
	{"deletedDateTime", func(g *directory.Group) any { return nil }, 0},
	{"description", func(g *directory.Group) any { return str(g.Description) }, opEq | opStartsWith},
	{"displayName", func(g *directory.Group) any { return g.DisplayName }, opEq | opStartsWith},
	{"groupTypes", func(g *directory.Group) any { return []string{} }, 0},
	{"mail", func(g *directory.Group) any { return nil }, 0},
	{"mailEnabled", func(g *directory.Group) any { return false }, opEq | opBool},
	{"mailNickname", func(g *directory.Group) any { return str(g.MailNickname) }, opEq | opStartsWith},
	{"securityEnabled", func(g *directory.Group) any { return g.SecurityEnabled }, opEq | opBool},
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// selection is the set of properties $select asked for; nil means all.
type selection map[string]bool

// userObject renders every property of a user; withType adds
// "@odata.type", as Graph does in collections of directoryObjects (members,
// memberOf, deletedItems) and on navigation results (manager).
func userObject(u *directory.User, withType bool) object {
	o := make(object, 0, len(userProps)+1)
	if withType {
		o = append(o, field{"@odata.type", typeUser})
	}
	for _, p := range userProps {
		o = append(o, field{p.name, p.get(u)})
	}
	return o
}

func groupObject(g *directory.Group, withType bool) object {
	o := make(object, 0, len(groupProps)+1)
	if withType {
		o = append(o, field{"@odata.type", typeGroup})
	}
	for _, p := range groupProps {
		o = append(o, field{p.name, p.get(g)})
	}
	return o
}

// project keeps the annotations and the selected properties of o.
func project(o object, sel selection) object {
	if sel == nil {
		return o
	}
	out := make(object, 0, len(sel)+1)
	for _, f := range o {
		if sel[f.k] || f.k[0] == '@' {
			out = append(out, f)
		}
	}
	return out
}

// id returns the object's id.
func (o object) id() string {
	v, _ := o.get("id")
	s, _ := v.(string)
	return s
}

// propText is a property's value as $filter compares it: strings as they
// are, booleans as true or false; null and lists do not compare.
func propText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		if v {
			return "true", true
		}
		return "false", true
	}
	return "", false
}
