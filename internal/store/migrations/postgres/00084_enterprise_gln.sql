-- An enterprise's GS1 global location number (GLN), when it has one, so
-- that partners' EPCIS data naming it by GLN alone (a party 417 or a place
-- 414 identifier) is known to be about it: a recall reaches it, a trace page
-- shows its name. A GLN names one party, so it is unique where given.

-- +goose Up
ALTER TABLE enterprises ADD COLUMN gln TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX enterprises_gln ON enterprises(gln) WHERE gln <> '';

-- +goose Down
DROP INDEX enterprises_gln;
ALTER TABLE enterprises DROP COLUMN gln;
