-- The legal-review catalogue of each agency (重大执法决定法制审核目录清单):
-- one row per agency, the lines and settings as JSON in `data`. The review
-- of a case (rounds, coordination, deliberation) is part of the case's data.
CREATE TABLE review_catalogues (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id INTEGER NOT NULL UNIQUE REFERENCES agencies (id),
    data TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_us BIGINT NOT NULL,
    updated_us BIGINT NOT NULL
);
