//! The log in the database: every record becomes a leaf in the transaction
//! that writes it ([`LedgerTx`], used only by `commit`), complete subtrees
//! are stored as they complete, and checkpoints are signed on request.
//!
//! Appends are serialized by the database: SQLite's writer lock (`BEGIN
//! IMMEDIATE`), a PostgreSQL transaction-scoped advisory lock. Two servers on
//! one PostgreSQL therefore extend one log, never two.

use crate::{Dialect, Result, Store, StoreError, from_us, to_us};
use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;
use zhifa_ledger::{Appender, Checkpoint, Hash, HashAlg, NodeId, RecordLeaf, Signer, SignerAlg};

type Tx = Transaction<'static, Any>;

/// The advisory lock key of the ledger ("zhifa" in ASCII).
const PG_LOCK: i64 = 0x7a_6869_6661;

/// The registry tables whose current rows `verify` compares with their
/// newest record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registry {
    Agencies,
    Users,
    Items,
    InspectionItems,
    ServiceGuides,
}

impl Registry {
    pub const ALL: [Registry; 5] =
        [Registry::Agencies, Registry::Users, Registry::Items, Registry::InspectionItems, Registry::ServiceGuides];

    /// The table and the entity name of its records.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Registry::Agencies => ("agencies", "agency"),
            Registry::Users => ("users", "user"),
            Registry::Items => ("items", "item"),
            Registry::InspectionItems => ("inspection_items", "inspection_item"),
            Registry::ServiceGuides => ("service_guides", "service_guide"),
        }
    }
}

/// What a log was created with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerMeta {
    /// The checkpoint origin line, e.g. `zhifa.example/ledger`.
    pub origin: String,
    pub hash: HashAlg,
    pub signer: SignerAlg,
    /// The checkpoint key, SubjectPublicKeyInfo PEM.
    pub public_key: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointRow {
    pub size: u64,
    pub root: Hash,
    /// The signed note.
    pub note: String,
    pub created_at: Timestamp,
}

/// A leaf as stored: the record it stands for, the commitment's salt, the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafRow {
    pub index: u64,
    pub record_id: i64,
    pub salt: Vec<u8>,
    pub leaf: Vec<u8>,
}

fn corrupt(table: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Corrupt { table, message: message.into() }
}

fn hash_of(table: &'static str, bytes: Vec<u8>) -> Result<Hash> {
    Hash::try_from(bytes.as_slice()).map_err(|_| corrupt(table, format!("hash of {} bytes", bytes.len())))
}

fn meta_row(row: &AnyRow) -> Result<LedgerMeta> {
    let hash: String = row.try_get("hash_alg")?;
    let signer: String = row.try_get("signer_alg")?;
    Ok(LedgerMeta {
        origin: row.try_get("origin")?,
        hash: HashAlg::parse(&hash).ok_or_else(|| corrupt("ledger_meta", format!("hash {hash}")))?,
        signer: SignerAlg::parse(&signer).ok_or_else(|| corrupt("ledger_meta", format!("signer {signer}")))?,
        public_key: row.try_get("public_key")?,
        created_at: from_us(row.try_get("created_us")?),
    })
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Take the ledger's lock (PostgreSQL; SQLite's writer lock is already held).
async fn lock(tx: &mut Tx, dialect: Dialect) -> Result<()> {
    if dialect == Dialect::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(PG_LOCK).execute(&mut **tx).await?;
    }
    Ok(())
}

async fn size_in(tx: &mut Tx) -> Result<u64> {
    let size: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_leaves").fetch_one(&mut **tx).await?;
    Ok(u64_of(size))
}

async fn meta_in(tx: &mut Tx) -> Result<LedgerMeta> {
    let row = sqlx::query("SELECT origin, hash_alg, signer_alg, public_key, created_us FROM ledger_meta WHERE id = 1")
        .fetch_optional(&mut **tx)
        .await?;
    meta_row(&row.ok_or(StoreError::NoLedger)?)
}

