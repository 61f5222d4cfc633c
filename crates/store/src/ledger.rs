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
use zhifa_domain::records::Derived;
use zhifa_ledger::{Appender, Checkpoint, Hash, HashAlg, NodeId, RecordLeaf, Signer, SignerAlg};

type Tx<'c> = Transaction<'c, Any>;

/// How a writing transaction begins, taking the ledger's lock: SQLite's
/// writer lock up front (so that two writers queue instead of failing when a
/// read transaction upgrades), or PostgreSQL's transaction-scoped advisory
/// lock, keyed "zhifa" in ASCII (0x7a68696661), in the same round trip.
pub(crate) fn begin_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "BEGIN IMMEDIATE",
        Dialect::Postgres => "BEGIN; SELECT pg_advisory_xact_lock(525737748065)",
    }
}

/// A table whose current rows `verify` compares with their newest create or
/// update record: a registry's, or one of [`VerifiedTable::FIXED`]. Beside
/// `data`, every column is checked: `agency_id` against the record's agency,
/// `version`, `created_us` and `updated_us` against the records' count and
/// times, an owner (`user_id`, `case_id`) against the creating record, and
/// the columns copied out of the data against the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedTable {
    pub table: &'static str,
    /// The entity of its records.
    pub entity: &'static str,
    /// It has an `agency_id` column (the agency of its records).
    pub agency: bool,
    /// A column naming who or what it belongs to, and the key of the creating
    /// record's data that names it: `("user_id", "user")`.
    pub owner: Option<(&'static str, &'static str)>,
    /// Columns copied out of the data.
    pub columns: &'static [(&'static str, Derived)],
    /// A registry's `name` column: the field of the data it copies.
    pub name_field: Option<&'static str>,
    /// Columns the creating record names outside the data: `(column, key of
    /// the record data)`, e.g. the number the store gave a case.
    pub born: &'static [(&'static str, &'static str)],
    /// Columns each writing record names outside the data (a case's stage).
    pub now: &'static [(&'static str, &'static str)],
    /// Columns that follow from the others by a rule of the table (a case's
    /// `word`, `year` and `seq` from its number, `closed` from its stage):
    /// read as text after the named ones, checked by `verify`.
    pub rest: &'static [&'static str],
}

const fn fixed(
    table: &'static str,
    entity: &'static str,
    owner: Option<(&'static str, &'static str)>,
    columns: &'static [(&'static str, Derived)],
) -> VerifiedTable {
    VerifiedTable { table, entity, agency: true, owner, columns, name_field: None, born: &[], now: &[], rest: &[] }
}

impl VerifiedTable {
    /// The versioned tables that are not registries.
    pub const FIXED: [VerifiedTable; 10] = [
        VerifiedTable {
            agency: false,
            ..fixed(
                "agencies",
                "agency",
                None,
                &[
                    ("code", Derived::Text("code")),
                    ("uscc", Derived::Text("uscc")),
                    ("name", Derived::Text("name")),
                    ("region_code", Derived::Text("region")),
                ],
            )
        },
        fixed(
            "users",
            "user",
            None,
            &[
                ("username", Derived::Text("username")),
                ("name", Derived::Text("name")),
                ("role", Derived::Text("role")),
                ("active", Derived::Flag("active")),
            ],
        ),
        fixed(
            "certificates",
            "certificate",
            Some(("user_id", "user")),
            &[("number", Derived::Text("number")), ("valid_to", Derived::Text("valid_to"))],
        ),
        VerifiedTable {
            born: &[("number", "case_number")],
            now: &[("stage", "current_stage"), ("due_on", "current_due_on")],
            rest: &["word", "year", "seq", "closed", "provisional"],
            ..fixed(
                "cases",
                "case",
                None,
                &[
                    ("procedure", Derived::Text("procedure")),
                    ("party_key", Derived::FirstText(&["party.id_card", "party.uscc"])),
                    ("party_name", Derived::Text("party.name")),
                    ("title", Derived::Text("title")),
                    ("opened_on", Derived::Text("opened_on")),
                    ("decided_on", Derived::Text("decided_on")),
                ],
            )
        },
        fixed("review_catalogues", "review_catalogue", None, &[]),
        fixed(
            "publications",
            "publication",
            Some(("case_id", "case")),
            &[
                ("withdrawn", Derived::Present("withdrawal")),
                ("category", Derived::Text("category")),
                ("document_number", Derived::Text("document_number")),
                ("decided_on", Derived::Text("decided_on")),
                ("due_on", Derived::Text("due_on")),
                ("published_on", Derived::Text("published_on")),
                ("expires_on", Derived::Text("expires_on")),
            ],
        ),
        fixed(
            "complaints",
            "complaint",
            None,
            &[
                ("tracking_number", Derived::Text("tracking_number")),
                ("answered", Derived::Present("answer")),
                ("form_nonce", Derived::Text("form_nonce")),
                ("client_tag", Derived::Text("client_tag")),
            ],
        ),
        fixed("annual_reports", "annual_report", None, &[("year", Derived::Number("year"))]),
        fixed(
            "warnings",
            "warning",
            None,
            &[
                ("rule", Derived::Text("rule")),
                ("severity", Derived::Text("severity")),
                ("status", Derived::Text("status")),
                ("subject_kind", Derived::Text("subject.kind")),
                ("subject_id", Derived::Number("subject.id")),
                ("answer_due", Derived::Text("answer_due")),
                ("family", Derived::Text("family")),
                ("cause_key", Derived::Text("key")),
            ],
        ),
        fixed(
            "inspections",
            "inspection",
            None,
            &[
                ("quarter", Derived::Text("quarter")),
                ("score", Derived::Number("score")),
                ("status", Derived::Text("status")),
                ("answer_due", Derived::Text("answer_due")),
            ],
        ),
    ];

