-- An index on the search key alone, for the offices above a banner: their
-- lists span several regions, and walking this index in page order lets a
-- broad search stop after the first page instead of sorting every match.

-- +goose Up
CREATE INDEX enterprises_key ON enterprises(search_key, uscc, region_code);

-- +goose Down
DROP INDEX enterprises_key;
