//! Audio/video records (音像记录): resumable uploads (the tus protocol lives
//! in `web`; this is what it asks for), stored by content hash, each step
//! recorded through the command path.

use crate::{Actor, Result, Retrieval, Service, ServiceError, authz};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use zhifa_domain::Invalid;
use zhifa_domain::case::engine;
use zhifa_domain::change::Change;
use zhifa_domain::evidence::{EvidenceMeta, MAX_EVIDENCE_BYTES, rec_5_is_late};
use zhifa_domain::ids::{AgencyId, UploadId};
use zhifa_ledger::{HashAlg, Hasher};
use zhifa_store::{Blobs, UploadRow, UploadState};

/// Hash states of uploads under way, so that a file is hashed as it arrives;
/// after a restart the staged bytes are hashed again at the end instead.
#[derive(Debug, Default)]
pub(crate) struct Hashers(Mutex<HashMap<UploadId, (u64, Hasher)>>);

impl Hashers {
    fn take(&self, id: UploadId, offset: u64) -> Option<Hasher> {
        let mut map = self.0.lock().ok()?;
        match map.remove(&id) {
            Some((at, h)) if at == offset => Some(h),
            _ => None,
        }
    }

    fn put(&self, id: UploadId, offset: u64, hasher: Hasher) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(id, (offset, hasher));
        }
    }
}

/// One lock per upload under way: a PATCH holds it from its offset check to
/// its last byte on disk, and HEAD waits for it, so that a client resuming
/// after a broken connection never races the request that broke.
#[derive(Debug, Default)]
pub(crate) struct UploadLocks(Mutex<HashMap<UploadId, Arc<tokio::sync::Mutex<()>>>>);

impl UploadLocks {
    async fn lock(&self, id: UploadId) -> Result<tokio::sync::OwnedMutexGuard<()>> {
        let lock = {
            let mut map = self.0.lock().map_err(|_| ServiceError::internal("upload locks poisoned"))?;
            map.retain(|_, l| Arc::strong_count(l) > 1 || l.try_lock().is_err());
            map.entry(id).or_default().clone()
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), lock.lock_owned())
            .await
            .map_err(|_| ServiceError::Busy)
    }
}

/// An upload and how many of its bytes are here.
#[derive(Debug, Clone)]
pub struct UploadStatus {
    pub upload: UploadRow,
    pub offset: u64,
}

fn io(e: std::io::Error) -> ServiceError {
    ServiceError::caused("evidence storage", e)
}

impl Service {
    /// Keep evidence files under `blobs`.
    #[must_use]
    pub fn with_blobs(mut self, blobs: Blobs) -> Self {
        self.blobs = Some(Arc::new(blobs));
        self
    }

    pub(crate) fn blobs(&self) -> Result<&Blobs> {
        self.blobs.as_deref().ok_or_else(|| ServiceError::internal("no evidence storage configured"))
    }

    async fn hash_alg(&self) -> Result<HashAlg> {
        Ok(self.store.ledger_meta_cached().await?.hash)
    }

    /// Announce an upload: its size and what it proves.
    pub async fn create_upload(&self, actor: &Actor, length: u64, meta: EvidenceMeta) -> Result<UploadId> {
        let Actor::User(p) = actor else { return Err(ServiceError::Forbidden) };
        if !authz::can_record_evidence(actor) {
            return Err(ServiceError::Forbidden);
        }
        if length > MAX_EVIDENCE_BYTES {
            return Err(ServiceError::TooLarge(MAX_EVIDENCE_BYTES));
        }
        // REC-5: it proves a stage of a case of the uploader's agency.
        let number = meta.case_number.trim();
        let Some(case) = self.own_case(p.agency_id, number).await? else {
            return Err(Invalid::new("案件编号", format!("本机关没有编号为“{number}”的案件")).into());
        };
        engine::evidence_stage(self.procedure(&case.data.procedure)?, &case.data, &case.stage, &meta.step)?;
        let change = Change::CreateUpload { agency: p.agency_id, user: p.user_id, length, meta };
        let id = UploadId(self.commit_one(actor, "上传音像记录", change).await?);
        if length == 0 {
            // An empty upload (valid in tus) has all its bytes: complete at once.
            self.upload_status(actor, id).await?;
        }
        Ok(id)
    }

