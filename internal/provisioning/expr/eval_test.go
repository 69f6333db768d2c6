package expr

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
)

// testNow is the instant of Microsoft's Now() example, "7/2/2021 3:33:38 PM".
var testNow = time.Date(2021, 7, 2, 15, 33, 38, 0, time.UTC)

func testOptions() Options {
	return Options{
		Now:  func() time.Time { return testNow },
		Rand: rand.NewChaCha8([32]byte{1}),
	}
}

type evalCase struct {
	name  string
	src   string
	attrs Attributes
	want  Value
	err   string // when set, a substring of the expected error
}

func runEvalCases(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.src)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.src, err)
			}
			got, err := e.EvalWith(tc.attrs, testOptions())
			switch {
			case tc.err != "" && err == nil:
				t.Fatalf("Eval(%q) = %v, want error containing %q", tc.src, got, tc.err)
			case tc.err != "" && !strings.Contains(err.Error(), tc.err):
				t.Fatalf("Eval(%q) error = %q, want it to contain %q", tc.src, err, tc.err)
			case tc.err == "" && err != nil:
				t.Fatalf("Eval(%q): %v", tc.src, err)
			case tc.err == "" && !got.Equal(tc.want):
				t.Fatalf("Eval(%q) = %v, want %v", tc.src, got, tc.want)
			}
		})
	}
}

var (
	s = String
	l = List
)

var johnDoe = Attributes{
	"givenName":         s("John"),
	"surname":           s("Doe"),
	"userPrincipalName": s("John.Doe@contoso.com"),
}

func TestAppend(t *testing.T) {
	runEvalCases(t, []evalCase{
		{name: "Microsoft example", src: `Append([userPrincipalName], ".test")`, attrs: johnDoe, want: s("John.Doe@contoso.com.test")},
		{name: "domain suffix", src: `Append([userPrincipalName], "@contoso.com")`, attrs: Attributes{"userPrincipalName": s("jdoe")}, want: s("jdoe@contoso.com")},
		{name: "alias from name parts", src: `Append(Mid([givenName], 1, 3), Mid([surname], 1, 5))`, attrs: johnDoe, want: s("JohDoe")},
		{name: "null source stays null", src: `Append([mail], "x")`, attrs: johnDoe, want: Null()},
		{name: "null suffix appends nothing", src: `Append([givenName], [mail])`, attrs: johnDoe, want: s("John")},
		{name: "multi-valued source", src: `Append([proxyAddresses], "x")`, attrs: Attributes{"proxyAddresses": l("a", "b")}, err: "Append: argument 1 (source) is multi-valued"},
	})
}

var roles = Attributes{"appRoleAssignments": AppRoleAssignments(
	AppRoleAssignment{ID: "06b07648-ecfe-589f-9d2f-6325724a46ee", Value: "Admin", DisplayName: "Administrator"},
	AppRoleAssignment{ID: "06b07648-ecfe-599f-9d2f-6325724a46ee", Value: "User", DisplayName: "User"},
)}

func TestAppRoleFunctions(t *testing.T) {
	runEvalCases(t, []evalCase{
		{name: "single: first role's value", src: `SingleAppRoleAssignment([appRoleAssignments])`, attrs: roles, want: s("Admin")},
		{name: "single: display name when the role has no value", src: `SingleAppRoleAssignment([appRoleAssignments])`,
			attrs: Attributes{"appRoleAssignments": AppRoleAssignments(AppRoleAssignment{ID: "x", DisplayName: "Reader"})}, want: s("Reader")},
		{name: "single: bare role names", src: `SingleAppRoleAssignment([appRoleAssignments])`, attrs: Attributes{"appRoleAssignments": l("owner")}, want: s("owner")},
		{name: "single: no assignment", src: `SingleAppRoleAssignment([appRoleAssignments])`, attrs: johnDoe, want: Null()},
		{name: "single inside Switch", src: `Switch(SingleAppRoleAssignment([appRoleAssignments]), "member", "Admin", "owner")`, attrs: roles, want: s("owner")},
		{name: "single: malformed element", src: `SingleAppRoleAssignment([appRoleAssignments])`, attrs: Attributes{"appRoleAssignments": l(`{"id":`)}, err: "element 1 is not an app role assignment"},
		{name: "complex: every role in Entra's encoding", src: `AppRoleAssignmentsComplex([appRoleAssignments])`, attrs: roles, want: l(
			`{"id":"06b07648-ecfe-589f-9d2f-6325724a46ee","value":"Admin","displayName":"Administrator"}`,
			`{"id":"06b07648-ecfe-599f-9d2f-6325724a46ee","value":"User","displayName":"User"}`)},
		{name: "complex: bare names are encoded", src: `AppRoleAssignmentsComplex([appRoleAssignments])`, attrs: Attributes{"appRoleAssignments": l("Admin")}, want: l(`{"id":"","value":"Admin","displayName":""}`)},
		{name: "complex: no assignment", src: `AppRoleAssignmentsComplex([appRoleAssignments])`, attrs: johnDoe, want: Null()},
	})
}

func TestParseAppRoleAssignment(t *testing.T) {
	want := AppRoleAssignment{ID: "06b07648-ecfe-589f-9d2f-6325724a46ee", Value: "25", DisplayName: "Role1234"}
	got, err := ParseAppRoleAssignment(`{"id":"06b07648-ecfe-589f-9d2f-6325724a46ee","value":"25","displayName":"Role1234"}`)
	if err != nil || got != want {
		t.Fatalf("ParseAppRoleAssignment = %+v, %v; want %+v", got, err, want)
	}
	if got, err := ParseAppRoleAssignment("Admin"); err != nil || got != (AppRoleAssignment{Value: "Admin"}) {
		t.Fatalf("ParseAppRoleAssignment(bare) = %+v, %v", got, err)
	}
}

