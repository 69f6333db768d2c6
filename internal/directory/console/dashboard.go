package console

import (
	"fmt"
	"sort"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/provisioning"
)

// The provisioning dashboard: three pictures of a job for admins who would
// rather look than read (objects by state, a timeline of the last day's
// cycles, the errors by code), drawn as SVG on the server. Each carries a
// title and a description for screen readers, and the numbers are also
// printed beside it.

// Geometry, in SVG user units.
const (
	dashWidth     = 720
	dashStateH    = 28
	dashTimelineH = 120
	dashErrRowH   = 24
	dashErrLabelW = 220
	dashMaxErrors = 8
	dashMaxCycles = 60
	// dashLogWindow and dashLogLimit bound the logs read per page view.
	dashLogWindow = 24 * time.Hour
	dashLogLimit  = 5000
)

// stateSeg is one segment of the objects-by-state bar.
type stateSeg struct {
	Label, Color string
	Count        int
	X, W         int
}

// cycleMark is one cycle on the timeline: a bar at its start whose height
// shows its changes, the failed part red.
type cycleMark struct {
	Title           string
	X, W            int
	Y, H, FailY, FH int
}

// errorBar is one error code and how often it occurred.
type errorBar struct {
	Code    string
	Count   int
	X, W, Y int
	TextY   int
	CountX  int
}

type dashboard struct {
	Width       int
	States      []stateSeg
	StateTotal  int
	StateDesc   string
	Cycles      []cycleMark
	CycleDesc   string
	TimelineH   int
	From, To    string
	Errors      []errorBar
	ErrorsH     int
	ErrorDesc   string
	Truncated   bool
	BaselineY   int
	AxisLabelsY int
}

// buildDashboard draws st and logs (newest first, as the store returns
// them, covering [now-dashLogWindow, now]).
func buildDashboard(st *provisioning.JobStatus, logs []provisioning.LogEntry, now time.Time) *dashboard {
	d := &dashboard{Width: dashWidth, TimelineH: dashTimelineH, Truncated: len(logs) >= dashLogLimit}

	// Objects by state. Escrowed objects are provisioned ones whose last
	// change failed and waits for a retry.
	provisioned := st.Provisioned["user"] + st.Provisioned["group"]
	inSync := max(provisioned-st.Escrowed, 0)
	segs := []stateSeg{
		{Label: "In sync", Color: "#16a34a", Count: inSync},
		{Label: "Retrying (escrow)", Color: "#d97706", Count: st.Escrowed},
		{Label: "Deletes awaiting approval", Color: "#dc2626", Count: st.StagedDeletes},
	}
	for _, s := range segs {
		d.StateTotal += s.Count
	}
	x := 0
	for _, s := range segs {
		if d.StateTotal > 0 && s.Count > 0 {
			s.X, s.W = x, max(s.Count*dashWidth/d.StateTotal, 2)
			x += s.W
		}
		d.States = append(d.States, s)
	}
	d.StateDesc = fmt.Sprintf("%d in sync, %d retrying, %d deletes awaiting approval.", inSync, st.Escrowed, st.StagedDeletes)

	// The timeline: cycles of the window, by their first entry.
	type cycle struct {
		start     time.Time
		n, failed int
	}
	byID := map[string]*cycle{}
	var order []string
	errCount := map[string]int{}
	for _, l := range logs {
		c := byID[l.CycleID]
		if c == nil {
			c = &cycle{start: l.At}
			byID[l.CycleID] = c
			order = append(order, l.CycleID)
		}
		if l.At.Before(c.start) {
			c.start = l.At
		}
		c.n++
		if l.Status == "failure" {
			c.failed++
			code := l.ErrorCode
			if code == "" {
				code = "unspecified"
			}
			errCount[code]++
		}
	}
	// Cycles stand side by side in time order (most recent last): cycles
	// seconds apart would overlap on a time-proportional axis.
	sort.Slice(order, func(i, j int) bool { return byID[order[i]].start.Before(byID[order[j]].start) })
	changes, failed := 0, 0
	for _, id := range order {
		changes += byID[id].n
		failed += byID[id].failed
	}
	shown := order[max(len(order)-dashMaxCycles, 0):]
	d.From, d.To = "no cycles", now.UTC().Format("Jan 2 15:04 UTC")
	if len(shown) > 0 {
		d.From = byID[shown[0]].start.UTC().Format("Jan 2 15:04")
		d.To = byID[shown[len(shown)-1]].start.UTC().Format("Jan 2 15:04 UTC")
	}
	most := 1
	for _, id := range shown {
		most = max(most, byID[id].n)
	}
	plot := dashTimelineH - 20 // room for the axis labels below
	d.BaselineY, d.AxisLabelsY = plot, dashTimelineH-4
	step := dashWidth / dashMaxCycles
	for i, id := range shown {
		c := byID[id]
		h := max(c.n*(plot-4)/most, 2)
		fh := 0
		if c.failed > 0 {
			fh = max(c.failed*h/c.n, 2)
		}
		d.Cycles = append(d.Cycles, cycleMark{
			Title: fmt.Sprintf("Cycle at %s: %d changes, %d failed", c.start.UTC().Format("Jan 2 15:04:05"), c.n, c.failed),
			X:     i * step, W: step - 2, Y: plot - h, H: h, FailY: plot - fh, FH: fh})
	}
	d.CycleDesc = fmt.Sprintf("%d cycles in the last 24 hours with %d logged changes, %d of them failed.", len(order), changes, failed)
	if len(shown) < len(order) {
		d.CycleDesc += fmt.Sprintf(" The latest %d are drawn.", len(shown))
	}

	// Errors by code, most frequent first.
	codes := make([]string, 0, len(errCount))
	for c := range errCount {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool {
		if errCount[codes[i]] != errCount[codes[j]] {
			return errCount[codes[i]] > errCount[codes[j]]
		}
		return codes[i] < codes[j]
	})
	if len(codes) > dashMaxErrors {
		codes = codes[:dashMaxErrors]
	}
	top := 1
	if len(codes) > 0 {
		top = errCount[codes[0]]
	}
	for i, c := range codes {
		y := i * dashErrRowH
		w := max(errCount[c]*(dashWidth-dashErrLabelW-60)/top, 2)
		d.Errors = append(d.Errors, errorBar{Code: c, Count: errCount[c], X: dashErrLabelW, W: w, Y: y + 4, TextY: y + 17,
			CountX: dashErrLabelW + w + 6})
	}
	d.ErrorsH = max(len(d.Errors)*dashErrRowH, dashErrRowH)
	if len(codes) == 0 {
		d.ErrorDesc = "No failures in the last 24 hours."
	} else {
		d.ErrorDesc = fmt.Sprintf("%d failures in the last 24 hours; the most frequent error is %s (%d).", failed, codes[0], top)
	}
	return d
}
