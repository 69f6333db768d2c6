package provisioning

import (
	"maps"
	"slices"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning/expr"
)

// userSource exposes a directory user to expressions with Entra's attribute
// names, plus the computed ones: objectId, IsSoftDeleted (unassigned, out of
// scope, deleted or disabled) and appRoleAssignments.
func userSource(u *directory.User, softDeleted bool, roles []expr.AppRoleAssignment) expr.Attributes {
	s := orNull
	a := expr.Attributes{
		"objectId":                   expr.String(u.ID),
		"userPrincipalName":          s(u.UserPrincipalName),
		"mail":                       s(u.Mail),
		"mailNickname":               s(u.MailNickname),
		"givenName":                  s(u.GivenName),
		"surname":                    s(u.Surname),
		"displayName":                s(u.DisplayName),
		"jobTitle":                   s(u.JobTitle),
		"department":                 s(u.Department),
		"employeeId":                 s(u.EmployeeID),
		"companyName":                s(u.CompanyName),
		"mobile":                     s(u.MobilePhone),
		"mobilePhone":                s(u.MobilePhone),
		"officeLocation":             s(u.OfficeLocation),
		"physicalDeliveryOfficeName": s(u.OfficeLocation),
		"streetAddress":              s(u.StreetAddress),
		"city":                       s(u.City),
		"state":                      s(u.State),
		"postalCode":                 s(u.PostalCode),
		"country":                    s(u.Country),
		"preferredLanguage":          s(u.PreferredLanguage),
		"usageLocation":              s(u.UsageLocation),
		"manager":                    s(u.ManagerID),
		"accountEnabled":             expr.Bool(u.AccountEnabled),
		"IsSoftDeleted":              expr.Bool(softDeleted),
		"appRoleAssignments":         expr.AppRoleAssignments(roles...),
	}
	if len(u.BusinessPhones) > 0 {
		a["businessPhones"] = expr.List(u.BusinessPhones...)
		a["telephoneNumber"] = expr.String(u.BusinessPhones[0])
	} else {
		a["businessPhones"], a["telephoneNumber"] = expr.Null(), expr.Null()
	}
	return a
}

// groupSource exposes a directory group to expressions.
func groupSource(g *directory.Group) expr.Attributes {
	return expr.Attributes{
		"objectId":        expr.String(g.ID),
		"displayName":     expr.String(g.DisplayName),
		"securityEnabled": expr.Bool(g.SecurityEnabled),
		"description":     orNull(g.Description),
		"mailNickname":    orNull(g.MailNickname),
	}
}

// orNull is s as a value, null when empty (Entra does not flow empty
// values, it treats them as absent).
func orNull(s string) expr.Value {
	if s == "" {
		return expr.Null()
	}
	return expr.String(s)
}

// SourceAttributes are the attribute names mappings and scoping filters may
// read from a source object of the kind (directory.KindUser or KindGroup),
// sorted; the console checks what admins type against them.
func SourceAttributes(kind string) []string {
	a := groupSource(&directory.Group{})
	if kind == directory.KindUser {
		a = userSource(&directory.User{}, false, nil)
	}
	names := slices.Collect(maps.Keys(a))
	slices.SortFunc(names, func(x, y string) int { return strings.Compare(strings.ToLower(x), strings.ToLower(y)) })
	return names
}
