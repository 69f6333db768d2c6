package expr

import "testing"

// The default attribute mappings of the AWS IAM Identity Center gallery app
// and of Microsoft's generic SCIM app, as listed in §2.2 of the Entra
// provisioning research notes. Direct mappings are written as [attribute].
// Each must parse and give the expected value for a sample user and group.

var sampleUser = Attributes{
	"userPrincipalName":          String("b.jensen@contoso.com"),
	"IsSoftDeleted":              String("False"),
	"displayName":                String("Barbara Jensen"),
	"jobTitle":                   String("Tour Guide"),
	"mail":                       String("barbara.jensen@contoso.com"),
	"preferredLanguage":          String("en-US"),
	"givenName":                  String("Barbara"),
	"surname":                    String("Jensen"),
	"physicalDeliveryOfficeName": String("Building 4"),
	"streetAddress":              String("100 Universal City Plaza"),
	"city":                       String("Hollywood"),
	"state":                      String("CA"),
	"postalCode":                 String("91608"),
	"country":                    String("US"),
	"telephoneNumber":            String("+1 555 555 0100"),
	"objectId":                   String("48af03ac-28ad-4fb8-8478-9e0d39d6f10c"),
	"mailNickname":               String("bjensen"),
	"employeeId":                 String("701984"),
	"department":                 String("Tour Operations"),
	"manager":                    String("26118915-6090-4610-87e4-49d8ca9f808d"),
	// Microsoft's generic table spells some names in their AD form.
	"Facsimile-TelephoneNumber":    String("+1 555 555 0199"),
	"mobile":                       String("+1 555 555 0142"),
	"proxy-Addresses":              List("SMTP:barbara.jensen@contoso.com", "smtp:bjensen@contoso.com"),
	"physical-Delivery-OfficeName": String("Building 4"),
	"telephone-Number":             String("+1 555 555 0100"),
	"user-PrincipalName":           String("b.jensen@contoso.com"),
}

var sampleGroup = Attributes{
	"displayName": String("Tour Guides"),
	"objectId":    String("a6a0ad5f-1bb8-4c62-9e5c-3a2c0b9e8b51"),
	"members":     List("48af03ac-28ad-4fb8-8478-9e0d39d6f10c", "26118915-6090-4610-87e4-49d8ca9f808d"),
}

type mapping struct {
	target, source string
	want           Value
}

func checkMappings(t *testing.T, obj Attributes, mappings []mapping) {
	t.Helper()
	for _, m := range mappings {
		e, err := Parse(m.source)
		if err != nil {
			t.Errorf("%s: Parse(%q): %v", m.target, m.source, err)
			continue
		}
		got, err := e.EvalWith(obj, testOptions())
		if err != nil || !got.Equal(m.want) {
			t.Errorf("%s: %s = %v, %v; want %v", m.target, m.source, got, err, m.want)
		}
	}
}

func TestAWSIdentityCenterUserMappings(t *testing.T) {
	checkMappings(t, sampleUser, []mapping{
		{"userName", `[userPrincipalName]`, String("b.jensen@contoso.com")},
		{"active", `Switch([IsSoftDeleted], , "False", "True", "True", "False")`, String("True")},
		{"displayName", `[displayName]`, String("Barbara Jensen")},
		{"title", `[jobTitle]`, String("Tour Guide")},
		{`emails[type eq "work"].value`, `[mail]`, String("barbara.jensen@contoso.com")},
		{"preferredLanguage", `[preferredLanguage]`, String("en-US")},
		{"name.givenName", `[givenName]`, String("Barbara")},
		{"name.familyName", `[surname]`, String("Jensen")},
		{"name.formatted", `Join(" ", [givenName], [surname])`, String("Barbara Jensen")},
		{`addresses[type eq "work"].formatted`, `[physicalDeliveryOfficeName]`, String("Building 4")},
		{`addresses[type eq "work"].streetAddress`, `[streetAddress]`, String("100 Universal City Plaza")},
		{`addresses[type eq "work"].locality`, `[city]`, String("Hollywood")},
		{`addresses[type eq "work"].region`, `[state]`, String("CA")},
		{`addresses[type eq "work"].postalCode`, `[postalCode]`, String("91608")},
		{`addresses[type eq "work"].country`, `[country]`, String("US")},
		{`phoneNumbers[type eq "work"].value`, `[telephoneNumber]`, String("+1 555 555 0100")},
		{"externalId", `[objectId]`, String("48af03ac-28ad-4fb8-8478-9e0d39d6f10c")},
		{"externalId", `[mailNickname]`, String("bjensen")},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", `[employeeId]`, String("701984")},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", `[department]`, String("Tour Operations")},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", `[manager]`, String("26118915-6090-4610-87e4-49d8ca9f808d")},
	})

	deleted := Attributes{"IsSoftDeleted": String("True")}
	checkMappings(t, deleted, []mapping{
		{"active", `Switch([IsSoftDeleted], , "False", "True", "True", "False")`, String("False")},
		// A user without names: AWS rejects the user, and the mapping gives "".
		{"name.formatted", `Join(" ", [givenName], [surname])`, String("")},
		{"title", `[jobTitle]`, Null()},
	})
}

func TestGenericSCIMUserMappings(t *testing.T) {
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
	checkMappings(t, sampleUser, []mapping{
		{"active", `[IsSoftDeleted]`, String("False")},
		{"active", `Not([IsSoftDeleted])`, String("True")},
		{ent + "department", `[department]`, String("Tour Operations")},
		{"displayName", `[displayName]`, String("Barbara Jensen")},
		{ent + "employeeNumber", `[employeeId]`, String("701984")},
		{`phoneNumbers[type eq "fax"].value`, `[Facsimile-TelephoneNumber]`, String("+1 555 555 0199")},
		{"name.givenName", `[givenName]`, String("Barbara")},
		{"title", `[jobTitle]`, String("Tour Guide")},
		{`emails[type eq "work"].value`, `[mail]`, String("barbara.jensen@contoso.com")},
		{"externalId", `[mailNickname]`, String("bjensen")},
		{ent + "manager", `[manager]`, String("26118915-6090-4610-87e4-49d8ca9f808d")},
		{`phoneNumbers[type eq "mobile"].value`, `[mobile]`, String("+1 555 555 0142")},
		{`addresses[type eq "work"].postalCode`, `[postalCode]`, String("91608")},
		{`emails[type eq "other"].Value`, `[proxy-Addresses]`, List("SMTP:barbara.jensen@contoso.com", "smtp:bjensen@contoso.com")},
		{`addresses[type eq "other"].Formatted`, `[physical-Delivery-OfficeName]`, String("Building 4")},
		{`addresses[type eq "work"].streetAddress`, `[streetAddress]`, String("100 Universal City Plaza")},
		{"name.familyName", `[surname]`, String("Jensen")},
		{`phoneNumbers[type eq "work"].value`, `[telephone-Number]`, String("+1 555 555 0100")},
		{"userName", `[user-PrincipalName]`, String("b.jensen@contoso.com")},
	})
}

func TestGroupMappings(t *testing.T) {
	checkMappings(t, sampleGroup, []mapping{
		{"displayName", `[displayName]`, String("Tour Guides")},
		{"externalId", `[objectId]`, String("a6a0ad5f-1bb8-4c62-9e5c-3a2c0b9e8b51")},
		{"members", `[members]`, List("48af03ac-28ad-4fb8-8478-9e0d39d6f10c", "26118915-6090-4610-87e4-49d8ca9f808d")},
	})
}
