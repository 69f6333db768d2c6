package signin_test

import (
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/testenv"
)

// TestPostgres runs the HTTP tests again on PostgreSQL (one SQL text serves
// both engines). It is skipped, or failed under make test, without
// GATEHOUSE_TEST_POSTGRES.
func TestPostgres(t *testing.T) {
	testenv.PostgresDSN(t) // skips early when there is no server
	pgDSN = func(t *testing.T) string { return testenv.PostgresDSN(t) }
	defer func() { pgDSN = nil }()
	for name, fn := range map[string]func(*testing.T){
		"LoginGood": TestLoginGood, "WrongPasswordAndUnknownUser": TestWrongPasswordAndUnknownUser,
		"LockoutAndExpiry": TestLockoutAndExpiry, "DisabledUserRefusedAtOnce": TestDisabledUserRefusedAtOnce,
		"TOTPEnrollAndLogin": TestTOTPEnrollAndLogin, "TOTPReplayRefused": TestTOTPReplayRefused,
		"CSRFRefused": TestCSRFRefused, "LogoutRevokes": TestLogoutRevokes, "RevokeAllForUser": TestRevokeAllForUser,
		"SessionExpiry": TestSessionExpiry, "SetPasswordPolicy": TestSetPasswordPolicy,
		"CreateUserWithPassword": TestCreateUserWithPassword,
	} {
		t.Run(name, fn)
	}
}
