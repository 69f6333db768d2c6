package samlidp

import (
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// Claim sources are Graph attribute names, matched case-insensitively,
// with Entra's "user." prefix and aliases.
func TestUserAttr(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	u := &directory.User{ID: "u-1", UserPrincipalName: "ada@example.com", Mail: "ada@mail.example",
		Department: "R&D", BusinessPhones: []string{"+1 555 0100", "+1 555 0101"}, AccountEnabled: true,
		Created: created}
	for name, want := range map[string]string{
		"userPrincipalName":      "ada@example.com",
		"user.userprincipalname": "ada@example.com",
		"USER.MAIL":              "ada@mail.example",
		"email":                  "ada@mail.example",
		"objectid":               "u-1",
		"user.objectid":          "u-1",
		"id":                     "u-1",
		"department":             "R&D",
		"businessPhones":         "+1 555 0100",
		"accountEnabled":         "true",
		"createdDateTime":        "2026-01-02T03:04:05Z",
		"deletedDateTime":        "",
		"jobTitle":               "",
		"noSuchAttribute":        "",
	} {
		if got := userAttr(u, name); got != want {
			t.Errorf("userAttr(%q) = %q, want %q", name, got, want)
		}
	}
}
