//! What a leaf of the platform's log says about a record: its id, kind and
//! time, and a salted commitment to its bytes. The leaf never holds the
//! record's content, so every leaf can be public; whoever is shown a record
//! (and its salt) can check it against its leaf.

use crate::{Hash, HashAlg, LedgerError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLeaf {
    pub record_id: i64,
    pub kind: String,
    /// When the record was made, microseconds since the Unix epoch.
    pub at_us: i64,
    /// [`RecordLeaf::commitment`] of the record's bytes.
    pub commitment: Hash,
}

const HEADER: &str = "zhifa/record/v1";

impl RecordLeaf {
    /// `H("zhifa/commitment/v1\n" ‖ salt ‖ body)`: hides a guessable body
    /// behind 32 random bytes.
    pub fn commitment(alg: HashAlg, salt: &[u8], body: &[u8]) -> Hash {
        alg.digest(&[b"zhifa/commitment/v1\n", salt, body])
    }

    /// The leaf's bytes: five lines of text.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER.len() + self.kind.len() + 110);
        Self::write(self.record_id, &self.kind, self.at_us, &self.commitment, &mut out);
        out
    }

    /// Append the bytes of the leaf with these fields to `out` (no
    /// allocation: for checking millions of leaves).
    pub fn write(record_id: i64, kind: &str, at_us: i64, commitment: &Hash, out: &mut Vec<u8>) {
        use std::io::Write as _;
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        // Writing into a Vec cannot fail.
        write!(out, "{HEADER}\n{record_id}\n{kind}\n{at_us}\n").ok();
        for b in commitment {
            out.push(DIGITS[usize::from(b >> 4)]);
            out.push(DIGITS[usize::from(b & 0x0f)]);
        }
        out.push(b'\n');
    }

    pub fn parse(bytes: &[u8]) -> Result<Self, LedgerError> {
        let bad = || LedgerError::BadLeaf;
        let text = std::str::from_utf8(bytes).map_err(|_| bad())?;
        let lines: Vec<&str> = text.strip_suffix('\n').ok_or_else(bad)?.split('\n').collect();
        let [HEADER, id, kind, at, commitment] = lines[..] else { return Err(bad()) };
        let commitment = (0..32)
            .map(|i| commitment.get(2 * i..2 * i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect::<Option<Vec<u8>>>()
            .filter(|_| commitment.len() == 64)
            .and_then(|v| Hash::try_from(v).ok())
            .ok_or_else(bad)?;
        Ok(Self {
            record_id: id.parse().map_err(|_| bad())?,
            kind: kind.to_owned(),
            at_us: at.parse().map_err(|_| bad())?,
            commitment,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_bytes_round_trip() {
        let leaf = RecordLeaf {
            record_id: 42,
            kind: "item.create".into(),
            at_us: 1_700_000_000_000_000,
            commitment: RecordLeaf::commitment(HashAlg::Sm3, &[1; 32], b"{}"),
        };
        assert_eq!(RecordLeaf::parse(&leaf.to_bytes()).unwrap(), leaf);
        assert!(String::from_utf8(leaf.to_bytes()).unwrap().starts_with("zhifa/record/v1\n42\nitem.create\n"));
        assert!(RecordLeaf::parse(b"zhifa/record/v1\n42\n").is_err());
    }
}
