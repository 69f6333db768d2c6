// Package audit is Gatehouse's audit log: one append-only, hash-chained
// sequence of records of everything an auditor asks about — admin changes,
// sign-ins (with the reason for a refusal), SAML responses issued, SCIM
// requests received, PIM activations and approvals, and access review
// decisions.
//
// The flow of one append (Log.Append, run by the Store in ONE transaction):
//
//  1. take the chain lock (store.Tx.Lock("audit"), so that several nodes on
//     one PostgreSQL database append one after the other);
//  2. read the head of the chain: the last record, else the prune anchor,
//     else the genesis value;
//  3. give the record seq = head.seq + 1 and PrevHash = head.hash;
//  4. compute Hash over the canonical encoding of every other field
//     (SHA-256, or HMAC-SHA256 under a key, see NewLog);
//  5. insert it, and commit.
//
// Verify walks the chain in seq order and reports the first break: an edited
// record (its hash no longer matches its content), a deleted one (a gap in
// seq), a reordered or inserted one (PrevHash does not link to the record
// before). A chain alone cannot show that its newest records were cut off; a
// head kept elsewhere (Log.CheckHead) can. docs/audit.md has the detail.
//
// Retention (Log.Prune) deletes the oldest records and moves the anchor — the
// seq and hash of the last record deleted, with a MAC — so that Verify starts
// from it; the prune itself is appended to the chain and names the anchor.
//
// Backends implement Store (internal/store/auditdb); the conformance suite is
// storetest.RunAudit. Servers should depend on Appender, not on *Log.
package audit
