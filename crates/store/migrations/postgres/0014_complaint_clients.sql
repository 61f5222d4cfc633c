-- Complaints counted per sender (issue 23): a keyed hash of the sender's
-- address, never the address itself.
ALTER TABLE complaints ADD COLUMN client_tag TEXT;
CREATE INDEX complaints_client_tag ON complaints (client_tag, created_us);
