-- Early warnings (预警, SUP-1) and their handling: one row per warning,
-- found by its subject (to reconcile) and by agency and status (to list).
CREATE TABLE warnings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id INTEGER NOT NULL REFERENCES agencies (id),
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    answer_due TEXT,
    data TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_us BIGINT NOT NULL,
    updated_us BIGINT NOT NULL
);
CREATE INDEX warnings_subject ON warnings (subject_kind, subject_id, status);
CREATE INDEX warnings_agency ON warnings (agency_id, status, id);
