package center

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The access model: permission sets, accounts and account assignments
// (shared/reference/aws-identity-center.md §2.4, §2.5, §4.2).
//
// A real Identity Center provisions an assignment asynchronously: it creates
// an AWSReservedSSO_ role and a SAML provider in the member account and
// reports IN_PROGRESS until that finishes. The center has no member accounts
// to push roles into, so an AccessStore completes provisioning inside the
// CreateAccountAssignment transaction: the assignment it returns is already
// SUCCEEDED, with a RequestId clients can poll. A create whose account,
// permission set or principal does not exist is refused with ErrNotFound
// rather than recorded as FAILED; FAILED and FailureReason exist for the
// shape of the API and for a future backend that pushes to real accounts.

// ConflictError is a refusal with a message, such as deleting a permission
// set that is still assigned (AWS's ConflictException).
type ConflictError struct{ Msg string }

func (e *ConflictError) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// Conflictf builds a ConflictError.
func Conflictf(format string, args ...any) error {
	return &ConflictError{Msg: fmt.Sprintf(format, args...)}
}

// Limits of the access model (reference §2.4, §2.6).
const (
	MaxPermissionSetName     = 32
	MaxDescription           = 700
	MaxRelayState            = 240
	MaxInlinePolicy          = 32768
	MaxInlinePolicyNonSpace  = 10240 // non-whitespace characters of an inline policy
	MaxAttachedPolicies      = 20    // managed + customer managed policies per permission set
	MaxTags                  = 50
	MaxTagKey                = 128
	MaxTagValue              = 256
	MaxAccountName           = 50
	MinSessionDuration       = time.Hour
	MaxSessionDuration       = 12 * time.Hour
	DefaultSessionDuration   = "PT1H"
	DefaultPolicyPath        = "/"
	MaxCustomerPolicyName    = 128
	MaxCustomerPolicyPath    = 512
	MaxManagedPolicyARNChars = 2048
)

// PermissionSet is a named bundle of IAM policies that becomes a role in
// every account it is assigned to.
type PermissionSet struct {
	// ARN is arn:aws:sso:::permissionSet/<instance id>/ps-<16 hex>; see
	// NewPermissionSetARN.
	ARN  string
	Name string // immutable; unique per instance, compared case-insensitively
	// Description is optional, 1..700 characters when set.
	Description string
	// SessionDuration is an ISO-8601 duration from PT1H to PT12H; empty
	// means DefaultSessionDuration.
	SessionDuration string
	// RelayState is the URL the console opens after federation, ≤240.
	RelayState  string
	CreatedDate time.Time
	// ManagedPolicies are AWS managed policy ARNs
	// (arn:aws:iam::aws:policy/[path/]name).
	ManagedPolicies         []string
	CustomerManagedPolicies []CustomerManagedPolicyReference
	// InlinePolicy is an IAM policy document (JSON), or empty.
	InlinePolicy        string
	PermissionsBoundary *PermissionsBoundary
	Tags                []Tag
}

// CustomerManagedPolicyReference names a policy that must exist in each
// account the permission set is provisioned to. Path defaults to "/".
type CustomerManagedPolicyReference struct {
	Name string
	Path string
}

// PermissionsBoundary caps the permissions of the provisioned role: exactly
// one of ManagedPolicyArn and CustomerManagedPolicyReference is set.
type PermissionsBoundary struct {
	ManagedPolicyArn               string
	CustomerManagedPolicyReference *CustomerManagedPolicyReference
}

// Tag is a key-value pair on a permission set.
type Tag struct {
	Key   string
	Value string
}

// Account is an AWS account the center grants access to.
type Account struct {
	ID    string // 12 digits
	Name  string // 1..50
	Email string
	// RealAWS says the account is a real AWS account: the portal federates
	// into AWS sign-in for it instead of a simulated console.
	RealAWS     bool
	CreatedDate time.Time
}

// PrincipalType says whether an assignment's principal is a user or a group.
type PrincipalType string

