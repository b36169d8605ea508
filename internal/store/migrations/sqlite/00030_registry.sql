-- Registry: licence revocation and expiry-notice bookkeeping, and the indexes
-- behind enterprise search (an index-only scan of region, search key and
-- USCC answers both the page and its count).

-- +goose Up
ALTER TABLE licences ADD COLUMN revoked_at BIGINT;
ALTER TABLE licences ADD COLUMN revoke_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE licences ADD COLUMN notified_state TEXT NOT NULL DEFAULT '';
CREATE INDEX licences_due ON licences(valid_to);
CREATE INDEX enterprises_search ON enterprises(region_code, search_key, uscc);
CREATE INDEX enterprises_township ON enterprises(township_code);
CREATE INDEX products_search ON products(region_code, search_key);

-- +goose Down
DROP INDEX products_search;
DROP INDEX enterprises_township;
DROP INDEX enterprises_search;
DROP INDEX licences_due;
ALTER TABLE licences DROP COLUMN notified_state;
ALTER TABLE licences DROP COLUMN revoke_reason;
ALTER TABLE licences DROP COLUMN revoked_at;
