//! `verify`: every leaf from its record, every subtree from its children,
//! every checkpoint's signature and root, every evidence file, and every
//! registry row against its newest record.

use super::internal;
use crate::{Result, Service};
use std::collections::HashMap;
use zhifa_domain::records::{canonical_json, raw_path};
use zhifa_ledger::{Hash, HashAlg, RecordLeaf, Verifier};
use zhifa_store::{CheckpointRow, CheckpointTimes, LedgerMeta, VerifiedTable};

/// One thing `verify` found wrong, naming the row, file or checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `records`, `ledger_leaves`, `ledger_nodes`, `ledger_checkpoints`, `ledger_meta`.
    pub table: &'static str,
    /// The row: `id=12`, `idx=7`, `level=2 idx=3`, `size=100`.
    pub row: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}：{}", self.table, self.row, self.message)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub leaves: u64,
    /// Evidence files hashed again.
    pub files: u64,
    /// Registry rows compared with their newest record.
    pub rows: u64,
    pub nodes: u64,
    pub checkpoints: u64,
    pub problems: Vec<Problem>,
}

/// Where `verify` is: the phase, and how far into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub phase: &'static str,
    pub done: u64,
    pub total: u64,
}

pub(crate) fn problem(table: &'static str, row: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem { table, row: row.into(), message: message.into() }
}

impl Service {
    /// The tables `verify` compares with their records: the fixed ones and
    /// every registry's.
    pub fn verified_tables(&self) -> Vec<VerifiedTable> {
        let registries = self.registries().iter().map(|r| VerifiedTable::of(r));
        VerifiedTable::FIXED.into_iter().chain(registries).collect()
    }

    /// Recompute everything the log covers: each leaf from its record, each
    /// subtree from its children, each checkpoint's signature and root, each
    /// evidence file, and the registries against their newest records.
    pub async fn verify(&self, mut progress: impl FnMut(Progress)) -> Result<VerifyReport> {
        let mut report = VerifyReport::default();
        let Some(meta) = self.store.ledger_meta().await? else {
            report.problems.push(problem("ledger_meta", "id=1", "账本尚未创建"));
            return Ok(report);
        };
        let verifier = match Verifier::from_public_key_pem(&meta.origin, &meta.public_key) {
            Ok(v) => Some(v),
            Err(e) => {
                report.problems.push(problem("ledger_meta", "id=1", format!("公钥无法读取：{e}")));
                None
            }
        };
        // The log and the counts together; the registries after the log,
        // against the fingerprints of the newest records it read.
        let size = self.store.ledger_size().await?;
        let mut counts = VerifyReport::default();
        let mut newest = Newest::new(self.verified_tables());
        let (log, tables) = tokio::join!(
            self.verify_log(&meta, verifier, size, &mut report, &mut newest, &mut progress),
            self.verify_counts(size, &mut counts),
        );
        log?;
        tables?;
        report.nodes = counts.nodes;
        report.problems.extend(counts.problems);
        self.verify_registries(newest, &mut report, &mut progress).await?;
        progress(Progress { phase: "其他记录行", done: 0, total: 0 });
        self.verify_recorded_rows(&mut report.problems).await?;
        progress(Progress { phase: "证据文件", done: 0, total: 0 });
        report.files = self.verify_evidence(meta.hash, &mut report.problems).await?;
        Ok(report)
    }

