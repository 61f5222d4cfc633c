-- Publications of decisions (公示, PUB-3/4): one row per decided case, its
-- current version as JSON in `data` (the redacted decision; nothing of it
-- once withdrawn), and the columns the portal filters and sorts by.
CREATE TABLE publications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id INTEGER NOT NULL REFERENCES agencies (id),
    case_id INTEGER NOT NULL UNIQUE REFERENCES cases (id),
    withdrawn INTEGER NOT NULL,
    category TEXT NOT NULL,
    document_number TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    published_on TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    data TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_us BIGINT NOT NULL,
    updated_us BIGINT NOT NULL
);
CREATE INDEX publications_agency ON publications (agency_id, published_on);
CREATE INDEX publications_published ON publications (published_on, id);

-- The day a case's decision was made, for the publicity officer's queue.
ALTER TABLE cases ADD COLUMN decided_on TEXT;
UPDATE cases SET decided_on = json_extract(data, '$.decided_on');
CREATE INDEX cases_decided ON cases (agency_id, decided_on);

-- Each server's search index reads the publication events after the last it saw.
CREATE INDEX outbox_topic ON outbox (topic, id);
