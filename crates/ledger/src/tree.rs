//! The tree maths of RFC 9162 §2.1 over stored complete subtrees.
//!
//! Each function that reads nodes has a twin that says which nodes it will
//! read (`*_nodes`), so the store can fetch them in one query; both run the
//! same recursion, once recording and once computing.

use crate::{Hash, HashAlg, LedgerError};
use std::collections::HashMap;

/// A complete subtree: leaves `[index << level, (index + 1) << level)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub level: u8,
    pub index: u64,
}

impl NodeId {
    fn first_leaf(self) -> u64 {
        self.index << self.level
    }
}

/// The complete subtrees of `[start, end)`, largest first, when `start` is a
/// multiple of the largest power of two not above `end - start` (as every
/// range of the RFC's recursion is).
fn subtrees(start: u64, end: u64) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        let mut level = if at == 0 { 63 } else { at.trailing_zeros() };
        while level > 0 && (1u64 << level) > end - at {
            level -= 1;
        }
        out.push(NodeId { level: level as u8, index: at >> level });
        at += 1u64 << level;
    }
    out
}

/// The complete subtrees a tree of `size` leaves is made of, largest first.
pub fn frontier(size: u64) -> Vec<NodeId> {
    subtrees(0, size)
}

/// The largest power of two smaller than `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Where the hashes come from: a recorder of what is needed, or the nodes read.
trait Nodes {
    fn get(&mut self, id: NodeId) -> Result<Hash, LedgerError>;
}

struct Record(Vec<NodeId>);

impl Nodes for Record {
    fn get(&mut self, id: NodeId) -> Result<Hash, LedgerError> {
        self.0.push(id);
        Ok([0; 32])
    }
}

struct Read<'a>(&'a HashMap<NodeId, Hash>);

impl Nodes for Read<'_> {
    fn get(&mut self, id: NodeId) -> Result<Hash, LedgerError> {
        self.0.get(&id).copied().ok_or(LedgerError::MissingNode(id))
    }
}

/// MTH(D[start:end]) from its complete subtrees.
fn mth(alg: HashAlg, nodes: &mut impl Nodes, start: u64, end: u64) -> Result<Hash, LedgerError> {
    let parts = subtrees(start, end);
    let mut hashes = Vec::with_capacity(parts.len());
    for id in parts {
        hashes.push(nodes.get(id)?);
    }
    let Some(mut root) = hashes.pop() else { return Ok(alg.empty()) };
    while let Some(left) = hashes.pop() {
        root = alg.node(&left, &root);
    }
    Ok(root)
}

fn path(
    alg: HashAlg,
    nodes: &mut impl Nodes,
    m: u64,
    start: u64,
    end: u64,
    out: &mut Vec<Hash>,
) -> Result<(), LedgerError> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < start + k {
        path(alg, nodes, m, start, start + k, out)?;
        out.push(mth(alg, nodes, start + k, end)?);
    } else {
        path(alg, nodes, m, start + k, end, out)?;
        out.push(mth(alg, nodes, start, start + k)?);
    }
    Ok(())
}