    /// Leaves from their records, every subtree from the leaves, every
    /// checkpoint's signature and root. An appender replays the stored
    /// leaves and says which nodes each one completes; those are compared
    /// with the stored ones, and its root at each checkpoint's size with the
    /// checkpoint. The store reads the next batches while this one is checked.
    async fn verify_log(
        &self,
        meta: &LedgerMeta,
        verifier: Option<Verifier>,
        size: u64,
        report: &mut VerifyReport,
        newest: &mut Newest,
        progress: &mut impl FnMut(Progress),
    ) -> Result<()> {
        const BATCH: u64 = 4_096;
        let alg = meta.hash;
        let verifier = verifier.map(std::sync::Arc::new);
        let mut checkpoints = CheckpointQueue::default();
        let mut appender = zhifa_ledger::Appender::new(alg, 0, &HashMap::new()).map_err(internal)?;
        let mut scan = self.store.scan_ledger(size, BATCH);
        let mut span: Option<(i64, i64)> = None;
        while let Some(batch) = scan.recv().await {
            let batch = batch?;
            let due = checkpoints.up_to(&self.store, batch.end).await?;
            report.checkpoints += due.len() as u64;
            let keys = verifier.clone().map(|v| (v, meta.origin.clone()));
            let (key, tables) = (newest.key.clone(), newest.tables.clone());
            let checked = tokio::task::spawn_blocking(move || {
                let keys = keys.as_ref().map(|(v, o)| (&**v, o.as_str()));
                let found = check_batch(alg, &mut appender, &batch, &due, keys, (&key, &tables));
                (appender, found, batch.end)
            });
            let (back, found, end) = checked.await.map_err(internal)?;
            appender = back;
            report.leaves += found.leaves;
            span = match (span, found.span) {
                (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
                (s, t) => s.or(t),
            };
            report.problems.extend(found.problems);
            for (table, entity_id, seen) in found.newest {
                newest.put(table, entity_id, seen);
            }
            progress(Progress { phase: "叶子、子树与检查点", done: end, total: size });
        }
        if appender.size() < size {
            return Err(internal(format!("读取日志在第 {} 个叶子处中断", appender.size())));
        }
        // Events outside the records read, of no record at all (a record
        // committed since the scan began has its event, and is left alone).
        let (low, high) = span.unwrap_or((1, 0));
        let orphans = self.store.outbox_orphans_outside(low, high).await?;
        if orphans > 0 {
            report.problems.push(problem("outbox", String::new(), format!("{orphans} 个事件所指的记录不存在")));
        }
        // When the log was made, as its newest checkpoint signed it.
        if let (Some(v), Some(newest)) = (verifier.as_deref(), self.store.latest_checkpoint().await?)
            && let Ok(cp) = v.open(&newest.note)
            && let Some(t) = CheckpointTimes::of(&cp).log_created
            && t.as_microsecond() != meta.created_at.as_microsecond()
        {
            let found = format!("创建时间 {} 与检查点（大小 {}）签名所载的 {t} 不符", meta.created_at, newest.size);
            report.problems.push(problem("ledger_meta", "id=1", found));
        }
        // Checkpoints the leaves did not reach: of an empty log, or beyond it.
        let rest = checkpoints.up_to(&self.store, u64::MAX).await?;
        report.checkpoints += rest.len() as u64;
        for c in &rest {
            let keys = verifier.as_deref().map(|v| (v, meta.origin.as_str()));
            let root = (c.size == 0).then(|| alg.empty());
            report.problems.extend(check_checkpoint(c, keys, root, size));
        }
        Ok(())
    }

    /// Records without a leaf, and stored nodes beyond what `size` leaves make.
    async fn verify_counts(&self, size: u64, report: &mut VerifyReport) -> Result<()> {
        // The tree vouches for the leaves, and each names its own record:
        // with no more records than leaves, none is without one, and the
        // lookup per record is spared.
        let no_more_records = u64::try_from(self.store.record_count().await?).unwrap_or(u64::MAX)
            <= self.store.ledger_leaf_count().await?;
        let orphans = if no_more_records { Vec::new() } else { self.store.records_without_leaf(100).await? };
        for id in orphans {
            report.problems.push(problem("records", format!("id={id}"), "记录没有对应的叶子"));
        }
        let total_nodes = self.store.ledger_node_count().await?;
        report.nodes = total_nodes;
        let expected_nodes: u64 = (0..64).map(|k| size >> k).sum();
        if total_nodes > expected_nodes {
            report.problems.push(problem(
                "ledger_nodes",
                format!("count={total_nodes}"),
                format!("节点比 {size} 个叶子应有的 {expected_nodes} 个多"),
            ));
        }
        Ok(())
    }

    /// Registry rows, against the newest create or update record of each:
    /// a row whose data has the fingerprint the log's scan took of that
    /// record's data is settled; any other (and each recorded entity that no
    /// row answered) is read again together with its newest record and
    /// compared in full.
    async fn verify_registries(
        &self,
        mut newest: Newest,
        report: &mut VerifyReport,
        progress: &mut impl FnMut(Progress),
    ) -> Result<()> {
        let total = newest.len();
        let mut done = 0;
        // The stages that end their procedure: a case there is closed.
        let terminal: std::sync::Arc<std::collections::HashSet<(String, String)>> = std::sync::Arc::new(
            self.procedures()
                .all()
                .iter()
                .flat_map(|p| p.stages.iter().filter(|s| s.terminal).map(|s| (p.id.clone(), s.id.clone())))
                .collect(),
        );
        for (t, &table) in newest.tables.clone().iter().enumerate() {
            let name = table.table;
            let mut prints = std::mem::take(&mut newest.prints[t]);
            let mut doubtful: Vec<i64> = Vec::new();
            let mut scan = self.store.scan_registry(table);
            while let Some(rows) = scan.recv().await {
                let rows = rows?;
                done += rows.len() as u64;
                report.rows += rows.len() as u64;
                let key = newest.key.clone();
                let terminal = terminal.clone();
                let (back, doubts, wrong) = tokio::task::spawn_blocking(move || {
                    let mut doubts = Vec::new();
                    let mut wrong = Vec::new();
                    for row in &rows {
                        // A row no record made, or whose data is not its
                        // record's, is compared in full below.
                        let Some(slot) = prints.take(row.id) else {
                            doubts.push(row.id);
                            continue;
                        };
                        if slot.print != fingerprint(&key, row.data.as_bytes()) {
                            doubts.push(row.id);
                            continue;
                        }
                        let mut differences = slot.differences(&key, &table, row);
                        differences.extend(rest_differences(&table, row, &terminal));
                        for (column, found, expected) in differences {
                            wrong.push(problem(
                                name,
                                format!("id={}", row.id),
                                format!("“{column}”列为 {found}，按记录应为 {expected}"),
                            ));
                        }
                    }
                    (prints, doubts, wrong)
                })
                .await
                .map_err(internal)?;
                prints = back;
                doubtful.extend(doubts);
                report.problems.extend(wrong);
                progress(Progress { phase: "登记信息", done, total });
            }
            // Rows not settled above, then recorded entities without a row.
            let unsettled = doubtful.len();
            doubtful.extend(prints.ids());
            tracing::debug!(table = name, unsettled, without_row = doubtful.len() - unsettled, "registry compared");
            for id in doubtful {
                let (id, data, body) = self.store.registry_row(table, id).await?;
                report.problems.extend(compare_with_record(name, id, data.as_deref(), body.as_deref()));
            }
        }
        Ok(())
    }

    /// Whether the log now extends the one `note` describes (signed by this
    /// log's key): the consistency proof from its size to the current one.
    pub async fn verify_against(&self, note: &str) -> Result<std::result::Result<u64, String>> {
        let meta = self.ledger_meta().await?;
        let verifier = Verifier::from_public_key_pem(&meta.origin, &meta.public_key).map_err(internal)?;
        // A kept copy may have gained blank lines at its end (a shell's
        // redirection, an editor): the note is what stands before them.
        let note = format!("{}\n", note.trim_end());
        let old = match verifier.open(&note) {
            Ok(c) => c,
            Err(e) => return Ok(Err(format!("检查点无法验证：{e}"))),
        };
        let size = self.store.ledger_size().await?;
        if old.size > size {
            return Ok(Err(format!("检查点的大小 {} 大于日志当前大小 {size}：日志被截短", old.size)));
        }
        if old.size == 0 {
            return Ok(Ok(size));
        }
        let p = self.consistency_proof(old.size, size).await?;
        if zhifa_ledger::verify_consistency(meta.hash, old.size, size, &old.root, &p.second_root, &p.proof) {
            Ok(Ok(size))
        } else {
            Ok(Err(format!("当前日志不是大小为 {} 的检查点的延续：历史被改写", old.size)))
        }
    }
}

/// Checkpoints in order of size, read a page at a time as the scan of the
/// leaves reaches them.
#[derive(Default)]
struct CheckpointQueue {
    after: Option<u64>,
    pending: std::collections::VecDeque<CheckpointRow>,
    exhausted: bool,
}

impl CheckpointQueue {
    /// Those of size at most `end` not yet taken.
    async fn up_to(&mut self, store: &zhifa_store::Store, end: u64) -> Result<Vec<CheckpointRow>> {
        while !self.exhausted && self.pending.back().is_none_or(|c| c.size <= end) {
            let page = store.checkpoints_after(self.after, 1_000).await?;
            match page.last() {
                Some(last) => self.after = Some(last.size),
                None => self.exhausted = true,
            }
            self.pending.extend(page);
        }
        let take = self.pending.iter().take_while(|c| c.size <= end).count();
        Ok(self.pending.drain(..take).collect())
    }
}

/// What one batch of leaves showed.
struct Found {
    leaves: u64,
    /// The lowest and highest id of the records read (none: `None`).
    span: Option<(i64, i64)>,
    problems: Vec<Problem>,
    /// `(table, entity id, what it says)` of each record that writes a row
    /// of a verified table, in the order of the leaves.
    newest: Vec<(usize, i64, Seen)>,
}

/// The fingerprint of a registry row's data, or of the data in a record
/// (odd, never [`UNREADABLE`] or absent): keyed with a random key for each
/// verification, so that no altered row can be made to match.
fn fingerprint(key: &std::hash::RandomState, data: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    key.hash_one(data) | 1
}

/// A record whose data could not be found without parsing it.
const UNREADABLE: u64 = 2;

/// For each verified table, the fingerprint of the data of each entity's
/// newest create or update record, as the log's scan met them.
struct Newest {
    key: std::hash::RandomState,
    tables: std::sync::Arc<[VerifiedTable]>,
    /// By the index of the table.
    prints: Vec<Prints>,
}

impl Newest {
    fn new(tables: Vec<VerifiedTable>) -> Self {
        let prints = tables.iter().map(|_| Prints::default()).collect();
        Self { key: std::hash::RandomState::new(), tables: tables.into(), prints }
    }

