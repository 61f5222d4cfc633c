//! Throwaway databases for tests: a fresh SQLite file always, and a fresh
//! PostgreSQL database when `ZHIFA_TEST_DATABASE_URL` is set (created from that
//! server, dropped afterwards). Use [`each_backend`].

use crate::Store;
use sqlx::{AnyConnection, Connection, Executor};
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

pub const PG_ENV: &str = "ZHIFA_TEST_DATABASE_URL";
/// If set, a file to which each finished PostgreSQL test appends a line, so
/// that CI can tell that PostgreSQL tests really ran.
pub const PG_MARKER_ENV: &str = "ZHIFA_TEST_PG_MARKER";

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("zhifa_test_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// The checkpoint key of test logs (fixed, so that tests are repeatable).
pub fn test_signer() -> zhifa_ledger::Signer {
    zhifa_ledger::Signer::from_seed(zhifa_ledger::SignerAlg::Sm2, "zhifa.test/ledger", &[42u8; 32])
        .unwrap_or_else(|e| panic!("test key: {e}"))
}

/// An SM3 / SM2 log named `zhifa.test/ledger`, signed by [`test_signer`].
pub fn test_ledger_meta() -> crate::LedgerMeta {
    crate::LedgerMeta {
        origin: "zhifa.test/ledger".into(),
        hash: zhifa_ledger::HashAlg::Sm3,
        signer: zhifa_ledger::SignerAlg::Sm2,
        public_key: test_signer().verifier().public_key_pem().unwrap_or_else(|e| panic!("test key: {e}")),
        created_at: jiff::Timestamp::UNIX_EPOCH,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite always; PostgreSQL when the environment names a server.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if std::env::var(PG_ENV).is_ok_and(|u| !u.is_empty()) {
        v.push(Backend::Postgres);
    }
    v
}

/// A migrated, empty database and what it takes to remove it.
pub struct TestDb {
    pub store: Store,
    pub backend: Backend,
    /// For SQLite, a directory that can also hold other files of the test.
    pub dir: PathBuf,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let name = unique_name();
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("temp dir: {e}"));
        let (store, pg) = match backend {
            Backend::Sqlite => (Store::open_data_dir(&dir).await.unwrap_or_else(|e| panic!("sqlite: {e}")), None),
            Backend::Postgres => {
                let admin = std::env::var(PG_ENV).unwrap_or_default();
                let mut conn = connect_admin(&admin).await;
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .unwrap_or_else(|e| panic!("create test database: {e}"));
                conn.close().await.ok();
                let url = with_database(&admin, &name);
                let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("postgres: {e}"));
                (store, Some((admin, name)))
            }
        };
        store.migrate().await.unwrap_or_else(|e| panic!("migrate: {e}"));
        store.init_ledger(&test_ledger_meta()).await.unwrap_or_else(|e| panic!("ledger: {e}"));
        TestDb { store, backend, dir, pg }
    }

    /// The database's URL, for a `zhifa` process of the test.
    pub fn url(&self) -> String {
        match &self.pg {
            Some((admin, name)) => with_database(admin, name),
            None => format!("sqlite://{}?mode=rwc", self.dir.join("zhifa.db").display()),
        }
    }

    /// Close and delete the database.
    pub async fn remove(self) {
        self.store.close().await;
        std::fs::remove_dir_all(&self.dir).ok();
        if let Some((admin, name)) = self.pg {
            let mut conn = connect_admin(&admin).await;
            conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .await
                .unwrap_or_else(|e| panic!("drop test database: {e}"));
            conn.close().await.ok();
            if let Ok(marker) = std::env::var(PG_MARKER_ENV) {
                use std::io::Write;
                if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(marker) {
                    writeln!(f, "{name}").ok();
                }
            }
        }
    }
}

async fn connect_admin(url: &str) -> AnyConnection {
    sqlx::any::install_default_drivers();
    AnyConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("{PG_ENV} is set but PostgreSQL is not reachable at {url}: {e}"))
}