// Principal types.
const (
	PrincipalUser  PrincipalType = "USER"
	PrincipalGroup PrincipalType = "GROUP"
)

// ProvisioningStatus is the state of an asynchronous operation (§2.5).
type ProvisioningStatus string

// Provisioning states.
const (
	StatusInProgress ProvisioningStatus = "IN_PROGRESS"
	StatusSucceeded  ProvisioningStatus = "SUCCEEDED"
	StatusFailed     ProvisioningStatus = "FAILED"
)

// TargetTypeAccount is the only TargetType of an assignment.
const TargetTypeAccount = "AWS_ACCOUNT"

// AccountAssignment grants a principal a permission set in an account.
// (AccountID, PermissionSetARN, PrincipalType, PrincipalID) identifies it.
type AccountAssignment struct {
	AccountID        string
	PermissionSetARN string
	PrincipalType    PrincipalType
	PrincipalID      string

	Status        ProvisioningStatus
	RequestID     string // lowercase UUID
	CreatedDate   time.Time
	FailureReason string
}

// Via says how a user reaches an account and permission set: directly
// (GroupID empty) or through a group.
type Via struct {
	GroupID          string
	GroupDisplayName string
}

// Direct reports whether the access is assigned to the user itself.
func (v Via) Direct() bool { return v.GroupID == "" }

// String is "direct" or "group <displayName> (<id>)".
func (v Via) String() string {
	if v.Direct() {
		return "direct"
	}
	return fmt.Sprintf("group %s (%s)", v.GroupDisplayName, v.GroupID)
}

// Access is one account and permission set a user can use, with every path
// that grants it: the direct assignment first, then groups by display name.
type Access struct {
	Account       *Account
	PermissionSet *PermissionSet
	Via           []Via
}

// AccessStore persists the access model. It is separate from Store so that
// a backend can implement the identity store alone; the SQL backend
// implements both on one value, and deleting a user or group through Store
// removes the principal's assignments in the same transaction.
type AccessStore interface {
	// CreatePermissionSet validates ps and stores a copy with AWS's defaults
	// (NormalizePermissionSet); ps itself is not changed. The caller sets ARN
	// and CreatedDate. ErrConflict if the name (compared case-insensitively)
	// or the ARN is taken.
	CreatePermissionSet(ctx context.Context, ps *PermissionSet) error
	GetPermissionSet(ctx context.Context, arn string) (*PermissionSet, error)
	// ListPermissionSets returns every permission set, by name.
	ListPermissionSets(ctx context.Context) ([]*PermissionSet, error)
	// UpdatePermissionSet runs fn on the stored permission set inside a
	// transaction, validates and stores the result. Name, ARN and
	// CreatedDate are immutable. fn may run more than once.
	UpdatePermissionSet(ctx context.Context, arn string, fn func(ps *PermissionSet) error) (*PermissionSet, error)
	// DeletePermissionSet refuses (ConflictError) while the permission set
	// is assigned anywhere, as AWS does.
	DeletePermissionSet(ctx context.Context, arn string) error

	// PutAccount validates and creates or replaces an account; a replaced
	// account keeps its CreatedDate.
	PutAccount(ctx context.Context, a *Account) error
	GetAccount(ctx context.Context, id string) (*Account, error)
	// ListAccounts returns every account, by name then id.
	ListAccounts(ctx context.Context) ([]*Account, error)
	// DeleteAccount removes the account and its assignments.
	DeleteAccount(ctx context.Context, id string) error

	// CreateAccountAssignment assigns a permission set in an account to a
	// principal and provisions it synchronously (see the package comment
	// above): the result is SUCCEEDED with a RequestID (drawn if a.RequestID
	// is empty) and CreatedDate (now if zero). It is idempotent: assigning
	// an existing tuple returns the existing assignment. ErrNotFound if the
	// account, permission set or principal does not exist.
	CreateAccountAssignment(ctx context.Context, a *AccountAssignment) (*AccountAssignment, error)
	// DeleteAccountAssignment removes the assignment identified by a's
	// tuple and returns its deletion status (SUCCEEDED, a new RequestID).
	// ErrNotFound if there is none.
	DeleteAccountAssignment(ctx context.Context, a *AccountAssignment) (*AccountAssignment, error)
	// AccountAssignmentByRequest returns the assignment created by the
	// request with that id (DescribeAccountAssignmentCreationStatus).
	AccountAssignmentByRequest(ctx context.Context, requestID string) (*AccountAssignment, error)
	// ListAccountAssignments returns the assignments of a permission set in
	// an account, by principal type then id.
	ListAccountAssignments(ctx context.Context, accountID, permissionSetARN string) ([]*AccountAssignment, error)
	// AssignmentsForPrincipal returns a principal's own assignments (not
	// those through groups), by account then permission set.
	AssignmentsForPrincipal(ctx context.Context, typ PrincipalType, principalID string) ([]*AccountAssignment, error)
	// EffectiveAccess returns every account and permission set the user
	// reaches directly or through the groups it is a member of, one entry
	// per pair, sorted by account name then permission set name.
	// ErrNotFound if the user does not exist.
	EffectiveAccess(ctx context.Context, userID string) ([]*Access, error)
}

