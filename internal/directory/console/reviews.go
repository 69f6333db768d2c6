package console

import (
	"fmt"
	"net/http"

	"github.com/gatehouse-id/gatehouse/internal/governance/reviews"
)

// The access reviews page: each campaign with its latest instance and how
// far its reviewers are. Campaigns are created with `gatehouse review` or
// the API; reviewers decide at My access.

type reviewRow struct {
	Name, Scope, Reviewers, Recurrence string
	Status, Period, Progress, Next     string
	Decided, Total, Denied             int
}

type reviewsData struct{ Campaigns []reviewRow }

func (h *Handler) reviewsPage(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	cs, err := h.Reviews.Campaigns(ctx)
	if err != nil {
		h.fail(w, r, "list campaigns", err)
		return
	}
	d := &reviewsData{}
	for _, c := range cs {
		kind, id := c.Scope()
		row := reviewRow{Name: c.Name, Reviewers: string(c.Reviewers), Recurrence: string(c.Recurrence), Status: "not started",
			Scope: kind + " " + id, Next: "none"}
		if kind == "group" {
			if g, err := h.Store.GetGroup(ctx, id); err == nil {
				row.Scope = "group " + g.DisplayName
			}
		} else if app, err := h.Store.GetApp(ctx, id); err == nil {
			row.Scope = "app " + app.DisplayName
		}
		if c.NextStart != nil {
			row.Next = fmtConsoleTime(*c.NextStart)
		}
		ins, err := h.Reviews.Instances(ctx, c.ID)
		if err != nil {
			h.fail(w, r, "list instances", err)
			return
		}
		if len(ins) > 0 {
			last := ins[len(ins)-1] // oldest first
			row.Status, row.Period = string(last.Status), fmtConsoleTime(last.Start)+" to "+fmtConsoleTime(last.End)
			items, err := h.Reviews.Items(ctx, last.ID, "")
			if err != nil {
				h.fail(w, r, "list items", err)
				return
			}
			row.Total = len(items)
			for _, it := range items {
				if it.Decision != reviews.NotReviewed {
					row.Decided++
				}
				if it.Decision == reviews.Deny {
					row.Denied++
				}
			}
			row.Progress = fmt.Sprintf("%d of %d decided, %d denied", row.Decided, row.Total, row.Denied)
		}
		d.Campaigns = append(d.Campaigns, row)
	}
	h.render(w, "reviews", http.StatusOK, h.page(r, a, "Access reviews", Prefix+"/reviews", d))
}