func TestBitAndAndConversions(t *testing.T) {
	runEvalCases(t, []evalCase{
		{name: "BitAnd Microsoft example", src: `BitAnd(&HF, &HF7)`, want: s("7")},
		{name: "BitAnd userAccountControl disabled bit", src: `BitAnd([userAccountControl], 2)`, attrs: Attributes{"userAccountControl": s("514")}, want: s("2")},
		{name: "BitAnd hex string", src: `BitAnd("&H10", 48)`, want: s("16")},
		{name: "BitAnd null", src: `BitAnd([userAccountControl], 2)`, want: Null()},
		{name: "BitAnd not a number", src: `BitAnd([x], 2)`, attrs: Attributes{"x": s("abc")}, err: `BitAnd: argument 1 (value1) "abc" is not a whole number`},
		{name: "CBool of equal attributes", src: `CBool([attribute1] = [attribute2])`, attrs: Attributes{"attribute1": s("a"), "attribute2": s("a")}, want: s("True")},
		{name: "CBool of different attributes", src: `CBool([attribute1] = [attribute2])`, attrs: Attributes{"attribute1": s("a"), "attribute2": s("A")}, want: s("False")},
		{name: "CBool non-zero", src: `CBool("5")`, want: s("True")},
		{name: "CBool zero", src: `CBool(0)`, want: s("False")},
		{name: "CBool boolean string", src: `CBool("false")`, want: s("False")},
		{name: "CBool null", src: `CBool([x])`, want: Null()},
		{name: "CBool garbage", src: `CBool("maybe")`, err: `"maybe" is not a boolean`},
		{name: "CStr Microsoft example", src: `CStr([dn])`, attrs: Attributes{"dn": s("cn=Joe,dc=contoso,dc=com")}, want: s("cn=Joe,dc=contoso,dc=com")},
		{name: "CStr number", src: `CStr(42)`, want: s("42")},
		{name: "CStr null", src: `CStr([dn])`, want: Null()},
		{name: "ConvertToBase64 Microsoft example", src: `ConvertToBase64("Hello world!")`, want: s("SABlAGwAbABvACAAdwBvAHIAbABkACEA")},
		{name: "ConvertToBase64 outside the BMP", src: `ConvertToBase64("😀")`, want: s("PdgA3g==")},
		{name: "ConvertToUTF8Hex Microsoft example", src: `ConvertToUTF8Hex("Hello world!")`, want: s("48656C6C6F20776F726C6421")},
		{name: "ConvertToUTF8Hex non-ASCII", src: `ConvertToUTF8Hex("é")`, want: s("C3A9")},
		{name: "ConvertToUTF8Hex null", src: `ConvertToUTF8Hex([x])`, want: Null()},
	})
}

func TestCoalesce(t *testing.T) {
	runEvalCases(t, []evalCase{
		{name: "Microsoft example", src: `Coalesce([mail],[userPrincipalName])`, attrs: johnDoe, want: s("John.Doe@contoso.com")},
		{name: "first present wins", src: `Coalesce([mail],[userPrincipalName])`, attrs: Attributes{"mail": s("jd@contoso.com"), "userPrincipalName": s("u")}, want: s("jd@contoso.com")},
		{name: "empty is skipped", src: `Coalesce([mail],[userPrincipalName])`, attrs: Attributes{"mail": s(""), "userPrincipalName": s("u")}, want: s("u")},
		{name: "empty default", src: `Coalesce([mail],[otherMail],"")`, want: s("")},
		{name: "all null, no default", src: `Coalesce([mail],[otherMail])`, want: Null()},
		{name: "a list counts as a value", src: `Coalesce([proxyAddresses],"none")`, attrs: Attributes{"proxyAddresses": l("a")}, want: l("a")},
		{name: "single argument", src: `Coalesce([mail])`, want: Null()},
	})
}

func TestCountItemRemoveDuplicates(t *testing.T) {
	proxies := Attributes{"proxyAddresses": l("SMTP:jd@contoso.com", "smtp:john@contoso.com", "SMTP:jd@contoso.com", "smtp:jd@contoso.com")}
	runEvalCases(t, []evalCase{
		{name: "Count list", src: `Count([proxyAddresses])`, attrs: proxies, want: s("4")},
		{name: "Count single", src: `Count([givenName])`, attrs: johnDoe, want: s("1")},
		{name: "Count null", src: `Count([proxyAddresses])`, want: s("0")},
		{name: "Item Microsoft example", src: `Item([proxyAddresses], 1)`, attrs: proxies, want: s("SMTP:jd@contoso.com")},
		{name: "Item second", src: `Item([proxyAddresses], 2)`, attrs: proxies, want: s("smtp:john@contoso.com")},
		{name: "Item past the end", src: `Item([proxyAddresses], 5)`, attrs: proxies, want: Null()},
		{name: "Item of a single value", src: `Item([givenName], 1)`, attrs: johnDoe, want: s("John")},
		{name: "Item of null", src: `Item([proxyAddresses], 1)`, want: Null()},
		{name: "Item computed zero index", src: `Item([proxyAddresses], Count([x]))`, attrs: proxies, err: "Item: argument 2 (index) is 0; items are numbered from 1"},
		{name: "Item of Split", src: `Item(Split("a,b,c", ","), 3)`, want: s("c")},
		{name: "RemoveDuplicates Microsoft example", src: `RemoveDuplicates([proxyAddresses])`, attrs: proxies, want: l("SMTP:jd@contoso.com", "smtp:john@contoso.com", "smtp:jd@contoso.com")},
		{name: "RemoveDuplicates single", src: `RemoveDuplicates([givenName])`, attrs: johnDoe, want: s("John")},
		{name: "RemoveDuplicates null", src: `RemoveDuplicates([proxyAddresses])`, want: Null()},
	})
}

