//! Legal review (法制审核) through the API, on both databases: the catalogue
//! decides which decisions need review, the gate holds them until a review
//! of that exact draft passes, reviewers are separate and qualified, problems
//! go back and come again, disagreements reach collective deliberation, and
//! every step is in the ledger. Also the demo's responsibility and staffing.

use super::cases::{Office, case, company, fine, office, ok, open, refused, step};
use super::{App, Resp};
use axum::http::StatusCode;
use serde_json::{Value, json};
use zhifa_service::Actor;
use zhifa_store::testing::each_backend;

/// The seven points, each with `finding`, and an opinion.
fn seven(finding: &str, opinion: &str, problems: &str) -> Value {
    let points = ["subject", "procedure", "facts", "law", "authority", "documents", "crime"];
    let findings: serde_json::Map<String, Value> =
        points.iter().map(|p| (p.to_string(), json!(if *p == "facts" { finding } else { "conforms" }))).collect();
    let comments: serde_json::Map<String, Value> = points
        .iter()
        .filter(|p| **p == "facts" && finding == "problem")
        .map(|p| (p.to_string(), json!("违法所得的计算缺少进货凭证")))
        .collect();
    json!({ "review": { "findings": findings, "comments": comments, "opinion": opinion, "problems": problems, "comment": "经审核，意见如上。" } })
}

/// A review that agrees on every point.
pub fn approve() -> Value {
    seven("conforms", "approve", "")
}

fn problems() -> Value {
    seven("problem", "problems", "补充进货凭证，重新计算违法所得\n说明从重处罚的裁量情节")
}

