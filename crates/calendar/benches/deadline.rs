//! `cargo bench -p zhifa-calendar`: the cost of one deadline computation, for
//! every start day from 2019-01-01 to 2026-06-30 and every period from 1 to 90
//! days, working and natural, with and without the trace. Fails if any mean is
//! not under a microsecond; the README records how far under it is.

use jiff::civil::{Date, date};
use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;
use zhifa_calendar::{Calendar, Period};

const LIMIT_NS: f64 = 1000.0;

fn main() -> ExitCode {
    let Ok(calendar) = Calendar::embedded() else {
        eprintln!("the embedded calendar does not load");
        return ExitCode::FAILURE;
    };
    let mut starts: Vec<Date> = Vec::new();
    let mut day = date(2019, 1, 1);
    while day <= date(2026, 6, 30) {
        starts.push(day);
        let Ok(next) = day.tomorrow() else { break };
        day = next;
    }
    let periods = |make: fn(u16) -> Result<Period, zhifa_calendar::CalendarError>| -> Vec<Period> {
        (1..=90).filter_map(|n| make(n).ok()).collect()
    };
    let working = periods(Period::working_days);
    let natural = periods(Period::days);
    let (working_90, natural_90) = (working[89..].to_vec(), natural[89..].to_vec());

    println!("{:<36} {:>10} {:>12} {:>10}", "case", "calls", "ns/call", "periods");
    let mut ok = true;
    for (name, periods, trace) in [
        ("due_date, working days", &working, false),
        ("due_date, natural days", &natural, false),
        ("deadline with trace, working days", &working, true),
        ("deadline with trace, natural days", &natural, true),
        ("deadline with trace, 90 working days", &working_90, true),
        ("deadline with trace, 90 natural days", &natural_90, true),
    ] {
        // Warm up, then the best of three rounds (the machine is shared).
        let mut best = f64::INFINITY;
        let mut calls = 0usize;
        for round in 0..4 {
            let started = Instant::now();
            calls = 0;
            for &from in &starts {
                for &period in periods.iter() {
                    if trace {
                        black_box(calendar.deadline(black_box(from), black_box(period)).ok());
                    } else {
                        black_box(calendar.due_date(black_box(from), black_box(period)).ok());
                    }
                    calls += 1;
                }
            }
            let ns = started.elapsed().as_nanos() as f64 / calls as f64;
            if round > 0 {
                best = best.min(ns);
            }
        }
        println!("{name:<36} {calls:>10} {best:>12.1} {:>10}", periods.len());
        if best >= LIMIT_NS {
            eprintln!("{name}: {best:.1} ns per call is not under {LIMIT_NS} ns");
            ok = false;
        }
    }
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
