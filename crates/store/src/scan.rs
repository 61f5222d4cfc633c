//! Reading the whole log in order, for verification: batches of leaves with
//! their records and the subtrees they complete, read ahead of the caller on
//! another thread.
//!
//! On SQLite the batches are read with `rusqlite` in one read transaction
//! (one snapshot of the whole log): sqlx hands each row from its worker
//! thread to the async side one at a time, which costs more than checking
//! the row. On PostgreSQL they are read through the pool.

use crate::{Dialect, LeafRow, RecordRow, Result, Store, StoreError, VerifiedRow, VerifiedTable, from_us};
use rusqlite::OptionalExtension;
use sqlx::Row;
use std::path::Path;
use tokio::sync::mpsc;
use zhifa_domain::ids::{AgencyId, RecordId, UserId};
use zhifa_ledger::{Hash, NodeId};

/// Leaves `start..end`, each with its record (`None` if the record is
/// gone), and the stored subtrees that those leaves complete.
#[derive(Debug)]
pub struct LedgerBatch {
    pub start: u64,
    pub end: u64,
    pub entries: Vec<(LeafRow, Option<RecordRow>)>,
    pub nodes: CompletedNodes,
    /// The outbox events of the records the leaves name (by record id,
    /// from the lowest to the highest), in order of record id.
    pub events: Vec<EventRow>,
}

/// A record's outbox event, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub record_id: i64,
    pub topic: String,
    pub created_us: i64,
    pub done_us: Option<i64>,
}

/// The outbox events of records `low..=high`, in order of record id.
const EVENTS: &str = "SELECT record_id, topic, created_us, done_us FROM outbox WHERE record_id >= $1 AND record_id <= $2 ORDER BY record_id";

/// The stored subtrees completed by the leaves `start..end`: at each level
/// `k`, indices `start >> k .. end >> k` (as `start` is a multiple of the
/// batch size, a power of two, every subtree lies inside one batch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedNodes {
    start: u64,
    levels: Vec<Vec<Option<Slot>>>,
}

/// A stored node: its hash, or bytes that are no hash (wrong length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Hash(Hash),
    Malformed,
}

/// What a malformed stored hash compares as: it matches no real hash.
const MALFORMED: Option<&Hash> = Some(&[0; 32]);

impl CompletedNodes {
    pub fn new(start: u64, end: u64) -> Self {
        let levels = Self::ranges(start, end).map(|(_, first, last)| vec![None; (last - first) as usize]).collect();
        Self { start, levels }
    }

    /// `(level, first, last)` of each level with nodes in `start..end`.
    fn ranges(start: u64, end: u64) -> impl Iterator<Item = (u8, u64, u64)> {
        (0u8..64).map(move |k| (k, start >> k, end >> k)).take_while(|(_, first, last)| first < last)
    }

    fn put(&mut self, level: u8, index: u64, hash: Slot) {
        let first = self.start >> level;
        let slot = self
            .levels
            .get_mut(usize::from(level))
            .and_then(|l| l.get_mut(usize::try_from(index.wrapping_sub(first)).unwrap_or(usize::MAX)));
        if let Some(slot) = slot {
            *slot = Some(hash);
        }
    }

    /// The stored hash of `id`, if it is stored (and in this batch's range);
    /// a stored value of the wrong length comes back as all zeros.
    pub fn get(&self, id: NodeId) -> Option<&Hash> {
        let first = self.start >> id.level;
        let offset = usize::try_from(id.index.checked_sub(first)?).ok()?;
        match self.levels.get(usize::from(id.level))?.get(offset)? {
            Some(Slot::Hash(h)) => Some(h),
            Some(Slot::Malformed) => MALFORMED,
            None => None,
        }
    }
}

/// A registry row's id and JSON data, with the body of its newest
/// `{entity}.create` or `{entity}.update` record (`None` if there is none).
/// Data `None`: records name this row, but it is not there.
pub type RegistryRow = (i64, Option<String>, Option<Vec<u8>>);

/// Registry rows per batch.
const REGISTRY_BATCH: usize = 2_000;

/// Read-only rusqlite connections kept for short reads (proofs), each with
/// its statements cached.
#[derive(Debug, Default)]
pub(crate) struct Readers(std::sync::Mutex<Vec<rusqlite::Connection>>);

