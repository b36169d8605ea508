-- Tasks: a search key over title and description; the report period that
-- was missed (flagged until a report comes in); the last period counted in
-- the run of periods behind schedule that escalates a yellow to red; the
-- supporting departments as rows, so a department's list (lead or
-- supporting) is one indexed query; and the reminders already sent, so the
-- daily run skips them without asking notifications row by row.

-- +goose Up
ALTER TABLE tasks ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN missed_period TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN yellow_period TEXT NOT NULL DEFAULT '';
CREATE INDEX tasks_search ON tasks(region_code, search_key);
CREATE INDEX tasks_status ON tasks(status);

CREATE TABLE task_supporting (
    task_id       TEXT NOT NULL REFERENCES tasks(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    PRIMARY KEY (task_id, department_id)
);
CREATE INDEX task_supporting_department ON task_supporting(department_id);

CREATE TABLE task_reminders (
    task_id  TEXT NOT NULL REFERENCES tasks(id),
    kind     TEXT NOT NULL,
    occasion TEXT NOT NULL,
    sent_at  BIGINT NOT NULL,
    PRIMARY KEY (task_id, kind, occasion)
);

-- +goose Down
DROP TABLE task_reminders;
DROP TABLE task_supporting;
DROP INDEX tasks_status;
DROP INDEX tasks_search;
ALTER TABLE tasks DROP COLUMN yellow_period;
ALTER TABLE tasks DROP COLUMN missed_period;
ALTER TABLE tasks DROP COLUMN search_key;
