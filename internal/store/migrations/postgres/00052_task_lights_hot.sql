-- The daily recompute rewrites the light of many tasks at once. An index on
-- the light makes each such write touch every index of tasks; without it
-- (lists filter the light within a region or plan, whose indexes serve
-- them) PostgreSQL can update the row in place (a HOT update), for which
-- its pages keep room.

-- +goose Up
DROP INDEX tasks_light;
ALTER TABLE tasks SET (fillfactor = 70);

-- +goose Down
ALTER TABLE tasks RESET (fillfactor);
CREATE INDEX tasks_light ON tasks(region_code, light);