// --- identifiers ---

// NewPermissionSetARN draws a permission set ARN in the instance, e.g.
// arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef.
func NewPermissionSetARN(instanceID string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return "arn:aws:sso:::permissionSet/" + instanceID + "/ps-" + hex.EncodeToString(b)
}

// NewRequestID draws the id of an asynchronous request: a lowercase UUID
// (version 4).
func NewRequestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Patterns from the sso-admin model (reference §2.2, §2.4).
var (
	reName            = regexp.MustCompile(`^[\w+=,.@-]+$`)
	reDescription     = regexp.MustCompile(`^[\x{0009}\x{000A}\x{000D}\x{0020}-\x{007E}\x{00A1}-\x{00FF}]*$`)
	rePermissionSet   = regexp.MustCompile(`^arn:aws(-[a-z]{1,5}){0,3}:sso:::permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}$`)
	reManagedPolicy   = regexp.MustCompile(`^arn:aws(-[a-z]{1,5}){0,3}:iam::aws:policy/([\w+=,.@-]+/)*[\w+=,.@-]+$`)
	rePolicyPath      = regexp.MustCompile(`^((/[A-Za-z0-9.,+@=_-]+)*)/$`)
	reTag             = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	reAccountID       = regexp.MustCompile(`^\d{12}$`)
	reAccountName     = regexp.MustCompile(`^[\x{0020}-\x{007E}]+$`)
	reEmail           = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)
	rePrincipalID     = regexp.MustCompile(`^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$`)
	reRequestID       = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	reInlineChars     = regexp.MustCompile(`^[\x{0009}\x{000A}\x{000D}\x{0020}-\x{00FF}]+$`)
	reISODuration     = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)
	reSid             = regexp.MustCompile(`^[A-Za-z0-9]*$`)
	reAction          = regexp.MustCompile(`^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)$`)
	patternName       = `[\w+=,.@-]+`
	patternDesc       = `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`
	patternTag        = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
	patternPolicyPath = `((/[A-Za-z0-9\.,\+@=_-]+)*)/`
)

// --- validation ---

// errs collects validation failures and reports them the way AWS does:
// "1 validation error detected: Value 'x y' at 'name' failed to satisfy
// constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+",
// several joined with "; ".
type errs []string

func (e *errs) add(value, field, constraint string) {
	*e = append(*e, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint))
}

func (e *errs) length(value, field string, min, max int) bool {
	n := utf8.RuneCountInString(value)
	switch {
	case n < min:
		e.add(value, field, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	case n > max:
		e.add(shorten(value), field, fmt.Sprintf("Member must have length less than or equal to %d", max))
	default:
		return true
	}
	return false
}

func (e *errs) pattern(value, field string, re *regexp.Regexp, pattern string) bool {
	if re.MatchString(value) {
		return true
	}
	e.add(shorten(value), field, "Member must satisfy regular expression pattern: "+pattern)
	return false
}

func (e errs) err() error {
	switch len(e) {
	case 0:
		return nil
	case 1:
		return Invalidf("1 validation error detected: %s", e[0])
	}
	return Invalidf("%d validation errors detected: %s", len(e), strings.Join(e, "; "))
}

// shorten keeps messages readable when a long value (a policy) is refused.
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= 64 {
		return s
	}
	r := []rune(s)
	return string(r[:61]) + "..."
}

