-- Annual reports (统计年报, PUB-6): each agency's published figures of a
-- year; a region's report adds up those of its agencies.
CREATE TABLE annual_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id INTEGER NOT NULL REFERENCES agencies (id),
    year INTEGER NOT NULL,
    data TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_us BIGINT NOT NULL,
    updated_us BIGINT NOT NULL,
    UNIQUE (agency_id, year)
);
CREATE INDEX annual_reports_year ON annual_reports (year);
