-- Cases (案件): one row each, the engine's state as JSON in `data`, and the
-- columns the lists filter and sort by. Numbers are given per agency, year
-- and procedure word, never reused.
CREATE TABLE cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id INTEGER NOT NULL REFERENCES agencies (id),
    procedure TEXT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    word TEXT NOT NULL,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    stage TEXT NOT NULL,
    closed INTEGER NOT NULL,
    party_key TEXT NOT NULL,
    party_name TEXT NOT NULL,
    title TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    due_on TEXT,
    data TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_us BIGINT NOT NULL,
    updated_us BIGINT NOT NULL,
    UNIQUE (agency_id, year, word, seq)
);
CREATE INDEX cases_agency ON cases (agency_id, closed, due_on);
CREATE INDEX cases_party ON cases (party_key);