/// Replace the database name in a `postgres://host/db?params` URL.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// Run `test` once per backend on a fresh database, removing the database
/// afterwards even when the test panics (the panic is then passed on).
pub async fn each_backend<F, Fut>(test: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let cleanup = TestDb { store: db.store.clone(), backend, dir: db.dir.clone(), pg: db.pg.clone() };
        let outcome = tokio::spawn(test(db)).await;
        cleanup.remove().await;
        if let Err(e) = outcome {
            match e.try_into_panic() {
                Ok(panic) => {
                    eprintln!("test failed on {backend:?}");
                    std::panic::resume_unwind(panic)
                }
                Err(e) => panic!("test task on {backend:?} did not finish: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(with_database("postgres://127.0.0.1:5432/test", "x"), "postgres://127.0.0.1:5432/x");
        assert_eq!(with_database("postgres://u@h/test?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
    }
}

/// Run a statement outside the command path: only for tests that prove the
/// database itself refuses something (e.g. editing `records`).
pub async fn execute_raw(store: &Store, sql: &'static str) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(sql).execute(&store.pool).await?.rows_affected())
}

/// Change the database behind the program's back, as an intruder with the
/// database password would: `statements` run in order on one connection
/// (so that a SQLite `PRAGMA` applies to the rest).
pub async fn tamper(store: &Store, statements: &[String]) {
    let mut conn = store.pool.acquire().await.unwrap_or_else(|e| panic!("tamper: {e}"));
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("tamper `{sql}`: {e}"));
    }
}

/// A registry's table, as the migration that adds a registry creates it
/// (see `ARCHITECTURE.md`): for registries defined inside tests.
pub async fn create_registry_table(store: &Store, table: &str) {
    let id = match store.dialect {
        crate::Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        crate::Dialect::Postgres => "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    };
    tamper(
        store,
        &[format!(
            "CREATE TABLE {table} (id {id}, agency_id BIGINT NOT NULL REFERENCES agencies (id), name TEXT NOT NULL, \
             data TEXT NOT NULL, version BIGINT NOT NULL, created_us BIGINT NOT NULL, updated_us BIGINT NOT NULL)"
        )],
    )
    .await;
}

/// Builders for test data.
pub mod build {
    use zhifa_domain::agency::{AgencyCode, AgencyData, AgencyKind, Domain};
    use zhifa_domain::people::{Category, CertificateData, Role, UserData, Username};
    use zhifa_domain::region::RegionCode;
    use zhifa_domain::registry::{ItemData, Level};
    use zhifa_domain::uscc::with_check_character;

    /// An agency in `region` with a valid USCC derived from `n`.
    pub fn agency(code: &str, region: &str, n: u32) -> AgencyData {
        let region = RegionCode::parse(region).unwrap_or_else(|e| panic!("{e}"));
        let uscc = with_check_character(&format!("11{}MB{:07}", region.as_str(), n)).unwrap_or_else(|e| panic!("{e}"));
        AgencyData {
            code: AgencyCode::parse(code).unwrap_or_else(|e| panic!("{e}")),
            name: format!("测试执法机关{n}"),
            uscc,
            region,
            domain: Domain::Market,
            kind: AgencyKind::Statutory,
            legal_basis: "《中华人民共和国行政处罚法》第十七条".into(),
            address: String::new(),
            number_prefix: String::new(),
            late_entry_days: None,
            phone: String::new(),
        }
    }

    pub fn user(username: &str, role: Role) -> UserData {
        UserData {
            username: Username::parse(username).unwrap_or_else(|e| panic!("{e}")),
            name: format!("测试{username}"),
            role,
            post: "科员".into(),
            legal_qualification: false,
            active: true,
        }
    }

    pub fn certificate(number: &str, region: &str) -> CertificateData {
        CertificateData {
            number: number.into(),
            categories: vec![Category::Penalty, Category::Inspection],
            region: RegionCode::parse(region).unwrap_or_else(|e| panic!("{e}")),
            valid_from: jiff::civil::date(2024, 1, 1),
            valid_to: jiff::civil::date(2028, 12, 31),
        }
    }

    pub fn item(name: &str) -> ItemData {
        ItemData {
            code: String::new(),
            name: name.into(),
            category: Category::Penalty,
            basis_law: "《中华人民共和国食品安全法》".into(),
            basis_article: "第一百二十四条".into(),
            basis_text: String::new(),
            level: Level::County,
            remarks: String::new(),
        }
    }
}
