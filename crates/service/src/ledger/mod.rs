//! The log's use cases: checkpoints after commits, the leaves and the public
//! proofs; full verification of everything the log covers in [`verify`].

mod rows;
mod verify;

pub(crate) use verify::problem;
pub use verify::{Problem, Progress, VerifyReport};

use crate::{Result, Service, ServiceError};
use std::collections::HashMap;
use zhifa_ledger::{Hash, HashAlg, NodeId};
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
    async fn proof_nodes(
        &self,
        mut ids: Vec<NodeId>,
        size: u64,
        leaf: Option<u64>,
    ) -> Result<(HashAlg, HashMap<NodeId, Hash>, Hash, Option<Vec<u8>>)> {
        let alg = self.store.ledger_meta_cached().await?.hash;
        ids.extend(zhifa_ledger::frontier(size));
        let (nodes, leaf) = self.store.ledger_nodes_and_leaf(ids, leaf).await?;
        match zhifa_ledger::root_at(alg, size, &nodes) {
            Ok(root) => Ok((alg, nodes, root, leaf)),
            Err(_) => {
                let current = self.store.ledger_size().await?;
                Err(out_of_range(format!("日志当前只有 {current} 个叶子")))
            }
        }
    }

    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<InclusionProof> {
        let ids = zhifa_ledger::inclusion_nodes(index, size).map_err(|e| out_of_range(e.to_string()))?;
        let (alg, nodes, root, leaf) = self.proof_nodes(ids, size, Some(index)).await?;
        let proof = zhifa_ledger::inclusion_proof(alg, index, size, &nodes).map_err(internal)?;
        Ok(InclusionProof { index, size, root, leaf: leaf.unwrap_or_default(), proof })
    }

    pub async fn consistency_proof(&self, first: u64, second: u64) -> Result<ConsistencyProof> {
        let mut ids = zhifa_ledger::consistency_nodes(first, second).map_err(|e| out_of_range(e.to_string()))?;
        ids.extend(zhifa_ledger::frontier(first));
        let (alg, nodes, second_root, _) = self.proof_nodes(ids, second, None).await?;
        let proof = zhifa_ledger::consistency_proof(alg, first, second, &nodes).map_err(internal)?;
        let first_root = zhifa_ledger::root_at(alg, first, &nodes).map_err(internal)?;
        Ok(ConsistencyProof { first, second, first_root, second_root, proof })
    }
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::internal(e.to_string())
}

fn out_of_range(message: String) -> ServiceError {
    ServiceError::Invalid(zhifa_domain::Invalid::new("index", message))
}
