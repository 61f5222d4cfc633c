//! The command line: every command and option (clap).

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "zhifa", version, about = "行政执法“三项制度”平台 Zhifa")]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// A directory of holiday files (`YYYY.txt`) that add years to the
    /// embedded calendar or replace them.
    #[arg(long, global = true, env = "ZHIFA_CALENDAR_DIR")]
    pub(crate) calendar_dir: Option<PathBuf>,
    /// A directory of procedure definitions (`*.toml`) that add procedures to
    /// the embedded ones or replace them (same `id`).
    #[arg(long, global = true, env = "ZHIFA_PROCEDURES_DIR")]
    pub(crate) procedures_dir: Option<PathBuf>,
    /// A directory of provinces' amounts (`*.toml`, e.g. `110000.toml`: the
    /// 较大数额 of art. 63) that add provinces to the embedded ones or
    /// replace them.
    #[arg(long, global = true, env = "ZHIFA_AMOUNTS_DIR")]
    pub(crate) amounts_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Args)]
pub(crate) struct DbArgs {
    /// Data directory: the embedded SQLite database and the ledger's signing key.
    #[arg(long, global = true, default_value = "./zhifa-data")]
    pub(crate) data: PathBuf,
    /// The ledger's checkpoint key (PKCS#8 PEM); default DATA/ledger-key.pem,
    /// created at first start.
    #[arg(long, global = true, env = "ZHIFA_SIGNING_KEY")]
    pub(crate) signing_key: Option<PathBuf>,
    /// Hash of a new ledger: sm3 or sha256 (an existing ledger keeps its own).
    #[arg(long, global = true, default_value = "sm3", value_parser = ["sm3", "sha256"])]
    pub(crate) ledger_hash: String,
    /// Checkpoint signature of a new ledger: sm2 or ed25519.
    #[arg(long, global = true, default_value = "sm2", value_parser = ["sm2", "ed25519"])]
    pub(crate) ledger_signer: String,
    /// PostgreSQL instead of SQLite: postgres://user@host/db
    #[arg(long, global = true, env = "ZHIFA_DATABASE_URL")]
    pub(crate) database_url: Option<String>,
    /// Keep evidence files in S3-compatible storage, `s3://bucket[/prefix]`
    /// (endpoint and keys from AWS_ENDPOINT, AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ALLOW_HTTP); default
    /// DATA/evidence. Uploads are staged under DATA/evidence/uploads either way.
    #[arg(long, global = true, env = "ZHIFA_EVIDENCE_STORE")]
    pub(crate) evidence_store: Option<String>,
    /// Months a published warning or 通报批评 stays on the portal (PUB-4).
    #[arg(long, global = true, default_value_t = 3, env = "ZHIFA_PUBLICATION_MONTHS_WARNING")]
    pub(crate) publication_months_warning: u16,
    /// Months any other published penalty stays.
    #[arg(long, global = true, default_value_t = 36, env = "ZHIFA_PUBLICATION_MONTHS_PENALTY")]
    pub(crate) publication_months_penalty: u16,
    /// Months other published decisions stay.
    #[arg(long, global = true, default_value_t = 36, env = "ZHIFA_PUBLICATION_MONTHS_OTHER")]
    pub(crate) publication_months_other: u16,
    /// A directory of CJK fonts (.ttf, .otf, .ttc) for PDFs; default the
    /// system's (/usr/share/fonts: Debian's fonts-noto-cjk).
    #[arg(long, global = true, env = "ZHIFA_FONT_DIR")]
    pub(crate) font_dir: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,
    /// Mark cookies Secure (behind HTTPS).
    #[arg(long)]
    pub(crate) secure_cookies: bool,
    /// Reached only through a reverse proxy that appends the client's address
    /// to X-Forwarded-For: count wrong passwords by that address.
    #[arg(long)]
    pub(crate) trust_forwarded_for: bool,
}

#[derive(Subcommand)]
pub(crate) enum Command {
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
    /// Run the quarterly online inspection (网上巡查, SUP-2) of every agency,
    /// or of a region's: each agency's report is kept, or updated if its
    /// findings changed.
    Inspect {
        /// The quarter, e.g. 2026Q3.
        #[arg(long)]
        quarter: String,
        /// A region code: only its agencies.
        #[arg(long)]
        region: Option<String>,
    },
    /// Bring the early warnings and the dashboard's sums up to date with
    /// everything recorded (as `serve` does every 2 s), printing how much
    /// was evaluated and how fast.
    Supervise {
        /// Run the day's pass instead: every subject a limit may have
        /// reached, and every subject with a warning open.
        #[arg(long)]
        daily: bool,
        /// Count the dashboard's sums again from nothing first.
        #[arg(long)]
        rebuild_figures: bool,
        /// For benchmarks on a copy of the data: run as if today were this
        /// later day (YYYY-MM-DD); what is found is recorded as found then.
        #[arg(long, hide = true)]
        as_of: Option<String>,
    },
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
pub(crate) enum CaseCommand {
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
pub(crate) enum ReportCommand {
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
pub(crate) enum LedgerCommand {
    /// Print the current signed checkpoint (keep copies: `zhifa verify --against`).
    Checkpoint,
}

#[derive(Subcommand)]
pub(crate) enum CalendarCommand {
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
pub(crate) struct PeriodArgs {
    /// Within N working days after the event.
    #[arg(long)]
    pub(crate) working_days: Option<u16>,
    /// Within N natural days after the event (moved past a final holiday).
    #[arg(long)]
    pub(crate) days: Option<u16>,
    /// A legal period by its id (see `zhifa calendar periods`).
    #[arg(long)]
    pub(crate) period: Option<String>,
}

#[derive(Subcommand)]
pub(crate) enum UserCommand {
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
pub(crate) enum TokenCommand {
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
pub(crate) struct ListArgs {
    /// `personnel` (执法人员名单) or a registry: `items` (执法事项清单),
    /// `inspection-items`, `service-guides`, `discretion-benchmarks`.
    pub(crate) list: String,
    pub(crate) file: PathBuf,
    /// The agency's code.
    #[arg(long)]
    pub(crate) agency: String,
}

pub(crate) fn date_arg(s: &str) -> Result<jiff::civil::Date, String> {
    s.parse().map_err(|_| format!("“{s}”不是有效的日期（应为 YYYY-MM-DD）"))
}
