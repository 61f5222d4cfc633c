//! `cargo bench -p zhifa-service --bench ledger` (SQLite in a temporary
//! directory; `ZHIFA_BENCH_LEAVES`, default 100,000):
//!
//! 1. appends through the command path in commands of 1,000 changes;
//! 2. `verify` of the whole log, against bare SM3 over the same bytes it hashes
//!    (the salted record commitments, the leaves and the interior nodes);
//! 3. inclusion-proof latency (p50, p99) at that size, through the service.
//!
//! `ZHIFA_BENCH_DIR=DIR` keeps the database in `DIR` and appends only what
//! is missing, so that a large log is built once and measured many times.

use std::hint::black_box;
use std::time::Instant;
use zhifa_domain::agency::AgencyForm;
use zhifa_domain::change::Change;
use zhifa_ledger::{HashAlg, RecordLeaf};
use zhifa_service::{Actor, Service};
use zhifa_store::Store;
use zhifa_store::testing::{Backend, TestDb, build, test_ledger_meta, test_signer};

// The allocator of the `zhifa` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env_leaves() -> u64 {
    std::env::var("ZHIFA_BENCH_LEAVES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000)
}

#[tokio::main]
async fn main() {
    let leaves = env_leaves();
    let (store, db) = match std::env::var_os("ZHIFA_BENCH_DIR") {
        Some(dir) => {
            let store = Store::open_data_dir(std::path::Path::new(&dir)).await.unwrap_or_else(|e| panic!("{e}"));
            store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
            store.init_ledger(&test_ledger_meta()).await.unwrap_or_else(|e| panic!("{e}"));
            (store, None)
        }
        None => {
            let db = TestDb::new(Backend::Sqlite).await;
            (db.store.clone(), Some(db))
        }
    };
    let calendar = zhifa_calendar::Calendar::embedded().unwrap_or_else(|e| panic!("{e}"));
    let s = Service::new(store.clone(), calendar, test_signer());
    let sys = Actor::System("bench");
    let mut n = store.ledger_size().await.unwrap_or_else(|e| panic!("{e}"));
    let agency = if n == 0 {
        n = 1;
        s.create_agency(&sys, &AgencyForm::from(&build::agency("bench", "330106", 1)))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    } else {
        zhifa_domain::ids::AgencyId(1)
    };

    // 1. Appends in large commands.
    let started = Instant::now();
    let appended_from = n;
    while n < leaves {
        let batch = (leaves - n).min(1_000);
        let changes = (0..batch).map(|i| item_change(agency, &build::item(&format!("事项{}", n + i)))).collect();
        let command = zhifa_store::Command {
            actor: sys.as_ref(),
            at: jiff::Timestamp::now(),
            reason: "基准测试".into(),
            changes,
        };
        store.commit(&command).await.unwrap_or_else(|e| panic!("{e}"));
        n += batch;
        if n % 100_000 < 1_000 {
            eprintln!("{n} leaves…");
        }
    }
    let append_secs = started.elapsed().as_secs_f64();
    let size = store.ledger_size().await.unwrap_or_else(|e| panic!("{e}"));
    if size > appended_from {
        println!(
            "appended {} leaves in {append_secs:.1} s: {:.0} appends/s (commands of 1,000 changes)",
            size - appended_from,
            (size - appended_from) as f64 / append_secs
        );
    }

    // 2. Verify, then bare SM3 over the same inputs (skipped with
    // ZHIFA_BENCH_PROOFS_ONLY=1, for very large logs).
    if std::env::var_os("ZHIFA_BENCH_PROOFS_ONLY").is_none() {
        verify_against_sm3(&s, &store, size).await;
    }
    proofs(&s, size).await;
    if let Some(db) = db {
        db.remove().await;
    }
}

async fn verify_against_sm3(s: &Service, store: &Store, size: u64) {
    // The bytes verify hashes: each record's salted commitment, each leaf,
    // each interior node (0x01 and two hashes).
    // All in one buffer, so that the baseline is hashing and nothing else.
    let mut bytes: Vec<u8> = Vec::new();
    let mut ends: Vec<usize> = Vec::new();
    let mut scan = store.scan_ledger(size, 4_096);
    while let Some(batch) = scan.recv().await {
        for (leaf, record) in batch.unwrap_or_else(|e| panic!("{e}")).entries {
            let body = record.map(|r| r.body).unwrap_or_default();
            for part in [b"zhifa/commitment/v1\n".as_slice(), &leaf.salt, &body] {
                bytes.extend_from_slice(part);
            }
            ends.push(bytes.len());
            bytes.push(0);
            bytes.extend_from_slice(&leaf.leaf);
            ends.push(bytes.len());
        }
    }
    let interior: u64 = (1..64).map(|k| size >> k).sum();
    for _ in 0..interior {
        bytes.extend_from_slice(&[1u8; 65]);
        ends.push(bytes.len());
    }
    let _ = RecordLeaf::commitment; // the inputs above are what it hashes

    // Best of three rounds of each, alternating, on this noisy machine.
    let (mut verify_secs, mut sm3_secs) = (f64::MAX, f64::MAX);
    for round in 0..3 {
        let started = Instant::now();
        let mut phases: Vec<(&'static str, f64)> = Vec::new();
        let report = s
            .verify(|p| match phases.last_mut() {
                Some((phase, at)) if *phase == p.phase => *at = started.elapsed().as_secs_f64(),
                _ => phases.push((p.phase, started.elapsed().as_secs_f64())),
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let secs = started.elapsed().as_secs_f64();
        assert!(report.problems.is_empty(), "{:?}", &report.problems[..report.problems.len().min(5)]);
        assert_eq!(report.leaves, size);
        let timeline: Vec<String> = phases.iter().map(|(phase, at)| format!("{phase} until {at:.2} s")).collect();
        println!("  verify round {}: {secs:.2} s ({})", round + 1, timeline.join(", "));
        verify_secs = verify_secs.min(secs);

        let started = Instant::now();
        let mut start = 0;
        for &end in &ends {
            black_box(HashAlg::Sm3.digest(&[&bytes[start..end]]));
            start = end;
        }
        let secs = started.elapsed().as_secs_f64();
        println!("  bare SM3 round {}: {secs:.2} s", round + 1);
        sm3_secs = sm3_secs.min(secs);
    }
    println!(
        "verify: {verify_secs:.2} s ({:.0} leaves/s); bare SM3 over the same {:.1} MB: {sm3_secs:.2} s; ratio {:.2}× (best of 3 each)",
        size as f64 / verify_secs,
        bytes.len() as f64 / 1e6,
        sm3_secs / verify_secs
    );
}

/// 3. Inclusion proofs.
async fn proofs(s: &Service, size: u64) {
    let mut latencies = Vec::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    // The first 200 warm up (threads and connections start), then 2,000 count.
    for round in 0..2_200 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let started = Instant::now();
        black_box(s.inclusion_proof(x % size, size).await.unwrap_or_else(|e| panic!("{e}")));
        if round >= 200 {
            latencies.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "inclusion proof at {size} leaves: p50 {:.3} ms, p99 {:.3} ms",
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100]
    );
}

fn item_change(agency: zhifa_domain::ids::AgencyId, data: &zhifa_domain::registry::ItemData) -> Change {
    Change::create_entry::<zhifa_domain::registry::Items>(agency, data).unwrap_or_else(|e| panic!("{e}"))
}
