-- The newest create or update record of an entity is found in the index
-- alone (verify asks it of every registry row).
DROP INDEX records_entity;
CREATE INDEX records_entity ON records (entity, entity_id, kind);
