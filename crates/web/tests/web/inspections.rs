//! Online inspection (SUP-2) through the API on both databases: a quarter's
//! run finds a decision published late and a list not published, a
//! supervisor adds a finding, sends the report, the agency answers, the
//! supervisor accepts; another city's supervisor finds nothing.

use super::App;
use super::cases::{city_supervisor, office};
use super::warnings::{decided_on_25_august, other_city_supervisor};
use axum::http::StatusCode;
use serde_json::{Value, json};
use zhifa_service::Actor;
use zhifa_store::testing::each_backend;

async fn post(app: &App, token: &str, path: &str, body: Value) -> Value {
    let r = app.post_json(path, token, body).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
    r.json()
}

#[tokio::test]
async fn sup_2_a_quarters_online_inspection_finds_late_publicity_and_is_handled() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let supervisor = city_supervisor(&app).await;
        let elsewhere = other_city_supervisor(&app).await;
        // Decided 25 August 2026 (due by 3 September), published on 10 September.
        let id = decided_on_25_august(&app, &o).await;
        app.on_day("2026-09-10", app.service.publish(&Actor::System("test"), zhifa_domain::ids::CaseId(id)))
            .await
            .unwrap();

        // The system runs the quarter (as `zhifa inspect --quarter 2026Q3` does).
        let quarter = zhifa_domain::warning::inspection::Quarter::parse("2026Q3").unwrap();
        let done = app.service.run_inspections(&Actor::System("cli"), quarter, None).await.unwrap();
        assert!(done.iter().all(|d| d.changed), "{done:?}");
        // Run again, nothing changed: nothing recorded.
        let before = app.service.store().record_count().await.unwrap();
        let again = app.service.run_inspections(&Actor::System("cli"), quarter, None).await.unwrap();
        assert!(again.iter().all(|d| !d.changed), "{again:?}");
        assert_eq!(app.service.store().record_count().await.unwrap(), before);

        let r = app.get("/api/v1/inspections?quarter=2026Q3", &supervisor).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let reports = r.json();
        let report = reports.as_array().unwrap().iter().find(|x| x["agency"] == o.agency).unwrap().clone();
        let findings = report["findings"].as_array().unwrap();
        let late = findings.iter().find(|f| f["check"] == "publication").unwrap_or_else(|| panic!("{report:#}"));
        assert!(late["text"].as_str().unwrap().contains("2026-09-03"), "{late}");
        assert_eq!(late["subject"]["kind"], "publication");
        assert!(findings.iter().any(|f| f["check"] == "lists"), "the office keeps no lists: {report:#}");
        let score = report["score"].as_u64().unwrap();
        assert!(score <= 100 - 10 - 10, "{report:#}");

        // Another city's supervisor sees none of it.
        let path = format!("/api/v1/inspections/{}", report["id"]);
        assert_eq!(app.get(&path, &elsewhere).await.status, StatusCode::NOT_FOUND);
        let theirs = app.get("/api/v1/inspections?quarter=2026Q3", &elsewhere).await.json();
        assert!(theirs.as_array().unwrap().iter().all(|x| x["agency"] != o.agency), "{theirs:#}");
        assert_eq!(app.get("/api/v1/inspections?region=330100", &elsewhere).await.status, StatusCode::NOT_FOUND);

        // A finding by hand; the agency may not add one.
        let body = json!({ "version": report["version"], "text": "执法人员公示信息未更新" });
        let r = app.post_json(&format!("{path}/findings"), &o.head, body.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
        let report = post(&app, &supervisor, &format!("{path}/findings"), body).await;
        assert_eq!(report["score"].as_u64(), Some(score - 5), "{report:#}");
        // Sent, answered, accepted: the same handling as a warning.
        let send = json!({ "version": report["version"], "text": "请限期整改", "due_working_days": 10 });
        let report = post(&app, &supervisor, &format!("{path}/send"), send).await;
        let r = app
            .post_json(
                &format!("{path}/findings"),
                &supervisor,
                json!({ "version": report["version"], "text": "再补充" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "sent: no more findings: {}", r.text());
        let answer = json!({ "version": report["version"], "text": "已补充公示服务指南，已按时公示" });
        let report = post(&app, &o.head, &format!("{path}/answer"), answer).await;
        let accept = json!({ "version": report["version"], "text": "整改到位" });
        let report = post(&app, &supervisor, &format!("{path}/accept"), accept).await;
        assert_eq!(report["status"], "accepted", "{report:#}");
        // Run again after: the findings by hand and the handling stay.
        app.service.run_inspections(&Actor::System("cli"), quarter, None).await.unwrap();
        let kept = app.get(&path, &supervisor).await.json();
        assert_eq!((kept["status"].as_str(), kept["score"].as_u64()), (Some("accepted"), Some(score - 5)), "{kept:#}");
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);
    })
    .await;
}
