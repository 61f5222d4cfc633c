//! The tamper-evident log: an RFC 9162 Merkle tree over the platform's
//! records, hashed with SM3 (default) or SHA-256, with inclusion and
//! consistency proofs and signed checkpoints (C2SP signed-note format) with
//! SM2 (default) or Ed25519. Pure: no IO; the store hands in the nodes.
//!
//! Storage layout: every complete subtree's hash is kept, addressed by
//! [`NodeId`] (its level and index at that level). A tree of any size is the
//! right fold of its [frontier](frontier), so roots and proofs need O(log n)
//! stored nodes, found by [`inclusion_nodes`] and friends before they are read.

mod checkpoint;
mod leaf;
mod tree;

pub use checkpoint::{Checkpoint, DISTID, Signer, SignerAlg, Verifier};
pub use leaf::RecordLeaf;
pub use tree::{
    Appender, NodeId, consistency_nodes, consistency_proof, frontier, inclusion_nodes, inclusion_proof, root_at,
    verify_consistency, verify_inclusion,
};

use thiserror::Error;

/// A hash: both SM3 and SHA-256 give 32 bytes.
pub type Hash = [u8; 32];

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LedgerError {
    #[error("日志中缺少节点 {0:?}")]
    MissingNode(NodeId),
    #[error("请求超出日志范围：{0}")]
    OutOfRange(String),
    #[error("检查点格式错误：{0}")]
    BadCheckpoint(String),
    #[error("检查点签名无效")]
    BadSignature,
    #[error("叶子格式错误")]
    BadLeaf,
    #[error("密钥无效：{0}")]
    BadKey(String),
}

/// The hash function of a log, fixed when the log is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashAlg {
    Sm3,
    Sha256,
}

impl HashAlg {
    pub fn code(self) -> &'static str {
        match self {
            HashAlg::Sm3 => "sm3",
            HashAlg::Sha256 => "sha256",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sm3" => Some(HashAlg::Sm3),
            "sha256" => Some(HashAlg::Sha256),
            _ => None,
        }
    }

    /// The hash of the concatenation of `parts`.
    pub fn digest(self, parts: &[&[u8]]) -> Hash {
        fn run<D: sha2::Digest>(parts: &[&[u8]]) -> Hash {
            let mut d = D::new();
            for p in parts {
                d.update(p);
            }
            let mut out = [0u8; 32];
            out.copy_from_slice(&d.finalize());
            out
        }
        match self {
            HashAlg::Sm3 => run::<sm3::Sm3>(parts),
            HashAlg::Sha256 => run::<sha2::Sha256>(parts),
        }
    }

    /// RFC 9162 §2.1.1: the hash of a leaf, `H(0x00 ‖ data)`.
    pub fn leaf(self, data: &[u8]) -> Hash {
        self.digest(&[&[0x00], data])
    }

    /// RFC 9162 §2.1.1: the hash of an interior node, `H(0x01 ‖ left ‖ right)`.
    pub fn node(self, left: &Hash, right: &Hash) -> Hash {
        self.digest(&[&[0x01], left, right])
    }

    /// The root of the empty tree, `H("")`.
    pub fn empty(self) -> Hash {
        self.digest(&[])
    }
}

/// A hash computed over bytes that arrive in pieces (an uploaded file).
#[derive(Clone)]
pub struct Hasher(HasherInner);

#[derive(Clone)]
enum HasherInner {
    Sm3(sm3::Sm3),
    Sha256(sha2::Sha256),
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hasher")
    }
}

impl Hasher {
    pub fn update(&mut self, bytes: &[u8]) {
        use sha2::Digest;
        match &mut self.0 {
            HasherInner::Sm3(h) => h.update(bytes),
            HasherInner::Sha256(h) => h.update(bytes),
        }
    }

    pub fn finalize(self) -> Hash {
        use sha2::Digest;
        let mut out = [0u8; 32];
        match self.0 {
            HasherInner::Sm3(h) => out.copy_from_slice(&h.finalize()),
            HasherInner::Sha256(h) => out.copy_from_slice(&h.finalize()),
        }
        out
    }
}

impl HashAlg {
    pub fn hasher(self) -> Hasher {
        use sha2::Digest;
        Hasher(match self {
            HashAlg::Sm3 => HasherInner::Sm3(sm3::Sm3::new()),
            HashAlg::Sha256 => HasherInner::Sha256(sha2::Sha256::new()),
        })
    }
}

/// Lower-case hexadecimal, for messages and tests.
pub fn hex(hash: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(hash.len() * 2);
    for b in hash {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}
