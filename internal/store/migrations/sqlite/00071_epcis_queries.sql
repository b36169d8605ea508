-- EPCIS 2.0 named queries and their webhook subscriptions (REST binding
-- /queries and /queries/{name}/subscriptions).
--
-- A named query belongs to whoever created it: an enterprise (owner_id) or the
-- office (owner_id ''); names are unique per owner, so one enterprise can
-- neither see nor block another's names. query is the query object as sent,
-- kept as JSON text.
--
-- A subscription delivers the query's results to dest. min_record_time is
-- the record-time watermark: every matching event recorded before it has
-- been delivered (acknowledged with a 2xx). While a window of events is
-- being delivered page by page, window_end is its upper bound and page_token
-- the next page; both are empty between windows. next_run_at is when a
-- scheduled subscription is next due (0 for a stream). attempts,
-- next_attempt_at and last_error hold the backoff after failed deliveries;
-- lease_until keeps two runners from delivering the same subscription.

-- +goose Up
CREATE TABLE epcis_queries (
    id         TEXT PRIMARY KEY,
    owner_id   TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL,
    query      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    UNIQUE (owner_id, name)
);

CREATE TABLE epcis_subscriptions (
    id                  TEXT PRIMARY KEY,
    query_id            TEXT NOT NULL,
    owner_id            TEXT NOT NULL DEFAULT '',
    dest                TEXT NOT NULL,
    signature_token     TEXT NOT NULL DEFAULT '',
    stream              BOOLEAN NOT NULL DEFAULT FALSE,
    schedule            TEXT NOT NULL DEFAULT '',
    report_if_empty     BOOLEAN NOT NULL DEFAULT FALSE,
    epc_format          TEXT NOT NULL,
    initial_record_time BIGINT NOT NULL,
    min_record_time     BIGINT NOT NULL,
    window_end          BIGINT NOT NULL DEFAULT 0,
    page_token          TEXT NOT NULL DEFAULT '',
    next_run_at         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at     BIGINT NOT NULL DEFAULT 0,
    attempts            INTEGER NOT NULL DEFAULT 0,
    last_error          TEXT NOT NULL DEFAULT '',
    lease_until         BIGINT NOT NULL DEFAULT 0,
    last_notified_at    BIGINT,
    created_at          BIGINT NOT NULL,
    created_by          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX epcis_subscriptions_query ON epcis_subscriptions(query_id);
CREATE INDEX epcis_subscriptions_due ON epcis_subscriptions(next_attempt_at);

-- +goose Down
DROP TABLE epcis_subscriptions;
DROP TABLE epcis_queries;
