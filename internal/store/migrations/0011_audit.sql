-- The audit log (internal/audit): one hash chain of records, appended under
-- the "audit" lock with seq = last seq + 1, and the anchor retention leaves
-- where it deleted the oldest records (at most one row, id = 1).
CREATE TABLE audit_records (
    seq       BIGINT PRIMARY KEY,
    at        BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    action    TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    reason    TEXT NOT NULL,
    details   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_records_at ON audit_records (at);
CREATE INDEX audit_records_kind ON audit_records (kind, seq);
CREATE INDEX audit_records_actor ON audit_records (actor, seq);
CREATE INDEX audit_records_subject ON audit_records (subject, seq);

CREATE TABLE audit_anchor (
    id        INTEGER PRIMARY KEY,
    seq       BIGINT NOT NULL,
    hash      TEXT NOT NULL,
    pruned_at BIGINT NOT NULL,
    mac       TEXT NOT NULL
);