    /// A later record of the same entity adds to what the earlier said.
    fn put(&mut self, table: usize, entity_id: i64, seen: Seen) {
        if let Some(prints) = self.prints.get_mut(table) {
            prints.put(entity_id, seen);
        }
    }

    fn len(&self) -> u64 {
        self.prints.iter().map(Prints::len).sum()
    }
}

/// What the records say of each row, by entity id: in a vector where ids
/// are dense (as they are given), in a map beyond it.
#[derive(Default)]
struct Prints {
    dense: Vec<Slot>,
    sparse: HashMap<i64, Slot>,
    count: u64,
}

/// The vector grows to an id at most this far past twice its length (ids
/// come nearly in order); an id further out goes in the map, so that a
/// damaged record naming a huge id costs an entry, not a huge vector.
const DENSE_STEP: usize = 1 << 16;

impl Prints {
    fn put(&mut self, id: i64, seen: Seen) {
        let slot = match usize::try_from(id) {
            Ok(i) if i < 2 * self.dense.len() + DENSE_STEP => {
                if i >= self.dense.len() {
                    self.dense.resize(i + 1, Slot::default());
                }
                // Kept in the map while the vector was shorter: moved here.
                if !self.sparse.is_empty()
                    && let Some(earlier) = self.sparse.remove(&id)
                {
                    self.dense[i] = earlier;
                }
                &mut self.dense[i]
            }
            _ => self.sparse.entry(id).or_default(),
        };
        let was_empty = slot.print == 0;
        slot.see(seen);
        if was_empty && slot.print != 0 {
            self.count += 1;
        }
    }

    /// Take what the records say of `id` out (each row answers its own once).
    fn take(&mut self, id: i64) -> Option<Slot> {
        let slot = match usize::try_from(id).ok().and_then(|i| self.dense.get_mut(i)) {
            Some(slot) => std::mem::take(slot),
            None => self.sparse.remove(&id).unwrap_or_default(),
        };
        (slot.print != 0).then(|| {
            self.count -= 1;
            slot
        })
    }

    /// The ids not taken.
    fn ids(&self) -> impl Iterator<Item = i64> + '_ {
        let dense = self.dense.iter().enumerate().filter(|(_, p)| p.print != 0).map(|(i, _)| i as i64);
        dense.chain(self.sparse.iter().filter(|(_, p)| p.print != 0).map(|(id, _)| *id))
    }

    fn len(&self) -> u64 {
        self.count
    }
}

/// How a record writes its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writes {
    Create,
    Update,
    /// Only its time (a new password).
    Touch,
}

/// The table of `tables` that a record of `entity` and `kind` writes a row
/// of, and how.
fn table_of(tables: &[VerifiedTable], entity: &str, kind: &str) -> Option<(usize, Writes)> {
    let how = match kind.strip_prefix(entity)? {
        ".create" => Writes::Create,
        ".update" => Writes::Update,
        ".set_password" => Writes::Touch,
        _ => return None,
    };
    Some((tables.iter().position(|t| t.entity == entity)?, how))
}

/// What record `r` says of the row it writes in `table`.
fn seen(key: &std::hash::RandomState, table: &VerifiedTable, r: &zhifa_store::RecordRow, how: Writes) -> Seen {
    let at_us = r.at.as_microsecond();
    if how == Writes::Touch {
        return Seen { at_us, ..Seen::default() };
    }
    // Found only where needed: most records are creations of tables that
    // name nothing outside their data.
    let record_data = || record_data(&r.body);
    let number = |name: &str| {
        let raw = record_data().and_then(|d| zhifa_domain::records::raw_field(d, name))?;
        std::str::from_utf8(raw).ok()?.parse::<i64>().ok()
    };
    Seen {
        print: recorded_data(&r.body).map_or(UNREADABLE, |data| fingerprint(key, data)),
        agency: r.agency_id.map(|a| a.0),
        at_us,
        // An update names the version it changed (its record data's last
        // key); the row is one past it.
        version: match how {
            Writes::Create => 1,
            _ => record_data().and_then(trailing_version).map_or(-1, |v| v + 1),
        },
        owner: match (how, table.owner) {
            (Writes::Create, Some((_, name))) => number(name),
            _ => None,
        },
        create: how == Writes::Create,
        born: match how {
            Writes::Create if !table.born.is_empty() => named(key, table.born, |k| raw_text(record_data(), k)),
            _ => Named::default(),
        },
        now: if table.now.is_empty() {
            Named::default()
        } else {
            named(key, table.now, |k| raw_text(record_data(), k))
        },
    }
}

