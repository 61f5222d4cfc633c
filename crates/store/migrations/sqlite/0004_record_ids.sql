-- Record ids are given by `commit`, which holds the ledger lock (SQLite needs
-- no change: an INTEGER PRIMARY KEY takes explicit values).
SELECT 1;
