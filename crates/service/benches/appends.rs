//! `cargo bench -p zhifa-service --bench appends`: commands per second through
//! the command path (record + ledger leaf + subtrees + outbox, and the
//! checkpoint signed after commits), on SQLite and, with
//! `ZHIFA_TEST_DATABASE_URL`, PostgreSQL. Each command creates one list item.

use std::time::Instant;
use zhifa_domain::agency::AgencyForm;
use zhifa_domain::registry::ItemForm;
use zhifa_service::{Actor, Service};
use zhifa_store::testing::{TestDb, backends, build, test_signer};

const COMMANDS: usize = 6_400;
const TASKS: [usize; 3] = [1, 8, 64];

#[tokio::main]
async fn main() {
    println!("{:<10} {:>6} {:>9} {:>12} {:>12}", "database", "tasks", "commands", "seconds", "commands/s");
    for backend in backends() {
        for tasks in TASKS {
            let db = TestDb::new(backend).await;
            let calendar = zhifa_calendar::Calendar::embedded().unwrap_or_else(|e| panic!("{e}"));
            let s = Service::new(db.store.clone(), calendar, test_signer());
            let sys = Actor::System("bench");
            let agency = s
                .create_agency(&sys, &AgencyForm::from(&build::agency("bench", "330106", 1)))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let started = Instant::now();
            let mut handles = Vec::new();
            for t in 0..tasks {
                let s = s.clone();
                handles.push(tokio::spawn(async move {
                    for n in 0..COMMANDS / tasks {
                        let item = ItemForm::from(&build::item(&format!("事项{t}-{n}")));
                        s.create_entry::<zhifa_domain::registry::Items>(&Actor::System("bench"), agency, &item)
                            .await
                            .unwrap_or_else(|e| panic!("{e}"));
                    }
                }));
            }
            for h in handles {
                h.await.unwrap_or_else(|e| panic!("{e}"));
            }
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{:<10} {tasks:>6} {COMMANDS:>9} {secs:>12.2} {:>12.0}",
                format!("{backend:?}"),
                COMMANDS as f64 / secs
            );
            let report = s.verify(|_| {}).await.unwrap_or_else(|e| panic!("{e}"));
            assert!(report.problems.is_empty(), "{:?}", report.problems);
            db.remove().await;
        }
    }
}