/// `N` of a record data ending in `,"version":N}`.
fn trailing_version(record_data: &[u8]) -> Option<i64> {
    let at = record_data.windows(11).rposition(|w| w == b",\"version\":")? + 11;
    let digits = record_data.get(at..record_data.len().checked_sub(1)?)?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The columns of [`VerifiedTable::rest`] that break their table's rule: a
/// case's `word`, `year` and `seq` are those of its number
/// (`{prefix}{word}〔{year}〕{seq}号`), it is `closed` exactly when its
/// stage ends its procedure, and `provisional` when its data holds an estimate.
fn rest_differences(
    table: &VerifiedTable,
    row: &zhifa_store::VerifiedRow,
    terminal: &std::collections::HashSet<(String, String)>,
) -> Vec<(String, String, String)> {
    if table.table != "cases" {
        return Vec::new();
    }
    let v = |c: &str| row.value(table, c).unwrap_or("");
    let mut out = Vec::new();
    let (number, word, year, seq) = (v("number"), v("word"), v("year"), v("seq"));
    if !number.ends_with(&format!("{word}〔{year}〕{seq}号")) {
        out.push(("word”“year”或“seq".to_owned(), format!("{word}、{year}、{seq}"), format!("案号“{number}”所含的值")));
    }
    let closed = if terminal.contains(&(v("procedure").to_owned(), v("stage").to_owned())) { "1" } else { "0" };
    // Before 2026-12-05 a case entered whole was stored closed when its data
    // had a closing day, whatever its stage: so it stands until its first step.
    let closed_before =
        if raw_path(row.data.as_bytes(), "closed_on").is_some_and(|v| v != b"null") { "1" } else { "0" };
    if v("closed") != closed && !(row.version == 1 && v("closed") == closed_before) {
        out.push(("closed".to_owned(), v("closed").to_owned(), closed.to_owned()));
    }
    // Something estimated: a step's `estimated` list (never written empty)
    // or an estimated seizure end (REC-3).
    let data = row.data.as_bytes();
    let estimated = data.windows(13).any(|w| w == b"\"estimated\":[")
        || raw_path(data, "seizure_until_provisional") == Some(b"true".as_slice());
    let provisional = if estimated { "1" } else { "0" };
    if v("provisional") != provisional {
        out.push(("provisional".to_owned(), v("provisional").to_owned(), provisional.to_owned()));
    }
    out
}

/// The value at `key` of the record data as a column holds it: a string's
/// text, a number's digits, `Some(None)` for null, `None` if absent.
fn raw_text(record_data: Option<&[u8]>, key: &str) -> Option<Option<String>> {
    let raw = zhifa_domain::records::raw_field(record_data?, key)?;
    Some(match raw {
        b"null" => None,
        [b'"', ..] => serde_json::from_slice::<String>(raw).ok(),
        _ => Some(String::from_utf8_lossy(raw).into_owned()),
    })
}

/// A fingerprint of some columns' values, and which of them it covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Named {
    print: u64,
    /// Bit `i`: the `i`th column is covered (its record names it).
    mask: u8,
}

/// The fingerprint of the `columns` whose values `value` gives (`None`:
/// the record does not name it, and it is not covered).
fn named(
    key: &std::hash::RandomState,
    columns: &[(&'static str, &'static str)],
    value: impl Fn(&str) -> Option<Option<String>>,
) -> Named {
    let mut bytes = Vec::new();
    let mut mask = 0u8;
    for (i, (_, k)) in columns.iter().enumerate().take(8) {
        if let Some(v) = value(k) {
            mask |= 1 << i;
            append_value(&mut bytes, i, v.as_deref());
        }
    }
    Named { print: fingerprint(key, &bytes), mask }
}

/// The fingerprint of a row's columns, as [`named`] takes it of a record, for
/// the columns `mask` covers.
fn named_row(key: &std::hash::RandomState, values: &[Option<String>], mask: u8) -> u64 {
    let mut bytes = Vec::new();
    for (i, v) in values.iter().enumerate().take(8) {
        if mask & (1 << i) != 0 {
            append_value(&mut bytes, i, v.as_deref());
        }
    }
    fingerprint(key, &bytes)
}

fn append_value(bytes: &mut Vec<u8>, i: usize, v: Option<&str>) {
    match v {
        Some(v) => bytes.extend_from_slice(format!("{i}:{}:{v};", v.len()).as_bytes()),
        None => bytes.extend_from_slice(format!("{i}:null;").as_bytes()),
    }
}

/// What one record says of its row: the fingerprint of its data ([`Self::print`]
/// 0: it changes only the row's time), its agency, time, the version the
/// row has after it, and (creating) its owner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Seen {
    print: u64,
    agency: Option<i64>,
    at_us: i64,
    version: i64,
    owner: Option<i64>,
    create: bool,
    /// The table's [`VerifiedTable::born`] columns, as a creating record names them.
    born: Named,
    /// Its [`VerifiedTable::now`] columns, as this record names them.
    now: Named,
}

/// What the records of one entity say its row is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Slot {
    /// 0: no create or update record seen.
    print: u64,
    agency: Option<i64>,
    created_us: i64,
    updated_us: i64,
    version: i64,
    owner: Option<i64>,
    born: Named,
    now: Named,
}