async fn set_catalogue(app: &App, o: &Office, version: i64, all_general: bool) {
    let r = app
        .put_json(
            &format!("/api/v1/agencies/{}/review-catalogue", o.agency),
            &o.head,
            json!({
                "version": version, "review_all_general": all_general, "time_limit_days": 7,
                "entries": [{ "name": "较大数额罚款", "category": "penalty", "trigger": "fine_at_least", "amount": "10000",
                              "basis": "本机关重大执法决定法制审核目录清单第1项" }]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
}

/// A filed case that has been notified of `yuan`, ready for a decision;
/// `extra` adds to the opening form (e.g. `serious`).
async fn notified(app: &App, o: &Office, yuan: u32, extra: Value) -> i64 {
    let mut body = json!({
        "procedure": "penalty-general", "title": "销售过期食品", "facts": "当事人在经营场所销售超过保质期的食品。",
        "legal_basis": "《中华人民共和国食品安全法》第三十四条第（十）项", "party": company(),
        "handlers": [o.o1.clone(), o.o2.clone()], "violation_on": "2025-02-20", "on": "2025-03-03"
    });
    for (k, v) in extra.as_object().into_iter().flatten() {
        body[k] = v.clone();
    }
    let r = app.on_day("2025-03-03", app.post_json("/api/v1/cases", &o.officer, body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    ok(app, &o.head, id, "file", "2025-03-04", json!({})).await;
    ok(app, &o.officer, id, "notify", "2025-03-10", fine(yuan)).await;
    id
}

fn stage(v: &Value) -> &str {
    v["stage"].as_str().unwrap()
}

/// Every step of the case is a record of its own in the ledger, and the
/// ledger verifies.
async fn every_step_recorded(app: &App, token: &str, id: i64) {
    let v = case(app, token, id).await;
    let steps = v["data"]["steps"].as_array().unwrap().len();
    let records = v["timeline"].as_array().unwrap().len();
    assert_eq!(records, steps, "one record per step (the opening included)");
    assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);
}

#[tokio::test]
async fn rev_1_2_catalogue_threshold_gate_reviewers_and_the_resubmission_loop() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        set_catalogue(&app, &o, 0, false).await;
        let r = app.get(&format!("/api/v1/agencies/{}/review-catalogue", o.agency), &o.officer).await;
        assert_eq!(r.json()["version"], 1);

        // Below the threshold: decided without review.
        let below = notified(&app, &o, 9_000, json!({})).await;
        ok(&app, &o.officer, below, "prepare_decision", "2025-03-28", json!({})).await;
        ok(&app, &o.head, below, "decide", "2025-03-31", fine(9_000)).await;

        // Above it: the gate names the catalogue line.
        let id = notified(&app, &o, 30_000, json!({})).await;
        ok(&app, &o.officer, id, "prepare_decision", "2025-03-28", json!({})).await;
        let m =
            refused(&step(&app, &o.head, id, "decide", "2025-03-31", fine(30_000)).await, "legal_review", "第五十八条");
        assert!(m.contains("较大数额罚款") && m.contains("不得作出决定"), "{m}");
        let v = case(&app, &o.head, id).await;
        let decide = v["actions"].as_array().unwrap().iter().find(|a| a["action"] == "decide").unwrap();
        assert!(decide["missing"].to_string().contains("legal_review"), "the head sees why: {decide}");
        ok(&app, &o.officer, id, "submit_review", "2025-03-31", json!({})).await;

        // The queue shows it with its due date: 7 working days from 31 March 2025
        // (4 April is the Qingming holiday) is 10 April.
        let q = app.get("/api/v1/reviews", &o.reviewer).await.json();
        let line = q.as_array().unwrap().iter().find(|l| l["case_id"] == id).unwrap();
        assert_eq!(line["due"], "2025-04-10");
        assert!(line["triggers"].to_string().contains("较大数额罚款"), "{line}");

        // An unqualified first-time reviewer is refused (art. 58 ¶2).
        let m = refused(
            &step(&app, &o.head, id, "assign_reviewer", "2025-03-31", json!({ "reviewer": o.novice_id })).await,
            "reviewer_qualified",
            "第五十八条第二款",
        );
        assert!(m.contains("法律职业资格"), "{m}");
        refused(
            &step(&app, &o.novice, id, "review", "2025-04-01", approve()).await,
            "reviewer_qualified",
            "第五十八条",
        );
        ok(&app, &o.head, id, "assign_reviewer", "2025-03-31", json!({ "reviewer": o.reviewer_id })).await;

        // Problems: back to the handling unit, which answers each and resubmits.
        let r = step(&app, &o.reviewer, id, "review", "2025-04-02", problems()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "an approval with a problem is refused");
        ok(&app, &o.reviewer, id, "review_problems", "2025-04-02", problems()).await;
        assert_eq!(stage(&case(&app, &o.officer, id).await), "review_returned");
        let m = refused(
            &step(&app, &o.officer, id, "resubmit", "2025-04-03", json!({ "answers": ["已补充进货凭证"] })).await,
            "review_answers",
            "国办发〔2018〕118号",
        );
        assert!(m.contains("2 项问题"), "{m}");
        let answers = json!({ "answers": ["已补充进货凭证，违法所得重新计算", "已说明从重情节"] });
        ok(&app, &o.officer, id, "resubmit", "2025-04-03", answers).await;
        ok(&app, &o.reviewer, id, "review", "2025-04-07", approve()).await;
        ok(&app, &o.head, id, "skip_deliberation", "2025-04-08", json!({})).await;

        // Changing the amount after approval voids it; so does changing the facts.
        let m =
            refused(&step(&app, &o.head, id, "decide", "2025-04-08", fine(25_000)).await, "legal_review", "第五十八条");
        assert!(m.contains("原审核意见失效") && m.contains("30,000.00") && m.contains("25,000.00"), "{m}");
        let facts = case(&app, &o.officer, id).await["data"]["facts"].as_str().unwrap().to_owned();
        ok(&app, &o.officer, id, "amend", "2025-04-08", json!({ "facts": "当事人还销售了其他过期食品。" })).await;
        let m =
            refused(&step(&app, &o.head, id, "decide", "2025-04-08", fine(30_000)).await, "legal_review", "第五十八条");
        assert!(m.contains("案件事实已修改"), "{m}");
        ok(&app, &o.officer, id, "amend", "2025-04-08", json!({ "facts": facts })).await;
        ok(&app, &o.head, id, "decide", "2025-04-08", fine(30_000)).await;

        // Both rounds are kept and in the review opinion.
        let v = case(&app, &o.officer, id).await;
        let rounds = v["data"]["review"]["rounds"].as_array().unwrap();
        assert_eq!(rounds.len(), 2);
        assert_eq!(rounds[0]["outcome"]["result"], "problems");
        assert_eq!(rounds[1]["answers"].as_array().unwrap().len(), 2);
        assert_eq!(rounds[1]["outcome"]["result"], "approved");
        let html = app.get(&format!("/api/v1/cases/{id}/documents/review_opinion"), &o.officer).await.text();
        for part in ["第 1 轮审核", "第 2 轮审核", "违法所得的计算缺少进货凭证", "已说明从重情节", "测试reviewer"]
        {
            assert!(html.contains(part), "the review opinion lacks {part}");
        }
        insta::assert_snapshot!("review_opinion_document", html);
        every_step_recorded(&app, &o.officer, id).await;

        // An agency that reviews every general-procedure penalty.
        set_catalogue(&app, &o, 1, true).await;
        let small = notified(&app, &o, 500, json!({})).await;
        ok(&app, &o.officer, small, "prepare_decision", "2025-03-28", json!({})).await;
        let m =
            refused(&step(&app, &o.head, small, "decide", "2025-03-31", fine(500)).await, "legal_review", "第五十八条");
        assert!(m.contains("一般程序"), "{m}");
    })
    .await;
}

#[tokio::test]
async fn rev_2_a_handler_never_reviews_their_own_case() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        // The reviewer registered this case: they handled it.
        let (id, _) =
            open(&app, &o.reviewer, "penalty-general", company(), vec![o.o1.clone(), o.o2.clone()], "2025-03-03").await;
        ok(&app, &o.head, id, "file", "2025-03-04", json!({})).await;
        ok(&app, &o.officer, id, "notify", "2025-03-10", fine(30_000)).await;
        ok(&app, &o.officer, id, "submit_review", "2025-03-11", json!({})).await;
        let m = refused(
            &step(&app, &o.head, id, "assign_reviewer", "2025-03-11", json!({ "reviewer": o.reviewer_id })).await,
            "review_separation",
            "国办发〔2018〕118号",
        );
        assert!(m.contains("办审分离"), "{m}");
        refused(&step(&app, &o.reviewer, id, "review", "2025-03-12", approve()).await, "review_separation", "118号");
        // Materials sent back as incomplete by another reviewer … who is unqualified and new: refused too.
        refused(
            &step(&app, &o.novice, id, "return_materials", "2025-03-12", json!({ "reason": "缺少询问笔录" })).await,
            "reviewer_qualified",
            "第五十八条",
        );
    })
    .await;
}

