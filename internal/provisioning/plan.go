package provisioning

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/provisioning/scimclient"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/scim/filter"
)

// Actions, as Entra's provisioning logs name them.
const (
	ActionCreate       = "Create"
	ActionUpdate       = "Update"
	ActionDisable      = "Disable"
	ActionDelete       = "Delete"
	ActionNone         = "None"
	ActionSkip         = "Skip"
	ActionStagedDelete = "StagedDelete"
)

// Plan is what to do to one target object. The planner makes plans from
// desired and target state and does no I/O; the engine carries them out.
type Plan struct {
	Action string
	// Create is the resource to POST (Action Create).
	Create scimclient.Doc
	// Patch holds attribute operations, sent in one PATCH.
	Patch []scimclient.Op
	// Add and Remove are group member changes (target user ids), sent in
	// PATCHes of at most Settings.MaxMembersPerPatch changes.
	Add, Remove []string
	Modified    []Modified
	Reason      string
}

// userInput is what the planner knows of one user.
type userInput struct {
	// Desired is the mapped resource; nil when the source user is gone.
	Desired *built
	// InScope: the user belongs in the target as an active user. Out of
	// scope (unassigned, filtered out, disabled, soft-deleted) means a
	// disable, as Entra does.
	InScope bool
	// Deleted: the source user was hard-deleted, so the target user goes.
	Deleted bool
	// Target is the target's user, nil if there is none.
	Target scimclient.Doc
}

// planUser decides one user's lifecycle step.
func planUser(in userInput) Plan {
	switch {
	case in.Deleted:
		if in.Target == nil {
			return Plan{Action: ActionNone, Reason: "deleted at the source and absent from the target"}
		}
		return Plan{Action: ActionDelete, Reason: "hard-deleted at the source"}
	case !in.InScope:
		if in.Target == nil {
			return Plan{Action: ActionSkip, Reason: "out of scope and not in the target"}
		}
		if active, _ := scim.Get(in.Target, "active").(bool); !active {
			return Plan{Action: ActionNone, Reason: "out of scope and already inactive"}
		}
		return Plan{
			Action:   ActionDisable,
			Patch:    []scimclient.Op{{Op: "replace", Path: "active", Value: false}},
			Modified: []Modified{{Name: "active", Old: "true", New: "false"}},
			Reason:   "out of scope: unassigned, filtered out, disabled or deleted at the source",
		}
	case in.Target == nil:
		doc := clone(in.Desired.doc)
		doc["schemas"] = userSchemas(doc)
		return Plan{Action: ActionCreate, Create: doc, Modified: describe(in.Desired, nil)}
	}
	ops, mods := diff(in.Desired, in.Target)
	if len(ops) == 0 {
		return Plan{Action: ActionNone, Reason: "the target is up to date"}
	}
	return Plan{Action: ActionUpdate, Patch: ops, Modified: mods}
}

func userSchemas(doc map[string]any) []string {
	s := []string{scim.SchemaUser}
	if scim.Get(doc, scim.SchemaEnterprise) != nil {
		s = append(s, scim.SchemaEnterprise)
	}
	return s
}

// unremovable attributes can only be replaced (AWS refuses their removal).
var unremovable = map[string]bool{"username": true, "active": true}

// diff compares the managed paths of desired with the target: changed
// values are replaced, values cleared at the source are removed from the
// target (which Entra never does).
func diff(desired *built, target scimclient.Doc) ([]scimclient.Op, []Modified) {
	var ops []scimclient.Op
	var mods []Modified
	seen := map[string]bool{}
	for _, p := range desired.managed {
		key := strings.ToLower(p.String())
		if seen[key] {
			continue
		}
		seen[key] = true
		dv, tv := scim.GetPath(desired.doc, p), scim.GetPath(target, p)
		if sameJSON(dv, tv) {
			continue
		}
		if dv == nil {
			if tv == nil || unremovable[strings.ToLower(p.Attr.Name)] && p.Attr.URN == "" {
				continue
			}
			ops = append(ops, scimclient.Op{Op: "remove", Path: removalPath(p)})
		} else {
			ops = append(ops, scimclient.Op{Op: "replace", Path: p.String(), Value: dv})
		}
		mods = append(mods, Modified{Name: p.String(), Old: text(tv), New: text(dv)})
	}
	return ops, mods
}

