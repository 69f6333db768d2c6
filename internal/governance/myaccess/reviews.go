package myaccess

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/signin"
	"github.com/gatehouse-id/gatehouse/internal/governance/reviews"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// reviewRow is an access review item the user may decide.
type reviewRow struct {
	ID, Campaign, Subject, Recommendation string
	LastSignIn, Decision, Reason, Due     string
}

// reviewItems lists the items of running reviews that u may decide.
func (h *Handler) reviewItems(ctx context.Context, u *directory.User) ([]reviewRow, error) {
	if h.Reviews == nil {
		return nil, nil
	}
	campaigns, err := h.Reviews.Campaigns(ctx)
	if err != nil {
		return nil, err
	}
	var rows []reviewRow
	for _, c := range campaigns {
		instances, err := h.Reviews.Instances(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		for _, in := range instances {
			if in.Status != reviews.StatusInProgress {
				continue
			}
			items, err := h.Reviews.Items(ctx, in.ID, u.ID)
			if err != nil {
				return nil, err
			}
			for _, it := range items {
				row := reviewRow{ID: it.ID, Campaign: c.Name, Subject: it.UPN, Recommendation: it.Recommendation,
					LastSignIn: "never", Decision: string(it.Decision), Reason: it.Reason, Due: fmtTime(in.End)}
				if !it.LastSignIn.IsZero() {
					row.LastSignIn = fmtTime(it.LastSignIn)
				}
				rows = append(rows, row)
			}
		}
	}
	return rows, nil
}

// review records the user's decision on an item. A denial needs a reason;
// its message goes next to the reason field of that item.
func (h *Handler) review(w http.ResponseWriter, r *http.Request, s *signin.Session, u *directory.User) {
	if h.Reviews == nil {
		http.NotFound(w, r)
		return
	}
	id := r.PostFormValue("item")
	decision := reviews.Decision(r.PostFormValue("decision"))
	reason := r.PostFormValue("reason")
	if decision == reviews.Deny && strings.TrimSpace(reason) == "" {
		h.render(w, r, s, u, http.StatusOK, func(p *web.Page) {
			p.Error = "The decision was not recorded: correct the field marked below."
			p.Errors[id+":reason"] = "Say why access should be removed."
			p.Form[id+":decision"] = string(decision)
		})
		return
	}
	_, err := h.Reviews.Decide(r.Context(), reviews.DecideInput{ItemID: id, ReviewerID: u.ID, Decision: decision, Reason: reason})
	if err != nil {
		h.log().Warn("myaccess: review decision refused", "user", u.ID, "item", id, "err", err)
		status, msg := http.StatusInternalServerError, msgInternal
		switch {
		case errors.Is(err, reviews.ErrInvalid):
			status, msg = http.StatusBadRequest, "Choose Approve, Deny or Don't know."
		case errors.Is(err, reviews.ErrForbidden):
			status, msg = http.StatusForbidden, "You are not a reviewer of this item."
		case errors.Is(err, reviews.ErrNotFound):
			status, msg = http.StatusNotFound, "There is no such review item."
		case errors.Is(err, reviews.ErrState):
			status, msg = http.StatusConflict, "This review has ended: decisions are closed."
		}
		h.render(w, r, s, u, status, func(p *web.Page) { p.Error = msg })
		return
	}
	h.log().Info("myaccess: review decision", "user", u.ID, "item", id, "decision", decision)
	http.Redirect(w, r, Path+"?done=reviewed#reviews", http.StatusSeeOther)
}
