-- Recall and delisting of nonconforming lots (召回、不合格产品退市).
--
-- A recall names one lot and a level (食品召回管理办法: 一级/二级/三级); its
-- deadlines are fixed when it opens, from the settings then in force, so a
-- later change of the settings never moves the clock of a recall under way.
-- The scope is computed once, at opening, by a forward trace, and kept as a
-- snapshot: every downstream lot with its tier, quantity and the path that
-- reached it (recall_lots), every holder (recall_holders: a registered
-- enterprise, or a party identifier nobody could map to one) and what each
-- holds or held (recall_holdings). Holders confirm what they removed from
-- sale, returned or destroyed (recall_confirmations); each confirmation is
-- also an EPCIS event, whose ID is kept here. recall_history is the
-- recall's own account of what happened, in order. A nonconforming result
-- proposes a recall (recall_proposals), one per domain event, which an
-- officer confirms or dismisses.

-- +goose Up
CREATE TABLE recalls (
    id            TEXT PRIMARY KEY,
    region_code   TEXT NOT NULL,
    epc           TEXT NOT NULL,
    lot_uri       TEXT NOT NULL,
    product       TEXT NOT NULL DEFAULT '',
    level         INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open',
    department_id TEXT NOT NULL DEFAULT '',
    proposal_id   TEXT NOT NULL DEFAULT '',
    start_due     BIGINT NOT NULL,
    finish_due    TEXT NOT NULL,
    light         TEXT NOT NULL DEFAULT 'green',
    light_at      BIGINT NOT NULL,
    lots          INTEGER NOT NULL DEFAULT 0,
    holders       INTEGER NOT NULL DEFAULT 0,
    holders_done  INTEGER NOT NULL DEFAULT 0,
    opened_by     TEXT NOT NULL,
    opened_at     BIGINT NOT NULL,
    closed_by     TEXT NOT NULL DEFAULT '',
    closed_at     BIGINT,
    close_reason  TEXT NOT NULL DEFAULT '',
    updated_at    BIGINT NOT NULL
);
CREATE INDEX recalls_region ON recalls(region_code, status, opened_at);
CREATE INDEX recalls_lot ON recalls(lot_uri);
-- One open recall per lot: a second officer opening the same one is refused.
CREATE UNIQUE INDEX recalls_open_lot ON recalls(lot_uri) WHERE status = 'open';

CREATE TABLE recall_lots (
    recall_id TEXT NOT NULL REFERENCES recalls(id),
    uri       TEXT NOT NULL,
    tier      INTEGER NOT NULL,
    qty       DOUBLE PRECISION,
    uom       TEXT NOT NULL DEFAULT '',
    path      TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (recall_id, uri)
);
CREATE INDEX recall_lots_uri ON recall_lots(uri, recall_id);

CREATE TABLE recall_holders (
    id            TEXT PRIMARY KEY,
    recall_id     TEXT NOT NULL REFERENCES recalls(id),
    seq           INTEGER NOT NULL,
    enterprise_id TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL DEFAULT '',
    parties       TEXT NOT NULL DEFAULT '[]',
    custody       BOOLEAN NOT NULL DEFAULT FALSE,
    handled       BOOLEAN NOT NULL DEFAULT FALSE,
    status        TEXT NOT NULL DEFAULT 'pending',
    light         TEXT NOT NULL DEFAULT 'green',
    notified      INTEGER NOT NULL DEFAULT 0,
    started_at    BIGINT,
    done_at       BIGINT,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX recall_holders_recall ON recall_holders(recall_id, seq);
CREATE INDEX recall_holders_enterprise ON recall_holders(enterprise_id, recall_id);

CREATE TABLE recall_holdings (
    recall_id TEXT NOT NULL REFERENCES recalls(id),
    holder_id TEXT NOT NULL REFERENCES recall_holders(id),
    lot_uri   TEXT NOT NULL,
    party_uri TEXT NOT NULL DEFAULT '',
    qty       DOUBLE PRECISION,
    uom       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (holder_id, lot_uri, party_uri)
);
CREATE INDEX recall_holdings_recall ON recall_holdings(recall_id);

CREATE TABLE recall_confirmations (
    id            TEXT PRIMARY KEY,
    recall_id     TEXT NOT NULL REFERENCES recalls(id),
    holder_id     TEXT NOT NULL REFERENCES recall_holders(id),
    lot_uri       TEXT NOT NULL,
    action        TEXT NOT NULL,
    qty           DOUBLE PRECISION NOT NULL,
    uom           TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    evidence_hash TEXT NOT NULL DEFAULT '',
    evidence_name TEXT NOT NULL DEFAULT '',
    event_id      TEXT NOT NULL,
    complete      BOOLEAN NOT NULL DEFAULT FALSE,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX recall_confirmations_recall ON recall_confirmations(recall_id, created_at);
CREATE INDEX recall_confirmations_holder ON recall_confirmations(holder_id, created_at);

CREATE TABLE recall_history (
    id         TEXT PRIMARY KEY,
    recall_id  TEXT NOT NULL REFERENCES recalls(id),
    at         BIGINT NOT NULL,
    actor_id   TEXT NOT NULL,
    actor_name TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    params     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX recall_history_recall ON recall_history(recall_id, at, id);

CREATE TABLE recall_proposals (
    id              TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL UNIQUE,
    region_code     TEXT NOT NULL DEFAULT '',
    enterprise_id   TEXT NOT NULL DEFAULT '',
    product         TEXT NOT NULL DEFAULT '',
    epc             TEXT NOT NULL DEFAULT '',
    items           TEXT NOT NULL DEFAULT '[]',
    report_id       TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'pending',
    recall_id       TEXT NOT NULL DEFAULT '',
    decision_reason TEXT NOT NULL DEFAULT '',
    decided_by      TEXT NOT NULL DEFAULT '',
    decided_at      BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX recall_proposals_region ON recall_proposals(region_code, status, created_at);

-- +goose Down
DROP TABLE recall_proposals;
DROP TABLE recall_history;
DROP TABLE recall_confirmations;
DROP TABLE recall_holdings;
DROP TABLE recall_holders;
DROP TABLE recall_lots;
DROP TABLE recalls;