#[tokio::test]
async fn rev_4_disagreement_reaches_collective_deliberation() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        set_catalogue(&app, &o, 0, false).await;
        let id = notified(&app, &o, 80_000, json!({ "serious": true })).await;
        ok(&app, &o.officer, id, "submit_review", "2025-03-11", json!({})).await;
        ok(&app, &o.head, id, "assign_reviewer", "2025-03-11", json!({ "reviewer": o.reviewer_id })).await;
        ok(&app, &o.reviewer, id, "review_problems", "2025-03-13", problems()).await;
        // Coordination only after a resubmission still meets problems.
        refused(
            &step(&app, &o.officer, id, "request_coordination", "2025-03-14", json!({ "reason": "不同意" })).await,
            "disagreement_after_resubmission",
            "118号",
        );
        ok(
            &app,
            &o.officer,
            id,
            "resubmit",
            "2025-03-14",
            json!({ "answers": ["坚持原意见：凭证已在卷", "情节严重"] }),
        )
        .await;
        ok(&app, &o.reviewer, id, "review_problems", "2025-03-17", problems()).await;
        ok(&app, &o.officer, id, "request_coordination", "2025-03-18", json!({ "reason": "承办机构认为罚款数额适当" }))
            .await;
        assert_eq!(stage(&case(&app, &o.officer, id).await), "coordination");
        ok(
            &app,
            &o.head,
            id,
            "refer_deliberation",
            "2025-03-19",
            json!({ "reason": "协调未能达成一致", "participants": "测试head\n测试reviewer\n测试officer-1" }),
        )
        .await;
        // The deliberation is recorded: participants, each view, the outcome.
        let deliberation = json!({ "deliberation": {
            "participants": "测试head（局长）\n王副局长\n李副局长",
            "views": "测试head：同意承办机构意见\n王副局长：同意\n李副局长：同意法制审核意见，但服从多数",
            "outcome": "维持承办机构拟作出的罚款 80,000 元的决定"
        }});
        let r = step(
            &app,
            &o.head,
            id,
            "deliberate",
            "2025-03-20",
            json!({ "deliberation": { "participants": "测试head" } }),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        ok(&app, &o.head, id, "deliberate", "2025-03-20", deliberation).await;
        ok(&app, &o.head, id, "decide", "2025-03-21", fine(80_000)).await;
        let v = case(&app, &o.officer, id).await;
        let d = &v["data"]["deliberations"][0];
        assert_eq!(d["after_disagreement"], true);
        assert_eq!(d["views"].as_array().unwrap().len(), 3);
        let html = app.get(&format!("/api/v1/cases/{id}/documents/deliberation_record"), &o.officer).await.text();
        for part in ["李副局长", "同意法制审核意见，但服从多数", "维持承办机构拟作出的罚款", "存在分歧"]
        {
            assert!(html.contains(part), "the deliberation record lacks {part}");
        }
        every_step_recorded(&app, &o.officer, id).await;

        // Responsibility: handlers, reviewer (each round), deliberation, approver.
        let people = app.get(&format!("/api/v1/cases/{id}/responsibility"), &o.officer).await.json();
        let has = |name: &str, role: &str| {
            people
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"].as_str().unwrap().starts_with(name) && p["role"] == role)
        };
        assert!(has("测试officer-1", "承办人"), "{people}");
        assert!(has("测试reviewer", "法制审核人员"), "{people}");
        assert!(has("李副局长", "集体讨论参加人"), "{people}");
        assert!(has("测试head", "机关负责人"), "{people}");
        let reviews =
            people.as_array().unwrap().iter().filter(|p| p["what"].as_str().unwrap().contains("轮审核")).count();
        assert_eq!(reviews, 2);
    })
    .await;
}