func TestDates(t *testing.T) {
	hire := Attributes{"StatusHireDate": s("2012-03-16-07:00")}
	runEvalCases(t, []evalCase{
		{name: "CDate example 1", src: `CDate([StatusHireDate])`, attrs: Attributes{"StatusHireDate": s("2020-03-16-07:00")}, want: s("3/16/2020 7:00:00 AM")},
		{name: "CDate example 2", src: `CDate("2021-06-30+08:00")`, want: s("6/29/2021 4:00:00 PM")},
		{name: "CDate example 3", src: `CDate("2009-06-15T01:45:30-07:00")`, want: s("6/15/2009 8:45:30 AM")},
		{name: "CDate of its own output", src: `CDate(CDate("2009-06-15T01:45:30-07:00"))`, want: s("6/15/2009 8:45:30 AM")},
		{name: "CDate fractional seconds and Z", src: `CDate("2024-02-29T23:59:59.9999999Z")`, want: s("2/29/2024 11:59:59 PM")},
		{name: "CDate generalized time", src: `CDate("20150123105347.0Z")`, want: s("1/23/2015 10:53:47 AM")},
		{name: "CDate null", src: `CDate([StatusHireDate])`, want: Null()},
		{name: "CDate garbage", src: `CDate("next Tuesday")`, err: `CDate: argument 1 (expression) "next Tuesday" is not a recognised date`},
		{name: "Now", src: `Now()`, want: s("7/2/2021 3:33:38 PM")},

		{name: "DateAdd 7 days", src: `DateAdd("d", 7, CDate([StatusHireDate]))`, attrs: hire, want: s("3/23/2012 7:00:00 AM")},
		{name: "DateAdd -10 days", src: `DateAdd("d", -10, CDate([StatusHireDate]))`, attrs: hire, want: s("3/6/2012 7:00:00 AM")},
		{name: "DateAdd 2 weeks", src: `DateAdd("ww", 2, CDate([StatusHireDate]))`, attrs: hire, want: s("3/30/2012 7:00:00 AM")},
		{name: "DateAdd 10 months", src: `DateAdd("m", 10, CDate([StatusHireDate]))`, attrs: hire, want: s("1/16/2013 7:00:00 AM")},
		{name: "DateAdd 2 years", src: `DateAdd("yyyy", 2, CDate([StatusHireDate]))`, attrs: hire, want: s("3/16/2014 7:00:00 AM")},
		{name: "DateAdd month clamps", src: `DateAdd("m", 1, "2021-01-31")`, want: s("2/28/2021 12:00:00 AM")},
		{name: "DateAdd year from leap day", src: `DateAdd("yyyy", 1, "2020-02-29")`, want: s("2/28/2021 12:00:00 AM")},
		{name: "DateAdd hours minutes seconds", src: `DateAdd("s", 30, DateAdd("n", 15, DateAdd("h", -1, Now())))`, want: s("7/2/2021 2:49:08 PM")},
		{name: "DateAdd past year 9999", src: `DateAdd("yyyy", 8000, Now())`, err: "outside years 1 to 9999"},
		{name: "DateAdd huge count", src: `DateAdd("yyyy", 4611686018427387904, Now())`, err: "argument 2 (value) is out of range"},
		{name: "DateAdd huge seconds", src: `DateAdd("s", -9223372036854775808, Now())`, err: "argument 2 (value) is out of range"},
		{name: "DateAdd null date", src: `DateAdd("d", 1, [StatusHireDate])`, want: Null()},
		{name: "DateAdd computed bad interval", src: `DateAdd([i], 1, Now())`, attrs: Attributes{"i": s("q")}, err: `"q" is not one of the intervals`},

		{name: "DateDiff days positive", src: `DateDiff("d", "2021-08-18+08:00", "2021-08-31+08:00")`, want: s("13")},
		{name: "DateDiff days negative", src: `DateDiff("d", "8/25/2021 5:41:18 PM", CDate("2012-03-16-07:00"))`, want: s("-3449")},
		{name: "DateDiff weeks", src: `DateDiff("ww", "8/25/2021 5:41:18 PM", "2012-03-16-07:00")`, want: s("-493")},
		{name: "DateDiff months", src: `DateDiff("m", "8/25/2021 5:41:18 PM", "2012-03-16-07:00")`, want: s("-113")},
		{name: "DateDiff years", src: `DateDiff("yyyy", "8/25/2021 5:41:18 PM", "2012-03-16-07:00")`, want: s("-9")},
		{name: "DateDiff same", src: `DateDiff("d", "2021-08-31+08:00", "2021-08-31+08:00")`, want: s("0")},
		{name: "DateDiff hours", src: `DateDiff("h", "2021-08-24", "2021-08-25")`, want: s("24")},
		{name: "DateDiff minutes", src: `DateDiff("n", "2021-08-24", "2021-08-25")`, want: s("1440")},
		{name: "DateDiff seconds", src: `DateDiff("s", "2021-08-24", "2021-08-25")`, want: s("86400")},
		{name: "DateDiff truncates toward zero", src: `DateDiff("d", "2021-08-25T12:00:00Z", "2021-08-24T00:00:01Z")`, want: s("-1")},
		{name: "DateDiff from Now", src: `DateDiff("d", Now(), CDate([StatusHireDate]))`, attrs: Attributes{"StatusHireDate": s("2021-07-09-07:00")}, want: s("6")},
		{name: "DateDiff null", src: `DateDiff("d", Now(), [StatusHireDate])`, want: Null()},
		{name: "DateDiff with IIF and Switch", src: `Switch([Active], , "1", IIF(DateDiff("d", Now(), CDate([StatusHireDate])) > 5, "False", "True"), "0", "False")`,
			attrs: Attributes{"Active": s("1"), "StatusHireDate": s("2021-07-05-07:00")}, want: s("True")},
		{name: "DateDiff with IIF, far hire date", src: `Switch([Active], , "1", IIF(DateDiff("d", Now(), CDate([StatusHireDate])) > 5, "False", "True"), "0", "False")`,
			attrs: Attributes{"Active": s("1"), "StatusHireDate": s("2021-09-05-07:00")}, want: s("False")},

		{name: "DateFromNum Microsoft example", src: `DateFromNum(129699324000000000)`, want: s("1/1/2012 11:00:00 PM")},
		{name: "DateFromNum attribute", src: `DateFromNum([lastLogonTimestamp])`, attrs: Attributes{"lastLogonTimestamp": s("129699324000000000")}, want: s("1/1/2012 11:00:00 PM")},
		{name: "DateFromNum never expires", src: `DateFromNum(9223372036854775807)`, err: "outside the dates .NET can represent"},
		{name: "NumFromDate Workday example", src: `NumFromDate(Join("", FormatDateTime([ContractEndDate], ,"yyyy-MM-ddzzz", "yyyy-MM-dd"), " 23:59:59-08:00"))`,
			attrs: Attributes{"ContractEndDate": s("2020-12-31-08:00")}, want: s("132539615990000000")},
		{name: "NumFromDate SuccessFactors example", src: `NumFromDate(Join("",FormatDateTime([endDate], ,"M/d/yyyy hh:mm:ss tt","yyyy-MM-dd")," 23:59:59-08:00"))`,
			attrs: Attributes{"endDate": s("12/31/2020 09:30:00 AM")}, want: s("132539615990000000")},
		{name: "NumFromDate round trip", src: `DateFromNum(NumFromDate("2012-01-01T23:00:00Z"))`, want: s("1/1/2012 11:00:00 PM")},
		{name: "NumFromDate null", src: `NumFromDate([x])`, want: Null()},
	})
}