    pub fn of(registry: &zhifa_domain::registry::RegistryInfo) -> Self {
        let n = &registry.names;
        Self { name_field: Some(n.name_field), ..fixed(n.table, n.entity, None, &[]) }
    }

    /// The columns copied out of the data, with how.
    pub fn derived(&self) -> impl Iterator<Item = (&'static str, Derived)> + '_ {
        let name = self.name_field.map(|f| ("name", Derived::Text(f)));
        self.columns.iter().copied().chain(name)
    }
}

/// A row of a verified table as `verify` reads it: its data and every
/// column beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRow {
    pub id: i64,
    pub data: String,
    /// `None` where the table has no such column.
    pub agency: Option<i64>,
    pub version: i64,
    pub created_us: i64,
    pub updated_us: i64,
    pub owner: Option<i64>,
    /// The derived columns, in the order of [`VerifiedTable::derived`], as text.
    pub derived: Vec<Option<String>>,
    /// The columns of [`VerifiedTable::born`] and then [`VerifiedTable::now`], as text.
    pub named: Vec<Option<String>>,
    /// The columns of [`VerifiedTable::rest`], as text.
    pub rest: Vec<Option<String>>,
}

impl VerifiedRow {
    /// The value (as text) of `column`, if the table reads it beside the data.
    pub fn value(&self, table: &VerifiedTable, column: &str) -> Option<&str> {
        let derived = table.derived().map(|(c, _)| c).zip(&self.derived);
        let named = table.born.iter().chain(table.now).map(|(c, _)| *c).zip(&self.named);
        let rest = table.rest.iter().copied().zip(&self.rest);
        derived.chain(named).chain(rest).find(|(c, _)| *c == column).and_then(|(_, v)| v.as_deref())
    }
}

