package console

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/samlsp"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// SCIMPath is the SCIM endpoint's path on the center (scimserver.Prefix).
const SCIMPath = "/scim/v2"

type tokenRow struct {
	ID, Created, Expires, Status string
	Active                       bool
}

type settingsData struct {
	Source      string
	IdP         *samlsp.IdPConfig
	CertExpires string
	SPEntityID  string
	ACSURL      string
	MetadataURL string
	SCIMURL     string
	Tokens      []tokenRow
	ActiveCount int
	NewToken    string // the bearer of a token just created, shown once
	Alerts      []alertRow
	Groups      []*scim.Group
	AdminGroup  string
	ReadGroup   string
	Selects     []selectField
}

// selectField is a labelled select with its message.
type selectField struct {
	Name, Label, Empty, Error string
	Options                   []choice
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func (h *Handler) settingsData(r *http.Request) (*settingsData, error) {
	ctx := r.Context()
	src, idp, err := h.SP.IdentitySource(ctx)
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(h.SP.CenterURL, "/")
	d := &settingsData{Source: src, IdP: idp, SPEntityID: h.SP.EntityID(), ACSURL: h.SP.ACSURL(),
		MetadataURL: samlsp.MetadataPath, SCIMURL: base + SCIMPath}
	if d.Alerts, err = h.openAlerts(ctx); err != nil {
		return nil, err
	}
	if idp != nil {
		var first time.Time
		for _, c := range idp.Certs {
			if first.IsZero() || c.NotAfter.Before(first) {
				first = c.NotAfter
			}
		}
		if !first.IsZero() {
			d.CertExpires = fmtTime(first)
		}
	}
	toks, err := h.Store.ListSCIMTokens(ctx)
	if err != nil {
		return nil, err
	}
	now := h.now()
	for _, t := range toks {
		row := tokenRow{ID: t.ID, Created: fmtTime(t.Created), Expires: fmtTime(t.Expires), Active: t.Active(now)}
		switch {
		case t.Revoked != nil:
			row.Status = "revoked " + fmtTime(*t.Revoked)
		case !row.Active:
			row.Status = "expired"
		default:
			row.Status = "active"
			d.ActiveCount++
		}
		d.Tokens = append(d.Tokens, row)
	}
	if d.Groups, err = h.allGroups(ctx); err != nil {
		return nil, err
	}
	st, err := h.Settings.ConsoleSettings(ctx)
	if err != nil {
		return nil, err
	}
	d.AdminGroup, d.ReadGroup = st.AdminGroupID, st.ReadOnlyGroupID
	return d, nil
}

func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, a *access, status int, edit func(p *web.Page, d *settingsData)) {
	d, err := h.settingsData(r)
	if err != nil {
		h.fail(w, r, "settings", err)
		return
	}
	p := h.page(r, a, "Settings", Prefix+"/settings", d)
	p.Form["adminGroup"], p.Form["readOnlyGroup"] = d.AdminGroup, d.ReadGroup
	if edit != nil {
		edit(p, d)
	}
	for _, f := range [][3]string{{"adminGroup", "Admin group", "Choose a group"}, {"readOnlyGroup", "Read-only group", "None"}} {
		sf := selectField{Name: f[0], Label: f[1], Empty: f[2], Error: p.Errors[f[0]]}
		for _, g := range d.Groups {
			sf.Options = append(sf.Options, choice{Value: g.ID, Label: g.DisplayName, Checked: g.ID == p.Form[f[0]]})
		}
		d.Selects = append(d.Selects, sf)
	}
	h.render(w, "settings", status, p)
}

func (h *Handler) settings(w http.ResponseWriter, r *http.Request, a *access) {
	h.settingsPage(w, r, a, http.StatusOK, nil)
}

