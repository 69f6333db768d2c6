package breakglass

import (
	"bytes"
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
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/portal"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// Paths on the center's listener, beside the access portal at /start.
const (
	Path        = "/start/break-glass"         // GET: form or emergency portal; POST: sign in
	SessionPath = "/start/break-glass/session" // POST: open an account session
	LogoutPath  = "/start/break-glass/logout"  // POST: sign out

	// CookieName is the emergency session cookie; CSRFCookieName the
	// sign-in form's CSRF cookie. Both are limited to Path.
	CookieName     = "gh_breakglass"
	CSRFCookieName = "gh_bg_csrf"
)

// Messages shown to users.
const (
	MsgRefused  = "Sign-in refused: the username, password or one-time code is wrong, the code was already used, or the account is locked."
	MsgCSRF     = "The form has expired or did not come from this page. Reload it and try again."
	MsgNoGrant  = "This emergency account may not use that permission set in that account."
	msgInternal = "Something went wrong on our side. Try again later."
)

const maxFormBytes = 16 << 10

// AccessReader is what the handler reads of the center's access model.
type AccessReader interface {
	GetAccount(ctx context.Context, id string) (*center.Account, error)
	GetPermissionSet(ctx context.Context, arn string) (*center.PermissionSet, error)
}

// Handler serves emergency sign-in and the emergency portal. Its fields are
// its dependencies; none of them is the identity source.
type Handler struct {
	Store    Store
	Access   AccessReader
	Sessions portal.SessionStore
	Box      *secret.Box
	// Hasher bounds concurrent password hashes (default: NewHasher(0)).
	Hasher *Hasher
	// Audit receives a KindUse record for every attempt (default: discard).
	Audit audit.Appender
	// CenterURL decides the Secure attribute of cookies (https://...).
	CenterURL string
	Now       func() time.Time
	Logger    *slog.Logger
	// SessionDuration defaults to SessionDuration (1 hour).
	SessionDuration time.Duration
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

func (h *Handler) hasher() *Hasher {
	if h.Hasher == nil {
		h.Hasher = NewHasher(0)
	}
	return h.Hasher
}

func (h *Handler) audit() audit.Appender {
	if h.Audit != nil {
		return h.Audit
	}
	return audit.Discard
}

// Mount registers the emergency sign-in and portal routes on mux. Call
// Hasher-free construction only before serving (Hasher is set lazily).
func (h *Handler) Mount(mux *http.ServeMux) {
	h.hasher()
	mux.Handle("GET "+Path, h.wrap(h.get))
	mux.Handle("POST "+Path, h.wrap(h.postSignIn))
	mux.Handle("POST "+SessionPath, h.wrap(h.postSession))
	mux.Handle("POST "+LogoutPath, h.wrap(h.postLogout))
}

// pageCSP allows the pages' inline styles and forms posted to this
// origin only.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (h *Handler) wrap(fn http.HandlerFunc) http.Handler {
	return web.FormPages(pageCSP, maxFormBytes, func(w http.ResponseWriter) {
		h.message(w, http.StatusBadRequest, "Bad request", "The form could not be read.", nil)
	}, fn)
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashID(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// csrfFor derives a form's CSRF token from a cookie's secret (the form
// cookie before sign-in, the session cookie after): only the browser that
// holds the cookie can know it.
func csrfFor(label, cookie string) string {
	sum := sha256.Sum256([]byte("gatehouse breakglass " + label + " csrf v1\x00" + cookie))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func sameToken(got, want string) bool {
	return len(got) == len(want) && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func (h *Handler) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(h.CenterURL, "https://")
}

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string, expires time.Time, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Path, Expires: expires, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: h.secure(r)})
}

// --- sessions ---

// visitor is a signed-in emergency account.
type visitor struct {
	session *Session
	account *Account
	csrf    string
}

// current returns the request's active session and its account, or nil
// when there is none (or its account was removed).
func (h *Handler) current(r *http.Request) (*visitor, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	se, err := h.Store.BreakGlassSession(r.Context(), hashID(c.Value))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !se.Active(h.now()) {
		return nil, nil
	}
	a, err := h.Store.BreakGlassAccountByID(r.Context(), se.AccountID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &visitor{session: se, account: a, csrf: csrfFor("session", c.Value)}, nil
}

// --- GET /start/break-glass ---

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	v, err := h.current(r)
	if err != nil {
		h.internal(w, "session", err)
		return
	}
	if v == nil {
		h.form(w, r, http.StatusOK, "")
		return
	}
	h.home(w, r, v)
}

// form shows the sign-in form with a fresh CSRF cookie unless the browser
// already has one.
func (h *Handler) form(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	fc := ""
	if c, err := r.Cookie(CSRFCookieName); err == nil && len(c.Value) >= 32 {
		fc = c.Value
	} else {
		fc = randomToken()
		h.setCookie(w, r, CSRFCookieName, fc, time.Time{}, int(time.Hour/time.Second))
	}
	h.render(w, status, "signin", &page{Title: "Emergency sign-in", CSRF: csrfFor("form", fc), Error: errMsg})
}

type grantView struct {
	AccountID, AccountName, PermissionSetARN, PermissionSetName, Duration string
	Missing                                                               bool
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request, v *visitor) {
	var grants []grantView
	for _, g := range v.account.Grants {
		gv := grantView{AccountID: g.AccountID, AccountName: g.AccountID, PermissionSetARN: g.PermissionSetARN, PermissionSetName: g.PermissionSetARN}
		acc, aerr := h.Access.GetAccount(r.Context(), g.AccountID)
		ps, perr := h.Access.GetPermissionSet(r.Context(), g.PermissionSetARN)
		if aerr != nil || perr != nil {
			gv.Missing = true
		} else {
			gv.AccountName, gv.PermissionSetName, gv.Duration = acc.Name, ps.Name, orDefault(ps.SessionDuration)
		}
		grants = append(grants, gv)
	}
	h.render(w, http.StatusOK, "home", &page{
		Title: "Emergency access", User: v.account.Username, CSRF: v.csrf, Grants: grants,
		Expires: fmtTime(v.session.Expires), Alerts: h.alertMessages(r.Context()),
	})
}

func orDefault(sd string) string {
	if sd == "" {
		return center.DefaultSessionDuration
	}
	return sd
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// --- POST /start/break-glass: sign-in ---

// attempt is one sign-in attempt, for the audit record.
type attempt struct {
	r        *http.Request
	username string
	account  *Account
}

func (h *Handler) record(ctx context.Context, at *attempt, action, outcome, reason string, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	details["remote"] = at.r.RemoteAddr
	subject := ""
	if at.account != nil {
		subject = at.account.ID
	}
	_, err := h.audit().Append(ctx, audit.Record{
		Time: h.now(), Actor: UserID(at.username), Kind: KindUse, Subject: subject, Action: action,
		Outcome: outcome, Reason: reason, Details: details,
	})
	return err
}

// refuse audits a refused sign-in, counts it against the account (if any,
// and unless counted is false) and shows the generic refusal.
func (h *Handler) refuse(w http.ResponseWriter, at *attempt, reason string, count bool) {
	ctx := at.r.Context()
	now := h.now()
	if at.account != nil && count {
		alert := &Alert{ID: uuid.NewString(), Kind: AlertLocked, Username: at.account.Username, Remote: at.r.RemoteAddr, At: now}
		locked, err := h.Store.RecordBreakGlassFailure(ctx, at.account.ID, MaxFailures, LockoutFor, alert, now)
		if err != nil {
			h.log().Error("breakglass: record failure", "user", at.username, "err", err)
		}
		if locked {
			reason += fmt.Sprintf("; account locked for %s after %d failures", LockoutFor, MaxFailures)
			h.log().Warn("EMERGENCY ACCOUNT LOCKED: "+alert.Message(), "user", at.username, "remote", at.r.RemoteAddr)
		}
	}
	if err := h.record(ctx, at, "signin", audit.OutcomeRefused, reason, nil); err != nil {
		h.log().Error("breakglass: audit", "err", err)
	}
	h.log().Warn("breakglass: sign-in refused", "user", at.username, "reason", reason, "remote", at.r.RemoteAddr)
	h.form(w, at.r, http.StatusForbidden, MsgRefused)
}

func (h *Handler) postSignIn(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	at := &attempt{r: r, username: strings.TrimSpace(r.PostForm.Get("username"))}
	// 1. CSRF.
	c, err := r.Cookie(CSRFCookieName)
	if err != nil || c.Value == "" || !sameToken(r.PostForm.Get("csrf"), csrfFor("form", c.Value)) {
		if err := h.record(ctx, at, "signin", audit.OutcomeRefused, "CSRF token missing or wrong", nil); err != nil {
			h.log().Error("breakglass: audit", "err", err)
		}
		h.log().Warn("breakglass: sign-in CSRF token missing or wrong", "remote", r.RemoteAddr)
		h.form(w, r, http.StatusForbidden, MsgCSRF)
		return
	}
	password, code := r.PostForm.Get("password"), r.PostForm.Get("otp")
	// 2. Unknown username: spend one hash anyway.
	a, err := h.Store.BreakGlassAccount(ctx, at.username)
	if errors.Is(err, ErrNotFound) {
		if err := h.hasher().VerifyDummy(ctx, password); err != nil {
			h.busy(w, err)
			return
		}
		h.refuse(w, at, "unknown username", false)
		return
	}
	if err != nil {
		h.internal(w, "account", err)
		return
	}
	at.account, at.username = a, a.Username
	now := h.now()
	// 3. Locked.
	if a.Locked(now) {
		h.refuse(w, at, "account locked until "+a.LockedUntil.Format(time.RFC3339), false)
		return
	}
	// 4. Password, then TOTP, then replay.
	ok, err := h.hasher().Verify(ctx, a.PasswordHash, password)
	if err != nil {
		h.busy(w, err)
		return
	}
	if !ok {
		h.refuse(w, at, "wrong password", true)
		return
	}
	sec, err := h.Box.Open(a.SealedTOTP, TOTPContext(a.ID))
	if err != nil {
		h.internal(w, "open TOTP secret", err)
		return
	}
	step, ok := matchTOTP(sec, code, now)
	if !ok {
		h.refuse(w, at, "wrong one-time code", true)
		return
	}
	if step <= a.LastStep {
		h.refuse(w, at, "one-time code already used (replay)", true)
		return
	}
	// 5. One transaction: step, session, alert.
	cookie := randomToken()
	se := &Session{IDHash: hashID(cookie), AccountID: a.ID, Username: a.Username, Created: now,
		Expires: now.Add(h.sessionDuration())}
	alert := &Alert{ID: uuid.NewString(), Kind: AlertUsed, Username: a.Username, Remote: r.RemoteAddr, At: now}
	err = h.Store.CompleteBreakGlassSignIn(ctx, &SignIn{AccountID: a.ID, Step: step, Session: se, Alert: alert, Now: now})
	if errors.Is(err, ErrReplay) {
		h.refuse(w, at, "one-time code already used (replay)", true)
		return
	}
	if err != nil {
		h.internal(w, "complete sign-in", err)
		return
	}
	// 6. Audit (fail closed: no emergency access that is not on the
	// record), alert in the log, cookie.
	grants := make([]string, 0, len(a.Grants))
	for _, g := range a.Grants {
		grants = append(grants, g.AccountID+"="+g.PermissionSetARN)
	}
	if err := h.record(ctx, at, "signin", audit.OutcomeSuccess, "emergency access: "+alert.Message(),
		map[string]any{"session_expires": se.Expires.Format(time.RFC3339), "grants": grants, "alert": alert.ID}); err != nil {
		h.Store.RevokeBreakGlassSession(context.WithoutCancel(ctx), se.IDHash, now)
		h.internal(w, "audit emergency sign-in", err)
		return
	}
	h.log().Warn("EMERGENCY ACCESS: "+alert.Message(), "user", a.Username, "remote", r.RemoteAddr,
		"expires", se.Expires, "grants", len(a.Grants), "alert", alert.ID)
	h.setCookie(w, r, CookieName, cookie, se.Expires, 0)
	h.setCookie(w, r, CSRFCookieName, "", time.Time{}, -1)
	http.Redirect(w, r, Path, http.StatusSeeOther)
}

func (h *Handler) sessionDuration() time.Duration {
	if h.SessionDuration > 0 {
		return h.SessionDuration
	}
	return SessionDuration
}

// --- POST /start/break-glass/session ---

func (h *Handler) postSession(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v, err := h.current(r)
	if err != nil {
		h.internal(w, "session", err)
		return
	}
	if v == nil {
		h.form(w, r, http.StatusUnauthorized, "Your emergency session has ended; sign in again.")
		return
	}
	if !sameToken(r.PostForm.Get("csrf"), v.csrf) {
		h.message(w, http.StatusForbidden, "Request refused", MsgCSRF, v)
		return
	}
	accountID, arn := r.PostForm.Get("account_id"), r.PostForm.Get("permission_set_arn")
	at := &attempt{r: r, username: v.account.Username, account: v.account}
	details := map[string]any{"account_id": accountID, "permission_set_arn": arn}
	if !v.account.Allows(accountID, arn) {
		if err := h.record(ctx, at, "open_session", audit.OutcomeRefused, "not a grant of this emergency account", details); err != nil {
			h.log().Error("breakglass: audit", "err", err)
		}
		h.log().Warn("breakglass: account session refused, not granted", "user", v.account.Username,
			"account", accountID, "permission_set", arn)
		h.message(w, http.StatusForbidden, "Not allowed", MsgNoGrant, v)
		return
	}
	acc, err := h.Access.GetAccount(ctx, accountID)
	if err != nil {
		h.message(w, http.StatusNotFound, "Not found", "That account no longer exists.", v)
		return
	}
	ps, err := h.Access.GetPermissionSet(ctx, arn)
	if err != nil {
		h.message(w, http.StatusNotFound, "Not found", "That permission set no longer exists.", v)
		return
	}
	d, err := center.ParseSessionDuration(orDefault(ps.SessionDuration))
	if err != nil {
		h.internal(w, "session duration", err)
		return
	}
	now := h.now()
	id := randomToken()
	as := &portal.AccountSession{
		ID: id, IDHash: hashID(id), PortalSessionHash: v.session.IDHash, UserID: UserID(v.account.Username),
		AccountID: acc.ID, PermissionSetARN: ps.ARN, RoleName: portal.RoleName(ps),
		Tags: map[string]string{}, Created: now, Expires: now.Add(d),
	}
	if err := h.Sessions.CreateAccountSession(ctx, as); err != nil {
		h.internal(w, "open account session", err)
		return
	}
	details["expires"] = as.Expires.Format(time.RFC3339)
	details["role"] = as.RoleName
	if err := h.record(ctx, at, "open_session", audit.OutcomeSuccess, "emergency account session", details); err != nil {
		h.Sessions.RevokeAccountSession(context.WithoutCancel(ctx), as.IDHash, now)
		h.internal(w, "audit account session", err)
		return
	}
	h.log().Warn("EMERGENCY ACCESS: account session opened", "user", v.account.Username, "account", acc.ID,
		"permission_set", ps.Name, "expires", as.Expires)
	h.render(w, http.StatusOK, "opened", &page{
		Title: fmt.Sprintf("Signed in to %s as %s until %s", acc.Name, ps.Name, fmtTime(as.Expires)),
		User:  v.account.Username, CSRF: v.csrf, Alerts: h.alertMessages(ctx),
		Opened: &openedView{AccountName: acc.Name, AccountID: acc.ID, PermissionSet: ps.Name, RoleName: as.RoleName,
			Expires: fmtTime(as.Expires), Ref: as.IDHash[:12]},
	})
}

// --- POST /start/break-glass/logout ---

func (h *Handler) postLogout(w http.ResponseWriter, r *http.Request) {
	v, err := h.current(r)
	if err != nil {
		h.internal(w, "session", err)
		return
	}
	if v == nil {
		h.message(w, http.StatusOK, "Signed out", "You are signed out.", nil)
		return
	}
	if !sameToken(r.PostForm.Get("csrf"), v.csrf) {
		h.message(w, http.StatusForbidden, "Request refused", MsgCSRF, v)
		return
	}
	now := h.now()
	if err := h.Store.RevokeBreakGlassSession(r.Context(), v.session.IDHash, now); err != nil {
		h.internal(w, "revoke session", err)
		return
	}
	n, err := h.Sessions.RevokePortalAccountSessions(r.Context(), v.session.IDHash, now)
	if err != nil {
		h.internal(w, "revoke account sessions", err)
		return
	}
	h.setCookie(w, r, CookieName, "", time.Time{}, -1)
	h.log().Info("breakglass: signed out", "user", v.account.Username, "account_sessions", n)
	h.message(w, http.StatusOK, "Signed out", "You are signed out, and the account sessions you opened from this emergency session have ended.", nil)
}

// --- alerts ---

// AlertMessages returns the unacknowledged alerts as shown to users,
// newest first; on a store error it logs and returns nil.
func AlertMessages(ctx context.Context, st Store, log *slog.Logger) []string {
	alerts, err := st.BreakGlassAlerts(ctx, true)
	if err != nil {
		if log != nil {
			log.Error("breakglass: alerts", "err", err)
		}
		return nil
	}
	out := make([]string, 0, len(alerts))
	for _, a := range alerts {
		out = append(out, a.Message())
	}
	return out
}

func (h *Handler) alertMessages(ctx context.Context) []string {
	return AlertMessages(ctx, h.Store, h.log())
}

// --- responses ---

func (h *Handler) busy(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrBusy) {
		h.log().Warn("breakglass: password check queue full", "err", err)
		w.Header().Set("Retry-After", "1")
		h.message(w, http.StatusServiceUnavailable, "Busy", "Too many sign-ins at once; try again in a moment.", nil)
		return
	}
	h.internal(w, "password check", err)
}

func (h *Handler) internal(w http.ResponseWriter, what string, err error) {
	h.log().Error("breakglass: "+what, "err", err)
	h.message(w, http.StatusInternalServerError, "Error", msgInternal, nil)
}

func (h *Handler) message(w http.ResponseWriter, status int, title, msg string, v *visitor) {
	p := &page{Title: title, Error: msg}
	if v != nil {
		p.User, p.CSRF = v.account.Username, v.csrf
	}
	h.render(w, status, "message", p)
}

func (h *Handler) render(w http.ResponseWriter, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, p); err != nil {
		h.log().Error("breakglass: render", "template", name, "err", err)
		http.Error(w, msgInternal, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}
