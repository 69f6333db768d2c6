package scim

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Schema URNs (RFC 7643 §8.7.1, RFC 7644 §3.4.2, §3.5.2, §3.12).
const (
	SchemaUser         = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup        = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaEnterprise   = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaListResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaPatchOp      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaError        = "urn:ietf:params:scim:api:messages:2.0:Error"
	SchemaSPConfig     = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	SchemaResourceType = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema       = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// Meta is the read-only "meta" attribute (RFC 7643 §3.1). AWS returns only
// resourceType, created and lastModified.
type Meta struct {
	ResourceType string    `json:"resourceType,omitempty"`
	Created      time.Time `json:"created"`
	LastModified time.Time `json:"lastModified"`
}

// Bool is a SCIM boolean that also accepts the strings "True" and "False",
// which Microsoft Entra ID sends unless the aadOptscim062020 flag is set
// (shared/reference/entra-provisioning.md §1.5).
type Bool bool

// UnmarshalJSON accepts true, false, "true" and "false" in any letter case.
func (b *Bool) UnmarshalJSON(data []byte) error {
	switch strings.ToLower(strings.Trim(string(data), `"`)) {
	case "true":
		*b = true
	case "false":
		*b = false
	default:
		return fmt.Errorf("%s is not a boolean", data)
	}
	return nil
}

// Name is the complex "name" attribute (RFC 7643 §4.1.1).
type Name struct {
	Formatted       string `json:"formatted,omitempty"`
	FamilyName      string `json:"familyName,omitempty"`
	GivenName       string `json:"givenName,omitempty"`
	MiddleName      string `json:"middleName,omitempty"`
	HonorificPrefix string `json:"honorificPrefix,omitempty"`
	HonorificSuffix string `json:"honorificSuffix,omitempty"`
}

// Email is one value of "emails" (RFC 7643 §4.1.2). AWS does not support the
// "display" sub-attribute.
type Email struct {
	Value   string `json:"value,omitempty"`
	Type    string `json:"type,omitempty"`
	Primary Bool   `json:"primary"`
}

// PhoneNumber is one value of "phoneNumbers" (RFC 7643 §4.1.2).
type PhoneNumber struct {
	Value   string `json:"value,omitempty"`
	Type    string `json:"type,omitempty"`
	Primary Bool   `json:"primary,omitempty"`
}

// Address is one value of "addresses" (RFC 7643 §4.1.2).
type Address struct {
	Formatted     string `json:"formatted,omitempty"`
	StreetAddress string `json:"streetAddress,omitempty"`
	Locality      string `json:"locality,omitempty"`
	Region        string `json:"region,omitempty"`
	PostalCode    string `json:"postalCode,omitempty"`
	Country       string `json:"country,omitempty"`
	Type          string `json:"type,omitempty"`
	Primary       Bool   `json:"primary,omitempty"`
}

// Role is one value of "roles" (RFC 7643 §4.1.2); AWS allows value, type and
// primary only.
type Role struct {
	Value   string `json:"value,omitempty"`
	Type    string `json:"type,omitempty"`
	Primary Bool   `json:"primary,omitempty"`
}

// Manager is the enterprise extension's manager reference (RFC 7643 §4.3).
// AWS does not support its displayName.
type Manager struct {
	Value string `json:"value,omitempty"`
}

// Enterprise is the enterprise user extension (RFC 7643 §4.3), limited to the
// attributes AWS IAM Identity Center stores.
type Enterprise struct {
	EmployeeNumber string   `json:"employeeNumber,omitempty"`
	CostCenter     string   `json:"costCenter,omitempty"`
	Organization   string   `json:"organization,omitempty"`
	Division       string   `json:"division,omitempty"`
	Department     string   `json:"department,omitempty"`
	Manager        *Manager `json:"manager,omitempty"`
}

// IsZero reports whether no enterprise attribute is set.
func (e *Enterprise) IsZero() bool {
	if e == nil {
		return true
	}
	noManager := e.Manager == nil || e.Manager.Value == ""
	return noManager && e.EmployeeNumber == "" && e.CostCenter == "" &&
		e.Organization == "" && e.Division == "" && e.Department == ""
}

// User is a SCIM User resource (RFC 7643 §4.1) as AWS IAM Identity Center
// stores it.
type User struct {
	Schemas           []string      `json:"schemas"`
	ID                string        `json:"id,omitempty"`
	ExternalID        string        `json:"externalId,omitempty"`
	Meta              *Meta         `json:"meta,omitempty"`
	UserName          string        `json:"userName"`
	Name              *Name         `json:"name,omitempty"`
	DisplayName       string        `json:"displayName,omitempty"`
	NickName          string        `json:"nickName,omitempty"`
	ProfileURL        string        `json:"profileUrl,omitempty"`
	Title             string        `json:"title,omitempty"`
	UserType          string        `json:"userType,omitempty"`
	PreferredLanguage string        `json:"preferredLanguage,omitempty"`
	Locale            string        `json:"locale,omitempty"`
	Timezone          string        `json:"timezone,omitempty"`
	Active            Bool          `json:"active"`
	Emails            []Email       `json:"emails,omitempty"`
	Addresses         []Address     `json:"addresses,omitempty"`
	PhoneNumbers      []PhoneNumber `json:"phoneNumbers,omitempty"`
	Roles             []Role        `json:"roles,omitempty"`
	Enterprise        *Enterprise   `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
}

// ManagerID returns the enterprise manager reference, or "".
func (u *User) ManagerID() string {
	if u.Enterprise == nil || u.Enterprise.Manager == nil {
		return ""
	}
	return u.Enterprise.Manager.Value
}

// PrimaryEmail returns the user's one email address, or "".
func (u *User) PrimaryEmail() string {
	if len(u.Emails) == 0 {
		return ""
	}
	return u.Emails[0].Value
}

// Normalize sets the schemas list from the attributes present and drops an
// empty enterprise extension, so stored and returned users look alike.
func (u *User) Normalize() {
	u.Schemas = []string{SchemaUser}
	if u.Enterprise.IsZero() {
		u.Enterprise = nil
	} else {
		if u.Enterprise.Manager != nil && u.Enterprise.Manager.Value == "" {
			u.Enterprise.Manager = nil
		}
		u.Schemas = append(u.Schemas, SchemaEnterprise)
	}
	if u.Name != nil && *u.Name == (Name{}) {
		u.Name = nil
	}
}

// Member is one value of a group's "members" (RFC 7643 §4.2).
type Member struct {
	Value   string `json:"value"`
	Ref     string `json:"$ref,omitempty"`
	Type    string `json:"type,omitempty"`
	Display string `json:"display,omitempty"`
}

// Group is a SCIM Group resource (RFC 7643 §4.2). AWS always returns an empty
// members list; membership is read with filters.
type Group struct {
	Schemas     []string `json:"schemas"`
	ID          string   `json:"id,omitempty"`
	ExternalID  string   `json:"externalId,omitempty"`
	Meta        *Meta    `json:"meta,omitempty"`
	DisplayName string   `json:"displayName"`
	Members     []Member `json:"members"`
}

// ListResponse is a query result (RFC 7644 §3.4.2). In AWS's cursor mode
// TotalResults and StartIndex are left out and NextCursor is set until the
// last page.
type ListResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults *int     `json:"totalResults,omitempty"`
	ItemsPerPage int      `json:"itemsPerPage"`
	StartIndex   *int     `json:"startIndex,omitempty"`
	NextCursor   string   `json:"nextCursor,omitempty"`
	Resources    []any    `json:"Resources"`
}

// PatchRequest is a PATCH body (RFC 7644 §3.5.2).
type PatchRequest struct {
	Schemas    []string         `json:"schemas"`
	Operations []PatchOperation `json:"Operations"`
}

// PatchOperation is one operation of a PATCH. Op is compared
// case-insensitively because Entra sends "Replace", "Add" and "Remove".
type PatchOperation struct {
	Op    string          `json:"op"`
	Path  string          `json:"path,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// Error is a SCIM error body (RFC 7644 §3.12) in AWS's variant: it carries
// both "schema" and "schemas", a string status, a request id and a time stamp,
// and no scimType. See shared/reference/aws-identity-center.md §1.7.
type Error struct {
	Schema             []string `json:"schema"`
	Schemas            []string `json:"schemas"`
	Detail             string   `json:"detail"`
	Status             string   `json:"status"`
	ExceptionRequestID string   `json:"exceptionRequestId,omitempty"`
	TimeStamp          string   `json:"timeStamp,omitempty"`
}

// Error makes a received error body usable as a Go error.
func (e *Error) Error() string { return "scim: " + e.Status + " " + e.Detail }
