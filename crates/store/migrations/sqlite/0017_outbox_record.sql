-- Each record has one outbox event (issue 25, item 9): `verify` reads the
-- events of each batch of records by their record ids, from this index
-- alone (it holds every column it compares).
CREATE INDEX outbox_record ON outbox (record_id, created_us, done_us, topic);
