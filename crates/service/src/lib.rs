//! The use cases: what the web server and the CLI call.
//!
//! Every method that changes state authorizes the actor ([`authz`]), validates
//! with the pure rules of `zhifa_domain`, and hands a [`Command`] to
//! [`Store::commit`] — the one write path. Reads check scope the same way, and a
//! read that is denied is reported as [`ServiceError::NotFound`], so that nobody
//! learns that another agency's thing exists.

pub mod auth;
pub mod authz;
pub mod cases;
pub mod complaints;
pub mod dashboard;
pub mod entries;
pub mod evidence;
pub mod inspections;
pub mod ledger;
pub mod publicity;
mod registry;
pub mod report;
pub mod retrieval;
pub mod review;
pub mod search;
pub mod system;
pub mod warnings;

pub use auth::{Principal, SignedIn};
pub use entries::RawEntry;
pub use registry::{Agency, History, HistoryEntry, ImportReport, PersonnelRow};
pub use retrieval::{RETRIEVAL_HOURS, Retrieval, RetrievalEntry};
pub use zhifa_calendar::{Calendar, CalendarError};
pub use zhifa_ledger::{HashAlg, Signer, SignerAlg, hex};
pub use zhifa_store::{
    BlobStream, Blobs, CaseFilter, CaseRow, ComplaintRow, PublicationFilter, PublicationRow, UploadRow, UploadState,
};
pub use zhifa_store::{
    CertificateRow, CheckpointRow, Entry, InspectionRow, LedgerMeta, RecordRow, Store, TokenRow, UserRow, WarningRow,
};

use jiff::Timestamp;
use std::sync::Arc;
use thiserror::Error;
use zhifa_domain::Invalid;
use zhifa_domain::change::Change;
pub use zhifa_domain::ids::AgencyId;
use zhifa_domain::records::ActorRef;
pub use zhifa_store::Applied;
use zhifa_store::{Command, StoreError};

fn refusals_text(refusals: &[zhifa_domain::case::rules::Refusal]) -> String {
    let text: Vec<String> = refusals.iter().map(|r| format!("{}（{}，{}）", r.message, r.rule, r.article)).collect();
    text.join("；")
}

/// Who asks: a signed-in user, or the system itself (the CLI run by whoever
/// operates the server, and the demo generator).
#[derive(Debug, Clone)]
pub enum Actor {
    User(Principal),
    System(&'static str),
}

impl Actor {
    pub fn as_ref(&self) -> ActorRef {
        match self {
            Actor::User(p) => ActorRef { id: Some(p.user_id.0), username: p.username.clone() },
            Actor::System(name) => ActorRef { id: None, username: format!("system:{name}") },
        }
    }
}

#[derive(Debug, Error)]
pub enum ServiceError {
    /// Absent, or present but outside the actor's scope: the same answer.
    #[error("not found")]
    NotFound,
    /// The actor may see this but not do that.
    #[error("forbidden")]
    Forbidden,
    #[error("sign-in required")]
    Unauthenticated,
    #[error("wrong username or password")]
    BadCredentials,
    /// Too many wrong passwords: try again after this many seconds.
    #[error("too many attempts: wait {0} s")]
    Throttled(i64),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A spreadsheet that cannot be imported (the message names the row);
    /// nothing of it was imported.
    #[error("{0}")]
    Import(String),
    #[error("{0}已存在")]
    Duplicate(String),
    /// Someone else changed the thing since it was read.
    #[error("conflict")]
    Conflict,
    /// An upload's bytes must continue at this offset (tus `Upload-Offset`).
    #[error("上传应从第 {0} 字节继续")]
    UploadOffset(u64),
    /// More bytes than allowed (the limit in bytes).
    #[error("文件超过 {0} 字节")]
    TooLarge(u64),
    /// Someone else is working on it right now (an upload's PATCH).
    #[error("busy")]
    Busy,
    /// It existed and is gone for good (a terminated upload).
    #[error("gone")]
    Gone,
    /// The engine refused a step of a case: every reason, each with its
    /// rule and article.
    #[error("refused: {}", refusals_text(.0))]
    Refused(Vec<zhifa_domain::case::rules::Refusal>),
    /// A date or period the calendar cannot answer for (a year without data).
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// Another agency's case or evidence, not opened to the reader by a
    /// stated reason (调阅) within the last hours.
    #[error("retrieval required")]
    RetrievalRequired,
    /// Something this server lacks (the message says what to install).
    #[error("{0}")]
    Unavailable(String),
    /// Something failed inside: what was being done, and the error under it
    /// (its chain is logged, never shown).
    #[error("internal: {context}")]
    Internal {
        context: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(what) => ServiceError::Duplicate(what),
            StoreError::Conflict(_) => ServiceError::Conflict,
            StoreError::NotFound(_) => ServiceError::NotFound,
            other => ServiceError::Internal { context: "the store".into(), source: Some(Box::new(other)) },
        }
    }
}

