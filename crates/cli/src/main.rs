//! `zhifa`: the one binary of the platform.

mod backup;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use zhifa_calendar::{Calendar, Period};
use zhifa_service::{Actor, Blobs, HashAlg, LedgerMeta, Service, Signer, SignerAlg, Store};
use zhifa_web::AppState;

/// Threads hand rows and buffers to each other (verification, uploads);
/// mimalloc frees across threads without the lock contention of glibc's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "zhifa", version, about = "行政执法“三项制度”平台 Zhifa")]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    /// A directory of holiday files (`YYYY.txt`) that add years to the
    /// embedded calendar or replace them.
    #[arg(long, global = true, env = "ZHIFA_CALENDAR_DIR")]
    calendar_dir: Option<PathBuf>,
    /// A directory of procedure definitions (`*.toml`) that add procedures to
    /// the embedded ones or replace them (same `id`).
    #[arg(long, global = true, env = "ZHIFA_PROCEDURES_DIR")]
    procedures_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
pub(crate) struct DbArgs {
    /// Data directory: the embedded SQLite database and the ledger's signing key.
    #[arg(long, global = true, default_value = "./zhifa-data")]
    data: PathBuf,
    /// The ledger's checkpoint key (PKCS#8 PEM); default DATA/ledger-key.pem,
    /// created at first start.
    #[arg(long, global = true, env = "ZHIFA_SIGNING_KEY")]
    signing_key: Option<PathBuf>,
    /// Hash of a new ledger: sm3 or sha256 (an existing ledger keeps its own).
    #[arg(long, global = true, default_value = "sm3", value_parser = ["sm3", "sha256"])]
    ledger_hash: String,
    /// Checkpoint signature of a new ledger: sm2 or ed25519.
    #[arg(long, global = true, default_value = "sm2", value_parser = ["sm2", "ed25519"])]
    ledger_signer: String,
    /// PostgreSQL instead of SQLite: postgres://user@host/db
    #[arg(long, global = true, env = "ZHIFA_DATABASE_URL")]
    database_url: Option<String>,
    /// Keep evidence files in S3-compatible storage, `s3://bucket[/prefix]`
    /// (endpoint and keys from AWS_ENDPOINT, AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ALLOW_HTTP); default
    /// DATA/evidence. Uploads are staged under DATA/evidence/uploads either way.
    #[arg(long, global = true, env = "ZHIFA_EVIDENCE_STORE")]
    evidence_store: Option<String>,
    /// Months a published warning or 通报批评 stays on the portal (PUB-4).
    #[arg(long, global = true, default_value_t = 3, env = "ZHIFA_PUBLICATION_MONTHS_WARNING")]
    publication_months_warning: u16,
    /// Months any other published penalty stays.
    #[arg(long, global = true, default_value_t = 36, env = "ZHIFA_PUBLICATION_MONTHS_PENALTY")]
    publication_months_penalty: u16,
    /// Months other published decisions stay.
    #[arg(long, global = true, default_value_t = 36, env = "ZHIFA_PUBLICATION_MONTHS_OTHER")]
    publication_months_other: u16,
    /// A directory of CJK fonts (.ttf, .otf, .ttc) for PDFs; default the
    /// system's (/usr/share/fonts: Debian's fonts-noto-cjk).
    #[arg(long, global = true, env = "ZHIFA_FONT_DIR")]
    font_dir: Option<PathBuf>,
}

/// Where evidence files are kept.
fn blobs(db: &DbArgs) -> Result<Blobs> {
    let root = db.data.join("evidence");
    match &db.evidence_store {
        Some(url) => Blobs::s3(root, url).with_context(|| format!("证据存储 {url} 无法使用")),
        None => Ok(Blobs::new(root)),
    }
}