impl Readers {
    /// Run `f` on an idle connection (or a new one), then keep it.
    fn with<T>(&self, path: &Path, f: impl FnOnce(&mut rusqlite::Connection) -> Result<T>) -> Result<T> {
        let taken = self.0.lock().ok().and_then(|mut idle| idle.pop());
        let mut conn = match taken {
            Some(conn) => conn,
            None => open_sqlite(path)?,
        };
        let out = f(&mut conn);
        if out.is_ok()
            && let Ok(mut idle) = self.0.lock()
            && idle.len() < IDLE_READERS
        {
            idle.push(conn);
        }
        out
    }
}

/// Connections kept idle at most.
const IDLE_READERS: usize = 8;

/// Batches in flight between the reader and the checker.
const AHEAD: usize = 2;

impl Store {
    /// Read leaves `0..size` in batches of `batch` (a power of two), ahead of
    /// the receiver (on a blocking thread for SQLite). A read error ends the
    /// stream with that error.
    pub fn scan_ledger(&self, size: u64, batch: u64) -> mpsc::Receiver<Result<LedgerBatch>> {
        let (tx, rx) = mpsc::channel(AHEAD);
        let batch = batch.next_power_of_two();
        match (self.dialect, self.sqlite_path.clone()) {
            (Dialect::Sqlite, Some(path)) => {
                tokio::task::spawn_blocking(move || {
                    if let Err(e) = scan_sqlite(&path, size, batch, &tx) {
                        tx.blocking_send(Err(e)).ok();
                    }
                });
            }
            _ => {
                let store = self.clone();
                tokio::spawn(async move {
                    let mut start = 0;
                    while start < size {
                        let end = (start + batch).min(size);
                        let read = store.read_batch(start, end).await;
                        let failed = read.is_err();
                        if tx.send(read).await.is_err() || failed {
                            break;
                        }
                        start = end;
                    }
                });
            }
        }
        rx
    }

    /// Every row of a registry table, `(id, data)` in id order, in batches
    /// (on SQLite read on a blocking thread from one snapshot).
    pub fn scan_registry(&self, table: VerifiedTable) -> mpsc::Receiver<Result<Vec<VerifiedRow>>> {
        let (tx, rx) = mpsc::channel(AHEAD);
        match (self.dialect, self.sqlite_path.clone()) {
            (Dialect::Sqlite, Some(path)) => {
                tokio::task::spawn_blocking(move || {
                    if let Err(e) = scan_registry_sqlite(&path, table, &tx) {
                        tx.blocking_send(Err(e)).ok();
                    }
                });
            }
            _ => {
                let store = self.clone();
                tokio::spawn(async move {
                    let mut after = 0;
                    loop {
                        let rows = store.registry_page(table, after).await;
                        match &rows {
                            Ok(r) => match r.last() {
                                Some(last) => after = last.id,
                                None => return,
                            },
                            Err(_) => {
                                tx.send(rows).await.ok();
                                return;
                            }
                        }
                        if tx.send(rows).await.is_err() {
                            return;
                        }
                    }
                });
            }
        }
        rx
    }