    /// The stages an evidence file of the actor's agency's case numbered
    /// `number` may prove (`(id, name)`, in order) and where the case stands;
    /// `None` if the agency has no such case.
    pub async fn evidence_stages(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<Option<(Vec<(String, String)>, String)>> {
        let Actor::User(p) = actor else { return Ok(None) };
        let Some(case) = self.own_case(p.agency_id, number).await? else { return Ok(None) };
        let procedure = self.procedure(&case.data.procedure)?;
        let stages = engine::stages_reached(procedure, &case.data, &case.stage);
        Ok(Some((stages.iter().map(|s| (s.id.clone(), s.name.clone())).collect(), case.stage)))
    }

    /// The case of `agency` numbered `number` (as typed, spaces aside).
    async fn own_case(&self, agency: AgencyId, number: &str) -> Result<Option<zhifa_store::CaseRow>> {
        Ok(self.store.case_by_number(number.trim()).await?.filter(|c| c.agency_id == agency))
    }

    /// The upload if the actor may see it: its uploader, or whoever may read
    /// its agency's records.
    pub(crate) async fn visible_upload(&self, actor: &Actor, id: UploadId) -> Result<UploadRow> {
        let upload = self.store.upload(id).await?.ok_or(ServiceError::NotFound)?;
        let agency = self.store.agency(upload.agency_id).await?.ok_or(ServiceError::NotFound)?;
        if !authz::can_read(actor, authz::Scope { agency: upload.agency_id, region: &agency.data.region }) {
            return Err(ServiceError::NotFound);
        }
        Ok(upload)
    }

    /// Where an upload stands. An open upload whose bytes are all here (the
    /// server stopped between storing the last byte and recording the
    /// completion) is completed now, when its uploader asks.
    pub async fn upload_status(&self, actor: &Actor, id: UploadId) -> Result<UploadStatus> {
        let guard = self.upload_locks.lock(id).await?;
        let status = self.status_of(actor, id).await?;
        let uploader = matches!(actor, Actor::User(p) if p.user_id == status.upload.user_id);
        if status.upload.state == UploadState::Open && status.offset == status.upload.length && uploader {
            let length = status.upload.length;
            self.patch_locked(guard, actor, status, length).await?.finish().await?;
            return self.status_of(actor, id).await;
        }
        Ok(status)
    }

    async fn status_of(&self, actor: &Actor, id: UploadId) -> Result<UploadStatus> {
        let upload = self.visible_upload(actor, id).await?;
        let offset = match upload.state {
            UploadState::Open => self.blobs()?.staged_len(id).await.map_err(io)?,
            UploadState::Complete => upload.length,
            UploadState::Terminated => return Err(ServiceError::Gone),
        };
        Ok(UploadStatus { upload, offset })
    }

    /// Start receiving bytes at `offset`, which must be where the upload
    /// stands. Only its uploader may send them.
    pub async fn begin_patch(&self, actor: &Actor, id: UploadId, offset: u64) -> Result<Patch<'_>> {
        let guard = self.upload_locks.lock(id).await?;
        let status = self.status_of(actor, id).await?;
        self.patch_locked(guard, actor, status, offset).await
    }

