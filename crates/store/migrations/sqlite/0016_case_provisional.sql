-- A case something of which was only estimated: a step checked against a
-- calendar with a year whose holidays were not loaded, or a seizure's end
-- (issue 25, REC-3). Derived from its data; the cases to check again when
-- the year's holidays are added.
ALTER TABLE cases ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET provisional = 1
 WHERE data LIKE '%"seizure_until_provisional":true%' OR data LIKE '%"estimated":[%';
CREATE INDEX cases_provisional ON cases (provisional) WHERE provisional = 1;