// uploadMetadata makes the uploaded (or pasted) IdP metadata the identity
// source, after validating it (samlsp.ParseIdPMetadata).
func (h *Handler) uploadMetadata(w http.ResponseWriter, r *http.Request, a *access) {
	md, err := web.Upload(r, "metadata", "metadataText", samlsp.MaxIdPMetadataChars*4+1)
	if err != nil {
		h.fail(w, r, "read upload", err)
		return
	}
	fail := func(msg string) {
		h.settingsPage(w, r, a, formErrorStatus, func(p *web.Page, _ *settingsData) {
			p.Errors["metadata"] = msg
			p.Error = "The identity source was not changed: correct the field marked below."
		})
	}
	if len(md) == 0 {
		fail("Choose your identity provider's SAML metadata file (XML), or paste it.")
		return
	}
	if _, err := h.SP.UseExternalIdP(r.Context(), md); err != nil {
		if errors.Is(err, center.ErrInvalid) {
			fail(web.Sentence(err.Error()))
			return
		}
		h.fail(w, r, "save identity source", err)
		return
	}
	h.log().Info("center console: identity source metadata replaced", "by", a.u.UserName)
	redirect(w, r, Prefix+"/settings", "metadata")
}

// createToken issues a SCIM access token and shows its secret once.
func (h *Handler) createToken(w http.ResponseWriter, r *http.Request, a *access) {
	h.issueToken(w, r, a, "A new access token was generated. Copy it now: it is shown only this once.")
}

// issueToken issues a SCIM access token, unless two are active (AWS's
// limit), and shows its secret once with flash.
func (h *Handler) issueToken(w http.ResponseWriter, r *http.Request, a *access, flash string) {
	now := h.now()
	t, bearer := center.NewSCIMToken(now)
	err := h.Store.CreateSCIMToken(r.Context(), t, now)
	if errors.Is(err, center.ErrConflict) {
		h.settingsPage(w, r, a, formErrorStatus, func(p *web.Page, _ *settingsData) {
			p.Errors["token"] = "You already have two active access tokens, the most allowed. Revoke one before you generate another."
		})
		return
	}
	if err != nil {
		h.fail(w, r, "create SCIM token", err)
		return
	}
	h.log().Info("center console: SCIM token created", "token", t.ID, "by", a.u.UserName)
	h.settingsPage(w, r, a, http.StatusOK, func(p *web.Page, d *settingsData) {
		d.NewToken = bearer
		p.Flash = flash
	})
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request, a *access) {
	id := r.PathValue("id")
	err := h.Store.RevokeSCIMToken(r.Context(), id, h.now())
	if errors.Is(err, center.ErrNotFound) {
		h.deny(w, http.StatusNotFound, "There is no such token.")
		return
	}
	if err != nil {
		h.fail(w, r, "revoke SCIM token", err)
		return
	}
	h.log().Info("center console: SCIM token revoked", "token", id, "by", a.u.UserName)
	redirect(w, r, Prefix+"/settings", "revoked")
}

// saveAdmins sets the admin and read-only groups. An admin cannot choose
// an admin group they are not in: that would lock them out.
func (h *Handler) saveAdmins(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	admin, ro := r.PostFormValue("adminGroup"), r.PostFormValue("readOnlyGroup")
	errs := web.Errors{}
	exists := func(field, id string) {
		if id == "" {
			return
		}
		if _, err := h.Store.GetGroup(ctx, id); errors.Is(err, center.ErrNotFound) {
			errs.Add(field, "There is no such group.")
		}
	}
	if admin == "" {
		errs.Add("adminGroup", "Choose the group whose members administer the console.")
	}
	exists("adminGroup", admin)
	exists("readOnlyGroup", ro)
	if admin != "" && admin == ro {
		errs.Add("readOnlyGroup", "Choose a different group from the admin group, or none.")
	}
	if !errs.Has() {
		groups, err := h.userGroups(ctx, a.u.ID)
		if err != nil {
			h.fail(w, r, "user groups", err)
			return
		}
		in := false
		for _, g := range groups {
			in = in || g.ID == admin
		}
		if !in {
			errs.Add("adminGroup", "You are not a member of this group: choosing it would lock you out of the console.")
		}
	}
	if errs.Has() {
		h.settingsPage(w, r, a, formErrorStatus, func(p *web.Page, _ *settingsData) {
			p.Errors = errs
			p.Form["adminGroup"], p.Form["readOnlyGroup"] = admin, ro
			p.Error = "The admin groups were not saved: correct the fields marked below."
		})
		return
	}
	if err := h.Settings.PutConsoleSettings(ctx, &Settings{AdminGroupID: admin, ReadOnlyGroupID: ro, Updated: h.now()}); err != nil {
		h.fail(w, r, "save console settings", err)
		return
	}
	redirect(w, r, Prefix+"/settings", "admins")
}
