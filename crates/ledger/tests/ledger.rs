#![expect(clippy::unwrap_used, reason = "tests fail loudly")]
//! The tree against RFC 6962's known answers and an independent SM3, proofs
//! by property, and checkpoints against OpenSSL.

use proptest::prelude::*;
use std::collections::HashMap;
use std::process::Command;
use zhifa_ledger::*;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// The leaves of RFC 6962's reference tests (certificate-transparency
/// `merkle_tree_test.cc`).
const LEAVES: [&str; 8] =
    ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

/// A tree of `leaves` with every stored node, as the store would hold it.
fn build(alg: HashAlg, leaves: &[Vec<u8>]) -> (HashMap<NodeId, Hash>, Vec<Hash>) {
    let mut nodes = HashMap::new();
    let mut appender = Appender::new(alg, 0, &nodes).unwrap();
    let mut roots = Vec::new();
    for leaf in leaves {
        nodes.extend(appender.append(leaf));
        roots.push(appender.root());
    }
    (nodes, roots)
}

fn rfc_leaves() -> Vec<Vec<u8>> {
    LEAVES.iter().map(|l| unhex(l)).collect()
}

#[test]
fn rfc_6962_roots_of_sizes_1_to_8() {
    let expected = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    let (nodes, roots) = build(HashAlg::Sha256, &rfc_leaves());
    for (size, want) in expected.iter().enumerate() {
        assert_eq!(hex(&roots[size]), *want, "appended root of size {}", size + 1);
        let stored = root_at(HashAlg::Sha256, size as u64 + 1, &nodes).unwrap();
        assert_eq!(hex(&stored), *want, "stored root of size {}", size + 1);
    }
    assert_eq!(
        hex(&root_at(HashAlg::Sha256, 0, &nodes).unwrap()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn rfc_6962_inclusion_proofs() {
    let (nodes, roots) = build(HashAlg::Sha256, &rfc_leaves());
    let cases: [(u64, u64, &[&str]); 4] = [
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (index, size, want) in cases {
        let proof = inclusion_proof(HashAlg::Sha256, index, size, &nodes).unwrap();
        let got: Vec<String> = proof.iter().map(|p| hex(p)).collect();
        assert_eq!(got, want, "PATH({index}, D[{size}])");
        let leaf = HashAlg::Sha256.leaf(&unhex(LEAVES[index as usize]));
        assert!(verify_inclusion(HashAlg::Sha256, index, size, &leaf, &proof, &roots[size as usize - 1]));
    }
    assert!(inclusion_proof(HashAlg::Sha256, 8, 8, &nodes).is_err());
}

#[test]
fn rfc_6962_consistency_proofs() {
    let (nodes, roots) = build(HashAlg::Sha256, &rfc_leaves());
    let cases: [(u64, u64, &[&str]); 4] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (first, second, want) in cases {
        let proof = consistency_proof(HashAlg::Sha256, first, second, &nodes).unwrap();
        let got: Vec<String> = proof.iter().map(|p| hex(p)).collect();
        assert_eq!(got, want, "PROOF({first}, D[{second}])");
        let (r1, r2) = (roots[first as usize - 1], roots[second as usize - 1]);
        assert!(verify_consistency(HashAlg::Sha256, first, second, &r1, &r2, &proof));
    }
}

/// `openssl dgst -sm3` of `bytes`: an SM3 independent of the `sm3` crate.
fn openssl_sm3(bytes: &[u8]) -> Hash {
    let dir = std::env::temp_dir().join(format!("zhifa-sm3-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("in");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new("openssl").args(["dgst", "-sm3", "-binary"]).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout.try_into().unwrap()
}

#[test]
fn the_rfc_tree_hashed_with_sm3_matches_openssl_sm3() {
    // Build the same 8-leaf tree by hand with OpenSSL's SM3 ...
    let mut level: Vec<Hash> = rfc_leaves().iter().map(|l| openssl_sm3(&[&[0u8][..], l].concat())).collect();
    while level.len() > 1 {
        level = level.chunks(2).map(|p| openssl_sm3(&[&[1u8][..], &p[0], &p[1]].concat())).collect();
    }
    // ... and with ours.
    let (nodes, roots) = build(HashAlg::Sm3, &rfc_leaves());
    assert_eq!(hex(&roots[7]), hex(&level[0]));
    assert_eq!(root_at(HashAlg::Sm3, 8, &nodes).unwrap(), level[0]);
    assert_eq!(
        hex(&HashAlg::Sm3.digest(&[b"abc"])),
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    );
}

fn signer(alg: SignerAlg) -> Signer {
    Signer::from_seed(alg, "zhifa.example/test", &[7u8; 32]).unwrap()
}

#[test]
fn a_sm2_checkpoint_verifies_with_openssl() {
    let s = signer(SignerAlg::Sm2);
    let checkpoint = Checkpoint::new("zhifa.example/test", 8, [9u8; 32]);
    let note = s.sign_checkpoint(&checkpoint);
    assert_eq!(s.verifier().open(&note).unwrap(), checkpoint);

    // OpenSSL checks the signature over the body with SM3 and the explicit distinguishing ID.
    let dir = std::env::temp_dir().join(format!("zhifa-sm2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (body, sigs) = note.split_once("\n\n").unwrap();
    let blob = sigs.trim_end().rsplit(' ').next().unwrap();
    use base64::Engine;
    let blob = base64::engine::general_purpose::STANDARD.decode(blob).unwrap();
    std::fs::write(dir.join("body"), format!("{body}\n")).unwrap();
    std::fs::write(dir.join("sig"), &blob[4..]).unwrap();
    std::fs::write(dir.join("pub.pem"), s.verifier().public_key_pem().unwrap()).unwrap();
    let verify = |body: &str| {
        Command::new("openssl")
            .args(["pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", body, "-sigfile", "sig"])
            .args(["-digest", "sm3", "-pkeyopt", "distid:1234567812345678"])
            .current_dir(&dir)
            .output()
            .unwrap()
    };
    let ok = verify("body");
    assert!(ok.status.success(), "{}{}", String::from_utf8_lossy(&ok.stdout), String::from_utf8_lossy(&ok.stderr));
    std::fs::write(dir.join("forged"), format!("{body}\n").replace("\n8\n", "\n9\n")).unwrap();
    assert!(!verify("forged").status.success(), "OpenSSL must refuse a changed body");

    // OpenSSL reads our private key too.
    std::fs::write(dir.join("key.pem"), s.to_pkcs8_pem().unwrap()).unwrap();
    let out = Command::new("openssl").args(["pkey", "-in", "key.pem", "-pubout"]).current_dir(&dir).output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), s.verifier().public_key_pem().unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn checkpoints_round_trip_and_refuse_forgery() {
    for alg in [SignerAlg::Sm2, SignerAlg::Ed25519] {
        let s = signer(alg);
        let pem = s.to_pkcs8_pem().unwrap();
        let again = Signer::from_pkcs8_pem("zhifa.example/test", &pem).unwrap();
        assert_eq!(again.alg(), alg);
        let checkpoint = Checkpoint {
            extensions: vec!["time 2026-12-06T00:02:44.5Z".into(), "log-created 2026-01-01T00:00:00Z".into()],
            ..Checkpoint::new("zhifa.example/test", 123, [1u8; 32])
        };
        let note = again.sign_checkpoint(&checkpoint);
        assert!(note.contains("\ntime 2026-12-06T00:02:44.5Z\nlog-created 2026-01-01T00:00:00Z\n\n"), "{note}");
        let verifier =
            Verifier::from_public_key_pem("zhifa.example/test", &s.verifier().public_key_pem().unwrap()).unwrap();
        assert_eq!(verifier.open(&note).unwrap(), checkpoint);
        assert_eq!(verifier.open(&note).unwrap().extension("time"), Some("2026-12-06T00:02:44.5Z"));
        assert_eq!(verifier.open(&note).unwrap().extension("log"), None);
        assert_eq!(verifier.open(&note.replace("\n123\n", "\n124\n")), Err(LedgerError::BadSignature));
        // An extension line is signed like the rest.
        assert_eq!(verifier.open(&note.replace("44.5Z", "44.6Z")), Err(LedgerError::BadSignature));
        // Text after the signatures, or a signature without its newline, is no note.
        for bad in [format!("{note}x"), format!("{note}\n"), note.trim_end().to_owned()] {
            assert!(matches!(verifier.open(&bad), Err(LedgerError::BadCheckpoint(_))), "{bad:?}");
        }
        assert!(!format!("{s:?}").contains(&pem[40..60]), "Debug never shows the key");
    }
}

proptest! {
    #[test]
    fn every_inclusion_and_consistency_proof_verifies(size in 1u64..200, a in any::<u64>(), b in any::<u64>()) {
        let leaves: Vec<Vec<u8>> = (0..size).map(|i| i.to_le_bytes().to_vec()).collect();
        let (nodes, roots) = build(HashAlg::Sm3, &leaves);
        let index = a % size;
        let proof = inclusion_proof(HashAlg::Sm3, index, size, &nodes).unwrap();
        let leaf = HashAlg::Sm3.leaf(&leaves[index as usize]);
        let root = roots[size as usize - 1];
        prop_assert!(verify_inclusion(HashAlg::Sm3, index, size, &leaf, &proof, &root));
        prop_assert!(!verify_inclusion(HashAlg::Sm3, index, size, &HashAlg::Sm3.leaf(b"other"), &proof, &root));
        prop_assert!(proof.len() <= 64 - size.leading_zeros() as usize);
        prop_assert_eq!(inclusion_nodes(index, size).unwrap().len() <= 2 * (64 - size.leading_zeros() as usize), true);

        let first = b % size + 1;
        let proof = consistency_proof(HashAlg::Sm3, first, size, &nodes).unwrap();
        let old = roots[first as usize - 1];
        prop_assert!(verify_consistency(HashAlg::Sm3, first, size, &old, &root, &proof));
        if first < size {
            prop_assert!(!verify_consistency(HashAlg::Sm3, first, size, &HashAlg::Sm3.leaf(b"x"), &root, &proof));
        }
    }
}
