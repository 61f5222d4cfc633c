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

/// A column of the schema as the database has it (not as the code thinks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaColumn {
    pub table: String,
    pub column: String,
    /// `text`, `integer` or `bytes`.
    pub kind: &'static str,
    pub nullable: bool,
    pub primary_key: bool,
}

/// Every column of every table of the database, in order, read from its
/// catalogue (SQLite's `sqlite_master` and `pragma_table_info`,
/// PostgreSQL's `information_schema`).
pub async fn schema_columns(store: &Store) -> Vec<SchemaColumn> {
    use sqlx::Row;
    let kind = |t: &str| {
        let t = t.to_ascii_lowercase();
        if t.contains("int") {
            "integer"
        } else if t.contains("blob") || t.contains("bytea") {
            "bytes"
        } else {
            "text"
        }
    };
    let sql = match store.dialect {
        crate::Dialect::Sqlite => {
            "SELECT m.name AS t, p.name AS c, p.type AS ty, p.\"notnull\" = 0 AS nullable, p.pk > 0 AS pk \
             FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid"
        }
        crate::Dialect::Postgres => {
            "SELECT c.table_name::text AS t, c.column_name::text AS c, c.data_type::text AS ty, \
             (c.is_nullable = 'YES')::int::bigint AS nullable, (EXISTS (SELECT 1 FROM information_schema.key_column_usage k \
             JOIN information_schema.table_constraints tc ON tc.constraint_name = k.constraint_name \
             AND tc.table_schema = k.table_schema WHERE tc.constraint_type = 'PRIMARY KEY' \
             AND k.table_schema = c.table_schema AND k.table_name = c.table_name AND k.column_name = c.column_name))::int::bigint AS pk \
             FROM information_schema.columns c WHERE c.table_schema = current_schema() \
             ORDER BY c.table_name, c.ordinal_position"
        }
    };
    let rows = sqlx::query(sql).fetch_all(&store.pool).await.unwrap_or_else(|e| panic!("schema: {e}"));
    rows.iter()
        .map(|r| SchemaColumn {
            table: r.get("t"),
            column: r.get("c"),
            kind: kind(&r.get::<String, _>("ty")),
            nullable: r.get::<i64, _>("nullable") != 0,
            primary_key: r.get::<i64, _>("pk") != 0,
        })
        .collect()
}

/// The first column of the first row `sql` answers, as text (`None`: no
/// row, or NULL).
pub async fn query_text(store: &Store, sql: &str) -> Option<String> {
    sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_optional(&store.pool)
        .await
        .unwrap_or_else(|e| panic!("`{sql}`: {e}"))
        .flatten()
}

/// Statements that take away `table`'s guards (its triggers, and foreign
/// keys), as an intruder would, and statements that put them back.
pub async fn guards_off(store: &Store, table: &str) -> (Vec<String>, Vec<String>) {
    match store.dialect {
        crate::Dialect::Sqlite => {
            let triggers: Vec<(String, String)> =
                sqlx::query_as("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = $1")
                    .bind(table)
                    .fetch_all(&store.pool)
                    .await
                    .unwrap_or_else(|e| panic!("triggers of {table}: {e}"));
            let mut off = vec!["PRAGMA foreign_keys = OFF".to_owned()];
            off.extend(triggers.iter().map(|(name, _)| format!("DROP TRIGGER {name}")));
            let mut on: Vec<String> = triggers.into_iter().map(|(_, sql)| sql).collect();
            on.push("PRAGMA foreign_keys = ON".to_owned());
            (off, on)
        }
        crate::Dialect::Postgres => (
            vec![format!("ALTER TABLE {table} DISABLE TRIGGER ALL")],
            vec![format!("ALTER TABLE {table} ENABLE TRIGGER ALL")],
        ),
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
