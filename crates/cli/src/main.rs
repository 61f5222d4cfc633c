//! `zhifa`: the one binary of the platform.

mod args;
mod backup;
mod calendar;
mod data;
mod help;
mod ledger;
mod lists;
mod reports;
mod server;

use args::*;
use calendar::*;
use data::*;
use ledger::*;
use lists::*;
use reports::*;
use server::*;

use anyhow::{Context, Result};
use zhifa_service::{Actor, Service};

/// Threads hand rows and buffers to each other (verification, uploads);
/// mimalloc frees across threads without the lock contention of glibc's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CLI: Actor = Actor::System("cli");

#[tokio::main]
async fn main() -> Result<()> {
    zhifa_web::init_logging();
    let matches = help::chinese(<Cli as clap::CommandFactory>::command()).get_matches();
    let cli = <Cli as clap::FromArgMatches>::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
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
    let amounts = load_amounts(cli.amounts_dir.as_deref())?;
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
    let service = open(&cli.db, calendar).await?.with_procedures(procedures).with_amounts(amounts);
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
        Command::Inspect { quarter, region } => {
            let quarter =
                zhifa_domain::warning::inspection::Quarter::parse(&quarter).map_err(|e| anyhow::anyhow!("{e}"))?;
            let done = service.run_inspections(&CLI, quarter, region.as_deref()).await.context("网上巡查失败")?;
            println!("{}网上巡查：{} 个执法主体", quarter.label(), done.len());
            for d in done {
                let changed = if d.changed { "（已更新）" } else { "" };
                println!("{:<24} {:>3} 分  发现 {} 项{changed}", d.name, d.score, d.findings);
            }
        }
        Command::Supervise { daily, rebuild_figures, as_of } => {
            let service = match as_of {
                Some(day) => {
                    let day: jiff::civil::Date = day.parse().context("--as-of 应为 YYYY-MM-DD")?;
                    anyhow::ensure!(day >= service.today(), "--as-of 不能早于今天");
                    let at = day.at(12, 0, 0, 0).in_tz("Asia/Shanghai").context("--as-of")?.timestamp();
                    service.with_clock(std::sync::Arc::new(move || at))
                }
                None => service,
            };
            if rebuild_figures {
                let started = std::time::Instant::now();
                let n = service.rebuild_figures(|_| {}).await.context("统计汇总重算失败")?;
                println!("统计汇总：重算 {n} 个来源，用时 {:.1} 秒", started.elapsed().as_secs_f64());
            }
            let started = std::time::Instant::now();
            let report = if daily { service.warnings_daily_pass().await } else { service.catch_up_warnings().await }
                .context("预警评估失败")?;
            let secs = started.elapsed().as_secs_f64();
            let what = if daily { "每日评估" } else { "跟进记录" };
            println!(
                "预警{what}：读取事件 {} 个，评估对象 {} 个，新开预警 {} 条，变更 {} 条，用时 {secs:.1} 秒（每秒 {:.0} 个事件、{:.0} 个对象）",
                report.events,
                report.subjects,
                report.opened,
                report.changed,
                report.events as f64 / secs.max(1e-9),
                report.subjects as f64 / secs.max(1e-9),
            );
        }
        Command::Report(ReportCommand::Annual { year, agency, out }) => {
            annual_report(&service, year, agency.as_deref(), out.as_deref()).await?;
        }
        Command::Demo { no_serve, cases, serve: args } => {
            match zhifa_demo::create(&service).await {
                Ok(users) => {
                    println!("演示数据已创建。所有演示用户的密码均为：{}", zhifa_demo::DEMO_PASSWORD);
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