impl Slot {
    /// A later record of the entity.
    fn see(&mut self, s: Seen) {
        if s.print == 0 {
            self.updated_us = self.updated_us.max(s.at_us);
            return;
        }
        if self.print == 0 || s.create {
            self.created_us = s.at_us;
            self.owner = s.owner;
            self.born = s.born;
        }
        self.now = s.now;
        self.print = s.print;
        self.agency = s.agency;
        self.updated_us = s.at_us;
        self.version = s.version;
    }

    /// The columns of `row` that are not what the records say, with what
    /// they hold and what they should.
    fn differences(
        &self,
        key: &std::hash::RandomState,
        table: &VerifiedTable,
        row: &zhifa_store::VerifiedRow,
    ) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        let mut check = |column: &'static str, found: Option<String>, expected: Option<String>| {
            if found != expected {
                let show = |v: Option<String>| v.unwrap_or_else(|| "NULL".into());
                out.push((column.to_owned(), show(found), show(expected)));
            }
        };
        let text = |v: Option<i64>| v.map(|v| v.to_string());
        if table.agency {
            check("agency_id", text(row.agency), text(self.agency));
        }
        check("version", text(Some(row.version)), text(Some(self.version)));
        check("created_us", text(Some(row.created_us)), text(Some(self.created_us)));
        check("updated_us", text(Some(row.updated_us)), text(Some(self.updated_us)));
        if let Some((column, _)) = table.owner {
            check(column, text(row.owner), text(self.owner));
        }
        for ((column, how), found) in table.derived().zip(&row.derived) {
            if !how.matches(row.data.as_bytes(), found.as_deref()) {
                check(column, found.clone(), how.expected(row.data.as_bytes()));
            }
        }
        // Columns the records name outside the data: compared by fingerprint.
        let (born, now) = row.named.split_at(table.born.len().min(row.named.len()));
        for (columns, values, named) in [(table.born, born, self.born), (table.now, now, self.now)] {
            if named.mask != 0 && named_row(key, values, named.mask) != named.print {
                let names: Vec<&str> =
                    columns.iter().enumerate().filter(|(i, _)| named.mask & (1 << i) != 0).map(|(_, c)| c.0).collect();
                let found: Vec<String> = values.iter().map(|v| v.clone().unwrap_or_else(|| "NULL".into())).collect();
                out.push((names.join("”或“"), found.join("、"), "其记录所载的值".into()));
            }
        }
        out
    }
}

/// The record data of a record body (`{"actor":…,"data":{…},"entity":…}`):
/// from the first `,"data":{` to the last `},"entity":"` (see [`recorded_data`]).
fn record_data(body: &[u8]) -> Option<&[u8]> {
    let start = body.windows(9).position(|w| w == b",\"data\":{")? + 8;
    let end = body.windows(12).rposition(|w| w == b"},\"entity\":\"")? + 1;
    body.get(start..end)
}

/// Check one batch: the records against their leaves and the checkpoints'
/// signatures on another thread, while this one replays the leaves through
/// `appender`, compares every subtree they complete with the stored one,
/// and each checkpoint's root with the tree at its size.
fn check_batch(
    alg: HashAlg,
    appender: &mut zhifa_ledger::Appender,
    batch: &zhifa_store::LedgerBatch,
    checkpoints: &[CheckpointRow],
    keys: Option<(&Verifier, &str)>,
    (key, tables): (&std::hash::RandomState, &[VerifiedTable]),
) -> Found {
    // The records take about twice the work of the tree: the other thread
    // checks two thirds of them, this one the rest after the tree.
    let (theirs, ours) = batch.entries.split_at(batch.entries.len() * 2 / 3);
    let check_records = |entries: &[(zhifa_store::LeafRow, Option<zhifa_store::RecordRow>)]| {
        let mut problems = Vec::new();
        let mut newest = Vec::new();
        let mut scratch = Scratch::default();
        for (leaf, record) in entries {
            match record {
                None => problems.push(problem(
                    "records",
                    format!("id={}", leaf.record_id),
                    format!("叶子 ledger_leaves idx={} 所记录的记录已不存在", leaf.index),
                )),
                Some(r) => {
                    check_record(alg, r, leaf, &mut scratch, &mut problems);
                    check_event(r, &batch.events, &mut problems);
                    if let Some((table, how)) = table_of(tables, &r.entity, &r.kind) {
                        newest.push((table, r.entity_id, seen(key, &tables[table], r, how)));
                    }
                }
            }
        }
        (problems, newest)
    };
    std::thread::scope(|scope| {
        let records = scope.spawn(|| check_records(theirs));
        let mut problems = Vec::new();
        let mut roots = Vec::with_capacity(checkpoints.len());
        let mut due = checkpoints.iter().peekable();
        let mut take_roots = |appender: &zhifa_ledger::Appender, roots: &mut Vec<Hash>| {
            while let Some(c) = due.next_if(|c| c.size <= appender.size()) {
                roots.push(if c.size == appender.size() { appender.root() } else { [0; 32] });
            }
        };
        let mut expected = batch.start;
        for (leaf, _) in &batch.entries {
            for missing in expected..leaf.index {
                problems.push(problem("ledger_leaves", format!("idx={missing}"), "叶子缺失"));
            }
            expected = leaf.index + 1;
            // A missing leaf leaves a hole the appender cannot fill: from
            // there on, subtrees are compared only where they are intact.
            while appender.size() < leaf.index {
                take_roots(appender, &mut roots);
                appender.append(b"");
            }
            take_roots(appender, &mut roots);
            for (id, hash) in appender.append(&leaf.leaf) {
                let message = match batch.nodes.get(id) {
                    Some(h) if *h == hash => continue,
                    Some(_) if id.level == 0 => "叶子哈希与叶子内容不符",
                    Some(_) => "节点哈希与其子树不符",
                    None => "节点缺失",
                };
                problems.push(problem("ledger_nodes", format!("level={} idx={}", id.level, id.index), message));
            }
        }
        while appender.size() < batch.end {
            take_roots(appender, &mut roots);
            appender.append(b"");
        }
        take_roots(appender, &mut roots);
        for missing in expected..batch.end {
            problems.push(problem("ledger_leaves", format!("idx={missing}"), "叶子缺失"));
        }
        let (ours, our_newest) = check_records(ours);
        let (mut all, mut newest) =
            records.join().unwrap_or_else(|_| (vec![problem("records", "", "检查线程异常终止")], Vec::new()));
        all.extend(ours);
        all.extend(problems);
        newest.extend(our_newest);
        for (c, root) in checkpoints.iter().zip(roots) {
            all.extend(check_checkpoint(c, keys, Some(root), batch.end));
        }
        // Events of records the batch does not hold, and a record's second event.
        let mut ids: Vec<i64> = batch.entries.iter().filter_map(|(_, r)| r.as_ref().map(|r| r.id.0)).collect();
        ids.sort_unstable();
        for e in batch.events.iter().filter(|e| ids.binary_search(&e.record_id).is_err()) {
            all.push(problem("outbox", format!("record_id={}", e.record_id), "事件所指的记录不在日志中"));
        }
        for pair in batch.events.windows(2).filter(|p| p[0].record_id == p[1].record_id) {
            all.push(problem("outbox", format!("record_id={}", pair[0].record_id), "同一记录有多个事件"));
        }
        let span = ids.first().copied().zip(ids.last().copied());
        Found { leaves: batch.entries.len() as u64, span, problems: all, newest }
    })
}

