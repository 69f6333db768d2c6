package provisioning

import "github.com/gatehouse-id/gatehouse/internal/scim"

// TemplateAWS is the template of the "AWS IAM Identity Center" gallery app.
const TemplateAWS = "aws-iam-identity-center"

const ent = scim.SchemaEnterprise + ":"

// AWSUserMappings are the AWS IAM Identity Center app's default user
// mappings (shared/reference/entra-provisioning.md §2.2), with userName,
// from userPrincipalName, as the matching attribute.
func AWSUserMappings() []Mapping {
	d := func(src, target string) Mapping { return Mapping{Type: MapDirect, Source: src, Target: target} }
	return []Mapping{
		{Type: MapDirect, Source: "userPrincipalName", Target: "userName", Match: 1},
		{Type: MapExpression, Source: `Switch([IsSoftDeleted], , "False", "True", "True", "False")`, Target: "active"},
		d("displayName", "displayName"),
		d("jobTitle", "title"),
		d("mail", `emails[type eq "work"].value`),
		d("preferredLanguage", "preferredLanguage"),
		d("givenName", "name.givenName"),
		d("surname", "name.familyName"),
		{Type: MapExpression, Source: `Join(" ", [givenName], [surname])`, Target: "name.formatted"},
		d("officeLocation", `addresses[type eq "work"].formatted`),
		d("streetAddress", `addresses[type eq "work"].streetAddress`),
		d("city", `addresses[type eq "work"].locality`),
		d("state", `addresses[type eq "work"].region`),
		d("postalCode", `addresses[type eq "work"].postalCode`),
		d("country", `addresses[type eq "work"].country`),
		d("businessPhones", `phoneNumbers[type eq "work"].value`),
		d("objectId", "externalId"),
		d("employeeId", ent+"employeeNumber"),
		d("department", ent+"department"),
		d("companyName", ent+"organization"),
		d("manager", ent+"manager"),
	}
}

// AWSGroupMappings are the app's default group mappings; displayName is the
// matching attribute. Members are provisioned by the engine itself.
func AWSGroupMappings() []Mapping {
	return []Mapping{
		{Type: MapDirect, Source: "displayName", Target: "displayName", Match: 1},
		{Type: MapDirect, Source: "objectId", Target: "externalId"},
	}
}

// DefaultSettings are a new job's settings for a target at tenantURL.
func DefaultSettings(tenantURL string) Settings {
	return Settings{
		TenantURL:          tenantURL,
		Scope:              ScopeAssigned,
		Users:              AWSUserMappings(),
		Groups:             AWSGroupMappings(),
		ProvisionGroups:    true,
		FlattenNested:      true,
		DeletionThreshold:  DefaultDeletionThreshold,
		Interval:           Duration(DefaultInterval),
		Dialect:            DialectAWS,
		MaxMembersPerPatch: 100,
		Workers:            16,
	}
}
