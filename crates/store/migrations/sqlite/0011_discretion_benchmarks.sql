-- Discretion benchmarks (自由裁量基准, PUB-1): an agency's list, of the same
-- shape as its other lists.
CREATE TABLE discretion_benchmarks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id INTEGER NOT NULL REFERENCES agencies (id),
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_us BIGINT NOT NULL,
    updated_us BIGINT NOT NULL
);
CREATE INDEX discretion_benchmarks_agency ON discretion_benchmarks (agency_id);