#[tokio::test]
async fn rev_1_catalogue_excel_round_trip_refuses_a_bad_row() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        set_catalogue(&app, &o, 0, false).await;
        let path = format!("/api/v1/agencies/{}/review-catalogue.xlsx", o.agency);
        let xlsx = app.get(&path, &o.head).await.body;
        let table = zhifa_docs::excel::read_table(&xlsx).unwrap();
        assert_eq!(table.rows.len(), 1);
        let import = |bytes: Vec<u8>| {
            let app = &app;
            let path = path.clone();
            let token = o.head.clone();
            async move {
                app.send(
                    axum::http::Request::post(&path)
                        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
                        .body(axum::body::Body::from(bytes))
                        .unwrap(),
                )
                .await
            }
        };
        let r: Resp = import(xlsx.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["created"], 1);
        // A row without its amount: nothing imported, the row named.
        let headers: Vec<&str> = table.headers.iter().map(String::as_str).collect();
        let mut row = table.rows[0].1.clone();
        let amount = headers.iter().position(|h| h.starts_with("金额标准")).unwrap();
        row[amount] = String::new();
        let bad =
            zhifa_docs::excel::write_table("法制审核目录清单", &headers, &[table.rows[0].1.clone(), row]).unwrap();
        let r = import(bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        assert!(r.json()["message"].as_str().unwrap().contains("第 3 行"), "{}", r.text());
        let v = app.get(&format!("/api/v1/agencies/{}/review-catalogue", o.agency), &o.head).await.json();
        assert_eq!(v["entries"].as_array().unwrap().len(), 1);
        // Officers read the catalogue but do not change it.
        let r = app
            .put_json(
                &format!("/api/v1/agencies/{}/review-catalogue", o.agency),
                &o.officer,
                json!({ "version": v["version"], "review_all_general": true, "time_limit_days": 7, "entries": [] }),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    })
    .await;
}

