package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/audit"
)

// The audit log page: the newest records first, filtered by kind (exact,
// or a prefix ending in "*"), actor, subject and outcome, a page of
// auditPageSize at a time. Verifying the chain is `gatehouse audit verify`.

// AuditReader reads the audit log; *audit.Log implements it.
type AuditReader interface {
	Query(ctx context.Context, f audit.Filter) ([]audit.Record, error)
}

const auditPageSize = 100

type auditData struct {
	Records                      []audit.Record
	Kind, Actor, Subject, Result string
	Outcomes                     []string
	Older                        string // the URL of the next page, "" when none
}

func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request, a *access) {
	q := r.URL.Query()
	d := &auditData{Kind: strings.TrimSpace(q.Get("kind")), Actor: strings.TrimSpace(q.Get("actor")),
		Subject: strings.TrimSpace(q.Get("subject")), Outcomes: []string{audit.OutcomeSuccess, audit.OutcomeRefused, audit.OutcomeFailure}}
	f := audit.Filter{Kind: d.Kind, Actor: d.Actor, Subject: d.Subject, Limit: auditPageSize}
	for _, o := range d.Outcomes {
		if o == q.Get("outcome") {
			f.Outcome, d.Result = o, o
		}
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			h.deny(w, http.StatusBadRequest, "The page asked for does not exist.")
			return
		}
		f.BeforeSeq = n
	}
	recs, err := h.Audit.Query(r.Context(), f)
	if err != nil {
		h.fail(w, r, "query audit log", err)
		return
	}
	d.Records = recs
	if len(recs) == auditPageSize {
		q.Set("before", strconv.FormatInt(recs[len(recs)-1].Seq, 10))
		d.Older = Prefix + "/audit?" + q.Encode()
	}
	h.render(w, "audit", http.StatusOK, h.page(r, a, "Audit log", Prefix+"/audit", d))
}
