-- The catalogue of limits results are judged against (限量): one row per
-- standard, product category and test item, as the standard prints it.
--
-- Numbers are kept as decimal text, because the number of places a standard
-- prints decides how a result is rounded (GB/T 8170). category_key and
-- item_key are the names folded for matching (width, case, spaces, an
-- "expressed as" note), so that a result typed "铅" finds "铅（以Pb计）".
-- Standards are national, so the catalogue is not scoped to a region.
-- search_key holds the folded standard, clause, category and item for the
-- list's search box.

-- +goose Up
CREATE TABLE lab_limits (
    id           TEXT PRIMARY KEY,
    standard     TEXT NOT NULL,
    clause       TEXT NOT NULL DEFAULT '',
    category     TEXT NOT NULL,
    category_key TEXT NOT NULL,
    item         TEXT NOT NULL,
    item_key     TEXT NOT NULL,
    comparison   TEXT NOT NULL,
    min          TEXT NOT NULL DEFAULT '',
    max          TEXT NOT NULL DEFAULT '',
    unit         TEXT NOT NULL DEFAULT '',
    lod          TEXT NOT NULL DEFAULT '',
    method       TEXT NOT NULL DEFAULT '',
    rounded      BOOLEAN NOT NULL DEFAULT FALSE,
    illustrative BOOLEAN NOT NULL DEFAULT FALSE,
    note         TEXT NOT NULL DEFAULT '',
    search_key   TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    updated_by   TEXT NOT NULL DEFAULT '',
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX lab_limits_key ON lab_limits (standard, category_key, item_key);
CREATE INDEX lab_limits_item ON lab_limits (item_key, category_key);
CREATE INDEX lab_limits_order ON lab_limits (category_key, item_key, standard);

-- +goose Down
DROP TABLE lab_limits;