impl VerifiedTable {
    /// The columns `verify` reads, in the order of [`VerifiedRow`].
    pub(crate) fn select(&self) -> String {
        let agency = if self.agency { "agency_id" } else { "CAST(NULL AS BIGINT)" };
        let owner = self.owner.map_or("CAST(NULL AS BIGINT)", |(column, _)| column);
        let mut sql = format!("SELECT id, data, {agency}, version, created_us, updated_us, {owner}");
        let named = self.born.iter().chain(self.now).map(|(c, _)| *c);
        for column in self.derived().map(|(c, _)| c).chain(named).chain(self.rest.iter().copied()) {
            sql.push_str(&format!(", CAST({column} AS TEXT)"));
        }
        sql.push_str(&format!(" FROM {}", self.table));
        sql
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

/// The tree head the log signs: with two extension lines, `time <signed at>`
/// and `log-created <the log's creation>`, both RFC 3339 to the
/// microsecond, so that the times kept beside the note in
/// `ledger_checkpoints.created_us` and `ledger_meta.created_us` are vouched
/// for by its signature.
pub fn checkpoint_of(meta: &LedgerMeta, size: u64, root: Hash, signed_at: Timestamp) -> Checkpoint {
    let line = |key: &str, t: Timestamp| format!("{key} {}", from_us(to_us(t)));
    Checkpoint {
        extensions: vec![line(SIGNED_AT, signed_at), line(LOG_CREATED, meta.created_at)],
        ..Checkpoint::new(meta.origin.clone(), size, root)
    }
}

const SIGNED_AT: &str = "time";
const LOG_CREATED: &str = "log-created";

/// The times a checkpoint vouches for (see [`checkpoint_of`]); `None` for a
/// line it does not carry (a checkpoint signed before they were added) or
/// cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointTimes {
    pub signed_at: Option<Timestamp>,
    pub log_created: Option<Timestamp>,
}

impl CheckpointTimes {
    pub fn of(checkpoint: &Checkpoint) -> Self {
        let read = |key| checkpoint.extension(key).and_then(|t| t.parse::<Timestamp>().ok());
        Self { signed_at: read(SIGNED_AT), log_created: read(LOG_CREATED) }
    }
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

async fn size_in(tx: &mut Tx<'_>) -> Result<u64> {
    let size: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_leaves").fetch_one(&mut **tx).await?;
    Ok(u64_of(size))
}

/// The log's size and the newest record id, read together under the lock.
async fn head_in(tx: &mut Tx<'_>) -> Result<(u64, i64)> {
    let (size, last_record): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_leaves), (SELECT COALESCE(MAX(id), 0) FROM records)",
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok((u64_of(size), last_record))
}

async fn meta_in(tx: &mut Tx<'_>) -> Result<LedgerMeta> {
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

/// The most rows in one INSERT. SQLite finds each `$N` parameter of a
/// statement by a linear search of the statement's names, so a statement of
/// thousands of parameters costs quadratic time: many small INSERTs in one
/// text are much cheaper than one large one.
const ROWS_PER_INSERT: usize = 50;

/// A record as `commit` writes it: the columns kept for queries and the
/// canonical body the leaf commits to.
#[derive(Debug, Clone)]
pub(crate) struct RecordDraft {
    pub at: Timestamp,
    pub kind: &'static str,
    pub entity: &'static str,
    pub entity_id: i64,
    pub agency_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub reason: String,
    pub body: Vec<u8>,
}

/// Where the log stood after the writer's last commit, so that the next
/// batch need not read the frontier again when nobody else appended.
#[derive(Clone)]
pub(crate) struct Tip {
    size: u64,
    last_record: i64,
    appender: Appender,
}

/// How far a [`LedgerTx`] had got, to go back to when a command fails.
pub(crate) struct Mark {
    records: usize,
    nodes: usize,
    next_record: i64,
    appender: Appender,
}

/// The records of one transaction and their leaves. Records get their ids
/// here (the ledger lock is held, so `MAX(id) + 1` is ours) and are written
/// with their leaves, subtrees and outbox events in a few multi-row
/// statements by [`LedgerTx::flush`], just before the commit.
pub(crate) struct LedgerTx {
    alg: HashAlg,
    meta: LedgerMeta,
    /// The size when the transaction began.
    start: u64,
    next_record: i64,
    appender: Appender,
    /// Each record with its leaf's salt and bytes.
    records: Vec<(i64, RecordDraft, [u8; 32], Vec<u8>)>,
    nodes: Vec<(NodeId, Hash)>,
}

impl LedgerTx {
    /// Find the head of the log in a transaction begun with [`begin_sql`];
    /// `tip` is reused if the log is still where this process left it.
    pub(crate) async fn begin(tx: &mut Tx<'_>, meta: &LedgerMeta, tip: Option<&Tip>) -> Result<Self> {
        let (size, last_record) = head_in(tx).await?;
        let appender = match tip {
            Some(t) if t.size == size && t.last_record == last_record => t.appender.clone(),
            _ => {
                let nodes = nodes_in(&mut **tx, &zhifa_ledger::frontier(size)).await?;
                Appender::new(meta.hash, size, &nodes).map_err(|e| corrupt("ledger_nodes", e.to_string()))?
            }
        };
        Ok(Self {
            alg: meta.hash,
            meta: meta.clone(),
            start: size,
            next_record: last_record + 1,
            appender,
            records: Vec::new(),
            nodes: Vec::new(),
        })
    }

    /// Read the log's meta inside the transaction (once per writer).
    pub(crate) async fn meta(tx: &mut Tx<'_>) -> Result<LedgerMeta> {
        meta_in(tx).await
    }

    pub(crate) fn mark(&self) -> Mark {
        Mark {
            records: self.records.len(),
            nodes: self.nodes.len(),
            next_record: self.next_record,
            appender: self.appender.clone(),
        }
    }

    /// Forget what was added since `mark` (its command failed).
    pub(crate) fn reset(&mut self, mark: Mark) {
        self.records.truncate(mark.records);
        self.nodes.truncate(mark.nodes);
        self.next_record = mark.next_record;
        self.appender = mark.appender;
    }

    /// Where the log stands once this transaction commits.
    pub(crate) fn tip(&self) -> Tip {
        Tip { size: self.appender.size(), last_record: self.next_record - 1, appender: self.appender.clone() }
    }

    /// Give `draft` the next record id and its leaf; return the id.
    pub(crate) fn record(&mut self, draft: RecordDraft) -> Result<i64> {
        let mut salt = [0u8; 32];
        getrandom::fill(&mut salt).map_err(|e| corrupt("ledger_leaves", format!("no randomness: {e}")))?;
        let id = self.next_record;
        self.next_record += 1;
        let leaf = RecordLeaf {
            record_id: id,
            kind: draft.kind.to_owned(),
            at_us: to_us(draft.at),
            commitment: RecordLeaf::commitment(self.alg, &salt, &draft.body),
        }
        .to_bytes();
        self.nodes.extend(self.appender.append(&leaf));
        self.records.push((id, draft, salt, leaf));
        Ok(id)
    }

    /// Write the records, their leaves, the subtrees they complete, their
    /// outbox events and, with `signer`, the checkpoint of the tree they make,
    /// in as few statements as the databases' parameter limits allow
    /// (usually one).
    pub(crate) async fn flush(
        &self,
        tx: &mut Tx<'_>,
        dialect: Dialect,
        signer: Option<&Signer>,
        at: Timestamp,
    ) -> Result<()> {
        let mut out = Inserts::new(dialect);
        let records = "records (id, at_us, kind, entity, entity_id, agency_id, actor_id, actor_name, reason, body)";
        out.rows(tx, records, &self.records, |_, (id, r, _, _)| {
            [
                Arg::Int(*id),
                Arg::Int(to_us(r.at)),
                Arg::Text(r.kind),
                Arg::Text(r.entity),
                Arg::Int(r.entity_id),
                Arg::OptInt(r.agency_id),
                Arg::OptInt(r.actor_id),
                Arg::Text(&r.actor_name),
                Arg::Text(&r.reason),
                Arg::Blob(&r.body),
            ]
        })
        .await?;
        out.rows(tx, "ledger_leaves (idx, record_id, salt, leaf)", &self.records, |i, (id, _, salt, leaf)| {
            [Arg::Int(i64_of(self.start + i as u64)), Arg::Int(*id), Arg::Blob(salt), Arg::Blob(leaf)]
        })
        .await?;
        out.rows(tx, "ledger_nodes (level, idx, hash)", &self.nodes, |_, (id, hash)| {
            [Arg::Int(i64::from(id.level)), Arg::Int(i64_of(id.index)), Arg::Blob(hash)]
        })
        .await?;
        out.rows(tx, "outbox (record_id, topic, created_us)", &self.records, |_, (id, r, _, _)| {
            [Arg::Int(*id), Arg::Text(r.kind), Arg::Int(to_us(r.at))]
        })
        .await?;
        // Sign the tree as this transaction leaves it, in the transaction: the
        // checkpoint exists exactly when the leaves it covers do. Another
        // writer may have signed the same size: either note will do.
        let size = self.appender.size();
        let note;
        let root = self.appender.root();
        if let Some(signer) = signer.filter(|_| size > self.start) {
            note = signer.sign_checkpoint(&checkpoint_of(&self.meta, size, root, at));
            out.push(
                "ledger_checkpoints (size, root, note, created_us)",
                [Arg::Int(i64_of(size)), Arg::Blob(&root), Arg::Text(&note), Arg::Int(to_us(at))].into_iter(),
                4,
                " ON CONFLICT (size) DO NOTHING",
                tx,
            )
            .await?;
        }
        out.execute(tx).await
    }
}

/// A value bound in a multi-row INSERT.
#[derive(Debug, Clone, Copy)]
enum Arg<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// The most parameters in one statement (SQLite allows 32,766, PostgreSQL 65,535).
const MAX_PARAMS: usize = 30_000;

/// Several INSERTs sent as one statement: on SQLite one text of several
/// statements, on PostgreSQL data-modifying `WITH` clauses around the last
/// (foreign keys are checked at the end of the statement). Parameters are
/// numbered across the whole text.
struct Inserts<'a> {
    dialect: Dialect,
    parts: Vec<String>,
    args: Vec<Arg<'a>>,
}

impl<'a> Inserts<'a> {
    fn new(dialect: Dialect) -> Self {
        Self { dialect, parts: Vec::new(), args: Vec::new() }
    }

