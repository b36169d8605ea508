-- Testing (质量检测体系): institutions and their CMA scope, sampling tasks,
-- samples and their chain of custody, judged results, reports that the
-- public can verify, objections and re-tests, and the supervision of the
-- institutions themselves (domain-cn.md §6–7).
--
-- Users of an institution are ordinary users (role institution) whose
-- users.institution_id names a row of lab_institutions. That column predates
-- this table and SQLite cannot add a foreign key to it without rebuilding
-- users, so internal/lab checks the link whenever such a user acts.
--
-- Every judgement copies the limit it was made by (standard, clause,
-- comparison, bounds, unit) into the result, and an issued report keeps a
-- snapshot of its content with a SHA-256 fingerprint: a later edit of the
-- limits catalogue or of a result never changes what was issued.

-- +goose Up
CREATE TABLE lab_institutions (
    id             TEXT PRIMARY KEY,
    region_code    TEXT NOT NULL,
    name           TEXT NOT NULL,
    uscc           TEXT NOT NULL,
    report_prefix  TEXT NOT NULL,
    cma_number     TEXT NOT NULL,
    cma_valid_from TEXT NOT NULL,
    cma_valid_to   TEXT NOT NULL,
    cnas_number    TEXT NOT NULL DEFAULT '',
    address        TEXT NOT NULL DEFAULT '',
    contact        TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'active',
    status_reason  TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX lab_institutions_uscc ON lab_institutions(region_code, uscc);
-- Report numbers start with the prefix and must be unique platform-wide, so
-- that a number alone finds its report on the public verification page.
CREATE UNIQUE INDEX lab_institutions_prefix ON lab_institutions(report_prefix);
CREATE INDEX lab_institutions_valid_to ON lab_institutions(cma_valid_to);

-- The capability table (能力附表): what the certificate lets the
-- institution test. Keys are the folded text (width, spaces, case) that
-- results are matched on.
CREATE TABLE lab_scope (
    institution_id TEXT NOT NULL REFERENCES lab_institutions(id),
    category       TEXT NOT NULL,
    item           TEXT NOT NULL,
    method         TEXT NOT NULL DEFAULT '',
    category_key   TEXT NOT NULL,
    item_key       TEXT NOT NULL,
    PRIMARY KEY (institution_id, category_key, item_key, method)
);

-- Expiry reminders already sent: one per institution, certificate end and
-- threshold (days before the end).
CREATE TABLE lab_reminders (
    institution_id TEXT NOT NULL REFERENCES lab_institutions(id),
    valid_to       TEXT NOT NULL,
    days           INTEGER NOT NULL,
    sent_at        BIGINT NOT NULL,
    PRIMARY KEY (institution_id, valid_to, days)
);

-- Yearly counters for sample numbers (per region) and report numbers (per
-- institution).
CREATE TABLE lab_counters (
    scope TEXT NOT NULL,
    year  INTEGER NOT NULL,
    last  INTEGER NOT NULL,
    PRIMARY KEY (scope, year)
);

CREATE TABLE lab_tasks (
    id             TEXT PRIMARY KEY,
    region_code    TEXT NOT NULL,
    title          TEXT NOT NULL,
    category       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    items          TEXT NOT NULL DEFAULT '[]',
    department_id  TEXT NOT NULL REFERENCES departments(id),
    institution_id TEXT NOT NULL REFERENCES lab_institutions(id),
    period_from    TEXT NOT NULL,
    period_to      TEXT NOT NULL,
    plan_task_id   TEXT NOT NULL DEFAULT '',
    plan_ref       TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'open',
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX lab_tasks_region ON lab_tasks(region_code, created_at);
CREATE INDEX lab_tasks_institution ON lab_tasks(institution_id, created_at);

CREATE TABLE lab_task_enterprises (
    task_id       TEXT NOT NULL REFERENCES lab_tasks(id),
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    PRIMARY KEY (task_id, enterprise_id)
);

-- A sample. A re-test is a sample of its own (retest_of names the original
-- sample), drawn from the original's reserve and sent to another
-- institution, so that it has its own custody, results and report.
CREATE TABLE lab_samples (
    id             TEXT PRIMARY KEY,
    region_code    TEXT NOT NULL,
    number         TEXT NOT NULL,
    task_id        TEXT NOT NULL REFERENCES lab_tasks(id),
    institution_id TEXT NOT NULL REFERENCES lab_institutions(id),
    enterprise_id  TEXT NOT NULL REFERENCES enterprises(id),
    product_id     TEXT NOT NULL DEFAULT '',
    product_name   TEXT NOT NULL,
    category       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    lot            TEXT NOT NULL,
    lot_uri        TEXT NOT NULL DEFAULT '',
    quantity       DOUBLE PRECISION NOT NULL,
    unit           TEXT NOT NULL,
    sampled_on     TEXT NOT NULL,
    samplers       TEXT NOT NULL,
    seal_photos    TEXT NOT NULL DEFAULT '[]',
    custody        TEXT NOT NULL DEFAULT 'sampled',
    received_at    BIGINT,
    retest_of      TEXT NOT NULL DEFAULT '',
    objection_id   TEXT NOT NULL DEFAULT '',
    nonconforming_emitted BOOLEAN NOT NULL DEFAULT FALSE,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX lab_samples_number ON lab_samples(region_code, number);
CREATE INDEX lab_samples_institution ON lab_samples(institution_id, created_at);
CREATE INDEX lab_samples_enterprise ON lab_samples(enterprise_id, created_at);
CREATE INDEX lab_samples_task ON lab_samples(task_id);
CREATE INDEX lab_samples_lot ON lab_samples(lot_uri);

CREATE TABLE lab_custody (
    id         TEXT PRIMARY KEY,
    sample_id  TEXT NOT NULL REFERENCES lab_samples(id),
    step       TEXT NOT NULL,
    at         BIGINT NOT NULL,
    actor_id   TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX lab_custody_step ON lab_custody(sample_id, step);

CREATE TABLE lab_results (
    id               TEXT PRIMARY KEY,
    sample_id        TEXT NOT NULL REFERENCES lab_samples(id),
    institution_id   TEXT NOT NULL REFERENCES lab_institutions(id),
    seq              INTEGER NOT NULL,
    item             TEXT NOT NULL,
    item_key         TEXT NOT NULL,
    value            TEXT NOT NULL,
    not_detected     BOOLEAN NOT NULL DEFAULT FALSE,
    unit             TEXT NOT NULL DEFAULT '',
    method           TEXT NOT NULL DEFAULT '',
    lod              TEXT NOT NULL DEFAULT '',
    conclusion       TEXT NOT NULL,
    compared         TEXT NOT NULL DEFAULT '',
    compared_unit    TEXT NOT NULL DEFAULT '',
    reason           TEXT NOT NULL DEFAULT '',
    reason_args      TEXT NOT NULL DEFAULT '[]',
    limit_id         TEXT NOT NULL DEFAULT '',
    limit_standard   TEXT NOT NULL DEFAULT '',
    limit_clause     TEXT NOT NULL DEFAULT '',
    limit_comparison TEXT NOT NULL DEFAULT '',
    limit_min        TEXT NOT NULL DEFAULT '',
    limit_max        TEXT NOT NULL DEFAULT '',
    limit_unit       TEXT NOT NULL DEFAULT '',
    outside_scope    BOOLEAN NOT NULL DEFAULT FALSE,
    entered_by       TEXT NOT NULL,
    entered_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX lab_results_item ON lab_results(sample_id, item_key);

-- A report and its versions: a revision is a new row with the same number
-- and the next version; the one it replaces is marked superseded.
CREATE TABLE lab_reports (
    id                 TEXT PRIMARY KEY,
    region_code        TEXT NOT NULL,
    institution_id     TEXT NOT NULL REFERENCES lab_institutions(id),
    sample_id          TEXT NOT NULL REFERENCES lab_samples(id),
    number             TEXT NOT NULL,
    version            INTEGER NOT NULL,
    status             TEXT NOT NULL,
    conclusion         TEXT NOT NULL DEFAULT '',
    content            TEXT NOT NULL DEFAULT '',
    fingerprint        TEXT NOT NULL DEFAULT '',
    verification_code  TEXT NOT NULL DEFAULT '',
    drafted_by         TEXT NOT NULL,
    drafted_at         BIGINT NOT NULL,
    approved_by        TEXT NOT NULL DEFAULT '',
    issued_at          BIGINT,
    delivered_at       BIGINT,
    objection_deadline TEXT NOT NULL DEFAULT '',
    supersedes         TEXT NOT NULL DEFAULT '',
    superseded_by      TEXT NOT NULL DEFAULT '',
    revision_reason    TEXT NOT NULL DEFAULT '',
    revoked_by         TEXT NOT NULL DEFAULT '',
    revoked_at         BIGINT,
    revoke_reason      TEXT NOT NULL DEFAULT '',
    retest_of          TEXT NOT NULL DEFAULT '',
    retested_by        TEXT NOT NULL DEFAULT '',
    turnaround_days    INTEGER,
    final_at           BIGINT,
    updated_at         BIGINT NOT NULL
);
CREATE UNIQUE INDEX lab_reports_number ON lab_reports(number, version);
CREATE INDEX lab_reports_sample ON lab_reports(sample_id, version);
CREATE INDEX lab_reports_institution ON lab_reports(institution_id, status, issued_at);
CREATE INDEX lab_reports_region ON lab_reports(region_code, issued_at);

CREATE TABLE lab_objections (
    id                    TEXT PRIMARY KEY,
    region_code           TEXT NOT NULL,
    report_id             TEXT NOT NULL REFERENCES lab_reports(id),
    sample_id             TEXT NOT NULL REFERENCES lab_samples(id),
    enterprise_id         TEXT NOT NULL,
    items                 TEXT NOT NULL DEFAULT '[]',
    reason                TEXT NOT NULL,
    deadline              TEXT NOT NULL,
    status                TEXT NOT NULL,
    filed_by              TEXT NOT NULL,
    filed_at              BIGINT NOT NULL,
    retest_sample_id      TEXT NOT NULL DEFAULT '',
    retest_institution_id TEXT NOT NULL DEFAULT '',
    assigned_by           TEXT NOT NULL DEFAULT '',
    assigned_at           BIGINT,
    closed_at             BIGINT
);
CREATE UNIQUE INDEX lab_objections_report ON lab_objections(report_id);
CREATE INDEX lab_objections_region ON lab_objections(region_code, status, filed_at);

-- Supervision flags on institutions. key makes raising idempotent: one flag
-- per kind and subject, except alteration attempts, which count each.
CREATE TABLE lab_flags (
    id             TEXT PRIMARY KEY,
    key            TEXT NOT NULL UNIQUE,
    region_code    TEXT NOT NULL,
    institution_id TEXT NOT NULL REFERENCES lab_institutions(id),
    kind           TEXT NOT NULL,
    subject_kind   TEXT NOT NULL,
    subject_id     TEXT NOT NULL,
    detail         TEXT NOT NULL DEFAULT '{}',
    created_at     BIGINT NOT NULL,
    resolved_at    BIGINT,
    resolved_by    TEXT NOT NULL DEFAULT '',
    resolution     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX lab_flags_institution ON lab_flags(institution_id, created_at);
CREATE INDEX lab_flags_region ON lab_flags(region_code, resolved_at);

-- +goose Down
DROP TABLE lab_flags;
DROP TABLE lab_objections;
DROP TABLE lab_reports;
DROP TABLE lab_results;
DROP TABLE lab_custody;
DROP TABLE lab_samples;
DROP TABLE lab_task_enterprises;
DROP TABLE lab_tasks;
DROP TABLE lab_counters;
DROP TABLE lab_reminders;
DROP TABLE lab_scope;
DROP TABLE lab_institutions;