/// Read `ids` in one query.
async fn nodes_in<'c, E>(executor: E, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let mut out = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(out);
    }
    let conditions: Vec<String> =
        (0..ids.len()).map(|i| format!("(level = ${} AND idx = ${})", 2 * i + 1, 2 * i + 2)).collect();
    let sql = format!("SELECT level, idx, hash FROM ledger_nodes WHERE {}", conditions.join(" OR "));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(i16::from(id.level)).bind(i64_of(id.index));
    }
    for row in query.fetch_all(executor).await? {
        let level: i16 = row.try_get("level")?;
        let id = NodeId { level: u8::try_from(level).unwrap_or(u8::MAX), index: u64_of(row.try_get("idx")?) };
        out.insert(id, hash_of("ledger_nodes", row.try_get("hash")?)?);
    }
    Ok(out)
}

/// Keep a signed checkpoint. Another writer may have signed the same size
/// (another server, or an explicit signature): either note will do.
async fn insert_checkpoint<'c, E>(executor: E, size: u64, root: &Hash, note: &str, at: Timestamp) -> Result<()>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    sqlx::query(
        "INSERT INTO ledger_checkpoints (size, root, note, created_us) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (size) DO NOTHING",
    )
    .bind(i64_of(size))
    .bind(root.to_vec())
    .bind(note.to_owned())
    .bind(to_us(at))
    .execute(executor)
    .await?;
    Ok(())
}

/// The appends of one transaction.
#[derive(Clone)]
pub(crate) struct LedgerTx {
    alg: HashAlg,
    origin: String,
    /// The size when the transaction began.
    start: u64,
    appender: Appender,
}

impl LedgerTx {
    pub(crate) async fn begin(tx: &mut Tx, dialect: Dialect) -> Result<Self> {
        lock(tx, dialect).await?;
        let meta = meta_in(tx).await?;
        let size = size_in(tx).await?;
        let nodes = nodes_in(&mut **tx, &zhifa_ledger::frontier(size)).await?;
        let appender = Appender::new(meta.hash, size, &nodes).map_err(|e| corrupt("ledger_nodes", e.to_string()))?;
        Ok(Self { alg: meta.hash, origin: meta.origin, start: size, appender })
    }

    /// Sign the tree as this transaction leaves it, in the transaction: the
    /// checkpoint exists exactly when the leaves it covers do.
    pub(crate) async fn checkpoint(&self, tx: &mut Tx, signer: &Signer, at: Timestamp) -> Result<()> {
        let size = self.appender.size();
        if size == self.start {
            return Ok(());
        }
        let root = self.appender.root();
        let note = signer.sign_checkpoint(&Checkpoint { origin: self.origin.clone(), size, root });
        insert_checkpoint(&mut **tx, size, &root, &note, at).await?;
        Ok(())
    }

    /// The leaf of one record, and the subtrees it completes.
    pub(crate) async fn append(
        &mut self,
        tx: &mut Tx,
        record_id: i64,
        kind: &str,
        at: Timestamp,
        body: &[u8],
    ) -> Result<()> {
        let mut salt = [0u8; 32];
        getrandom::fill(&mut salt).map_err(|e| corrupt("ledger_leaves", format!("no randomness: {e}")))?;
        let leaf = RecordLeaf {
            record_id,
            kind: kind.to_owned(),
            at_us: to_us(at),
            commitment: RecordLeaf::commitment(self.alg, &salt, body),
        }
        .to_bytes();
        let index = self.appender.size();
        sqlx::query("INSERT INTO ledger_leaves (idx, record_id, salt, leaf) VALUES ($1, $2, $3, $4)")
            .bind(i64_of(index))
            .bind(record_id)
            .bind(salt.to_vec())
            .bind(&leaf)
            .execute(&mut **tx)
            .await?;
        let nodes = self.appender.append(&leaf);
        let values: Vec<String> =
            (0..nodes.len()).map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3)).collect();
        let sql = format!("INSERT INTO ledger_nodes (level, idx, hash) VALUES {}", values.join(", "));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, hash) in nodes {
            query = query.bind(i16::from(id.level)).bind(i64_of(id.index)).bind(hash.to_vec());
        }
        query.execute(&mut **tx).await?;
        Ok(())
    }
}