// removalPath clears a filtered value's "value" by removing the whole value
// (emails[type eq "work"]), since a value without "value" is meaningless.
func removalPath(p filter.Path) string {
	if p.Filter != nil && strings.EqualFold(p.Sub, "value") {
		return filter.Path{Attr: p.Attr, Filter: p.Filter}.String()
	}
	return p.String()
}

func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case map[string]any:
		if s, ok := v["value"].(string); ok {
			return s
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func describe(b *built, target scimclient.Doc) []Modified {
	var mods []Modified
	for _, p := range b.managed {
		if v := scim.GetPath(b.doc, p); v != nil {
			mods = append(mods, Modified{Name: p.String(), Old: text(scim.GetPath(target, p)), New: text(v)})
		}
	}
	return mods
}

func clone(doc map[string]any) map[string]any {
	b, _ := json.Marshal(doc)
	out, _ := scim.DecodeDocument(b)
	return out
}

// groupInput is what the planner knows of one group.
type groupInput struct {
	Desired *built // nil when the group does not belong in the target
	// Members are the target ids of the users who belong in the group.
	Members []string
	Target  scimclient.Doc
	// TargetMembers are the target's member ids (read with the dialect's
	// method), when Target is not nil.
	TargetMembers []string
	// MaxCreateMembers is how many members may be sent with the create.
	MaxCreateMembers int
}

// planGroup decides one group's step: create with its members, update its
// attributes and membership, or delete it when it left the scope.
func planGroup(in groupInput) Plan {
	if in.Desired == nil {
		if in.Target == nil {
			return Plan{Action: ActionNone, Reason: "not in scope and absent from the target"}
		}
		return Plan{Action: ActionDelete, Reason: "the group was deleted or left the scope"}
	}
	want := setOf(in.Members)
	if in.Target == nil {
		doc := clone(in.Desired.doc)
		doc["schemas"] = []string{scim.SchemaGroup}
		add := sortedKeys(want)
		// The first members go with the create (AWS takes up to 100 there),
		// the rest in PATCHes.
		first := add[:min(len(add), in.MaxCreateMembers)]
		if len(first) > 0 {
			ms := make([]any, len(first))
			for i, id := range first {
				ms[i] = map[string]any{"value": id}
			}
			doc["members"] = ms
		}
		return Plan{Action: ActionCreate, Create: doc, Add: add[len(first):], Modified: append(describe(in.Desired, nil),
			Modified{Name: "members", New: fmt.Sprintf("%d members", len(add))})}
	}
	ops, mods := diff(in.Desired, in.Target)
	have := setOf(in.TargetMembers)
	var add, remove []string
	for id := range want {
		if !have[id] {
			add = append(add, id)
		}
	}
	for id := range have {
		if !want[id] {
			remove = append(remove, id)
		}
	}
	slices.Sort(add)
	slices.Sort(remove)
	if len(add)+len(remove) > 0 {
		mods = append(mods, Modified{Name: "members", Old: fmt.Sprintf("%d members", len(have)),
			New: fmt.Sprintf("%d members (+%d -%d)", len(want), len(add), len(remove))})
	}
	if len(ops) == 0 && len(add) == 0 && len(remove) == 0 {
		return Plan{Action: ActionNone, Reason: "the target is up to date"}
	}
	return Plan{Action: ActionUpdate, Patch: ops, Add: add, Remove: remove, Modified: mods}
}

// memberPatches splits member changes into PATCHes of at most n changes,
// removes first so a group never exceeds what it should hold.
func memberPatches(add, remove []string, n int) [][]scimclient.Op {
	if n <= 0 {
		n = 100
	}
	type change struct{ op, id string }
	var all []change
	for _, id := range remove {
		all = append(all, change{"remove", id})
	}
	for _, id := range add {
		all = append(all, change{"add", id})
	}
	var out [][]scimclient.Op
	for len(all) > 0 {
		chunk := all[:min(n, len(all))]
		all = all[len(chunk):]
		var ops []scimclient.Op
		var addVals, removeVals []map[string]string
		for _, c := range chunk {
			if c.op == "add" {
				addVals = append(addVals, map[string]string{"value": c.id})
			} else {
				removeVals = append(removeVals, map[string]string{"value": c.id})
			}
		}
		if len(removeVals) > 0 {
			ops = append(ops, scimclient.Op{Op: "remove", Path: "members", Value: removeVals})
		}
		if len(addVals) > 0 {
			ops = append(ops, scimclient.Op{Op: "add", Path: "members", Value: addVals})
		}
		out = append(out, ops)
	}
	return out
}

func setOf(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