    /// Add `INSERT INTO {target} VALUES …{suffix}` of `args` in rows of
    /// `cols`; runs what is pending first if the parameters would not fit.
    async fn push(
        &mut self,
        target: &str,
        args: impl Iterator<Item = Arg<'a>>,
        cols: usize,
        suffix: &str,
        tx: &mut Tx<'_>,
    ) -> Result<()> {
        let args: Vec<Arg<'a>> = args.collect();
        if self.args.len() + args.len() > MAX_PARAMS {
            self.run(tx).await?;
        }
        let rows = args.len() / cols;
        let mut sql = format!("INSERT INTO {target} VALUES ");
        for r in 0..rows {
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..cols {
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push('$');
                sql.push_str(&(self.args.len() + r * cols + c + 1).to_string());
            }
            sql.push(')');
        }
        sql.push_str(suffix);
        self.parts.push(sql);
        self.args.extend(args);
        Ok(())
    }

    /// Add a row `row(i, item)` for the `i`th of `items`, at most
    /// `ROWS_PER_INSERT` rows to a statement.
    async fn rows<T, const N: usize>(
        &mut self,
        tx: &mut Tx<'_>,
        target: &str,
        items: &'a [T],
        row: impl Fn(usize, &'a T) -> [Arg<'a>; N],
    ) -> Result<()> {
        for (n, chunk) in items.chunks(ROWS_PER_INSERT).enumerate() {
            let first = n * ROWS_PER_INSERT;
            let args = chunk.iter().enumerate().flat_map(|(i, item)| row(first + i, item));
            self.push(target, args, N, "", tx).await?;
        }
        Ok(())
    }

