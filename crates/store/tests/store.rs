#![expect(clippy::unwrap_used, reason = "test helpers outside #[test] functions unwrap freely")]
//! Store tests, each on SQLite and (when configured) PostgreSQL.

use jiff::Timestamp;
use zhifa_domain::change::Change;
use zhifa_domain::ids::AgencyId;
use zhifa_domain::people::Role;
use zhifa_domain::records::{ActorRef, RecordBody};
use zhifa_store::testing::{build, each_backend, execute_raw};
use zhifa_store::{Command, Store, StoreError};

fn cmd(changes: Vec<Change>) -> Command {
    Command {
        actor: ActorRef { id: None, username: "tester".into() },
        at: Timestamp::now(),
        reason: "测试".into(),
        changes,
    }
}

async fn agency(store: &Store, code: &str, n: u32) -> AgencyId {
    let applied =
        store.commit(&cmd(vec![Change::CreateAgency { data: build::agency(code, "330106", n) }])).await.unwrap();
    AgencyId(applied[0].entity_id)
}

#[tokio::test]
async fn commit_writes_rows_record_and_outbox_together() {
    each_backend(|db| async move {
        let s = db.store;
        let a = agency(&s, "a-one", 1).await;
        let applied = s
            .commit(&cmd(vec![
                Change::create_entry::<zhifa_domain::registry::Items>(a, &build::item("甲")).unwrap(),
                Change::create_entry::<zhifa_domain::registry::Items>(a, &build::item("乙")).unwrap(),
            ]))
            .await
            .unwrap();
        assert_eq!(applied.len(), 2);
        let items = s.entries::<zhifa_domain::registry::Items>(a).await.unwrap();
        assert_eq!(items.iter().map(|i| i.data.name.as_str()).collect::<Vec<_>>(), ["甲", "乙"]);
        assert_eq!(s.record_count().await.unwrap(), 3);
        assert_eq!(s.pending_outbox().await.unwrap(), 3);

        let history = s.records_of("item", applied[1].entity_id).await.unwrap();
        assert_eq!(history.len(), 1);
        let body: RecordBody = serde_json::from_slice(&history[0].body).unwrap();
        assert_eq!(body.kind, "item.create");
        assert_eq!(body.agency_id, Some(a.0));
        assert_eq!(body.actor.username, "tester");
        assert_eq!(body.canonical_bytes(), history[0].body, "stored bytes are canonical");
    })
    .await;
}

#[tokio::test]
async fn a_failing_change_leaves_nothing_of_its_command() {
    each_backend(|db| async move {
        let s = db.store;
        let a = agency(&s, "a-one", 1).await;
        let before = s.record_count().await.unwrap();
        let err = s
            .commit(&cmd(vec![
                Change::create_entry::<zhifa_domain::registry::Items>(a, &build::item("甲")).unwrap(),
                Change::CreateAgency { data: build::agency("a-one", "330106", 2) },
            ]))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Duplicate(_)), "{err:?}");
        assert!(s.entries::<zhifa_domain::registry::Items>(a).await.unwrap().is_empty());
        assert_eq!(s.record_count().await.unwrap(), before);
    })
    .await;
}

