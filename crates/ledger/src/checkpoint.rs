//! Checkpoints (signed tree heads) in the C2SP `tlog-checkpoint` text format,
//! signed as a C2SP `signed-note`:
//!
//! ```text
//! <origin>
//! <tree size>
//! <root hash, base64>
//! [<extension line>…]
//!
//! — <key name> <base64(key id ‖ signature)>
//! ```
//!
//! Ed25519 signatures follow the signed-note spec (key id = first 4 bytes of
//! SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)). SM2 has no type byte there; we
//! use 0xff ‖ "sm2" (the spec's escape for other types), SM3 as the digest,
//! the distinguishing ID [`DISTID`] and a DER signature, so that
//! `openssl pkeyutl -verify -digest sm3 -pkeyopt distid:1234567812345678`
//! verifies it.

use crate::{Hash, LedgerError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use sha2::Digest;

/// The SM2 distinguishing ID, always given explicitly (OpenSSL 3 uses an
/// empty one by default; GM/T 0009 specifies this one).
pub const DISTID: &str = "1234567812345678";

/// A tree head: the log's name, its size and its root, and the log's own
/// extension lines (C2SP tlog-checkpoint: non-empty lines after the root,
/// which a client that does not know them ignores).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub extensions: Vec<String>,
}

impl Checkpoint {
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Self {
        Self { origin: origin.into(), size, root, extensions: Vec::new() }
    }

    /// The signed text: three lines and the extension lines, each ending in a newline.
    pub fn body(&self) -> String {
        let mut body = format!("{}\n{}\n{}\n", self.origin, self.size, B64.encode(self.root));
        for line in &self.extensions {
            body.push_str(line);
            body.push('\n');
        }
        body
    }

    /// The value of the extension line `<key> <value>`, if there is one.
    pub fn extension(&self, key: &str) -> Option<&str> {
        self.extensions.iter().find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
    }

    pub fn parse_body(body: &str) -> Result<Self, LedgerError> {
        let bad = |m: &str| LedgerError::BadCheckpoint(m.to_owned());
        let mut lines = body.split('\n');
        let origin = lines.next().filter(|o| !o.is_empty()).ok_or_else(|| bad("缺少来源行"))?;
        let size = lines.next().and_then(|s| s.parse::<u64>().ok()).ok_or_else(|| bad("第二行应为日志大小"))?;
        let root = lines
            .next()
            .and_then(|r| B64.decode(r).ok())
            .and_then(|r| <Hash>::try_from(r.as_slice()).ok())
            .ok_or_else(|| bad("第三行应为 base64 编码的根哈希"))?;
        // The body ends in a newline, so the last piece is empty.
        let mut extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.pop().is_none_or(|last| !last.is_empty()) {
            return Err(bad("应以换行结束"));
        }
        if extensions.iter().any(|l| l.is_empty()) {
            return Err(bad("扩展行不得为空"));
        }
        Ok(Self { origin: origin.to_owned(), size, root, extensions })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignerAlg {
    Sm2,
    Ed25519,
}

impl SignerAlg {
    pub fn code(self) -> &'static str {
        match self {
            SignerAlg::Sm2 => "sm2",
            SignerAlg::Ed25519 => "ed25519",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sm2" => Some(SignerAlg::Sm2),
            "ed25519" => Some(SignerAlg::Ed25519),
            _ => None,
        }
    }
}

enum SigningKey {
    Sm2(Box<sm2::dsa::SigningKey>),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// The platform's checkpoint key. Its secret is never printed: `Debug` shows
/// only the name and algorithm.
pub struct Signer {
    name: String,
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("name", &self.name).field("alg", &self.alg()).finish_non_exhaustive()
    }
}

fn bad_key(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::BadKey(e.to_string())
}

impl Signer {
    /// A key from 32 random bytes (the caller brings the randomness).
    pub fn from_seed(alg: SignerAlg, name: &str, seed: &[u8; 32]) -> Result<Self, LedgerError> {
        let key = match alg {
            SignerAlg::Sm2 => {
                let secret = sm2::SecretKey::from_slice(seed).map_err(bad_key)?;
                SigningKey::Sm2(Box::new(sm2::dsa::SigningKey::new(DISTID, &secret).map_err(bad_key)?))
            }
            SignerAlg::Ed25519 => SigningKey::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(seed))),
        };
        Ok(Self { name: name.to_owned(), key })
    }

    /// A key from its PKCS#8 PEM (as written by [`Signer::to_pkcs8_pem`] or OpenSSL).
    pub fn from_pkcs8_pem(name: &str, pem: &str) -> Result<Self, LedgerError> {
        let key = if let Ok(secret) = sm2::SecretKey::from_pkcs8_pem(pem) {
            SigningKey::Sm2(Box::new(sm2::dsa::SigningKey::new(DISTID, &secret).map_err(bad_key)?))
        } else {
            SigningKey::Ed25519(Box::new(ed25519_dalek::SigningKey::from_pkcs8_pem(pem).map_err(bad_key)?))
        };
        Ok(Self { name: name.to_owned(), key })
    }

    pub fn to_pkcs8_pem(&self) -> Result<String, LedgerError> {
        let pem = match &self.key {
            SigningKey::Sm2(k) => {
                let secret = sm2::SecretKey::from_bytes(&k.to_bytes()).map_err(bad_key)?;
                secret.to_pkcs8_pem(Default::default()).map_err(bad_key)?
            }
            SigningKey::Ed25519(k) => k.to_pkcs8_pem(Default::default()).map_err(bad_key)?,
        };
        Ok(pem.to_string())
    }

    pub fn alg(&self) -> SignerAlg {
        match self.key {
            SigningKey::Sm2(_) => SignerAlg::Sm2,
            SigningKey::Ed25519(_) => SignerAlg::Ed25519,
        }
    }

    pub fn verifier(&self) -> Verifier {
        let key = match &self.key {
            SigningKey::Sm2(k) => VerifyingKey::Sm2(Box::new(k.verifying_key().clone())),
            SigningKey::Ed25519(k) => VerifyingKey::Ed25519(Box::new(k.verifying_key())),
        };
        Verifier { name: self.name.clone(), key }
    }

    /// The signature of `message`: DER for SM2, 64 bytes for Ed25519.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        use sm2::dsa::signature::Signer as _;
        match &self.key {
            SigningKey::Sm2(k) => {
                let sig: sm2::dsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            SigningKey::Ed25519(k) => k.sign(message).to_bytes().to_vec(),
        }
    }

    /// The signed note of `checkpoint`.
    pub fn sign_checkpoint(&self, checkpoint: &Checkpoint) -> String {
        let body = checkpoint.body();
        let mut blob = self.verifier().key_id().to_vec();
        blob.extend(self.sign(body.as_bytes()));
        format!("{body}\n\u{2014} {} {}\n", self.name, B64.encode(blob))
    }
}

