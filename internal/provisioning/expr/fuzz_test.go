package expr

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	`Append([userPrincipalName], "@contoso.com")`,
	`Join("@", NormalizeDiacritics(StripSpaces([givenName])), "contoso.com")`,
	`Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney", "QLD", "Australia/Brisbane")`,
	`FormatDateTime([extensionAttribute1], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")`,
	`Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>.*)", , "${phoneNumber}", , )`,
	`SingleAppRoleAssignment([appRoleAssignments])`,
	`NormalizeDiacritics("Zoë")`,
	`Word("The quick brown fox",3," ")`,
	`IIF([country]="USA",IIF([state]="CA","True","False"),"False")`,
	`Switch([Active], , "1", IIF(DateDiff("d", Now(), CDate([StatusHireDate])) > 5, "False", "True"), "0", "False")`,
	`BitAnd(&HF, &HF7)`,
	`InStr("repEated","e",3,vbBinaryCompare)`,
	`RandomString(10,2,2,2,1,"?,")`,
	`SelectUniqueValue(Join(".", [a], [b]), Mid([a], 1, 1))`,
	`NumFromDate(Join("", FormatDateTime([ContractEndDate], ,"yyyy-MM-ddzzz", "yyyy-MM-dd"), " 23:59:59-08:00"))`,
	`Coalesce([mail], [otherMails], "")`,
	`PCase([lastName]," '-")`,
	`Item(RemoveDuplicates(Split([x], ",")), Count([y]))`,
	`DateAdd("m", -1, DateFromNum(129699324000000000))`,
	`ToUpper(Left([a], -1), "tr-TR")`,
	`IgnoreFlowIfNullOrEmpty(Redact(Guid()))`,
	`AppRoleAssignmentsComplex([appRoleAssignments])`,
	`"Company: \"Contoso\" \\"`,
	`[extension_abc_Dept Code.x] <> -42`,
	`Join(" ", [sn], Lft([givenName], 1))`,
}

var fuzzSource = Attributes{
	"userPrincipalName":   String("John.Doe@contoso.com"),
	"givenName":           String("Zoë Ann"),
	"state":               String("QLD"),
	"extensionAttribute1": String("20150123105347.1Z"),
	"telephoneNumber":     String("+91 9998887777"),
	"appRoleAssignments":  AppRoleAssignments(AppRoleAssignment{ID: "1", Value: "Admin", DisplayName: "Admin"}),
	"x":                   String("a,b,a"),
	"y":                   List("1", "2"),
	"a":                   String("John"),
	"b":                   String(""),
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %v is not a *SyntaxError", src, err)
			}
			if se.Pos < 1 || se.Pos > utf8.RuneCountInString(src)+1 {
				t.Fatalf("Parse(%q) error position %d is outside the input", src, se.Pos)
			}
			return
		}
		canon := e.String()
		if len(canon) > len(src) {
			t.Fatalf("canonical form %q is longer than the source %q", canon, src)
		}
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, src, err)
		}
		if again.String() != canon || again.Redacted() != e.Redacted() {
			t.Fatalf("canonical form %q of %q parses to %q", canon, src, again.String())
		}
		// Evaluation must not panic either, whatever the expression.
		opts := Options{
			Now:      func() time.Time { return testNow },
			Rand:     rand.NewChaCha8([32]byte{}),
			IsUnique: func(string) (bool, error) { return true, nil },
		}
		_, _ = e.EvalWith(fuzzSource, opts)
	})
}
