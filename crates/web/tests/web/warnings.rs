//! Early warnings (SUP-1) through the API on both databases: a case past its
//! limit is warned of and handled to the end, one ledger record a step; a
//! warning closes by itself when its cause goes; steps out of order, by the
//! wrong role or on a closed warning are refused and change nothing; a
//! supervisor of another city finds nothing.

use super::cases::{Browser, Office, PHOTO, city_supervisor, company, fine, office, ok, open, record, upload};
use super::{App, PASSWORD};
use axum::http::StatusCode;
use serde_json::{Value, json};
use zhifa_service::Actor;
use zhifa_store::testing::each_backend;

/// A supervisor of Ningbo (330200), another city than the office's.
pub(super) async fn other_city_supervisor(app: &App) -> String {
    use zhifa_domain::people::UserForm;
    let sys = Actor::System("test");
    let bureau = zhifa_store::testing::build::agency("nb-sfj", "330200", 8);
    let bureau = app.service.create_agency(&sys, &zhifa_domain::agency::AgencyForm::from(&bureau)).await.unwrap();
    let form = UserForm {
        username: "nb-jiandu".into(),
        name: "宁波监督".into(),
        role: "supervisor".into(),
        ..Default::default()
    };
    let id = app.service.create_user(&sys, bureau, &form, Some(PASSWORD)).await.unwrap();
    app.service.create_token(&sys, id, "测试").await.unwrap().1
}

/// A penalty case of the office filed on 3 August 2026 and decided (a fine
/// of 2,000 yuan) on 25 August: to be published by 3 September.
pub(super) async fn decided_on_25_august(app: &App, o: &Office) -> i64 {
    let handlers = vec![o.o1.clone(), o.o2.clone()];
    let (id, _) = open(app, &o.officer, "penalty-general", company(), handlers, "2026-08-03").await;
    ok(app, &o.head, id, "file", "2026-08-03", json!({})).await;
    ok(app, &o.officer, id, "notify", "2026-08-10", fine(2_000)).await;
    ok(app, &o.officer, id, "prepare_decision", "2026-08-24", json!({})).await;
    ok(app, &o.head, id, "decide", "2026-08-25", fine(2_000)).await;
    id
}

/// The warnings `token` lists with `query`.
async fn warnings(app: &App, token: &str, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/warnings?{query}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json().as_array().unwrap().clone()
}

/// The one warning of `rule` on case `id`.
async fn warning_of(app: &App, token: &str, rule: &str, id: i64) -> Value {
    let all = warnings(app, token, &format!("rule={rule}&status=")).await;
    let mine: Vec<&Value> = all.iter().filter(|w| w["subject"]["kind"] == "case" && w["subject"]["id"] == id).collect();
    assert_eq!(mine.len(), 1, "{all:#?}");
    mine[0].clone()
}

async fn records(app: &App) -> i64 {
    app.service.store().record_count().await.unwrap()
}

/// A handling step; asserts the ledger grew by one record exactly when it
/// succeeded.
async fn handle(app: &App, token: &str, w: &Value, action: &str, body: Value) -> (StatusCode, Value) {
    let before = records(app).await;
    let mut body = body;
    body["version"] = w["version"].clone();
    let r = app.post_json(&format!("/api/v1/warnings/{}/{action}", w["id"]), token, body).await;
    let grew = records(app).await - before;
    assert_eq!(grew, i64::from(r.status == StatusCode::OK), "{action}: {} {}", r.status, r.text());
    (r.status, r.json())
}

