package directory

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Validation of users and groups as Microsoft Entra ID does it. The Graph
// API and the HR import both run NormalizeUser, then ValidateUser, before
// they store anything, so a user that Entra would refuse is refused here
// with a message naming the attribute.
//
// Sources: the Graph v1.0 user and group resource pages (maximum lengths,
// businessPhones "only one number can be set", usageLocation "a two-letter
// country code (ISO standard 3166)", the mailNickname character set) and
// "Microsoft Entra password policies and account restrictions"
// (userPrincipalName characters and lengths).

// Lengths of userPrincipalName, in characters: at most 64 before the @, 48
// after it and 113 in all.
const (
	MaxUPNLocal  = 64
	MaxUPNDomain = 48
	MaxUPN       = 113
)

// DefaultAccountEnabled is accountEnabled when a create request omits it:
// the Entra admin center creates enabled accounts. Decoders that can tell
// an absent value from false apply it.
const DefaultAccountEnabled = true

// Resource names used in messages, as Graph names them.
const (
	ResourceUser  = "User"
	ResourceGroup = "Group"
)

// AttrError is a validation failure of one attribute. It satisfies
// errors.Is(err, ErrInvalid), so every API maps it as bad input.
type AttrError struct {
	Resource string // ResourceUser or ResourceGroup
	Attr     string // the Graph attribute name, e.g. "userPrincipalName"
	Reason   string // what is wrong, without a final period
}

