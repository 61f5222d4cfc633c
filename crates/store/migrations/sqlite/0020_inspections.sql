-- Quarterly online inspections (网上巡查, SUP-2): one report per agency
-- and quarter, run again as often as asked, handled like a warning.
CREATE TABLE inspections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id INTEGER NOT NULL REFERENCES agencies (id),
    quarter TEXT NOT NULL,
    score INTEGER NOT NULL,
    status TEXT NOT NULL,
    answer_due TEXT,
    data TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_us BIGINT NOT NULL,
    updated_us BIGINT NOT NULL,
    UNIQUE (agency_id, quarter)
);
CREATE INDEX inspections_quarter ON inspections (quarter, agency_id);
