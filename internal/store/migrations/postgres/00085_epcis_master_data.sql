-- Master data sent with events (epcisHeader.epcisMasterData): vocabulary
-- elements (locations, parties, product classes…) by their node, with their
-- attributes as sent, and the hierarchy of their children that the WD_
-- ("with descendants") query parameters follow. owner_id is the enterprise
-- that provided the element ('' the office); only it or the office replaces
-- it.

-- +goose Up
CREATE TABLE epcis_master_data (
    node       BIGINT NOT NULL,
    vtype      TEXT NOT NULL,
    attributes TEXT NOT NULL DEFAULT '[]',
    owner_id   TEXT NOT NULL DEFAULT '',
    capture_id TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (node, vtype)
);

CREATE TABLE epcis_master_children (
    parent BIGINT NOT NULL,
    vtype  TEXT NOT NULL,
    child  BIGINT NOT NULL,
    PRIMARY KEY (parent, vtype, child)
);

-- +goose Down
DROP TABLE epcis_master_children;
DROP TABLE epcis_master_data;
