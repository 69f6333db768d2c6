package breakglass

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/pquerna/otp"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

var reUsername = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// CheckPassword says why a new emergency password is refused, or nil.
func CheckPassword(password string) error {
	switch {
	case !utf8.ValidString(password):
		return invalidf("the password is not valid UTF-8")
	case utf8.RuneCountInString(password) < MinPasswordLen:
		return invalidf("the password must be at least %d characters long", MinPasswordLen)
	case len(password) > MaxPasswordLen:
		return invalidf("the password must be at most %d bytes long", MaxPasswordLen)
	}
	return nil
}

// NewAccountInput is what `gatehouse center break-glass create` asks for.
type NewAccountInput struct {
	Username string
	Password string
	Grants   []Grant
	Now      time.Time
}

// NewAccount validates in, checks that every grant names an existing
// account and permission set in access, hashes the password, draws a TOTP
// secret, seals it with box and stores the account. The returned key's
// Secret and URL are shown to the operator once.
func NewAccount(ctx context.Context, st Store, access center.AccessStore, box *secret.Box, h *Hasher, in NewAccountInput) (*Account, *otp.Key, error) {
	if !reUsername.MatchString(in.Username) {
		return nil, nil, invalidf("username %q: use 1-64 letters, digits, '.', '_', '@' or '-'", in.Username)
	}
	if err := CheckPassword(in.Password); err != nil {
		return nil, nil, err
	}
	if len(in.Grants) == 0 {
		return nil, nil, invalidf("an emergency account needs at least one grant (--grant ACCOUNT_ID=PERMISSION_SET)")
	}
	seen := map[Grant]bool{}
	var grants []Grant
	for _, g := range in.Grants {
		g.AccountID, g.PermissionSetARN = strings.TrimSpace(g.AccountID), strings.TrimSpace(g.PermissionSetARN)
		if seen[g] {
			continue
		}
		seen[g] = true
		if _, err := access.GetAccount(ctx, g.AccountID); err != nil {
			return nil, nil, fmt.Errorf("grant: account %q: %w", g.AccountID, notFound(err))
		}
		if _, err := access.GetPermissionSet(ctx, g.PermissionSetARN); err != nil {
			return nil, nil, fmt.Errorf("grant: permission set %q: %w", g.PermissionSetARN, notFound(err))
		}
		grants = append(grants, g)
	}
	hash, err := h.Hash(ctx, in.Password)
	if err != nil {
		return nil, nil, err
	}
	key, err := NewTOTPKey(in.Username)
	if err != nil {
		return nil, nil, err
	}
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	a := &Account{ID: uuid.NewString(), Username: in.Username, PasswordHash: hash, Grants: grants, Created: now.UTC()}
	a.SealedTOTP = box.Seal(key.Secret(), TOTPContext(a.ID))
	if err := st.CreateBreakGlassAccount(ctx, a); err != nil {
		return nil, nil, fmt.Errorf("create emergency account %q: %w", in.Username, err)
	}
	return a, key, nil
}

func notFound(err error) error {
	if errors.Is(err, center.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// ResolveGrant turns "ACCOUNT_ID=PERMISSION_SET" (the permission set by ARN
// or by name) into a Grant.
func ResolveGrant(ctx context.Context, access center.AccessStore, spec string) (Grant, error) {
	acct, ps, ok := strings.Cut(spec, "=")
	if !ok || acct == "" || ps == "" {
		return Grant{}, invalidf("grant %q is not ACCOUNT_ID=PERMISSION_SET", spec)
	}
	if strings.HasPrefix(ps, "arn:") {
		return Grant{AccountID: acct, PermissionSetARN: ps}, nil
	}
	sets, err := access.ListPermissionSets(ctx)
	if err != nil {
		return Grant{}, err
	}
	for _, s := range sets {
		if strings.EqualFold(s.Name, ps) {
			return Grant{AccountID: acct, PermissionSetARN: s.ARN}, nil
		}
	}
	return Grant{}, fmt.Errorf("grant %q: no permission set named %q: %w", spec, ps, ErrNotFound)
}
