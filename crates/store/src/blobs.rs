//! Evidence files: content-addressed, never overwritten, on the local disk
//! or in S3-compatible object storage (MinIO, Ceph, any cloud) through
//! `object_store`.
//!
//! `ROOT/uploads/<id>.part` holds an upload while its bytes arrive (its length
//! is the tus offset); this staging area is always a directory. A complete
//! file is stored under `<alg>/<hh>/<hex>`, named by its hash: on the local
//! disk as a hard link under `ROOT` made read-only, in an object store as an
//! object under the store's prefix (streamed up in parts). A file with the
//! same content already there is kept and the new copy dropped.

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use zhifa_domain::ids::UploadId;
use zhifa_ledger::{Hash, HashAlg};

/// A stored file's bytes, as they come.
pub type BlobStream = Pin<Box<dyn futures_util::Stream<Item = io::Result<Bytes>> + Send>>;

/// Parts of an object sent at once (each [`PART`] bytes).
const PARTS_IN_FLIGHT: usize = 2;
const PART: usize = 8 << 20;

#[derive(Debug, Clone)]
pub struct Blobs {
    root: PathBuf,
    stored: Stored,
}

#[derive(Debug, Clone)]
enum Stored {
    /// Under `root`.
    Local,
    /// In an object store, under `prefix`; `name` says where, for people.
    Object { store: Arc<dyn ObjectStore>, prefix: String, name: String },
}

fn object_error(e: object_store::Error) -> io::Error {
    match e {
        object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, e.to_string()),
        other => io::Error::other(other.to_string()),
    }
}

