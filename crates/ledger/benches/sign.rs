//! `cargo bench -p zhifa-ledger --bench sign`: what a checkpoint costs to sign
//! and verify, per algorithm, and SM3 vs SHA-256 throughput.

use std::hint::black_box;
use std::time::Instant;
use zhifa_ledger::{Checkpoint, HashAlg, Signer, SignerAlg};

fn main() {
    let checkpoint = Checkpoint::new("zhifa.local/ledger/bench", 1_000_000, [7; 32]);
    for alg in [SignerAlg::Sm2, SignerAlg::Ed25519] {
        let Ok(signer) = Signer::from_seed(alg, "zhifa.local/ledger/bench", &[9; 32]) else { return };
        let verifier = signer.verifier();
        let n = 2_000;
        let started = Instant::now();
        let mut note = String::new();
        for _ in 0..n {
            note = black_box(signer.sign_checkpoint(black_box(&checkpoint)));
        }
        let sign = started.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        let started = Instant::now();
        for _ in 0..n {
            black_box(verifier.open(black_box(&note)).is_ok());
        }
        let verify = started.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        println!("{:<8} sign {sign:>8.1} µs   verify {verify:>8.1} µs", alg.code());
    }
    let data = vec![0x5au8; 64 << 20];
    for alg in [HashAlg::Sm3, HashAlg::Sha256] {
        let started = Instant::now();
        black_box(alg.digest(&[&data]));
        let mb_s = 64.0 / started.elapsed().as_secs_f64();
        println!("{:<8} {mb_s:>8.0} MB/s", alg.code());
    }
}
