package console

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center/breakglass"
)

// AlertStore keeps the emergency-access (break-glass) alerts;
// internal/store/centerdb implements it.
type AlertStore interface {
	// BreakGlassAlerts lists alerts, only unacknowledged ones when open.
	BreakGlassAlerts(ctx context.Context, open bool) ([]*breakglass.Alert, error)
	AcknowledgeBreakGlassAlert(ctx context.Context, id, by string, at time.Time) error
}

// alertRow is an unacknowledged alert on the settings page.
type alertRow struct{ ID, Message string }

func (h *Handler) openAlerts(ctx context.Context) ([]alertRow, error) {
	if h.Alerts == nil {
		return nil, nil
	}
	as, err := h.Alerts.BreakGlassAlerts(ctx, true)
	if err != nil {
		return nil, err
	}
	rows := make([]alertRow, 0, len(as))
	for _, a := range as {
		rows = append(rows, alertRow{ID: a.ID, Message: a.Message()})
	}
	return rows, nil
}

// ackAlert acknowledges an emergency-access alert: it leaves the portal's
// and the console's headers, and records who saw to it.
func (h *Handler) ackAlert(w http.ResponseWriter, r *http.Request, a *access) {
	if h.Alerts == nil {
		h.deny(w, http.StatusNotFound, "There is no such alert.")
		return
	}
	id := r.PathValue("id")
	err := h.Alerts.AcknowledgeBreakGlassAlert(r.Context(), id, a.u.UserName, h.now())
	if errors.Is(err, breakglass.ErrNotFound) {
		h.deny(w, http.StatusNotFound, "There is no such alert, or it was already acknowledged.")
		return
	}
	if err != nil {
		h.fail(w, r, "acknowledge alert", err)
		return
	}
	h.log().Info("center console: break-glass alert acknowledged", "alert", id, "by", a.u.UserName)
	redirect(w, r, Prefix+"/settings", "acknowledged")
}
