package storetest

import (
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

func (e *dirEnv) owners(groupID string) []string {
	e.t.Helper()
	ids, err := e.s.Owners(e.ctx, groupID)
	e.noErr("Owners("+groupID+")", err)
	return ids
}

func (e *dirEnv) ownedGroups(userID string) []string {
	e.t.Helper()
	ids, err := e.s.OwnedGroups(e.ctx, userID)
	e.noErr("OwnedGroups("+userID+")", err)
	return ids
}

// Owners and OwnedGroups list ownerships in id order; owners are not
// members, and owner changes append nothing to the outbox.
func testDirOwners(e *dirEnv) {
	ada, bob := e.user("ada@example.com"), e.user("bob@example.com")
	ops, dev := e.group("ops"), e.group("dev", bob.ID)
	e.same("Owners(new group)", e.owners(ops.ID), nil)
	last, _ := e.s.LastChange(e.ctx)
	e.noErr("AddOwner(ops, ada)", e.s.AddOwner(e.ctx, ops.ID, ada.ID, t0))
	e.noErr("AddOwner(ops, bob)", e.s.AddOwner(e.ctx, ops.ID, bob.ID, t0.Add(time.Second)))
	e.noErr("AddOwner(dev, ada)", e.s.AddOwner(e.ctx, dev.ID, ada.ID, t0))
	e.same("Owners(ops)", e.owners(ops.ID), sorted([]string{ada.ID, bob.ID}))
	e.same("Owners(dev)", e.owners(dev.ID), []string{ada.ID})
	e.same("OwnedGroups(ada)", e.ownedGroups(ada.ID), sorted([]string{ops.ID, dev.ID}))
	e.same("OwnedGroups(bob)", e.ownedGroups(bob.ID), []string{ops.ID})
	e.same("Members(ops): owners are not members", e.members(ops.ID), nil)
	e.same("Members(dev)", e.members(dev.ID), []string{userMember(bob.ID)})
	e.same("MemberOf(ada)", e.memberOf(ada.ID), nil)
	e.noChanges("AddOwner", last)

	e.noErr("RemoveOwner(ops, bob)", e.s.RemoveOwner(e.ctx, ops.ID, bob.ID))
	e.same("Owners(ops) after remove", e.owners(ops.ID), []string{ada.ID})
	e.same("OwnedGroups(bob) after remove", e.ownedGroups(bob.ID), nil)
	e.same("Members(dev) after removing an ownership", e.members(dev.ID), []string{userMember(bob.ID)})
	e.noChanges("RemoveOwner", last)
	// The last owner can be removed: a security group may have none.
	e.noErr("RemoveOwner(dev, ada)", e.s.RemoveOwner(e.ctx, dev.ID, ada.ID))
	e.same("Owners(dev) after removing the last", e.owners(dev.ID), nil)
}

// Refused owner writes change nothing.
func testDirOwnerErrors(e *dirEnv) {
	ada := e.user("ada@example.com")
	g, other := e.group("g"), e.group("other")
	e.noErr("AddOwner", e.s.AddOwner(e.ctx, g.ID, ada.ID, t0))
	e.wantErr("AddOwner(twice)", e.s.AddOwner(e.ctx, g.ID, ada.ID, t0), directory.ErrConflict)
	e.wantErr("AddOwner(unknown group)", e.s.AddOwner(e.ctx, newID(), ada.ID, t0), directory.ErrNotFound)
	e.wantErr("AddOwner(a user's id as group)", e.s.AddOwner(e.ctx, ada.ID, ada.ID, t0), directory.ErrNotFound)
	e.wantErr("AddOwner(unknown user)", e.s.AddOwner(e.ctx, g.ID, newID(), t0), directory.ErrInvalid)
	e.wantErr("AddOwner(a group as owner)", e.s.AddOwner(e.ctx, g.ID, other.ID, t0), directory.ErrInvalid)
	gone := e.user("gone@example.com")
	e.noErr("DeleteUser", e.s.DeleteUser(e.ctx, gone.ID, t0))
	e.wantErr("AddOwner(soft-deleted user)", e.s.AddOwner(e.ctx, g.ID, gone.ID, t0), directory.ErrInvalid)
	e.wantErr("RemoveOwner(not an owner)", e.s.RemoveOwner(e.ctx, other.ID, ada.ID), directory.ErrNotFound)
	e.wantErr("RemoveOwner(unknown group)", e.s.RemoveOwner(e.ctx, newID(), ada.ID), directory.ErrNotFound)
	e.same("Owners(g)", e.owners(g.ID), []string{ada.ID})
	e.same("Owners(other)", e.owners(other.ID), nil)
	e.same("OwnedGroups(group id)", e.ownedGroups(other.ID), nil)
}

// A soft-deleted owner keeps the ownership (restorable); purging the user
// or deleting the group removes it.
func testDirOwnersGoWithUserAndGroup(e *dirEnv) {
	ada, bob := e.user("ada@example.com"), e.user("bob@example.com")
	ops, dev := e.group("ops"), e.group("dev")
	for _, g := range []string{ops.ID, dev.ID} {
		for _, u := range []string{ada.ID, bob.ID} {
			e.noErr("AddOwner", e.s.AddOwner(e.ctx, g, u, t0))
		}
	}
	e.noErr("DeleteUser(ada)", e.s.DeleteUser(e.ctx, ada.ID, t0))
	e.same("Owners(ops) with ada soft-deleted", e.owners(ops.ID), sorted([]string{ada.ID, bob.ID}))
	_, err := e.s.RestoreUser(e.ctx, ada.ID, t0.Add(time.Minute))
	e.noErr("RestoreUser(ada)", err)
	e.same("OwnedGroups(ada) restored", e.ownedGroups(ada.ID), sorted([]string{ops.ID, dev.ID}))

	e.noErr("DeleteUser(ada)", e.s.DeleteUser(e.ctx, ada.ID, t0.Add(2*time.Minute)))
	e.noErr("PurgeUser(ada)", e.s.PurgeUser(e.ctx, ada.ID, t0.Add(3*time.Minute)))
	e.same("Owners(ops) after purge", e.owners(ops.ID), []string{bob.ID})
	e.same("OwnedGroups(purged)", e.ownedGroups(ada.ID), nil)

	gone := e.user("gone@example.com")
	e.noErr("AddOwner(dev, gone)", e.s.AddOwner(e.ctx, dev.ID, gone.ID, t0))
	e.noErr("DeleteUser(gone)", e.s.DeleteUser(e.ctx, gone.ID, t0))
	n, err := e.s.PurgeDeletedBefore(e.ctx, t0.Add(time.Hour))
	e.noErr("PurgeDeletedBefore", err)
	if n != 1 {
		e.t.Errorf("PurgeDeletedBefore = %d, want 1", n)
	}
	e.same("Owners(dev) after PurgeDeletedBefore", e.owners(dev.ID), []string{bob.ID})

	e.noErr("DeleteGroup(ops)", e.s.DeleteGroup(e.ctx, ops.ID, t0))
	e.same("OwnedGroups(bob) after DeleteGroup", e.ownedGroups(bob.ID), []string{dev.ID})
	e.same("Owners(deleted group)", e.owners(ops.ID), nil)
	// A purged user's id, reused by nobody, cannot be made an owner again.
	e.wantErr("AddOwner(purged)", e.s.AddOwner(e.ctx, dev.ID, ada.ID, t0), directory.ErrInvalid)
}
