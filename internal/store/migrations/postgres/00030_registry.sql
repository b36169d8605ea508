-- Registry: licence revocation and expiry-notice bookkeeping, and the indexes
-- behind enterprise search. Search keys and USCCs compare byte-wise (COLLATE
-- "C") so that both databases sort them alike and B-tree ranges serve prefix
-- searches. Where pg_trgm can be installed, a trigram index serves substring
-- search; without it the same queries run, only slower.

-- +goose Up
ALTER TABLE licences ADD COLUMN revoked_at BIGINT;
ALTER TABLE licences ADD COLUMN revoke_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE licences ADD COLUMN notified_state TEXT NOT NULL DEFAULT '';
CREATE INDEX licences_due ON licences(valid_to);
ALTER TABLE enterprises ALTER COLUMN search_key TYPE TEXT COLLATE "C";
ALTER TABLE enterprises ALTER COLUMN uscc TYPE TEXT COLLATE "C";
ALTER TABLE products ALTER COLUMN search_key TYPE TEXT COLLATE "C";
CREATE INDEX enterprises_search ON enterprises(region_code, search_key, uscc);
CREATE INDEX enterprises_township ON enterprises(township_code);
CREATE INDEX products_search ON products(region_code, search_key);

-- +goose StatementBegin
DO $$
DECLARE
    nsp TEXT;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
    EXCEPTION WHEN OTHERS THEN
        -- Not installed on this server, no right to create it, or another
        -- migration created it at the same moment: look below.
        NULL;
    END;
    SELECT n.nspname INTO nsp FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    IF nsp IS NOT NULL THEN
        EXECUTE format('CREATE INDEX enterprises_search_trgm ON enterprises USING gin (search_key %I.gin_trgm_ops)', nsp);
        EXECUTE format('CREATE INDEX products_search_trgm ON products USING gin (search_key %I.gin_trgm_ops)', nsp);
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP INDEX IF EXISTS products_search_trgm;
DROP INDEX IF EXISTS enterprises_search_trgm;
DROP INDEX products_search;
DROP INDEX enterprises_township;
DROP INDEX enterprises_search;
DROP INDEX licences_due;
ALTER TABLE products ALTER COLUMN search_key TYPE TEXT;
ALTER TABLE enterprises ALTER COLUMN uscc TYPE TEXT;
ALTER TABLE enterprises ALTER COLUMN search_key TYPE TEXT;
ALTER TABLE licences DROP COLUMN notified_state;
ALTER TABLE licences DROP COLUMN revoke_reason;
ALTER TABLE licences DROP COLUMN revoked_at;
