//! The log's use cases: checkpoints after commits, the public proofs, and
//! full verification of everything the log covers.

use crate::{Result, Service, ServiceError};
use std::collections::HashMap;
use zhifa_ledger::{Hash, HashAlg, NodeId, RecordLeaf, Verifier};
use zhifa_store::{CheckpointRow, LedgerMeta};

/// The most leaves one `leaves` request may return.
pub const MAX_LEAVES: u64 = 1_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    pub index: u64,
    pub size: u64,
    pub root: Hash,
    pub leaf: Vec<u8>,
    pub proof: Vec<Hash>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyProof {
    pub first: u64,
    pub second: u64,
    pub first_root: Hash,
    pub second_root: Hash,
    pub proof: Vec<Hash>,
}

/// One thing `verify` found wrong, naming the row, file or checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `records`, `ledger_leaves`, `ledger_nodes`, `ledger_checkpoints`, `ledger_meta`.
    pub table: &'static str,
    /// The row: `id=12`, `idx=7`, `level=2 idx=3`, `size=100`.
    pub row: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}：{}", self.table, self.row, self.message)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub leaves: u64,
    /// Evidence files hashed again.
    pub files: u64,
    /// Registry rows compared with their newest record.
    pub rows: u64,
    pub nodes: u64,
    pub checkpoints: u64,
    pub problems: Vec<Problem>,
}

/// Where `verify` is: the phase, and how far into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub phase: &'static str,
    pub done: u64,
    pub total: u64,
}

