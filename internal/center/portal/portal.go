package portal

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/samlsp"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// Paths of the portal on the center's listener.
const (
	StartPath    = samlsp.StartPath // GET: the portal; without a session, sign-in
	SessionPath  = "/start/session" // POST: open an account session
	ConsolePath  = "/start/console" // POST: open one and federate into the AWS console
	SessionsPath = "/start/sessions"
	LogoutPath   = "/start/logout"
)

// Messages shown to users.
const (
	MsgAccessRemoved = "Your access has been removed; ask your administrator."
	MsgNoAccess      = "You do not have access to that permission set in that account (any more). Reload the portal to see what you can use."
	MsgCSRF          = "The form has expired or did not come from this portal. Go back to the portal and try again."
	msgInternal      = "Something went wrong on our side. Try again later."
)

const maxFormBytes = 16 << 10

// Store is the center's identity and access model.
type Store interface {
	center.Store
	center.AccessStore
}

// ConsoleSignIn is what a federated sign-in to the AWS console for an
// account session carries (SAML attributes of AWS sign-in).
type ConsoleSignIn struct {
	Session       *AccountSession
	User          *scim.User
	Account       *center.Account
	PermissionSet *center.PermissionSet
	// RoleAttribute is the https://aws.amazon.com/SAML/Attributes/Role
	// value, "role-arn,provider-arn".
	RoleAttribute string
	// RoleSessionName is the userName, as Identity Center names sessions.
	RoleSessionName string
	// SessionDuration is the permission set's, in seconds.
	SessionDuration int
	// PrincipalTags become https://aws.amazon.com/SAML/Attributes/PrincipalTag:<key>.
	PrincipalTags map[string]string
	// RelayState is the permission set's RelayState (the console page to
	// open), or empty for the console home.
	RelayState string
}

// ConsoleFederator signs a user in to the AWS console: typically it answers
// with a form that posts a signed SAML response to
// https://signin.aws.amazon.com/saml. It needs an IdP signing key whose
// metadata the member account's SAML provider holds (export-iam).
// *Handler implements it with the center's own IdP (CenterIdP).
type ConsoleFederator interface {
	FederateConsole(w http.ResponseWriter, r *http.Request, in *ConsoleSignIn) error
}

// Handler is the access portal. Its fields are its dependencies.
type Handler struct {
	Store    Store
	Sessions SessionStore
	SP       *samlsp.SP
	Now      func() time.Time
	Logger   *slog.Logger
	// IdPCerts and Box give the center its own SAML IdP toward AWS
	// sign-in (CenterIdP): its signing certificate, created on first use
	// with the private key sealed by Box, and its metadata at
	// GET /saml/idp/metadata. With both set, the "Management console"
	// action of accounts marked RealAWS posts a signed SAML Response to
	// https://signin.aws.amazon.com/saml (Handler.FederateConsole).
	IdPCerts IdPCertStore
	Box      *secret.Box
	// Console, if set, federates into the AWS console instead of the
	// Handler's own FederateConsole. With neither, the "Management
	// console" action opens the account session and shows the federation
	// it would perform.
	Console ConsoleFederator
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// Mount registers the portal's routes on mux, and the center's IdP
// metadata (GET /saml/idp/metadata, 404 without IdPCerts and Box). The
// SP's routes (/saml/metadata, /saml/acs) are mounted separately by
// SP.Mount.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.Handle("GET "+StartPath, h.wrap(h.getStart))
	mux.Handle("POST "+SessionPath, h.wrap(h.postSession))
	mux.Handle("POST "+ConsolePath, h.wrap(h.postConsole))
	mux.Handle("GET "+SessionsPath, h.wrap(h.getSessions))
	mux.Handle("POST "+LogoutPath, h.wrap(h.postLogout))
	mux.HandleFunc("GET "+IdPMetadataPath, h.getIdPMetadata)
}

// pageCSP allows the pages' inline styles and forms posted to this
// origin or to AWS sign-in (the management console federation).
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https://signin.aws.amazon.com; frame-ancestors 'none'; base-uri 'none'"

func (h *Handler) wrap(fn http.HandlerFunc) http.Handler {
	return web.FormPages(pageCSP, maxFormBytes, func(w http.ResponseWriter) {
		h.message(w, http.StatusBadRequest, "Bad request", "The form could not be read.")
	}, fn)
}

