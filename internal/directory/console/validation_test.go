package console

import (
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

func TestFromValidationPutsEachMessageOnItsField(t *testing.T) {
	u := &directory.User{UserPrincipalName: "not an upn", MailNickname: "x"}
	errs := fromValidation(directory.ValidateUser(u), map[string]string{"userPrincipalName": "upn", "displayName": "displayName"})
	if !strings.Contains(errs["upn"], "alias@domain") || errs["displayName"] == "" {
		t.Fatalf("errors by field: %v", errs)
	}
}
