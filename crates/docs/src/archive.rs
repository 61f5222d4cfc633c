//! Archive packages (归档, REC-7): a closed case's documents, the metadata
//! and hashes of its recordings, its data, a manifest of all of them, and
//! the ledger records of the case with their inclusion proofs, the signed
//! checkpoint they are proven against and the key that signed it. The
//! manifest's hash is in the case's archiving record, so the whole package
//! is anchored in the log; [`verify`] checks it offline, with no database.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use thiserror::Error;
use zhifa_ledger::{Hash, HashAlg, RecordLeaf, Verifier};

pub const MANIFEST: &str = "manifest.json";
pub const RECORDS: &str = "ledger/records.json";
pub const CHECKPOINT: &str = "ledger/checkpoint.txt";
pub const PUBLIC_KEY: &str = "ledger/public-key.pem";
pub const LEDGER: &str = "ledger/ledger.json";

#[derive(Debug, Error)]
pub enum ArchiveError {
    #[error("归档包生成失败：{0}")]
    Zip(String),
}

fn zip_error(e: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Zip(e.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub path: String,
    /// Lower-case hex of the file's hash (the log's algorithm).
    pub hash: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub case_number: String,
    pub agency: String,
    /// `sm3` or `sha256`.
    pub hash: String,
    pub files: Vec<ManifestFile>,
}

/// The manifest of `files`, as the bytes that are hashed and recorded.
pub fn manifest(case_number: &str, agency: &str, alg: HashAlg, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let manifest = Manifest {
        case_number: case_number.to_owned(),
        agency: agency.to_owned(),
        hash: alg.code().to_owned(),
        files: files
            .iter()
            .map(|(path, bytes)| ManifestFile {
                path: path.clone(),
                hash: zhifa_ledger::hex(&alg.digest(&[bytes])),
                size: bytes.len() as u64,
            })
            .collect(),
    };
    serde_json::to_vec_pretty(&manifest).unwrap_or_default()
}

/// A record of the case and the proof that it is in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordProof {
    pub record_id: i64,
    pub kind: String,
    /// Its leaf's index in the log.
    pub index: u64,
    /// The commitment's salt, hex.
    pub salt: String,
    /// The record's canonical bytes (JSON text).
    pub body: String,
    /// The leaf's bytes, base64.
    pub leaf: String,
    /// The inclusion proof against the checkpoint, hex hashes.
    pub proof: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerInfo {
    pub origin: String,
    pub hash: String,
    pub signer: String,
}

/// The parts of a package besides its files.
pub struct Proofs<'a> {
    pub records: &'a [RecordProof],
    pub ledger: &'a LedgerInfo,
    pub checkpoint: &'a str,
    pub public_key: &'a str,
}

/// Files into a zip (stored, not compressed: what is hashed is what is there).
pub fn zip(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, ArchiveError> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default());
    for (path, bytes) in files {
        out.start_file(path.as_str(), options).map_err(zip_error)?;
        out.write_all(bytes).map_err(zip_error)?;
    }
    Ok(out.finish().map_err(zip_error)?.into_inner())
}