pub(crate) fn problem(table: &'static str, row: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem { table, row: row.into(), message: message.into() }
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

impl Service {
    /// Sign a checkpoint now if the newest one is behind (the writer signs
    /// one with every batch; this is for a log that has none yet), and
    /// return the newest checkpoint.
    pub async fn sign_checkpoint(&self) -> Result<CheckpointRow> {
        let signer = self.signer.as_ref().ok_or_else(|| internal("read-only service"))?;
        self.store.sign_checkpoint(signer, self.now()).await?;
        self.checkpoint().await
    }

    pub async fn ledger_meta(&self) -> Result<LedgerMeta> {
        self.store.ledger_meta().await?.ok_or(ServiceError::NotFound)
    }

    /// The newest signed checkpoint.
    pub async fn checkpoint(&self) -> Result<CheckpointRow> {
        self.store.latest_checkpoint().await?.ok_or(ServiceError::NotFound)
    }

    /// Leaves `start <= i < end` (at most [`MAX_LEAVES`]): commitments only.
    pub async fn leaves(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>> {
        if start >= end || end - start > MAX_LEAVES {
            return Err(ServiceError::Invalid(zhifa_domain::Invalid::new(
                "end",
                format!("应满足 start < end 且一次最多 {MAX_LEAVES} 个"),
            )));
        }
        let size = self.store.ledger_size().await?;
        if end > size {
            return Err(out_of_range(format!("日志当前只有 {size} 个叶子")));
        }
        Ok(self.store.ledger_leaves(start, end).await?.into_iter().map(|l| l.leaf).collect())
    }

    /// The stored nodes a proof needs together with the frontier of `size`
    /// (for the root), in one read; a missing frontier means `size` is
    /// beyond the log.
    async fn proof_nodes(&self, mut ids: Vec<NodeId>, size: u64) -> Result<(HashAlg, HashMap<NodeId, Hash>, Hash)> {
        let alg = self.store.ledger_meta_cached().await?.hash;
        ids.extend(zhifa_ledger::frontier(size));
        let nodes = self.store.ledger_nodes(&ids).await?;
        match zhifa_ledger::root_at(alg, size, &nodes) {
            Ok(root) => Ok((alg, nodes, root)),
            Err(_) => {
                let current = self.store.ledger_size().await?;
                Err(out_of_range(format!("日志当前只有 {current} 个叶子")))
            }
        }
    }

    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<InclusionProof> {
        let ids = zhifa_ledger::inclusion_nodes(index, size).map_err(|e| out_of_range(e.to_string()))?;
        let (alg, nodes, root) = self.proof_nodes(ids, size).await?;
        let proof = zhifa_ledger::inclusion_proof(alg, index, size, &nodes).map_err(internal)?;
        let leaf = self.store.ledger_leaves(index, index + 1).await?.pop().map(|l| l.leaf).unwrap_or_default();
        Ok(InclusionProof { index, size, root, leaf, proof })
    }

    pub async fn consistency_proof(&self, first: u64, second: u64) -> Result<ConsistencyProof> {
        let mut ids = zhifa_ledger::consistency_nodes(first, second).map_err(|e| out_of_range(e.to_string()))?;
        ids.extend(zhifa_ledger::frontier(first));
        let (alg, nodes, second_root) = self.proof_nodes(ids, second).await?;
        let proof = zhifa_ledger::consistency_proof(alg, first, second, &nodes).map_err(internal)?;
        let first_root = zhifa_ledger::root_at(alg, first, &nodes).map_err(internal)?;
        Ok(ConsistencyProof { first, second, first_root, second_root, proof })
    }

    async fn root_at(&self, alg: HashAlg, size: u64) -> Result<Hash> {
        let nodes = self.store.ledger_nodes(&zhifa_ledger::frontier(size)).await?;
        zhifa_ledger::root_at(alg, size, &nodes).map_err(internal)
    }

    /// Recompute everything the log covers: each leaf from its record, each
    /// subtree from its children, each checkpoint's signature and root.
    pub async fn verify(&self, mut progress: impl FnMut(Progress)) -> Result<VerifyReport> {
        const BATCH: u64 = 2_000;
        let mut report = VerifyReport::default();
        let Some(meta) = self.store.ledger_meta().await? else {
            report.problems.push(problem("ledger_meta", "id=1", "账本尚未创建"));
            return Ok(report);
        };
        let verifier = match Verifier::from_public_key_pem(&meta.origin, &meta.public_key) {
            Ok(v) => Some(v),
            Err(e) => {
                report.problems.push(problem("ledger_meta", "id=1", format!("公钥无法读取：{e}")));
                None
            }
        };
        let alg = meta.hash;
        let size = self.store.ledger_size().await?;

        // Leaves from their records, and every subtree from the leaves: an
        // appender replays the stored leaves and says which nodes each one
        // completes; those are compared with the stored ones. Reading the
        // next batch overlaps with checking this one.
        let mut appender = zhifa_ledger::Appender::new(alg, 0, &HashMap::new()).map_err(internal)?;
        let read = |store: zhifa_store::Store, start: u64, end: u64| async move {
            let entries = store.ledger_entries(start, end).await?;
            let nodes = store.ledger_nodes_completed_in(start, end).await?;
            Ok::<_, zhifa_store::StoreError>((entries, nodes))
        };
        let mut start = 0;
        let mut next = (size > 0).then(|| tokio::spawn(read(self.store.clone(), 0, BATCH.min(size))));
        while let Some(pending) = next.take() {
            let end = (start + BATCH).min(size);
            let (entries, stored) = pending.await.map_err(internal)??;
            if end < size {
                next = Some(tokio::spawn(read(self.store.clone(), end, (end + BATCH).min(size))));
            }
            let mut expected = start;
            for (leaf, record) in &entries {
                for missing in expected..leaf.index {
                    report.problems.push(problem("ledger_leaves", format!("idx={missing}"), "叶子缺失"));
                }
                expected = leaf.index + 1;
                report.leaves += 1;
                match record {
                    None => report.problems.push(problem(
                        "records",
                        format!("id={}", leaf.record_id),
                        format!("叶子 ledger_leaves idx={} 所记录的记录已不存在", leaf.index),
                    )),
                    Some(r) => check_record(alg, r, leaf, &mut report.problems),
                }
                // A missing leaf leaves a hole the appender cannot fill: from
                // there on, subtrees are compared only where they are intact.
                while appender.size() < leaf.index {
                    appender.append(b"");
                }
                for (id, hash) in appender.append(&leaf.leaf) {
                    match stored.get(&id) {
                        Some(h) if *h == hash => {}
                        Some(_) if id.level == 0 => report.problems.push(problem(
                            "ledger_nodes",
                            format!("level=0 idx={}", id.index),
                            "叶子哈希与叶子内容不符",
                        )),
                        Some(_) => report.problems.push(problem(
                            "ledger_nodes",
                            format!("level={} idx={}", id.level, id.index),
                            "节点哈希与其子树不符",
                        )),
                        None => report.problems.push(problem(
                            "ledger_nodes",
                            format!("level={} idx={}", id.level, id.index),
                            "节点缺失",
                        )),
                    }
                }
            }
            for missing in expected..end {
                report.problems.push(problem("ledger_leaves", format!("idx={missing}"), "叶子缺失"));
            }
            start = end;
            progress(Progress { phase: "叶子与子树", done: start, total: size });
        }
        for id in self.store.records_without_leaf(100).await? {
            report.problems.push(problem("records", format!("id={id}"), "记录没有对应的叶子"));
        }
        let total_nodes = self.store.ledger_node_count().await?;
        report.nodes = total_nodes;
        let expected_nodes: u64 = (0..64).map(|k| size >> k).sum();
        if total_nodes > expected_nodes {
            report.problems.push(problem(
                "ledger_nodes",
                format!("count={total_nodes}"),
                format!("节点比 {size} 个叶子应有的 {expected_nodes} 个多"),
            ));
        }

        // Registry rows, against the newest record of each.
        for table in zhifa_store::Registry::ALL {
            let name = table.names().0;
            let mut after = 0;
            loop {
                let rows = self.store.entities_with_latest_record(table, after, 1_000).await?;
                let Some(last) = rows.last() else { break };
                after = last.0;
                for (id, data, body) in rows {
                    report.rows += 1;
                    let current: Option<serde_json::Value> = serde_json::from_str(&data).ok();
                    let recorded =
                        body.and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok()).and_then(|mut b| {
                            b.get_mut("data").and_then(|d| d.get_mut("data")).map(serde_json::Value::take)
                        });
                    match (current, recorded) {
                        (Some(c), Some(r)) if c == r => {}
                        (_, None) => report.problems.push(problem(name, format!("id={id}"), "没有记录它的创建或修改")),
                        _ => report.problems.push(problem(name, format!("id={id}"), "当前内容与其最近一次记录不符")),
                    }
                }
            }
        }

        // Evidence files, hashed again.
        report.files = self.verify_evidence(alg, &mut report.problems).await?;

        // Checkpoints: signature, and root against the (verified) nodes.
        let mut after = None;
        loop {
            let batch = self.store.checkpoints_after(after, 500).await?;
            let Some(last) = batch.last() else { break };
            after = Some(last.size);
            for c in &batch {
                report.checkpoints += 1;
                let row = format!("size={}", c.size);
                let opened = verifier.as_ref().map(|v| v.open(&c.note));
                match opened {
                    Some(Ok(cp)) if cp.size == c.size && cp.root == c.root && cp.origin == meta.origin => {}
                    Some(Ok(_)) => report.problems.push(problem(
                        "ledger_checkpoints",
                        row.clone(),
                        "签名内容与所存的大小或根哈希不符",
                    )),
                    Some(Err(e)) => report.problems.push(problem(
                        "ledger_checkpoints",
                        row.clone(),
                        format!("{e}（检查点或 ledger_meta 中的公钥被改动）"),
                    )),
                    None => {}
                }
                if c.size > size {
                    report.problems.push(problem("ledger_checkpoints", row, format!("大于日志当前大小 {size}")));
                } else if self.root_at(alg, c.size).await.ok() != Some(c.root) {
                    report.problems.push(problem("ledger_checkpoints", row, "根哈希与日志不符"));
                }
            }
            progress(Progress { phase: "检查点", done: report.checkpoints, total: report.checkpoints });
        }
        Ok(report)
    }

    /// Whether the log now extends the one `note` describes (signed by this
    /// log's key): the consistency proof from its size to the current one.
    pub async fn verify_against(&self, note: &str) -> Result<std::result::Result<u64, String>> {
        let meta = self.ledger_meta().await?;
        let verifier = Verifier::from_public_key_pem(&meta.origin, &meta.public_key).map_err(internal)?;
        let old = match verifier.open(note) {
            Ok(c) => c,
            Err(e) => return Ok(Err(format!("检查点无法验证：{e}"))),
        };
        let size = self.store.ledger_size().await?;
        if old.size > size {
            return Ok(Err(format!("检查点的大小 {} 大于日志当前大小 {size}：日志被截短", old.size)));
        }
        if old.size == 0 {
            return Ok(Ok(size));
        }
        let p = self.consistency_proof(old.size, size).await?;
        if zhifa_ledger::verify_consistency(meta.hash, old.size, size, &old.root, &p.second_root, &p.proof) {
            Ok(Ok(size))
        } else {
            Ok(Err(format!("当前日志不是大小为 {} 的检查点的延续：历史被改写", old.size)))
        }
    }
}

/// A record against its leaf: the columns against the body, the body (and
/// salt) against the leaf's commitment.
fn check_record(alg: HashAlg, r: &zhifa_store::RecordRow, leaf: &zhifa_store::LeafRow, problems: &mut Vec<Problem>) {
    if let Some(column) = column_differing_from_body(r) {
        problems.push(problem("records", format!("id={}", r.id.0), format!("“{column}”列与记录正文不符")));
    }
    let recomputed = RecordLeaf {
        record_id: r.id.0,
        kind: r.kind.clone(),
        at_us: r.at.as_microsecond(),
        commitment: RecordLeaf::commitment(alg, &leaf.salt, &r.body),
    }
    .to_bytes();
    if recomputed != leaf.leaf {
        problems.push(problem(
            "records",
            format!("id={}", r.id.0),
            format!("记录与其叶子 ledger_leaves idx={} 不符（记录、盐值或叶子被改动）", leaf.index),
        ));
    }
}

/// The fields of a record body that have columns; `data` is skipped unread.
#[derive(serde::Deserialize)]
struct RecordHead<'a> {
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    entity: std::borrow::Cow<'a, str>,
    entity_id: i64,
    agency_id: Option<i64>,
    #[serde(borrow)]
    actor: ActorHead<'a>,
    #[serde(borrow)]
    at: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    reason: std::borrow::Cow<'a, str>,
}

