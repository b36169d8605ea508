-- The small business's side of traceability (食品安全法 第五十条、第五十三条):
-- incoming checks with the supplier's documents (进货查验、索证索票) and a
-- wholesaler's sales records (销售记录), one table with kind 'incoming' or
-- 'sale'; and key-commodity filings (重点商品备案) reviewed by the office.
--
-- A ledger entry is also an EPCIS ObjectEvent (receiving or shipping) whose
-- eventID is urn:uuid:{id}; captured_at is set once the event is stored, so
-- an entry whose capture was interrupted is found and captured again (the
-- event is deterministic and capture is idempotent). party_* is the supplier
-- of an incoming check and the buyer of a sale. retain_until is the last day
-- the record must be kept, by the rule in force when it was made.
--
-- A filing keeps its lots, files and every change of state; a returned filing
-- is edited and submitted again (version counts the submissions).

-- +goose Up
CREATE TABLE ledger_entries (
    id                  TEXT PRIMARY KEY,
    kind                TEXT NOT NULL,
    region_code         TEXT NOT NULL,
    enterprise_id       TEXT NOT NULL REFERENCES enterprises(id),
    party_uscc          TEXT NOT NULL DEFAULT '',
    party_name          TEXT NOT NULL,
    party_address       TEXT NOT NULL DEFAULT '',
    party_contact       TEXT NOT NULL DEFAULT '',
    party_enterprise_id TEXT NOT NULL DEFAULT '',
    party_id            TEXT NOT NULL,
    product_name        TEXT NOT NULL,
    gtin                TEXT NOT NULL DEFAULT '',
    spec                TEXT NOT NULL DEFAULT '',
    product_code        TEXT NOT NULL,
    lot                 TEXT NOT NULL DEFAULT '',
    lot_id              TEXT NOT NULL,
    quantity            DOUBLE PRECISION NOT NULL,
    unit                TEXT NOT NULL,
    production_date     TEXT NOT NULL DEFAULT '',
    shelf_life          INTEGER NOT NULL DEFAULT 0,
    shelf_life_unit     TEXT NOT NULL DEFAULT '',
    expiry_date         TEXT NOT NULL DEFAULT '',
    event_date          TEXT NOT NULL,
    licence_no          TEXT NOT NULL DEFAULT '',
    test_report_no      TEXT NOT NULL DEFAULT '',
    cert_no             TEXT NOT NULL DEFAULT '',
    invoice_no          TEXT NOT NULL DEFAULT '',
    note                TEXT NOT NULL DEFAULT '',
    retain_until        TEXT NOT NULL,
    event_id            TEXT NOT NULL UNIQUE,
    capture_id          TEXT NOT NULL DEFAULT '',
    captured_at         BIGINT,
    created_by          TEXT NOT NULL DEFAULT '',
    created_at          BIGINT NOT NULL
);
CREATE INDEX ledger_entries_enterprise ON ledger_entries(enterprise_id, kind, event_date);
CREATE INDEX ledger_entries_region ON ledger_entries(region_code, kind, event_date);
CREATE INDEX ledger_entries_lot ON ledger_entries(enterprise_id, kind, product_code, lot);
CREATE INDEX ledger_entries_uncaptured ON ledger_entries(captured_at);

CREATE TABLE ledger_files (
    entry_id TEXT NOT NULL REFERENCES ledger_entries(id),
    hash     TEXT NOT NULL REFERENCES blobs(hash),
    name     TEXT NOT NULL,
    size     BIGINT NOT NULL,
    mime     TEXT NOT NULL,
    PRIMARY KEY (entry_id, hash)
);

CREATE TABLE filings (
    id            TEXT PRIMARY KEY,
    region_code   TEXT NOT NULL,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    product_name  TEXT NOT NULL,
    category      TEXT NOT NULL,
    category_note TEXT NOT NULL DEFAULT '',
    gtin          TEXT NOT NULL DEFAULT '',
    product_code  TEXT NOT NULL DEFAULT '',
    spec          TEXT NOT NULL,
    manufacturer  TEXT NOT NULL,
    licence_no    TEXT NOT NULL,
    supplier_name TEXT NOT NULL,
    supplier_uscc TEXT NOT NULL DEFAULT '',
    documents     TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    return_reason TEXT NOT NULL DEFAULT '',
    version       INTEGER NOT NULL DEFAULT 1,
    submitted_at  BIGINT NOT NULL,
    reviewed_at   BIGINT,
    reviewed_by   TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX filings_enterprise ON filings(enterprise_id, submitted_at);
CREATE INDEX filings_region ON filings(region_code, status, submitted_at);

CREATE TABLE filing_lots (
    filing_id TEXT NOT NULL REFERENCES filings(id),
    position  INTEGER NOT NULL,
    lot       TEXT NOT NULL,
    quantity  DOUBLE PRECISION NOT NULL,
    unit      TEXT NOT NULL,
    PRIMARY KEY (filing_id, position)
);

CREATE TABLE filing_files (
    filing_id TEXT NOT NULL REFERENCES filings(id),
    hash      TEXT NOT NULL REFERENCES blobs(hash),
    name      TEXT NOT NULL,
    size      BIGINT NOT NULL,
    mime      TEXT NOT NULL,
    PRIMARY KEY (filing_id, hash)
);

CREATE TABLE filing_history (
    id          TEXT PRIMARY KEY,
    filing_id   TEXT NOT NULL REFERENCES filings(id),
    version     INTEGER NOT NULL,
    at          BIGINT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_name  TEXT NOT NULL DEFAULT '',
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX filing_history_filing ON filing_history(filing_id, at);

-- +goose Down
DROP TABLE filing_history;
DROP TABLE filing_files;
DROP TABLE filing_lots;
DROP TABLE filings;
DROP TABLE ledger_files;
DROP TABLE ledger_entries;
