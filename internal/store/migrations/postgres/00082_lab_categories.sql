-- The office's additions to the category hierarchy limits are looked up
-- through (see internal/lab/limits/categories.go): another spelling of a
-- category (kind 'synonym': 驼奶 means 生驼乳) or the wider group a category
-- belongs to (kind 'broader': 生驼乳 is a kind of 生乳), so that a group's
-- limit applies to it. An entry here overrides the built-in one for the
-- same name. Names are matched folded (name_key, target_key).

-- +goose Up
CREATE TABLE lab_category_links (
    name_key   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('synonym', 'broader')),
    target     TEXT NOT NULL,
    target_key TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE lab_category_links;
