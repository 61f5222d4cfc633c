//! Issue 25, item 9: `zhifa verify` trusts no column on its own. Every column
//! of every table, as the database's own catalogue lists them, is changed
//! behind the program's back in one row of the demo (with a session, a
//! failed sign-in, an API token and a complaint besides), and `verify` must
//! name that table; the row is then put back. Columns not checked yet are
//! listed in `NOT_YET`, which may only shrink.

use super::App;
use zhifa_service::Actor;
use zhifa_store::testing::{Backend, SchemaColumn, each_backend, schema_columns, tamper};

/// Tables `verify` does not read, each with why.
const NOT_VERIFIED: &[(&str, &str)] = &[
    ("_sqlx_migrations", "the schema's own bookkeeping of applied migrations, no record makes it"),
    (
        "figure_sources",
        "the dashboard's derived sums: an outbox reader counts them from the verified cases, publications and \
         complaints and counts them again from nothing (`rebuild_figures`); no record makes them",
    ),
    ("figures", "as figure_sources: derived, counted again from nothing"),
    (
        "warning_clocks",
        "the day each subject's warnings are due to be evaluated again: derived by the warnings' reader from the \
         verified records, counted again by a whole pass; no record makes them",
    ),
    ("warning_clock_basis", "what the warning clocks were counted with: derived as warning_clocks"),
];

/// Columns `verify` does not check yet (none since 2026-12-06): the test
/// fails when one of them starts to be checked, so that the list only
/// shrinks, and when any other column is not.
const NOT_YET: &[&str] = &[];

/// The log's own tables: a change to one shows in the others' checks.
const LOG: &[&str] = &["records", "ledger_leaves", "ledger_nodes", "ledger_checkpoints", "ledger_meta", "outbox"];

/// The value of `column` in the chosen row, as SQL that writes it back.
async fn literal(db: &zhifa_store::testing::TestDb, c: &SchemaColumn, filter: &str) -> String {
    let (table, column) = (&c.table, &c.column);
    let read = match (c.kind, db.backend) {
        ("bytes", Backend::Sqlite) => format!("SELECT hex({column}) FROM {table} WHERE {filter}"),
        ("bytes", Backend::Postgres) => format!("SELECT encode({column}, 'hex') FROM {table} WHERE {filter}"),
        _ => format!("SELECT CAST({column} AS TEXT) FROM {table} WHERE {filter}"),
    };
    let value: Option<String> = zhifa_store::testing::query_text(&db.store, &read).await;
    match (value, c.kind, db.backend) {
        (None, _, _) => "NULL".to_owned(),
        (Some(v), "integer", _) => v,
        (Some(v), "bytes", Backend::Sqlite) => format!("x'{v}'"),
        (Some(v), "bytes", Backend::Postgres) => format!("decode('{v}', 'hex')"),
        (Some(v), _, _) => format!("'{}'", v.replace('\'', "''")),
    }
}

/// A change to `column` that keeps its type (and clashes with no other row):
/// a million more, one more character or byte.
fn mutation(c: &SchemaColumn, backend: Backend) -> String {
    let column = &c.column;
    match (c.kind, backend) {
        ("integer", _) => format!("COALESCE({column}, 0) + 1000003"),
        ("bytes", Backend::Sqlite) => format!("CAST(COALESCE({column}, x'') || x'00' AS BLOB)"),
        ("bytes", Backend::Postgres) => format!("COALESCE({column}, ''::bytea) || '\\x00'::bytea"),
        _ => format!("COALESCE({column}, '') || 'x'"),
    }
}