// visitor is a signed-in, still active user.
type visitor struct {
	session *samlsp.Session
	cookie  string
	user    *scim.User
	csrf    string
}

// csrfToken derives a portal session's CSRF token from its cookie secret:
// only the browser holding the cookie can know it, and every node derives
// the same token without storing it.
func csrfToken(cookie string) string {
	h := sha256.Sum256([]byte("gatehouse portal csrf v1\x00" + cookie))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// visitor returns the request's session and user. With no session it
// returns (nil, nil). If the session's user is no longer provisioned or is
// disabled, it ends the user's sessions, answers 403 and returns an error.
func (h *Handler) visitor(w http.ResponseWriter, r *http.Request) (*visitor, error) {
	se, err := h.SP.CurrentSession(r)
	if errors.Is(err, samlsp.ErrNotFound) {
		return nil, h.endedSession(w, r)
	}
	if err != nil {
		h.internal(w, "portal session", err)
		return nil, err
	}
	c, _ := r.Cookie(samlsp.CookieName)
	u, err := h.Store.GetUser(r.Context(), se.UserID)
	switch {
	case errors.Is(err, center.ErrNotFound) || err == nil && !bool(u.Active):
		h.log().Warn("portal: user no longer active; ending sessions", "user", se.UserID)
		if rerr := h.RevokeUser(r.Context(), se.UserID); rerr != nil {
			h.log().Error("portal: revoke", "user", se.UserID, "err", rerr)
		}
		h.message(w, http.StatusForbidden, "Access removed", MsgAccessRemoved)
		return nil, errors.New("user not active")
	case err != nil:
		h.internal(w, "portal user", err)
		return nil, err
	}
	return &visitor{session: se, cookie: c.Value, user: u, csrf: csrfToken(c.Value)}, nil
}

// endedSession handles a cookie whose session has ended: if it was ended
// because its user left (disabled or deleted), the visitor is told so at
// once (403) instead of being sent to sign in again, and an error returned.
func (h *Handler) endedSession(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(samlsp.CookieName)
	if err != nil || c.Value == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(c.Value))
	se, err := h.SP.Store.PortalSession(r.Context(), hex.EncodeToString(sum[:]))
	if err != nil {
		return nil // unknown or unreadable: a fresh sign-in decides
	}
	u, err := h.Store.GetUser(r.Context(), se.UserID)
	if errors.Is(err, center.ErrNotFound) || err == nil && !bool(u.Active) {
		h.message(w, http.StatusForbidden, "Access removed", MsgAccessRemoved)
		return errors.New("user not active")
	}
	return nil
}

func (v *visitor) checkCSRF(r *http.Request) bool {
	got := r.PostForm.Get("csrf")
	return len(got) == len(v.csrf) && subtle.ConstantTimeCompare([]byte(got), []byte(v.csrf)) == 1
}

// --- GET /start ---

type accountView struct {
	Account *center.Account
	Sets    []setView
}

type setView struct {
	PS       *center.PermissionSet
	Duration string
	Via      string
}

func (h *Handler) getStart(w http.ResponseWriter, r *http.Request) {
	v, err := h.visitor(w, r)
	if err != nil {
		return
	}
	if v == nil {
		// SP-initiated sign-in at the identity source; back to /start.
		h.SP.Begin(w, r, StartPath)
		return
	}
	access, err := h.Store.EffectiveAccess(r.Context(), v.user.ID)
	if err != nil {
		h.internal(w, "effective access", err)
		return
	}
	var accounts []*accountView
	byID := map[string]*accountView{}
	for _, a := range access {
		av := byID[a.Account.ID]
		if av == nil {
			av = &accountView{Account: a.Account}
			byID[a.Account.ID] = av
			accounts = append(accounts, av)
		}
		av.Sets = append(av.Sets, setView{PS: a.PermissionSet, Duration: durationText(a.PermissionSet), Via: viaText(a.Via)})
	}
	h.render(w, http.StatusOK, "start", &page{Title: "AWS access portal", User: v.user, CSRF: v.csrf, Accounts: accounts})
}

func durationText(ps *center.PermissionSet) string {
	sd := ps.SessionDuration
	if sd == "" {
		sd = center.DefaultSessionDuration
	}
	d, err := center.ParseSessionDuration(sd)
	if err != nil {
		return sd
	}
	return humanDuration(d)
}

