#![expect(clippy::unwrap_used, reason = "tests fail loudly")]
//! The ledger through the service: every command is in the log, proofs check
//! out, and `verify` names whatever was changed behind the program's back.

use zhifa_domain::agency::AgencyForm;
use zhifa_ledger::{HashAlg, RecordLeaf, verify_consistency, verify_inclusion};
use zhifa_service::{Actor, Service};
use zhifa_store::testing::{Backend, TestDb, build, each_backend, tamper, test_signer};

fn service(db: &TestDb) -> Service {
    Service::new(db.store.clone(), zhifa_calendar::Calendar::embedded().unwrap(), test_signer())
}

/// Ten commands: agencies and items, each a record and a leaf.
async fn fill(s: &Service) {
    let sys = Actor::System("test");
    let a = s.create_agency(&sys, &AgencyForm::from(&build::agency("agency-a", "330106", 1))).await.unwrap();
    for n in 0..9 {
        let item = zhifa_domain::registry::ItemForm::from(&build::item(&format!("事项{n}")));
        s.create_entry::<zhifa_domain::registry::Items>(&sys, a, &item).await.unwrap();
    }
}

#[tokio::test]
async fn every_command_is_a_leaf_and_proofs_verify() {
    each_backend(|db| async move {
        let s = service(&db);
        fill(&s).await;
        let size = db.store.ledger_size().await.unwrap();
        assert_eq!(size, u64::try_from(db.store.record_count().await.unwrap()).unwrap());
        assert_eq!(size, 10);

        // The newest checkpoint covers the last command, and its key opens it.
        let checkpoint = s.sign_checkpoint().await.unwrap();
        assert_eq!(checkpoint.size, size);
        let opened = test_signer().verifier().open(&checkpoint.note).unwrap();
        assert_eq!((opened.size, opened.root), (size, checkpoint.root));

        for index in 0..size {
            let p = s.inclusion_proof(index, size).await.unwrap();
            assert_eq!(p.root, checkpoint.root);
            let leaf = RecordLeaf::parse(&p.leaf).unwrap();
            assert!(verify_inclusion(HashAlg::Sm3, index, size, &HashAlg::Sm3.leaf(&p.leaf), &p.proof, &p.root));
            assert!(leaf.record_id > 0);
        }
        for first in 1..=size {
            let p = s.consistency_proof(first, size).await.unwrap();
            assert!(verify_consistency(HashAlg::Sm3, first, size, &p.first_root, &p.second_root, &p.proof));
        }
        assert!(s.inclusion_proof(size, size).await.is_err());
        assert!(s.consistency_proof(1, size + 1).await.is_err());
        assert_eq!(s.verify(|_| {}).await.unwrap().problems, vec![]);

        // An earlier checkpoint is extended by the current log.
        let old = checkpoint.note.clone();
        fill_more(&s).await;
        assert_eq!(s.verify_against(&old).await.unwrap(), Ok(11));
    })
    .await;
}

async fn fill_more(s: &Service) {
    let sys = Actor::System("test");
    s.create_agency(&sys, &AgencyForm::from(&build::agency("agency-b", "330106", 2))).await.unwrap();
}

/// A user of agency 1 created with a certificate (two records), and the
/// agency's legal-review catalogue (one).
async fn fill_people(db: &TestDb) {
    let change = zhifa_domain::change::Change::CreateUser {
        agency: zhifa_domain::ids::AgencyId(1),
        data: build::user("zhang", zhifa_domain::people::Role::Officer),
        certificates: vec![build::certificate("33010600001", "330106")],
        password_hash: None,
    };
    let line = zhifa_domain::review::CatalogueEntryForm {
        name: "较大数额罚款".into(),
        category: "penalty".into(),
        trigger: "fine_at_least".into(),
        amount: "50000".into(),
        ..Default::default()
    };
    let catalogue = zhifa_domain::change::Change::CreateReviewCatalogue {
        agency: zhifa_domain::ids::AgencyId(1),
        data: zhifa_domain::review::ReviewCatalogue { entries: vec![line.validate().unwrap()], ..Default::default() },
    };
    let command = zhifa_store::Command {
        actor: zhifa_domain::records::ActorRef { id: None, username: "system:test".into() },
        at: jiff::Timestamp::now(),
        reason: "测试".into(),
        changes: vec![change, catalogue],
    };
    db.store.commit(&command).await.unwrap();
}

