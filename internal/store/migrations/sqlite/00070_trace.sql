-- EPCIS 2.0 events and the trace graph derived from them.
--
-- Every identifier an event mentions (EPCs, classes, parties, locations) is
-- stored once in trace_nodes under its canonical form, so that an EPC URN and
-- its GS1 Digital Link are one node and the index tables hold integers only.
-- An event keeps its JSON as captured; the columns beside it are what queries
-- filter on. trace_edges is the genealogy: what went into what (transformation),
-- what was packed into what (aggregation), and where custody passed (shipping
-- and receiving between parties); the trace walks it tier by tier.

-- +goose Up
CREATE TABLE trace_nodes (
    id  INTEGER PRIMARY KEY,
    uri TEXT NOT NULL UNIQUE,
    urn TEXT NOT NULL DEFAULT ''
);

CREATE TABLE epcis_captures (
    id          TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    finished_at BIGINT,
    running     INTEGER NOT NULL,
    success     INTEGER NOT NULL,
    behaviour   TEXT NOT NULL,
    events      INTEGER NOT NULL DEFAULT 0,
    errors      TEXT NOT NULL DEFAULT '[]',
    owner_id    TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX epcis_captures_created ON epcis_captures(created_at);

CREATE TABLE epcis_events (
    seq               INTEGER PRIMARY KEY,
    event_id          TEXT NOT NULL UNIQUE,
    hash_id           TEXT NOT NULL,
    event_type        TEXT NOT NULL,
    event_time        BIGINT NOT NULL,
    record_time       BIGINT NOT NULL,
    action            TEXT NOT NULL DEFAULT '',
    biz_step          TEXT NOT NULL DEFAULT '',
    disposition       TEXT NOT NULL DEFAULT '',
    read_point        BIGINT,
    biz_location      BIGINT,
    transformation_id TEXT NOT NULL DEFAULT '',
    error_time        BIGINT,
    error_reason      TEXT NOT NULL DEFAULT '',
    capture_id        TEXT NOT NULL DEFAULT '',
    owner_id          TEXT NOT NULL DEFAULT '',
    body              TEXT NOT NULL
);
CREATE INDEX epcis_events_time ON epcis_events(event_time);
CREATE INDEX epcis_events_record ON epcis_events(record_time);
CREATE INDEX epcis_events_step ON epcis_events(biz_step, event_time);
CREATE INDEX epcis_events_owner ON epcis_events(owner_id, record_time);

-- Which node an event mentions and in which role (see trace.Role); qty is
-- the quantity of a class in a quantity list.
CREATE TABLE epcis_event_nodes (
    node BIGINT NOT NULL,
    role SMALLINT NOT NULL,
    seq  BIGINT NOT NULL,
    qty  DOUBLE PRECISION,
    PRIMARY KEY (node, role, seq)
) WITHOUT ROWID;
CREATE INDEX epcis_event_nodes_seq ON epcis_event_nodes(seq);

-- Name/value facts of an event that queries match exactly: business
-- transactions, sources and destinations by type, error reasons, corrective
-- event IDs, persistent dispositions, sensor types, extension fields.
CREATE TABLE epcis_event_fields (
    name  TEXT NOT NULL,
    value TEXT NOT NULL,
    seq   BIGINT NOT NULL,
    PRIMARY KEY (name, value, seq)
) WITHOUT ROWID;

-- Error declarations are kept beside the event they correct, never in place
-- of it.
CREATE TABLE epcis_error_declarations (
    seq              INTEGER PRIMARY KEY,
    event_id         TEXT NOT NULL,
    declaration_time BIGINT NOT NULL,
    reason           TEXT NOT NULL DEFAULT '',
    corrective_ids   TEXT NOT NULL DEFAULT '[]',
    body             TEXT NOT NULL,
    record_time      BIGINT NOT NULL,
    capture_id       TEXT NOT NULL DEFAULT '',
    owner_id         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX epcis_error_declarations_event ON epcis_error_declarations(event_id);

-- The genealogy. kind: 1 transformation (input -> output); 2 aggregation
-- (child -> parent, from ADD; until is the time of the DELETE that took it
-- out again, NULL while it is inside); 3 custody to (object -> the party or
-- location it went to: destinations of shipping/receiving, the bizLocation of
-- a receiving); 4 custody from (source party -> object). Parties and
-- locations are leaves: a walk never continues from them. at is the event
-- time; a walk only follows edges that happened no earlier than the edge that
-- reached the node (forward), or no later (backward), so a reused pallet or a
-- later batch of the same supplier does not leak into a trace.
CREATE TABLE trace_edges (
    src   BIGINT NOT NULL,
    at    BIGINT NOT NULL,
    dst   BIGINT NOT NULL,
    kind  SMALLINT NOT NULL,
    seq   BIGINT NOT NULL,
    until BIGINT,
    qty   DOUBLE PRECISION,
    uom   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (src, at, dst, kind, seq)
) WITHOUT ROWID;
CREATE INDEX trace_edges_dst ON trace_edges(dst, at, src, kind);

-- +goose Down
DROP TABLE trace_edges;
DROP TABLE epcis_error_declarations;
DROP TABLE epcis_event_fields;
DROP TABLE epcis_event_nodes;
DROP TABLE epcis_events;
DROP TABLE epcis_captures;
DROP TABLE trace_nodes;