    async fn registry_page(&self, table: VerifiedTable, after: i64) -> Result<Vec<VerifiedRow>> {
        let sql = format!("{} WHERE id > $1 ORDER BY id LIMIT $2", table.select());
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after).bind(REGISTRY_BATCH as i64).fetch_all(&self.pool).await?;
        let (n, m) = (table.derived().count(), table.born.len() + table.now.len());
        rows.iter()
            .map(|r| {
                Ok(VerifiedRow {
                    id: r.try_get(0)?,
                    data: r.try_get(1)?,
                    agency: r.try_get(2)?,
                    version: r.try_get(3)?,
                    created_us: r.try_get(4)?,
                    updated_us: r.try_get(5)?,
                    owner: r.try_get(6)?,
                    derived: (0..n).map(|k| r.try_get(7 + k)).collect::<std::result::Result<_, _>>()?,
                    named: (n..n + m).map(|k| r.try_get(7 + k)).collect::<std::result::Result<_, _>>()?,
                    rest: (n + m..n + m + table.rest.len())
                        .map(|k| r.try_get(7 + k))
                        .collect::<std::result::Result<_, _>>()?,
                })
            })
            .collect()
    }

    /// Registry row `id` of `table` with the body of the newest create or
    /// update record of it, read together (one statement, one snapshot).
    pub async fn registry_row(&self, table: VerifiedTable, id: i64) -> Result<RegistryRow> {
        let VerifiedTable { table: name, entity, .. } = table;
        let sql = format!(
            "SELECT (SELECT t.data FROM {name} t WHERE t.id = $2) AS data, \
             (SELECT r.body FROM records r WHERE r.id = (SELECT MAX(x.id) FROM records x \
              WHERE x.entity = $1 AND x.entity_id = $2 AND x.kind IN ($3, $4))) AS body"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity)
            .bind(id)
            .bind(format!("{entity}.create"))
            .bind(format!("{entity}.update"))
            .fetch_one(&self.pool)
            .await?;
        Ok((id, row.try_get("data")?, row.try_get("body")?))
    }

    /// Stored nodes `ids` and, with `leaf`, that leaf's bytes, read from one
    /// snapshot (for proofs). On SQLite through a kept rusqlite connection on
    /// a blocking thread: one hop instead of a round trip per query.
    pub async fn ledger_nodes_and_leaf(
        &self,
        ids: Vec<NodeId>,
        leaf: Option<u64>,
    ) -> Result<(std::collections::HashMap<NodeId, Hash>, Option<Vec<u8>>)> {
        let (Dialect::Sqlite, Some(path)) = (self.dialect, self.sqlite_path.clone()) else {
            let nodes = self.ledger_nodes(&ids).await?;
            let leaf = match leaf {
                Some(i) => self.ledger_leaves(i, i + 1).await?.pop().map(|l| l.leaf),
                None => None,
            };
            return Ok((nodes, leaf));
        };
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || readers.with(&path, |conn| read_proof(conn, &ids, leaf)))
            .await
            .map_err(|e| StoreError::Corrupt { table: "ledger", message: e.to_string() })?
    }

    /// The SQLite database file, when this store is one.
    pub(crate) fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.sqlite_path.as_deref().filter(|_| self.dialect == Dialect::Sqlite)
    }

    /// Run `f` on a kept read-only connection to the SQLite file, on this
    /// thread: for point reads of some microseconds, where sqlx's hop to its
    /// connection thread and back costs more than the read (each statement
    /// is its own snapshot, so it sees every commit made before it). `None`
    /// when the store is not a SQLite file.
    pub(crate) fn sqlite_point_read<T>(
        &self,
        f: impl FnOnce(&mut rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Option<Result<T>> {
        let path = self.sqlite_file()?;
        Some(self.readers.with(path, |conn| f(conn).map_err(sqlite_error)))
    }

    async fn read_batch(&self, start: u64, end: u64) -> Result<LedgerBatch> {
        let entries = self.ledger_entries(start, end).await?;
        let mut nodes = CompletedNodes::new(start, end);
        for (level, first, last) in CompletedNodes::ranges(start, end) {
            for (index, hash) in self.ledger_level(level, first, last).await? {
                nodes.put(level, index, Slot::Hash(hash));
            }
        }
        let low = entries.iter().map(|(l, _)| l.record_id).min().unwrap_or_default();
        let high = entries.iter().map(|(l, _)| l.record_id).max().unwrap_or_default();
        let rows = sqlx::query(EVENTS).bind(low).bind(high).fetch_all(&self.pool).await?;
        let events = rows
            .iter()
            .map(|r| {
                Ok(EventRow {
                    record_id: r.try_get(0)?,
                    topic: r.try_get(1)?,
                    created_us: r.try_get(2)?,
                    done_us: r.try_get(3)?,
                })
            })
            .collect::<std::result::Result<_, sqlx::Error>>()?;
        Ok(LedgerBatch { start, end, entries, nodes, events })
    }

    /// How many outbox events name a record id below `low` or above
    /// `high` that no record has (both ends read by the index).
    pub async fn outbox_orphans_outside(&self, low: i64, high: i64) -> Result<i64> {
        const ORPHANS: &str = "SELECT COUNT(*) FROM outbox o WHERE o.record_id {} $1 \
             AND NOT EXISTS (SELECT 1 FROM records r WHERE r.id = o.record_id)";
        let mut n = 0;
        for (op, bound) in [("<", low), (">", high)] {
            let sql = ORPHANS.replace("{}", op);
            n += sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).bind(bound).fetch_one(&self.pool).await?;
        }
        Ok(n)
    }
}