#[derive(Args)]
struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Mark cookies Secure (behind HTTPS).
    #[arg(long)]
    secure_cookies: bool,
    /// Reached only through a reverse proxy that appends the client's address
    /// to X-Forwarded-For: count wrong passwords by that address.
    #[arg(long)]
    trust_forwarded_for: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the console and the API (migrates first).
    Serve(ServeArgs),
    /// Apply database migrations.
    Migrate,
    /// Copy the data directory — the SQLite database as a consistent
    /// snapshot, the evidence files and the ledger's key — into an empty
    /// directory, while the server runs.
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into an empty data directory (then run `zhifa verify`).
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// Create a demo province, print its users, and serve it.
    Demo {
        /// Only create the data, then exit.
        #[arg(long)]
        no_serve: bool,
        /// Also generate this many cases, spread over the demo's agencies
        /// and stages (streamed in batches; a million is fine).
        #[arg(long, default_value_t = 0)]
        cases: u64,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Bearer tokens for machine clients.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Import a list from Excel.
    Import(ListArgs),
    /// Export a list to Excel.
    Export(ListArgs),
    /// The working-day calendar and legal deadlines (needs no database).
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Recompute the whole ledger: every leaf from its record, every subtree,
    /// every checkpoint signature. Exits non-zero naming what does not match.
    Verify {
        /// Also prove that the ledger extends this checkpoint (a file kept earlier).
        #[arg(long)]
        against: Option<PathBuf>,
    },
    /// The tamper-evident ledger.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Rebuild this server's search indexes (published decisions, public lists) from the database.
    Reindex,
    /// Reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Cases.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Check an archive package offline, with no database: every file against
    /// its manifest, the manifest against the case's archiving record, every
    /// record against its leaf and its inclusion proof, the checkpoint's
    /// signature. Exits non-zero naming each entry that does not match.
    VerifyPackage {
        file: PathBuf,
        /// The platform's public key (PEM, from /api/v1/ledger/public-key);
        /// without it the key inside the package is used and its fingerprint printed.
        #[arg(long)]
        public_key: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum CaseCommand {
    /// List an agency's cases: number, procedure, stage and due date.
    List {
        /// The agency's code.
        #[arg(long)]
        agency: String,
        /// Only cases at this stage (its id, e.g. archived).
        #[arg(long)]
        stage: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Write the archive package of an archived case.
    Package {
        /// The case number, e.g. 杭西市监罚〔2025〕1号.
        number: String,
        #[arg(long, short)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Count and publish the annual report (统计年报) of a year, for one
    /// agency or every agency; `--out` also writes the workbook.
    Annual {
        #[arg(long)]
        year: i16,
        /// The agency's code; every agency if absent.
        #[arg(long)]
        agency: Option<String>,
        /// Write the report to this file: a PDF if it ends in .pdf, else an Excel workbook.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Print the current signed checkpoint (keep copies: `zhifa verify --against`).
    Checkpoint,
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Print each day as `YYYY-MM-DD KIND` (workday, weekend, holiday, swapped-workday).
    Days {
        #[arg(long, value_parser = date_arg)]
        from: jiff::civil::Date,
        #[arg(long, value_parser = date_arg)]
        to: jiff::civil::Date,
    },
    /// Print the due date on the first line, then how it was computed.
    Deadline {
        /// The day of the event; it does not count.
        #[arg(long, value_parser = date_arg)]
        from: jiff::civil::Date,
        #[command(flatten)]
        period: PeriodArgs,
    },
    /// The years with data and the notices they come from.
    Years,
    /// The legal periods and their units.
    Periods,
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct PeriodArgs {
    /// Within N working days after the event.
    #[arg(long)]
    working_days: Option<u16>,
    /// Within N natural days after the event (moved past a final holiday).
    #[arg(long)]
    days: Option<u16>,
    /// A legal period by its id (see `zhifa calendar periods`).
    #[arg(long)]
    period: Option<String>,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user to an agency; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        /// officer, head, reviewer, publicity_officer, supervisor or administrator
        #[arg(long)]
        role: String,
        /// The agency's code.
        #[arg(long)]
        agency: String,
        /// The person's name (defaults to the username).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password from standard input.
    Passwd {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token for a user and print it (it is shown only once).
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "命令行创建")]
        name: String,
    },
    /// Revoke a token by its id.
    Revoke { id: i64 },
}

#[derive(clap::Args)]
struct ListArgs {
    /// `personnel` (执法人员名单) or a registry: `items` (执法事项清单),
    /// `inspection-items`, `service-guides`, `discretion-benchmarks`.
    list: String,
    file: PathBuf,
    /// The agency's code.
    #[arg(long)]
    agency: String,
}

const CLI: Actor = Actor::System("cli");

fn date_arg(s: &str) -> Result<jiff::civil::Date, String> {
    s.parse().map_err(|_| format!("“{s}”不是有效的日期（应为 YYYY-MM-DD）"))
}

/// The embedded calendar with the files of `dir` added.
fn load_calendar(dir: Option<&Path>) -> Result<Calendar> {
    let mut builder = Calendar::builder();
    if let Some(dir) = dir {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("无法读取节假日目录 {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.sort();
        for path in files {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let text = std::fs::read_to_string(&path).with_context(|| format!("读取 {} 失败", path.display()))?;
            builder.add_file(&name, &text)?;
        }
    }
    Ok(builder.build()?)
}

/// The embedded procedures with the definitions of `dir` added.
fn load_procedures(dir: Option<&Path>) -> Result<zhifa_domain::case::procedure::Procedures> {
    let mut files = Vec::new();
    if let Some(dir) = dir {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("无法读取程序定义目录 {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).with_context(|| format!("读取 {} 失败", path.display()))?;
            files.push((path.display().to_string(), text));
        }
    }
    Ok(zhifa_domain::case::procedure::Procedures::load(&files)?)
}

/// Check an archive package with no database.
fn verify_package(file: &Path, public_key: Option<&Path>) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("读取 {} 失败", file.display()))?;
    let key = public_key
        .map(|p| std::fs::read_to_string(p).with_context(|| format!("读取公钥 {} 失败", p.display())))
        .transpose()?;
    let checked = zhifa_docs::archive::verify(&bytes, key.as_deref());
    println!(
        "案件 {}：已核对 {} 个文件、{} 条账本记录；检查点 {}（大小 {}）",
        checked.case_number, checked.files, checked.records, checked.origin, checked.size
    );
    if key.is_none() && !checked.key_fingerprint.is_empty() {
        println!("签名公钥指纹 {}（请与平台公布的公钥核对，或用 --public-key 指定）", checked.key_fingerprint);
    }
    for p in &checked.problems {
        println!("不符：{p}");
    }
    if !checked.problems.is_empty() {
        bail!("归档包校验未通过（{} 处不符）", checked.problems.len());
    }
    println!("归档包完好");
    Ok(())
}

fn calendar_command(calendar: &Calendar, command: CalendarCommand) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match command {
        CalendarCommand::Days { from, to } => {
            for day in calendar.days(from, to)? {
                writeln!(out, "{} {}", day.date, day.kind.code())?;
            }
        }
        CalendarCommand::Deadline { from, period } => {
            let period = match (period.working_days, period.days, period.period) {
                (Some(n), _, _) => Period::working_days(n)?,
                (_, Some(n), _) => Period::days(n)?,
                (_, _, Some(id)) => {
                    zhifa_calendar::legal_periods()?
                        .into_iter()
                        .find(|p| p.id == id)
                        .with_context(|| format!("没有编号为 {id} 的法定期限（见 zhifa calendar periods）"))?
                        .period
                }
                (None, None, None) => bail!("请给出 --working-days、--days 或 --period"),
            };
            let deadline = calendar.deadline(from, period)?;
            writeln!(out, "{}", deadline.due)?;
            for line in deadline.explain() {
                writeln!(out, "{line}")?;
            }
        }
        CalendarCommand::Years => {
            for y in calendar.years() {
                let origin = if y.embedded { "内置" } else { "管理员添加" };
                writeln!(
                    out,
                    "{} {} 放假{}天 调休上班{}天 {}",
                    y.year,
                    origin,
                    y.holidays,
                    y.swapped_workdays,
                    y.sources.join("；")
                )?;
            }
        }
        CalendarCommand::Periods => {
            for p in zhifa_calendar::legal_periods()? {
                writeln!(out, "{} {} {} {}", p.id, p.period, p.name, p.basis)?;
            }
        }
    }
    Ok(())
}

async fn connect(db: &DbArgs) -> Result<Store> {
    let store = match &db.database_url {
        Some(url) => Store::connect(url).await.context("连接数据库失败")?,
        None => {
            Store::open_data_dir(&db.data).await.with_context(|| format!("打开数据目录 {} 失败", db.data.display()))?
        }
    };
    store.migrate().await.context("数据库迁移失败")?;
    Ok(store)
}

/// The ledger's signing key: read, or created with `alg` (readable only by its owner).
fn load_or_create_key(path: &Path, alg: SignerAlg) -> Result<String> {
    if path.exists() {
        return std::fs::read_to_string(path).with_context(|| format!("读取签名密钥 {} 失败", path.display()));
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("无法获取随机数：{e}"))?;
    let pem = Signer::from_seed(alg, "zhifa", &seed)?.to_pkcs8_pem()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("无法创建目录 {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("无法创建签名密钥 {}", path.display()))?;
    std::io::Write::write_all(&mut file, pem.as_bytes())?;
    eprintln!("已创建账本签名密钥 {}（请妥善备份，切勿外泄）", path.display());
    Ok(pem)
}

/// The store, its ledger (created on first start) and a service that signs
/// checkpoints with the ledger's key.
async fn open(db: &DbArgs, calendar: Calendar) -> Result<Service> {
    let store = connect(db).await?;
    let existing = store.ledger_meta().await?;
    let signer_alg =
        existing.as_ref().map_or_else(|| SignerAlg::parse(&db.ledger_signer).unwrap_or(SignerAlg::Sm2), |m| m.signer);
    let key_path = db.signing_key.clone().unwrap_or_else(|| db.data.join("ledger-key.pem"));
    let pem = load_or_create_key(&key_path, signer_alg)?;
    let key = Signer::from_pkcs8_pem("zhifa", &pem).context("签名密钥无法读取")?;
    let meta = match existing {
        Some(meta) => meta,
        None => {
            let mut suffix = [0u8; 4];
            getrandom::fill(&mut suffix).map_err(|e| anyhow::anyhow!("无法获取随机数：{e}"))?;
            store
                .init_ledger(&LedgerMeta {
                    origin: format!("zhifa.local/ledger/{}", zhifa_ledger::hex(&suffix)),
                    hash: HashAlg::parse(&db.ledger_hash).unwrap_or(HashAlg::Sm3),
                    signer: key.alg(),
                    public_key: key.verifier().public_key_pem()?,
                    created_at: jiff::Timestamp::now(),
                })
                .await?
        }
    };
    if meta.public_key != key.verifier().public_key_pem()? {
        bail!("签名密钥 {} 不是该账本的密钥（账本公钥见 /api/v1/ledger/public-key）", key_path.display());
    }
    let signer = Signer::from_pkcs8_pem(&meta.origin, &pem)?;
    let service = Service::new(store, calendar, signer)
        .with_blobs(blobs(db)?)
        .with_search(search_index(db)?, list_index(db)?)
        .with_form_key(pem.as_bytes())
        .with_retention(zhifa_domain::publication::Retention {
            light_penalty_months: db.publication_months_warning,
            penalty_months: db.publication_months_penalty,
            other_months: db.publication_months_other,
        });
    Ok(match &db.font_dir {
        Some(dir) => service.with_font_dirs(vec![dir.clone()]),
        None => service,
    })
}

/// This server's search index, `DATA/search`. Another process holding it
/// (a second server on the same data directory) leaves this one an index in
/// memory, filled from the outbox at its first search.
fn search_index(db: &DbArgs) -> Result<zhifa_search::SearchIndex> {
    let dir = db.data.join("search");
    match zhifa_search::SearchIndex::open(&dir) {
        Ok(index) => Ok(index),
        Err(e) => {
            tracing::warn!(error = %e, dir = %dir.display(), "search index in use; keeping one in memory");
            zhifa_search::SearchIndex::in_memory().context("无法创建检索索引")
        }
    }
}

/// This server's index of the agencies' public lists, `DATA/search-lists`
/// (in memory when another process holds it, as for `search_index`).
fn list_index(db: &DbArgs) -> Result<zhifa_search::ListIndex> {
    let dir = db.data.join("search-lists");
    match zhifa_search::ListIndex::open(&dir) {
        Ok(index) => Ok(index),
        Err(e) => {
            tracing::warn!(error = %e, dir = %dir.display(), "list index in use; keeping one in memory");
            zhifa_search::ListIndex::in_memory().context("无法创建检索索引")
        }
    }
}

/// Publish the annual reports of `year` and, with `out`, write the workbook.
async fn annual_report(service: &Service, year: i16, agency: Option<&str>, out: Option<&Path>) -> Result<()> {
    use std::io::Write;
    let figures: Vec<(String, zhifa_domain::report::AnnualFigures)> = match agency {
        Some(code) => {
            let a = service.agency_by_code(&CLI, code).await.with_context(|| format!("找不到执法主体 {code}"))?;
            let f = service
                .publish_annual_report(&CLI, a.id, year)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("{} 的年报生成失败", a.data.name))?;
            vec![(a.data.name, f)]
        }
        None => {
            eprint!("统计 {year} 年度全部案件……");
            std::io::stderr().flush().ok();
            let published = service
                .publish_annual_reports(&CLI, year, |done, total| {
                    eprint!("\r公布 {year} 年度年报：{done}/{total}        ");
                    std::io::stderr().flush().ok();
                })
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))
                .context("年报生成失败")?;
            eprintln!();
            published.into_iter().map(|(a, f)| (a.data.name, f)).collect()
        }
    };
    let total = figures.len();
    let mut sum = zhifa_domain::report::AnnualFigures::new(year);
    sum.agencies = 0;
    for (_, f) in &figures {
        sum.add(f);
    }
    println!(
        "已公布 {total} 个执法机关的 {year} 年度年报（应于 {} 前公布）：处罚决定 {} 件，许可决定 {} 件，公示按时率 {}",
        zhifa_domain::report::pub_6_due(year),
        sum.penalties,
        sum.permits_granted + sum.permits_refused,
        sum.on_time_rate().map_or_else(|| "—".to_owned(), |r| format!("{r:.1}%"))
    );
    if let Some(out) = out {
        let each = if figures.len() > 1 { figures.as_slice() } else { &[] };
        let pdf = out.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
        let bytes = if pdf {
            let title = match (agency, figures.as_slice()) {
                (Some(_), [(name, _)]) => format!("{name} {year} 年度行政执法统计年报"),
                _ => format!("{year} 年度行政执法统计年报"),
            };
            service.report_pdf(&title, &sum, each).await.map_err(|e| anyhow::anyhow!("{e}"))?
        } else {
            zhifa_service::report::workbook(&sum, each).map_err(|e| anyhow::anyhow!("{e}"))?
        };
        std::fs::write(out, bytes).with_context(|| format!("写入 {} 失败", out.display()))?;
        println!("年报{}已写出：{}", if pdf { " PDF " } else { "工作簿" }, out.display());
    }
    Ok(())
}