#[derive(Debug, Clone)]
enum VerifyingKey {
    Sm2(Box<sm2::dsa::VerifyingKey>),
    Ed25519(Box<ed25519_dalek::VerifyingKey>),
}

/// The public half: verifies checkpoints.
#[derive(Debug, Clone)]
pub struct Verifier {
    name: String,
    key: VerifyingKey,
}

impl Verifier {
    pub fn from_public_key_pem(name: &str, pem: &str) -> Result<Self, LedgerError> {
        let key = if let Ok(public) = sm2::PublicKey::from_public_key_pem(pem) {
            VerifyingKey::Sm2(Box::new(sm2::dsa::VerifyingKey::new(DISTID, public).map_err(bad_key)?))
        } else {
            VerifyingKey::Ed25519(Box::new(ed25519_dalek::VerifyingKey::from_public_key_pem(pem).map_err(bad_key)?))
        };
        Ok(Self { name: name.to_owned(), key })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn alg(&self) -> SignerAlg {
        match self.key {
            VerifyingKey::Sm2(_) => SignerAlg::Sm2,
            VerifyingKey::Ed25519(_) => SignerAlg::Ed25519,
        }
    }

    /// SubjectPublicKeyInfo PEM, as OpenSSL reads it.
    pub fn public_key_pem(&self) -> Result<String, LedgerError> {
        match &self.key {
            VerifyingKey::Sm2(k) => {
                sm2::PublicKey::from_affine(*k.as_affine()).map_err(bad_key)?.to_public_key_pem(Default::default())
            }
            VerifyingKey::Ed25519(k) => k.to_public_key_pem(Default::default()),
        }
        .map_err(bad_key)
    }

    fn public_bytes(&self) -> Vec<u8> {
        match &self.key {
            VerifyingKey::Sm2(k) => k.to_sec1_bytes().to_vec(),
            VerifyingKey::Ed25519(k) => k.to_bytes().to_vec(),
        }
    }

    /// The signed-note key id: 4 bytes of SHA-256(name ‖ "\n" ‖ type ‖ key).
    pub fn key_id(&self) -> [u8; 4] {
        let mut h = sha2::Sha256::new();
        h.update(self.name.as_bytes());
        h.update(b"\n");
        match self.key {
            VerifyingKey::Sm2(_) => h.update(b"\xffsm2"),
            VerifyingKey::Ed25519(_) => h.update([0x01]),
        }
        h.update(self.public_bytes());
        let d = h.finalize();
        [d[0], d[1], d[2], d[3]]
    }

    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        use sm2::dsa::signature::Verifier as _;
        match &self.key {
            VerifyingKey::Sm2(k) => {
                sm2::dsa::Signature::from_der(signature).is_ok_and(|sig| k.verify(message, &sig).is_ok())
            }
            VerifyingKey::Ed25519(k) => {
                ed25519_dalek::Signature::from_slice(signature).is_ok_and(|sig| k.verify_strict(message, &sig).is_ok())
            }
        }
    }

    /// Open a signed note: find this key's signature line and check it.
    pub fn open(&self, note: &str) -> Result<Checkpoint, LedgerError> {
        let (body, signatures) =
            note.split_once("\n\n").ok_or_else(|| LedgerError::BadCheckpoint("缺少签名部分".into()))?;
        let body = format!("{body}\n");
        // A signed note ends its last signature line with a newline, and
        // every line after the blank one is a signature (C2SP signed-note):
        // anything else is no note, not text to be ignored.
        if !signatures.ends_with('\n') || signatures.lines().any(|l| !l.starts_with("\u{2014} ")) {
            return Err(LedgerError::BadCheckpoint("签名部分含有签名行以外的内容".into()));
        }
        let prefix = format!("\u{2014} {} ", self.name);
        for line in signatures.lines() {
            let Some(blob) = line.strip_prefix(&prefix).and_then(|b| B64.decode(b).ok()) else { continue };
            if blob.len() > 4 && blob[..4] == self.key_id() && self.verify(body.as_bytes(), &blob[4..]) {
                return Checkpoint::parse_body(&body);
            }
        }
        Err(LedgerError::BadSignature)
    }
}
