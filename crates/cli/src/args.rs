//! The command line: every command and option (clap).

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "zhifa", version, about = "行政执法“三项制度”平台 Zhifa")]
// The help's own words are made Chinese by `help::chinese`.
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// 节假日文件目录（`YYYY.txt`）：增补或替换内置日历的年份
    #[arg(long, global = true, env = "ZHIFA_CALENDAR_DIR")]
    pub(crate) calendar_dir: Option<PathBuf>,
    /// 程序定义目录（`*.toml`）：增补或替换（`id` 相同时）内置的执法程序
    #[arg(long, global = true, env = "ZHIFA_PROCEDURES_DIR")]
    pub(crate) procedures_dir: Option<PathBuf>,
    /// 各省数额标准目录（`*.toml`，如 `110000.toml`：第六十三条的“较大数额”）：增补或替换内置标准
    #[arg(long, global = true, env = "ZHIFA_AMOUNTS_DIR")]
    pub(crate) amounts_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Args)]
pub(crate) struct DbArgs {
    /// 数据目录：内置的 SQLite 数据库和账本签名密钥
    #[arg(long, global = true, default_value = "./zhifa-data")]
    pub(crate) data: PathBuf,
    /// 账本检查点签名密钥（PKCS#8 PEM）；默认 DATA/ledger-key.pem，首次启动时生成
    #[arg(long, global = true, env = "ZHIFA_SIGNING_KEY")]
    pub(crate) signing_key: Option<PathBuf>,
    /// 新账本的哈希算法：sm3 或 sha256（已有账本沿用其原算法）
    #[arg(long, global = true, default_value = "sm3", value_parser = ["sm3", "sha256"])]
    pub(crate) ledger_hash: String,
    /// 新账本检查点的签名算法：sm2 或 ed25519
    #[arg(long, global = true, default_value = "sm2", value_parser = ["sm2", "ed25519"])]
    pub(crate) ledger_signer: String,
    /// 使用 PostgreSQL 而非 SQLite：postgres://用户@主机/数据库
    #[arg(long, global = true, env = "ZHIFA_DATABASE_URL")]
    pub(crate) database_url: Option<String>,
    /// 证据文件存放于兼容 S3 的对象存储：`s3://桶[/前缀]`（地址和密钥取自 AWS_ENDPOINT、AWS_ACCESS_KEY_ID、AWS_SECRET_ACCESS_KEY、AWS_REGION、AWS_ALLOW_HTTP）；默认 DATA/evidence。上传中的文件总是暂存于 DATA/evidence/uploads
    #[arg(long, global = true, env = "ZHIFA_EVIDENCE_STORE")]
    pub(crate) evidence_store: Option<String>,
    /// 警告、通报批评决定的公示月数（PUB-4）
    #[arg(long, global = true, default_value_t = 3, env = "ZHIFA_PUBLICATION_MONTHS_WARNING")]
    pub(crate) publication_months_warning: u16,
    /// 其他行政处罚决定的公示月数
    #[arg(long, global = true, default_value_t = 36, env = "ZHIFA_PUBLICATION_MONTHS_PENALTY")]
    pub(crate) publication_months_penalty: u16,
    /// 其他执法决定的公示月数
    #[arg(long, global = true, default_value_t = 36, env = "ZHIFA_PUBLICATION_MONTHS_OTHER")]
    pub(crate) publication_months_other: u16,
    /// 生成 PDF 所用的中文字体目录（.ttf、.otf、.ttc）；默认系统字体（/usr/share/fonts，Debian 的 fonts-noto-cjk）
    #[arg(long, global = true, env = "ZHIFA_FONT_DIR")]
    pub(crate) font_dir: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// 监听地址
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,
    /// Cookie 标记为 Secure（部署在 HTTPS 之后时）
    #[arg(long)]
    pub(crate) secure_cookies: bool,
    /// 仅经由在 X-Forwarded-For 中追加客户端地址的反向代理访问：按该地址统计密码错误次数
    #[arg(long)]
    pub(crate) trust_forwarded_for: bool,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// 启动控制台、公示网站和接口服务（先执行数据库迁移）
    Serve(ServeArgs),
    /// 执行数据库迁移
    Migrate,
    /// 在服务运行时把数据目录（SQLite 数据库的一致快照、证据文件、账本密钥）备份到一个空目录
    Backup {
        /// 备份到的空目录
        #[arg(long)]
        to: PathBuf,
    },
    /// 把备份恢复到一个空的数据目录（之后请运行 `zhifa verify`）
    Restore {
        /// 备份所在目录
        #[arg(long)]
        from: PathBuf,
    },
    /// 创建演示省份的数据，列出演示用户，并启动服务
    Demo {
        /// 只创建数据，然后退出
        #[arg(long)]
        no_serve: bool,
        /// 另外生成若干件案件，分布于各演示机关和各办案环节（分批写入，一百万件亦可）
        #[arg(long, default_value_t = 0)]
        cases: u64,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// 管理用户
    #[command(subcommand)]
    User(UserCommand),
    /// 供程序调用接口使用的令牌（Bearer token）
    #[command(subcommand)]
    Token(TokenCommand),
    /// 从 Excel 导入清单
    Import(ListArgs),
    /// 把清单导出为 Excel
    Export(ListArgs),
    /// 工作日日历和法定期限计算（无需数据库）
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// 重新计算整个账本：每条记录的叶子、每棵子树、每个检查点签名；有不符时列出并以非零状态退出
    Verify {
        /// 同时证明账本是此前保存的该检查点文件的延续
        #[arg(long)]
        against: Option<PathBuf>,
    },
    /// 防篡改账本
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// 对全部或某地区的执法主体开展季度网上巡查（SUP-2）：保存每个主体的巡查报告，发现有变化时更新
    Inspect {
        /// 季度，如 2026Q3
        #[arg(long)]
        quarter: String,
        /// 行政区划代码：只巡查该地区的执法主体
        #[arg(long)]
        region: Option<String>,
    },
    /// 按全部记录更新预警和监督统计汇总（与服务每 2 秒所做的相同），并显示评估数量和速度
    Supervise {
        /// 改为执行每日评估：时钟已到期的对象和全部执法主体
        #[arg(long)]
        daily: bool,
        /// 先从头重算监督统计汇总
        #[arg(long)]
        rebuild_figures: bool,
        /// 供在数据副本上做基准测试：按今天之后的某日（YYYY-MM-DD）执行，发现的问题记为当日发现
        #[arg(long, hide = true)]
        as_of: Option<String>,
    },
    /// 从数据库重建本服务器的检索索引（公示决定、公示清单）
    Reindex,
    /// 统计报告
    #[command(subcommand)]
    Report(ReportCommand),
    /// 案件
    #[command(subcommand)]
    Case(CaseCommand),
    /// 离线校验归档包（无需数据库）：每个文件与清单、清单与归档记录、每条记录与其叶子和包含证明、检查点签名；有不符时逐项列出并以非零状态退出
    VerifyPackage {
        /// 归档包文件
        file: PathBuf,
        /// 平台公钥（PEM，取自 /api/v1/ledger/public-key）；不指定时使用归档包内的公钥并显示其指纹
        #[arg(long)]
        public_key: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub(crate) enum CaseCommand {
    /// 列出执法主体的案件：案号、程序、环节和期限
    List {
        /// 执法主体代码
        #[arg(long)]
        agency: String,
        /// 只列出处于该环节的案件（环节代码，如 archived）
        #[arg(long)]
        stage: Option<String>,
        /// 最多列出的件数
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// 输出已归档案件的归档包
    Package {
        /// 案号，如 杭西市监罚〔2025〕1号
        number: String,
        /// 输出文件
        #[arg(long, short)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
pub(crate) enum ReportCommand {
    /// 统计并公布某一年度的统计年报（一个或全部执法主体）；指定 `--out` 时同时输出文件
    Annual {
        /// 年度
        #[arg(long)]
        year: i16,
        /// 执法主体代码；不指定时为全部执法主体
        #[arg(long)]
        agency: Option<String>,
        /// 输出到该文件：以 .pdf 结尾时为 PDF，否则为 Excel 工作簿
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub(crate) enum LedgerCommand {
    /// 显示当前已签名的检查点（请留存副本，供 `zhifa verify --against` 使用）
    Checkpoint,
}

#[derive(Subcommand)]
pub(crate) enum CalendarCommand {
    /// 逐日显示 `YYYY-MM-DD 类别`（workday 工作日、weekend 周末、holiday 节假日、swapped-workday 调休上班）
    Days {
        /// 起始日期（YYYY-MM-DD）
        #[arg(long, value_parser = date_arg)]
        from: jiff::civil::Date,
        /// 截止日期（YYYY-MM-DD）
        #[arg(long, value_parser = date_arg)]
        to: jiff::civil::Date,
    },
    /// 第一行显示期限届满日，其后显示计算过程
    Deadline {
        /// 事件发生之日（不计入期限）
        #[arg(long, value_parser = date_arg)]
        from: jiff::civil::Date,
        #[command(flatten)]
        period: PeriodArgs,
    },
    /// 已有数据的年份及其依据的通知
    Years,
    /// 法定期限及其计算单位
    Periods,
}

#[derive(Args)]
#[group(required = true, multiple = false)]
pub(crate) struct PeriodArgs {
    /// 事件发生后 N 个工作日内
    #[arg(long)]
    pub(crate) working_days: Option<u16>,
    /// 事件发生后 N 日内（期满日为节假日的顺延）
    #[arg(long)]
    pub(crate) days: Option<u16>,
    /// 法定期限代码（见 `zhifa calendar periods`）
    #[arg(long)]
    pub(crate) period: Option<String>,
}

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// 为执法主体添加用户；密码从标准输入读取
    Add {
        /// 登录名
        #[arg(long)]
        username: String,
        /// 角色：officer 执法人员、head 负责人、reviewer 法制审核人员、publicity_officer 公示专员、supervisor 监督人员、administrator 管理员
        #[arg(long)]
        role: String,
        /// 执法主体代码
        #[arg(long)]
        agency: String,
        /// 姓名（默认与登录名相同）
        #[arg(long)]
        name: Option<String>,
        /// 从标准输入读取密码
        #[arg(long)]
        password_stdin: bool,
    },
    /// 从标准输入读取并设置用户密码
    Passwd {
        /// 登录名
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// 为用户创建令牌并显示（只显示这一次）
    Create {
        /// 登录名
        #[arg(long)]
        user: String,
        /// 令牌名称
        #[arg(long, default_value = "命令行创建")]
        name: String,
    },
    /// 按编号吊销令牌
    Revoke {
        /// 令牌编号
        id: i64,
    },
}

#[derive(clap::Args)]
pub(crate) struct ListArgs {
    /// 清单：personnel（执法人员名单）、items（执法事项清单）、inspection-items（检查事项清单）、service-guides（服务指南）、discretion-benchmarks（裁量基准）
    pub(crate) list: String,
    /// Excel 文件
    pub(crate) file: PathBuf,
    /// 执法主体代码
    #[arg(long)]
    pub(crate) agency: String,
}

pub(crate) fn date_arg(s: &str) -> Result<jiff::civil::Date, String> {
    s.parse().map_err(|_| format!("“{s}”不是有效的日期（应为 YYYY-MM-DD）"))
}