func (e *AttrError) Error() string {
	return fmt.Sprintf("Invalid value specified for property '%s' of resource '%s': %s.", e.Attr, e.Resource, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *AttrError) Unwrap() error { return ErrInvalid }

// maxLen is the documented maximum length, in characters, of the optional
// single-valued user attributes (Graph v1.0 user resource). employeeId is 16
// in Graph's documentation; officeLocation has no documented bound in Graph
// and 128 in Entra's schema.
var userMaxLen = []struct {
	attr string
	max  int
	get  func(*User) string
}{
	{"displayName", 256, func(u *User) string { return u.DisplayName }},
	{"givenName", 64, func(u *User) string { return u.GivenName }},
	{"surname", 64, func(u *User) string { return u.Surname }},
	{"jobTitle", 128, func(u *User) string { return u.JobTitle }},
	{"department", 64, func(u *User) string { return u.Department }},
	{"companyName", 64, func(u *User) string { return u.CompanyName }},
	{"employeeId", 16, func(u *User) string { return u.EmployeeID }},
	{"mobilePhone", 64, func(u *User) string { return u.MobilePhone }},
	{"officeLocation", 128, func(u *User) string { return u.OfficeLocation }},
	{"streetAddress", 1024, func(u *User) string { return u.StreetAddress }},
	{"city", 128, func(u *User) string { return u.City }},
	{"state", 128, func(u *User) string { return u.State }},
	{"postalCode", 40, func(u *User) string { return u.PostalCode }},
	{"country", 128, func(u *User) string { return u.Country }},
}

// NormalizeUser trims surrounding white space from the single-valued
// attributes, upper-cases usageLocation, drops empty businessPhones entries
// and makes BusinessPhones non-nil. It does not fill defaults: see
// FillUserDefaults, which only a create runs.
func NormalizeUser(u *User) {
	for _, p := range []*string{
		&u.UserPrincipalName, &u.Mail, &u.MailNickname, &u.GivenName, &u.Surname, &u.DisplayName,
		&u.JobTitle, &u.Department, &u.EmployeeID, &u.CompanyName, &u.MobilePhone, &u.OfficeLocation,
		&u.StreetAddress, &u.City, &u.State, &u.PostalCode, &u.Country, &u.PreferredLanguage,
		&u.UsageLocation, &u.ManagerID,
	} {
		*p = strings.TrimSpace(*p)
	}
	u.UsageLocation = strings.ToUpper(u.UsageLocation)
	phones := make([]string, 0, len(u.BusinessPhones))
	for _, p := range u.BusinessPhones {
		if p = strings.TrimSpace(p); p != "" {
			phones = append(phones, p)
		}
	}
	u.BusinessPhones = phones
}

// FillUserDefaults fills what a new user may omit: mailNickname defaults to
// the part of userPrincipalName before the @, with the characters a
// mailNickname cannot hold removed, as the Entra admin center derives it.
// (Graph itself requires mailNickname on create; accepting its absence is
// a relaxation that no Graph script notices.)
func FillUserDefaults(u *User) {
	if strings.TrimSpace(u.MailNickname) == "" {
		local, _, _ := strings.Cut(strings.TrimSpace(u.UserPrincipalName), "@")
		u.MailNickname = sanitizeNickname(local)
	}
	if u.BusinessPhones == nil {
		u.BusinessPhones = []string{}
	}
}

// ValidateUser checks a user as Entra ID does before storing it. It returns
// nil or an error joining one *AttrError per invalid attribute, in a fixed
// order (userPrincipalName first); errors.As finds the first.
func ValidateUser(u *User) error {
	var errs []error
	bad := func(attr, format string, args ...any) {
		errs = append(errs, &AttrError{Resource: ResourceUser, Attr: attr, Reason: fmt.Sprintf(format, args...)})
	}
	if r := checkUPN(u.UserPrincipalName); r != "" {
		bad("userPrincipalName", "%s", r)
	}
	if strings.TrimSpace(u.DisplayName) == "" {
		bad("displayName", "displayName is required and cannot be empty")
	}
	if r := checkNickname(u.MailNickname); r != "" {
		bad("mailNickname", "%s", r)
	}
	for _, l := range userMaxLen {
		if n := utf8.RuneCountInString(l.get(u)); n > l.max {
			bad(l.attr, "it is %d characters long; the maximum is %d", n, l.max)
		}
	}
	if u.Mail != "" {
		if r := checkMail(u.Mail); r != "" {
			bad("mail", "%s", r)
		}
	}
	switch {
	case len(u.BusinessPhones) > 1:
		bad("businessPhones", "only one number can be set, %d were given", len(u.BusinessPhones))
	case len(u.BusinessPhones) == 1:
		if n := utf8.RuneCountInString(u.BusinessPhones[0]); n > 64 {
			bad("businessPhones", "the number is %d characters long; the maximum is 64", n)
		} else if strings.TrimSpace(u.BusinessPhones[0]) == "" {
			bad("businessPhones", "the number is empty")
		}
	}
	if u.UsageLocation != "" && !isCountryCode(u.UsageLocation) {
		bad("usageLocation", "%q is not a two-letter country code (ISO 3166-1 alpha-2, such as US, GB or JP)", u.UsageLocation)
	}
	if u.PreferredLanguage != "" && !isLanguageTag(u.PreferredLanguage) {
		bad("preferredLanguage", "%q is not a language tag such as en-US (ISO 639-1 language, optional region)", u.PreferredLanguage)
	}
	if u.ManagerID != "" && u.ManagerID == u.ID {
		bad("manager", "a user cannot be their own manager")
	}
	for _, p := range []struct{ attr, v string }{
		{"displayName", u.DisplayName}, {"givenName", u.GivenName}, {"surname", u.Surname},
		{"jobTitle", u.JobTitle}, {"department", u.Department}, {"companyName", u.CompanyName},
		{"employeeId", u.EmployeeID}, {"officeLocation", u.OfficeLocation},
	} {
		if !utf8.ValidString(p.v) || strings.ContainsFunc(p.v, isControl) {
			bad(p.attr, "it contains control characters or invalid UTF-8")
		}
	}
	return errors.Join(errs...)
}

// ValidateGroup checks a group as Entra ID does before storing it.
func ValidateGroup(g *Group) error {
	var errs []error
	bad := func(attr, format string, args ...any) {
		errs = append(errs, &AttrError{Resource: ResourceGroup, Attr: attr, Reason: fmt.Sprintf(format, args...)})
	}
	switch n := utf8.RuneCountInString(g.DisplayName); {
	case strings.TrimSpace(g.DisplayName) == "":
		bad("displayName", "displayName is required and cannot be empty")
	case n > 256:
		bad("displayName", "it is %d characters long; the maximum is 256", n)
	case !utf8.ValidString(g.DisplayName) || strings.ContainsFunc(g.DisplayName, isControl):
		bad("displayName", "it contains control characters or invalid UTF-8")
	}
	if r := checkNickname(g.MailNickname); r != "" {
		bad("mailNickname", "%s", r)
	}
	if n := utf8.RuneCountInString(g.Description); n > 1024 {
		bad("description", "it is %d characters long; the maximum is 1024", n)
	}
	return errors.Join(errs...)
}

// NormalizeGroup trims surrounding white space.
func NormalizeGroup(g *Group) {
	g.DisplayName = strings.TrimSpace(g.DisplayName)
	g.Description = strings.TrimSpace(g.Description)
	g.MailNickname = strings.TrimSpace(g.MailNickname)
}

// FillGroupDefaults fills what a new group may omit: mailNickname defaults
// to displayName with the characters a mailNickname cannot hold removed (the
// Entra admin center generates one for security groups too), or to the
// first 10 characters of the id when nothing is left.
func FillGroupDefaults(g *Group) {
	if strings.TrimSpace(g.MailNickname) == "" {
		g.MailNickname = sanitizeNickname(g.DisplayName)
		if g.MailNickname == "" {
			g.MailNickname = g.ID[:min(10, len(g.ID))]
		}
	}
}

// checkUPN returns what is wrong with a userPrincipalName, or "".
//
// Entra's rules: the form alias@domain with exactly one @; the alias may hold
// A-Z a-z 0-9 and ' . - _ ! # ^ ~ (so no spaces and no accents), cannot end
// with a period (none may precede the @) and here also cannot start with one
// or hold two in a row (RFC 5322 dot-atom); at most 64 characters before the
// @, 48 after it and 113 in all; the domain is a DNS name.
func checkUPN(upn string) string {
	if upn == "" {
		return "userPrincipalName is required"
	}
	if n := utf8.RuneCountInString(upn); n > MaxUPN {
		return fmt.Sprintf("it is %d characters long; the maximum is %d", n, MaxUPN)
	}
	local, domain, ok := strings.Cut(upn, "@")
	if !ok || local == "" || domain == "" {
		return fmt.Sprintf("%q is not of the form alias@domain", upn)
	}
	if strings.Contains(domain, "@") {
		return fmt.Sprintf("%q has more than one @", upn)
	}
	for _, c := range local {
		if !isUPNChar(c) {
			if c == ' ' {
				return fmt.Sprintf("%q contains a space", upn)
			}
			return fmt.Sprintf("%q contains %q; the part before the @ may only hold A-Z, a-z, 0-9 and ' . - _ ! # ^ ~", upn, c)
		}
	}
	if len(local) > MaxUPNLocal {
		return fmt.Sprintf("the part before the @ is %d characters long; the maximum is %d", len(local), MaxUPNLocal)
	}
	if strings.HasSuffix(local, ".") {
		return fmt.Sprintf("%q has a period right before the @", upn)
	}
	if strings.HasPrefix(local, ".") || strings.Contains(local, "..") {
		return fmt.Sprintf("%q starts with a period or has two periods in a row", upn)
	}
	if len(domain) > MaxUPNDomain {
		return fmt.Sprintf("the domain is %d characters long; the maximum is %d", len(domain), MaxUPNDomain)
	}
	if r := checkDomain(domain); r != "" {
		return fmt.Sprintf("the domain %q %s", domain, r)
	}
	return ""
}

func isUPNChar(c rune) bool {
	switch {
	case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		return true
	}
	return strings.ContainsRune("'.-_!#^~", c)
}

// checkDomain returns what is wrong with a DNS domain name, or "": labels of
// letters, digits and hyphens, not starting or ending with a hyphen, at
// least two labels (a verified domain such as contoso.com).
func checkDomain(d string) string {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "is not a domain name with a dot, such as contoso.com"
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "has an empty or too long label"
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "has a label that starts or ends with a hyphen"
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Sprintf("contains %q; a domain may only hold letters, digits, hyphens and periods", c)
			}
		}
	}
	return ""
}