fn refused_by(status: StatusCode, v: &Value, rule: &str) -> String {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let hit = v["refusals"].as_array().unwrap().iter().find(|x| x["rule"] == rule);
    hit.unwrap_or_else(|| panic!("not refused by {rule}: {v}"))["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn sup_1_a_case_past_its_limit_is_warned_sent_answered_and_accepted() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let supervisor = city_supervisor(&app).await;
        let elsewhere = other_city_supervisor(&app).await;
        // Filed 3 August 2026: 90 days to decide, due 2 November (1 November is a Sunday).
        let handlers = vec![o.o1.clone(), o.o2.clone()];
        let (id, number) = open(&app, &o.officer, "penalty-general", company(), handlers, "2026-08-03").await;
        ok(&app, &o.head, id, "file", "2026-08-03", json!({})).await;
        let report = app.service.catch_up_warnings().await.unwrap();
        assert!(report.opened >= 1, "{report:?}");

        let w = warning_of(&app, &supervisor, "case_past_time_limit", id).await;
        assert_eq!((w["severity"].as_str(), w["status"].as_str()), (Some("red"), Some("open")), "{w}");
        assert_eq!((w["agency"].as_i64(), w["subject"]["label"].as_str()), (Some(o.agency), Some(number.as_str())));
        assert_eq!(w["limit_on"], "2026-11-02", "{w}");
        assert!(w["text"].as_str().unwrap().contains("九十日"), "{w}");
        // The agency sees it too; a supervisor of another city does not.
        assert_eq!(warning_of(&app, &o.head, "case_past_time_limit", id).await["id"], w["id"]);
        let path = format!("/api/v1/warnings/{}", w["id"]);
        assert_eq!(app.get(&path, &elsewhere).await.status, StatusCode::NOT_FOUND);
        assert!(warnings(&app, &elsewhere, "status=").await.iter().all(|x| x["agency"] != o.agency));
        assert_eq!(app.get("/api/v1/warnings?region=330100", &elsewhere).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get("/api/v1/warnings?region=330200", &supervisor).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            app.get(&format!("/api/v1/warnings?agency={}", o.agency), &elsewhere).await.status,
            StatusCode::NOT_FOUND
        );
        let (status, _) =
            handle(&app, &elsewhere, &w, "send", json!({ "text": "请说明", "due_working_days": 5 })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Out of order, and by the wrong people: refused, naming the rule, nothing recorded.
        let (status, v) = handle(&app, &supervisor, &w, "accept", json!({ "text": "同意" })).await;
        assert!(refused_by(status, &v, "warning_handling_order").contains("待督办"), "{v}");
        let (status, v) = handle(&app, &o.head, &w, "send", json!({ "text": "自己督办", "due_working_days": 5 })).await;
        assert!(refused_by(status, &v, "warning_handling_role").contains("监督人员"), "{v}");
        let (status, v) = handle(&app, &supervisor, &w, "send", json!({ "text": "请说明" })).await;
        assert!(refused_by(status, &v, "warning_handling_order").contains("反馈期限"), "{v}");

        // Sent with 5 working days to answer.
        let (status, w) =
            handle(&app, &supervisor, &w, "send", json!({ "text": "请说明超期原因并整改", "due_working_days": 5 }))
                .await;
        assert_eq!((status, w["status"].as_str()), (StatusCode::OK, Some("sent")), "{w}");
        assert!(w["answer_due"].as_str().is_some(), "{w}");
        let (status, v) = handle(&app, &o.officer, &w, "answer", json!({ "text": "承办人代答" })).await;
        assert!(refused_by(status, &v, "warning_handling_role").contains("负责人"), "{v}");
        // A stale version is a conflict.
        let stale = json!({ "id": w["id"], "version": 1 });
        let (status, _) = handle(&app, &o.head, &stale, "answer", json!({ "text": "旧版本" })).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (_, w) = handle(&app, &o.head, &w, "answer", json!({ "text": "因当事人下落不明，已于本周作出决定" })).await;
        assert_eq!(w["status"], "answered");
        let (_, w) = handle(&app, &supervisor, &w, "return", json!({ "text": "请附整改材料" })).await;
        assert_eq!(w["status"], "returned");
        let (_, w) = handle(&app, &o.head, &w, "answer", json!({ "text": "已补充整改报告" })).await;
        let (_, w) = handle(&app, &supervisor, &w, "accept", json!({ "text": "整改到位" })).await;
        assert_eq!((w["status"].as_str(), w["handling"].as_array().unwrap().len()), (Some("accepted"), 5), "{w}");
        // Closed: nothing more.
        let (status, v) = handle(&app, &supervisor, &w, "return", json!({ "text": "再看看" })).await;
        assert!(refused_by(status, &v, "warning_handling_order").contains("已办结"), "{v}");

        // Every step is in the warning's history; the ledger verifies.
        let history = app.get(&format!("/api/v1/history/warning/{}", w["id"]), &supervisor).await;
        assert_eq!(history.status, StatusCode::OK, "{}", history.text());
        let entries = history.json();
        let kinds: Vec<&str> =
            entries.as_array().unwrap().iter().map(|x| x["data"]["action"].as_str().unwrap_or("open")).collect();
        assert_eq!(kinds, ["open", "send", "answer", "return", "answer", "accept"], "{}", history.text());
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);
    })
    .await;
}