func humanDuration(d time.Duration) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	out := ""
	switch {
	case h == 1:
		out = "1 hour"
	case h > 1:
		out = fmt.Sprintf("%d hours", h)
	}
	if m > 0 {
		if out != "" {
			out += " "
		}
		out += fmt.Sprintf("%d minutes", m)
	}
	return out
}

func viaText(vias []center.Via) string {
	s := ""
	for i, v := range vias {
		if i > 0 {
			s += ", "
		}
		if v.Direct() {
			s += "assigned to you"
		} else {
			s += "group " + v.GroupDisplayName
		}
	}
	return s
}

// --- POST /start/session and /start/console ---

// open checks the form and the user's access and opens an account session.
// It answers the refusals itself and then returns nil.
func (h *Handler) open(w http.ResponseWriter, r *http.Request) (*visitor, *center.Access, *AccountSession) {
	v, err := h.visitor(w, r)
	if err != nil {
		return nil, nil, nil
	}
	if v == nil {
		h.message(w, http.StatusUnauthorized, "Not signed in", "Your portal session has ended. Sign in again at the portal.")
		return nil, nil, nil
	}
	if !v.checkCSRF(r) {
		h.log().Warn("portal: CSRF token missing or wrong", "user", v.user.ID, "remote", r.RemoteAddr)
		h.message(w, http.StatusForbidden, "Request refused", MsgCSRF)
		return nil, nil, nil
	}
	accountID, psARN := r.PostForm.Get("account_id"), r.PostForm.Get("permission_set_arn")
	access, err := h.Store.EffectiveAccess(r.Context(), v.user.ID)
	if err != nil {
		h.internal(w, "effective access", err)
		return nil, nil, nil
	}
	var grant *center.Access
	for _, a := range access {
		if a.Account.ID == accountID && a.PermissionSet.ARN == psARN {
			grant = a
		}
	}
	if grant == nil {
		h.log().Warn("portal: access refused", "user", v.user.ID, "account", accountID, "permission_set", psARN)
		h.message(w, http.StatusForbidden, "Access refused", MsgNoAccess)
		return nil, nil, nil
	}
	as, err := h.OpenSession(r.Context(), v.session, grant)
	if err != nil {
		h.internal(w, "open account session", err)
		return nil, nil, nil
	}
	h.log().Info("portal: account session opened", "user", v.user.ID, "account", accountID,
		"permission_set", grant.PermissionSet.Name, "expires", as.Expires)
	return v, grant, as
}

// OpenSession opens an account session for grant from the portal session
// se: it lasts the permission set's SessionDuration and carries se's tags.
// The caller has checked that the user has grant. The returned value's ID
// is the only copy of the session's identifier.
func (h *Handler) OpenSession(ctx context.Context, se *samlsp.Session, grant *center.Access) (*AccountSession, error) {
	sd := grant.PermissionSet.SessionDuration
	if sd == "" {
		sd = center.DefaultSessionDuration
	}
	d, err := center.ParseSessionDuration(sd)
	if err != nil {
		return nil, fmt.Errorf("permission set %s: %w", grant.PermissionSet.Name, err)
	}
	b := make([]byte, 32)
	rand.Read(b)
	id := base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(id))
	tags := map[string]string{}
	for k, v := range se.Tags {
		tags[k] = v
	}
	now := h.now()
	as := &AccountSession{
		ID: id, IDHash: hex.EncodeToString(sum[:]), PortalSessionHash: se.IDHash, UserID: se.UserID,
		AccountID: grant.Account.ID, PermissionSetARN: grant.PermissionSet.ARN, RoleName: RoleName(grant.PermissionSet),
		Tags: tags, Created: now, Expires: now.Add(d),
	}
	if err := h.Sessions.CreateAccountSession(ctx, as); err != nil {
		return nil, err
	}
	return as, nil
}

func (h *Handler) postSession(w http.ResponseWriter, r *http.Request) {
	v, grant, as := h.open(w, r)
	if as == nil {
		return
	}
	h.render(w, http.StatusOK, "opened", &page{
		Title: fmt.Sprintf("Signed in to %s as %s until %s", grant.Account.Name, grant.PermissionSet.Name, fmtTime(as.Expires)),
		User:  v.user, CSRF: v.csrf, Opened: sessionView(as, grant.Account, grant.PermissionSet),
	})
}

var reSessionName = regexp.MustCompile(`[^\w+=,.@-]`)