/// SQL that works on `backend`: drop the guards an intruder would drop first.
fn unguard(backend: Backend, table: &str) -> Vec<String> {
    let triggers: &[&str] = match table {
        "records" => &["records_no_update", "records_no_delete"],
        "ledger_leaves" => &["ledger_leaves_no_update", "ledger_leaves_no_delete"],
        "ledger_nodes" => &["ledger_nodes_no_update", "ledger_nodes_no_delete"],
        "ledger_checkpoints" => &["ledger_checkpoints_no_update", "ledger_checkpoints_no_delete"],
        _ => &["ledger_meta_no_update", "ledger_meta_no_delete"],
    };
    match backend {
        Backend::Sqlite => {
            let mut v = vec!["PRAGMA foreign_keys = OFF".to_owned()];
            v.extend(triggers.iter().map(|t| format!("DROP TRIGGER IF EXISTS {t}")));
            v
        }
        Backend::Postgres => vec![format!("ALTER TABLE {table} DISABLE TRIGGER ALL")],
    }
}

#[tokio::test]
async fn verify_names_every_change_behind_the_programs_back() {
    // (table, the change on SQLite, the change on PostgreSQL, what verify must name)
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "records",
            "UPDATE records SET reason = 'x' WHERE id = 3",
            "UPDATE records SET reason = 'x' WHERE id = 3",
            "records id=3",
        ),
        (
            "records",
            "UPDATE records SET body = CAST(replace(CAST(body AS TEXT), '事项4', '事项X') AS BLOB) WHERE id = 6",
            "UPDATE records SET body = convert_to(replace(convert_from(body, 'UTF8'), '事项4', '事项X'), 'UTF8') WHERE id = 6",
            "records id=6",
        ),
        (
            "records",
            "UPDATE records SET at_us = at_us + 1 WHERE id = 2",
            "UPDATE records SET at_us = at_us + 1 WHERE id = 2",
            "records id=2",
        ),
        (
            "records",
            "UPDATE records SET kind = 'item.delete' WHERE id = 5",
            "UPDATE records SET kind = 'item.delete' WHERE id = 5",
            "records id=5",
        ),
        (
            "records",
            "DELETE FROM outbox WHERE record_id = 4; DELETE FROM records WHERE id = 4",
            "DELETE FROM outbox WHERE record_id = 4; DELETE FROM records WHERE id = 4",
            "records id=4",
        ),
        (
            "ledger_leaves",
            "UPDATE ledger_leaves SET salt = randomblob(32) WHERE idx = 1",
            "UPDATE ledger_leaves SET salt = decode(md5('a') || md5('b'), 'hex') WHERE idx = 1",
            "idx=1",
        ),
        (
            "ledger_leaves",
            "DELETE FROM ledger_leaves WHERE idx = 7",
            "DELETE FROM ledger_leaves WHERE idx = 7",
            "ledger_leaves idx=7",
        ),
        (
            "ledger_nodes",
            "UPDATE ledger_nodes SET hash = (SELECT hash FROM ledger_nodes WHERE level = 0 AND idx = 0) WHERE level = 1 AND idx = 1",
            "UPDATE ledger_nodes SET hash = (SELECT hash FROM ledger_nodes WHERE level = 0 AND idx = 0) WHERE level = 1 AND idx = 1",
            "ledger_nodes level=1 idx=1",
        ),
        (
            "ledger_nodes",
            "DELETE FROM ledger_nodes WHERE level = 2 AND idx = 0",
            "DELETE FROM ledger_nodes WHERE level = 2 AND idx = 0",
            "ledger_nodes level=2 idx=0",
        ),
        (
            "ledger_checkpoints",
            "UPDATE ledger_checkpoints SET note = replace(note, char(10) || '10' || char(10), char(10) || '11' || char(10)) WHERE size = 10",
            "UPDATE ledger_checkpoints SET note = replace(note, chr(10) || '10' || chr(10), chr(10) || '11' || chr(10)) WHERE size = 10",
            "ledger_checkpoints size=10",
        ),
        (
            "ledger_checkpoints",
            "UPDATE ledger_checkpoints SET root = (SELECT hash FROM ledger_nodes WHERE level = 0 AND idx = 0) WHERE size = 10",
            "UPDATE ledger_checkpoints SET root = (SELECT hash FROM ledger_nodes WHERE level = 0 AND idx = 0) WHERE size = 10",
            "ledger_checkpoints size=10",
        ),
        (
            "items",
            "UPDATE items SET data = replace(data, '事项3', '事项Z') WHERE id = 4",
            "UPDATE items SET data = replace(data, '事项3', '事项Z') WHERE id = 4",
            "items id=4",
        ),
        (
            "agencies",
            "UPDATE agencies SET data = replace(data, '测试', '伪造')",
            "UPDATE agencies SET data = replace(data, '测试', '伪造')",
            "agencies id=1",
        ),
        ("items", "DELETE FROM items WHERE id = 5", "DELETE FROM items WHERE id = 5", "items id=5"),
        (
            // A row no record made, with the very data of another.
            "items",
            "INSERT INTO items (agency_id, name, data, version, created_us, updated_us) \
             SELECT agency_id, '事项伪', data, 1, created_us, updated_us FROM items WHERE id = 4",
            "INSERT INTO items (agency_id, name, data, version, created_us, updated_us) \
             SELECT agency_id, '事项伪', data, 1, created_us, updated_us FROM items WHERE id = 4",
            "items id=10",
        ),
        (
            "users",
            "UPDATE users SET data = replace(data, '测试', '伪造')",
            "UPDATE users SET data = replace(data, '测试', '伪造')",
            "users id=1",
        ),
        (
            "certificates",
            "UPDATE certificates SET data = replace(data, '2028-12-31', '2030-12-31')",
            "UPDATE certificates SET data = replace(data, '2028-12-31', '2030-12-31')",
            "certificates id=1",
        ),
        (
            "certificates",
            "DELETE FROM certificates WHERE id = 1",
            "DELETE FROM certificates WHERE id = 1",
            "certificates id=1",
        ),
        (
            "review_catalogues",
            "UPDATE review_catalogues SET data = replace(data, '5000000', '9900000')",
            "UPDATE review_catalogues SET data = replace(data, '5000000', '9900000')",
            "review_catalogues id=1",
        ),
        (
            "review_catalogues",
            "DELETE FROM review_catalogues WHERE id = 1",
            "DELETE FROM review_catalogues WHERE id = 1",
            "review_catalogues id=1",
        ),
        (
            "ledger_meta",
            "UPDATE ledger_meta SET public_key = replace(public_key, 'A', 'B')",
            "UPDATE ledger_meta SET public_key = replace(public_key, 'A', 'B')",
            "ledger_",
        ),
    ];
    for &(table, sqlite, postgres, named) in cases {
        each_backend(move |db| async move {
            let s = service(&db);
            fill(&s).await;
            assert_eq!(s.sign_checkpoint().await.unwrap().size, 10);
            fill_people(&db).await;
            let clean = s.verify(|_| {}).await.unwrap();
            assert_eq!(clean.problems, vec![], "clean before tampering");
            assert_eq!(clean.rows, 13, "an agency, nine items, a user, a certificate and a catalogue");
            let change = match db.backend {
                Backend::Sqlite => sqlite,
                Backend::Postgres => postgres,
            };
            let mut statements = unguard(db.backend, table);
            statements.extend(change.split("; ").map(str::to_owned));
            tamper(&db.store, &statements).await;
            let report = s.verify(|_| {}).await.unwrap();
            let text: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
            assert!(
                text.iter().any(|p| p.contains(named)),
                "{:?} `{change}`: verify must name {named}, said {text:#?}",
                db.backend
            );
        })
        .await;
    }
}
