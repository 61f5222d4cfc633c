//! Persistence: SQLite or PostgreSQL behind one set of portable queries.
//!
//! Reads are plain methods on [`Store`]. Writes have exactly one door:
//! [`Store::commit`], which applies a [`Command`]'s changes, appends one
//! `records` row per change and one outbox event per record, all in one
//! transaction. The functions that write rows (`apply`) are private to this
//! crate and only reachable from `commit`. The one exception is derived
//! data no record makes: the dashboard's sums (`figures`) and the warnings'
//! clocks (`clocks`), which an outbox reader keeps and can count again from
//! nothing.

mod apply;
mod blobs;
mod cases;
mod clocks;
mod complaints;
mod figures;
mod inspections;
mod ledger;
mod publications;
mod read;
mod reports;
mod rows;
mod scan;
#[cfg(feature = "testing")]
pub mod testing;
mod uploads;
mod walmark;
mod warnings;

pub use blobs::{BlobStream, Blobs};
pub use cases::{CaseFilter, CaseRow};
pub use clocks::Clock;
pub use complaints::ComplaintRow;
pub use figures::{FigureFilter, FigureRow, FigureSource};
pub use inspections::InspectionRow;
pub use ledger::{CheckpointRow, CheckpointTimes, LeafRow, LedgerMeta, VerifiedRow, VerifiedTable};
pub use publications::{PublicationFilter, PublicationRow};
pub use read::{CertificateRow, Entry, RecordRow, SessionRow, TokenRow, UserRow};
pub use reports::{AnnualReportRow, CaseFactsRow};
pub use scan::{CompletedNodes, EventRow, LedgerBatch, RecordedRow, RecordedTable, RegistryRow};
pub use uploads::{UploadRow, UploadState};
pub use warnings::{SubjectEvent, WarningFilter, WarningRow};