func (h *Handler) postConsole(w http.ResponseWriter, r *http.Request) {
	v, grant, as := h.open(w, r)
	if as == nil {
		return
	}
	if !grant.Account.RealAWS {
		h.message(w, http.StatusBadRequest, "Not an AWS account",
			"This account is simulated by the center and has no AWS console; the account session was opened.")
		return
	}
	sd, _ := center.ParseSessionDuration(orDefault(grant.PermissionSet.SessionDuration))
	name := reSessionName.ReplaceAllString(v.user.UserName, "_")
	if len(name) > 64 {
		name = name[:64]
	}
	in := &ConsoleSignIn{
		Session: as, User: v.user, Account: grant.Account, PermissionSet: grant.PermissionSet,
		RoleAttribute: RoleAttribute(grant.Account.ID, grant.PermissionSet), RoleSessionName: name,
		SessionDuration: int(sd.Seconds()), PrincipalTags: as.Tags, RelayState: grant.PermissionSet.RelayState,
	}
	fed := h.Console
	if fed == nil && h.idp() != nil {
		fed = h
	}
	if fed != nil {
		if err := fed.FederateConsole(w, r, in); err != nil {
			h.internal(w, "console federation", err)
		}
		return
	}
	h.render(w, http.StatusOK, "console", &page{
		Title: "AWS console sign-in is not set up", User: v.user, CSRF: v.csrf,
		Opened: sessionView(as, grant.Account, grant.PermissionSet), Console: in,
	})
}

func orDefault(sd string) string {
	if sd == "" {
		return center.DefaultSessionDuration
	}
	return sd
}

// --- GET /start/sessions ---

type sessionRow struct {
	AccountName, AccountID, PermissionSet, RoleName string
	Created, Expires                                string
	Tags                                            []tagView
	Ref                                             string
}

type tagView struct{ Key, Value string }

