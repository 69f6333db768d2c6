package scimserver

import (
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/scim"
)

// serviceProviderConfig advertises what AWS's does (RFC 7643 §5): PATCH and
// filters yes; bulk, sorting, ETags and password change no.
func (h *Handler) serviceProviderConfig(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{scim.SchemaSPConfig},
		"documentationUri": "https://github.com/gatehouse-id/gatehouse/blob/main/docs/scim.md",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": maxCount},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": false},
		"etag":             map[string]any{"supported": false},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token",
			"description": "Authentication with a SCIM access token", "specUri": "https://www.rfc-editor.org/info/rfc6750",
			"primary": true,
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": Prefix + "/ServiceProviderConfig"},
	})
	return nil
}

// attr describes one attribute in a schema definition (RFC 7643 §7).
type attr struct {
	name, typ         string
	multi, required   bool
	caseExact, unique bool
	mutability        string
	subs              []attr
}

func (a attr) json() map[string]any {
	m := map[string]any{
		"name": a.name, "type": a.typ, "multiValued": a.multi, "required": a.required,
		"caseExact": a.caseExact, "mutability": "readWrite", "returned": "default", "uniqueness": "none",
		"description": a.name,
	}
	if a.mutability != "" {
		m["mutability"] = a.mutability
	}
	if a.unique {
		m["uniqueness"] = "server"
	}
	if len(a.subs) > 0 {
		subs := make([]map[string]any, len(a.subs))
		for i, s := range a.subs {
			subs[i] = s.json()
		}
		m["subAttributes"] = subs
	}
	return m
}

func str(name string) attr { return attr{name: name, typ: "string"} }

// typed is the value/type/primary triple of the single-item list attributes.
func typed(name string) attr {
	return attr{name: name, typ: "complex", multi: true, subs: []attr{str("value"), str("type"), {name: "primary", typ: "boolean"}}}
}

// schemas are the definitions of the resources as AWS supports them: no
// password, ims, photos, entitlements, x509Certificates or groups on users.
var schemas = []map[string]any{
	schemaDef(scim.SchemaUser, "User", "User Account", []attr{
		{name: "userName", typ: "string", required: true, unique: true},
		{name: "name", typ: "complex", required: true, subs: []attr{str("formatted"),
			{name: "familyName", typ: "string", required: true}, {name: "givenName", typ: "string", required: true},
			str("middleName"), str("honorificPrefix"), str("honorificSuffix")}},
		{name: "displayName", typ: "string", required: true},
		str("nickName"), {name: "profileUrl", typ: "reference"}, str("title"), str("userType"),
		str("preferredLanguage"), str("locale"), str("timezone"), {name: "active", typ: "boolean"},
		typed("emails"), typed("phoneNumbers"),
		{name: "addresses", typ: "complex", multi: true, subs: []attr{str("formatted"), str("streetAddress"),
			str("locality"), str("region"), str("postalCode"), str("country"), str("type"), {name: "primary", typ: "boolean"}}},
		typed("roles"),
	}),
	schemaDef(scim.SchemaGroup, "Group", "Group", []attr{
		{name: "displayName", typ: "string", required: true, unique: true},
		{name: "members", typ: "complex", multi: true, subs: []attr{
			{name: "value", typ: "string", mutability: "immutable"}, {name: "$ref", typ: "reference", mutability: "immutable"},
			{name: "type", typ: "string", mutability: "immutable"}}},
	}),
	schemaDef(scim.SchemaEnterprise, "EnterpriseUser", "Enterprise User", []attr{
		str("employeeNumber"), str("costCenter"), str("organization"), str("division"), str("department"),
		{name: "manager", typ: "complex", subs: []attr{str("value")}},
	}),
}

func schemaDef(id, name, desc string, attrs []attr) map[string]any {
	as := make([]map[string]any, len(attrs))
	for i, a := range attrs {
		as[i] = a.json()
	}
	return map[string]any{
		"schemas": []string{scim.SchemaSchema}, "id": id, "name": name, "description": desc, "attributes": as,
		"meta": map[string]any{"resourceType": "Schema", "location": Prefix + "/Schemas/" + id},
	}
}

var resourceTypes = []map[string]any{
	{"schemas": []string{scim.SchemaResourceType}, "id": "User", "name": "User", "endpoint": "/Users",
		"description": "User Account", "schema": scim.SchemaUser,
		"schemaExtensions": []map[string]any{{"schema": scim.SchemaEnterprise, "required": false}},
		"meta":             map[string]any{"resourceType": "ResourceType", "location": Prefix + "/ResourceTypes/User"}},
	{"schemas": []string{scim.SchemaResourceType}, "id": "Group", "name": "Group", "endpoint": "/Groups",
		"description": "Group", "schema": scim.SchemaGroup,
		"meta": map[string]any{"resourceType": "ResourceType", "location": Prefix + "/ResourceTypes/Group"}},
}

func listOf(items []map[string]any) scim.ListResponse {
	total, one := len(items), 1
	lr := scim.ListResponse{Schemas: []string{scim.SchemaListResponse}, TotalResults: &total, StartIndex: &one,
		ItemsPerPage: total, Resources: make([]any, total)}
	for i, it := range items {
		lr.Resources[i] = it
	}
	return lr
}

func (h *Handler) listSchemas(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, listOf(schemas))
	return nil
}

func (h *Handler) getSchema(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, schemas, r.PathValue("urn"))
}

func (h *Handler) listResourceTypes(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, listOf(resourceTypes))
	return nil
}

func (h *Handler) getResourceType(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, resourceTypes, r.PathValue("name"))
}

func getByID(w http.ResponseWriter, items []map[string]any, id string) error {
	for _, it := range items {
		if strings.EqualFold(it["id"].(string), id) {
			writeJSON(w, http.StatusOK, it)
			return nil
		}
	}
	return &apiError{http.StatusNotFound, detailNotFound}
}