#[tokio::test]
async fn updates_are_optimistic() {
    each_backend(|db| async move {
        let s = db.store;
        let a = agency(&s, "a-one", 1).await;
        let mut data = build::agency("a-one", "330106", 1);
        data.name = "改名后".into();
        s.commit(&cmd(vec![Change::UpdateAgency { id: a, version: 1, data: data.clone() }])).await.unwrap();
        let err =
            s.commit(&cmd(vec![Change::UpdateAgency { id: a, version: 1, data: data.clone() }])).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        let err = s.commit(&cmd(vec![Change::UpdateAgency { id: AgencyId(999), version: 1, data }])).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
        let stored = s.agency(a).await.unwrap().unwrap();
        assert_eq!((stored.version, stored.data.name.as_str()), (2, "改名后"));
        assert_eq!(s.records_of("agency", a.0).await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn records_are_append_only() {
    each_backend(|db| async move {
        let s = db.store;
        agency(&s, "a-one", 1).await;
        assert!(execute_raw(&s, "UPDATE records SET reason = 'x'").await.is_err());
        assert!(execute_raw(&s, "DELETE FROM records").await.is_err());
        assert_eq!(s.record_count().await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn users_with_certificates_and_scoped_reads() {
    each_backend(|db| async move {
        let s = db.store;
        let a = agency(&s, "a-one", 1).await;
        let b = agency(&s, "b-two", 2).await;
        s.commit(&cmd(vec![Change::CreateUser {
            agency: a,
            data: build::user("zhang", Role::Officer),
            certificates: vec![build::certificate("C001", "330106"), build::certificate("C002", "330106")],
            password_hash: None,
        }]))
        .await
        .unwrap();
        assert_eq!(s.certificates(a).await.unwrap().len(), 2);
        assert!(s.certificates(b).await.unwrap().is_empty());
        let u = s.user_by_username("zhang").await.unwrap().unwrap();
        assert_eq!(u.user.agency_id, a);
        assert_eq!(u.password_hash, None);
        // A certificate number is unique across agencies.
        let err = s
            .commit(&cmd(vec![Change::CreateUser {
                agency: b,
                data: build::user("lisi", Role::Officer),
                certificates: vec![build::certificate("C001", "330106")],
                password_hash: None,
            }]))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Duplicate(_)), "{err:?}");
        assert_eq!(s.agencies_in("3301").await.unwrap().len(), 2);
        assert_eq!(s.agencies_in("3302").await.unwrap().len(), 0);
    })
    .await;
}

#[tokio::test]
async fn commands_committed_together_fail_alone() {
    each_backend(|db| async move {
        let s = db.store;
        let a = agency(&s, "a-one", 1).await;
        // Many commands at once, so that the writer batches them; every
        // fourth takes an agency code that is already taken.
        let mut handles = Vec::new();
        for n in 0..40u32 {
            let s = s.clone();
            handles.push(tokio::spawn(async move {
                let change = if n % 4 == 3 {
                    Change::CreateAgency { data: build::agency("a-one", "330106", 100 + n) }
                } else {
                    Change::create_entry::<zhifa_domain::registry::Items>(a, &build::item(&format!("事项{n}"))).unwrap()
                };
                (n, s.commit(&cmd(vec![change])).await)
            }));
        }
        let mut committed = 0;
        for h in handles {
            let (n, outcome) = h.await.unwrap();
            if n % 4 == 3 {
                assert!(matches!(outcome, Err(StoreError::Duplicate(_))), "{n}: {outcome:?}");
            } else {
                assert_eq!(outcome.unwrap().len(), 1, "{n}");
                committed += 1;
            }
        }
        assert_eq!(committed, 30);
        assert_eq!(s.entries::<zhifa_domain::registry::Items>(a).await.unwrap().len(), 30);
        let records = s.record_count().await.unwrap();
        assert_eq!(records, 31);
        assert_eq!(s.pending_outbox().await.unwrap(), 31);
        // One leaf per record, in order, each naming its record.
        let entries = s.ledger_entries(0, 100).await.unwrap();
        assert_eq!(entries.len() as i64, records);
        for (i, (leaf, record)) in entries.iter().enumerate() {
            assert_eq!(leaf.index, i as u64);
            let record = record.as_ref().unwrap();
            assert_eq!(record.id.0, leaf.record_id);
            let parsed = zhifa_ledger::RecordLeaf::parse(&leaf.leaf).unwrap();
            assert_eq!(parsed.record_id, record.id.0);
            assert_eq!(parsed.kind, record.kind);
        }
        assert_eq!(s.ledger_size().await.unwrap() as i64, records);
    })
    .await;
}

#[tokio::test]
async fn the_newest_outbox_id_shows_another_writers_commit_at_once() {
    each_backend(|db| async move {
        // Another process on the same database, here another store.
        let other = Store::connect(&db.url()).await.unwrap();
        let s = db.store;
        let mut newest = other.last_outbox_id().await.unwrap();
        for n in 1..=5 {
            // Asked again with nothing new: the same answer.
            assert_eq!(other.last_outbox_id().await.unwrap(), newest);
            agency(&s, &format!("a-{n}"), n).await;
            let now = other.last_outbox_id().await.unwrap();
            assert!(now > newest, "commit {n} not seen: {now} after {newest}");
            assert_eq!(now, s.last_outbox_id().await.unwrap());
            newest = now;
        }
        other.close().await;
    })
    .await;
}

#[tokio::test]
async fn sup_1_figures_count_each_source_once_however_often_it_is_applied() {
    use zhifa_domain::dashboard::{Contribution, Tally};
    use zhifa_store::{FigureFilter, FigureSource};
    each_backend(|db| async move {
        let s = db.store;
        let a = agency(&s, "a-one", 1).await;
        let adds = |opened: i64, closed: i64| -> Contribution {
            let mut c = Contribution::new();
            c.insert((202603, "penalty-general".into()), Tally { opened, ..Default::default() });
            if closed > 0 {
                c.insert((202604, "penalty-general".into()), Tally { closed, ..Default::default() });
            }
            c
        };
        let source = |id: i64, contribution: Contribution| FigureSource { kind: "case", id, agency: a, contribution };
        let sums = || async {
            let filter = FigureFilter { from: 202601, to: 202612, ..Default::default() };
            let rows = s.figures(&filter).await.unwrap();
            let mut sums: Vec<_> = rows.iter().map(|r| (r.month, r.tally.opened, r.tally.closed)).collect();
            sums.sort_unstable();
            sums
        };
        // Two cases opened; the first named twice in one call, then again.
        s.apply_figures(&[source(1, adds(1, 0)), source(2, adds(1, 0)), source(1, adds(1, 0))]).await.unwrap();
        s.apply_figures(&[source(1, adds(1, 0))]).await.unwrap();
        assert_eq!(sums().await, vec![(202603, 2, 0)]);
        // The first closes in April: twice in one call, once more after.
        s.apply_figures(&[source(1, adds(1, 1)), source(1, adds(1, 1))]).await.unwrap();
        s.apply_figures(&[source(1, adds(1, 1))]).await.unwrap();
        assert_eq!(sums().await, vec![(202603, 2, 0), (202604, 0, 1)]);
        // The second is gone: what it added goes, and an empty sum's row too.
        s.apply_figures(&[source(2, Contribution::new()), source(1, Contribution::new())]).await.unwrap();
        assert_eq!(sums().await, vec![]);
        assert_eq!(s.figure_source_count().await.unwrap(), 0);
    })
    .await;
}