/// A record's outbox event (`events` in order of record id): there is one,
/// of the record's kind and time, and nothing marked it done.
fn check_event(r: &zhifa_store::RecordRow, events: &[zhifa_store::EventRow], problems: &mut Vec<Problem>) {
    let row = || format!("record_id={}", r.id.0);
    let Ok(i) = events.binary_search_by_key(&r.id.0, |e| e.record_id) else {
        problems.push(problem("outbox", row(), "记录没有对应的事件"));
        return;
    };
    let e = &events[i];
    let at_us = r.at.as_microsecond();
    if e.topic != r.kind || e.created_us != at_us || e.done_us.is_some() {
        problems.push(problem(
            "outbox",
            row(),
            format!(
                "事件为（{}，{}，{:?}），按记录应为（{}，{at_us}，未处理）",
                e.topic, e.created_us, e.done_us, r.kind
            ),
        ));
    }
}

/// A checkpoint's signature (with the log's key), and its size and root
/// against what it says and against `root`, the log's root at its size
/// (`None` where the log has no such size).
fn check_checkpoint(c: &CheckpointRow, keys: Option<(&Verifier, &str)>, root: Option<Hash>, size: u64) -> Vec<Problem> {
    let mut problems = Vec::new();
    let row = format!("size={}", c.size);
    if let Some((verifier, origin)) = keys {
        match verifier.open(&c.note) {
            Ok(cp) if cp.size == c.size && cp.root == c.root && cp.origin == origin => {
                // The time kept beside the note is the one it signed.
                if let Some(t) = CheckpointTimes::of(&cp).signed_at
                    && t.as_microsecond() != c.created_at.as_microsecond()
                {
                    problems.push(problem(
                        "ledger_checkpoints",
                        row.clone(),
                        format!("所存签名时间 {} 与签名所载的 {t} 不符", c.created_at),
                    ));
                }
            }
            Ok(_) => problems.push(problem("ledger_checkpoints", row.clone(), "签名内容与所存的大小或根哈希不符")),
            Err(e) => problems.push(problem(
                "ledger_checkpoints",
                row.clone(),
                format!("{e}（检查点或 ledger_meta 中的公钥被改动）"),
            )),
        }
    }
    match root {
        Some(r) if r == c.root => {}
        Some(_) => problems.push(problem("ledger_checkpoints", row, "根哈希与日志不符")),
        None => problems.push(problem("ledger_checkpoints", row, format!("大于日志当前大小 {size}"))),
    }
    problems
}

/// A registry row's data against the data of its newest record (whose
/// bytes are canonical, so the row's data is compared in canonical form).
fn compare_with_record(table: &'static str, id: i64, data: Option<&str>, body: Option<&[u8]>) -> Option<Problem> {
    #[derive(serde::Deserialize)]
    struct Body<'a> {
        #[serde(borrow)]
        data: Inner<'a>,
    }
    #[derive(serde::Deserialize)]
    struct Inner<'a> {
        #[serde(borrow)]
        data: &'a serde_json::value::RawValue,
    }
    let Some(body) = body else {
        return Some(problem(table, format!("id={id}"), "没有记录它的创建或修改"));
    };
    let Some(data) = data else {
        return Some(problem(table, format!("id={id}"), "记录中有它，但这一行已被删除"));
    };
    // Rows are written in canonical form (older rows may not be), and the
    // platform's record bodies are canonical: equal bytes where they stand
    // settle it without parsing.
    if recorded_data(body).is_some_and(|r| r == data.as_bytes()) {
        return None;
    }
    let recorded = serde_json::from_slice::<Body>(body).ok().map(|b| b.data.data.get());
    let Some(recorded) = recorded else {
        return Some(problem(table, format!("id={id}"), "没有记录它的创建或修改"));
    };
    if data == recorded {
        return None;
    }
    let current = serde_json::from_str::<serde_json::Value>(data).ok().map(|v| canonical_json(&v));
    match current {
        Some(c) if c == recorded => None,
        _ => Some(problem(table, format!("id={id}"), "当前内容与其最近一次记录不符")),
    }
}

/// Where `data.data` stands in a canonical record body of a create or
/// update, found without parsing. The body's keys are in order (`actor`,
/// `agency_id`, `at`, `data`, `entity`, …) and the record data's too
/// (`agency`, `certificates`, `data`, or `data` and a number); a key with its
/// quotes cannot occur inside a string (quotes are escaped there), so the
/// first `,"data":` is the record data's and the last `,"entity":"` the key
/// after it. `None` where the body does not have that shape.
fn recorded_data(body: &[u8]) -> Option<&[u8]> {
    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }
    fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).rposition(|w| w == needle)
    }
    let record_data = record_data(body)?;
    // {"agency":…,"data":X}, or a number after it: {"data":X,"user":N},
    // {"data":X,"version":N}.
    let inner = find(record_data, b"\"data\":")? + 7;
    let last = record_data.len() - 1;
    let inner_end = match rfind(record_data, b",\"") {
        Some(k) if trailing_number(&record_data[k + 2..last]) => k,
        _ => last,
    };
    record_data.get(inner..inner_end)
}