#[tokio::test]
async fn rec_9_verify_names_every_column_changed_behind_the_programs_back() {
    each_backend(|db| async move {
        let app = App::new(&db);
        zhifa_demo::create(&app.service).await.unwrap();
        let signed = app.sign_in("hzxh-scjg-zf1", zhifa_demo::DEMO_PASSWORD).await;
        assert_eq!(signed.status, axum::http::StatusCode::SEE_OTHER);
        app.sign_in("hzxh-scjg-zf1", "wrong password").await;
        let sys = Actor::System("test");
        let officer = app.service.store().user_by_username("hzxh-scjg-zf1").await.unwrap().unwrap();
        app.service.create_token(&sys, officer.user.id, "测试").await.unwrap();
        // A complaint, as the portal's form makes one (the form's own checks aside).
        let form = zhifa_domain::complaint::ComplaintForm {
            contact: "13800000000".into(),
            subject: "杭西市监罚〔2026〕1号".into(),
            content: "执法人员未出示证件".into(),
            ..Default::default()
        };
        let mut complaint = form.validate("TS20261205ABCD".into(), app.service.today()).unwrap();
        complaint.form_nonce = "nonce-1".into();
        complaint.client_tag = "tag-1".into();
        let change = zhifa_domain::change::Change::CreateComplaint { agency: officer.user.agency_id, data: complaint };
        app.service.commit_as_system("portal", "公众投诉举报", vec![change]).await.unwrap();
        app.service.sign_checkpoint().await.unwrap();
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![], "clean before");

        let columns = schema_columns(&db.store).await;
        assert!(columns.iter().any(|c| c.table == "users" && c.column == "agency_id"), "{columns:?}");
        let mut missed = Vec::new();
        // Rounds of changes, each checked by one `verify`: a column of every
        // table at once, except the log's own tables, whose changes show in
        // each other's checks and so are tried one at a time.
        let mut rounds: Vec<Vec<&SchemaColumn>> = Vec::new();
        let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for c in columns.iter().filter(|c| !c.primary_key && NOT_VERIFIED.iter().all(|(t, _)| *t != c.table)) {
            let round = if LOG.contains(&c.table.as_str()) {
                rounds.len()
            } else {
                let k = at.entry(&c.table).or_insert(0);
                *k += 1;
                rounds
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.iter().all(|x| !LOG.contains(&x.table.as_str())))
                    .nth(*k - 1)
                    .map_or(rounds.len(), |(i, _)| i)
            };
            if round == rounds.len() {
                rounds.push(Vec::new());
            }
            rounds[round].push(c);
        }
        let mut tried = 0;
        for round in rounds {
            let mut undo = Vec::new();
            for c in round {
                let keys: Vec<&SchemaColumn> = columns.iter().filter(|k| k.table == c.table && k.primary_key).collect();
                // The row with the smallest key (each key column in turn).
                let mut filter = "1 = 1".to_owned();
                for k in &keys {
                    filter = format!("{filter} AND {0} = (SELECT MIN({0}) FROM {1} WHERE {filter})", k.column, c.table);
                }
                let count = format!("SELECT CAST(COUNT(*) AS TEXT) FROM {} WHERE {filter}", c.table);
                if zhifa_store::testing::query_text(&db.store, &count).await.as_deref() != Some("1") {
                    missed.push(format!("{}.{}: no row to change", c.table, c.column));
                    continue;
                }
                tried += 1;
                let original = literal(&db, c, &filter).await;
                let (unguard, guard) = zhifa_store::testing::guards_off(&db.store, &c.table).await;
                let set = |value: String| format!("UPDATE {} SET {} = {value} WHERE {filter}", c.table, c.column);
                let mut change = unguard.clone();
                change.push(set(mutation(c, db.backend)));
                change.extend(guard.clone());
                tamper(&db.store, &change).await;
                let mut back = unguard;
                back.push(set(original));
                back.extend(guard);
                undo.push((c, back));
            }
            // A log whose own settings (`ledger_meta`) no longer read stops
            // `verify` with an error: seen, as loudly as a problem.
            let alone = undo.len() == 1;
            let problems = match app.service.verify(|_| {}).await {
                Ok(report) => report.problems,
                Err(e) if alone && LOG.contains(&undo[0].0.table.as_str()) => {
                    vec![zhifa_service::ledger::Problem {
                        table: "ledger_meta",
                        row: String::new(),
                        message: e.to_string(),
                    }]
                }
                Err(e) => panic!("{e:?}"),
            };
            for (c, back) in undo.into_iter().rev() {
                // Alone, any problem is this change's; with others, one naming its table.
                let seen = if alone { !problems.is_empty() } else { problems.iter().any(|p| p.table == c.table) };
                if !seen {
                    missed.push(format!("{}.{}", c.table, c.column));
                }
                tamper(&db.store, &back).await;
            }
        }
        assert!(tried > 100, "{tried} columns tried");
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![], "clean after");
        let newly: Vec<&String> = missed.iter().filter(|m| !NOT_YET.contains(&m.as_str())).collect();
        assert!(newly.is_empty(), "{:?}: verify did not see these changes: {newly:#?}", db.backend);
        let now_seen: Vec<&&str> = NOT_YET.iter().filter(|n| !missed.iter().any(|m| m == *n)).collect();
        assert!(now_seen.is_empty(), "{:?}: now checked, take them off NOT_YET: {now_seen:?}", db.backend);
    })
    .await;
}