// checkMail checks an SMTP address: local@domain, the local part ASCII
// without spaces and the characters RFC 5322 reserves, at most 64 characters.
func checkMail(m string) string {
	local, domain, ok := strings.Cut(m, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return fmt.Sprintf("%q is not an email address of the form name@domain", m)
	}
	if len(local) > 64 {
		return fmt.Sprintf("the part before the @ is %d characters long; the maximum is 64", len(local))
	}
	for _, c := range local {
		if c > 126 || c <= ' ' || strings.ContainsRune(`"(),:;<>@[\]`, c) {
			return fmt.Sprintf("%q contains %q, which an email address cannot hold", m, c)
		}
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return fmt.Sprintf("%q has a misplaced period before the @", m)
	}
	if r := checkDomain(domain); r != "" {
		return fmt.Sprintf("the domain %q %s", domain, r)
	}
	return ""
}

// nicknameForbidden are the ASCII characters a mailNickname cannot hold, as
// Graph documents: @ ( ) \ [ ] " ; : < > , and space.
const nicknameForbidden = `@()\[]";:<>, `

// checkNickname returns what is wrong with a mailNickname, or "": required,
// at most 64 characters, printable ASCII except nicknameForbidden.
func checkNickname(n string) string {
	if n == "" {
		return "mailNickname is required"
	}
	if len(n) > 64 {
		return fmt.Sprintf("it is %d characters long; the maximum is 64", utf8.RuneCountInString(n))
	}
	for _, c := range n {
		if c > 126 || c < ' ' || strings.ContainsRune(nicknameForbidden, c) {
			return fmt.Sprintf("%q contains %q; a mailNickname may only hold ASCII characters other than @ ( ) \\ [ ] \" ; : < > , and space", n, c)
		}
	}
	return ""
}

// sanitizeNickname keeps the characters a mailNickname may hold, up to 64.
func sanitizeNickname(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c > ' ' && c <= 126 && !strings.ContainsRune(nicknameForbidden, c) && b.Len() < 64 {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func isCountryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// isLanguageTag accepts a BCP 47 shape: a 2-3 letter language and optional
// subtags of 2-8 letters or digits ("en", "en-US", "zh-Hant-TW").
func isLanguageTag(s string) bool {
	parts := strings.Split(s, "-")
	if l := len(parts[0]); l < 2 || l > 3 || !isAlnum(parts[0], false) {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) < 2 || len(p) > 8 || !isAlnum(p, true) {
			return false
		}
	}
	return true
}

func isAlnum(s string, digits bool) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || digits && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isControl(c rune) bool { return c < ' ' || c == 0x7f }
