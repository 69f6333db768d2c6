-- The directory's provisioning engine: one job per app, links to target
-- objects with escrow state, logs, staged deletes, and driver leases.
CREATE TABLE provisioning_jobs (
    app_id     TEXT PRIMARY KEY,
    enabled    BOOLEAN NOT NULL,
    doc        TEXT NOT NULL,
    cursor_seq BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE provisioning_links (
    app_id     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    source_id  TEXT NOT NULL,
    target_id  TEXT NOT NULL,
    failures   INTEGER NOT NULL,
    next_retry BIGINT,
    last_error TEXT NOT NULL,
    permanent  BOOLEAN NOT NULL,
    PRIMARY KEY (app_id, kind, source_id)
);
CREATE INDEX provisioning_links_retry ON provisioning_links (app_id, next_retry);

CREATE TABLE provisioning_logs (
    seq       BIGINT PRIMARY KEY,
    id        TEXT NOT NULL,
    app_id    TEXT NOT NULL,
    cycle_id  TEXT NOT NULL,
    source_id TEXT NOT NULL,
    action    TEXT NOT NULL,
    status    TEXT NOT NULL,
    at        BIGINT NOT NULL,
    doc       TEXT NOT NULL
);
CREATE INDEX provisioning_logs_app ON provisioning_logs (app_id, seq);
INSERT INTO counters (name, value) VALUES ('provisioning_logs', 0);

CREATE TABLE provisioning_staged_deletes (
    app_id    TEXT NOT NULL,
    kind      TEXT NOT NULL,
    source_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    action    TEXT NOT NULL,
    staged_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, kind, source_id)
);

CREATE TABLE provisioning_leases (
    app_id     TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
