package samlidp_test

import (
	"github.com/gatehouse-id/gatehouse/internal/directory/samlidp"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
)

// The production Authenticator is the sign-in package's handler, as is.
var _ samlidp.Authenticator = (*signin.Handler)(nil)
