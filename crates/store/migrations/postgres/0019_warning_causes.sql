-- A warning's cause (its rule's family and the key within its subject), so
-- that two servers evaluating the same subject at once cannot both open a
-- warning of one cause: the second insert fails and is evaluated again.
ALTER TABLE warnings ADD COLUMN family TEXT NOT NULL DEFAULT '';
ALTER TABLE warnings ADD COLUMN cause_key TEXT NOT NULL DEFAULT '';
UPDATE warnings SET family = data::json->>'family', cause_key = data::json->>'key';
CREATE UNIQUE INDEX warnings_open_cause ON warnings (subject_kind, subject_id, family, cause_key)
    WHERE status NOT IN ('accepted', 'resolved');
