//! Evidence files on the local disk: content-addressed, never overwritten.
//!
//! `ROOT/uploads/<id>.part` holds an upload while its bytes arrive (its length
//! is the tus offset); a complete file moves to `ROOT/<alg>/<hh>/<hex>`, named
//! by its hash, read-only. A file with the same content already there is kept
//! and the new copy dropped.

use std::io;
use std::path::{Path, PathBuf};
use tokio::io::AsyncReadExt;
use zhifa_domain::ids::UploadId;
use zhifa_ledger::{Hash, HashAlg};

#[derive(Debug, Clone)]
pub struct Blobs {
    root: PathBuf,
}

impl Blobs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn staging(&self, id: UploadId) -> PathBuf {
        self.root.join("uploads").join(format!("{}.part", id.0))
    }

    /// Where the file with this hash lives.
    pub fn path(&self, alg: HashAlg, hex: &str) -> PathBuf {
        let prefix = hex.get(..2).unwrap_or("00");
        self.root.join(alg.code()).join(prefix).join(hex)
    }

    /// How many bytes of the upload have arrived.
    pub async fn staged_len(&self, id: UploadId) -> io::Result<u64> {
        match tokio::fs::metadata(self.staging(id)).await {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// The staged file, opened to append at its end.
    pub async fn append(&self, id: UploadId) -> io::Result<tokio::fs::File> {
        let path = self.staging(id);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        tokio::fs::OpenOptions::new().create(true).append(true).open(path).await
    }

    /// Give a complete upload its content address (a hard link; the staged
    /// name stays until [`Blobs::discard`], after the completion is committed,
    /// so that a crash in between leaves the upload resumable, not lost).
    pub async fn promote(&self, id: UploadId, alg: HashAlg, hex: &str) -> io::Result<PathBuf> {
        let target = self.path(alg, hex);
        if let Some(dir) = target.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        if tokio::fs::try_exists(&target).await? {
            return Ok(target);
        }
        match tokio::fs::hard_link(self.staging(id), &target).await {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
            _ => Ok(target),
        }
    }

    /// Make a stored file read-only (once its upload is complete).
    pub async fn seal(&self, alg: HashAlg, hex: &str) -> io::Result<()> {
        let path = self.path(alg, hex);
        let mut perms = tokio::fs::metadata(&path).await?.permissions();
        perms.set_readonly(true);
        tokio::fs::set_permissions(&path, perms).await
    }

    pub async fn discard(&self, id: UploadId) -> io::Result<()> {
        match tokio::fs::remove_file(self.staging(id)).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Hash a file by streaming it (never whole in memory).
    pub async fn hash_file(alg: HashAlg, path: &Path) -> io::Result<Hash> {
        let mut file = tokio::fs::File::open(path).await?;
        let mut hasher = alg.hasher();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf).await?;
            if n == 0 {
                return Ok(hasher.finalize());
            }
            hasher.update(&buf[..n]);
        }
    }
}
