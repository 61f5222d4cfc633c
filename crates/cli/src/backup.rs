//! `zhifa backup` and `zhifa restore` for one server on SQLite with evidence
//! on its disk (issue 23): a consistent copy taken while the server runs,
//! restored into an empty data directory and checked with `zhifa verify`.
//! PostgreSQL and S3 are backed up with their own tools (README).

use crate::args::DbArgs;
use anyhow::{Context, Result, bail};
use std::path::Path;
use zhifa_service::Store;

/// Copy every file under `from` to `to`, leaving out the directory `skip`
/// (at the top); returns how many files and bytes.
fn copy_tree(from: &Path, to: &Path, skip: &str) -> Result<(u64, u64)> {
    let (mut files, mut bytes) = (0, 0);
    if !from.exists() {
        return Ok((0, 0));
    }
    std::fs::create_dir_all(to).with_context(|| format!("无法创建目录 {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("无法读取目录 {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if name == skip {
            continue;
        }
        let (source, target) = (entry.path(), to.join(&name));
        if entry.file_type()?.is_dir() {
            let (f, b) = copy_tree(&source, &target, "")?;
            files += f;
            bytes += b;
        } else {
            bytes += std::fs::copy(&source, &target)
                .with_context(|| format!("无法复制 {} 到 {}", source.display(), target.display()))?;
            files += 1;
        }
    }
    Ok((files, bytes))
}

fn empty_dir(dir: &Path) -> Result<bool> {
    Ok(!dir.exists() || dir.read_dir().with_context(|| format!("无法读取目录 {}", dir.display()))?.next().is_none())
}

/// The key file a data directory uses.
fn key_file(db: &DbArgs) -> std::path::PathBuf {
    db.signing_key.clone().unwrap_or_else(|| db.data.join("ledger-key.pem"))
}

/// `zhifa backup --to DIR`: the database (a consistent snapshot), the
/// evidence files and the ledger's key, while the server may go on writing.
pub async fn backup(db: &DbArgs, store: &Store, to: &Path) -> Result<()> {
    if db.database_url.is_some() {
        bail!(
            "PostgreSQL 数据库请用 pg_dump 或基础备份（见 README「备份与恢复」），zhifa backup 只备份 SQLite 数据目录"
        );
    }
    if db.evidence_store.is_some() {
        bail!("证据文件在 S3 兼容存储中：请启用存储桶的版本控制并按 README「备份与恢复」备份");
    }
    if !empty_dir(to)? {
        bail!("备份目录 {} 不是空目录", to.display());
    }
    std::fs::create_dir_all(to).with_context(|| format!("无法创建备份目录 {}", to.display()))?;
    eprintln!("正在复制数据库（一致的快照，服务可继续运行）……");
    store.backup_sqlite(&to.join("zhifa.db")).await.context("数据库备份失败")?;
    // Evidence files never change once stored, and each is stored before the
    // record that names it: every file the snapshot names is already there.
    eprintln!("正在复制证据文件……");
    let (files, bytes) = copy_tree(&db.data.join("evidence"), &to.join("evidence"), "uploads")?;
    let key = key_file(db);
    if key.exists() {
        std::fs::copy(&key, to.join("ledger-key.pem")).with_context(|| format!("无法复制密钥 {}", key.display()))?;
        eprintln!("注意：备份中含账本签名私钥 ledger-key.pem，请像保管服务器一样保管备份。");
    }
    let copy = Store::open_data_dir(to).await.context("无法打开备份的数据库")?;
    let records = copy.record_count().await?;
    copy.close().await;
    println!("备份完成：{}，{records} 条记录，{files} 个证据文件（{bytes} 字节）", to.display());
    Ok(())
}

/// `zhifa restore --from DIR` into an empty data directory.
pub fn restore(db: &DbArgs, from: &Path) -> Result<()> {
    if db.database_url.is_some() || db.evidence_store.is_some() {
        bail!("zhifa restore 只恢复到 SQLite 数据目录（PostgreSQL 与 S3 见 README「备份与恢复」）");
    }
    let database = from.join("zhifa.db");
    if !database.exists() {
        bail!("{} 不是 zhifa backup 生成的备份（缺少 zhifa.db）", from.display());
    }
    if db.data.join("zhifa.db").exists() {
        bail!("数据目录 {} 已有数据库：恢复只写入空的数据目录", db.data.display());
    }
    std::fs::create_dir_all(&db.data).with_context(|| format!("无法创建数据目录 {}", db.data.display()))?;
    std::fs::copy(&database, db.data.join("zhifa.db")).context("无法复制数据库")?;
    let (files, _) = copy_tree(&from.join("evidence"), &db.data.join("evidence"), "")?;
    let key = key_file(db);
    if from.join("ledger-key.pem").exists() && !key.exists() {
        std::fs::copy(from.join("ledger-key.pem"), &key).context("无法复制密钥")?;
    }
    println!("已恢复到 {}（{files} 个证据文件）。请运行 zhifa verify 检查账本与文件。", db.data.display());
    Ok(())
}