/// Every entry of a zip, in order; an entry that cannot be read is an error
/// naming it.
pub fn unzip(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, Vec<String>> {
    // Packages are stored, not deflated: they unpack to about their own size.
    let limit = bytes.len() as u64 + (64 << 20);
    crate::bounded::within(bytes, limit, 100_000).map_err(|e| vec![e.to_string()])?;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| vec![format!("无法打开压缩包：{e}")])?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                problems.push(format!("第 {} 个条目无法读取：{e}", i + 1));
                continue;
            }
        };
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_else(|_| format!("第 {} 个条目", i + 1));
        let mut data = Vec::new();
        match entry.read_to_end(&mut data) {
            Ok(_) => out.push((name, data)),
            Err(e) => problems.push(format!("条目 {name} 已损坏：{e}")),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// The package: the core files (with the manifest) and the ledger's proofs.
pub fn package(core: &[(String, Vec<u8>)], proofs: &Proofs<'_>) -> Result<Vec<u8>, ArchiveError> {
    let mut files = core.to_vec();
    files.push((LEDGER.into(), serde_json::to_vec_pretty(proofs.ledger).unwrap_or_default()));
    files.push((CHECKPOINT.into(), proofs.checkpoint.as_bytes().to_vec()));
    files.push((PUBLIC_KEY.into(), proofs.public_key.as_bytes().to_vec()));
    files.push((RECORDS.into(), serde_json::to_vec_pretty(proofs.records).unwrap_or_default()));
    zip(&files)
}

/// What checking a package found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    pub case_number: String,
    pub files: usize,
    pub records: usize,
    /// The checkpoint's origin and size, and the key's fingerprint (compare
    /// them with the ones the platform publishes).
    pub origin: String,
    pub size: u64,
    pub key_fingerprint: String,
    /// Each problem names the entry it is in.
    pub problems: Vec<String>,
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// Check a package offline. With `pinned_key` (a PEM), the checkpoint must be
/// signed by that key rather than by the one the package carries.
pub fn verify(bytes: &[u8], pinned_key: Option<&str>) -> Checked {
    let mut checked = Checked::default();
    let entries = match unzip(bytes) {
        Ok(e) => e,
        Err(problems) => {
            checked.problems = problems;
            return checked;
        }
    };
    let files: BTreeMap<&str, &[u8]> = entries.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let mut problem = |p: String| checked.problems.push(p);
    let text = |name: &str| files.get(name).and_then(|b| std::str::from_utf8(b).ok());

    let ledger: Option<LedgerInfo> = text(LEDGER).and_then(|t| serde_json::from_str(t).ok());
    let Some(ledger) = ledger else {
        problem(format!("缺少或无法读取条目 {LEDGER}"));
        return checked;
    };
    let Some(alg) = HashAlg::parse(&ledger.hash) else {
        problem(format!("条目 {LEDGER}：未知的哈希算法 {}", ledger.hash));
        return checked;
    };
    let key = pinned_key.or(text(PUBLIC_KEY));
    let verifier = key.and_then(|k| Verifier::from_public_key_pem(&ledger.origin, k).ok());
    let Some(verifier) = verifier else {
        problem(format!("缺少或无法读取公钥 {PUBLIC_KEY}"));
        return checked;
    };
    checked.key_fingerprint = zhifa_ledger::hex(&alg.digest(&[key.unwrap_or_default().trim().as_bytes()]));
    let opened = text(CHECKPOINT).map(|note| verifier.open(note));
    let (size, root) = match opened {
        Some(Ok(cp)) => (cp.size, cp.root),
        Some(Err(e)) => {
            problem(format!("条目 {CHECKPOINT}：检查点签名无效（{e}）"));
            return checked;
        }
        None => {
            problem(format!("缺少条目 {CHECKPOINT}"));
            return checked;
        }
    };
    checked.origin.clone_from(&ledger.origin);
    checked.size = size;

    // Records: each leaf from its body and salt, each leaf in the log.
    let records: Vec<RecordProof> = match text(RECORDS).map(serde_json::from_str) {
        Some(Ok(r)) => r,
        _ => {
            problem(format!("缺少或无法读取条目 {RECORDS}"));
            return checked;
        }
    };
    let mut recorded_manifest = None;
    for r in &records {
        let name = format!("条目 {RECORDS} 中的记录 id={}", r.record_id);
        let (Some(salt), Ok(leaf)) = (hex_decode(&r.salt), B64.decode(&r.leaf)) else {
            problem(format!("{name}：盐值或叶子编码错误"));
            continue;
        };
        let parsed = RecordLeaf::parse(&leaf);
        let commitment = RecordLeaf::commitment(alg, &salt, r.body.as_bytes());
        match parsed {
            Ok(l) if l.commitment == commitment && l.record_id == r.record_id && l.kind == r.kind => {}
            _ => {
                problem(format!("{name}：记录内容与其叶子不符"));
                continue;
            }
        }
        let proof: Option<Vec<Hash>> =
            r.proof.iter().map(|h| hex_decode(h).and_then(|b| Hash::try_from(b.as_slice()).ok())).collect();
        let included =
            proof.is_some_and(|p| zhifa_ledger::verify_inclusion(alg, r.index, size, &alg.leaf(&leaf), &p, &root));
        if !included {
            problem(format!("{name}：不在检查点（大小 {size}）所签的日志中"));
            continue;
        }
        checked.records += 1;
        let body: Option<serde_json::Value> = serde_json::from_str(&r.body).ok();
        let archived = body
            .as_ref()
            .and_then(|b| b.get("data"))
            .filter(|d| d.get("action").and_then(|a| a.as_str()) == Some("archive"));
        if let Some(hash) = archived.and_then(|d| d.pointer("/data/archive_manifest")).and_then(|h| h.as_str()) {
            recorded_manifest = Some(hash.to_owned());
        }
    }

    // The manifest, anchored by the archiving record; every file, by the manifest.
    let Some(manifest_bytes) = files.get(MANIFEST) else {
        problem(format!("缺少条目 {MANIFEST}"));
        return checked;
    };
    let manifest_hash = zhifa_ledger::hex(&alg.digest(&[manifest_bytes]));
    match recorded_manifest {
        Some(h) if h == manifest_hash => {}
        Some(_) => problem(format!("条目 {MANIFEST} 与账本中的归档记录不符")),
        None => problem(format!("条目 {RECORDS} 中没有归档记录，{MANIFEST} 无从核对")),
    }
    let manifest: Manifest = match serde_json::from_slice(manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            problem(format!("条目 {MANIFEST} 无法读取：{e}"));
            return checked;
        }
    };
    checked.case_number.clone_from(&manifest.case_number);
    for f in &manifest.files {
        match files.get(f.path.as_str()) {
            Some(bytes) if zhifa_ledger::hex(&alg.digest(&[bytes])) == f.hash => checked.files += 1,
            Some(_) => problem(format!("条目 {} 与清单中的哈希不符", f.path)),
            None => problem(format!("缺少清单中的条目 {}", f.path)),
        }
    }
    let listed: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for name in files.keys() {
        if !listed.contains(name) && ![MANIFEST, RECORDS, CHECKPOINT, PUBLIC_KEY, LEDGER].contains(name) {
            problem(format!("条目 {name} 不在清单中"));
        }
    }
    checked
}