func TestFormatDateTime(t *testing.T) {
	runEvalCases(t, []evalCase{
		{name: "Microsoft example", src: `FormatDateTime([extensionAttribute1], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")`,
			attrs: Attributes{"extensionAttribute1": s("20150123105347.1Z")}, want: s("2015-01-23")},
		{name: "offset converted to UTC", src: `FormatDateTime("2020-12-31+08:00", , "yyyy-MM-ddzzz", "yyyy-MM-dd HH:mm zzz")`, want: s("2020-12-30 16:00 +00:00")},
		{name: "K after a Z input keeps UTC", src: `FormatDateTime("2015-01-23T10:53:47Z", , "yyyy-MM-ddTHH:mm:ssK", "o")`, want: s("2015-01-23T10:53:47.0000000Z")},
		{name: "K after no zone writes nothing", src: `FormatDateTime("2015-01-23 10:53", , "yyyy-MM-dd HH:mm", "yyyy-MM-ddTHH:mm:ssK")`, want: s("2015-01-23T10:53:00")},
		{name: "names and 12-hour clock", src: `FormatDateTime("Friday, January 23, 2015 10:53 PM", , "dddd, MMMM d, yyyy h:mm tt", "ddd dd MMM yy HH'h'mm")`, want: s("Fri 23 Jan 15 22h53")},
		{name: "wrong day name", src: `FormatDateTime("Monday, January 23, 2015", , "dddd, MMMM d, yyyy", "d")`, err: "2015-01-23 is not a Monday"},
		{name: "optional fraction", src: `FormatDateTime("10:53:47", , "HH:mm:ss.FFF", "HH:mm:ss.FFF")`, want: s("10:53:47")},
		{name: "fraction digits", src: `FormatDateTime("10:53:47.120", "NoCurrentDateDefault", "HH:mm:ss.fff", "yyyy-MM-dd HH:mm:ss.FF f")`, want: s("0001-01-01 10:53:47.12 1")},
		{name: "time only takes today's date", src: `FormatDateTime("10:53", , "HH:mm", "d")`, want: s("7/2/2021")},
		{name: "standard formats", src: `FormatDateTime("2015-01-23", , "yyyy-MM-dd", "D")`, want: s("Friday, January 23, 2015")},
		{name: "escapes and quotes", src: `FormatDateTime("2015-01-23", , "yyyy-MM-dd", "\\d\\a\\y d 'of' MMMM")`, want: s("day 23 of January")},
		{name: "white space allowed by default", src: `FormatDateTime("  2015-01-23 ", , "yyyy-MM-dd", "yyyyMMdd")`, want: s("20150123")},
		{name: "white space refused by None", src: `FormatDateTime(" 2015-01-23", "None", "yyyy-MM-dd", "yyyyMMdd")`, err: "does not match inputFormat"},
		{name: "AllowWhiteSpaces", src: `FormatDateTime(" 2015 - 01 - 23 ", "AllowWhiteSpaces", "yyyy-MM-dd", "yyyyMMdd")`, want: s("20150123")},
		{name: "AdjustToUniversal", src: `FormatDateTime("2015-01-23T10:00+02:00", "AdjustToUniversal", "yyyy-MM-ddTHH:mmzzz", "HH:mmK")`, want: s("08:00Z")},
		{name: "two-digit year window", src: `Join(",", FormatDateTime("49", , "yy", "yyyy"), FormatDateTime("50", , "yy", "yyyy"))`, want: s("2049,1950")},
		{name: "input does not match", src: `FormatDateTime("2015/01/23", , "yyyy-MM-dd", "yyyyMMdd")`, err: `FormatDateTime: "2015/01/23" does not match inputFormat`},
		{name: "impossible date", src: `FormatDateTime("2015-02-29", , "yyyy-MM-dd", "yyyyMMdd")`, err: "February 2015 has no day 29"},
		{name: "null source", src: `FormatDateTime([x], , "yyyy", "yyyy")`, want: Null()},
		{name: "computed bad format", src: `FormatDateTime("2015", , [f], "yyyy")`, attrs: Attributes{"f": s("q")}, err: `"q" is not a standard format`},
	})
}