impl Blobs {
    /// Files under `root` on the local disk.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into(), stored: Stored::Local }
    }

    /// Stage under `root`, store in `store` under `prefix`; `name` (e.g.
    /// `s3://bucket/prefix`) is how messages name the store.
    pub fn object_store(
        root: impl Into<PathBuf>,
        store: Arc<dyn ObjectStore>,
        prefix: &str,
        name: impl Into<String>,
    ) -> Self {
        let prefix = prefix.trim_matches('/').to_owned();
        Self { root: root.into(), stored: Stored::Object { store, prefix, name: name.into() } }
    }

    /// Stage under `root`, store in the S3 bucket of `url`
    /// (`s3://bucket[/prefix]`); endpoint, region and keys come from the
    /// `AWS_*` environment variables (`AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ALLOW_HTTP`).
    pub fn s3(root: impl Into<PathBuf>, url: &str) -> io::Result<Self> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("应为 s3://存储桶[/前缀]：{url}")))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let store = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        Ok(Self::object_store(root, Arc::new(store), prefix, url.trim_end_matches('/')))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn staging(&self, id: UploadId) -> PathBuf {
        self.root.join("uploads").join(format!("{}.part", id.0))
    }

    fn key(alg: HashAlg, hex: &str) -> String {
        let prefix = hex.get(..2).unwrap_or("00");
        format!("{}/{prefix}/{hex}", alg.code())
    }

    fn local_path(&self, alg: HashAlg, hex: &str) -> PathBuf {
        self.root.join(Self::key(alg, hex))
    }

    fn object_path(prefix: &str, alg: HashAlg, hex: &str) -> object_store::path::Path {
        let key = Self::key(alg, hex);
        if prefix.is_empty() { key.into() } else { format!("{prefix}/{key}").into() }
    }

    /// Where the file with this hash lives, for people (a path or a URL).
    pub fn location(&self, alg: HashAlg, hex: &str) -> String {
        match &self.stored {
            Stored::Local => self.local_path(alg, hex).display().to_string(),
            Stored::Object { name, .. } => format!("{name}/{}", Self::key(alg, hex)),
        }
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

    /// Store a complete upload under its content address. Locally a hard
    /// link: the staged name stays until [`Blobs::discard`], after the
    /// completion is committed, so that a crash in between leaves the upload
    /// resumable, not lost. In an object store, the staged file is streamed
    /// up in parts.
    pub async fn promote(&self, id: UploadId, alg: HashAlg, hex: &str) -> io::Result<()> {
        match &self.stored {
            Stored::Local => {
                let target = self.local_path(alg, hex);
                if let Some(dir) = target.parent() {
                    tokio::fs::create_dir_all(dir).await?;
                }
                if tokio::fs::try_exists(&target).await? {
                    return Ok(());
                }
                match tokio::fs::hard_link(self.staging(id), &target).await {
                    Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
                    _ => Ok(()),
                }
            }
            Stored::Object { store, prefix, .. } => {
                let location = Self::object_path(prefix, alg, hex);
                match store.head(&location).await {
                    Ok(_) => return Ok(()),
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(object_error(e)),
                }
                let upload = store.put_multipart(&location).await.map_err(object_error)?;
                let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
                let mut file = tokio::fs::File::open(self.staging(id)).await?;
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let n = file.read(&mut buf).await?;
                    if n == 0 {
                        break;
                    }
                    writer.wait_for_capacity(PARTS_IN_FLIGHT).await.map_err(object_error)?;
                    writer.write(&buf[..n]);
                }
                writer.finish().await.map_err(object_error)?;
                Ok(())
            }
        }
    }

    /// Store `bytes` (small: a generated file, e.g. an archive) under their
    /// hash; returns the hex of the hash.
    pub async fn put_bytes(&self, alg: HashAlg, bytes: Vec<u8>) -> io::Result<String> {
        let hex = zhifa_ledger::hex(&alg.digest(&[&bytes]));
        match &self.stored {
            Stored::Local => {
                let target = self.local_path(alg, &hex);
                if tokio::fs::try_exists(&target).await? {
                    return Ok(hex);
                }
                if let Some(dir) = target.parent() {
                    tokio::fs::create_dir_all(dir).await?;
                }
                let staged = self.root.join("uploads").join(format!("{hex}.generated"));
                if let Some(dir) = staged.parent() {
                    tokio::fs::create_dir_all(dir).await?;
                }
                tokio::fs::write(&staged, &bytes).await?;
                tokio::fs::File::open(&staged).await?.sync_all().await?;
                tokio::fs::rename(&staged, &target).await?;
                self.seal(alg, &hex).await?;
            }
            Stored::Object { store, prefix, .. } => {
                store.put(&Self::object_path(prefix, alg, &hex), bytes.into()).await.map_err(object_error)?;
            }
        }
        Ok(hex)
    }

    /// The whole of a (small) stored file.
    pub async fn read_bytes(&self, alg: HashAlg, hex: &str) -> io::Result<Vec<u8>> {
        let mut stream = self.read(alg, hex).await?;
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    /// Make a stored file read-only (once its upload is complete; objects
    /// are never written again anyway).
    pub async fn seal(&self, alg: HashAlg, hex: &str) -> io::Result<()> {
        if let Stored::Local = self.stored {
            let path = self.local_path(alg, hex);
            let mut perms = tokio::fs::metadata(&path).await?.permissions();
            perms.set_readonly(true);
            tokio::fs::set_permissions(&path, perms).await?;
        }
        Ok(())
    }

    pub async fn discard(&self, id: UploadId) -> io::Result<()> {
        match tokio::fs::remove_file(self.staging(id)).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// The bytes of the stored file with this hash, streamed.
    pub async fn read(&self, alg: HashAlg, hex: &str) -> io::Result<BlobStream> {
        match &self.stored {
            Stored::Local => {
                let file = tokio::fs::File::open(self.local_path(alg, hex)).await?;
                Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(file, 1 << 16)))
            }
            Stored::Object { store, prefix, .. } => {
                let got = store.get(&Self::object_path(prefix, alg, hex)).await.map_err(object_error)?;
                Ok(Box::pin(got.into_stream().map_err(object_error)))
            }
        }
    }

    /// Hash the stored file with this hash again (streamed, never whole in memory).
    pub async fn hash_stored(&self, alg: HashAlg, hex: &str) -> io::Result<Hash> {
        let mut stream = self.read(alg, hex).await?;
        let mut hasher = alg.hasher();
        while let Some(chunk) = stream.next().await {
            hasher.update(&chunk?);
        }
        Ok(hasher.finalize())
    }

    /// Hash a local file by streaming it (never whole in memory).
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
