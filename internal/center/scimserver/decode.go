package scimserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse/internal/scim"
)

// Top-level User attributes, lower-cased: attribute names are
// case-insensitive (RFC 7643 §2.1).
var userAttrs = map[string]bool{
	"schemas": true, "id": true, "externalid": true, "meta": true, "username": true, "name": true,
	"displayname": true, "nickname": true, "profileurl": true, "title": true, "usertype": true,
	"preferredlanguage": true, "locale": true, "timezone": true, "active": true, "emails": true,
	"addresses": true, "phonenumbers": true, "roles": true, strings.ToLower(scim.SchemaEnterprise): true,
}

// Attributes of the SCIM User schema that AWS does not support
// (shared/reference/aws-identity-center.md §1.5); named so the error says so.
var userUnsupported = map[string]string{
	"password": "password", "ims": "ims", "photos": "photos", "x509certificates": "x509Certificates",
	"entitlements": "entitlements", "groups": "groups",
}

var groupAttrs = map[string]bool{"schemas": true, "id": true, "externalid": true, "meta": true, "displayname": true, "members": true}

// checkAttrs refuses top-level attributes the resource does not have.
func checkAttrs(raw map[string]json.RawMessage, allowed map[string]bool, unsupported map[string]string, kind string) error {
	for k := range raw {
		lk := strings.ToLower(k)
		if name, ok := unsupported[lk]; ok {
			return badRequest("The attribute %s is not supported.", name)
		}
		if !allowed[lk] {
			return badRequest("The attribute %q is not part of the %s schema.", k, kind)
		}
	}
	return nil
}

// strictUnmarshal decodes into v refusing unknown (sub-)attributes; the
// top-level ones have been checked with a clearer message already.
func strictUnmarshal(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return badRequest("The request violates the schema: %s.", describeJSONError(err))
	}
	return nil
}

func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("attribute %s must be %s, not %s", te.Field, te.Type, te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// DecodeUser validates a user held as a generic SCIM document (after path
// operations), exactly as a PUT body.
func DecodeUser(doc map[string]any) (*scim.User, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return decodeUser(b)
}

// decodeUser parses and validates a User for POST and PUT, and the result of
// a PATCH.
func decodeUser(b []byte) (*scim.User, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, badRequest("The request body must be a JSON object.")
	}
	if err := checkAttrs(raw, userAttrs, userUnsupported, "User"); err != nil {
		return nil, err
	}
	var u scim.User
	if err := strictUnmarshal(b, &u); err != nil {
		return nil, err
	}
	if !hasKey(raw, "active") {
		u.Active = true // an account is active unless the IdP says otherwise
	}
	u.ID, u.Meta = "", nil // read-only (RFC 7643 §3.1); the server sets them
	u.Normalize()
	return &u, ValidateUser(&u)
}

func hasKey(raw map[string]json.RawMessage, key string) bool {
	for k, v := range raw {
		if strings.EqualFold(k, key) && string(v) != "null" {
			return true
		}
	}
	return false
}

// Character rules of the Identity Store model: UserName is letters, marks,
// symbols, numbers and punctuation only; other strings may add tab, newline,
// carriage return and spaces (shared/reference/aws-identity-center.md §1.5).
var (
	userNameRE = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$`)
	stringRE   = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r \x{a0}\x{3000}]+$`)
)

// reservedNames can name neither a user nor a group.
var reservedNames = []string{"Administrator", "AWSAdministrators"}

func checkReserved(attr, v string) error {
	for _, r := range reservedNames {
		if strings.EqualFold(v, r) {
			return badRequest("%s %q is a reserved name.", attr, v)
		}
	}
	return nil
}

const maxString = 1024

func checkString(attr, v string) error {
	if v == "" {
		return nil
	}
	if utf8.RuneCountInString(v) > maxString {
		return badRequest("The attribute %s is longer than %d characters.", attr, maxString)
	}
	if !stringRE.MatchString(v) {
		return badRequest("The attribute %s contains characters that are not allowed.", attr)
	}
	return nil
}