impl Store {
    pub async fn ledger_meta(&self) -> Result<Option<LedgerMeta>> {
        let row =
            sqlx::query("SELECT origin, hash_alg, signer_alg, public_key, created_us FROM ledger_meta WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(meta_row).transpose()
    }

    /// [`Store::ledger_meta`], read once per process (it never changes; a
    /// changed row is `verify`'s business, which reads it afresh).
    pub async fn ledger_meta_cached(&self) -> Result<LedgerMeta> {
        if let Some(meta) = self.meta.get() {
            return Ok(meta.clone());
        }
        let meta = self.ledger_meta().await?.ok_or(StoreError::NoLedger)?;
        Ok(self.meta.get_or_init(|| meta).clone())
    }

    /// Create the log with `meta` unless it exists; return the log's meta
    /// either way (the caller checks that its key is the log's key).
    pub async fn init_ledger(&self, meta: &LedgerMeta) -> Result<LedgerMeta> {
        sqlx::query(
            "INSERT INTO ledger_meta (id, origin, hash_alg, signer_alg, public_key, created_us) \
             VALUES (1, $1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&meta.origin)
        .bind(meta.hash.code())
        .bind(meta.signer.code())
        .bind(&meta.public_key)
        .bind(to_us(meta.created_at))
        .execute(&self.pool)
        .await?;
        self.ledger_meta().await?.ok_or(StoreError::NoLedger)
    }

    /// The number of leaves.
    pub async fn ledger_size(&self) -> Result<u64> {
        let size: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_leaves").fetch_one(&self.pool).await?;
        Ok(u64_of(size))
    }

    /// Stored subtree hashes by id; absent ids are simply not in the map.
    pub async fn ledger_nodes(&self, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>> {
        let mut out = HashMap::new();
        // Keep each query's parameters well under every driver's limit.
        for chunk in ids.chunks(200) {
            out.extend(nodes_in(&self.pool, chunk).await?);
        }
        Ok(out)
    }

    /// Sign a checkpoint of the log as it is now, unless the newest one
    /// already covers it. Size and root are read from one snapshot; the
    /// signature is made outside any lock, so appends go on meanwhile.
    pub async fn sign_checkpoint(&self, signer: &Signer, now: Timestamp) -> Result<Option<CheckpointRow>> {
        let mut tx = match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN DEFERRED").await?,
            Dialect::Postgres => self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?,
        };
        let meta = meta_in(&mut tx).await?;
        let size = size_in(&mut tx).await?;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(size) FROM ledger_checkpoints").fetch_one(&mut *tx).await?;
        if last.is_some_and(|l| u64_of(l) >= size) {
            return Ok(None);
        }
        let nodes = nodes_in(&mut *tx, &zhifa_ledger::frontier(size)).await?;
        tx.commit().await?;
        let root =
            zhifa_ledger::root_at(meta.hash, size, &nodes).map_err(|e| corrupt("ledger_nodes", e.to_string()))?;
        let note = signer.sign_checkpoint(&Checkpoint { origin: meta.origin.clone(), size, root });
        insert_checkpoint(&self.pool, size, &root, &note, now).await?;
        Ok(Some(CheckpointRow { size, root, note, created_at: now }))
    }

    pub async fn latest_checkpoint(&self) -> Result<Option<CheckpointRow>> {
        let row = sqlx::query("SELECT size, root, note, created_us FROM ledger_checkpoints ORDER BY size DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(checkpoint_row).transpose()
    }

    /// Checkpoints in order of size, from `after` (exclusive), at most `limit`.
    pub async fn checkpoints_after(&self, after: Option<u64>, limit: i64) -> Result<Vec<CheckpointRow>> {
        let after = after.map_or(-1, i64_of);
        let rows = sqlx::query(
            "SELECT size, root, note, created_us FROM ledger_checkpoints WHERE size > $1 ORDER BY size LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(checkpoint_row).collect()
    }

    /// Leaves with `start <= index < end`, in order.
    pub async fn ledger_leaves(&self, start: u64, end: u64) -> Result<Vec<LeafRow>> {
        let rows = sqlx::query(
            "SELECT idx, record_id, salt, leaf FROM ledger_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx",
        )
        .bind(i64_of(start))
        .bind(i64_of(end))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(LeafRow {
                    index: u64_of(row.try_get("idx")?),
                    record_id: row.try_get("record_id")?,
                    salt: row.try_get("salt")?,
                    leaf: row.try_get("leaf")?,
                })
            })
            .collect()
    }

    /// Leaves with `start <= index < end` and the records they stand for
    /// (`None` where the record is gone), in order.
    pub async fn ledger_entries(&self, start: u64, end: u64) -> Result<Vec<(LeafRow, Option<crate::RecordRow>)>> {
        let rows = sqlx::query(
            "SELECT l.idx, l.record_id, l.salt, l.leaf, r.id, r.at_us, r.kind, r.entity, r.entity_id, r.agency_id, \
             r.actor_id, r.actor_name, r.reason, r.body \
             FROM ledger_leaves l LEFT JOIN records r ON r.id = l.record_id \
             WHERE l.idx >= $1 AND l.idx < $2 ORDER BY l.idx",
        )
        .bind(i64_of(start))
        .bind(i64_of(end))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let leaf = LeafRow {
                    index: u64_of(row.try_get("idx")?),
                    record_id: row.try_get("record_id")?,
                    salt: row.try_get("salt")?,
                    leaf: row.try_get("leaf")?,
                };
                let present: Option<i64> = row.try_get("id")?;
                let record = match present {
                    Some(_) => Some(crate::read::record_row(row)?),
                    None => None,
                };
                Ok((leaf, record))
            })
            .collect()
    }

