package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/provisioning/expr"
	"github.com/gatehouse-id/gatehouse/internal/scim/filter"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// The attribute mappings of an app's provisioning job: the user and the
// group mappings (Entra's "Provision Microsoft Entra ID Users / Groups"),
// each a direct attribute, a constant or an expression flowing into a SCIM
// attribute path, some of them matching attributes with a precedence.
// Mappings are named by object kind and target attribute, which are unique
// (as in Entra: one mapping per target attribute), so a change made from a
// page loaded before another admin's change cannot hit the wrong mapping.

// choice is an option of a select.
type choice struct{ Value, Label string }

var (
	mappingKinds = []choice{{directory.KindUser, "Users"}, {directory.KindGroup, "Groups"}}
	mappingTypes = []choice{{provisioning.MapDirect, "Direct: a source attribute"},
		{provisioning.MapConstant, "Constant: a fixed value"}, {provisioning.MapExpression, "Expression"}}
	mappingApplies = []choice{{provisioning.ApplyAlways, "Always"}, {provisioning.ApplyCreate, "Only during object creation"}}
)

// mappingFields are the mapping form's fields.
var mappingFields = []string{"kind", "was", "type", "source", "default", "target", "matchPrecedence", "apply"}

type mappingsData struct {
	Tabs       appTabs
	Nav        provNav
	App        *directory.App
	Configured bool
	Tables     []mappingTable
	// Editing is the target attribute of the mapping the form edits ("":
	// the form adds one).
	Editing   string
	Kinds     []choice
	Types     []choice
	Applies   []choice
	UserAttrs []string
	GroupAttr []string
	Check     *sourceCheck
}

// mappingTable is the mappings of one object kind.
type mappingTable struct {
	Kind, Title string
	List        []provisioning.Mapping
}

// sourceCheck is what the source field's check says (the "sourcecheck"
// template, also served alone as the field is typed).
type sourceCheck struct {
	OK  bool
	Msg string
	// Before, At and After split an expression around the position of its
	// syntax error, to mark it.
	Before, At, After string
	Marked            bool
}

func (h *Handler) mappingsData(c *jobConfig) *mappingsData {
	set := c.settings()
	return &mappingsData{Tabs: h.tabs(c.App, "provisioning"), Nav: provNav{c.App.ID, "mappings"}, App: c.App, Configured: c.Job != nil,
		Tables: []mappingTable{{directory.KindUser, "User attribute mappings", set.Users},
			{directory.KindGroup, "Group attribute mappings", set.Groups}},
		Kinds: mappingKinds, Types: mappingTypes, Applies: mappingApplies,
		UserAttrs: provisioning.SourceAttributes(directory.KindUser), GroupAttr: provisioning.SourceAttributes(directory.KindGroup)}
}

func (h *Handler) mappingsPage(w http.ResponseWriter, r *http.Request, a *access, d *mappingsData, form map[string]string,
	errs web.Errors, msg string) {
	p := h.page(r, a, "Attribute mappings: "+d.App.DisplayName, Prefix+"/apps", d)
	if form == nil {
		form = map[string]string{"kind": directory.KindUser, "type": provisioning.MapDirect, "apply": provisioning.ApplyAlways}
	}
	p.Form = form
	status := http.StatusOK
	if errs.Has() || msg != "" {
		p.Errors, p.Error, status = errs, msg, formErrorStatus
	}
	h.render(w, "provmappings", status, p)
}

// provMappings lists the mappings; ?kind=user&edit=userName puts that
// mapping in the form.
func (h *Handler) provMappings(w http.ResponseWriter, r *http.Request, a *access) {
	c, ok := h.loadJobConfig(w, r)
	if !ok {
		return
	}
	d := h.mappingsData(c)
	q := r.URL.Query()
	var form map[string]string
	if target := q.Get("edit"); target != "" && a.canChange() {
		set := c.settings()
		kind := q.Get("kind")
		list := mappingsOf(&set.Users, &set.Groups, kind)
		i := findMapping(list, target)
		if i < 0 {
			h.notFound(w)
			return
		}
		m := (*list)[i]
		form = mappingForm(kind, m)
		d.Editing = m.Target
	}
	h.mappingsPage(w, r, a, d, form, nil, "")
}

// mappingsOf is the list of the kind ("user" or "group"), nil for another.
func mappingsOf(users, groups *[]provisioning.Mapping, kind string) *[]provisioning.Mapping {
	switch kind {
	case directory.KindUser:
		return users
	case directory.KindGroup:
		return groups
	}
	return nil
}

// findMapping is the index of the mapping to target (any case), -1 if none.
func findMapping(ms *[]provisioning.Mapping, target string) int {
	if ms == nil {
		return -1
	}
	for i, m := range *ms {
		if strings.EqualFold(m.Target, strings.TrimSpace(target)) {
			return i
		}
	}
	return -1
}

