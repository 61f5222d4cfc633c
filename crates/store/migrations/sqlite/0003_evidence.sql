-- Audio/video records (音像记录): resumable uploads and the files they became.
CREATE TABLE uploads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    length BIGINT NOT NULL,
    meta TEXT NOT NULL,
    case_number TEXT NOT NULL,
    state TEXT NOT NULL,
    content_hash TEXT,
    late INTEGER NOT NULL DEFAULT 0,
    created_us BIGINT NOT NULL,
    completed_us BIGINT
);
CREATE INDEX uploads_case ON uploads (agency_id, case_number);
CREATE INDEX uploads_hash ON uploads (content_hash);