/// `key":123` (a key without escapes and a whole number).
fn trailing_number(s: &[u8]) -> bool {
    let Some(colon) = s.windows(2).position(|w| w == b"\":") else { return false };
    let (key, number) = (&s[..colon], &s[colon + 2..]);
    key.iter().all(|b| b.is_ascii_lowercase() || *b == b'_')
        && !number.is_empty()
        && number.iter().all(u8::is_ascii_digit)
}

/// A record against its leaf: the columns against the body, the body (and
/// salt) against the leaf's commitment.
fn check_record(
    alg: HashAlg,
    r: &zhifa_store::RecordRow,
    leaf: &zhifa_store::LeafRow,
    scratch: &mut Scratch,
    problems: &mut Vec<Problem>,
) {
    if !columns_frame_body(r, scratch)
        && let Some(column) = column_differing_from_body(r)
    {
        problems.push(problem("records", format!("id={}", r.id.0), format!("“{column}”列与记录正文不符")));
    }
    let commitment = RecordLeaf::commitment(alg, &leaf.salt, &r.body);
    scratch.leaf.clear();
    RecordLeaf::write(r.id.0, &r.kind, r.at.as_microsecond(), &commitment, &mut scratch.leaf);
    if scratch.leaf != leaf.leaf {
        problems.push(problem(
            "records",
            format!("id={}", r.id.0),
            format!("记录与其叶子 ledger_leaves idx={} 不符（记录、盐值或叶子被改动）", leaf.index),
        ));
    }
}

/// Buffers reused from record to record.
#[derive(Default)]
struct Scratch {
    leaf: Vec<u8>,
    head: Vec<u8>,
    tail: Vec<u8>,
}

/// The fields of a record body that have columns; `data` is skipped unread.
#[derive(serde::Deserialize)]
struct RecordHead<'a> {
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    entity: std::borrow::Cow<'a, str>,
    entity_id: i64,
    agency_id: Option<i64>,
    #[serde(borrow)]
    actor: ActorHead<'a>,
    #[serde(borrow)]
    at: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    reason: std::borrow::Cow<'a, str>,
}

#[derive(serde::Deserialize)]
struct ActorHead<'a> {
    id: Option<i64>,
    #[serde(borrow)]
    username: std::borrow::Cow<'a, str>,
}

/// The first column of a records row that disagrees with its (committed)
/// body: the columns are copies kept for queries, the body is what the leaf
/// commits to.
fn column_differing_from_body(r: &zhifa_store::RecordRow) -> Option<&'static str> {
    let Ok(body) = serde_json::from_slice::<RecordHead>(&r.body) else {
        return Some("body");
    };
    let checks = [
        ("kind", body.kind == r.kind),
        ("entity", body.entity == r.entity),
        ("entity_id", body.entity_id == r.entity_id),
        ("agency_id", body.agency_id == r.agency_id.map(|a| a.0)),
        ("actor_id", body.actor.id == r.actor_id.map(|a| a.0)),
        ("actor_name", body.actor.username == r.actor_name),
        ("reason", body.reason == r.reason),
        ("at_us", body.at.parse::<jiff::Timestamp>().is_ok_and(|t| t.as_microsecond() == r.at.as_microsecond())),
    ];
    checks.into_iter().find(|(_, same)| !same).map(|(column, _)| column)
}