pub(crate) fn sqlite_error(e: rusqlite::Error) -> StoreError {
    StoreError::Corrupt { table: "sqlite", message: format!("SQLite: {e}") }
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A read-only connection to the database file, in one read transaction.
pub(crate) fn open_sqlite(path: &Path) -> Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let conn =
        rusqlite::Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(sqlite_error)?;
    conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(sqlite_error)?;
    // Read pages through a memory map rather than one system call each.
    conn.pragma_update(None, "mmap_size", 1i64 << 31).map_err(sqlite_error)?;
    Ok(conn)
}

/// The rows of a registry table in id order, from one snapshot.
fn scan_registry_sqlite(path: &Path, table: VerifiedTable, tx: &mpsc::Sender<Result<Vec<VerifiedRow>>>) -> Result<()> {
    let mut conn = open_sqlite(path)?;
    let snapshot = conn.transaction().map_err(sqlite_error)?;
    let mut query = snapshot.prepare(&format!("{} ORDER BY id", table.select())).map_err(sqlite_error)?;
    let mut rows = query.query(()).map_err(sqlite_error)?;
    let mut out = Vec::with_capacity(REGISTRY_BATCH);
    let (n, m) = (table.derived().count(), table.born.len() + table.now.len());
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        let get = |k| row.get(k).map_err(sqlite_error);
        let get_text = |k| row.get(k).map_err(sqlite_error);
        out.push(VerifiedRow {
            id: get(0)?,
            data: row.get(1).map_err(sqlite_error)?,
            agency: row.get(2).map_err(sqlite_error)?,
            version: get(3)?,
            created_us: get(4)?,
            updated_us: get(5)?,
            owner: row.get(6).map_err(sqlite_error)?,
            derived: (0..n).map(|k| get_text(7 + k)).collect::<Result<_>>()?,
            named: (n..n + m).map(|k| get_text(7 + k)).collect::<Result<_>>()?,
            rest: (n + m..n + m + table.rest.len()).map(|k| get_text(7 + k)).collect::<Result<_>>()?,
        });
        if out.len() >= REGISTRY_BATCH {
            if tx.blocking_send(Ok(std::mem::take(&mut out))).is_err() {
                return Ok(());
            }
            out.reserve(REGISTRY_BATCH);
        }
    }
    if !out.is_empty() {
        tx.blocking_send(Ok(out)).ok();
    }
    Ok(())
}

