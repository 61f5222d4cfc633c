-- Wrong passwords are counted per user and client address, and per address
-- (issue 23: no lock-out by user name alone; a sprayed password is slowed).
ALTER TABLE login_failures ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX login_failures_client ON login_failures (client, at_us);