/// The quick check: a body made by the platform is canonical JSON with its
/// keys in order (`actor`, `agency_id`, `at`, `data`, `entity`, `entity_id`,
/// `kind`, `reason`, `v`), so the columns spell out exactly what precedes the
/// time and what follows the data. `false` says only "look closer".
fn columns_frame_body(r: &zhifa_store::RecordRow, scratch: &mut Scratch) -> bool {
    fn json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
        serde_json::to_writer(out, v).ok();
    }
    let head = &mut scratch.head;
    head.clear();
    head.extend_from_slice(b"{\"actor\":{\"id\":");
    json(head, &r.actor_id.map(|a| a.0));
    head.extend_from_slice(b",\"username\":");
    json(head, &r.actor_name);
    head.extend_from_slice(b"},\"agency_id\":");
    json(head, &r.agency_id.map(|a| a.0));
    head.extend_from_slice(b",\"at\":\"");
    let tail = &mut scratch.tail;
    tail.clear();
    tail.extend_from_slice(b",\"entity\":");
    json(tail, &r.entity);
    tail.extend_from_slice(b",\"entity_id\":");
    json(tail, &r.entity_id);
    tail.extend_from_slice(b",\"kind\":");
    json(tail, &r.kind);
    tail.extend_from_slice(b",\"reason\":");
    json(tail, &r.reason);
    tail.extend_from_slice(b",\"v\":1}");
    let Some(rest) = r.body.strip_prefix(head.as_slice()) else { return false };
    if !r.body.ends_with(tail) {
        return false;
    }
    // The time as written (to the nanosecond) against the column (in µs).
    let Some(end) = rest.iter().position(|&b| b == b'"') else { return false };
    let at = std::str::from_utf8(&rest[..end]).ok().and_then(|t| t.parse::<jiff::Timestamp>().ok());
    at.is_some_and(|t| t.as_microsecond() == r.at.as_microsecond()) && rest[end..].starts_with(b"\",\"data\":")
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhifa_domain::ids::{AgencyId, RecordId, UserId};
    use zhifa_domain::records::{ActorRef, RecordBody};

    fn row() -> zhifa_store::RecordRow {
        let at: jiff::Timestamp = "2026-11-23T08:00:00.123456789Z".parse().unwrap_or_default();
        let body = RecordBody {
            v: 1,
            kind: "item.create".into(),
            entity: "item".into(),
            entity_id: 7,
            agency_id: Some(2),
            actor: ActorRef { id: Some(3), username: "王\"五".into() },
            at: at.to_string(),
            reason: "新增\n事项".into(),
            data: serde_json::json!({ "data": { "name": "\"entity\":\"x\"" } }),
        };
        zhifa_store::RecordRow {
            id: RecordId(1),
            at: jiff::Timestamp::from_microsecond(at.as_microsecond()).unwrap_or_default(),
            kind: body.kind.clone(),
            entity: body.entity.clone(),
            entity_id: 7,
            agency_id: Some(AgencyId(2)),
            actor_id: Some(UserId(3)),
            actor_name: body.actor.username.clone(),
            reason: body.reason.clone(),
            body: body.canonical_bytes(),
        }
    }

    #[test]
    fn rec_6_columns_of_a_record_match_its_body_quickly() {
        let r = row();
        assert!(columns_frame_body(&r, &mut Scratch::default()), "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(column_differing_from_body(&r), None);
    }

    #[test]
    fn rec_6_a_changed_column_is_named() {
        type Change = fn(&mut zhifa_store::RecordRow);
        let changes: [(&str, Change); 8] = [
            ("kind", |r| r.kind = "item.update".into()),
            ("entity", |r| r.entity = "user".into()),
            ("entity_id", |r| r.entity_id = 8),
            ("agency_id", |r| r.agency_id = None),
            ("actor_id", |r| r.actor_id = Some(UserId(4))),
            ("actor_name", |r| r.actor_name = "王五".into()),
            ("reason", |r| r.reason = "新增事项".into()),
            ("at_us", |r| r.at = jiff::Timestamp::from_microsecond(r.at.as_microsecond() + 1).unwrap_or_default()),
        ];
        for (column, change) in changes {
            let mut r = row();
            change(&mut r);
            assert!(!columns_frame_body(&r, &mut Scratch::default()), "{column}");
            assert_eq!(column_differing_from_body(&r), Some(column));
        }
    }

    #[test]
    fn rec_6_the_data_of_a_record_is_found_where_it_stands() {
        let data = serde_json::json!({ "name": "事项\",\"data\":{}", "nested": { "data": 1, "version": 2 } });
        for (kind, record_data) in [
            ("item.create", serde_json::json!({ "agency": 2, "data": data })),
            ("item.update", serde_json::json!({ "data": data, "version": 3 })),
            (
                "user.create",
                serde_json::json!({ "agency": 2, "certificates": [{ "number": "\"data\":" }], "data": data }),
            ),
            ("certificate.create", serde_json::json!({ "data": data, "user": 5 })),
        ] {
            let mut body = RecordBody {
                v: 1,
                kind: kind.into(),
                entity: "item".into(),
                entity_id: 7,
                agency_id: Some(2),
                actor: ActorRef { id: Some(3), username: "张\"data\":三".into() },
                at: "2026-11-23T08:00:00Z".into(),
                reason: "},\"entity\":\"".into(),
                data: record_data,
            };
            let bytes = body.canonical_bytes();
            assert_eq!(recorded_data(&bytes), Some(canonical_json(&data).as_bytes()), "{kind}");
            body.data = serde_json::json!({});
            assert_eq!(recorded_data(&body.canonical_bytes()), None);
        }
    }

    /// A record that creates (`version` 1) or updates its row, with data
    /// fingerprint `print`, at `at_us`.
    fn seen(print: u64, version: i64, at_us: i64) -> Seen {
        Seen { print, agency: Some(1), at_us, version, create: version == 1, ..Seen::default() }
    }

    #[test]
    fn fingerprints_by_entity_are_taken_once_and_the_rest_are_named() {
        let mut prints = Prints::default();
        prints.put(3, seen(11, 1, 100));
        prints.put(3, seen(13, 2, 200)); // a later record of the same entity
        prints.put(3, Seen { at_us: 300, ..Seen::default() }); // a new password: only the time
        prints.put(1 << 40, seen(15, 1, 100)); // far out: in the map
        prints.put(7, seen(17, 1, 100));
        assert_eq!(prints.len(), 3);
        assert!(prints.dense.len() < 1 << 20, "no vector up to a far id");
        let slot = prints.take(3).unwrap();
        assert_eq!((slot.print, slot.version, slot.created_us, slot.updated_us), (13, 2, 100, 300));
        assert_eq!(prints.take(3), None, "each row answers once");
        assert_eq!(prints.take(4), None);
        let mut left: Vec<i64> = prints.ids().collect();
        left.sort_unstable();
        assert_eq!(left, vec![7, 1 << 40]);
        assert_eq!(prints.len(), 2);

        // Kept in the map while the vector was short, then reached by it.
        let far = i64::try_from(3 * DENSE_STEP).unwrap_or_default();
        let mut prints = Prints::default();
        prints.put(far, seen(21, 1, 1));
        for id in 0..far {
            prints.put(id, seen(23, 1, 1));
        }
        prints.put(far, seen(25, 2, 2));
        assert_eq!(prints.len(), u64::try_from(far + 1).unwrap_or_default());
        assert_eq!(prints.take(far).map(|s| s.print), Some(25));
        assert!(prints.ids().all(|id| id != far), "not left behind in the map");
    }

    #[test]
    fn a_fingerprint_is_odd_and_keyed() {
        let (a, b) = (std::hash::RandomState::new(), std::hash::RandomState::new());
        let data = r#"{"name":"事项1"}"#.as_bytes();
        assert_eq!(fingerprint(&a, data) & 1, 1);
        assert_eq!(fingerprint(&a, data), fingerprint(&a, data));
        assert_ne!(fingerprint(&a, data), fingerprint(&a, r#"{"name":"事项2"}"#.as_bytes()));
        assert_ne!(fingerprint(&a, data), fingerprint(&b, data), "another run, another key");
        let items = <zhifa_domain::registry::Items as zhifa_domain::registry::Registry>::INFO;
        let tables = [VerifiedTable::FIXED[0], VerifiedTable::of(&items)];
        assert_eq!(table_of(&tables, "item", "item.update"), Some((1, Writes::Update)));
        assert_eq!(table_of(&tables, "item", "item.delete"), None);
        assert_eq!(table_of(&tables, "session", "session.create"), None);
    }
}
