package directory

import (
	"errors"
	"strings"
	"testing"
)

func validUser() *User {
	return &User{
		ID:                "u1",
		UserPrincipalName: "alice.smith@contoso.com",
		MailNickname:      "alice.smith",
		DisplayName:       "Alice Smith",
		BusinessPhones:    []string{},
		AccountEnabled:    true,
	}
}

// firstAttr returns the attribute of the first AttrError in err.
func firstAttr(t *testing.T, err error) *AttrError {
	t.Helper()
	var ae *AttrError
	if !errors.As(err, &ae) {
		t.Fatalf("want an *AttrError, got %v", err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("errors.Is(%v, ErrInvalid) = false", err)
	}
	return ae
}

func TestValidateUserAccepts(t *testing.T) {
	for _, upn := range []string{
		"alice@contoso.com",
		"a'b.c-d_e!f#g^h~i@sub.contoso.co.uk",
		"_leading.underscore_@contoso.com",
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 44) + ".com", // 64 + 1 + 48 = 113
	} {
		u := validUser()
		u.UserPrincipalName = upn
		if err := ValidateUser(u); err != nil {
			t.Errorf("%s: %v", upn, err)
		}
	}
	u := validUser()
	u.BusinessPhones = []string{"+1 425 555 0100"}
	u.UsageLocation = "US"
	u.PreferredLanguage = "en-US"
	u.Mail = "alice+tag@contoso.com"
	u.EmployeeID = strings.Repeat("9", 16)
	u.DisplayName = strings.Repeat("é", 256) // characters, not bytes
	if err := ValidateUser(u); err != nil {
		t.Fatal(err)
	}
}

func TestValidateUserUPN(t *testing.T) {
	for _, tc := range []struct{ upn, want string }{
		{"", "userPrincipalName is required"},
		{"alice", "is not of the form alias@domain"},
		{"@contoso.com", "is not of the form alias@domain"},
		{"alice@", "is not of the form alias@domain"},
		{"al ice@contoso.com", "contains a space"},
		{"a@b@contoso.com", "more than one @"},
		{"alice.@contoso.com", "period right before the @"},
		{".alice@contoso.com", "starts with a period or has two periods in a row"},
		{"al..ice@contoso.com", "two periods in a row"},
		{"al&ice@contoso.com", `contains '&'`},
		{"josé@contoso.com", `contains 'é'`},
		{"alice@localhost", "is not a domain name with a dot"},
		{"alice@-contoso.com", "starts or ends with a hyphen"},
		{"alice@con_toso.com", `contains '_'`},
		{strings.Repeat("a", 65) + "@contoso.com", "the part before the @ is 65 characters long; the maximum is 64"},
		{"a@" + strings.Repeat("b", 45) + ".com", "the domain is 49 characters long; the maximum is 48"},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 45) + ".com", "it is 114 characters long; the maximum is 113"},
	} {
		u := validUser()
		u.UserPrincipalName = tc.upn
		ae := firstAttr(t, ValidateUser(u))
		if ae.Attr != "userPrincipalName" || ae.Resource != "User" || !strings.Contains(ae.Error(), tc.want) {
			t.Errorf("%q: got %q, want attribute userPrincipalName and %q", tc.upn, ae.Error(), tc.want)
		}
		if !strings.HasPrefix(ae.Error(), "Invalid value specified for property 'userPrincipalName' of resource 'User': ") {
			t.Errorf("message shape: %q", ae.Error())
		}
	}
}

func TestValidateUserAttributes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*User)
		attr   string
		want   string
	}{
		{"no displayName", func(u *User) { u.DisplayName = " " }, "displayName", "required"},
		{"long displayName", func(u *User) { u.DisplayName = strings.Repeat("x", 257) }, "displayName", "257 characters long; the maximum is 256"},
		{"no mailNickname", func(u *User) { u.MailNickname = "" }, "mailNickname", "required"},
		{"mailNickname space", func(u *User) { u.MailNickname = "alice smith" }, "mailNickname", `contains ' '`},
		{"mailNickname @", func(u *User) { u.MailNickname = "alice@x" }, "mailNickname", `contains '@'`},
		{"mailNickname accent", func(u *User) { u.MailNickname = "josé" }, "mailNickname", `contains 'é'`},
		{"mailNickname long", func(u *User) { u.MailNickname = strings.Repeat("n", 65) }, "mailNickname", "maximum is 64"},
		{"two phones", func(u *User) { u.BusinessPhones = []string{"1", "2"} }, "businessPhones", "only one number can be set, 2 were given"},
		{"usageLocation 3 letters", func(u *User) { u.UsageLocation = "USA" }, "usageLocation", "two-letter country code"},
		{"usageLocation digits", func(u *User) { u.UsageLocation = "U1" }, "usageLocation", "two-letter country code"},
		{"preferredLanguage", func(u *User) { u.PreferredLanguage = "english" }, "preferredLanguage", "language tag"},
		{"givenName long", func(u *User) { u.GivenName = strings.Repeat("g", 65) }, "givenName", "maximum is 64"},
		{"employeeId long", func(u *User) { u.EmployeeID = strings.Repeat("1", 17) }, "employeeId", "maximum is 16"},
		{"jobTitle long", func(u *User) { u.JobTitle = strings.Repeat("j", 129) }, "jobTitle", "maximum is 128"},
		{"postalCode long", func(u *User) { u.PostalCode = strings.Repeat("1", 41) }, "postalCode", "maximum is 40"},
		{"mail", func(u *User) { u.Mail = "not an address" }, "mail", "not an email address"},
		{"own manager", func(u *User) { u.ManagerID = u.ID }, "manager", "own manager"},
		{"control char", func(u *User) { u.Department = "a\x00b" }, "department", "control characters"},
	} {
		u := validUser()
		tc.change(u)
		ae := firstAttr(t, ValidateUser(u))
		if ae.Attr != tc.attr || !strings.Contains(ae.Error(), tc.want) {
			t.Errorf("%s: got %q (attribute %s), want attribute %s and %q", tc.name, ae.Error(), ae.Attr, tc.attr, tc.want)
		}
	}
}