impl ServiceError {
    /// An internal failure described by `context` alone.
    pub fn internal(context: impl Into<String>) -> Self {
        ServiceError::Internal { context: context.into(), source: None }
    }

    /// An internal failure while doing `context`, because of `source`.
    pub fn caused(context: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        ServiceError::Internal { context: context.into(), source: Some(Box::new(source)) }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

#[cfg(test)]
mod error_tests {
    use super::*;

    #[test]
    fn an_internal_error_keeps_its_cause_chain_for_the_log() {
        let e = ServiceError::from(StoreError::Corrupt { table: "items", message: "not JSON".into() });
        let source = std::error::Error::source(&e).map(ToString::to_string).unwrap_or_default();
        assert!(source.contains("items") && source.contains("not JSON"), "{source}");
        let parse = serde_json::from_str::<i64>("x").unwrap_err();
        let e = ServiceError::caused("reading a record", parse);
        assert!(std::error::Error::source(&e).is_some());
    }
}

/// The procedures shipped in the binary (checked by tests; a broken one
/// would not have passed them).
fn embedded_procedures() -> zhifa_domain::case::procedure::Procedures {
    zhifa_domain::case::procedure::Procedures::embedded().unwrap_or_else(|e| {
        tracing::error!(error = %e, "embedded procedure definitions");
        zhifa_domain::case::procedure::Procedures::default()
    })
}

/// The provinces' amounts shipped in the binary (checked by tests).
fn embedded_amounts() -> zhifa_domain::amounts::Amounts {
    zhifa_domain::amounts::Amounts::embedded().unwrap_or_else(|e| {
        tracing::error!(error = %e, "embedded provinces' amounts");
        zhifa_domain::amounts::Amounts::default()
    })
}

/// The warning rules shipped in the binary (checked by tests).
fn embedded_warning_rules() -> zhifa_domain::warning::RuleBook {
    zhifa_domain::warning::RuleBook::embedded().unwrap_or_else(|e| {
        tracing::error!(error = %e, "embedded warning rules");
        zhifa_domain::warning::RuleBook::default()
    })
}

/// A key of this process alone (until `with_form_key` gives the deployment's).
fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    if let Err(e) = getrandom::fill(&mut key) {
        tracing::error!(error = %e, "no randomness for the form key");
    }
    key
}

/// Where "now" comes from; tests may fix it.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

#[derive(Clone)]
pub struct Service {
    store: Store,
    calendar: Arc<Calendar>,
    /// `calendar` with the next years it lacks estimated (weekends only):
    /// what a limit is checked against where the calendar cannot tell.
    estimate: Arc<Calendar>,
    /// The checkpoint key; `None` for a read-only service (verification),
    /// which refuses commands.
    signer: Option<Arc<Signer>>,
    /// Where evidence files go (`with_blobs`).
    blobs: Option<Arc<zhifa_store::Blobs>>,
    hashers: Arc<evidence::Hashers>,
    upload_locks: Arc<evidence::UploadLocks>,
    clock: Clock,
    /// The procedures in force (embedded, or as `with_procedures` gives).
    procedures: Arc<zhifa_domain::case::procedure::Procedures>,
    /// The provinces' amounts (embedded, or as `with_amounts` gives).
    amounts: Arc<zhifa_domain::amounts::Amounts>,
    /// This server's search index of published decisions (`with_search`).
    search: Option<Arc<zhifa_search::SearchIndex>>,
    /// … and of the agencies' public lists.
    lists: Option<Arc<zhifa_search::ListIndex>>,
    /// One catch-up of the index at a time.
    search_lock: Arc<tokio::sync::Mutex<()>>,
    /// The newest outbox id the index is known to be up to date with (any
    /// topic): a search asks only whether the outbox has grown past it.
    search_checked: Arc<std::sync::atomic::AtomicI64>,
    /// A background catch-up is running (`searchable_as_of`).
    search_catching: Arc<std::sync::atomic::AtomicBool>,
    /// The newest outbox id a catch-up has brought the indexes to, for whoever
    /// waits for a change to be searchable (`searchable_at`).
    search_caught_up: Arc<tokio::sync::watch::Sender<i64>>,
    /// Searches run at once (`search_turns()`), the rest wait their turn
    /// in order (64 searches sharing two cores would all be slow, some very).
    search_turns: Arc<tokio::sync::Semaphore>,
    /// The regions as of an outbox id (`public_regions_as_of`).
    regions: Arc<std::sync::Mutex<Option<(i64, publicity::Regions)>>>,
    /// Signs the questions of the public's forms (`with_form_key`).
    form_key: Arc<[u8; 32]>,
    /// Where CJK fonts for PDFs are looked for (`with_font_dirs`).
    font_dirs: Arc<Vec<std::path::PathBuf>>,
    /// The fonts, once found.
    fonts: Arc<std::sync::OnceLock<zhifa_docs::pdf::CjkFonts>>,
    /// How long publications stay (PUB-4), per category.
    retention: zhifa_domain::publication::Retention,
    /// The registries served: the built-in ones and any `with_registry` adds.
    registries: Arc<[&'static zhifa_domain::registry::RegistryInfo]>,
    /// The warning rules (SUP-1).
    warning_rules: Arc<zhifa_domain::warning::RuleBook>,
    /// One evaluation of the warnings at a time.
    warnings_lock: Arc<tokio::sync::Mutex<()>>,
    /// The newest outbox id the warnings were evaluated up to (-1: not yet
    /// read from the ledger).
    warnings_checked: Arc<std::sync::atomic::AtomicI64>,
    /// Dashboards read, kept while `warnings_checked` stays where it was.
    dashboards: Arc<dashboard::DashboardCache>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("store", &self.store).finish_non_exhaustive()
    }
}

/// Searches that run at once: two per core. One per core left a fifth of
/// the CPU idle under load (a finished search's core waited while the next
/// in line was woken).
fn search_turns() -> usize {
    2 * std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

impl Service {
    /// A service on `store` (whose log `signer` signs), computing deadlines on `calendar`.
    pub fn new(store: Store, calendar: Calendar, signer: Signer) -> Self {
        let signer = Arc::new(signer);
        store.set_signer(signer.clone());
        Self { signer: Some(signer), ..Self::unsigned(store, calendar) }
    }

    /// Everything but the signer.
    fn unsigned(store: Store, calendar: Calendar) -> Self {
        let through = calendar
            .years()
            .last()
            .map_or(0, |y| y.year)
            .max(Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).year())
            + 3;
        Self {
            store,
            estimate: Arc::new(calendar.with_estimates(through)),
            calendar: Arc::new(calendar),
            signer: None,
            blobs: None,
            hashers: Arc::default(),
            upload_locks: Arc::default(),
            clock: Arc::new(Timestamp::now),
            procedures: Arc::new(embedded_procedures()),
            amounts: Arc::new(embedded_amounts()),
            search: None,
            lists: None,
            search_lock: Arc::default(),
            search_checked: Arc::default(),
            search_catching: Arc::default(),
            search_caught_up: Arc::new(tokio::sync::watch::Sender::new(0)),
            search_turns: Arc::new(tokio::sync::Semaphore::new(search_turns())),
            regions: Arc::default(),
            form_key: Arc::new(random_key()),
            retention: zhifa_domain::publication::Retention::default(),
            font_dirs: Arc::new(zhifa_docs::pdf::SYSTEM_FONT_DIRS.iter().map(std::path::PathBuf::from).collect()),
            fonts: Arc::default(),
            registries: Arc::new(zhifa_domain::registry::BUILT_IN),
            warning_rules: Arc::new(embedded_warning_rules()),
            warnings_lock: Arc::default(),
            warnings_checked: Arc::new(std::sync::atomic::AtomicI64::new(-1)),
            dashboards: Arc::default(),
        }
    }

    /// A service that reads and verifies but changes nothing (no signing key needed).
    pub fn read_only(store: Store, calendar: Calendar) -> Self {
        Self::unsigned(store, calendar)
    }

    #[must_use]
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    /// Use these procedures (the embedded ones and a deployment's own).
    #[must_use]
    pub fn with_procedures(self, procedures: zhifa_domain::case::procedure::Procedures) -> Self {
        Self { procedures: Arc::new(procedures), ..self }
    }

    /// Use these provinces' amounts (the embedded ones and a deployment's own).
    #[must_use]
    pub fn with_amounts(self, amounts: zhifa_domain::amounts::Amounts) -> Self {
        Self { amounts: Arc::new(amounts), ..self }
    }

    /// The amounts of the province `region` lies in (`None`: not loaded).
    pub fn amounts_of(
        &self,
        region: &zhifa_domain::region::RegionCode,
    ) -> Option<&zhifa_domain::amounts::ProvinceAmounts> {
        self.amounts.of(region)
    }

    /// Keep published decisions searchable in `decisions` and the agencies'
    /// public lists in `lists` (both fed from the outbox).
    #[must_use]
    pub fn with_search(self, decisions: zhifa_search::SearchIndex, lists: zhifa_search::ListIndex) -> Self {
        Self { search: Some(Arc::new(decisions)), lists: Some(Arc::new(lists)), search_checked: Arc::default(), ..self }
    }

    /// Derive the key that signs the public forms' questions from `secret`
    /// (the ledger key), so that every server of a deployment accepts them.
    #[must_use]
    pub fn with_form_key(self, secret: &[u8]) -> Self {
        use sha2::Digest;
        let key: [u8; 32] =
            sha2::Sha256::new().chain_update(b"zhifa/form-key/v1\n").chain_update(secret).finalize().into();
        Self { form_key: Arc::new(key), ..self }
    }

    /// How long publications stay, per category (PUB-4).
    #[must_use]
    pub fn with_retention(self, retention: zhifa_domain::publication::Retention) -> Self {
        Self { retention, ..self }
    }

    /// Look for the PDFs' CJK fonts in `dirs` (default: the system's font directories).
    #[must_use]
    pub fn with_font_dirs(self, dirs: Vec<std::path::PathBuf>) -> Self {
        Self { font_dirs: Arc::new(dirs), fonts: Arc::default(), ..self }
    }

    /// Serve `registry` too (its table must exist).
    #[must_use]
    pub fn with_registry(self, registry: &'static zhifa_domain::registry::RegistryInfo) -> Self {
        let registries: Vec<_> = self.registries.iter().copied().chain([registry]).collect();
        Self { registries: registries.into(), ..self }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The working-day calendar: public knowledge, so no actor is needed.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// The calendar with the next years it lacks estimated (REC-3).
    pub fn estimate(&self) -> &Calendar {
        &self.estimate
    }

    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// The command path: the one place that builds a [`Command`] and commits it.
    async fn commit(&self, actor: &Actor, reason: &str, changes: Vec<Change>) -> Result<Vec<Applied>> {
        if self.signer.is_none() {
            return Err(ServiceError::internal("read-only service"));
        }
        let command = Command { actor: actor.as_ref(), at: self.now(), reason: reason.to_owned(), changes };
        Ok(self.store.commit(&command).await?)
    }

    /// Commit one change and return the id of what it created or changed.
    async fn commit_one(&self, actor: &Actor, reason: &str, change: Change) -> Result<i64> {
        let applied = self.commit(actor, reason, vec![change]).await?;
        applied.first().map(|a| a.entity_id).ok_or_else(|| ServiceError::internal("nothing applied"))
    }
}
