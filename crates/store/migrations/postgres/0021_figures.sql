-- The dashboard's summary tables (SUP-1), kept by the warnings' outbox
-- reader and rebuilt from the cases, publications and complaints: no record
-- makes them. What each source added, and the sums per agency, month
-- (yyyymm) and procedure ('' for publications and complaints).
CREATE TABLE figure_sources (
    kind TEXT NOT NULL,
    source_id BIGINT NOT NULL,
    agency_id BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, source_id)
);
CREATE TABLE figures (
    agency_id BIGINT NOT NULL,
    month INTEGER NOT NULL,
    procedure TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (agency_id, month, procedure)
);
CREATE INDEX figures_month ON figures (month, agency_id);