// ValidatePermissionSetName checks a name: 1..32 characters of [\w+=,.@-].
func ValidatePermissionSetName(name string) error {
	var e errs
	e.name(name, "name", MaxPermissionSetName)
	return e.err()
}

func (e *errs) name(name, field string, max int) {
	if e.length(name, field, 1, max) {
		e.pattern(name, field, reName, patternName)
	}
}

// ParseSessionDuration parses an ISO-8601 duration (PnDTnHnMnS) and checks
// that it lies in PT1H..PT12H.
func ParseSessionDuration(s string) (time.Duration, error) {
	var e errs
	d := e.sessionDuration(s, "sessionDuration")
	return d, e.err()
}

func (e *errs) sessionDuration(s, field string) time.Duration {
	if !e.length(s, field, 1, 100) {
		return 0
	}
	m := reISODuration.FindStringSubmatch(s)
	if m == nil || s == "P" || strings.HasSuffix(s, "T") {
		e.add(s, field, "Member must be an ISO-8601 duration such as PT1H")
		return 0
	}
	var d time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.ParseInt(m[i+1], 10, 32)
		if err != nil || n > 1_000_000 { // far beyond PT12H in any unit; no overflow
			e.add(s, field, "Member must be between PT1H and PT12H")
			return 0
		}
		d += time.Duration(n) * unit
	}
	if d < MinSessionDuration || d > MaxSessionDuration {
		e.add(s, field, "Member must be between PT1H and PT12H")
		return 0
	}
	return d
}

// ValidateManagedPolicyARN checks an AWS managed policy ARN, such as
// arn:aws:iam::aws:policy/ReadOnlyAccess or
// arn:aws:iam::aws:policy/job-function/ViewOnlyAccess.
func ValidateManagedPolicyARN(arn string) error {
	var e errs
	e.managedPolicy(arn, "managedPolicyArn")
	return e.err()
}

func (e *errs) managedPolicy(arn, field string) {
	if e.length(arn, field, 20, MaxManagedPolicyARNChars) {
		e.pattern(arn, field, reManagedPolicy, `arn:aws:iam::aws:policy/[path/]name`)
	}
}

// ManagedPolicyName is the last segment of a managed policy ARN.
func ManagedPolicyName(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// ValidateCustomerManagedPolicyReference checks a reference; an empty Path
// means "/".
func ValidateCustomerManagedPolicyReference(r CustomerManagedPolicyReference) error {
	var e errs
	e.customerPolicy(r, "customerManagedPolicyReference")
	return e.err()
}

func (e *errs) customerPolicy(r CustomerManagedPolicyReference, field string) {
	e.name(r.Name, field+".name", MaxCustomerPolicyName)
	if r.Path != "" && e.length(r.Path, field+".path", 1, MaxCustomerPolicyPath) {
		e.pattern(r.Path, field+".path", rePolicyPath, patternPolicyPath)
	}
}

// ValidateTags checks a permission set's tags: at most 50, keys 1..128 and
// values ≤256 of AWS's tag characters, keys unique, no "aws:" prefix.
func ValidateTags(tags []Tag) error {
	var e errs
	e.tags(tags)
	return e.err()
}

func (e *errs) tags(tags []Tag) {
	if len(tags) > MaxTags {
		e.add(fmt.Sprintf("%d tags", len(tags)), "tags", fmt.Sprintf("Member must have length less than or equal to %d", MaxTags))
		return
	}
	seen := map[string]bool{}
	for i, t := range tags {
		field := fmt.Sprintf("tags.%d.member", i+1)
		if e.length(t.Key, field+".key", 1, MaxTagKey) && e.pattern(t.Key, field+".key", reTag, patternTag) {
			if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
				e.add(t.Key, field+".key", "Member must not begin with the reserved prefix aws:")
			}
			if seen[t.Key] {
				e.add(t.Key, field+".key", "Member must be unique among the tags")
			}
			seen[t.Key] = true
		}
		if e.length(t.Value, field+".value", 0, MaxTagValue) {
			e.pattern(t.Value, field+".value", reTag, patternTag)
		}
	}
}