func mappingForm(kind string, m provisioning.Mapping) map[string]string {
	match := ""
	if m.Match > 0 {
		match = strconv.Itoa(m.Match)
	}
	apply := m.Apply
	if apply == "" {
		apply = provisioning.ApplyAlways
	}
	return map[string]string{"kind": kind, "was": m.Target, "type": m.Type, "source": m.Source, "default": m.Default,
		"target": m.Target, "matchPrecedence": match, "apply": apply}
}

// checkSource checks a mapping's source for its type: a direct mapping
// names an attribute of the kind, an expression parses (its syntax error
// marked at its position), a constant is any text.
func checkSource(kind, typ, source string) *sourceCheck {
	switch typ {
	case provisioning.MapDirect:
		if source == "" {
			return &sourceCheck{Msg: "Enter the source attribute, such as userPrincipalName."}
		}
		if canonicalAttr(kind, source) == "" {
			return &sourceCheck{Msg: fmt.Sprintf("%s have no attribute %q: see the source attributes below the form.",
				kindPlural(kind), source)}
		}
		return &sourceCheck{OK: true, Msg: "A source attribute."}
	case provisioning.MapConstant:
		if source == "" {
			return &sourceCheck{Msg: "Enter the constant value."}
		}
		return &sourceCheck{OK: true, Msg: "A constant: sent as written."}
	case provisioning.MapExpression:
		if source == "" {
			return &sourceCheck{Msg: "Enter the expression, such as Join(\" \", [givenName], [surname])."}
		}
		_, err := expr.Parse(source)
		var se *expr.SyntaxError
		if errors.As(err, &se) {
			c := &sourceCheck{Msg: fmt.Sprintf("At position %d: %s.", se.Pos, strings.TrimSuffix(se.Msg, "."))}
			c.Before, c.At, c.After = splitAtRune(source, se.Pos-1)
			c.Marked = true
			return c
		}
		if err != nil {
			return &sourceCheck{Msg: web.Sentence(err.Error())}
		}
		return &sourceCheck{OK: true, Msg: "Valid expression."}
	}
	return &sourceCheck{Msg: "Choose the mapping type."}
}

// splitAtRune splits s around its i-th character (0-based); at is empty
// past the end.
func splitAtRune(s string, i int) (before, at, after string) {
	for n, off := 0, 0; off < len(s); n++ {
		_, size := utf8.DecodeRuneInString(s[off:])
		if n == i {
			return s[:off], s[off : off+size], s[off+size:]
		}
		off += size
	}
	return s, "", ""
}

func kindPlural(kind string) string {
	if kind == directory.KindGroup {
		return "Groups"
	}
	return "Users"
}

