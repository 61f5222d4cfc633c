-- When the warnings' day's pass must look at a subject again (SUP-1): the
-- first day on which a rule may find otherwise than it did, kept by the
-- warnings' reader and counted again by a whole pass: no record makes them.
CREATE TABLE warning_clocks (
    subject_kind TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    due_on TEXT NOT NULL,
    PRIMARY KEY (subject_kind, subject_id)
);
CREATE INDEX warning_clocks_due ON warning_clocks (due_on);
-- What every subject's clock was last counted with (a fingerprint of the
-- calendar, the procedures and the rules): a day's pass under another
-- basis evaluates every subject.
CREATE TABLE warning_clock_basis (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    basis TEXT NOT NULL
);
-- The warnings' reader reads the recordings of a few hundred cases at once,
-- by number.
CREATE INDEX uploads_number ON uploads (case_number);