/// REV-5 and REV-6 on the demo: every person involved in a demo case that
/// went through review and deliberation is named with role and day, and the
/// staffing report lists exactly the demo agencies below 5%.
pub async fn demo_responsibility_and_staffing(app: &App) {
    let sys = Actor::System("test");
    let agency = app.service.agency_by_code(&sys, "hzxh-scjg").await.unwrap();
    let filter = zhifa_service::CaseFilter { agency: Some(agency.id), limit: 10_000, ..Default::default() };
    let cases = app.service.store().cases(&filter).await.unwrap();
    // One walked step by step (the bulk cases are made whole, in one record).
    let mut walked = None;
    for c in cases
        .iter()
        .filter(|c| !c.data.deliberations.is_empty() && c.data.review.rounds.len() >= 2 && c.data.decided_on.is_some())
    {
        if app.service.store().records_of("case", c.id.0).await.unwrap().len() > 1 {
            walked = Some(c);
            break;
        }
    }
    let deliberated = walked.unwrap_or_else(|| panic!("no demo case decided after review rounds and a deliberation"));
    let (_, people) = app.service.responsibility(&sys, deliberated.id).await.unwrap();
    // Everyone who acted on the case, by its records in the ledger …
    for r in app.service.store().records_of("case", deliberated.id.0).await.unwrap() {
        let user = app.service.store().user(r.actor_id.unwrap()).await.unwrap().unwrap();
        let name = &user.user.data.name;
        assert!(
            people.iter().any(|p| &p.name == name && p.user == Some(user.user.id)),
            "{name} ({}) acted on the case but is not listed: {people:?}",
            r.reason
        );
    }
    // … every handler, reviewer and deliberation participant, each with role and day.
    for h in &deliberated.data.matter.handlers {
        assert!(people.iter().any(|p| p.name == h.name && p.role == "承办人"));
    }
    for round in &deliberated.data.review.rounds {
        let o = round.outcome.as_ref().unwrap();
        assert!(people.iter().any(|p| p.name == o.reviewer_name && p.role == "法制审核人员" && p.on == o.on));
    }
    for d in &deliberated.data.deliberations {
        for name in &d.participants {
            assert!(people.iter().any(|p| &p.name == name && p.role == "集体讨论参加人" && p.on == d.on));
        }
    }
    let decided = deliberated.data.steps.iter().find(|s| s.action == "decide").unwrap();
    assert!(people.iter().any(|p| p.name == decided.by_name && p.role == "机关负责人" && p.on == decided.on));

    // Staffing: the supervisor of the province sees every agency; exactly the
    // demo's agencies below 5% are listed.
    let supervisor = app.service.store().user_by_username("zj-jiandu").await.unwrap().unwrap();
    let supervisor = Actor::User(app.service.principal(supervisor.user.id).await.unwrap().unwrap());
    let below = app.service.staffing(&supervisor, true).await.unwrap();
    let mut codes: Vec<&str> = below.iter().map(|l| l.code.as_str()).collect();
    codes.sort_unstable();
    assert_eq!(codes, zhifa_demo::BELOW_FIVE_PERCENT);
    let all = app.service.staffing(&supervisor, false).await.unwrap();
    let hz = all.iter().find(|l| l.code == "hz-scjg").unwrap();
    assert_eq!((hz.certified_officers, hz.reviewers, hz.below_five_percent), (20, 1, false), "5% exactly is enough");
}