/// Rebuild the search index with a progress line.
async fn reindex(service: &Service) -> Result<()> {
    use std::io::Write;
    let started = std::time::Instant::now();
    let n = service
        .reindex(|done, total| {
            eprint!("\r重建检索索引：{done}/{total} 条公示");
            std::io::stderr().flush().ok();
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("重建检索索引失败")?;
    eprintln!();
    println!("检索索引已重建：{n} 条公示及各机关公示清单，用时 {:.1} 秒", started.elapsed().as_secs_f64());
    Ok(())
}

fn read_password() -> Result<String> {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).context("读取标准输入失败")?;
    let p = s.trim_end_matches(['\n', '\r']).to_owned();
    if p.is_empty() {
        bail!("标准输入中没有密码");
    }
    Ok(p)
}

async fn serve(service: Service, args: &ServeArgs) -> Result<()> {
    // The search index follows the outbox from where it stopped.
    let follower = service.clone();
    tokio::spawn(async move {
        if let Err(e) = follower.catch_up_search().await {
            tracing::error!(error = %e, "search index catch-up");
        }
    });
    let state = AppState::behind_proxy(service, args.secure_cookies, args.trust_forwarded_for);
    zhifa_web::serve(state, args.listen, |addr| {
        use std::io::Write;
        println!("Zhifa 正在 http://{addr}/console 提供服务，公示门户 http://{addr}/（Ctrl-C 停止）");
        std::io::stdout().flush().ok();
    })
    .await
    .with_context(|| format!("无法在 {} 上监听", args.listen))
}

async fn verify(service: Service, against: Option<&Path>) -> Result<()> {
    use std::io::Write;
    let mut last_phase = "";
    let report = service
        .verify(|p| {
            if p.phase != last_phase {
                if !last_phase.is_empty() {
                    eprintln!();
                }
                last_phase = p.phase;
            }
            eprint!("\r校验{}：{}/{}", p.phase, p.done, p.total);
            std::io::stderr().flush().ok();
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!();
    println!(
        "已校验 {} 个叶子、{} 个子树节点、{} 个检查点、{} 行登记信息、{} 个音像文件",
        report.leaves, report.nodes, report.checkpoints, report.rows, report.files
    );
    let mut failed = !report.problems.is_empty();
    for p in &report.problems {
        println!("不符：{p}");
    }
    if let Some(file) = against {
        let note = std::fs::read_to_string(file).with_context(|| format!("读取 {} 失败", file.display()))?;
        match service.verify_against(&note).await.map_err(|e| anyhow::anyhow!("{e}"))? {
            Ok(size) => println!("当前日志（{size} 个叶子）是 {} 中检查点的延续", file.display()),
            Err(why) => {
                println!("不符：{why}");
                failed = true;
            }
        }
    }
    if failed {
        bail!("账本校验未通过（{} 处不符）", report.problems.len().max(1));
    }
    println!("账本完好");
    Ok(())
}

/// Generate `n` demo cases with a progress line.
async fn bulk_cases(service: &Service, n: u64) -> Result<()> {
    use std::io::Write;
    let started = std::time::Instant::now();
    service
        .create_bulk_demo_cases(n, |done| {
            let secs = started.elapsed().as_secs_f64();
            eprint!("\r生成演示案件：{done}/{n}（{:.0} 件/秒）", done as f64 / secs.max(0.001));
            std::io::stderr().flush().ok();
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("生成演示案件失败")?;
    eprintln!();
    println!("已生成 {n} 件演示案件（已作出的决定均已公示），用时 {:.1} 秒", started.elapsed().as_secs_f64());
    reindex(service).await
}

/// The agency and the registry of a list (`None`: the personnel list).
async fn list_target(
    service: &Service,
    list: &ListArgs,
) -> Result<(zhifa_service::Agency, Option<&'static zhifa_domain::registry::RegistryInfo>)> {
    let registry = match list.list.as_str() {
        "personnel" => None,
        slug => Some(service.registry(slug).with_context(|| {
            let known: Vec<&str> = service.registries().iter().map(|r| r.names.slug).collect();
            format!("没有名为 {slug} 的清单（可用：personnel、{}）", known.join("、"))
        })?),
    };
    let code = &list.agency;
    let agency = service.agency_by_code(&CLI, code).await.with_context(|| format!("找不到执法主体 {code}"))?;
    Ok((agency, registry))
}

#[tokio::main]
async fn main() -> Result<()> {
    zhifa_web::init_logging();
    let cli = Cli::parse();
    let calendar = load_calendar(cli.calendar_dir.as_deref())?;
    if let Command::Calendar(command) = cli.command {
        return calendar_command(&calendar, command);
    }
    if let Command::VerifyPackage { file, public_key } = &cli.command {
        return verify_package(file, public_key.as_deref());
    }
    if let Command::Restore { from } = &cli.command {
        return backup::restore(&cli.db, from);
    }
    let procedures = load_procedures(cli.procedures_dir.as_deref())?;
    match &cli.command {
        Command::Backup { to } => {
            let store = connect(&cli.db).await?;
            return backup::backup(&cli.db, &store, to).await;
        }
        Command::Verify { against } => {
            let service = Service::read_only(connect(&cli.db).await?, calendar).with_blobs(blobs(&cli.db)?);
            return verify(service, against.as_deref()).await;
        }
        Command::Ledger(LedgerCommand::Checkpoint) => {
            let service = Service::read_only(connect(&cli.db).await?, calendar);
            print!(
                "{}",
                service.checkpoint().await.map_err(|e| anyhow::anyhow!("{e}")).context("账本还没有检查点")?.note
            );
            return Ok(());
        }
        _ => {}
    }
    let service = open(&cli.db, calendar).await?.with_procedures(procedures);
    match cli.command {
        Command::Calendar(_)
        | Command::Verify { .. }
        | Command::Ledger(_)
        | Command::VerifyPackage { .. }
        | Command::Backup { .. }
        | Command::Restore { .. } => {}
        Command::Case(CaseCommand::List { agency, stage, limit }) => {
            let agency =
                service.agency_by_code(&CLI, &agency).await.with_context(|| format!("找不到执法主体 {agency}"))?;
            let filter = zhifa_service::CaseFilter { agency: Some(agency.id), stage, limit, ..Default::default() };
            for c in service.store().cases(&filter).await? {
                let due = c.due_on.map(|d| d.to_string()).unwrap_or_default();
                println!("{}\t{}\t{}\t{due}", c.number, c.data.procedure, c.stage);
            }
        }
        Command::Case(CaseCommand::Package { number, out }) => {
            let case = service.case_by_number(&CLI, &number).await.with_context(|| format!("找不到案件 {number}"))?;
            let bytes = service.archive_package(&CLI, case.id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            std::fs::write(&out, bytes).with_context(|| format!("写入 {} 失败", out.display()))?;
            println!("已写出 {} 的归档包 {}", number, out.display());
        }
        Command::Serve(args) => serve(service, &args).await?,
        Command::Migrate => println!("数据库已是最新版本"),
        Command::Reindex => reindex(&service).await?,
        Command::Report(ReportCommand::Annual { year, agency, out }) => {
            annual_report(&service, year, agency.as_deref(), out.as_deref()).await?;
        }
        Command::Demo { no_serve, cases, serve: args } => {
            match service.create_demo().await {
                Ok(users) => {
                    println!("演示数据已创建。所有演示用户的密码均为：{}", zhifa_service::demo::DEMO_PASSWORD);
                    println!("{:<16} {:<12} 执法主体", "用户名", "角色");
                    for u in users {
                        println!("{:<18} {:<10} {}", u.username, u.role.label(), u.agency);
                    }
                }
                Err(zhifa_service::ServiceError::Duplicate(_)) => println!("演示数据已存在，直接使用。"),
                Err(e) => return Err(anyhow::anyhow!("{e}")).context("创建演示数据失败"),
            }
            if cases > 0 {
                bulk_cases(&service, cases).await?;
            }
            if !no_serve {
                serve(service, &args).await?;
            }
        }
        Command::User(UserCommand::Add { username, role, agency, name, password_stdin }) => {
            let agency =
                service.agency_by_code(&CLI, &agency).await.with_context(|| format!("找不到执法主体 {agency}"))?;
            let password = if password_stdin { Some(read_password()?) } else { None };
            let form = zhifa_domain::people::UserForm {
                name: name.unwrap_or_else(|| username.clone()),
                username,
                role,
                ..Default::default()
            };
            let id = service
                .create_user(&CLI, agency.id, &form, password.as_deref())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("已添加用户 {}（编号 {id}）", form.username);
        }
        Command::User(UserCommand::Passwd { username }) => {
            let user =
                service.user_by_username(&CLI, &username).await.with_context(|| format!("找不到用户 {username}"))?;
            service.set_password(&CLI, user.user.id, &read_password()?).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("已更新 {username} 的密码");
        }
        Command::Token(TokenCommand::Create { user, name }) => {
            let row = service.user_by_username(&CLI, &user).await.with_context(|| format!("找不到用户 {user}"))?;
            let (_, token) =
                service.create_token(&CLI, row.user.id, &name).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{token}");
        }
        Command::Token(TokenCommand::Revoke { id }) => {
            service.revoke_token(&CLI, zhifa_domain::ids::TokenId(id)).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("已吊销令牌 {id}");
        }
        Command::Import(list) => {
            let (agency, registry) = list_target(&service, &list).await?;
            let file = &list.file;
            let bytes = std::fs::read(file).with_context(|| format!("读取 {} 失败", file.display()))?;
            let report = match registry {
                Some(r) => service.import_registry(&CLI, r, agency.id, &bytes).await,
                None => service.import_personnel(&CLI, agency.id, &bytes).await,
            }
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("已导入 {} 条", report.created);
        }
        Command::Export(list) => {
            let (agency, registry) = list_target(&service, &list).await?;
            let file = &list.file;
            let bytes = match registry {
                Some(r) => service.export_registry(&CLI, r, agency.id).await,
                None => service.export_personnel(&CLI, agency.id).await,
            }
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            std::fs::write(file, bytes).with_context(|| format!("写入 {} 失败", file.display()))?;
            println!("已导出到 {}", file.display());
        }
    }
    Ok(())
}
