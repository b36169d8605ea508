-- Users: a normalised (lower-case, narrow) search key over username and
-- name, so the user list searches the same way on both databases.

-- +goose Up
ALTER TABLE users ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
UPDATE users SET search_key = lower(username || ' ' || name);

-- +goose Down
ALTER TABLE users DROP COLUMN search_key;