#[tokio::test]
async fn sup_1_a_warning_closes_by_itself_when_the_overdue_decision_is_published() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let supervisor = city_supervisor(&app).await;
        let id = decided_on_25_august(&app, &o).await;
        app.service.catch_up_warnings().await.unwrap();
        // Decided 25 August: to be published within 7 working days, by 3 September.
        let w = warning_of(&app, &supervisor, "publication_overdue", id).await;
        assert_eq!((w["status"].as_str(), w["limit_on"].as_str()), (Some("open"), Some("2026-09-03")), "{w}");

        app.service.publish(&Actor::System("test"), zhifa_domain::ids::CaseId(id)).await.unwrap();
        let report = app.service.catch_up_warnings().await.unwrap();
        assert!(report.changed >= 1, "{report:?}");
        let w = warning_of(&app, &supervisor, "publication_overdue", id).await;
        assert_eq!(w["status"], "resolved", "{w}");
        assert_eq!(w["cause_gone_on"].as_str(), Some(app.service.today().to_string().as_str()), "{w}");
        // Not listed among the open ones any longer.
        let open = warnings(&app, &supervisor, "rule=publication_overdue&status=open").await;
        assert!(open.iter().all(|x| x["id"] != w["id"]), "{open:#?}");
        // A day's pass finds nothing new to do with it.
        let again = app.service.warnings_daily_pass().await.unwrap();
        assert_eq!(again.opened, 0, "{again:?}");
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);
    })
    .await;
}

/// The day `case` is due to be evaluated again, if any.
async fn clock_of(app: &App, case: i64) -> Option<String> {
    let sql = format!("SELECT due_on FROM warning_clocks WHERE subject_kind = 'case' AND subject_id = {case}");
    zhifa_store::testing::query_text(app.service.store(), &sql).await
}

async fn count(app: &App, sql: &str) -> i64 {
    zhifa_store::testing::query_text(app.service.store(), sql).await.unwrap().parse().unwrap()
}

#[tokio::test]
async fn sup_1_a_days_pass_evaluates_a_case_on_the_days_its_clock_names_and_not_between() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let supervisor = city_supervisor(&app).await;
        // Filed Monday 7 September 2026: 90 days end on Sunday 6 December,
        // so the decision is due Monday 7 December; yellow from Wednesday 2
        // December (3 working days before), red from 8 December.
        let handlers = vec![o.o1.clone(), o.o2.clone()];
        let (id, _) = open(&app, &o.officer, "penalty-general", company(), handlers, "2026-09-07").await;
        ok(&app, &o.head, id, "file", "2026-09-07", json!({})).await;
        app.on_day("2026-09-07", app.service.catch_up_warnings()).await.unwrap();
        assert_eq!(clock_of(&app, id).await.as_deref(), Some("2026-12-02"));
        let pass = |on: &'static str| app.on_day(on, app.service.warnings_daily_pass());

        // The day before: only what is due then, and every agency.
        let due = count(&app, "SELECT CAST(COUNT(*) AS TEXT) FROM warning_clocks WHERE due_on <= '2026-12-01'").await;
        let agencies = count(&app, "SELECT CAST(COUNT(*) AS TEXT) FROM agencies").await;
        let report = pass("2026-12-01").await.unwrap();
        assert_eq!(report.subjects as i64, due + agencies, "{report:?}");
        let near = warnings(&app, &supervisor, "rule=case_near_time_limit&status=").await;
        assert!(near.iter().all(|w| w["subject"]["id"] != id), "{near:#?}");

        // Its day: yellow, and the next day it can change is the day after the limit.
        let report = pass("2026-12-02").await.unwrap();
        assert!(report.opened >= 1, "{report:?}");
        let w = warning_of(&app, &supervisor, "case_near_time_limit", id).await;
        assert_eq!((w["severity"].as_str(), w["limit_on"].as_str()), (Some("yellow"), Some("2026-12-07")), "{w}");
        assert_eq!(clock_of(&app, id).await.as_deref(), Some("2026-12-08"));
        // Nothing to do in between.
        pass("2026-12-07").await.unwrap();
        assert_eq!(warning_of(&app, &supervisor, "case_near_time_limit", id).await["severity"], "yellow");

        // Past it: red, and no day on which it could change by itself.
        pass("2026-12-08").await.unwrap();
        let w = warning_of(&app, &supervisor, "case_past_time_limit", id).await;
        assert_eq!((w["severity"].as_str(), w["escalated_on"].as_str()), (Some("red"), Some("2026-12-08")), "{w}");
        assert_eq!(clock_of(&app, id).await, None);

        // Clocks counted on another calendar, procedures or rules: the
        // next day's pass evaluates every subject, and notes the basis.
        let basis = "SELECT basis FROM warning_clock_basis";
        let ours = zhifa_store::testing::query_text(app.service.store(), basis).await.unwrap();
        let other = "UPDATE warning_clock_basis SET basis = 'another'".to_owned();
        zhifa_store::testing::tamper(app.service.store(), &[other]).await;
        let cases = count(&app, "SELECT CAST(COUNT(*) AS TEXT) FROM cases").await;
        let certificates = count(&app, "SELECT CAST(COUNT(*) AS TEXT) FROM certificates").await;
        let report = pass("2026-12-09").await.unwrap();
        assert!(report.subjects as i64 >= cases + certificates + agencies, "{report:?}");
        assert_eq!(zhifa_store::testing::query_text(app.service.store(), basis).await, Some(ours));
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);
    })
    .await;
}