func TestValidateUserReportsEveryAttribute(t *testing.T) {
	u := validUser()
	u.UserPrincipalName, u.DisplayName, u.UsageLocation = "bad", "", "x"
	err := ValidateUser(u)
	var attrs []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		attrs = append(attrs, e.(*AttrError).Attr)
	}
	if got := strings.Join(attrs, ","); got != "userPrincipalName,displayName,usageLocation" {
		t.Fatalf("attributes %s", got)
	}
}

func TestNormalizeAndDefaults(t *testing.T) {
	u := &User{
		UserPrincipalName: "  Bob.Jones@Contoso.com ",
		DisplayName:       " Bob ",
		UsageLocation:     "gb",
		BusinessPhones:    []string{" ", " 123 "},
	}
	FillUserDefaults(u)
	NormalizeUser(u)
	if u.UserPrincipalName != "Bob.Jones@Contoso.com" || u.DisplayName != "Bob" || u.UsageLocation != "GB" {
		t.Fatalf("normalized %+v", u)
	}
	if u.MailNickname != "Bob.Jones" {
		t.Fatalf("mailNickname default %q", u.MailNickname)
	}
	if len(u.BusinessPhones) != 1 || u.BusinessPhones[0] != "123" {
		t.Fatalf("businessPhones %q", u.BusinessPhones)
	}
	if err := ValidateUser(u); err != nil {
		t.Fatal(err)
	}
	// A nickname is derived without the characters it cannot hold.
	v := &User{UserPrincipalName: "o'neil#1@contoso.com"}
	FillUserDefaults(v)
	if v.MailNickname != "o'neil#1" || v.BusinessPhones == nil {
		t.Fatalf("%+v", v)
	}
	// An explicit nickname is kept.
	w := &User{UserPrincipalName: "x@contoso.com", MailNickname: "keep"}
	FillUserDefaults(w)
	if w.MailNickname != "keep" {
		t.Fatal(w.MailNickname)
	}
}

func TestValidateGroup(t *testing.T) {
	g := &Group{ID: "0123456789abcdef", DisplayName: "Engineers (all)", SecurityEnabled: true}
	FillGroupDefaults(g)
	if g.MailNickname != "Engineersall" {
		t.Fatalf("mailNickname default %q", g.MailNickname)
	}
	if err := ValidateGroup(g); err != nil {
		t.Fatal(err)
	}
	h := &Group{ID: "0123456789abcdef", DisplayName: "()"}
	FillGroupDefaults(h)
	if h.MailNickname != "0123456789" {
		t.Fatalf("fallback mailNickname %q", h.MailNickname)
	}
	for _, tc := range []struct {
		change func(*Group)
		attr   string
		want   string
	}{
		{func(g *Group) { g.DisplayName = "" }, "displayName", "required"},
		{func(g *Group) { g.DisplayName = strings.Repeat("d", 257) }, "displayName", "maximum is 256"},
		{func(g *Group) { g.MailNickname = "a b" }, "mailNickname", `contains ' '`},
		{func(g *Group) { g.MailNickname = "" }, "mailNickname", "required"},
		{func(g *Group) { g.Description = strings.Repeat("d", 1025) }, "description", "maximum is 1024"},
	} {
		g := &Group{DisplayName: "G", MailNickname: "g"}
		tc.change(g)
		ae := firstAttr(t, ValidateGroup(g))
		if ae.Attr != tc.attr || ae.Resource != "Group" || !strings.Contains(ae.Error(), tc.want) {
			t.Errorf("got %q, want attribute %s and %q", ae.Error(), tc.attr, tc.want)
		}
	}
}