    async fn patch_locked(
        &self,
        guard: tokio::sync::OwnedMutexGuard<()>,
        actor: &Actor,
        status: UploadStatus,
        offset: u64,
    ) -> Result<Patch<'_>> {
        let id = status.upload.id;
        if !matches!(actor, Actor::User(p) if p.user_id == status.upload.user_id) {
            return Err(ServiceError::Forbidden);
        }
        if status.upload.state != UploadState::Open {
            return Err(ServiceError::UploadOffset(status.offset));
        }
        if offset != status.offset {
            return Err(ServiceError::UploadOffset(status.offset));
        }
        let file = self.blobs()?.append(id).await.map_err(io)?.into_std().await;
        // Hash as the bytes arrive: from the start, or from where the last
        // PATCH to this process left off.
        let hasher = match self.hashers.take(id, offset) {
            None if offset == 0 => Some(self.hash_alg().await?.hasher()),
            h => h,
        };
        let (chunks, writer) = Writer::start(file, hasher).map_err(io)?;
        Ok(Patch { service: self, actor: actor.clone(), upload: status.upload, offset, chunks, writer, _guard: guard })
    }

    /// Give up an upload: its bytes are deleted.
    pub async fn terminate_upload(&self, actor: &Actor, id: UploadId) -> Result<()> {
        let _guard = self.upload_locks.lock(id).await?;
        let upload = self.visible_upload(actor, id).await?;
        if !matches!(actor, Actor::User(p) if p.user_id == upload.user_id) {
            return Err(ServiceError::Forbidden);
        }
        if upload.state != UploadState::Open {
            return Err(ServiceError::Gone);
        }
        self.commit_one(actor, "放弃上传音像记录", Change::TerminateUpload { id }).await?;
        self.hashers.take(id, u64::MAX);
        self.blobs()?.discard(id).await.map_err(io)
    }

    /// An evidence file's record, for whoever may read its agency. Someone
    /// of another agency (a supervisor) reads it once a stated reason opened
    /// it or its case (调阅, REC-8: [`Service::retrieve`]).
    pub async fn evidence(&self, actor: &Actor, id: UploadId) -> Result<UploadRow> {
        let upload = self.visible_upload(actor, id).await?;
        self.require_evidence_retrieval(actor, &upload).await?;
        Ok(upload)
    }

    /// The stored file of a complete upload, streamed, and its record;
    /// retrieval as for [`Service::evidence`].
    pub async fn evidence_file(&self, actor: &Actor, id: UploadId) -> Result<(UploadRow, zhifa_store::BlobStream)> {
        let upload = self.visible_upload(actor, id).await?;
        let Some(hash) = upload.content_hash.clone().filter(|_| upload.state == UploadState::Complete) else {
            return Err(ServiceError::NotFound);
        };
        self.require_evidence_retrieval(actor, &upload).await?;
        let alg = self.hash_alg().await?;
        let blobs = self.blobs()?;
        let stream = blobs.read(alg, &hash).await.map_err(|e| {
            tracing::error!(error = %e, file = %blobs.location(alg, &hash), "evidence file unreadable");
            ServiceError::NotFound
        })?;
        Ok((upload, stream))
    }

    /// Open to `actor` by a retrieval of the upload itself or of the case of
    /// its agency that it names.
    async fn require_evidence_retrieval(&self, actor: &Actor, upload: &UploadRow) -> Result<()> {
        if self.retrieval_open(actor, upload.agency_id, Retrieval::Upload(upload.id)).await? {
            return Ok(());
        }
        let case = self.store.case_by_number(upload.meta.case_number.trim()).await?;
        match case.filter(|c| c.agency_id == upload.agency_id) {
            Some(c) => self.require_retrieval(actor, upload.agency_id, Retrieval::Case(c.id)).await,
            None => Err(ServiceError::RetrievalRequired),
        }
    }

    /// Every stored evidence file hashed again against its record.
    pub(crate) async fn verify_evidence(
        &self,
        alg: HashAlg,
        problems: &mut Vec<crate::ledger::Problem>,
    ) -> Result<u64> {
        let Ok(blobs) = self.blobs() else { return Ok(0) };
        let mut checked = 0;
        let mut after = 0;
        loop {
            let batch = self.store.evidence_hashes_after(after, 500).await?;
            let Some(last) = batch.last() else { return Ok(checked) };
            after = last.0.0;
            for (id, hash) in &batch {
                checked += 1;
                let hash = hash.clone().unwrap_or_default();
                let location = blobs.location(alg, &hash);
                let row = format!("id={}", id.0);
                match blobs.hash_stored(alg, &hash).await {
                    Ok(h) if zhifa_ledger::hex(&h) == hash => {}
                    Ok(_) => problems.push(crate::ledger::problem(
                        "uploads",
                        row,
                        format!("文件 {location} 的内容与记录的哈希不符"),
                    )),
                    Err(e) => {
                        problems.push(crate::ledger::problem("uploads", row, format!("文件 {location} 无法读取：{e}")))
                    }
                }
            }
        }
    }
}

/// The MIME type of the file at `path`, read from its first bytes (never
/// from its name or what its uploader said); `None` if they match no known
/// kind, as a text file's do.
async fn content_type(path: &std::path::Path) -> std::io::Result<Option<String>> {
    use tokio::io::AsyncReadExt as _;
    let mut head = Vec::with_capacity(SNIFF_LEN);
    tokio::fs::File::open(path).await?.take(SNIFF_LEN as u64).read_to_end(&mut head).await?;
    Ok(infer::get(&head).map(|t| t.mime_type().to_owned()))
}

/// Bytes read to tell what a file is: more than any signature needs.
const SNIFF_LEN: usize = 8 << 10;

