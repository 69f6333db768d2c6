package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// The page of one AWS account (/console/accounts/{12 digits}): its name,
// email and kind to edit, its assignments, and its removal, which removes
// its assignments with it (center.AccessStore.DeleteAccount, as `gatehouse
// center account remove` does) once the admin confirms that.

type accountData struct {
	assignmentsData
	Account *center.Account
	Created string
}

// withAccount reads the account the path's {id} names for fn; it answers
// 404 itself when there is none.
func (h *Handler) withAccount(fn func(http.ResponseWriter, *http.Request, *access, *center.Account)) func(http.ResponseWriter, *http.Request, *access) {
	return func(w http.ResponseWriter, r *http.Request, a *access) {
		acct, err := h.Store.GetAccount(r.Context(), r.PathValue("id"))
		if h.found(w, r, err, "read account", "There is no such AWS account: it may have been removed.") {
			fn(w, r, a, acct)
		}
	}
}

// accountRows are the account's assignments.
func (h *Handler) accountRows(r *http.Request, acct *center.Account) ([]assignmentRow, error) {
	sets, err := h.Store.ListPermissionSets(r.Context())
	if err != nil {
		return nil, err
	}
	return h.assignmentRows(r.Context(), []*center.Account{acct}, sets)
}

func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request, a *access, acct *center.Account, status int, edit func(p *web.Page)) {
	rows, err := h.accountRows(r, acct)
	if err != nil {
		h.fail(w, r, "list assignments", err)
		return
	}
	d := &accountData{assignmentsData: assignmentsData{Assignments: rows, Path: accountPath(acct.ID)}, Account: acct,
		Created: fmtTime(acct.CreatedDate)}
	p := h.page(r, a, "AWS account "+acct.Name, Prefix+"/accounts", d)
	p.Form["name"], p.Form["email"] = acct.Name, acct.Email
	if acct.RealAWS {
		p.Form["realAWS"] = "1"
	}
	if edit != nil {
		edit(p)
	}
	h.render(w, "account", status, p)
}

func (h *Handler) account(w http.ResponseWriter, r *http.Request, a *access, acct *center.Account) {
	h.accountPage(w, r, a, acct, http.StatusOK, nil)
}

// saveAccount changes the account's name, email and kind; its id is its
// identity and does not change.
func (h *Handler) saveAccount(w http.ResponseWriter, r *http.Request, a *access, acct *center.Account) {
	f := r.PostForm
	form := map[string]string{"name": strings.TrimSpace(f.Get("name")), "email": strings.TrimSpace(f.Get("email")), "realAWS": f.Get("realAWS")}
	next := *acct
	next.Name, next.Email, next.RealAWS = form["name"], form["email"], form["realAWS"] != ""
	err := h.Store.PutAccount(r.Context(), &next)
	if errors.Is(err, center.ErrInvalid) {
		h.accountPage(w, r, a, acct, formErrorStatus, func(p *web.Page) {
			p.Form, p.Errors = form, awsFieldErrors(err, accountFields)
			p.Error = "The account was not changed: correct the fields marked below."
		})
		return
	}
	if err != nil {
		h.fail(w, r, "save account", err)
		return
	}
	h.log().Info("center console: account changed", "account", acct.ID, "by", a.u.UserName)
	redirect(w, r, accountPath(acct.ID), "account-saved")
}

// deleteAccount removes the account and its assignments. With assignments
// the admin must confirm it (confirm=1); the sessions that relied on them
// end at once, as when an assignment is removed.
func (h *Handler) deleteAccount(w http.ResponseWriter, r *http.Request, a *access, acct *center.Account) {
	rows, err := h.accountRows(r, acct)
	if err != nil {
		h.fail(w, r, "list assignments", err)
		return
	}
	if len(rows) > 0 && r.PostFormValue("confirm") != "1" {
		h.accountPage(w, r, a, acct, formErrorStatus, func(p *web.Page) {
			p.Errors["confirm"] = "The account is assigned to users or groups (listed above). Tick this box to remove the assignments with the account, or remove them first."
			p.Error = "The account was not removed."
		})
		return
	}
	if err := h.Store.DeleteAccount(r.Context(), acct.ID); err != nil && !errors.Is(err, center.ErrNotFound) {
		h.fail(w, r, "remove account", err)
		return
	}
	h.notifyRemoved(r.Context(), rows)
	h.log().Info("center console: account removed", "account", acct.ID, "assignments", len(rows), "by", a.u.UserName)
	redirect(w, r, Prefix+"/accounts", "account-removed")
}
