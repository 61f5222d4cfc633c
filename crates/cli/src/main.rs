//! `zhifa`: the one binary of the platform.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use zhifa_service::{Actor, Service, Store};
use zhifa_web::AppState;

#[derive(Parser)]
#[command(name = "zhifa", version, about = "行政执法“三项制度”平台 Zhifa")]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct DbArgs {
    /// Data directory of the embedded SQLite database.
    #[arg(long, global = true, default_value = "./zhifa-data")]
    data: PathBuf,
    /// PostgreSQL instead of SQLite: postgres://user@host/db
    #[arg(long, global = true, env = "ZHIFA_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Args)]
struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Mark cookies Secure (behind HTTPS).
    #[arg(long)]
    secure_cookies: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the console and the API (migrates first).
    Serve(ServeArgs),
    /// Apply database migrations.
    Migrate,
    /// Create a demo province, print its users, and serve it.
    Demo {
        /// Only create the data, then exit.
        #[arg(long)]
        no_serve: bool,
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
    #[command(subcommand)]
    Import(ListCommand),
    /// Export a list to Excel.
    #[command(subcommand)]
    Export(ListCommand),
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

#[derive(Subcommand)]
enum ListCommand {
    /// The enforcement item list (执法事项清单).
    Items {
        file: PathBuf,
        #[arg(long)]
        agency: String,
    },
    /// The personnel list (执法人员名单).
    Personnel {
        file: PathBuf,
        #[arg(long)]
        agency: String,
    },
}

const CLI: Actor = Actor::System("cli");

async fn open(db: &DbArgs) -> Result<Service> {
    let store = match &db.database_url {
        Some(url) => Store::connect(url).await.context("连接数据库失败")?,
        None => {
            Store::open_data_dir(&db.data).await.with_context(|| format!("打开数据目录 {} 失败", db.data.display()))?
        }
    };
    store.migrate().await.context("数据库迁移失败")?;
    Ok(Service::new(store))
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
    println!("Zhifa 正在 http://{}/console 提供服务（Ctrl-C 停止）", args.listen);
    zhifa_web::serve(AppState { service, secure_cookies: args.secure_cookies }, args.listen)
        .await
        .with_context(|| format!("无法在 {} 上监听", args.listen))
}

#[tokio::main]
async fn main() -> Result<()> {
    zhifa_web::init_logging();
    let cli = Cli::parse();
    let service = open(&cli.db).await?;
    match cli.command {
        Command::Serve(args) => serve(service, &args).await?,
        Command::Migrate => println!("数据库已是最新版本"),
        Command::Demo { no_serve, serve: args } => {
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
            let (file, agency, items) = match &list {
                ListCommand::Items { file, agency } => (file, agency, true),
                ListCommand::Personnel { file, agency } => (file, agency, false),
            };
            let agency =
                service.agency_by_code(&CLI, agency).await.with_context(|| format!("找不到执法主体 {agency}"))?;
            let bytes = std::fs::read(file).with_context(|| format!("读取 {} 失败", file.display()))?;
            let report = if items {
                service.import_items(&CLI, agency.id, &bytes).await
            } else {
                service.import_personnel(&CLI, agency.id, &bytes).await
            }
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("已导入 {} 条", report.created);
        }
        Command::Export(list) => {
            let (file, agency, items) = match &list {
                ListCommand::Items { file, agency } => (file, agency, true),
                ListCommand::Personnel { file, agency } => (file, agency, false),
            };
            let agency =
                service.agency_by_code(&CLI, agency).await.with_context(|| format!("找不到执法主体 {agency}"))?;
            let bytes = if items {
                service.export_items(&CLI, agency.id).await
            } else {
                service.export_personnel(&CLI, agency.id).await
            }
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            std::fs::write(file, bytes).with_context(|| format!("写入 {} 失败", file.display()))?;
            println!("已导出到 {}", file.display());
        }
    }
    Ok(())
}
