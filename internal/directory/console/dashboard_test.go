package console

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

func TestBuildDashboard(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	st := &provisioning.JobStatus{Provisioned: map[string]int{"user": 90, "group": 10}, Escrowed: 5, StagedDeletes: 25}
	var logs []provisioning.LogEntry
	entry := func(cycle string, at time.Time, status, code string) {
		logs = append(logs, provisioning.LogEntry{CycleID: cycle, At: at, Status: status, ErrorCode: code})
	}
	// Cycle a, 18 hours ago: 10 changes, 2 throttled. Cycle b, 1 hour ago:
	// 4 changes, 1 failure without a code, 1 throttled.
	for i := 0; i < 10; i++ {
		status, code := "success", ""
		if i < 2 {
			status, code = "failure", "SystemForCrossDomainIdentityManagementServiceThrottled"
		}
		entry("a", now.Add(-18*time.Hour+time.Duration(i)*time.Second), status, code)
	}
	entry("b", now.Add(-time.Hour), "failure", "")
	entry("b", now.Add(-time.Hour), "failure", "SystemForCrossDomainIdentityManagementServiceThrottled")
	entry("b", now.Add(-time.Hour), "success", "")
	entry("b", now.Add(-time.Hour), "skipped", "")

	d := buildDashboard(st, logs, now)

	if d.StateTotal != 125 || d.States[0].Count != 95 || d.States[1].Count != 5 || d.States[2].Count != 25 {
		t.Fatalf("states %+v total %d", d.States, d.StateTotal)
	}
	// Segments are proportional and laid end to end.
	if d.States[0].W != 95*dashWidth/125 || d.States[1].X != d.States[0].W || d.States[2].X != d.States[1].X+d.States[1].W {
		t.Errorf("segments %+v", d.States)
	}
	if len(d.Cycles) != 2 {
		t.Fatalf("cycles %+v", d.Cycles)
	}
	// Side by side, oldest first.
	a, b := d.Cycles[0], d.Cycles[1]
	if !strings.Contains(a.Title, "10 changes, 2 failed") || !strings.Contains(b.Title, "4 changes, 2 failed") ||
		a.X != 0 || b.X != dashWidth/dashMaxCycles || a.W != b.W || a.W <= 0 {
		t.Errorf("cycles a %+v b %+v", a, b)
	}
	if d.From != "Nov 22 18:00" || d.To != "Nov 23 11:00 UTC" {
		t.Errorf("axis %q to %q", d.From, d.To)
	}
	// The larger cycle is the tallest; failures are the matching share.
	if a.H <= b.H || a.FH != a.H*2/10 || b.FH != b.H*2/4 || a.Y+a.H != d.BaselineY {
		t.Errorf("cycle bars a %+v b %+v", a, b)
	}
	if !strings.Contains(d.CycleDesc, "2 cycles") || !strings.Contains(d.CycleDesc, "14 logged changes, 4 of them failed") {
		t.Errorf("cycle desc %q", d.CycleDesc)
	}
	if len(d.Errors) != 2 || d.Errors[0].Code != "SystemForCrossDomainIdentityManagementServiceThrottled" || d.Errors[0].Count != 3 ||
		d.Errors[1].Code != "unspecified" || d.Errors[1].Count != 1 || d.Errors[1].W >= d.Errors[0].W {
		t.Errorf("errors %+v", d.Errors)
	}
}

// TestBuildDashboardManyCycles: only the latest cycles are drawn, and the
// description says so.
func TestBuildDashboardManyCycles(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var logs []provisioning.LogEntry
	for i := 0; i < dashMaxCycles+5; i++ {
		logs = append(logs, provisioning.LogEntry{CycleID: fmt.Sprint(i), At: now.Add(-time.Duration(i) * time.Minute), Status: "success"})
	}
	d := buildDashboard(&provisioning.JobStatus{}, logs, now)
	if len(d.Cycles) != dashMaxCycles || !strings.Contains(d.CycleDesc, "65 cycles") || !strings.Contains(d.CycleDesc, "latest 60 are drawn") {
		t.Fatalf("%d cycles drawn, desc %q", len(d.Cycles), d.CycleDesc)
	}
	if last := d.Cycles[len(d.Cycles)-1]; !strings.Contains(last.Title, "Nov 23 12:00:00") {
		t.Errorf("last bar %q, want the newest cycle", last.Title)
	}
}

func TestBuildDashboardEmpty(t *testing.T) {
	d := buildDashboard(&provisioning.JobStatus{}, nil, time.Now())
	if d.StateTotal != 0 || len(d.Cycles) != 0 || len(d.Errors) != 0 || d.ErrorDesc != "No failures in the last 24 hours." {
		t.Errorf("empty dashboard %+v", d)
	}
}

// TestDashboardRenders: the page template draws the three pictures with
// their accessible names, and escapes what came from the logs.
func TestDashboardRenders(t *testing.T) {
	now := time.Now()
	st := &provisioning.JobStatus{AppID: "app1", Provisioned: map[string]int{"user": 3}}
	logs := []provisioning.LogEntry{{CycleID: "c", At: now.Add(-time.Minute), Status: "failure", ErrorCode: `<b>x</b>`}}
	app := &directory.App{ID: "app1", DisplayName: "AWS"}
	p := &web.Page{Console: "Directory console", Static: Prefix + "/static/", Title: "Provisioning", Nav: nav,
		Role: RoleAdmin, Errors: web.Errors{}, Form: map[string]string{},
		Data: &provData{Tabs: appTabs{App: app, Tab: "provisioning", Prov: true}, App: app, St: st,
			Dash: buildDashboard(st, logs, now), Actions: logActions, Statuses: logStatuses}}
	rec := httptest.NewRecorder()
	web.Render(rec, slog.New(slog.DiscardHandler), pages["provisioning"], http.StatusOK, p)
	if rec.Code != http.StatusOK {
		t.Fatalf("render: %d %s", rec.Code, rec.Body)
	}
	html := rec.Body.String()
	for _, want := range []string{`<svg id="dash-states"`, `<svg id="dash-timeline"`, `<svg id="dash-errors"`,
		`<desc id="dash-states-d">3 in sync, 0 retrying, 0 deletes awaiting approval.</desc>`, `&lt;b&gt;x&lt;/b&gt;`} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(html, "<b>x</b>") {
		t.Error("error code not escaped")
	}
}
