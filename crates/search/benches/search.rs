//! Queries straight on a search index, in-process, for comparison with the
//! same queries through the portal over HTTP (`scripts/bench-portal.sh`).
//! `ZHIFA_BENCH_INDEX=DATA/search cargo bench -p zhifa-search --bench search`
//! (the server must not hold the index). Two threads, as many as the
//! machine's cores; each asks for the first page of 20 and the count.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark fails loudly")]

use std::time::{Duration, Instant};
use zhifa_search::{SearchIndex, SearchQuery};

/// The portal benchmark's queries (the same list as `scripts/bench-portal.sh`).
const QUERIES: &[&str] = &["食品", "保质期", "罚款", "许可", "检查", "饮料", "销售", "食品安全法"];

fn main() {
    let Ok(dir) = std::env::var("ZHIFA_BENCH_INDEX") else {
        eprintln!("set ZHIFA_BENCH_INDEX to a search index directory (DATA/search)");
        return;
    };
    let index = SearchIndex::open(std::path::Path::new(&dir)).expect("open the index");
    println!("{} documents", index.documents());
    let seconds: u64 = std::env::var("ZHIFA_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let today = jiff::Zoned::now().date();
    // Warmed up first, as the HTTP side is (and the day's pruning done).
    for _ in 0..10 {
        for word in QUERIES {
            let q = SearchQuery { text: (*word).into(), shown_on: Some(today), limit: 20, ..Default::default() };
            index.search(&q).unwrap();
        }
    }
    let run = |offset: usize| {
        let mut latencies = Vec::new();
        let end = Instant::now() + Duration::from_secs(seconds);
        let mut i = offset;
        while Instant::now() < end {
            let q = SearchQuery {
                text: QUERIES[i % QUERIES.len()].into(),
                shown_on: Some(today),
                limit: 20,
                ..Default::default()
            };
            let started = Instant::now();
            let (ids, _) = index.search(&q).unwrap();
            latencies.push((i % QUERIES.len(), started.elapsed()));
            assert!(!ids.is_empty() || i < QUERIES.len(), "{} found nothing", q.text);
            i += 1;
        }
        latencies
    };
    let each: Vec<(usize, Duration)> = std::thread::scope(|s| {
        let a = s.spawn(|| run(0));
        let b = s.spawn(|| run(3));
        let mut v = a.join().unwrap();
        v.extend(b.join().unwrap());
        v
    });
    for (k, word) in QUERIES.iter().enumerate() {
        let times: Vec<f64> = each.iter().filter(|(q, _)| *q == k).map(|(_, d)| d.as_secs_f64() * 1e3).collect();
        let (_, total) = index.search(&SearchQuery { text: (*word).into(), limit: 20, ..Default::default() }).unwrap();
        println!("  {word}: {total} matches, mean {:.2} ms", times.iter().sum::<f64>() / times.len().max(1) as f64);
    }
    let mut all: Vec<Duration> = each.into_iter().map(|(_, d)| d).collect();
    all.sort_unstable();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "in-process search: {:.0} queries/s, p50 {:.2} ms, p99 {:.2} ms ({} queries, 2 threads, {seconds} s)",
        all.len() as f64 / seconds as f64,
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        all.len()
    );
}
