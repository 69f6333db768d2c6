package console

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/scim"
)

// The access graph: who can reach what, drawn as four columns (users,
// groups, permission sets, accounts) joined by lines, with a table of the
// same paths beside it for screen readers and copying.

// Geometry of the drawing, in SVG user units.
const (
	graphColWidth = 250
	graphNodeW    = 220
	graphNodeH    = 26
	graphRowStep  = 36
	graphTop      = 56
	graphMaxUsers = 200
)

type graphNode struct {
	Label, Full, Kind string
	X, Y              int
	TextX, TextY      int
	Fill, Stroke      string
}

type graphEdge struct{ D string }

type graphRow struct{ User, Via, PermissionSet, Account string }

type graphData struct {
	Users         []*scim.User
	Selected      string
	SelectedName  string
	Width, Height int
	Heads         []graphNode
	Nodes         []graphNode
	Edges         []graphEdge
	Rows          []graphRow
	Desc          string
	NoAccess      int
}

var graphColumns = []struct{ kind, head, fill, stroke string }{
	{"user", "Users", "#dbeafe", "#1d4ed8"},
	{"group", "Groups", "#dcfce7", "#15803d"},
	{"ps", "Permission sets", "#fef3c7", "#b45309"},
	{"account", "AWS accounts", "#ede9fe", "#6d28d9"},
}

func shortLabel(s string) string {
	r := []rune(s)
	if len(r) <= 28 {
		return s
	}
	return string(r[:27]) + "…"
}

func (h *Handler) accessGraph(w http.ResponseWriter, r *http.Request, a *access) {
	ctx := r.Context()
	users, err := h.allUsers(ctx)
	if err != nil {
		h.fail(w, r, "list users", err)
		return
	}
	d := &graphData{Users: users, Selected: r.URL.Query().Get("user")}
	var chosen []*scim.User
	for _, u := range users {
		if d.Selected == "" || u.ID == d.Selected {
			chosen = append(chosen, u)
		}
		if u.ID == d.Selected {
			d.SelectedName = u.UserName
		}
	}
	if d.Selected != "" && d.SelectedName == "" {
		d.Selected = "" // an unknown id: show everyone
		chosen = users
	}
	if len(chosen) > graphMaxUsers {
		chosen = chosen[:graphMaxUsers]
	}
	// Columns of node keys, in order of first appearance; edges as key pairs.
	cols := make([][]string, 4)
	labels := map[string]string{}
	seen := map[string]bool{}
	add := func(col int, key, label string) {
		if !seen[key] {
			seen[key] = true
			cols[col] = append(cols[col], key)
			labels[key] = label
		}
	}
	type pair struct{ a, b string }
	edges := map[pair]bool{}
	var edgeList []pair
	link := func(a, b string) {
		if p := (pair{a, b}); !edges[p] {
			edges[p] = true
			edgeList = append(edgeList, p)
		}
	}
	for _, u := range chosen {
		if !bool(u.Active) {
			continue
		}
		acc, err := h.Store.EffectiveAccess(ctx, u.ID)
		if err != nil {
			h.fail(w, r, "effective access", err)
			return
		}
		if len(acc) == 0 {
			d.NoAccess++
			if d.Selected == "" {
				continue
			}
		}
		uk := "u:" + u.ID
		add(0, uk, u.UserName)
		for _, x := range acc {
			pk, ak := "p:"+x.PermissionSet.ARN, "a:"+x.Account.ID
			add(2, pk, x.PermissionSet.Name)
			add(3, ak, x.Account.Name+" ("+x.Account.ID+")")
			link(pk, ak)
			for _, v := range x.Via {
				via := "assigned directly"
				if v.Direct() {
					link(uk, pk)
				} else {
					gk := "g:" + v.GroupID
					add(1, gk, v.GroupDisplayName)
					link(uk, gk)
					link(gk, pk)
					via = "group " + v.GroupDisplayName
				}
				d.Rows = append(d.Rows, graphRow{User: u.UserName, Via: via, PermissionSet: x.PermissionSet.Name,
					Account: x.Account.Name + " (" + x.Account.ID + ")"})
			}
		}
	}
	pos := map[string][2]int{}
	rows := 1
	for c, keys := range cols {
		sort.SliceStable(keys, func(i, j int) bool { return strings.ToLower(labels[keys[i]]) < strings.ToLower(labels[keys[j]]) })
		rows = max(rows, len(keys))
		col := graphColumns[c]
		x := 10 + c*graphColWidth
		d.Heads = append(d.Heads, graphNode{Label: col.head, X: x, TextX: x + 4, TextY: 30})
		for i, k := range keys {
			y := graphTop + i*graphRowStep
			pos[k] = [2]int{x, y}
			d.Nodes = append(d.Nodes, graphNode{Label: shortLabel(labels[k]), Full: labels[k], Kind: col.kind, X: x, Y: y,
				TextX: x + 8, TextY: y + 17, Fill: col.fill, Stroke: col.stroke})
		}
	}
	for _, e := range edgeList {
		p, q := pos[e.a], pos[e.b]
		x1, y1 := p[0]+graphNodeW, p[1]+graphNodeH/2
		x2, y2 := q[0], q[1]+graphNodeH/2
		mx := (x1 + x2) / 2
		d.Edges = append(d.Edges, graphEdge{D: fmt.Sprintf("M%d %dC%d %d %d %d %d %d", x1, y1, mx, y1, mx, y2, x2, y2)})
	}
	d.Width = 10 + 3*graphColWidth + graphNodeW + 10
	d.Height = graphTop + rows*graphRowStep + 10
	who := "all users"
	if d.SelectedName != "" {
		who = d.SelectedName
	}
	d.Desc = fmt.Sprintf("Access of %s: %d users, %d groups, %d permission sets and %d accounts, with %d paths. The table below lists each path.",
		who, len(cols[0]), len(cols[1]), len(cols[2]), len(cols[3]), len(d.Rows))
	h.render(w, "access-graph", http.StatusOK, h.page(r, a, "Access graph", Prefix+"/access-graph", d))
}