    async fn run(&mut self, tx: &mut Tx<'_>) -> Result<()> {
        let Some(last) = self.parts.pop() else { return Ok(()) };
        let sql = match self.dialect {
            Dialect::Sqlite => {
                self.parts.push(last);
                self.parts.join(";\n")
            }
            Dialect::Postgres if self.parts.is_empty() => last,
            Dialect::Postgres => {
                let with: Vec<String> =
                    self.parts.iter().enumerate().map(|(i, part)| format!("w{i} AS ({part})")).collect();
                format!("WITH {} {last}", with.join(", "))
            }
        };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for arg in self.args.drain(..) {
            query = match arg {
                Arg::Int(v) => query.bind(v),
                Arg::OptInt(v) => query.bind(v),
                Arg::Text(v) => query.bind(v),
                Arg::Blob(v) => query.bind(v),
            };
        }
        self.parts.clear();
        query.execute(&mut **tx).await?;
        Ok(())
    }

    async fn execute(mut self, tx: &mut Tx<'_>) -> Result<()> {
        self.run(tx).await
    }
}

/// A row of `ledger_leaves` (`idx`, `record_id`, `salt`, `leaf`).
fn leaf_row(row: &sqlx::any::AnyRow) -> Result<LeafRow> {
    Ok(LeafRow {
        index: u64_of(row.try_get("idx")?),
        record_id: row.try_get("record_id")?,
        salt: row.try_get("salt")?,
        leaf: row.try_get("leaf")?,
    })
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
        let note = signer.sign_checkpoint(&checkpoint_of(&meta, size, root, now));
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
        rows.iter().map(leaf_row).collect()
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
                let leaf = leaf_row(row)?;
                let present: Option<i64> = row.try_get("id")?;
                let record = match present {
                    Some(_) => Some(crate::read::record_row(row)?),
                    None => None,
                };
                Ok((leaf, record))
            })
            .collect()
    }

    /// The leaf of a record.
    pub async fn leaf_of_record(&self, record_id: i64) -> Result<Option<LeafRow>> {
        let row = sqlx::query("SELECT idx, record_id, salt, leaf FROM ledger_leaves WHERE record_id = $1")
            .bind(record_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(leaf_row).transpose()
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
    /// Rows of `ledger_leaves` (the log's size counts to the highest index).
    pub async fn ledger_leaf_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_leaves").fetch_one(&self.pool).await?;
        Ok(u64_of(n))
    }

    pub async fn ledger_node_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_nodes").fetch_one(&self.pool).await?;
        Ok(u64_of(n))
    }
}

fn checkpoint_row(row: &AnyRow) -> Result<CheckpointRow> {
    Ok(CheckpointRow {
        size: u64_of(row.try_get("size")?),
        // A root of the wrong length is no root: it matches none (verify says so).
        root: hash_of("ledger_checkpoints", row.try_get("root")?).unwrap_or([0; 32]),
        note: row.try_get("note")?,
        created_at: from_us(row.try_get("created_us")?),
    })
}