#[tokio::test]
async fn rev_console_queue_catalogue_rounds_responsibility_and_staffing() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        // A line added through the console's form (multipart, like the import).
        let boundary = "zhifa-boundary";
        let part = |name: &str, value: &str| {
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
        };
        let mut body = String::new();
        for (k, v) in [
            ("csrf_token", ""),
            ("version", "0"),
            ("op", "add"),
            ("name", "吊销许可证件"),
            ("category", "penalty"),
            ("trigger", "penalty_kinds"),
            ("kinds", "吊销许可证件"),
        ] {
            body.push_str(&part(k, v));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        let r = app
            .send(
                axum::http::Request::post("/console/review-catalogue")
                    .header(axum::http::header::AUTHORIZATION, format!("Bearer {}", o.head))
                    .header(axum::http::header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
                    .body(axum::body::Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let page = app.get("/console/review-catalogue", &o.reviewer).await.text();
        assert!(page.contains("处罚种类为吊销许可证件") && page.contains("7 个工作日"), "{page}");

        let id = notified(&app, &o, 5_000, json!({})).await;
        ok(&app, &o.officer, id, "submit_review", "2025-03-11", json!({})).await;
        let queue = app.get("/console/reviews", &o.reviewer).await.text();
        assert!(queue.contains("法制审核待办") && queue.contains("第 1 轮") && queue.contains("2025-03-20"), "{queue}");
        ok(&app, &o.reviewer, id, "review_problems", "2025-03-12", problems()).await;
        ok(&app, &o.officer, id, "resubmit", "2025-03-13", json!({ "answers": ["已补充", "已说明"] })).await;
        let page = app.get(&format!("/console/cases/{id}"), &o.reviewer).await.text();
        for part in
            ["第 1 轮：存在问题，退回", "第 2 轮：审核中", "补充进货凭证，重新计算违法所得", "已说明", "finding_crime"]
        {
            assert!(page.contains(part), "the case page lacks {part}");
        }
        // A refused review keeps what the reviewer typed.
        ok(&app, &o.reviewer, id, "review_problems", "2025-03-14", problems()).await;
        let version = case(&app, &o.reviewer, id).await["version"].to_string();
        let ok_answers = json!({ "answers": ["已补充", "已说明"] });
        ok(&app, &o.officer, id, "resubmit", "2025-03-17", ok_answers).await;
        let version2 = case(&app, &o.reviewer, id).await["version"].to_string();
        assert_ne!(version, version2);
        let typed = super::cases::form_body(&[
            ("action", "review_problems"),
            ("version", &version2),
            ("on", "2025-03-18"),
            ("opinion", "problems"),
            ("finding_subject", "conforms"),
            ("finding_procedure", "conforms"),
            ("finding_facts", "problem"),
            ("finding_law", "not_applicable"),
            ("finding_authority", "conforms"),
            ("finding_documents", "conforms"),
            ("finding_crime", "conforms"),
            ("problems", "补充第三份进货凭证"),
            ("review_comment", "退回补充。"),
        ]);
        let request = app.send(
            axum::http::Request::post(format!("/console/cases/{id}/steps"))
                .header(axum::http::header::AUTHORIZATION, format!("Bearer {}", o.reviewer))
                .header(axum::http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(typed))
                .unwrap(),
        );
        let r = app.on_day("2025-03-18", request).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        let page = r.text();
        assert!(page.contains("应写明问题所在"), "the refusal is shown");
        assert!(page.contains(">补充第三份进货凭证</textarea>"), "the typed problems are kept");
        assert!(page.contains(r#"<option value="not_applicable" selected>"#), "the chosen findings are kept");

        // Nothing is preset: every point starts unanswered, and whether a
        // crime is suspected is asked as yes or no.
        let page = app.get(&format!("/console/cases/{id}"), &o.reviewer).await.text();
        assert_eq!(page.matches(r#"<option value="">请逐项审核后选择</option>"#).count(), 2 * 7, "{page}");
        assert!(!page.contains(r#"<option value="conforms" selected>"#), "{page}");
        assert!(page.contains("否，不涉嫌犯罪，无需移送") && page.contains("是，涉嫌犯罪，需移送司法机关"), "{page}");
        // A form sent without findings, or without its written opinion, is
        // refused and records nothing.
        let conform: Vec<(String, &str)> = ["subject", "procedure", "facts", "law", "authority", "documents", "crime"]
            .iter()
            .map(|p| (format!("finding_{p}"), "conforms"))
            .collect();
        let base = [("action", "review"), ("version", version2.as_str()), ("on", "2025-03-18"), ("opinion", "approve")];
        let no_findings: Vec<(&str, &str)> = base.iter().copied().chain([("review_comment", "同意。")]).collect();
        let no_opinion: Vec<(&str, &str)> =
            base.iter().copied().chain(conform.iter().map(|(k, v)| (k.as_str(), *v))).collect();
        for (fields, says) in [(no_findings, "尚未给出审核结论"), (no_opinion, "审核意见")] {
            let before = app.service.store().record_count().await.unwrap();
            let request = app.send(
                axum::http::Request::post(format!("/console/cases/{id}/steps"))
                    .header(axum::http::header::AUTHORIZATION, format!("Bearer {}", o.reviewer))
                    .header(axum::http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(axum::body::Body::from(super::cases::form_body(&fields)))
                    .unwrap(),
            );
            let r = app.on_day("2025-03-18", request).await;
            assert!(r.status.is_client_error(), "{} {}", r.status, r.text());
            assert!(r.text().contains(says), "{says}: {}", r.text());
            assert_eq!(app.service.store().record_count().await.unwrap(), before);
        }

        let page = app.get(&format!("/console/cases/{id}/responsibility"), &o.officer).await.text();
        assert!(page.contains("测试reviewer") && page.contains("法制审核人员") && page.contains("送审人"), "{page}");
        let page = app.get("/console/staffing", &o.head).await.text();
        // Two certified officers (one certificate expired) and two reviewers.
        assert!(page.contains("<td>2</td><td>2</td>"), "{page}");
    })
    .await;
}

/// REV-2: the gate holds every category the catalogue names, not only
/// penalties: a permit, a seizure and a decision of no penalty wait for a
/// review of that very decision; refused steps record nothing.
#[tokio::test]
async fn rev_2_permits_seizures_and_decisions_of_no_penalty_are_reviewed_as_the_catalogue_says() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let line = |name: &str, category: &str, trigger: &str| {
            json!({ "name": name, "category": category, "trigger": trigger, "basis": "本机关重大执法决定法制审核目录清单" })
        };
        let r = app
            .put_json(
                &format!("/api/v1/agencies/{}/review-catalogue", o.agency),
                &o.head,
                json!({ "version": 0, "review_all_general": false, "time_limit_days": 7, "entries": [
                    line("行政许可决定", "permit", "always"),
                    line("查封、扣押", "coercion", "always"),
                    line("不予行政处罚决定", "penalty", "no_penalty"),
                ]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        let handlers = vec![o.o1.clone(), o.o2.clone()];
        let records = || async { app.service.store().record_count().await.unwrap() };

        // A permit: no grant before a review of the grant.
        let (permit, _) = open(&app, &o.officer, "permit", company(), handlers.clone(), "2025-03-03").await;
        ok(&app, &o.officer, permit, "accept", "2025-03-03", json!({})).await;
        let before = records().await;
        let r = step(&app, &o.head, permit, "grant", "2025-03-10", json!({})).await;
        let m = refused(&r, "catalogue_review", "118号");
        assert!(m.contains("行政许可决定"), "{m}");
        assert_eq!(records().await, before, "refused: nothing recorded");
        ok(&app, &o.officer, permit, "submit_review", "2025-03-10", json!({ "decides": "grant" })).await;
        ok(&app, &o.head, permit, "assign_reviewer", "2025-03-10", json!({ "reviewer": o.reviewer_id })).await;
        ok(&app, &o.reviewer, permit, "review", "2025-03-11", super::review::approve()).await;
        let r = step(&app, &o.head, permit, "deny", "2025-03-12", json!({ "reason": "不具备条件" })).await;
        let m = refused(&r, "catalogue_review", "118号");
        assert!(m.contains("准予许可") && m.contains("不予许可"), "reviewed to grant, not to deny: {m}");
        ok(&app, &o.head, permit, "grant", "2025-03-12", json!({})).await;
        let v = case(&app, &o.head, permit).await;
        assert_eq!(v["data"]["review"]["rounds"][0]["draft"]["decision"], "准予许可", "{v}");

        // A seizure: the head's approval waits for the review.
        let (seizure, _) = open(&app, &o.officer, "coercive-seizure", company(), handlers.clone(), "2025-03-03").await;
        let before = records().await;
        refused(&step(&app, &o.head, seizure, "approve", "2025-03-03", json!({})).await, "catalogue_review", "118号");
        assert_eq!(records().await, before);
        ok(&app, &o.officer, seizure, "submit_review", "2025-03-03", json!({ "decides": "approve" })).await;
        ok(&app, &o.reviewer, seizure, "review", "2025-03-04", super::review::approve()).await;
        ok(&app, &o.head, seizure, "approve", "2025-03-04", json!({})).await;

        // No penalty, when the catalogue says so: reviewed on its ground.
        let (id, _) = open(&app, &o.officer, "penalty-general", company(), handlers, "2025-03-03").await;
        ok(&app, &o.head, id, "file", "2025-03-03", json!({})).await;
        let no_penalty = json!({ "no_penalty_ground": "no_fault", "reason": "当事人有证据足以证明没有主观过错" });
        refused(&step(&app, &o.head, id, "decide_no_penalty", "2025-03-05", no_penalty.clone()).await, "legal_review", "第五十八条");
        let submit = json!({ "decides": "decide_no_penalty", "no_penalty_ground": "no_fault" });
        ok(&app, &o.officer, id, "submit_review", "2025-03-05", submit).await;
        ok(&app, &o.reviewer, id, "review", "2025-03-06", super::review::approve()).await;
        ok(&app, &o.head, id, "skip_deliberation", "2025-03-06", json!({})).await;
        ok(&app, &o.head, id, "decide_no_penalty", "2025-03-07", no_penalty).await;
        assert_eq!(case(&app, &o.head, id).await["stage"], "no_penalty");
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);
    })
    .await;
}
