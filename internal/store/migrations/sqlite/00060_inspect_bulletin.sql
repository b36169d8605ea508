-- The office's inspections and bulletins, beyond the plan schema: each random
-- draw of tasks is kept with its seed and candidate pool so that anyone can
-- replay it; findings and rectifications remember who made them, and when a
-- department reported a rectification done; a bulletin that a published
-- correction replaces points to its successor.

-- +goose Up
CREATE TABLE inspection_draws (
    id            TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    seed          TEXT NOT NULL,
    n             INTEGER NOT NULL,
    pool          TEXT NOT NULL,
    drawn         TEXT NOT NULL,
    drawn_by      TEXT NOT NULL,
    at            BIGINT NOT NULL
);
CREATE INDEX inspection_draws_inspection ON inspection_draws(inspection_id, at);

ALTER TABLE inspection_tasks ADD COLUMN draw_id TEXT;
ALTER TABLE inspection_tasks ADD COLUMN added_by TEXT NOT NULL DEFAULT '';
ALTER TABLE inspection_tasks ADD COLUMN added_at BIGINT NOT NULL DEFAULT 0;

ALTER TABLE findings ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
CREATE INDEX findings_task ON findings(task_id);

ALTER TABLE rectifications ADD COLUMN reported_at BIGINT;
ALTER TABLE rectifications ADD COLUMN reported_by TEXT;
ALTER TABLE rectifications ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
CREATE INDEX rectifications_department ON rectifications(department_id, status);
CREATE INDEX rectifications_finding ON rectifications(finding_id);

ALTER TABLE rectification_updates ADD COLUMN kind TEXT NOT NULL DEFAULT 'note';
CREATE INDEX rectification_updates_rectification ON rectification_updates(rectification_id, at);

ALTER TABLE bulletins ADD COLUMN superseded_by TEXT;
ALTER TABLE bulletins ADD COLUMN superseded_at BIGINT;
ALTER TABLE bulletins ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX bulletins_supersedes ON bulletins(supersedes);

-- +goose Down
DROP INDEX bulletins_supersedes;
ALTER TABLE bulletins DROP COLUMN created_by;
ALTER TABLE bulletins DROP COLUMN superseded_at;
ALTER TABLE bulletins DROP COLUMN superseded_by;
DROP INDEX rectification_updates_rectification;
ALTER TABLE rectification_updates DROP COLUMN kind;
DROP INDEX rectifications_finding;
DROP INDEX rectifications_department;
ALTER TABLE rectifications DROP COLUMN created_by;
ALTER TABLE rectifications DROP COLUMN reported_by;
ALTER TABLE rectifications DROP COLUMN reported_at;
DROP INDEX findings_task;
ALTER TABLE findings DROP COLUMN created_by;
ALTER TABLE inspection_tasks DROP COLUMN added_at;
ALTER TABLE inspection_tasks DROP COLUMN added_by;
ALTER TABLE inspection_tasks DROP COLUMN draw_id;
DROP TABLE inspection_draws;
