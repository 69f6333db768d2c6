-- Governance: access reviews. Campaigns (review definitions), their
-- instances, and the items of each instance (one user's membership or app
-- assignment). Each row keeps its JSON document beside the columns its
-- queries select on. next_start and due_at drive the scheduler's timer.
-- Times are Unix milliseconds.
CREATE TABLE review_campaigns (
    id         TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    next_start BIGINT,
    doc        TEXT NOT NULL
);
CREATE INDEX review_campaigns_next ON review_campaigns (next_start);

CREATE TABLE review_instances (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES review_campaigns (id) ON DELETE CASCADE,
    start_at    BIGINT NOT NULL,
    status      TEXT NOT NULL,
    due_at      BIGINT,
    doc         TEXT NOT NULL,
    UNIQUE (campaign_id, start_at)
);
CREATE INDEX review_instances_due ON review_instances (status, due_at);

CREATE TABLE review_items (
    id          TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES review_instances (id) ON DELETE CASCADE,
    pos         INTEGER NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX review_items_instance ON review_items (instance_id, pos);