use jiff::Timestamp;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Connection};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use thiserror::Error;
use zhifa_domain::change::Change;
use zhifa_domain::records::ActorRef;
use zhifa_ledger::Signer;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The row changed since it was read (its version moved on).
    #[error("conflict: {0} was changed by someone else")]
    Conflict(&'static str),
    /// A unique value (code, USCC, username, number) is taken.
    #[error("duplicate: {0}")]
    Duplicate(String),
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// Stored data that no longer parses: a bug or a hand edit.
    #[error("corrupt row in {table}: {message}")]
    Corrupt { table: &'static str, message: String },
    #[error("unsupported database url (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The writer task stopped (the runtime is shutting down).
    #[error("the database writer has stopped")]
    WriterGone,
    /// The transaction that held this command failed as a whole.
    #[error("commit failed: {0}")]
    CommitFailed(String),
    /// The log was never created (`init_ledger`).
    #[error("the ledger has not been created")]
    NoLedger,
    #[error("cannot create data directory: {0}")]
    Io(#[from] std::io::Error),
    /// What this database cannot do (the message says so, in Chinese).
    #[error("{0}")]
    Unsupported(&'static str),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// One state change request: who, when, why and the changes, applied together.
#[derive(Debug, Clone)]
pub struct Command {
    pub actor: ActorRef,
    pub at: Timestamp,
    pub reason: String,
    pub changes: Vec<Change>,
}

/// What one change of a committed command became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub record_id: i64,
    pub entity_id: i64,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    /// The group-commit writer of this process (see [`Store::commit`]).
    writer: tokio::sync::mpsc::Sender<Pending>,
    /// The checkpoint key, once [`Store::set_signer`] gave it: the writer
    /// then signs a checkpoint with every batch it commits.
    signer: Arc<OnceLock<Arc<Signer>>>,
    meta: Arc<OnceLock<LedgerMeta>>,
    /// The database file, for the bulk reads of [`Store::scan_ledger`].
    sqlite_path: Option<std::path::PathBuf>,
    /// Kept read connections to it.
    readers: Arc<scan::Readers>,
    /// The newest outbox id, kept while the file has no new commit.
    outbox_mark: Arc<walmark::WalMark>,
}

/// A command waiting for the writer, and where its outcome goes.
struct Pending {
    command: Command,
    reply: tokio::sync::oneshot::Sender<Result<Vec<Applied>>>,
}

/// The most commands committed in one transaction.
const BATCH: usize = 64;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dialect", &self.dialect).finish_non_exhaustive()
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Connect to `sqlite://…` or `postgres://…`. Does not migrate.
    pub async fn connect(url: &str) -> Result<Self> {
        install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Dialect::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        let pool = match dialect {
            Dialect::Sqlite => {
                options
                    .max_connections(8)
                    // A connection to a local file does not break; pinging
                    // it before each use would cost a round trip to its thread.
                    .test_before_acquire(false)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA synchronous = NORMAL",
                                "PRAGMA foreign_keys = ON",
                                "PRAGMA busy_timeout = 10000",
                            ] {
                                sqlx::query(pragma).execute(&mut *conn).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?
            }
            Dialect::Postgres => options.max_connections(16).connect(url).await?,
        };
        let (writer, queue) = tokio::sync::mpsc::channel(1024);
        let signer = Arc::new(OnceLock::new());
        tokio::spawn(write_loop(pool.clone(), dialect, queue, signer.clone()));
        let sqlite_path = match dialect {
            Dialect::Sqlite => sqlite_file(url),
            Dialect::Postgres => None,
        };
        Ok(Self {
            pool,
            dialect,
            writer,
            signer,
            meta: Arc::new(OnceLock::new()),
            sqlite_path,
            readers: Arc::default(),
            outbox_mark: Arc::default(),
        })
    }

    /// The embedded default: `DIR/zhifa.db`, created if missing.
    pub async fn open_data_dir(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let url = format!("sqlite://{}?mode=rwc", dir.join("zhifa.db").display());
        Self::connect(&url).await
    }

    /// A consistent copy of the SQLite database at `to` (`VACUUM INTO`: one
    /// read transaction, so writers go on meanwhile). `to` must not exist.
    pub async fn backup_sqlite(&self, to: &Path) -> Result<()> {
        if self.dialect != Dialect::Sqlite {
            return Err(StoreError::Unsupported("只有 SQLite 数据库可由 zhifa backup 备份"));
        }
        sqlx::query("VACUUM INTO $1").bind(to.display().to_string()).execute(&self.pool).await?;
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Apply the pending migrations of this database's dialect.
    pub async fn migrate(&self) -> Result<()> {
        match self.dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// From now on, sign a checkpoint with every committed batch (in its
    /// transaction). The first signer given stays.
    pub fn set_signer(&self, signer: Arc<Signer>) {
        self.signer.set(signer).ok();
    }

    /// The only way to change state. Every change becomes one `records` row,
    /// its ledger leaf and one outbox event, in the same transaction as the
    /// rows it writes; either all of the command happens or none of it.
    ///
    /// Commands go to this process's writer, which commits those waiting
    /// together in one transaction (group commit): first the whole batch
    /// without savepoints; if a command in it fails, the batch is rolled back
    /// and run again with each command in its own savepoint, so the failing
    /// one leaves nothing and the others still happen. The answer comes only
    /// after the transaction committed.
    pub async fn commit(&self, command: &Command) -> Result<Vec<Applied>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let pending = Pending { command: command.clone(), reply };
        self.writer.send(pending).await.map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }
}

/// The writer: takes whatever commands are waiting (up to [`BATCH`]) and
/// commits them together.
async fn write_loop(
    pool: AnyPool,
    dialect: Dialect,
    mut queue: tokio::sync::mpsc::Receiver<Pending>,
    signer: Arc<OnceLock<Arc<Signer>>>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut writer = Writer { pool, dialect, conn: None, meta: None, tip: None };
    let closing = writer.pool.close_event();
    tokio::pin!(closing);
    loop {
        // When the pool is being closed, give back the connection the
        // writer keeps (closing waits for every connection).
        tokio::select! {
            received = queue.recv_many(&mut batch, BATCH) => if received == 0 { break },
            () = &mut closing => {
                writer.conn = None;
                break;
            }
        }
        let signer = signer.get().map(Arc::as_ref);
        let commands: Vec<&Command> = batch.iter().map(|p| &p.command).collect();
        // First all together; if one of them fails, again with each command
        // in its own savepoint so that the others still happen.
        let mut outcomes = writer.commit_batch(&commands, signer, false).await;
        if matches!(&outcomes, Ok(Batch::Failed)) {
            outcomes = writer.commit_batch(&commands, signer, true).await;
        }
        match outcomes {
            Ok(Batch::Done(outcomes)) => {
                for (pending, outcome) in batch.drain(..).zip(outcomes) {
                    pending.reply.send(outcome).ok();
                }
            }
            Ok(Batch::Failed) => {}
            Err(e) => {
                // Start afresh: another connection, the head read again.
                writer.conn = None;
                writer.tip = None;
                let message = e.to_string();
                tracing::error!(error = %message, "commit failed");
                for pending in batch.drain(..) {
                    pending.reply.send(Err(StoreError::CommitFailed(message.clone()))).ok();
                }
            }
        }
    }
}

/// What became of a batch.
enum Batch {
    /// Committed: each command's outcome, in order.
    Done(Vec<Result<Vec<Applied>>>),
    /// A command failed and nothing was committed (only without savepoints).
    Failed,
}

/// The writer's connection state between batches.
struct Writer {
    pool: AnyPool,
    dialect: Dialect,
    /// The writer's own connection, kept between batches (taken from the
    /// pool once, and again after an error).
    conn: Option<sqlx::pool::PoolConnection<Any>>,
    /// The log's meta, read once (the row never changes).
    meta: Option<LedgerMeta>,
    /// Where this writer left the log.
    tip: Option<ledger::Tip>,
}

impl Writer {
    /// One transaction for `batch`. Without savepoints, the first failing
    /// command rolls everything back ([`Batch::Failed`]), unless it is alone
    /// (then its error is its outcome); with them, a failing command's changes
    /// are undone and the others go on.
    async fn commit_batch(&mut self, batch: &[&Command], signer: Option<&Signer>, savepoints: bool) -> Result<Batch> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => self.conn.insert(self.pool.acquire().await?),
        };
        let mut tx = conn.begin_with(ledger::begin_sql(self.dialect)).await?;
        let meta = match &self.meta {
            Some(meta) => meta.clone(),
            None => {
                let meta = ledger::LedgerTx::meta(&mut tx).await?;
                self.meta = Some(meta.clone());
                meta
            }
        };
        let mut ledger = ledger::LedgerTx::begin(&mut tx, &meta, self.tip.as_ref()).await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for command in batch {
            if savepoints {
                sqlx::query("SAVEPOINT command").execute(&mut *tx).await?;
            }
            let mark = ledger.mark();
            let mut applied = Vec::with_capacity(command.changes.len());
            let mut failed = None;
            for change in &command.changes {
                match apply::apply(&mut tx, &mut ledger, command, change).await {
                    Ok(a) => applied.push(a),
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            match failed {
                None => {
                    if savepoints {
                        sqlx::query("RELEASE SAVEPOINT command").execute(&mut *tx).await?;
                    }
                    outcomes.push(Ok(applied));
                }
                Some(e) if savepoints => {
                    sqlx::query("ROLLBACK TO SAVEPOINT command").execute(&mut *tx).await?;
                    sqlx::query("RELEASE SAVEPOINT command").execute(&mut *tx).await?;
                    ledger.reset(mark);
                    outcomes.push(Err(e));
                }
                Some(e) if batch.len() == 1 => {
                    tx.rollback().await?;
                    return Ok(Batch::Done(vec![Err(e)]));
                }
                Some(_) => {
                    tx.rollback().await?;
                    return Ok(Batch::Failed);
                }
            }
        }
        let at = batch.last().map_or_else(Timestamp::now, |c| c.at);
        ledger.flush(&mut tx, self.dialect, signer, at).await?;
        tx.commit().await?;
        self.tip = Some(ledger.tip());
        Ok(Batch::Done(outcomes))
    }
}

/// The file of a `sqlite://PATH?options` URL (`None` for a memory database).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| std::path::PathBuf::from(path))
}

/// Microseconds since the Unix epoch, as stored.
pub(crate) fn to_us(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn from_us(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `$first, $first+1, …`: `n` placeholders for an `IN (…)` list.
pub(crate) fn marks(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}