// checkMappingSource answers the source field as it is typed (htmx): the
// "sourcecheck" fragment. It is a GET: it changes nothing, so it is not a
// console write to audit, and read-only admins may use it too.
func (h *Handler) checkMappingSource(w http.ResponseWriter, r *http.Request, a *access) {
	if _, ok := h.loadJobConfig(w, r); !ok {
		return
	}
	q := r.URL.Query()
	kind := q.Get("kind")
	if kind != directory.KindGroup {
		kind = directory.KindUser
	}
	web.Secure(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pages["provmappings"].ExecuteTemplate(w, "sourcecheck", checkSource(kind, q.Get("type"),
		strings.TrimSpace(q.Get("source")))); err != nil {
		h.log().Error("console: render source check", "err", err)
	}
}

// parseMappingForm reads a mapping, with a message next to each field that
// is wrong.
func parseMappingForm(f map[string]string) (provisioning.Mapping, *sourceCheck, web.Errors) {
	errs := web.Errors{}
	m := provisioning.Mapping{Type: f["type"], Source: f["source"], Default: f["default"], Target: f["target"], Apply: f["apply"]}
	if f["kind"] != directory.KindUser && f["kind"] != directory.KindGroup {
		errs.Add("kind", "Choose users or groups.")
	}
	check := checkSource(f["kind"], m.Type, m.Source)
	if !check.OK {
		if m.Type != provisioning.MapDirect && m.Type != provisioning.MapConstant && m.Type != provisioning.MapExpression {
			errs.Add("type", check.Msg)
		} else {
			errs.Add("source", check.Msg)
		}
	} else if m.Type == provisioning.MapDirect {
		m.Source = canonicalAttr(f["kind"], m.Source)
	}
	if m.Target == "" {
		errs.Add("target", "Enter the target attribute, a SCIM path such as userName or emails[type eq \"work\"].value.")
	} else if _, err := filter.ParsePath(m.Target); err != nil {
		errs.Add("target", "This is not a SCIM attribute path: "+web.Sentence(err.Error()))
	}
	if f["matchPrecedence"] != "" {
		n, err := strconv.Atoi(f["matchPrecedence"])
		if err != nil || n < 0 {
			errs.Add("matchPrecedence", "Enter a whole number: 1 is tried first; empty or 0 does not match on this attribute.")
		}
		m.Match = n
	}
	switch m.Apply {
	case provisioning.ApplyAlways:
		m.Apply = "" // the engine's default
	case provisioning.ApplyCreate:
	default:
		errs.Add("apply", "Choose when the mapping applies.")
	}
	if m.Type == provisioning.MapConstant && m.Default != "" {
		errs.Add("default", "A constant has no default value: leave this empty.")
	}
	return m, check, errs
}

// hasMatching reports whether one of the mappings is a matching attribute:
// without one, provisioning could not find the objects it made before.
func hasMatching(ms []provisioning.Mapping) bool {
	for _, m := range ms {
		if m.Match > 0 {
			return true
		}
	}
	return false
}

// saveMapping adds a mapping, or replaces the one the form names in "was".
func (h *Handler) saveMapping(w http.ResponseWriter, r *http.Request, a *access) {
	c, ok := h.loadJobConfig(w, r)
	if !ok {
		return
	}
	f := formValues(r, mappingFields...)
	d := h.mappingsData(c)
	d.Editing = f["was"]
	if c.Job == nil {
		h.mappingsPage(w, r, a, d, f, nil, notConfiguredMsg)
		return
	}
	m, check, errs := parseMappingForm(f)
	if errs["type"] == "" {
		d.Check = check // next to the source field, as when it was typed
	}
	set := c.settings()
	list := mappingsOf(&set.Users, &set.Groups, f["kind"])
	at := -1 // a new mapping
	if f["was"] != "" && list != nil {
		if at = findMapping(list, f["was"]); at < 0 {
			h.mappingsPage(w, r, a, d, f, nil, staleMsg)
			return
		}
	}
	if !errs.Has() {
		if i := findMapping(list, m.Target); i >= 0 && i != at {
			errs.Add("target", fmt.Sprintf("Another %s mapping already sets %s: edit that one instead.", f["kind"], (*list)[i].Target))
		}
	}
	if !errs.Has() {
		ms := append([]provisioning.Mapping(nil), *list...)
		if at < 0 {
			ms = append(ms, m)
		} else {
			ms[at] = m
		}
		if !hasMatching(ms) {
			errs.Add("matchPrecedence", fmt.Sprintf("The %s mappings need a matching attribute: give this one a matching precedence, such as 1.", f["kind"]))
		}
		*list = ms
	}
	refused := func(msg string) { h.mappingsPage(w, r, a, d, f, errs, msg) }
	if errs.Has() {
		refused("The mapping was not saved: correct the fields marked below.")
		return
	}
	done := "mapping-added"
	if at >= 0 {
		done = "mapping-saved"
	}
	h.commit(w, r, a, c, set, "", refused, "/mappings", done, "mapping saved",
		"kind", f["kind"], "target", m.Target, "type", m.Type, "was", f["was"])
}

// deleteMapping removes the mapping of a kind to a target attribute; the
// last matching attribute stays.
func (h *Handler) deleteMapping(w http.ResponseWriter, r *http.Request, a *access) {
	c, ok := h.loadConfiguredJob(w, r)
	if !ok {
		return
	}
	kind, target := r.PostFormValue("kind"), r.PostFormValue("target")
	set := c.settings()
	list := mappingsOf(&set.Users, &set.Groups, kind)
	refuse := func(msg string) { h.mappingsPage(w, r, a, h.mappingsData(c), nil, nil, msg) }
	i := findMapping(list, target)
	if i < 0 {
		refuse(staleMsg)
		return
	}
	ms := append(append([]provisioning.Mapping(nil), (*list)[:i]...), (*list)[i+1:]...)
	if !hasMatching(ms) {
		refuse(fmt.Sprintf("%s is the only matching attribute of the %s mappings, so it stays: make another mapping a matching attribute first.",
			(*list)[i].Target, kind))
		return
	}
	*list = ms
	h.commit(w, r, a, c, set, "", refuse, "/mappings", "mapping-deleted", "mapping deleted", "kind", kind, "target", target)
}

// resetMappings puts back the default mappings of a kind: those a new job
// starts with, the AWS IAM Identity Center app's (Entra's "Restore default
// mappings").
func (h *Handler) resetMappings(w http.ResponseWriter, r *http.Request, a *access) {
	c, ok := h.loadConfiguredJob(w, r)
	if !ok {
		return
	}
	kind := r.PostFormValue("kind")
	set := c.settings()
	defaults := provisioning.DefaultSettings("")
	list := mappingsOf(&set.Users, &set.Groups, kind)
	if list == nil {
		h.notFound(w)
		return
	}
	*list = *mappingsOf(&defaults.Users, &defaults.Groups, kind)
	refused := func(msg string) { h.mappingsPage(w, r, a, h.mappingsData(c), nil, nil, msg) }
	h.commit(w, r, a, c, set, "", refused, "/mappings", "mappings-reset", "mappings reset to defaults", "kind", kind)
}
