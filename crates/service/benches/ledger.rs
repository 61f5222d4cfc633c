//! `cargo bench -p zhifa-service --bench ledger` (SQLite in a temporary
//! directory; `ZHIFA_BENCH_LEAVES`, default 100,000):
//!
//! 1. appends through the command path in commands of 1,000 changes;
//! 2. `verify` of the whole log, against bare SM3 over the same bytes it hashes
//!    (the salted record commitments, the leaves and the interior nodes);
//! 3. inclusion-proof latency (p50, p99) at that size, through the service.

use std::hint::black_box;
use std::time::Instant;
use zhifa_domain::agency::AgencyForm;
use zhifa_domain::change::Change;
use zhifa_ledger::{HashAlg, RecordLeaf};
use zhifa_service::{Actor, Service};
use zhifa_store::testing::{Backend, TestDb, build, test_signer};

fn env_leaves() -> u64 {
    std::env::var("ZHIFA_BENCH_LEAVES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000)
}

#[tokio::main]
async fn main() {
    let leaves = env_leaves();
    let db = TestDb::new(Backend::Sqlite).await;
    let calendar = zhifa_calendar::Calendar::embedded().unwrap_or_else(|e| panic!("{e}"));
    let s = Service::new(db.store.clone(), calendar, test_signer());
    let sys = Actor::System("bench");
    let agency = s
        .create_agency(&sys, &AgencyForm::from(&build::agency("bench", "330106", 1)))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // 1. Appends in large commands.
    let started = Instant::now();
    let mut n = 1;
    while n < leaves {
        let batch = (leaves - n).min(1_000);
        let changes =
            (0..batch).map(|i| Change::CreateItem { agency, data: build::item(&format!("事项{}", n + i)) }).collect();
        let command = zhifa_store::Command {
            actor: sys.as_ref(),
            at: jiff::Timestamp::now(),
            reason: "基准测试".into(),
            changes,
        };
        db.store.commit(&command).await.unwrap_or_else(|e| panic!("{e}"));
        n += batch;
        if n % 100_000 < 1_000 {
            eprintln!("{n} leaves…");
        }
    }
    let append_secs = started.elapsed().as_secs_f64();
    let size = db.store.ledger_size().await.unwrap_or_else(|e| panic!("{e}"));
    println!(
        "appended {size} leaves in {append_secs:.1} s: {:.0} appends/s (commands of 1,000 changes)",
        (size - 1) as f64 / append_secs
    );

    // 2. Verify, then bare SM3 over the same inputs (skipped with
    // ZHIFA_BENCH_PROOFS_ONLY=1, for very large logs).
    if std::env::var_os("ZHIFA_BENCH_PROOFS_ONLY").is_none() {
        verify_against_sm3(&s, &db, size).await;
    }
    proofs(&s, size).await;
    db.remove().await;
}

async fn verify_against_sm3(s: &Service, db: &TestDb, size: u64) {
    let started = Instant::now();
    let report = s.verify(|_| {}).await.unwrap_or_else(|e| panic!("{e}"));
    let verify_secs = started.elapsed().as_secs_f64();
    assert!(report.problems.is_empty(), "{:?}", &report.problems[..report.problems.len().min(5)]);

    let mut inputs: Vec<Vec<u8>> = Vec::new();
    let started = Instant::now();
    let mut start = 0;
    while start < size {
        let end = (start + 2_000).min(size);
        black_box(db.store.ledger_entries(start, end).await.unwrap_or_else(|e| panic!("{e}")));
        start = end;
    }
    println!("reading every leaf with its record: {:.2} s", started.elapsed().as_secs_f64());
    let mut start = 0;
    while start < size {
        let end = (start + 10_000).min(size);
        for (leaf, record) in db.store.ledger_entries(start, end).await.unwrap_or_else(|e| panic!("{e}")) {
            let body = record.map(|r| r.body).unwrap_or_default();
            inputs.push([b"zhifa/commitment/v1\n".as_slice(), &leaf.salt, &body].concat());
            inputs.push([&[0u8][..], &leaf.leaf].concat());
        }
        start = end;
    }
    let interior: u64 = (1..64).map(|k| size >> k).sum();
    inputs.extend((0..interior).map(|_| vec![1u8; 65]));
    let bytes: usize = inputs.iter().map(Vec::len).sum();
    let started = Instant::now();
    for input in &inputs {
        black_box(HashAlg::Sm3.digest(&[input]));
    }
    let sm3_secs = started.elapsed().as_secs_f64();
    println!(
        "verify: {verify_secs:.2} s ({:.0} leaves/s); bare SM3 over the same {:.1} MB: {sm3_secs:.2} s; ratio {:.2}×",
        size as f64 / verify_secs,
        bytes as f64 / 1e6,
        sm3_secs / verify_secs
    );
    let _ = RecordLeaf::commitment; // the inputs above are what it hashes
}

/// 3. Inclusion proofs.
async fn proofs(s: &Service, size: u64) {
    let mut latencies = Vec::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..2_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let started = Instant::now();
        black_box(s.inclusion_proof(x % size, size).await.unwrap_or_else(|e| panic!("{e}")));
        latencies.push(started.elapsed().as_secs_f64() * 1e3);
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "inclusion proof at {size} leaves: p50 {:.3} ms, p99 {:.3} ms",
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100]
    );
}
