-- Foundation: regions, departments, accounts, sessions, audit, outbox,
-- scheduled runs, notifications, settings, the working-day calendar and the
-- enterprise registry. Timestamps are Unix milliseconds (BIGINT); calendar
-- dates are 'YYYY-MM-DD' text; IDs are UUIDv7 text made by the application.

-- +goose Up
CREATE TABLE regions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    level       TEXT NOT NULL,
    parent_code TEXT REFERENCES regions(code)
);
CREATE INDEX regions_parent ON regions(parent_code);

CREATE TABLE departments (
    id          TEXT PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions(code),
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    short_name  TEXT NOT NULL DEFAULT '',
    is_office   BOOLEAN NOT NULL DEFAULT FALSE,
    remit       TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX departments_name ON departments(region_code, name);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL DEFAULT '',
    password_hash       TEXT NOT NULL,
    role                TEXT NOT NULL,
    region_code         TEXT NOT NULL REFERENCES regions(code),
    department_id       TEXT REFERENCES departments(id),
    enterprise_id       TEXT,
    institution_id      TEXT,
    lang                TEXT NOT NULL DEFAULT '',
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    password_changed_at BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX users_department ON users(department_id);
CREATE INDEX users_enterprise ON users(enterprise_id);

CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BLOB NOT NULL,
    expiry BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expiry);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE login_failures (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    first_at     BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    region_code TEXT NOT NULL DEFAULT '',
    before_json TEXT NOT NULL DEFAULT '',
    after_json  TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_log_actor ON audit_log(actor_id);
CREATE INDEX audit_log_at ON audit_log(at);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY,
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    topic       TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    dispatched  BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX events_pending ON events(dispatched, id);

CREATE TABLE deliveries (
    event_id        TEXT NOT NULL REFERENCES events(id),
    handler         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    done_at         BIGINT,
    PRIMARY KEY (event_id, handler)
);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);

CREATE TABLE scheduled_runs (
    job        TEXT NOT NULL,
    slot       TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    done_at    BIGINT,
    result     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (job, slot)
);

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '',
    link       TEXT NOT NULL DEFAULT '',
    dedupe_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
CREATE UNIQUE INDEX notifications_dedupe ON notifications(user_id, dedupe_key);
CREATE INDEX notifications_unread ON notifications(user_id, read_at, created_at);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE calendar_days (
    day        TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);

CREATE TABLE enterprises (
    id               TEXT PRIMARY KEY,
    region_code      TEXT NOT NULL REFERENCES regions(code),
    uscc             TEXT NOT NULL,
    uscc_checksum_ok BOOLEAN NOT NULL DEFAULT TRUE,
    uscc_override    TEXT NOT NULL DEFAULT '',
    name             TEXT NOT NULL,
    search_key       TEXT NOT NULL DEFAULT '',
    legal_rep        TEXT NOT NULL DEFAULT '',
    address          TEXT NOT NULL DEFAULT '',
    township_code    TEXT REFERENCES regions(code),
    industry         TEXT NOT NULL DEFAULT '',
    contact_name     TEXT NOT NULL DEFAULT '',
    contact_phone    TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL DEFAULT 'active',
    department_id    TEXT REFERENCES departments(id),
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX enterprises_uscc ON enterprises(region_code, uscc);
CREATE INDEX enterprises_name ON enterprises(region_code, name);
CREATE INDEX enterprises_department ON enterprises(department_id);

CREATE TABLE licences (
    id            TEXT PRIMARY KEY,
    region_code   TEXT NOT NULL REFERENCES regions(code),
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    kind          TEXT NOT NULL,
    number        TEXT NOT NULL,
    scope         TEXT NOT NULL DEFAULT '',
    issuer        TEXT NOT NULL DEFAULT '',
    valid_from    TEXT NOT NULL,
    valid_to      TEXT NOT NULL,
    revoked       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX licences_number ON licences(region_code, kind, number);
CREATE INDEX licences_enterprise ON licences(enterprise_id);
CREATE INDEX licences_valid_to ON licences(region_code, valid_to);

CREATE TABLE products (
    id             TEXT PRIMARY KEY,
    region_code    TEXT NOT NULL REFERENCES regions(code),
    enterprise_id  TEXT NOT NULL REFERENCES enterprises(id),
    name           TEXT NOT NULL,
    search_key     TEXT NOT NULL DEFAULT '',
    gtin           TEXT NOT NULL DEFAULT '',
    category       TEXT NOT NULL DEFAULT '',
    key_commodity  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX products_enterprise ON products(enterprise_id);
CREATE INDEX products_gtin ON products(gtin);

-- +goose Down
DROP TABLE products;
DROP TABLE licences;
DROP TABLE enterprises;
DROP TABLE calendar_days;
DROP TABLE settings;
DROP TABLE notifications;
DROP TABLE scheduled_runs;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE audit_head;
DROP TABLE audit_log;
DROP TABLE login_failures;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE departments;
DROP TABLE regions;