fn scan_sqlite(path: &Path, size: u64, batch: u64, tx: &mpsc::Sender<Result<LedgerBatch>>) -> Result<()> {
    let mut conn = open_sqlite(path)?;
    // One snapshot for the whole scan.
    let snapshot = conn.transaction().map_err(sqlite_error)?;
    // Leaves and records are read as two sequential ranges and matched
    // here: cheaper for SQLite than looking each record up.
    let mut leaves = snapshot
        .prepare("SELECT idx, record_id, salt, leaf FROM ledger_leaves WHERE idx >= ?1 AND idx < ?2 ORDER BY idx")
        .map_err(sqlite_error)?;
    let record_cols = "id, at_us, kind, entity, entity_id, agency_id, actor_id, actor_name, reason, body";
    let mut record_range = snapshot
        .prepare(&format!("SELECT {record_cols} FROM records WHERE id >= ?1 AND id <= ?2 ORDER BY id"))
        .map_err(sqlite_error)?;
    let mut record_one =
        snapshot.prepare(&format!("SELECT {record_cols} FROM records WHERE id = ?1")).map_err(sqlite_error)?;
    let mut level_nodes = snapshot
        .prepare("SELECT idx, hash FROM ledger_nodes WHERE level = ?1 AND idx >= ?2 AND idx < ?3")
        .map_err(sqlite_error)?;
    let mut events = snapshot.prepare(&EVENTS.replace('$', "?")).map_err(sqlite_error)?;
    let mut start = 0;
    while start < size {
        let end = (start + batch).min(size);
        let mut out = LedgerBatch {
            start,
            end,
            entries: Vec::with_capacity((end - start) as usize),
            nodes: CompletedNodes::new(start, end),
            events: Vec::with_capacity((end - start) as usize),
        };
        let mut read: Vec<LeafRow> = Vec::with_capacity((end - start) as usize);
        let mut rows = leaves.query((i64_of(start), i64_of(end))).map_err(sqlite_error)?;
        while let Some(row) = rows.next().map_err(sqlite_error)? {
            read.push(leaf(row).map_err(sqlite_error)?);
        }
        let low = read.iter().map(|l| l.record_id).min().unwrap_or_default();
        let high = read.iter().map(|l| l.record_id).max().unwrap_or_default();
        let mut rows = events.query((low, high)).map_err(sqlite_error)?;
        while let Some(row) = rows.next().map_err(sqlite_error)? {
            out.events.push(EventRow {
                record_id: row.get(0).map_err(sqlite_error)?,
                topic: row.get(1).map_err(sqlite_error)?,
                created_us: row.get(2).map_err(sqlite_error)?,
                done_us: row.get(3).map_err(sqlite_error)?,
            });
        }
        // Records are numbered as their leaves are; a batch whose leaves
        // name records far apart (a damaged log) is looked up one by one.
        let span = usize::try_from(high - low + 1).unwrap_or(usize::MAX);
        if span <= 2 * read.len() {
            let mut records: Vec<Option<RecordRow>> = vec![None; span];
            let mut rows = record_range.query((low, high)).map_err(sqlite_error)?;
            while let Some(row) = rows.next().map_err(sqlite_error)? {
                let r = record(row).map_err(sqlite_error)?;
                if let Some(slot) = usize::try_from(r.id.0 - low).ok().and_then(|i| records.get_mut(i)) {
                    *slot = Some(r);
                }
            }
            for l in read {
                let slot = usize::try_from(l.record_id - low).ok().and_then(|i| records.get_mut(i));
                let r = match slot.and_then(Option::take) {
                    Some(r) => Some(r),
                    // Missing, or named by an earlier leaf too: ask again.
                    None => record_one.query_row((l.record_id,), record).optional().map_err(sqlite_error)?,
                };
                out.entries.push((l, r));
            }
        } else {
            for l in read {
                let r = record_one.query_row((l.record_id,), record).optional().map_err(sqlite_error)?;
                out.entries.push((l, r));
            }
        }
        for (level, first, last) in CompletedNodes::ranges(start, end) {
            let mut rows = level_nodes.query((i64::from(level), i64_of(first), i64_of(last))).map_err(sqlite_error)?;
            while let Some(row) = rows.next().map_err(sqlite_error)? {
                let index: i64 = row.get(0).map_err(sqlite_error)?;
                let hash = row.get_ref(1).map_err(sqlite_error)?.as_blob().map_err(|e| sqlite_error(e.into()))?;
                let slot = Hash::try_from(hash).map_or(Slot::Malformed, Slot::Hash);
                out.nodes.put(level, u64_of(index), slot);
            }
        }
        if tx.blocking_send(Ok(out)).is_err() {
            break;
        }
        start = end;
    }
    Ok(())
}

type ProofRead = (std::collections::HashMap<NodeId, Hash>, Option<Vec<u8>>);

fn read_proof(conn: &mut rusqlite::Connection, ids: &[NodeId], leaf: Option<u64>) -> Result<ProofRead> {
    let snapshot = conn.transaction().map_err(sqlite_error)?;
    let mut nodes = std::collections::HashMap::with_capacity(ids.len());
    {
        let mut node = snapshot
            .prepare_cached("SELECT hash FROM ledger_nodes WHERE level = ?1 AND idx = ?2")
            .map_err(sqlite_error)?;
        for id in ids {
            let hash: Option<Vec<u8>> = node
                .query_row((i64::from(id.level), i64_of(id.index)), |r| r.get(0))
                .optional()
                .map_err(sqlite_error)?;
            if let Some(hash) = hash {
                let hash = Hash::try_from(hash.as_slice())
                    .map_err(|_| StoreError::Corrupt { table: "ledger_nodes", message: format!("{id:?}") })?;
                nodes.insert(*id, hash);
            }
        }
    }
    let leaf = match leaf {
        Some(i) => snapshot
            .prepare_cached("SELECT leaf FROM ledger_leaves WHERE idx = ?1")
            .map_err(sqlite_error)?
            .query_row((i64_of(i),), |r| r.get(0))
            .optional()
            .map_err(sqlite_error)?,
        None => None,
    };
    snapshot.finish().map_err(sqlite_error)?;
    Ok((nodes, leaf))
}