/// Bytes of one PATCH on their way to disk (and through the hasher).
pub struct Patch<'a> {
    service: &'a Service,
    actor: Actor,
    upload: UploadRow,
    offset: u64,
    chunks: Chunks,
    writer: Written,
    /// This upload's lock, until the bytes are on disk.
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

/// Where a PATCH's chunks go, and what its writer gives back at the end.
type Chunks = tokio::sync::mpsc::Sender<bytes::Bytes>;
type Written = tokio::task::JoinHandle<std::io::Result<Option<Hasher>>>;

/// Chunks in flight between the connection and the writer.
const CHUNKS_AHEAD: usize = 4;
/// Written bytes after which their flush to disk is started (so that the
/// final flush of a large file has little left to do).
const SYNC_EVERY: u64 = 64 << 20;

/// The writer of one PATCH, on a blocking thread: writes each chunk, hashes
/// it (the connection's task goes on receiving meanwhile), and has a second
/// thread flush to disk behind it.
struct Writer;

impl Writer {
    fn start(file: std::fs::File, hasher: Option<Hasher>) -> std::io::Result<(Chunks, Written)> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(CHUNKS_AHEAD);
        let syncing = file.try_clone()?;
        let handle = tokio::task::spawn_blocking(move || {
            use std::io::Write as _;
            let (sync_tx, sync_rx) = std::sync::mpsc::sync_channel::<()>(1);
            let syncer = std::thread::spawn(move || {
                while sync_rx.recv().is_ok() {
                    // A failed early flush shows again in the final one.
                    syncing.sync_data().ok();
                }
            });
            let mut file = file;
            let mut hasher = hasher;
            let mut unsynced = 0u64;
            let mut outcome = Ok(());
            while let Some(chunk) = rx.blocking_recv() {
                if let Err(e) = file.write_all(&chunk) {
                    outcome = Err(e);
                    break;
                }
                if let Some(h) = &mut hasher {
                    h.update(&chunk);
                }
                unsynced += chunk.len() as u64;
                if unsynced >= SYNC_EVERY {
                    sync_tx.try_send(()).ok();
                    unsynced = 0;
                }
            }
            drop(sync_tx);
            syncer.join().ok();
            outcome?;
            file.sync_data()?;
            Ok(hasher)
        });
        Ok((tx, handle))
    }
}

impl Patch<'_> {
    pub async fn write(&mut self, chunk: bytes::Bytes) -> Result<()> {
        let end = self.offset + chunk.len() as u64;
        if end > self.upload.length {
            return Err(ServiceError::TooLarge(self.upload.length));
        }
        if self.chunks.send(chunk).await.is_err() {
            // The writer stopped: its error comes out of `finish`.
            return Ok(());
        }
        self.offset = end;
        Ok(())
    }

    /// Make the bytes durable and answer the new offset; the last bytes
    /// complete the upload (stored by hash, recorded, flagged if late).
    pub async fn finish(self) -> Result<u64> {
        let Patch { service: s, actor, upload, offset, chunks, writer, _guard } = self;
        drop(chunks);
        let mut hasher = writer.await.map_err(|e| ServiceError::internal(e.to_string()))?.map_err(io)?;
        let id = upload.id;
        // What is on disk is what counts (a failed write stops short).
        let offset = offset.min(s.blobs()?.staged_len(id).await.map_err(io)?);
        let alg = s.hash_alg().await?;
        if offset < upload.length {
            if let Some(h) = hasher.take() {
                s.hashers.put(id, offset, h);
            }
            return Ok(offset);
        }
        let blobs = s.blobs()?;
        let hash = match hasher.take() {
            Some(h) => h.finalize(),
            None => Blobs::hash_file(alg, &blobs.staging(id)).await.map_err(io)?,
        };
        let hex = zhifa_ledger::hex(&hash);
        let content_type = content_type(&blobs.staging(id)).await.map_err(io)?;
        blobs.promote(id, alg, &hex).await.map_err(io)?;
        let late = rec_5_is_late(upload.meta.captured_at, s.now());
        let change = Change::CompleteUpload { id, content_hash: hex.clone(), late, content_type };
        s.commit_one(&actor, "音像记录上传完成", change).await?;
        blobs.discard(id).await.map_err(io)?;
        blobs.seal(alg, &hex).await.map_err(io)?;
        drop(_guard);
        Ok(offset)
    }
}