#[derive(serde::Deserialize)]
struct ActorHead<'a> {
    id: Option<i64>,
    #[serde(borrow)]
    username: std::borrow::Cow<'a, str>,
}

/// The first column of a records row that disagrees with its (committed)
/// body: the columns are copies kept for queries, the body is what the leaf
/// commits to.
fn column_differing_from_body(r: &zhifa_store::RecordRow) -> Option<&'static str> {
    let Ok(body) = serde_json::from_slice::<RecordHead>(&r.body) else {
        return Some("body");
    };
    let checks = [
        ("kind", body.kind == r.kind),
        ("entity", body.entity == r.entity),
        ("entity_id", body.entity_id == r.entity_id),
        ("agency_id", body.agency_id == r.agency_id.map(|a| a.0)),
        ("actor_id", body.actor.id == r.actor_id.map(|a| a.0)),
        ("actor_name", body.actor.username == r.actor_name),
        ("reason", body.reason == r.reason),
        ("at_us", body.at.parse::<jiff::Timestamp>().is_ok_and(|t| t.as_microsecond() == r.at.as_microsecond())),
    ];
    checks.into_iter().find(|(_, same)| !same).map(|(column, _)| column)
}

fn out_of_range(message: String) -> ServiceError {
    ServiceError::Invalid(zhifa_domain::Invalid::new("index", message))
}
