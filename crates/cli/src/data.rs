//! Opening the data: the database, the ledger key, the evidence store,
//! the calendar, the procedures and the search indexes.

use crate::args::DbArgs;
use anyhow::{Context, Result, bail};
use std::io::Read;
use std::path::{Path, PathBuf};
use zhifa_calendar::Calendar;
use zhifa_service::{Blobs, HashAlg, LedgerMeta, Service, Signer, SignerAlg, Store};

/// Where evidence files are kept.
pub(crate) fn blobs(db: &DbArgs) -> Result<Blobs> {
    let root = db.data.join("evidence");
    match &db.evidence_store {
        Some(url) => Blobs::s3(root, url).with_context(|| format!("证据存储 {url} 无法使用")),
        None => Ok(Blobs::new(root)),
    }
}

/// The embedded calendar with the files of `dir` added.
pub(crate) fn load_calendar(dir: Option<&Path>) -> Result<Calendar> {
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
pub(crate) fn load_procedures(dir: Option<&Path>) -> Result<zhifa_domain::case::procedure::Procedures> {
    Ok(zhifa_domain::case::procedure::Procedures::load(&toml_files(dir, "程序定义")?)?)
}

pub(crate) fn load_amounts(dir: Option<&Path>) -> Result<zhifa_domain::amounts::Amounts> {
    Ok(zhifa_domain::amounts::Amounts::load(&toml_files(dir, "各省数额标准")?)?)
}

/// The `*.toml` files of `dir` (none without one), `(path, text)` in order of name.
fn toml_files(dir: Option<&Path>, what: &str) -> Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    if let Some(dir) = dir {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("无法读取{what}目录 {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).with_context(|| format!("读取 {} 失败", path.display()))?;
            files.push((path.display().to_string(), text));
        }
    }
    Ok(files)
}

pub(crate) async fn connect(db: &DbArgs) -> Result<Store> {
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
pub(crate) fn load_or_create_key(path: &Path, alg: SignerAlg) -> Result<String> {
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
pub(crate) async fn open(db: &DbArgs, calendar: Calendar) -> Result<Service> {
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
pub(crate) fn search_index(db: &DbArgs) -> Result<zhifa_search::SearchIndex> {
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
pub(crate) fn list_index(db: &DbArgs) -> Result<zhifa_search::ListIndex> {
    let dir = db.data.join("search-lists");
    match zhifa_search::ListIndex::open(&dir) {
        Ok(index) => Ok(index),
        Err(e) => {
            tracing::warn!(error = %e, dir = %dir.display(), "list index in use; keeping one in memory");
            zhifa_search::ListIndex::in_memory().context("无法创建检索索引")
        }
    }
}

pub(crate) fn read_password() -> Result<String> {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).context("读取标准输入失败")?;
    let p = s.trim_end_matches(['\n', '\r']).to_owned();
    if p.is_empty() {
        bail!("标准输入中没有密码");
    }
    Ok(p)
}
