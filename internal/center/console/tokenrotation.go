package console

import (
	"net/http"

	"github.com/gatehouse-id/gatehouse/internal/web"
)

// rotateToken replaces an active SCIM access token in one step: it is
// revoked at once and a new one is issued and shown once. That is how a
// token that leaked is replaced, or one of two active tokens (AWS's limit,
// when Generate is refused). AWS's gentler way, generate a second token,
// move the identity provider to it, then revoke the first, stays open with
// Generate and Revoke while fewer than two are active.
func (h *Handler) rotateToken(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	id := r.PathValue("id")
	t, err := h.Store.GetSCIMToken(ctx, id)
	if !h.found(w, r, err, "read SCIM token", "There is no such token.") {
		return
	}
	if !t.Active(h.now()) {
		h.settingsPage(w, r, a, formErrorStatus, func(p *web.Page, _ *settingsData) {
			p.Errors["token"] = "Token " + id + " is no longer active, so there is nothing to rotate: generate a new token instead."
		})
		return
	}
	if err := h.Store.RevokeSCIMToken(ctx, id, h.now()); err != nil {
		h.fail(w, r, "revoke SCIM token", err)
		return
	}
	h.log().Info("center console: SCIM token revoked to rotate it", "token", id, "by", a.u.UserName)
	h.issueToken(w, r, a, "Token "+id+" was revoked, and this new access token replaces it. Copy it now: it is shown only this once. "+
		"Paste it into your identity provider's provisioning settings: provisioning is refused until then.")
}