// ValidateUser applies AWS's rules for users (required attributes, lengths,
// characters, reserved names, single-valued lists); the identitystore API
// validates with it too, so both APIs accept exactly the same users.
func ValidateUser(u *scim.User) error {
	switch n := utf8.RuneCountInString(u.UserName); {
	case n == 0:
		return badRequest("The attribute userName is required.")
	case n > 128:
		return badRequest("The attribute userName is longer than 128 characters.")
	case !userNameRE.MatchString(u.UserName):
		return badRequest("The attribute userName may not contain whitespace or control characters.")
	}
	if err := checkReserved("userName", u.UserName); err != nil {
		return err
	}
	if u.Name == nil || u.Name.GivenName == "" {
		return badRequest("The attribute name.givenName is required.")
	}
	if u.Name.FamilyName == "" {
		return badRequest("The attribute name.familyName is required.")
	}
	if u.DisplayName == "" {
		return badRequest("The attribute displayName is required.")
	}
	// AWS: "Currently list attributes only allow single item".
	for _, l := range []struct {
		attr string
		n    int
	}{{"emails", len(u.Emails)}, {"addresses", len(u.Addresses)}, {"phoneNumbers", len(u.PhoneNumbers)}, {"roles", len(u.Roles)}} {
		if l.n > 1 {
			return badRequest("Currently list attributes only allow single item (%s has %d).", l.attr, l.n)
		}
	}
	if len(u.Emails) == 1 && !u.Emails[0].Primary {
		return badRequest("The email address must be marked primary.")
	}
	// Checked in a fixed order, so the same body always gets the same answer.
	strs := [][2]string{
		{"externalId", u.ExternalID}, {"displayName", u.DisplayName}, {"nickName", u.NickName},
		{"profileUrl", u.ProfileURL}, {"title", u.Title}, {"userType", u.UserType},
		{"preferredLanguage", u.PreferredLanguage}, {"locale", u.Locale}, {"timezone", u.Timezone},
		{"name.formatted", u.Name.Formatted}, {"name.familyName", u.Name.FamilyName}, {"name.givenName", u.Name.GivenName},
		{"name.middleName", u.Name.MiddleName}, {"name.honorificPrefix", u.Name.HonorificPrefix},
		{"name.honorificSuffix", u.Name.HonorificSuffix},
	}
	for _, e := range u.Emails {
		strs = append(strs, [2]string{"emails.value", e.Value}, [2]string{"emails.type", e.Type})
	}
	for _, p := range u.PhoneNumbers {
		strs = append(strs, [2]string{"phoneNumbers.value", p.Value}, [2]string{"phoneNumbers.type", p.Type})
	}
	for _, r := range u.Roles {
		strs = append(strs, [2]string{"roles.value", r.Value}, [2]string{"roles.type", r.Type})
	}
	for _, a := range u.Addresses {
		strs = append(strs, [2]string{"addresses.formatted", a.Formatted}, [2]string{"addresses.streetAddress", a.StreetAddress},
			[2]string{"addresses.locality", a.Locality}, [2]string{"addresses.region", a.Region},
			[2]string{"addresses.postalCode", a.PostalCode}, [2]string{"addresses.country", a.Country},
			[2]string{"addresses.type", a.Type})
	}
	if e := u.Enterprise; e != nil {
		strs = append(strs, [2]string{"employeeNumber", e.EmployeeNumber}, [2]string{"costCenter", e.CostCenter},
			[2]string{"organization", e.Organization}, [2]string{"division", e.Division},
			[2]string{"department", e.Department}, [2]string{"manager.value", u.ManagerID()})
	}
	for _, kv := range strs {
		if err := checkString(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// groupBody is a Group as a client sends it.
type groupBody struct {
	Schemas     []string        `json:"schemas"`
	ID          string          `json:"id"`
	ExternalID  string          `json:"externalId"`
	Meta        json.RawMessage `json:"meta"`
	DisplayName string          `json:"displayName"`
	Members     []memberValue   `json:"members"`
}

// memberValue is one member reference. AWS does not support the display
// sub-attribute; Entra sends "$ref": null.
type memberValue struct {
	Value string  `json:"value"`
	Ref   *string `json:"$ref"`
	Type  string  `json:"type"`
}

// MaxMemberChanges is AWS's limit of members on create and of membership
// changes per PATCH.
const MaxMemberChanges = 100

func decodeGroup(b []byte) (*scim.Group, []string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, nil, badRequest("The request body must be a JSON object.")
	}
	if err := checkAttrs(raw, groupAttrs, nil, "Group"); err != nil {
		return nil, nil, err
	}
	var gb groupBody
	if err := strictUnmarshal(b, &gb); err != nil {
		return nil, nil, err
	}
	g := &scim.Group{Schemas: []string{scim.SchemaGroup}, ExternalID: gb.ExternalID, DisplayName: gb.DisplayName, Members: []scim.Member{}}
	if err := ValidateGroup(g); err != nil {
		return nil, nil, err
	}
	if len(gb.Members) > MaxMemberChanges {
		return nil, nil, badRequest("A group can be created with at most %d members; this request has %d.", MaxMemberChanges, len(gb.Members))
	}
	ids, err := memberIDs(gb.Members)
	return g, ids, err
}

func memberIDs(ms []memberValue) ([]string, error) {
	ids := make([]string, 0, len(ms))
	for _, m := range ms {
		if m.Value == "" {
			return nil, badRequest("Every member must have a value.")
		}
		ids = append(ids, m.Value)
	}
	return ids, nil
}

// ValidateGroup applies AWS's rules for groups; the identitystore API uses it too.
func ValidateGroup(g *scim.Group) error {
	if g.DisplayName == "" {
		return badRequest("The attribute displayName is required.")
	}
	if err := checkReserved("displayName", g.DisplayName); err != nil {
		return err
	}
	if err := checkString("displayName", g.DisplayName); err != nil {
		return err
	}
	return checkString("externalId", g.ExternalID)
}