// ValidateInlinePolicy checks an inline policy: at most 32,768 characters
// (10,240 not counting whitespace) of the allowed set, and a JSON IAM
// identity policy document: an optional Version (2012-10-17 or 2008-10-17)
// and Id, and one statement or a non-empty list of them, each with Effect
// Allow|Deny, exactly one of Action/NotAction, exactly one of
// Resource/NotResource, an optional Sid and Condition, and no Principal (a
// permission set's policy is attached to a role, not to a resource).
func ValidateInlinePolicy(doc string) error {
	var e errs
	e.inlinePolicy(doc, "inlinePolicy")
	return e.err()
}

func (e *errs) inlinePolicy(doc, field string) {
	if !e.length(doc, field, 1, MaxInlinePolicy) {
		return
	}
	if !reInlineChars.MatchString(doc) {
		e.add(shorten(doc), field, `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`)
		return
	}
	nonSpace := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			nonSpace++
		}
	}
	if nonSpace > MaxInlinePolicyNonSpace {
		e.add(shorten(doc), field, fmt.Sprintf("Member must have at most %d characters other than whitespace", MaxInlinePolicyNonSpace))
		return
	}
	if msg := policyProblem(doc); msg != "" {
		e.add(shorten(doc), field, "Member must be a valid IAM policy document: "+msg)
	}
}

// policyProblem returns what is wrong with an IAM policy document, or "".
func policyProblem(doc string) string {
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &top); err != nil {
		return "not a JSON object: " + jsonProblem(doc, err)
	}
	for k, v := range top {
		switch k {
		case "Version":
			var s string
			if json.Unmarshal(v, &s) != nil || (s != "2012-10-17" && s != "2008-10-17") {
				return "Version must be 2012-10-17 or 2008-10-17"
			}
		case "Id":
			var s string
			if json.Unmarshal(v, &s) != nil {
				return "Id must be a string"
			}
		case "Statement":
		default:
			return fmt.Sprintf("unknown element %s", k)
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return "missing Statement"
	}
	var stmts []map[string]json.RawMessage
	if len(raw) > 0 && raw[0] == '[' {
		if err := json.Unmarshal(raw, &stmts); err != nil {
			return "Statement must be an object or a list of objects"
		}
	} else {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw, &one); err != nil || one == nil {
			return "Statement must be an object or a list of objects"
		}
		stmts = []map[string]json.RawMessage{one}
	}
	if len(stmts) == 0 {
		return "Statement must not be empty"
	}
	for i, st := range stmts {
		if msg := statementProblem(st); msg != "" {
			return fmt.Sprintf("Statement %d: %s", i+1, msg)
		}
	}
	return ""
}

// jsonProblem says why doc is not a JSON object and, for a syntax error,
// where: "invalid character '}' looking for beginning of object key string
// at line 3, column 14", so the author finds the place in an editor.
func jsonProblem(doc string, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		// Offset counts the bytes read, the offending one included (at the
		// end of the input, the last one).
		line, col := textPosition(doc, int(se.Offset)-1)
		return fmt.Sprintf("%s at line %d, column %d", se.Error(), line, col)
	case errors.As(err, &te):
		return "found a JSON " + te.Value
	}
	return err.Error()
}

// textPosition is the 1-based line and column (in characters) of the byte
// at offset i of s.
func textPosition(s string, i int) (line, col int) {
	i = max(0, min(i, len(s)))
	before := s[:i]
	line = strings.Count(before, "\n") + 1
	col = utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	return line, col
}