fn leaf(row: &rusqlite::Row<'_>) -> rusqlite::Result<LeafRow> {
    Ok(LeafRow { index: u64_of(row.get(0)?), record_id: row.get(1)?, salt: row.get(2)?, leaf: row.get(3)? })
}

fn record(row: &rusqlite::Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok(RecordRow {
        id: RecordId(row.get(0)?),
        at: from_us(row.get(1)?),
        kind: row.get(2)?,
        entity: row.get(3)?,
        entity_id: row.get(4)?,
        agency_id: row.get::<_, Option<i64>>(5)?.map(AgencyId),
        actor_id: row.get::<_, Option<i64>>(6)?.map(UserId),
        actor_name: row.get(7)?,
        reason: row.get(8)?,
        body: row.get(9)?,
    })
}

/// A table whose rows records make without a `data` column (uploads,
/// tokens, sessions, failed sign-ins, regions), as `verify` reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordedTable {
    pub table: &'static str,
    /// The column the records' `entity_id` names (`id`, or a region's `code`).
    pub key: &'static str,
    /// The columns compared (besides the key).
    pub columns: &'static [&'static str],
    pub entity: &'static str,
    /// The record kinds that write a row; the newest of each is read.
    pub kinds: &'static [&'static str],
}

/// A row of a [`RecordedTable`]: its key and columns as text, and for each
/// kind the newest record of it naming the row (`at_us`, body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRow {
    pub key: String,
    pub values: Vec<Option<String>>,
    pub records: Vec<Option<(i64, Vec<u8>)>>,
}

/// Rows read at a time.
const RECORDED_BATCH: i64 = 1_000;

impl Store {
    /// The rows of `table` whose key sorts after `after` (all from the
    /// start if `None`), at most a batch, each with its records.
    pub async fn recorded_rows(&self, table: RecordedTable, after: Option<&str>) -> Result<Vec<RecordedRow>> {
        let RecordedTable { table: name, key, columns, entity, kinds } = table;
        // Keys compare as numbers where they are ids.
        let key_expr = format!("CAST(t.{key} AS BIGINT)");
        let mut sql = format!("SELECT CAST(t.{key} AS TEXT) AS k");
        for c in columns {
            sql.push_str(&format!(", CAST(t.{c} AS TEXT)"));
        }
        for (i, _) in kinds.iter().enumerate() {
            let newest = format!(
                "(SELECT MAX(r.id) FROM records r WHERE r.entity = $2 AND r.entity_id = {key_expr} AND r.kind = ${})",
                i + 3
            );
            sql.push_str(&format!(
                ", (SELECT x.at_us FROM records x WHERE x.id = {newest}), (SELECT x.body FROM records x WHERE x.id = {newest})"
            ));
        }
        sql.push_str(&format!(" FROM {name} t WHERE {key_expr} > $1 ORDER BY {key_expr} LIMIT {RECORDED_BATCH}"));
        let after: i64 = after.and_then(|a| a.parse().ok()).unwrap_or(i64::MIN);
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after).bind(entity);
        for kind in kinds {
            query = query.bind(*kind);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let n = columns.len();
                let values =
                    (1..=n).map(|k| r.try_get::<Option<String>, _>(k)).collect::<std::result::Result<_, _>>()?;
                let records = (0..kinds.len())
                    .map(|k| {
                        let at: Option<i64> = r.try_get(1 + n + 2 * k)?;
                        let body: Option<Vec<u8>> = r.try_get(2 + n + 2 * k)?;
                        Ok(at.zip(body))
                    })
                    .collect::<std::result::Result<_, sqlx::Error>>()?;
                Ok(RecordedRow { key: r.try_get::<String, _>(0)?, values, records })
            })
            .collect()
    }
}