fn subproof(
    alg: HashAlg,
    nodes: &mut impl Nodes,
    m: u64,
    start: u64,
    end: u64,
    whole: bool,
    out: &mut Vec<Hash>,
) -> Result<(), LedgerError> {
    let n = end - start;
    if m == n {
        if !whole {
            out.push(mth(alg, nodes, start, end)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(alg, nodes, m, start, start + k, whole, out)?;
        out.push(mth(alg, nodes, start + k, end)?);
    } else {
        subproof(alg, nodes, m - k, start + k, end, false, out)?;
        out.push(mth(alg, nodes, start, start + k)?);
    }
    Ok(())
}

fn check_inclusion(index: u64, size: u64) -> Result<(), LedgerError> {
    if index >= size {
        return Err(LedgerError::OutOfRange(format!("叶子序号 {index} 不小于日志大小 {size}")));
    }
    Ok(())
}

fn check_consistency(first: u64, second: u64) -> Result<(), LedgerError> {
    if first == 0 || first > second {
        return Err(LedgerError::OutOfRange(format!("一致性证明要求 0 < first ≤ second（{first}，{second}）")));
    }
    Ok(())
}

/// The root of the tree of the first `size` leaves (it reads its [`frontier`]).
pub fn root_at(alg: HashAlg, size: u64, nodes: &HashMap<NodeId, Hash>) -> Result<Hash, LedgerError> {
    mth(alg, &mut Read(nodes), 0, size)
}

/// The nodes [`inclusion_proof`] reads.
pub fn inclusion_nodes(index: u64, size: u64) -> Result<Vec<NodeId>, LedgerError> {
    check_inclusion(index, size)?;
    let mut record = Record(Vec::new());
    path(HashAlg::Sha256, &mut record, index, 0, size, &mut Vec::new())?;
    Ok(record.0)
}

/// PATH(index, D[0:size]), leaf end first.
pub fn inclusion_proof(
    alg: HashAlg,
    index: u64,
    size: u64,
    nodes: &HashMap<NodeId, Hash>,
) -> Result<Vec<Hash>, LedgerError> {
    check_inclusion(index, size)?;
    let mut out = Vec::new();
    path(alg, &mut Read(nodes), index, 0, size, &mut out)?;
    Ok(out)
}

/// The nodes [`consistency_proof`] reads.
pub fn consistency_nodes(first: u64, second: u64) -> Result<Vec<NodeId>, LedgerError> {
    check_consistency(first, second)?;
    let mut record = Record(Vec::new());
    if first < second {
        subproof(HashAlg::Sha256, &mut record, first, 0, second, true, &mut Vec::new())?;
    }
    Ok(record.0)
}

/// PROOF(first, D[0:second]).
pub fn consistency_proof(
    alg: HashAlg,
    first: u64,
    second: u64,
    nodes: &HashMap<NodeId, Hash>,
) -> Result<Vec<Hash>, LedgerError> {
    check_consistency(first, second)?;
    let mut out = Vec::new();
    if first < second {
        subproof(alg, &mut Read(nodes), first, 0, second, true, &mut out)?;
    }
    Ok(out)
}

/// RFC 9162 §2.1.3.2.
pub fn verify_inclusion(alg: HashAlg, index: u64, size: u64, leaf_hash: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = alg.node(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = alg.node(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// RFC 9162 §2.1.4.2.
pub fn verify_consistency(
    alg: HashAlg,
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> bool {
    if first == 0 || first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let Some((head, rest)) = path.split_first() else { return false };
    let (mut f, mut s) = (first - 1, second - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*head, *head);
    for c in rest {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = alg.node(c, &fr);
            sr = alg.node(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = alg.node(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && fr == *first_root && sr == *second_root
}

/// Appends leaves to a tree whose frontier it holds, returning the nodes to
/// store: each leaf and every subtree it completes.
#[derive(Debug, Clone)]
pub struct Appender {
    alg: HashAlg,
    size: u64,
    frontier: Vec<(NodeId, Hash)>,
}

impl Appender {
    /// The tree of `size` leaves; `nodes` must hold its [`frontier`].
    pub fn new(alg: HashAlg, size: u64, nodes: &HashMap<NodeId, Hash>) -> Result<Self, LedgerError> {
        let frontier = frontier(size)
            .into_iter()
            .map(|id| nodes.get(&id).map(|h| (id, *h)).ok_or(LedgerError::MissingNode(id)))
            .collect::<Result<_, _>>()?;
        Ok(Self { alg, size, frontier })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Append one leaf (its data, not yet hashed).
    pub fn append(&mut self, data: &[u8]) -> Vec<(NodeId, Hash)> {
        let mut id = NodeId { level: 0, index: self.size };
        let mut hash = self.alg.leaf(data);
        let mut new = vec![(id, hash)];
        while let Some(&(last, left)) = self.frontier.last()
            && last.level == id.level
        {
            self.frontier.pop();
            hash = self.alg.node(&left, &hash);
            id = NodeId { level: id.level + 1, index: id.index >> 1 };
            new.push((id, hash));
        }
        debug_assert_eq!(id.first_leaf() + (1u64 << id.level), self.size + 1);
        self.frontier.push((id, hash));
        self.size += 1;
        new
    }

    pub fn root(&self) -> Hash {
        let mut it = self.frontier.iter().rev();
        let Some(&(_, mut root)) = it.next() else { return self.alg.empty() };
        for (_, left) in it {
            root = self.alg.node(left, &root);
        }
        root
    }
}