func TestGuidAndRandomString(t *testing.T) {
	guid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	e, err := Parse(`Join(" ", Guid(), Guid())`)
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.EvalWith(nil, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(v.Text())
	if len(ids) != 2 || !guid.MatchString(ids[0]) || !guid.MatchString(ids[1]) || ids[0] == ids[1] {
		t.Fatalf("Guid() twice = %q", v.Text())
	}
	again, _ := e.EvalWith(nil, testOptions())
	if !again.Equal(v) {
		t.Fatalf("Guid() with the same randomness gave %v then %v", v, again)
	}

	classes := func(s string) (digits, special, upper, lower int) {
		for _, r := range s {
			switch {
			case strings.ContainsRune(randomClasses[0], r):
				digits++
			case strings.ContainsRune(randomClasses[1], r):
				special++
			case strings.ContainsRune(randomClasses[2], r):
				upper++
			case strings.ContainsRune(randomClasses[3], r):
				lower++
			}
		}
		return
	}
	for i := range 50 {
		opts := testOptions()
		opts.Rand = rand.NewChaCha8([32]byte{byte(i)})
		e1, _ := Parse(`RandomString(6,3,0,0,3)`)
		v1, err := e1.EvalWith(nil, opts)
		if err != nil {
			t.Fatal(err)
		}
		if d, sp, u, lo := classes(v1.Text()); len(v1.Text()) != 6 || d != 3 || sp != 0 || u != 0 || lo != 3 {
			t.Fatalf("RandomString(6,3,0,0,3) = %q", v1.Text())
		}
		e2, _ := Parse(`RandomString(10,2,2,2,1,"?,")`)
		v2, err := e2.EvalWith(nil, opts)
		if err != nil {
			t.Fatal(err)
		}
		if d, sp, u, lo := classes(v2.Text()); len(v2.Text()) != 10 || d < 2 || sp < 2 || u < 2 || lo < 1 || strings.ContainsAny(v2.Text(), "?,") {
			t.Fatalf(`RandomString(10,2,2,2,1,"?,") = %q`, v2.Text())
		}
	}
	runEvalCases(t, []evalCase{
		{name: "RandomString too long", src: `RandomString(Count([x]),0,0,0,0)`, err: "argument 1 (Length) is 0; it must be from 1 to 256"},
		{name: "RandomString over 256", src: `RandomString(300,0,0,0,0)`, err: "argument 1 (Length) is 300; it must be from 1 to 256"},
		{name: "RandomString negative minimum", src: `RandomString(4,-1,0,0,0)`, err: "argument 2 (MinimumNumbers) is -1; it cannot be negative"},
		{name: "RandomString with no minimums", src: `Count(Split(RandomString(256,0,0,0,0), "é"))`, want: s("1")},
		{name: "RandomString minimums exceed length", src: `RandomString([n],3,3,0,0)`, attrs: Attributes{"n": s("5")}, err: "the minimums add up to 6, more than Length 5"},
		{name: "RandomString avoids a whole class", src: `RandomString(4,1,0,0,0,"0123456789")`, err: "excludes every character of a class"},
		{name: "RandomString under Redact", src: `Count(Split(Redact(RandomString(6,3,0,0,3)), "!"))`, want: s("1")},
	})
}

func TestIgnoreFlowAndRedact(t *testing.T) {
	e, err := Parse(`IgnoreFlowIfNullOrEmpty([department])`)
	if err != nil {
		t.Fatal(err)
	}
	for _, attrs := range []Attributes{{}, {"department": s("")}} {
		if _, err := e.Eval(attrs); err != ErrIgnoreFlow {
			t.Fatalf("IgnoreFlowIfNullOrEmpty on %v: err = %v, want ErrIgnoreFlow", attrs, err)
		}
	}
	runEvalCases(t, []evalCase{
		{name: "IgnoreFlow passes a value", src: `IgnoreFlowIfNullOrEmpty([department])`, attrs: Attributes{"department": s("Sales")}, want: s("Sales")},
		{name: "IgnoreFlow with Switch, matched", src: `IgnoreFlowIfNullOrEmpty(Switch([prefix], "", "3443", "Dr.", "3444", "Prof.", "3445", "Prof. Dr."))`, attrs: Attributes{"prefix": s("3444")}, want: s("Prof.")},
	})
	e, _ = Parse(`IgnoreFlowIfNullOrEmpty(Switch([prefix], "", "3443", "Dr.", "3444", "Prof.", "3445", "Prof. Dr."))`)
	if _, err := e.Eval(Attributes{"prefix": s("9999")}); !errors.Is(err, ErrIgnoreFlow) {
		t.Fatalf("IgnoreFlow with unmatched Switch: err = %v", err)
	}
	e, _ = Parse(`Join(",", "a", IgnoreFlowIfNullOrEmpty([x]))`)
	if _, err := e.Eval(Attributes{}); err != ErrIgnoreFlow {
		t.Fatalf("nested IgnoreFlow: err = %v, want ErrIgnoreFlow unwrapped", err)
	}

	for src, want := range map[string]bool{
		`Redact([userPrincipalName])`:             true,
		`Redact("StringToBeRedacted")`:            true,
		`Append(Redact([password]), "x")`:         true,
		`Append([userPrincipalName], "x")`:        false,
		`Append([userPrincipalName], "Redact()")`: false,
	} {
		e, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		if e.Redacted() != want {
			t.Errorf("Parse(%q).Redacted() = %v, want %v", src, !want, want)
		}
	}
	runEvalCases(t, []evalCase{
		{name: "Redact returns the value", src: `Redact([userPrincipalName])`, attrs: johnDoe, want: s("John.Doe@contoso.com")},
	})
}

func TestIIFAndComparisons(t *testing.T) {
	usa := Attributes{"country": s("USA"), "state": s("CA"), "department": s("Sales")}
	fr := Attributes{"country": s("FR"), "state": s("CA"), "department": s("Sales")}
	runEvalCases(t, []evalCase{
		{name: "Microsoft example, true", src: `IIF([country]="USA",[country],[department])`, attrs: usa, want: s("USA")},
		{name: "Microsoft example, false", src: `IIF([country]="USA",[country],[department])`, attrs: fr, want: s("Sales")},
		{name: "AND by nesting", src: `IIF([country]="USA",IIF([state]="CA","True","False"),"False")`, attrs: usa, want: s("True")},
		{name: "OR by nesting", src: `IIF([country]="USA","True",IIF([state]="CA","True","False"))`, attrs: fr, want: s("True")},
		{name: "the other branch is not evaluated", src: `IIF([country]="USA", "ok", DateFromNum(-1))`, attrs: usa, want: s("ok")},
		{name: "not equal", src: `IIF([country] <> "USA", "abroad", "home")`, attrs: fr, want: s("abroad")},
		{name: "numeric ordering", src: `IIF("10" > "9", "numeric", "ordinal")`, want: s("numeric")},
		{name: "ordinal ordering", src: `IIF("b" >= "a", "yes", "no")`, want: s("yes")},
		{name: "less or equal", src: `IIF(Count([proxyAddresses]) <= 1, "few", "many")`, attrs: Attributes{"proxyAddresses": l("a", "b")}, want: s("many")},
		{name: "less than", src: `IIF(-2 < 1, "yes", "no")`, want: s("yes")},
		{name: "case-sensitive equality", src: `IIF([country]="usa","yes","no")`, attrs: usa, want: s("no")},
		{name: "condition from a function", src: `IIF(IsPresent("x"), "yes", "no")`, want: s("yes")},
		{name: "condition as a number", src: `IIF(BitAnd(6, 2), "set", "clear")`, want: s("set")},
		{name: "empty attribute fails, as in Entra", src: `IIF([country]="","Other",[country])`, attrs: Attributes{"country": s("")}, err: "attribute [country] is null or empty, and Entra cannot evaluate an IIF condition on it"},
		{name: "null attribute fails, as in Entra", src: `IIF(IsPresent([country]),[country],"Other")`, err: "IIF: attribute [country] is null or empty"},
		{name: "null only matters in the condition", src: `IIF("a"="a",[country],"Other")`, want: Null()},
		{name: "condition not boolean", src: `IIF("maybe", "a", "b")`, err: `IIF: argument 1 (condition) "maybe" is not a boolean`},
		{name: "comparison outside IIF", src: `Join(",", [a] = [b], [a] <> [b])`, attrs: Attributes{"a": s("x"), "b": s("x")}, want: s("True,False")},
		{name: "comparison with null outside IIF", src: `CBool([a] = "x")`, err: "comparison =: cannot compare a null value"},
		{name: "comparison with a list", src: `CBool([a] = "x")`, attrs: Attributes{"a": l("x", "y")}, err: "cannot compare a list value"},
		{name: "top-level comparison", src: `[a] >= 3`, attrs: Attributes{"a": s("3")}, want: s("True")},
	})
}

func TestInStr(t *testing.T) {
	runEvalCases(t, []evalCase{
		{name: "Microsoft example 1", src: `InStr("The quick brown fox","quick")`, want: s("5")},
		{name: "Microsoft example 2", src: `InStr("repEated","e",3,vbBinaryCompare)`, want: s("7")},
		{name: "text compare", src: `InStr("repEated","e",3,vbTextCompare)`, want: s("4")},
		{name: "compare type as a string", src: `InStr("repEated","E", , "vbTextCompare")`, want: s("2")},
		{name: "compare type as a number", src: `InStr("repEated","E", 1, 1)`, want: s("2")},
		{name: "not found", src: `InStr("abc","d")`, want: s("0")},
		{name: "characters, not bytes", src: `InStr("Zoë Smith","Smith")`, want: s("5")},
		{name: "start past the end", src: `InStr("abc","a",5)`, want: s("0")},
		{name: "empty search string", src: `InStr("abc","",2)`, want: s("2")},
		{name: "null string", src: `InStr([x],"a")`, want: s("0")},
		{name: "bad start", src: `InStr("abc","a",Count([x]))`, err: "argument 3 (start) is 0"},
	})
}

func TestIsFunctionsAndNot(t *testing.T) {
	attrs := Attributes{"displayName": s("John Doe"), "empty": s(""), "list": l("a")}
	runEvalCases(t, []evalCase{
		{name: "IsNull absent", src: `IsNull([missing])`, attrs: attrs, want: s("True")},
		{name: "IsNull empty", src: `IsNull([empty])`, attrs: attrs, want: s("False")},
		{name: "IsNull present", src: `IsNull([displayName])`, attrs: attrs, want: s("False")},
		{name: "IsNullOrEmpty absent", src: `IsNullOrEmpty([missing])`, attrs: attrs, want: s("True")},
		{name: "IsNullOrEmpty empty", src: `IsNullOrEmpty([empty])`, attrs: attrs, want: s("True")},
		{name: "IsNullOrEmpty present", src: `IsNullOrEmpty([displayName])`, attrs: attrs, want: s("False")},
		{name: "IsPresent absent", src: `IsPresent([missing])`, attrs: attrs, want: s("False")},
		{name: "IsPresent empty", src: `IsPresent([empty])`, attrs: attrs, want: s("False")},
		{name: "IsPresent list", src: `IsPresent([list])`, attrs: attrs, want: s("True")},
		{name: "IsString string", src: `IsString([displayName])`, attrs: attrs, want: s("True")},
		{name: "IsString list", src: `IsString([list])`, attrs: attrs, want: s("False")},
		{name: "IsString null", src: `IsString([missing])`, attrs: attrs, want: s("False")},
		{name: "IsPresent Microsoft example", src: `Switch(IsPresent([directManager]),[directManager], IsPresent([skiplevelManager]),[skiplevelManager], IsPresent([director]),[director])`,
			attrs: Attributes{"directManager": s("dm"), "director": s("dir")}, want: s("dir")},
		{name: "Not True", src: `Not("True")`, want: s("False")},
		{name: "Not true lower case", src: `Not([flag])`, attrs: Attributes{"flag": s("true")}, want: s("False")},
		{name: "Not False", src: `Not("False")`, want: s("True")},
		{name: "Not anything else", src: `Not("yes")`, want: s("True")},
		{name: "Not null", src: `Not([missing])`, want: s("True")},
		{name: "Not of IsPresent", src: `Not(IsPresent([displayName]))`, attrs: attrs, want: s("False")},
	})
}

func TestJoin(t *testing.T) {
	runEvalCases(t, []evalCase{
		{name: "UPN from given name", src: `Join("@", NormalizeDiacritics(StripSpaces([givenName])), "contoso.com")`, attrs: Attributes{"givenName": s("Zoë Ann")}, want: s("ZoeAnn@contoso.com")},
		{name: "comma between last and first name", src: `Join(", ", "", [surname], [givenName])`, attrs: johnDoe, want: s("Doe, John")},
		{name: "nulls are skipped", src: `Join(" ", [givenName], [middleName], [surname])`, attrs: johnDoe, want: s("John Doe")},
		{name: "multi-valued sources are flattened", src: `Join(";", [proxyAddresses], "x")`, attrs: Attributes{"proxyAddresses": l("a", "", "b")}, want: s("a;b;x")},
		{name: "nothing to join", src: `Join(" ", [givenName], [surname])`, want: s("")},
		{name: "numbers are strings", src: `Join("", 1000, Replace(ConvertToUTF8Hex([objectId]), , "[a-zA-Z_]*", , "", , ))`,
			attrs: Attributes{"objectId": s("00aa00aa-bb11-cc22-dd33-44ee44ee44ee")}, want: s("100030306161303061612626231312636332322646433332343465653434656534346565")},
		{name: "null separator", src: `Join([sep], "a", "b")`, want: s("ab")},
		{name: "Microsoft PCase example", src: `PCase(Join(" ",[firstName],[lastName]))`, attrs: Attributes{"firstName": s("GREGORY"), "lastName": s("JAMES")}, want: s("Gregory James")},
	})
}

func TestLeftMidWord(t *testing.T) {
	runEvalCases(t, []evalCase{
		{name: "Left Microsoft example", src: `Left("John Doe", 3)`, want: s("Joh")},
		{name: "Left zero", src: `Left("John Doe", 0)`, want: s("")},
		{name: "Left negative", src: `Left("John Doe", -1)`, want: s("John Doe")},
		{name: "Left null", src: `Left([x], 3)`, want: s("")},
		{name: "Left longer than the string", src: `Left("John", 30)`, want: s("John")},
		{name: "Left counts characters", src: `Left("Zoë Smith", 3)`, want: s("Zoë")},
		{name: "Mid", src: `Mid("John Doe", 6, 3)`, want: s("Doe")},
		{name: "Mid past the end", src: `Mid("John Doe", 6, 30)`, want: s("Doe")},
		{name: "Mid start past the end", src: `Mid("John", 9, 3)`, want: s("")},
		{name: "Mid null", src: `Mid([x], 1, 3)`, want: Null()},
		{name: "Mid start zero", src: `Mid("John", Count([x]), 3)`, err: "Mid: argument 2 (start) is 0; characters are numbered from 1"},
		{name: "Mid negative length", src: `Mid("John", 1, -1)`, err: "argument 3 (length) is -1"},
		{name: "Word Microsoft example 1", src: `Word("The quick brown fox",3," ")`, want: s("brown")},
		{name: "Word Microsoft example 2", src: `Word("This,string!has&many separators",3,",!&#")`, want: s("has")},
		{name: "Word adjacent delimiters", src: `Word("a,,b",2,",")`, want: s("b")},
		{name: "Word too few words", src: `Word("a b",3," ")`, want: s("")},
		{name: "Word number below 1", src: `Word("a b",0," ")`, want: s("")},
		{name: "Word null", src: `Word([x],1," ")`, want: s("")},
	})
}

func TestNormalizeDiacritics(t *testing.T) {
	runEvalCases(t, []evalCase{
		{name: "Microsoft example", src: `NormalizeDiacritics([givenName])`, attrs: Attributes{"givenName": s("Zoë")}, want: s("Zoe")},
		{name: "literal", src: `NormalizeDiacritics("Zoë")`, want: s("Zoe")},
		{name: "Polish", src: `NormalizeDiacritics("Łukasz Żółć")`, want: s("Lukasz Zolc")},
		{name: "ligatures and ß", src: `NormalizeDiacritics("Ærøskøbing Straße")`, want: s("AEroeskoebing Strasse")},
		{name: "Turkish", src: `NormalizeDiacritics("İğdır Şişli")`, want: s("Igdir Sisli")},
		{name: "combining sequences from the table", src: `NormalizeDiacritics("ā́ e̊̄ Ø̄ œ̄ ṳ̄")`, want: s("a e OE oe u")},
		{name: "decomposed input", src: "NormalizeDiacritics(\"Zoe\u0308\")", want: s("Zoe")},
		{name: "characters outside the table pass", src: `NormalizeDiacritics("Ŵ 東京 ĉ")`, want: s("Ŵ 東京 ĉ")},
		{name: "null", src: `NormalizeDiacritics([x])`, want: Null()},
	})
}

func TestPCase(t *testing.T) {
	runEvalCases(t, []evalCase{
		{name: "Microsoft example 1", src: `PCase([firstName])`, attrs: Attributes{"firstName": s("PABLO GONSALVES (SECOND)")}, want: s("Pablo Gonsalves (Second)")},
		{name: "Microsoft example 2", src: `PCase([lastName]," '-")`, attrs: Attributes{"lastName": s("PINTO-DE'SILVA")}, want: s("Pinto-De'Silva")},
		{name: "default separators keep apostrophes in words", src: `PCase("PINTO-DE'SILVA")`, want: s("Pinto-De'silva")},
		{name: "digits do not start words", src: `PCase("1st floor_west")`, want: s("1St Floor_West")},
		{name: "non-ASCII", src: `PCase("éLODIE ÇA")`, want: s("Élodie Ça")},
		{name: "empty separators mean the default", src: `PCase("a-b", "")`, want: s("A-B")},
		{name: "null", src: `PCase([x])`, want: Null()},
	})
}

func TestReplace(t *testing.T) {
	runEvalCases(t, []evalCase{
		{name: "example 1: oldValue and replacementValue", src: `Replace([BusinessTitle],"Product Developer", , , "Software Engineer", , )`, attrs: Attributes{"BusinessTitle": s("Product Developer")}, want: s("Software Engineer")},
		{name: "example 2: oldValue and template", src: `Replace([UserID],"<username>", , , , , "<username>@contoso.com")`, attrs: Attributes{"UserID": s("jsmith")}, want: s("jsmith@contoso.com")},
		{name: "example 3: regex and replacementValue", src: `Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", , "${phoneNumber}", , )`, attrs: Attributes{"telephoneNumber": s("+91 9998887777")}, want: s("9998887777")},
		{name: "phone number without ISD code", src: `Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>.*)", , "${phoneNumber}", , )`, attrs: Attributes{"telephoneNumber": s("+1 425 555 0100")}, want: s("425 555 0100")},
		// Microsoft's page shows 19998887777, but "+" is not in the class; .NET keeps it too.
		{name: "example 3: collapse a number", src: `Replace([mobile], , "[()\\s-]+", , "", , )`, attrs: Attributes{"mobile": s("+1 (999) 888-7777")}, want: s("+19998887777")},
		{name: "example 4: group and replacementValue", src: `Replace([AddressLineData], ,"(?<streetNumber>^\\d*)","streetNumber", "888", , )`, attrs: Attributes{"AddressLineData": s("545 Tremont Street")}, want: s("888 Tremont Street")},
		{name: "example 4: strip the UPN suffix", src: `Replace([userPrincipalName], , "(?<Suffix>@(.)*)", "Suffix", "", , )`, attrs: Attributes{"userPrincipalName": s("jsmith@contoso.com")}, want: s("jsmith")},
		{name: "example 5: from another attribute", src: `Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", "phoneNumber" , , [mobile], )`, attrs: Attributes{"telephoneNumber": s(""), "mobile": s("+91 8887779999")}, want: s("8887779999")},
		{name: "example 5: source wins when present", src: `Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", "phoneNumber" , , [mobile], )`, attrs: Attributes{"telephoneNumber": s("555"), "mobile": s("+91 8887779999")}, want: s("555")},
		{name: "example 5: no match", src: `Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", "phoneNumber" , , [mobile], )`, attrs: Attributes{"mobile": s("n/a")}, want: Null()},
		{name: "example 6: remove letters", src: `Replace([mailNickname], , "[a-zA-Z_]*", , "", , )`, attrs: Attributes{"mailNickname": s("john_doe72")}, want: s("72")},
		{name: "strip a known domain", src: `Replace([mail], "@contoso.com", , ,"", ,)`, attrs: Attributes{"mail": s("john.doe@contoso.com")}, want: s("john.doe")},
		{name: "every occurrence, case-sensitive", src: `Replace("a-A-a", "a", , , "b", , )`, want: s("b-A-b")},
		{name: "trailing optional arguments dropped", src: `Replace("a-b", "-", , , ".")`, want: s("a.b")},
		{name: "numbered group", src: `Replace("John Doe", , "(\\w+) (\\w+)", , "$2, $1", , )`, want: s("Doe, John")},
		{name: "null source", src: `Replace([mail], "@contoso.com", , ,"", ,)`, want: Null()},
		{name: "computed pattern", src: `Replace("abc", , [p], , "x", , )`, attrs: Attributes{"p": s("b")}, want: s("axc")},
		{name: "computed bad pattern", src: `Replace("abc", , [p], , "x", , )`, attrs: Attributes{"p": s("(")}, err: "invalid regular expression"},
		{name: "computed unknown group", src: `Replace("abc", , "(?<a>b)", [g], "x", , )`, attrs: Attributes{"g": s("zz")}, err: "names no group of regexPattern"},
		{name: "growth is bounded", src: `Replace(Replace(Replace(Replace([x], "a", , , [y], , ), "a", , , [y], , ), "a", , , [y], , ), "a", , , [y], , )`,
			attrs: Attributes{"x": s(strings.Repeat("a", 64)), "y": s(strings.Repeat("a", 64))}, err: "longer than 1048576 bytes"},
		{name: "regex growth is bounded", src: `Replace([x], , "a", , [y], , )`,
			attrs: Attributes{"x": s(strings.Repeat("a", 4096)), "y": s(strings.Repeat("$0", 512))}, err: "longer than 1048576 bytes"},
	})
}

func TestSelectUniqueValue(t *testing.T) {
	const src = `SelectUniqueValue(
        Join("@", NormalizeDiacritics(StripSpaces(Join(".",  [PreferredFirstName], [PreferredLastName]))), "contoso.com"),
        Join("@", NormalizeDiacritics(StripSpaces(Join(".",  Mid([PreferredFirstName], 1, 1), [PreferredLastName]))), "contoso.com"),
        Join("@", NormalizeDiacritics(StripSpaces(Join(".",  Mid([PreferredFirstName], 1, 2), [PreferredLastName]))), "contoso.com")
    )`
	e, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	john := Attributes{"PreferredFirstName": s("John"), "PreferredLastName": s("Smith")}
	for _, tc := range []struct {
		taken []string
		want  string
	}{
		{nil, "John.Smith@contoso.com"},
		{[]string{"John.Smith@contoso.com"}, "J.Smith@contoso.com"},
		{[]string{"John.Smith@contoso.com", "J.Smith@contoso.com"}, "Jo.Smith@contoso.com"},
	} {
		opts := testOptions()
		var asked []string
		opts.IsUnique = func(v string) (bool, error) {
			asked = append(asked, v)
			for _, t := range tc.taken {
				if t == v {
					return false, nil
				}
			}
			return true, nil
		}
		got, err := e.EvalWith(john, opts)
		if err != nil || !got.Equal(s(tc.want)) {
			t.Fatalf("taken %v: got %v, %v; want %q", tc.taken, got, err, tc.want)
		}
		if len(asked) != len(tc.taken)+1 {
			t.Fatalf("taken %v: asked about %v", tc.taken, asked)
		}
	}

	opts := testOptions()
	opts.IsUnique = func(string) (bool, error) { return false, nil }
	if _, err := e.EvalWith(john, opts); !errors.Is(err, ErrNoUniqueValue) {
		t.Fatalf("all taken: err = %v, want ErrNoUniqueValue", err)
	}
	boom := errors.New("directory unreachable")
	opts.IsUnique = func(string) (bool, error) { return false, boom }
	if _, err := e.EvalWith(john, opts); !errors.Is(err, boom) {
		t.Fatalf("failing check: err = %v, want %v", err, boom)
	}
	if _, err := e.Eval(john); err == nil || !strings.Contains(err.Error(), "no uniqueness check was supplied") {
		t.Fatalf("no check: err = %v", err)
	}
	// Rules giving null or "" are skipped.
	e2, _ := Parse(`SelectUniqueValue([missing], "", "fallback")`)
	opts.IsUnique = func(string) (bool, error) { return true, nil }
	if got, err := e2.EvalWith(Attributes{}, opts); err != nil || !got.Equal(s("fallback")) {
		t.Fatalf("skipping empty rules: %v, %v", got, err)
	}
}

func TestSplitStripSpaces(t *testing.T) {
	runEvalCases(t, []evalCase{
		{name: "Split Microsoft example", src: `Split([extensionAttribute5], ",")`, attrs: Attributes{"extensionAttribute5": s("PermissionSetOne, PermissionSetTwo")}, want: l("PermissionSetOne", "PermissionSetTwo")},
		{name: "Split without delimiter in the source", src: `Split("one", ",")`, want: l("one")},
		{name: "Split keeps empty elements", src: `Split("a,,b", ",")`, want: l("a", "", "b")},
		{name: "Split multi-character delimiter", src: `Split("a::b", "::")`, want: l("a", "b")},
		{name: "Split null", src: `Split([x], ",")`, want: Null()},
		{name: "Split empty delimiter", src: `Split("a", "")`, err: "argument 2 (delimiter) is empty"},
		{name: "StripSpaces", src: `StripSpaces(" John  Smith ")`, want: s("JohnSmith")},
		{name: "StripSpaces only spaces", src: "StripSpaces(\"a\tb c\")", want: s("a\tbc")},
		{name: "StripSpaces null", src: `StripSpaces([x])`, want: Null()},
	})
}

func TestSwitch(t *testing.T) {
	const tz = `Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney", "QLD", "Australia/Brisbane", "SA", "Australia/Adelaide")`
	runEvalCases(t, []evalCase{
		{name: "Microsoft example", src: tz, attrs: Attributes{"state": s("QLD")}, want: s("Australia/Brisbane")},
		{name: "brief's example", src: `Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney", "QLD", "Australia/Brisbane")`, attrs: Attributes{"state": s("QLD")}, want: s("Australia/Brisbane")},
		{name: "default", src: tz, attrs: Attributes{"state": s("VIC")}, want: s("Australia/Sydney")},
		{name: "case-sensitive", src: tz, attrs: Attributes{"state": s("qld")}, want: s("Australia/Sydney")},
		{name: "ToLower for case-insensitive matching", src: `Switch(ToLower([statusFlag]), "0", "true", "1", "false", "0")`, attrs: Attributes{"statusFlag": s("TRUE")}, want: s("1")},
		{name: "empty key matches empty", src: `Switch([statusFlag], "Default Value", "true", "1", "", "0")`, attrs: Attributes{"statusFlag": s("")}, want: s("0")},
		{name: "empty key matches null", src: `Switch([country],[country],"","Other")`, want: s("Other")},
		{name: "left-out default is null", src: `Switch([IsSoftDeleted], , "False", "True", "True", "False")`, attrs: Attributes{"IsSoftDeleted": s("maybe")}, want: Null()},
		{name: "only the chosen value is evaluated", src: `Switch("a", DateFromNum(-1), "a", "ok", "b", DateFromNum(-1))`, want: s("ok")},
		{name: "multi-valued source", src: tz, attrs: Attributes{"state": l("QLD")}, err: "Switch: argument 1 (source) is multi-valued"},
	})
}

func TestToLowerToUpper(t *testing.T) {
	runEvalCases(t, []evalCase{
		{name: "ToLower Microsoft example", src: `ToLower(Join("@", NormalizeDiacritics(StripSpaces(Join(".",  [PreferredFirstName], [PreferredLastName]))), "contoso.com"))`,
			attrs: Attributes{"PreferredFirstName": s("John"), "PreferredLastName": s("Smith")}, want: s("john.smith@contoso.com")},
		{name: "ToUpper", src: `ToUpper("istanbul")`, want: s("ISTANBUL")},
		{name: "ToUpper en-US", src: `ToUpper("istanbul", "en-US")`, want: s("ISTANBUL")},
		{name: "ToUpper tr-TR", src: `ToUpper("istanbul", "tr-TR")`, want: s("İSTANBUL")},
		{name: "ToLower tr-TR", src: `ToLower("ISPARTA", "tr-TR")`, want: s("ısparta")},
		{name: "ToLower az", src: `ToLower("I", "az")`, want: s("ı")},
		{name: "ToLower invariant non-ASCII", src: `ToLower("ÉCOLE")`, want: s("école")},
		{name: "ToLower null", src: `ToLower([x])`, want: Null()},
		{name: "ToUpper computed bad culture", src: `ToUpper("a", [c])`, attrs: Attributes{"c": s("not a culture")}, err: `"not a culture" is not a culture name`},
	})
}

func TestAttributesLookup(t *testing.T) {
	attrs := Attributes{"userPrincipalName": s("a"), "extensionAttribute1": s("b"), "Facsimile-TelephoneNumber": s("c"), "extension_abc.x y": s("d")}
	runEvalCases(t, []evalCase{
		{name: "case-insensitive", src: `[USERPRINCIPALNAME]`, attrs: attrs, want: s("a")},
		{name: "digits", src: `[extensionattribute1]`, attrs: attrs, want: s("b")},
		{name: "dash", src: `[facsimile-telephoneNumber]`, attrs: attrs, want: s("c")},
		{name: "dots and spaces", src: `[extension_abc.x y]`, attrs: attrs, want: s("d")},
		{name: "absent", src: `[mail]`, attrs: attrs, want: Null()},
		{name: "nil source map", src: `[mail]`, want: Null()},
		{name: "constant", src: `"United States"`, want: s("United States")},
		{name: "escaped constant", src: `"Company name: \"Contoso\" \\ Ltd"`, want: s(`Company name: "Contoso" \ Ltd`)},
		{name: "number", src: `-007`, want: s("-7")},
		{name: "hex number", src: `&hff`, want: s("255")},
		{name: "InStr constant", src: `vbtextcompare`, want: s("vbTextCompare")},
	})
}

func TestValue(t *testing.T) {
	if !List().IsNull() || List().Kind() != KindNull {
		t.Fatal("List() is not null")
	}
	items := []string{"a", "b"}
	v := List(items...)
	items[0] = "changed"
	if got := v.Items(); got[0] != "a" || v.Kind() != KindList {
		t.Fatalf("List did not copy: %v", got)
	}
	v.Items()[1] = "changed"
	if v.Items()[1] != "b" {
		t.Fatal("Items did not copy")
	}
	if !Bool(true).Equal(s("True")) || !Bool(false).Equal(s("False")) {
		t.Fatal("Bool")
	}
	for _, tc := range []struct {
		v    Value
		want string
	}{{Null(), "null"}, {s(`a"b`), `"a\"b"`}, {l("a", "b"), `["a", "b"]`}} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("%#v.String() = %s, want %s", tc.v, got, tc.want)
		}
	}
	if s("a").Equal(l("a")) || !l("a", "b").Equal(l("a", "b")) || l("a", "b").Equal(l("a", "c")) {
		t.Fatal("Equal")
	}
	if s("x").Text() != "x" || l("x").Text() != "" || Null().Items() != nil {
		t.Fatal("Text/Items")
	}
	if KindString.String() != "string" || Kind(9).String() != "Kind(9)" {
		t.Fatal("Kind.String")
	}
}

func TestNilSource(t *testing.T) {
	e, err := Parse(`Coalesce([mail], "none")`)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := e.Eval(nil); err != nil || !v.Equal(s("none")) {
		t.Fatalf("Eval(nil) = %v, %v", v, err)
	}
}

func TestEvalDefaults(t *testing.T) {
	e, err := Parse(`Join("|", Now(), Guid())`)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().UTC().Truncate(time.Second)
	v, err := e.Eval(Attributes{})
	if err != nil {
		t.Fatal(err)
	}
	now, id, _ := strings.Cut(v.Text(), "|")
	got, err := time.Parse(entraDateLayout, now)
	if err != nil || got.Before(before) || got.After(time.Now().UTC()) {
		t.Fatalf("Now() with the system clock = %q", now)
	}
	if len(id) != 36 {
		t.Fatalf("Guid() with crypto/rand = %q", id)
	}
}
