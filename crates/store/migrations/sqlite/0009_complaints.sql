-- Complaints and reports from the public (投诉举报, SUP-6), each routed to
-- one agency and found again by its tracking number.
CREATE TABLE complaints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id INTEGER NOT NULL REFERENCES agencies (id),
    tracking_number TEXT NOT NULL UNIQUE,
    answered INTEGER NOT NULL,
    data TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_us BIGINT NOT NULL,
    updated_us BIGINT NOT NULL
);
CREATE INDEX complaints_agency ON complaints (agency_id, answered, id);
