package breakglass

import (
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: RFC 6238 defaults, which every authenticator app reads
// (30-second steps, 6 digits, HMAC-SHA-1), one step of skew either way
// (RFC 6238 §5.2).
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	totpSkew   = 1
	// TOTPIssuer is the issuer shown by authenticator apps.
	TOTPIssuer = "Gatehouse break-glass"
)

// Step is the TOTP time step of t.
func Step(t time.Time) int64 { return t.Unix() / totpPeriod }

// NewTOTPKey draws a TOTP secret (160 bits) for username; Secret() is
// what is sealed, URL() what an authenticator app scans.
func NewTOTPKey(username string) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{
		Issuer: TOTPIssuer, AccountName: username, Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
	})
}

// Code returns the TOTP code of secret at t (for tests and tools).
func Code(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
}

// matchTOTP returns the time step whose code equals code within the skew
// around now, newest first, and whether one did. Replay protection needs
// the step, which totp.Validate does not report, so the steps are tried
// one by one with hotp (RFC 4226), the counter being the step.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != totpDigits.Length() {
		return 0, false
	}
	cur := Step(now)
	for step := cur + totpSkew; step >= cur-totpSkew && step >= 0; step-- {
		ok, err := hotp.ValidateCustom(code, uint64(step), secret, hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err == nil && ok {
			return step, true
		}
	}
	return 0, false
}