func sessionView(as *AccountSession, acc *center.Account, ps *center.PermissionSet) *sessionRow {
	row := &sessionRow{AccountID: as.AccountID, RoleName: as.RoleName, Created: fmtTime(as.Created),
		Expires: fmtTime(as.Expires), Ref: as.IDHash[:12], PermissionSet: as.PermissionSetARN, AccountName: as.AccountID}
	if acc != nil {
		row.AccountName = acc.Name
	}
	if ps != nil {
		row.PermissionSet = ps.Name
	}
	for k, v := range as.Tags {
		row.Tags = append(row.Tags, tagView{k, v})
	}
	sort.Slice(row.Tags, func(i, j int) bool { return row.Tags[i].Key < row.Tags[j].Key })
	return row
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func (h *Handler) getSessions(w http.ResponseWriter, r *http.Request) {
	v, err := h.visitor(w, r)
	if err != nil {
		return
	}
	if v == nil {
		h.SP.Begin(w, r, SessionsPath)
		return
	}
	all, err := h.Sessions.AccountSessions(r.Context(), v.user.ID)
	if err != nil {
		h.internal(w, "account sessions", err)
		return
	}
	now := h.now()
	var rows []*sessionRow
	accounts := map[string]*center.Account{}
	sets := map[string]*center.PermissionSet{}
	for _, as := range all {
		if !as.Active(now) {
			continue
		}
		acc, ok := accounts[as.AccountID]
		if !ok {
			acc, _ = h.Store.GetAccount(r.Context(), as.AccountID) // nil if deleted since
			accounts[as.AccountID] = acc
		}
		ps, ok := sets[as.PermissionSetARN]
		if !ok {
			ps, _ = h.Store.GetPermissionSet(r.Context(), as.PermissionSetARN)
			sets[as.PermissionSetARN] = ps
		}
		rows = append(rows, sessionView(as, acc, ps))
	}
	h.render(w, http.StatusOK, "sessions", &page{Title: "Your active sessions", User: v.user, CSRF: v.csrf, Sessions: rows})
}

// --- POST /start/logout ---

func (h *Handler) postLogout(w http.ResponseWriter, r *http.Request) {
	se, err := h.SP.CurrentSession(r)
	if errors.Is(err, samlsp.ErrNotFound) {
		h.message(w, http.StatusOK, "Signed out", "You are signed out.")
		return
	}
	if err != nil {
		h.internal(w, "portal session", err)
		return
	}
	c, _ := r.Cookie(samlsp.CookieName)
	v := &visitor{session: se, cookie: c.Value, csrf: csrfToken(c.Value)}
	if !v.checkCSRF(r) {
		h.log().Warn("portal logout: CSRF token missing or wrong", "user", se.UserID, "remote", r.RemoteAddr)
		h.message(w, http.StatusForbidden, "Request refused", MsgCSRF)
		return
	}
	n, err := h.Sessions.RevokePortalAccountSessions(r.Context(), se.IDHash, h.now())
	if err != nil {
		h.internal(w, "revoke account sessions", err)
		return
	}
	if err := h.SP.SignOut(w, r); err != nil {
		h.internal(w, "sign out", err)
		return
	}
	h.log().Info("portal: signed out", "user", se.UserID, "account_sessions", n)
	h.message(w, http.StatusOK, "Signed out", "You are signed out, and the account sessions you opened from this portal session have ended.")
}

// --- leavers ---

// RevokeUser ends every account session and every portal session of a
// user at once: call it when a user leaves (deactivated or deleted).
func (h *Handler) RevokeUser(ctx context.Context, userID string) error {
	n, err := h.Sessions.RevokeUserAccountSessions(ctx, userID, h.now())
	if err != nil {
		return fmt.Errorf("revoke account sessions of %s: %w", userID, err)
	}
	h.log().Info("portal: account sessions revoked", "user", userID, "count", n)
	return h.SP.RevokeUser(ctx, userID)
}

// OnUserChange has the signature of scimserver.Handler.OnUserChange: it
// ends the sessions of a user who was deactivated or deleted. Use it in
// place of SP.OnUserChange; it calls SP.RevokeUser too.
func (h *Handler) OnUserChange(ctx context.Context, userID string, active bool) {
	if active {
		return
	}
	if err := h.RevokeUser(ctx, userID); err != nil {
		h.log().Error("portal: revoke sessions", "user", userID, "err", err)
	}
}

// RevokeLostAccess ends the user's account sessions whose account and
// permission set the user no longer has (a membership ended: a mover, or an
// expired just-in-time activation), leaving the others running.
func (h *Handler) RevokeLostAccess(ctx context.Context, userID string) error {
	sessions, err := h.Sessions.AccountSessions(ctx, userID)
	if err != nil {
		return err
	}
	now := h.now()
	var live []*AccountSession
	for _, s := range sessions {
		if s.Active(now) {
			live = append(live, s)
		}
	}
	if len(live) == 0 {
		return nil
	}
	access, err := h.Store.EffectiveAccess(ctx, userID)
	if errors.Is(err, center.ErrNotFound) {
		return h.RevokeUser(ctx, userID)
	}
	if err != nil {
		return err
	}
	granted := map[string]bool{}
	for _, a := range access {
		granted[a.Account.ID+"|"+a.PermissionSet.ARN] = true
	}
	for _, s := range live {
		if granted[s.AccountID+"|"+s.PermissionSetARN] {
			continue
		}
		if err := h.Sessions.RevokeAccountSession(ctx, s.IDHash, now); err != nil {
			return err
		}
		h.log().Info("portal: account session ended, access removed", "user", userID, "account", s.AccountID,
			"permission_set", s.PermissionSetARN)
	}
	return nil
}

// OnMembersRemoved has the signature of scimserver.Handler.OnMembersRemoved:
// users removed from a group (or whose group was deleted) lose the access
// the group granted, and their sessions for it end at once.
func (h *Handler) OnMembersRemoved(ctx context.Context, userIDs []string) {
	for _, id := range userIDs {
		if err := h.RevokeLostAccess(ctx, id); err != nil {
			h.log().Error("portal: revoke lost access", "user", id, "err", err)
		}
	}
}

// OnAssignmentRemoved is called after an account assignment was deleted
// (from the console or the AWS API): the principal's users (the group's
// members, for a group) lose the account and permission set unless another
// assignment still grants it, and their sessions for it end at once.
func (h *Handler) OnAssignmentRemoved(ctx context.Context, principalType center.PrincipalType, principalID string) {
	users := []string{principalID}
	if principalType == center.PrincipalGroup {
		ids, err := center.GroupMemberIDs(ctx, h.Store, principalID)
		if err != nil {
			h.log().Error("portal: list group members", "group", principalID, "err", err)
			return
		}
		users = ids
	}
	h.OnMembersRemoved(ctx, users)
}

func (h *Handler) internal(w http.ResponseWriter, what string, err error) {
	h.log().Error("portal: "+what, "err", err)
	h.message(w, http.StatusInternalServerError, "Error", msgInternal)
}
