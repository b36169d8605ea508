-- The office's backbone: yearly plans of work points (工作要点) decomposed
-- into tasks with one owner each, progress reports with evidence, status
-- lights with their history, the office's inspections of the work (督查)
-- with findings and rectifications, and bulletins (通报). Files are stored
-- content-addressed in the blob folder; only their hashes are here.

-- +goose Up
CREATE TABLE blobs (
    hash       TEXT PRIMARY KEY,
    size       BIGINT NOT NULL,
    mime       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE plans (
    id           TEXT PRIMARY KEY,
    region_code  TEXT NOT NULL REFERENCES regions(code),
    year         INTEGER NOT NULL,
    title        TEXT NOT NULL,
    doc_number   TEXT NOT NULL DEFAULT '',
    cadence      TEXT NOT NULL DEFAULT 'monthly',
    report_day   INTEGER NOT NULL DEFAULT 5,
    light_rule   TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'draft',
    published_at BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX plans_region ON plans(region_code, year);

CREATE TABLE plan_items (
    id                 TEXT PRIMARY KEY,
    plan_id            TEXT NOT NULL REFERENCES plans(id),
    parent_id          TEXT REFERENCES plan_items(id),
    region_code        TEXT NOT NULL,
    seq                INTEGER NOT NULL,
    label              TEXT NOT NULL DEFAULT '',
    level              INTEGER NOT NULL,
    content            TEXT NOT NULL,
    lead_department_id TEXT REFERENCES departments(id),
    supporting         TEXT NOT NULL DEFAULT '',
    leader             TEXT NOT NULL DEFAULT '',
    deadline           TEXT NOT NULL DEFAULT '',
    target             TEXT NOT NULL DEFAULT '',
    weight             DOUBLE PRECISION NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX plan_items_plan ON plan_items(plan_id, seq);

CREATE TABLE tasks (
    id                 TEXT PRIMARY KEY,
    plan_id            TEXT NOT NULL REFERENCES plans(id),
    item_id            TEXT NOT NULL REFERENCES plan_items(id),
    parent_task_id     TEXT REFERENCES tasks(id),
    region_code        TEXT NOT NULL,
    seq                INTEGER NOT NULL DEFAULT 0,
    title              TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    lead_department_id TEXT REFERENCES departments(id),
    supporting         TEXT NOT NULL DEFAULT '',
    owner_id           TEXT REFERENCES users(id),
    leader             TEXT NOT NULL DEFAULT '',
    start_date         TEXT NOT NULL DEFAULT '',
    deadline           TEXT NOT NULL DEFAULT '',
    target             TEXT NOT NULL DEFAULT '',
    weight             DOUBLE PRECISION NOT NULL DEFAULT 0,
    measure_key        TEXT NOT NULL DEFAULT '',
    measure_target     DOUBLE PRECISION NOT NULL DEFAULT 0,
    measure_baseline   DOUBLE PRECISION NOT NULL DEFAULT 0,
    status             TEXT NOT NULL DEFAULT 'draft',
    percent            DOUBLE PRECISION NOT NULL DEFAULT 0,
    last_report_at     BIGINT,
    light              TEXT NOT NULL DEFAULT '',
    light_cause        TEXT NOT NULL DEFAULT '',
    light_since        BIGINT,
    yellow_streak      INTEGER NOT NULL DEFAULT 0,
    published_at       BIGINT,
    signed_at          BIGINT,
    signed_by          TEXT,
    done_at            BIGINT,
    closed_at          BIGINT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX tasks_plan ON tasks(plan_id, seq);
CREATE INDEX tasks_department ON tasks(lead_department_id, status);
CREATE INDEX tasks_owner ON tasks(owner_id);
CREATE INDEX tasks_light ON tasks(region_code, light);
CREATE INDEX tasks_deadline ON tasks(region_code, deadline);

CREATE TABLE task_changes (
    id         TEXT PRIMARY KEY,
    task_id    TEXT NOT NULL REFERENCES tasks(id),
    field      TEXT NOT NULL,
    old_value  TEXT NOT NULL,
    new_value  TEXT NOT NULL,
    reason     TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX task_changes_task ON task_changes(task_id, at);

CREATE TABLE progress_reports (
    id          TEXT PRIMARY KEY,
    task_id     TEXT NOT NULL REFERENCES tasks(id),
    region_code TEXT NOT NULL,
    period      TEXT NOT NULL DEFAULT '',
    percent     DOUBLE PRECISION NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '',
    measured    BOOLEAN NOT NULL DEFAULT FALSE,
    reported_by TEXT NOT NULL,
    reported_at BIGINT NOT NULL
);
CREATE INDEX progress_reports_task ON progress_reports(task_id, reported_at);
CREATE INDEX progress_reports_at ON progress_reports(region_code, reported_at);

CREATE TABLE report_files (
    report_id TEXT NOT NULL REFERENCES progress_reports(id),
    hash      TEXT NOT NULL REFERENCES blobs(hash),
    name      TEXT NOT NULL,
    size      BIGINT NOT NULL,
    mime      TEXT NOT NULL,
    PRIMARY KEY (report_id, hash)
);

CREATE TABLE task_lights (
    id       TEXT PRIMARY KEY,
    task_id  TEXT NOT NULL REFERENCES tasks(id),
    light    TEXT NOT NULL,
    previous TEXT NOT NULL DEFAULT '',
    cause    TEXT NOT NULL,
    params   TEXT NOT NULL DEFAULT '',
    day      TEXT NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX task_lights_task ON task_lights(task_id, at);
CREATE INDEX task_lights_day ON task_lights(day);

CREATE TABLE inspections (
    id            TEXT PRIMARY KEY,
    plan_id       TEXT NOT NULL REFERENCES plans(id),
    region_code   TEXT NOT NULL,
    title         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    department_id TEXT REFERENCES departments(id),
    visit_date    TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'planned',
    notes         TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX inspections_plan ON inspections(plan_id, visit_date);

CREATE TABLE inspection_tasks (
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    task_id       TEXT NOT NULL REFERENCES tasks(id),
    drawn         BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (inspection_id, task_id)
);

CREATE TABLE findings (
    id            TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    task_id       TEXT REFERENCES tasks(id),
    region_code   TEXT NOT NULL,
    content       TEXT NOT NULL,
    severity      TEXT NOT NULL DEFAULT 'normal',
    created_at    BIGINT NOT NULL
);
CREATE INDEX findings_inspection ON findings(inspection_id);

CREATE TABLE rectifications (
    id            TEXT PRIMARY KEY,
    finding_id    TEXT NOT NULL REFERENCES findings(id),
    region_code   TEXT NOT NULL,
    department_id TEXT REFERENCES departments(id),
    demand        TEXT NOT NULL,
    deadline      TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open',
    closed_at     BIGINT,
    closed_by     TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX rectifications_open ON rectifications(region_code, status, deadline);

CREATE TABLE rectification_updates (
    id               TEXT PRIMARY KEY,
    rectification_id TEXT NOT NULL REFERENCES rectifications(id),
    note             TEXT NOT NULL,
    actor_id         TEXT NOT NULL,
    at               BIGINT NOT NULL
);

CREATE TABLE bulletins (
    id           TEXT PRIMARY KEY,
    plan_id      TEXT NOT NULL REFERENCES plans(id),
    region_code  TEXT NOT NULL,
    period_from  TEXT NOT NULL,
    period_to    TEXT NOT NULL,
    title        TEXT NOT NULL,
    doc_number   TEXT NOT NULL DEFAULT '',
    issuer       TEXT NOT NULL DEFAULT '',
    issued_on    TEXT NOT NULL DEFAULT '',
    narrative    TEXT NOT NULL DEFAULT '',
    data         TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'draft',
    version      INTEGER NOT NULL DEFAULT 1,
    supersedes   TEXT REFERENCES bulletins(id),
    published_at BIGINT,
    published_by TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX bulletins_plan ON bulletins(plan_id, period_to);

-- +goose Down
DROP TABLE bulletins;
DROP TABLE rectification_updates;
DROP TABLE rectifications;
DROP TABLE findings;
DROP TABLE inspection_tasks;
DROP TABLE inspections;
DROP TABLE task_lights;
DROP TABLE report_files;
DROP TABLE progress_reports;
DROP TABLE task_changes;
DROP TABLE tasks;
DROP TABLE plan_items;
DROP TABLE plans;
DROP TABLE blobs;