func statementProblem(st map[string]json.RawMessage) string {
	if st == nil {
		return "must be an object"
	}
	for k := range st {
		switch k {
		case "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition":
		case "Principal", "NotPrincipal":
			return k + " is not allowed in a permission set's inline policy"
		default:
			return "unknown element " + k
		}
	}
	if v, ok := st["Sid"]; ok {
		var s string
		if json.Unmarshal(v, &s) != nil || !reSid.MatchString(s) {
			return "Sid must be a string of letters and digits"
		}
	}
	var effect string
	if v, ok := st["Effect"]; !ok || json.Unmarshal(v, &effect) != nil || (effect != "Allow" && effect != "Deny") {
		return "Effect must be Allow or Deny"
	}
	if msg := onlyOne(st, "Action", "NotAction", func(s string) bool { return reAction.MatchString(s) }); msg != "" {
		return msg
	}
	if msg := onlyOne(st, "Resource", "NotResource", func(s string) bool {
		return s == "*" || strings.HasPrefix(s, "arn:")
	}); msg != "" {
		return msg
	}
	if v, ok := st["Condition"]; ok {
		var c map[string]map[string]json.RawMessage
		if json.Unmarshal(v, &c) != nil || len(c) == 0 {
			return "Condition must map operators to objects of condition keys"
		}
	}
	return ""
}

// onlyOne checks that exactly one of a and b is present and is a string or
// a non-empty list of strings that all satisfy ok.
func onlyOne(st map[string]json.RawMessage, a, b string, ok func(string) bool) string {
	va, hasA := st[a]
	vb, hasB := st[b]
	if hasA == hasB {
		return fmt.Sprintf("exactly one of %s and %s is required", a, b)
	}
	key, v := a, va
	if hasB {
		key, v = b, vb
	}
	var list []string
	var one string
	if json.Unmarshal(v, &one) == nil {
		list = []string{one}
	} else if json.Unmarshal(v, &list) != nil || len(list) == 0 {
		return key + " must be a string or a non-empty list of strings"
	}
	for _, s := range list {
		if !ok(s) {
			return fmt.Sprintf("%s %q is not valid", key, s)
		}
	}
	return ""
}

// ValidatePermissionsBoundary checks that exactly one kind of boundary is
// set and is valid.
func ValidatePermissionsBoundary(b *PermissionsBoundary) error {
	var e errs
	e.boundary(b)
	return e.err()
}

func (e *errs) boundary(b *PermissionsBoundary) {
	if b == nil {
		return
	}
	switch {
	case b.ManagedPolicyArn != "" && b.CustomerManagedPolicyReference != nil,
		b.ManagedPolicyArn == "" && b.CustomerManagedPolicyReference == nil:
		e.add(b.ManagedPolicyArn, "permissionsBoundary",
			"Member must set exactly one of managedPolicyArn and customerManagedPolicyReference")
	case b.CustomerManagedPolicyReference != nil:
		e.customerPolicy(*b.CustomerManagedPolicyReference, "permissionsBoundary.customerManagedPolicyReference")
	default:
		e.managedPolicy(b.ManagedPolicyArn, "permissionsBoundary.managedPolicyArn")
	}
}

// ValidatePermissionSetARN checks the format of a permission set ARN.
func ValidatePermissionSetARN(arn string) error {
	var e errs
	e.pattern(arn, "permissionSetArn", rePermissionSet,
		`arn:aws:sso:::permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}`)
	return e.err()
}