    /// The stored nodes that leaves `start..end` complete: at each level `k`,
    /// indices `start >> k .. end >> k` (the whole subtree must lie below `end`).
    pub async fn ledger_nodes_completed_in(&self, start: u64, end: u64) -> Result<HashMap<NodeId, Hash>> {
        let mut ranges = Vec::new();
        for level in 0u8..64 {
            let (first, last) = (start >> level, end >> level);
            if first < last {
                ranges.push((level, first, last));
            }
            if end >> level == 0 {
                break;
            }
        }
        let mut out = HashMap::new();
        if ranges.is_empty() {
            return Ok(out);
        }
        let conditions: Vec<String> = (0..ranges.len())
            .map(|i| format!("(level = ${} AND idx >= ${} AND idx < ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect();
        let sql = format!("SELECT level, idx, hash FROM ledger_nodes WHERE {}", conditions.join(" OR "));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (level, first, last) in ranges {
            query = query.bind(i16::from(level)).bind(i64_of(first)).bind(i64_of(last));
        }
        for row in query.fetch_all(&self.pool).await? {
            let level: i16 = row.try_get("level")?;
            let id = NodeId { level: u8::try_from(level).unwrap_or(u8::MAX), index: u64_of(row.try_get("idx")?) };
            out.insert(id, hash_of("ledger_nodes", row.try_get("hash")?)?);
        }
        Ok(out)
    }

    /// Rows of a registry table with `id > after` (at most `limit`), each with
    /// its JSON data and the body of the newest `{entity}.create` or
    /// `{entity}.update` record about it (`None` if there is none).
    pub async fn entities_with_latest_record(
        &self,
        table: Registry,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String, Option<Vec<u8>>)>> {
        let (table, entity) = table.names();
        let sql = format!(
            "SELECT t.id, t.data, r.body FROM {table} t LEFT JOIN records r ON r.id = \
             (SELECT MAX(x.id) FROM records x WHERE x.entity = $1 AND x.entity_id = t.id AND x.kind IN ($2, $3)) \
             WHERE t.id > $4 ORDER BY t.id LIMIT $5"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity)
            .bind(format!("{entity}.create"))
            .bind(format!("{entity}.update"))
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("data")?, r.try_get("body")?))).collect()
    }

    /// Records that have no leaf (at most `limit`).
    pub async fn records_without_leaf(&self, limit: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT r.id FROM records r LEFT JOIN ledger_leaves l ON l.record_id = r.id \
             WHERE l.idx IS NULL ORDER BY r.id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Stored nodes of `level` with `start <= index < end`, in order.
    pub async fn ledger_level(&self, level: u8, start: u64, end: u64) -> Result<Vec<(u64, Hash)>> {
        let rows =
            sqlx::query("SELECT idx, hash FROM ledger_nodes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx")
                .bind(i16::from(level))
                .bind(i64_of(start))
                .bind(i64_of(end))
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| Ok((u64_of(row.try_get("idx")?), hash_of("ledger_nodes", row.try_get("hash")?)?)))
            .collect()
    }

    /// How many nodes are stored at each level (for verification).
    pub async fn ledger_node_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_nodes").fetch_one(&self.pool).await?;
        Ok(u64_of(n))
    }
}

fn checkpoint_row(row: &AnyRow) -> Result<CheckpointRow> {
    Ok(CheckpointRow {
        size: u64_of(row.try_get("size")?),
        root: hash_of("ledger_checkpoints", row.try_get("root")?)?,
        note: row.try_get("note")?,
        created_at: from_us(row.try_get("created_us")?),
    })
}