/// REC-5 through the reader, which reads cases a few hundred at a time
/// with their uploads: a seizure released without a recording of the
/// release is warned of (its recorded seizure is not), and the warning
/// closes once the recording is uploaded.
#[tokio::test]
async fn rec_5_a_release_without_its_recording_is_warned_of_until_it_is_uploaded() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let supervisor = city_supervisor(&app).await;
        let handlers = vec![o.o1.clone(), o.o2.clone()];
        let (id, number) = open(&app, &o.officer, "coercive-seizure", company(), handlers, "2025-04-01").await;
        ok(&app, &o.head, id, "approve", "2025-04-01", json!({})).await;
        record(&app, &o.officer, &number, "实施查封扣押").await;
        ok(&app, &o.officer, id, "seize", "2025-04-01", json!({})).await;
        ok(&app, &o.officer, id, "release", "2025-05-20", json!({})).await;
        app.service.catch_up_warnings().await.unwrap();
        let all = warnings(&app, &supervisor, "rule=recording_missing&status=open").await;
        let mine: Vec<&Value> = all.iter().filter(|w| w["subject"]["id"] == id).collect();
        assert_eq!(mine.len(), 1, "the release only: {all:#?}");
        assert!(mine[0]["text"].as_str().unwrap().contains("至今没有音像记录"), "{:#?}", mine[0]);

        record(&app, &o.officer, &number, "release").await;
        app.service.catch_up_warnings().await.unwrap();
        let w = warning_of(&app, &supervisor, "recording_missing", id).await;
        assert_eq!(w["status"], "resolved", "{w}");
    })
    .await;
}

#[tokio::test]
async fn rec_8_the_retrieval_log_shows_who_read_which_case_and_evidence_and_why() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let supervisor = city_supervisor(&app).await;
        let elsewhere = other_city_supervisor(&app).await;
        let handlers = vec![o.o1.clone(), o.o2.clone()];
        let (id, number) = open(&app, &o.officer, "penalty-general", company(), handlers, "2026-08-03").await;
        let evidence = match upload(&app, &o.officer, (&number, "立案"), PHOTO).await {
            Ok(e) => e,
            Err(r) => panic!("{} {}", r.status, r.text()),
        };
        let r =
            app.post_json(&format!("/api/v1/cases/{id}/retrieval"), &supervisor, json!({ "reason": "抽查案卷" })).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        let path = format!("/api/v1/evidence/{evidence}/retrieval");
        let r = app.post_json(&path, &supervisor, json!({ "reason": "核对现场照片" })).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());

        // The supervisor's log and the agency's own: both reads, newest first.
        for token in [&supervisor, &o.head] {
            let r = app.get("/api/v1/retrievals", token).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            let log = r.json();
            let seen: Vec<(&str, i64, &str, &str)> = log
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    let what = e["what"].as_str().unwrap();
                    (what, e["id"].as_i64().unwrap(), e["reason"].as_str().unwrap(), e["reader"].as_str().unwrap())
                })
                .collect();
            assert_eq!(seen, [("upload", evidence, "核对现场照片", "jiandu"), ("case", id, "抽查案卷", "jiandu")]);
            assert!(
                log.as_array().unwrap().iter().all(|e| e["agency_id"] == o.agency && e["reader_name"] == "测试监督")
            );
        }
        // Another city's supervisor finds none of it.
        let r = app.get("/api/v1/retrievals", &elsewhere).await;
        assert_eq!(r.json().as_array().map(Vec::len), Some(0), "{}", r.text());
        assert_eq!(app.get("/api/v1/retrievals?region=330100", &elsewhere).await.status, StatusCode::NOT_FOUND);
        let other_agency = format!("/api/v1/retrievals?agency={}", o.agency);
        assert_eq!(app.get(&other_agency, &elsewhere).await.status, StatusCode::NOT_FOUND);
        // The case's own timeline shows its retrieval; the console lists both.
        let head = Browser::open(&app, "head").await;
        let page = head.get(&format!("/console/cases/{id}")).await;
        let page = page.text();
        assert!(page.contains("调阅：抽查案卷") && page.contains("测试监督"), "{page}");
        assert!(!page.contains(">officer-1<"), "people by their names, not login names: {page}");
        let page = head.get("/console/retrievals").await.text();
        assert!(page.contains("抽查案卷") && page.contains("核对现场照片"), "{page}");
    })
    .await;
}
