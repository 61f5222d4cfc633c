-- The tamper-evident log (PostgreSQL): one leaf per record, every complete
-- subtree's hash, and the signed checkpoints. All append-only.
CREATE TABLE ledger_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    origin TEXT NOT NULL,
    hash_alg TEXT NOT NULL,
    signer_alg TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_us BIGINT NOT NULL
);

CREATE TABLE ledger_leaves (
    idx BIGINT PRIMARY KEY,
    record_id BIGINT NOT NULL UNIQUE REFERENCES records (id),
    salt BYTEA NOT NULL,
    leaf BYTEA NOT NULL
);

CREATE TABLE ledger_nodes (
    level SMALLINT NOT NULL,
    idx BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE ledger_checkpoints (
    size BIGINT PRIMARY KEY,
    root BYTEA NOT NULL,
    note TEXT NOT NULL,
    created_us BIGINT NOT NULL
);

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only';
END;
$$;
CREATE TRIGGER ledger_meta_no_update BEFORE UPDATE OR DELETE ON ledger_meta
FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_leaves_no_update BEFORE UPDATE OR DELETE ON ledger_leaves
FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_nodes_no_update BEFORE UPDATE OR DELETE ON ledger_nodes
FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_checkpoints_no_update BEFORE UPDATE OR DELETE ON ledger_checkpoints
FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger_leaves
FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