// ValidatePermissionSet checks every field of ps. It does not change ps;
// see NormalizePermissionSet for the defaults.
func ValidatePermissionSet(ps *PermissionSet) error {
	var e errs
	e.pattern(ps.ARN, "permissionSetArn", rePermissionSet,
		`arn:aws:sso:::permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}`)
	e.name(ps.Name, "name", MaxPermissionSetName)
	if ps.Description != "" && e.length(ps.Description, "description", 1, MaxDescription) {
		e.pattern(ps.Description, "description", reDescription, patternDesc)
	}
	if ps.SessionDuration != "" {
		e.sessionDuration(ps.SessionDuration, "sessionDuration")
	}
	if ps.RelayState != "" && e.length(ps.RelayState, "relayState", 1, MaxRelayState) {
		u, err := url.Parse(ps.RelayState)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			e.add(ps.RelayState, "relayState", "Member must be an absolute http or https URL")
		}
	}
	if n := len(ps.ManagedPolicies) + len(ps.CustomerManagedPolicies); n > MaxAttachedPolicies {
		e.add(fmt.Sprintf("%d policies", n), "managedPolicies",
			fmt.Sprintf("Member must have at most %d managed and customer managed policies together", MaxAttachedPolicies))
	}
	seen := map[string]bool{}
	for i, arn := range ps.ManagedPolicies {
		field := fmt.Sprintf("managedPolicies.%d.member", i+1)
		e.managedPolicy(arn, field)
		if seen[arn] {
			e.add(arn, field, "Member must be attached only once")
		}
		seen[arn] = true
	}
	for i, r := range ps.CustomerManagedPolicies {
		field := fmt.Sprintf("customerManagedPolicies.%d.member", i+1)
		e.customerPolicy(r, field)
		key := policyPath(r.Path) + r.Name
		if seen[key] {
			e.add(key, field, "Member must be attached only once")
		}
		seen[key] = true
	}
	if ps.InlinePolicy != "" {
		e.inlinePolicy(ps.InlinePolicy, "inlinePolicy")
	}
	e.boundary(ps.PermissionsBoundary)
	e.tags(ps.Tags)
	return e.err()
}

func policyPath(p string) string {
	if p == "" {
		return DefaultPolicyPath
	}
	return p
}

// NormalizePermissionSet fills the defaults AWS fills: SessionDuration PT1H
// and customer managed policy paths "/".
func NormalizePermissionSet(ps *PermissionSet) {
	if ps.SessionDuration == "" {
		ps.SessionDuration = DefaultSessionDuration
	}
	for i := range ps.CustomerManagedPolicies {
		ps.CustomerManagedPolicies[i].Path = policyPath(ps.CustomerManagedPolicies[i].Path)
	}
	if b := ps.PermissionsBoundary; b != nil && b.CustomerManagedPolicyReference != nil {
		b.CustomerManagedPolicyReference.Path = policyPath(b.CustomerManagedPolicyReference.Path)
	}
}

// ValidateAccount checks an account: a 12-digit id, a name of 1..50
// printable ASCII characters, and an email address (6..64).
func ValidateAccount(a *Account) error {
	var e errs
	e.pattern(a.ID, "accountId", reAccountID, `\d{12}`)
	if e.length(a.Name, "name", 1, MaxAccountName) {
		e.pattern(a.Name, "name", reAccountName, `[\u0020-\u007E]+`)
	}
	if e.length(a.Email, "email", 6, 64) {
		e.pattern(a.Email, "email", reEmail, `[^\s@]+@[^\s@]+\.[^\s@]+`)
	}
	return e.err()
}

// ValidateAccountAssignment checks the tuple of an assignment (and its
// RequestID when set): TargetId 12 digits, a permission set ARN, PrincipalType
// USER or GROUP and a principal id in the Identity Store's format.
func ValidateAccountAssignment(a *AccountAssignment) error {
	var e errs
	e.pattern(a.AccountID, "targetId", reAccountID, `\d{12}`)
	e.pattern(a.PermissionSetARN, "permissionSetArn", rePermissionSet,
		`arn:aws:sso:::permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}`)
	if a.PrincipalType != PrincipalUser && a.PrincipalType != PrincipalGroup {
		e.add(string(a.PrincipalType), "principalType", "Member must satisfy enum value set: [USER, GROUP]")
	}
	if e.length(a.PrincipalID, "principalId", 1, 47) {
		e.pattern(a.PrincipalID, "principalId", rePrincipalID,
			`([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}`)
	}
	if a.RequestID != "" {
		e.pattern(a.RequestID, "requestId", reRequestID, `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	}
	return e.err()
}
