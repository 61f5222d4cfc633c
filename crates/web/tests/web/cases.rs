//! Cases through the API, on both databases: every shipped procedure walked
//! from its start to its archive, and every refusal of SPEC REC-2 named with
//! its rule and article.

use super::{App, PASSWORD, Resp, tus};
use axum::body::Body;
use axum::http::{StatusCode, header};
use serde_json::{Value, json};
use zhifa_service::Actor;
use zhifa_store::testing::each_backend;

/// An agency with officers (two with valid certificates, one whose
/// certificate expired at the end of 2024), a head, a reviewer with the legal
/// professional qualification and a new reviewer without it.
pub struct Office {
    pub agency: i64,
    pub officer: String,
    pub head: String,
    pub reviewer: String,
    pub reviewer_id: i64,
    pub novice: String,
    pub novice_id: i64,
    /// `{ "user": id, "certificate": number }` of each officer.
    pub o1: Value,
    pub o2: Value,
    pub expired: Value,
    /// The token of the officer whose certificate expired.
    pub expired_officer: String,
    /// `{ "user": id, "certificate": "" }` of the reviewer, as a handler.
    pub reviewer_as_handler: Value,
}

pub async fn office(app: &App) -> Office {
    use zhifa_domain::people::{CertificateForm, UserForm};
    let sys = Actor::System("test");
    let s = &app.service;
    let mut agency = zhifa_store::testing::build::agency("hzxh-scjg", "330106", 1);
    agency.number_prefix = "杭西市监".into();
    let a = s.create_agency(&sys, &zhifa_domain::agency::AgencyForm::from(&agency)).await.unwrap();
    let mut tokens = Vec::new();
    let mut ids = Vec::new();
    let mut officers = Vec::new();
    for (username, role, cert) in [
        ("officer-1", "officer", Some(("33010600001", "2028-12-31"))),
        ("officer-2", "officer", Some(("33010600002", "2028-12-31"))),
        ("officer-3", "officer", Some(("33010600003", "2024-12-31"))),
        ("head", "head", None),
        ("reviewer", "reviewer", None),
        ("novice", "reviewer", None),
    ] {
        let form = UserForm {
            username: username.into(),
            name: format!("测试{username}"),
            role: role.into(),
            legal_qualification: (username == "reviewer").to_string(),
            ..Default::default()
        };
        let id = s.create_user(&sys, a, &form, Some(PASSWORD)).await.unwrap();
        ids.push(id.0);
        if let Some((number, valid_to)) = cert {
            let cert = CertificateForm {
                number: number.into(),
                categories: "penalty,inspection,coercion,permit".into(),
                region: "330106".into(),
                valid_from: "2023-01-01".into(),
                valid_to: valid_to.into(),
            };
            s.create_certificate(&sys, id, &cert).await.unwrap();
            officers.push(json!({ "user": id.0, "certificate": number }));
        }
        tokens.push(s.create_token(&sys, id, "测试").await.unwrap().1);
    }
    Office {
        agency: a.0,
        officer: tokens[0].clone(),
        head: tokens[3].clone(),
        reviewer: tokens[4].clone(),
        reviewer_id: ids[4],
        novice: tokens[5].clone(),
        novice_id: ids[5],
        o1: officers[0].clone(),
        o2: officers[1].clone(),
        expired: officers[2].clone(),
        expired_officer: tokens[2].clone(),
        reviewer_as_handler: json!({ "user": ids[4], "certificate": "" }),
    }
}

pub(super) fn person() -> Value {
    json!({ "kind": "person", "name": "张三丰", "number": "11010519491231002X", "address": "杭州市西湖区文三路 1 号", "phone": "13800000000" })
}

pub(super) fn company() -> Value {
    let uscc = zhifa_domain::uscc::with_check_character("91330106MA2H0K1X6").unwrap();
    json!({ "kind": "organisation", "name": "杭州某某食品有限公司", "number": uscc.as_str(), "address": "杭州市西湖区古墩路 2 号" })
}

/// Open a case; returns its id and number.
pub(super) async fn open(
    app: &App,
    token: &str,
    procedure: &str,
    party: Value,
    handlers: Vec<Value>,
    on: &str,
) -> (i64, String) {
    let body = json!({
        "procedure": procedure, "title": "销售过期食品", "facts": "当事人在经营场所销售超过保质期的食品。",
        "legal_basis": "《中华人民共和国食品安全法》第三十四条第（十）项", "party": party,
        "handlers": handlers, "violation_on": "2025-02-20", "on": on
    });
    let r = app.on_day(on, app.post_json("/api/v1/cases", token, body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    (v["id"].as_i64().unwrap(), v["number"].as_str().unwrap().to_owned())
}

pub(super) async fn case(app: &App, token: &str, id: i64) -> Value {
    let r = app.get(&format!("/api/v1/cases/{id}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

/// Take a step (with the version just read), recorded on the day `on` it happens.
pub(super) async fn step(app: &App, token: &str, id: i64, action: &str, on: &str, fields: Value) -> Resp {
    app.on_day(on, step_recorded_later(app, token, id, action, on, fields)).await
}

/// Take a step stated to have happened `on`, recorded by the clock as it stands.
pub(super) async fn step_recorded_later(
    app: &App,
    token: &str,
    id: i64,
    action: &str,
    on: &str,
    mut fields: Value,
) -> Resp {
    let version = case(app, token, id).await["version"].as_i64().unwrap();
    fields["action"] = json!(action);
    fields["version"] = json!(version);
    fields["on"] = json!(on);
    app.post_json(&format!("/api/v1/cases/{id}/steps"), token, fields).await
}

pub(super) async fn ok(app: &App, token: &str, id: i64, action: &str, on: &str, fields: Value) -> Value {
    let r = step(app, token, id, action, on, fields).await;
    assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text());
    r.json()
}

/// The step is refused by `rule`, citing `article`.
pub(super) fn refused(r: &Resp, rule: &str, article: &str) -> String {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let v = r.json();
    assert_eq!(v["code"], "refused");
    let hit = v["refusals"].as_array().unwrap().iter().find(|x| x["rule"] == rule);
    let hit = hit.unwrap_or_else(|| panic!("no refusal by {rule}: {v}"));
    assert!(hit["article"].as_str().unwrap().contains(article), "{hit}");
    hit["message"].as_str().unwrap().to_owned()
}

pub(super) fn fine(yuan: u32) -> Value {
    json!({ "penalty": { "kinds": "fine", "fine": yuan.to_string() } })
}

/// A 2-second video, the demo's.
pub(super) const VIDEO: &[u8] = include_bytes!("../../../demo/media/video.webm");
/// A photo, the demo's.
pub(super) const PHOTO: &[u8] = include_bytes!("../../../demo/media/photo.png");

/// Upload a small video of `step` of case `number`.
pub(super) async fn record(app: &App, token: &str, number: &str, step: &str) {
    if let Err(r) = upload(app, token, (number, step), VIDEO).await {
        panic!("{} {}", r.status, r.text());
    }
}

/// Upload `bytes` whole as evidence of `step` of case `number`: its id, or
/// the answer that refused it.
pub(super) async fn upload(app: &App, token: &str, (number, step): (&str, &str), bytes: &[u8]) -> Result<i64, Resp> {
    use base64::Engine;
    let b = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let meta = [
        ("case_number", number),
        ("step", step),
        ("captured_at", &jiff::Timestamp::now().to_string()),
        ("place", "杭州市西湖区"),
        ("collector", "测试officer-1"),
        ("proves", "查封扣押全过程"),
        ("filename", "VID.mp4"),
        ("filetype", "video/mp4"),
    ]
    .iter()
    .map(|(k, v)| format!("{k} {}", b(v)))
    .collect::<Vec<_>>()
    .join(",");
    let r = app
        .send(
            tus("POST", "/api/v1/uploads", token)
                .header("Upload-Length", bytes.len().to_string())
                .header("Upload-Metadata", meta)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    if r.status != StatusCode::CREATED {
        return Err(r);
    }
    let location = r.headers[header::LOCATION].to_str().unwrap().to_owned();
    let r = app.send(super::patch(&location, token, 0, Body::from(bytes.to_vec()))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    Ok(location.rsplit('/').next().unwrap().parse().unwrap())
}

/// Archive a closed case and check its package offline: it verifies, and one
/// byte changed in a document makes the check fail naming that entry.
async fn archive_and_check(app: &App, o: &Office, id: i64, on: &str) {
    ok(app, &o.officer, id, "archive", on, json!({})).await;
    let v = case(app, &o.officer, id).await;
    assert_eq!(v["closed"], true);
    let r = app.get(&format!("/api/v1/cases/{id}/archive.zip"), &o.officer).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let checked = zhifa_docs::archive::verify(&r.body, None);
    assert_eq!(checked.problems, Vec::<String>::new());
    assert_eq!(checked.case_number, v["number"].as_str().unwrap());
    assert!(checked.files >= 3 && checked.records >= 3, "{checked:?}");

    let entries = zhifa_docs::archive::unzip(&r.body).unwrap();
    let (name, data) = entries.iter().find(|(n, _)| n.starts_with("documents/")).unwrap();
    let at = r.body.windows(data.len()).position(|w| w == data.as_slice()).unwrap() + data.len() / 2;
    let mut changed = r.body.clone();
    changed[at] ^= 0x01;
    let problems = zhifa_docs::archive::verify(&changed, None).problems;
    assert!(problems.iter().any(|p| p.contains(name.as_str())), "{name}: {problems:?}");
}

#[tokio::test]
async fn rec_2_penalty_general_procedure_end_to_end_with_its_refusals() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;

        // Art. 42: one officer alone cannot have a case filed; an expired certificate neither.
        let (alone, _) = open(&app, &o.officer, "penalty-general", person(), vec![o.o1.clone()], "2025-03-01").await;
        let m = refused(
            &step(&app, &o.head, alone, "file", "2025-03-03", json!({})).await,
            "two_certified_officers",
            "第四十二条",
        );
        assert!(m.contains("不得少于两人"), "{m}");
        let (expired, _) =
            open(&app, &o.officer, "penalty-general", person(), vec![o.o1.clone(), o.expired.clone()], "2025-03-01")
                .await;
        let m = refused(
            &step(&app, &o.head, expired, "file", "2025-03-03", json!({})).await,
            "two_certified_officers",
            "第四十二条",
        );
        assert!(m.contains("过期"), "{m}");
        // Only a head files.
        let (id, number) =
            open(&app, &o.officer, "penalty-general", company(), vec![o.o1.clone(), o.o2.clone()], "2025-03-01").await;
        assert!(number.starts_with("杭西市监罚〔2025〕") && number.ends_with('号'), "{number}");
        refused(&step(&app, &o.officer, id, "file", "2025-03-03", json!({})).await, "role", "");
        ok(&app, &o.head, id, "file", "2025-03-03", json!({})).await;

        // Art. 44: no decision without notice.
        refused(
            &step(&app, &o.officer, id, "prepare_decision", "2025-03-05", json!({})).await,
            "notice_before_decision",
            "第四十四条",
        );
        ok(&app, &o.officer, id, "notify", "2025-03-10", fine(5_000)).await;
        ok(&app, &o.officer, id, "defend", "2025-03-11", json!({ "note": "当事人称系首次违法" })).await;
        ok(&app, &o.officer, id, "prepare_decision", "2025-03-12", json!({})).await;
        // Art. 45: no heavier penalty after the party's defence.
        let m = refused(
            &step(&app, &o.head, id, "decide", "2025-03-14", fine(8_000)).await,
            "no_heavier_after_defence",
            "第四十五条",
        );
        assert!(m.contains("陈述、申辩"), "{m}");
        // Art. 60: the 91st day without an extension is too late (filed 3 March: due 3 June).
        let m = refused(
            &step(&app, &o.head, id, "decide", "2025-06-04", fine(3_000)).await,
            "decision_time_limit",
            "第六十条",
        );
        assert!(m.contains("2025-06-03") && m.contains("未经批准延长"), "{m}");
        ok(&app, &o.head, id, "extend", "2025-06-04", json!({ "days": 30, "limit": "decision", "reason": "案情复杂" }))
            .await;
        ok(&app, &o.head, id, "decide", "2025-06-05", fine(3_000)).await;
        let v = case(&app, &o.officer, id).await;
        assert_eq!(v["stage"], "service");
        let decision = v["deadlines"].as_array().unwrap().iter().find(|d| d["limit"] == "decision").unwrap();
        assert_eq!((decision["due"].as_str(), decision["overdue"].as_bool()), (Some("2025-07-01"), Some(false)));
        ok(&app, &o.officer, id, "serve", "2025-06-09", json!({})).await;
        // Art. 66/72: not closed before the fine is paid.
        refused(&step(&app, &o.head, id, "close", "2025-06-10", json!({})).await, "payment_settled", "第七十二条");
        ok(&app, &o.officer, id, "pay", "2025-06-20", json!({ "amount": "3000" })).await;
        ok(&app, &o.head, id, "close", "2025-06-23", json!({})).await;
        let r = app.get(&format!("/api/v1/cases/{id}/documents/penalty_decision"), &o.officer).await;
        assert_eq!(r.status, StatusCode::OK);
        let html = r.text();
        for part in [
            "当事人的姓名或者名称、地址",
            "违反法律、法规、规章的事实和证据",
            "行政处罚的种类和依据",
            "履行方式和期限",
            "申请行政复议、提起行政诉讼的途径和期限",
            "作出行政处罚决定的行政机关名称和作出决定的日期",
            "3,000.00",
        ] {
            assert!(html.contains(part), "the decision lacks {part}");
        }
        insta::assert_snapshot!("penalty_decision_document", html);
        archive_and_check(&app, &o, id, "2025-06-24").await;

        // Everything about the company is on one page.
        let key = company()["number"].as_str().unwrap().to_owned();
        let r = app.get(&format!("/api/v1/parties/{key}/cases"), &o.officer).await;
        assert_eq!(r.json().as_array().unwrap().len(), 1);
        let report = app.service.verify(|_| {}).await.unwrap();
        assert_eq!(report.problems, vec![]);
    })
    .await;
}

#[tokio::test]
async fn rec_2_hearing_review_and_deliberation() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let handlers = vec![o.o1.clone(), o.o2.clone()];
        // A person and a fine of 20,000 yuan: the right to a hearing (art. 63).
        let (late, _) = open(&app, &o.officer, "penalty-general", person(), handlers.clone(), "2025-09-01").await;
        ok(&app, &o.head, late, "file", "2025-09-02", json!({})).await;
        ok(&app, &o.officer, late, "notify", "2025-09-26", fine(20_000)).await;
        // Five working days after 26 September 2025 end on 10 October (the National Day holiday between).
        let m = refused(
            &step(&app, &o.officer, late, "request_hearing", "2025-10-13", json!({})).await,
            "hearing_request_window",
            "第六十四条",
        );
        assert!(m.contains("2025-10-10"), "{m}");
        // Nor may the case go on while the party may still ask.
        refused(
            &step(&app, &o.officer, late, "prepare_decision", "2025-10-09", json!({})).await,
            "hearing_settled",
            "第六十四条",
        );

        let (id, _) = open(&app, &o.officer, "penalty-general", person(), handlers, "2025-09-01").await;
        ok(&app, &o.head, id, "file", "2025-09-02", json!({})).await;
        ok(&app, &o.officer, id, "notify", "2025-09-26", fine(20_000)).await;
        ok(&app, &o.officer, id, "request_hearing", "2025-10-09", json!({})).await;
        // After the hearing, the draft (15,000 yuan) goes to legal review (art. 58 (2)).
        ok(&app, &o.officer, id, "hold_hearing", "2025-10-20", fine(15_000)).await;
        refused(&step(&app, &o.officer, id, "review", "2025-10-21", json!({})).await, "role", "");
        ok(&app, &o.reviewer, id, "review", "2025-10-22", super::review::approve()).await;
        ok(&app, &o.head, id, "skip_deliberation", "2025-10-23", json!({})).await;
        ok(&app, &o.head, id, "decide", "2025-10-24", fine(15_000)).await;
        assert_eq!(case(&app, &o.officer, id).await["stage"], "service");
    })
    .await;
}

#[tokio::test]
async fn rec_2_simple_procedure_and_first_minor_violation() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let handlers = vec![o.o1.clone(), o.o2.clone()];
        let (id, number) = open(&app, &o.officer, "penalty-simple", person(), handlers.clone(), "2025-05-06").await;
        assert!(number.contains("简罚〔2025〕1号"), "{number}");
        // Arts. 44 and 52: not decided on the spot before the party is told and heard.
        refused(
            &step(&app, &o.officer, id, "decide_on_site", "2025-05-06", fine(200)).await,
            "notice_before_decision",
            "第四十四条",
        );
        ok(&app, &o.officer, id, "notify", "2025-05-06", fine(200)).await;
        ok(&app, &o.officer, id, "defend", "2025-05-06", json!({ "note": "当事人表示认可" })).await;
        let m = refused(
            &step(&app, &o.officer, id, "decide_on_site", "2025-05-06", fine(201)).await,
            "simple_procedure_limits",
            "第五十一条",
        );
        assert!(m.contains("200.00"), "{m}");
        ok(&app, &o.officer, id, "decide_on_site", "2025-05-06", fine(200)).await;
        ok(&app, &o.officer, id, "pay", "2025-05-06", json!({ "amount": "200" })).await;
        ok(&app, &o.officer, id, "close", "2025-05-07", json!({})).await;
        archive_and_check(&app, &o, id, "2025-05-07").await;

        // Art. 33: first minor violation, corrected: no penalty, if all three hold.
        let (id, _) = open(&app, &o.officer, "penalty-simple", person(), handlers, "2025-05-06").await;
        let partial = json!({ "reason": "首违不罚", "no_penalty_ground": "first_minor", "first_violation": true, "minor_harm": false, "corrected": true });
        refused(
            &step(&app, &o.officer, id, "decide_no_penalty", "2025-05-06", partial).await,
            "first_minor_violation",
            "第三十三条",
        );
        // A reason that says 首违不罚 with every box ticked still names no ground.
        let no_ground = json!({ "reason": "首违不罚", "first_violation": true, "minor_harm": true, "corrected": true });
        let m = refused(
            &step(&app, &o.officer, id, "decide_no_penalty", "2025-05-06", no_ground).await,
            "first_minor_violation",
            "第三十三条",
        );
        assert!(m.contains("法定情形"), "{m}");
        let all = json!({ "reason": "首违不罚", "no_penalty_ground": "first_minor", "first_violation": true, "minor_harm": true, "corrected": true });
        ok(&app, &o.officer, id, "decide_no_penalty", "2025-05-06", all).await;
        assert_eq!(case(&app, &o.officer, id).await["data"]["no_penalty_ground"], "first_minor");
        ok(&app, &o.officer, id, "close", "2025-05-07", json!({})).await;
    })
    .await;
}

#[tokio::test]
async fn rec_2_permit_inspection_and_seizure_procedures() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let handlers = vec![o.o1.clone(), o.o2.clone()];

        // Permit: accepted, granted, served, archived; another not accepted.
        let (id, number) = open(&app, &o.officer, "permit", company(), handlers.clone(), "2025-04-01").await;
        assert!(number.contains("许〔2025〕1号"), "{number}");
        ok(&app, &o.officer, id, "accept", "2025-04-01", json!({})).await;
        ok(&app, &o.head, id, "grant", "2025-04-15", json!({})).await;
        ok(&app, &o.officer, id, "issue", "2025-04-16", json!({})).await;
        ok(&app, &o.officer, id, "serve", "2025-04-17", json!({})).await;
        archive_and_check(&app, &o, id, "2025-04-18").await;
        let (no, _) = open(&app, &o.officer, "permit", company(), handlers.clone(), "2025-04-01").await;
        ok(&app, &o.officer, no, "refuse", "2025-04-02", json!({ "reason": "不属于本机关职权范围" })).await;
        ok(&app, &o.officer, no, "serve", "2025-04-03", json!({})).await;

        // Inspection: two certified officers on site.
        let (id, _) = open(&app, &o.officer, "inspection", company(), vec![o.o1.clone()], "2025-04-01").await;
        refused(
            &step(&app, &o.officer, id, "start", "2025-04-02", json!({})).await,
            "two_certified_officers",
            "第四十二条",
        );
        ok(&app, &o.officer, id, "start", "2025-04-02", json!({ "handlers": handlers.clone() })).await;
        ok(&app, &o.officer, id, "inspect", "2025-04-02", json!({})).await;
        ok(&app, &o.officer, id, "close", "2025-04-03", json!({})).await;
        archive_and_check(&app, &o, id, "2025-04-03").await;

        // Seizure: full audio/video of the seizure and of its release (REC-5).
        let (id, number) = open(&app, &o.officer, "coercive-seizure", company(), handlers, "2025-04-01").await;
        ok(&app, &o.head, id, "approve", "2025-04-01", json!({})).await;
        let m = refused(
            &step(&app, &o.officer, id, "seize", "2025-04-01", json!({})).await,
            "mandatory_recordings",
            "国办发〔2018〕118号",
        );
        assert!(m.contains("实施查封扣押"), "{m}");
        record(&app, &o.officer, &number, "实施查封扣押").await;
        ok(&app, &o.officer, id, "seize", "2025-04-01", json!({})).await;
        ok(&app, &o.head, id, "extend_seizure", "2025-04-20", json!({ "days": 30, "reason": "需要检验" })).await;
        refused(
            &step(&app, &o.head, id, "extend_seizure", "2025-04-25", json!({ "days": 10 })).await,
            "seizure_time_limit",
            "第二十五条",
        );
        ok(&app, &o.officer, id, "release", "2025-05-20", json!({})).await;
        let m = refused(
            &step(&app, &o.head, id, "close", "2025-05-21", json!({})).await,
            "mandatory_recordings",
            "国办发〔2018〕118号",
        );
        assert!(m.contains("解除或处理"), "{m}");
        record(&app, &o.officer, &number, "release").await;
        ok(&app, &o.head, id, "close", "2025-05-21", json!({})).await;
        archive_and_check(&app, &o, id, "2025-05-22").await;
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);
    })
    .await;
}

/// An officer of another agency and their token.
async fn other_agency_officer(app: &App) -> String {
    use zhifa_domain::people::UserForm;
    let sys = Actor::System("test");
    let s = &app.service;
    let agency = zhifa_store::testing::build::agency("hzsc-other", "330102", 9);
    let b = s.create_agency(&sys, &zhifa_domain::agency::AgencyForm::from(&agency)).await.unwrap();
    let form = UserForm {
        username: "other-officer".into(),
        name: "他人".into(),
        role: "officer".into(),
        ..Default::default()
    };
    let id = s.create_user(&sys, b, &form, Some(PASSWORD)).await.unwrap();
    s.create_token(&sys, id, "测试").await.unwrap().1
}

/// Issue 25, item 3 (REC-5): an evidence file names a case of its uploader's
/// agency and a stage that case has been in, and is what its bytes are: a
/// text file called a video does not let a seizure go on. Refused uploads
/// leave the ledger as it was.
#[tokio::test]
async fn rec_5_evidence_belongs_to_a_real_case_and_stage_and_is_what_its_bytes_are() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let other = other_agency_officer(&app).await;
        let handlers = vec![o.o1.clone(), o.o2.clone()];
        let (id, number) = open(&app, &o.officer, "coercive-seizure", company(), handlers, "2025-04-01").await;
        ok(&app, &o.head, id, "approve", "2025-04-01", json!({})).await;
        let records = app.service.store().record_count().await.unwrap();
        let refused_as = |r: Resp, field: &str| {
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
            let m = r.json()["message"].as_str().unwrap().to_owned();
            assert!(m.contains(field), "{m}");
            m
        };
        // Another agency's officer names this case: as if it did not exist.
        let m = refused_as(upload(&app, &other, (&number, "实施查封扣押"), VIDEO).await.unwrap_err(), "案件编号");
        assert!(m.contains("本机关没有"), "{m}");
        refused_as(
            upload(&app, &o.officer, ("杭西市监强〔2025〕999号", "实施查封扣押"), VIDEO).await.unwrap_err(),
            "案件编号",
        );
        // A stage the case has not reached, or that its procedure lacks.
        let m = refused_as(upload(&app, &o.officer, (&number, "解除或处理"), VIDEO).await.unwrap_err(), "所属环节");
        assert!(m.contains("实施查封扣押"), "the stages it may prove are named: {m}");
        refused_as(upload(&app, &o.officer, (&number, "现场检查"), VIDEO).await.unwrap_err(), "所属环节");
        assert_eq!(app.service.store().record_count().await.unwrap(), records, "nothing recorded for refused uploads");

        // A text file (and a photo) called a video is stored, as what it is,
        // and is no audio/video record of the seizure.
        let text = upload(&app, &o.officer, (&number, "seizure"), "演示音像记录".as_bytes()).await.unwrap();
        let photo = upload(&app, &o.officer, (&number, "实施查封扣押"), PHOTO).await.unwrap();
        for (upload, expected) in [(text, Value::Null), (photo, json!("image/png"))] {
            let e = app.get(&format!("/api/v1/evidence/{upload}"), &o.officer).await.json();
            assert_eq!((e["media_type"].as_str(), &e["content_type"]), (Some("video/mp4"), &expected));
        }
        let m = refused(
            &step(&app, &o.officer, id, "seize", "2025-04-01", json!({})).await,
            "mandatory_recordings",
            "国办发〔2018〕118号",
        );
        assert!(m.contains("录音或录像"), "{m}");
        let video = upload(&app, &o.officer, (&number, "实施查封扣押"), VIDEO).await.unwrap();
        let e = app.get(&format!("/api/v1/evidence/{video}"), &o.officer).await.json();
        assert_eq!(e["content_type"], "video/webm");
        ok(&app, &o.officer, id, "seize", "2025-04-01", json!({})).await;
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);
    })
    .await;
}

#[tokio::test]
async fn rec_1_flowcharts_list_exactly_the_stages_of_their_definition() {
    let app_db = zhifa_store::testing::TestDb::new(zhifa_store::testing::Backend::Sqlite).await;
    let app = App::new(&app_db);
    for p in app.service.procedures().all() {
        let r = super::get_public(&app, &format!("/api/v1/procedures/{}/flowchart.svg", p.id)).await;
        assert_eq!(r.status, StatusCode::OK);
        let svg = r.text();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{}: {e}", p.id));
        let drawn: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text") && n.attribute("class") == Some("stage"))
            .filter_map(|n| n.text())
            .collect();
        let defined: Vec<&str> = p.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(drawn, defined, "{}", p.id);
        let arrows = doc.descendants().filter(|n| n.attribute("class") == Some("edge")).count();
        assert!(arrows >= p.stages.len() - 1, "{}: {arrows} arrows", p.id);
    }
    app_db.remove().await;
}

#[tokio::test]
async fn rec_1_the_demo_has_a_case_at_every_stage_of_every_procedure_some_overdue() {
    each_backend(|db| async move {
        let app = App::new(&db);
        zhifa_demo::create(&app.service).await.unwrap();
        super::review::demo_responsibility_and_staffing(&app).await;
        let sys = Actor::System("test");
        let agency = app.service.agency_by_code(&sys, "hzxh-scjg").await.unwrap();
        let filter = zhifa_service::CaseFilter { agency: Some(agency.id), limit: 10_000, ..Default::default() };
        let cases = app.service.store().cases(&filter).await.unwrap();
        for p in app.service.procedures().all() {
            for s in &p.stages {
                assert!(
                    cases.iter().any(|c| c.data.procedure == p.id && c.stage == s.id),
                    "no demo case of {} at {}",
                    p.id,
                    s.id
                );
            }
        }
        let today = app.service.today();
        let overdue: Vec<&str> = cases
            .iter()
            .filter(|c| !c.closed && c.due_on.is_some_and(|d| d < today))
            .map(|c| c.data.procedure.as_str())
            .collect();
        for p in ["penalty-general", "permit", "coercive-seizure"] {
            assert!(overdue.contains(&p), "no overdue {p} case: {overdue:?}");
        }
        // Its recordings are real media: one of each kind, fetched as its
        // officer would, is what its first bytes say.
        let officer = app.service.store().user_by_username("hzxh-scjg-zf1").await.unwrap().unwrap();
        let (_, token) = app.service.create_token(&sys, officer.user.id, "测试").await.unwrap();
        let mut kinds = std::collections::BTreeMap::new();
        for c in &cases {
            for u in app.service.store().case_recordings(agency.id, &c.number).await.unwrap() {
                kinds.entry(u.content_type.clone()).or_insert(u.id.0);
            }
        }
        assert!(!kinds.contains_key(&None), "a demo recording of no known kind: {kinds:?}");
        for (kind, at, signature) in [
            ("image/png", 0, b"\x89PNG\r\n\x1a\n".as_slice()),
            ("audio/x-wav", 8, b"WAVE".as_slice()),
            ("video/webm", 0, b"\x1a\x45\xdf\xa3".as_slice()),
        ] {
            let id = kinds.get(&Some(kind.to_owned())).unwrap_or_else(|| panic!("no demo {kind}: {kinds:?}"));
            let r = app.get(&format!("/api/v1/evidence/{id}/file"), &token).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            assert_eq!(r.headers[header::CONTENT_TYPE], kind);
            assert_eq!(&r.body[at..at + signature.len()], signature, "{kind}");
        }
        // The bulk generator walks the same procedures through the engine.
        let before = app.service.store().case_count().await.unwrap();
        let mut heard = Vec::new();
        zhifa_demo::create_bulk_cases(&app.service, 1_200, |done| heard.push(done)).await.unwrap();
        assert_eq!(app.service.store().case_count().await.unwrap(), before + 1_200);
        assert_eq!(heard, vec![500, 1_000, 1_200]);
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);
    })
    .await;
}

/// Percent-encode form fields.
pub(super) fn form_body(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
            .collect::<String>()
    };
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

pub(super) struct Browser<'a> {
    app: &'a App,
    cookie: String,
}

impl Browser<'_> {
    pub(super) async fn open<'a>(app: &'a App, username: &str) -> Browser<'a> {
        Self::open_with(app, username, PASSWORD).await
    }

    pub(super) async fn open_with<'a>(app: &'a App, username: &str, password: &str) -> Browser<'a> {
        let signed = app.sign_in(username, password).await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.text());
        let cookie = signed.headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
        Browser { app, cookie }
    }

    pub(super) async fn get(&self, path: &str) -> Resp {
        let req = axum::http::Request::get(path).header(header::COOKIE, &self.cookie).body(Body::empty()).unwrap();
        self.app.send(req).await
    }

    /// Post a form with the CSRF token of the page it is on.
    pub(super) async fn post(&self, page: &str, path: &str, fields: &[(&str, &str)]) -> Resp {
        let csrf = page.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let mut all = vec![("csrf_token", csrf.as_str())];
        all.extend_from_slice(fields);
        let req = axum::http::Request::post(path)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form_body(&all)))
            .unwrap();
        self.app.send(req).await
    }
}

fn handler_value(v: &Value) -> String {
    format!("{}:{}", v["user"], v["certificate"].as_str().unwrap())
}

#[tokio::test]
async fn rec_1_the_console_case_workspace_opens_shows_what_is_missing_and_takes_steps() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let officer = Browser::open(&app, "officer-1").await;
        let head = Browser::open(&app, "head").await;
        let today = app.service.today().to_string();
        let company = company();

        let new = officer.get("/console/cases/new").await;
        assert_eq!(new.status, StatusCode::OK);
        let page = new.text();
        assert!(
            page.contains("立案登记") && page.contains("33010600002"),
            "officers are offered with their certificates"
        );
        let (h1, h2) = (handler_value(&o.o1), handler_value(&o.o2));
        let mut fields = vec![
            ("procedure", "penalty-general"),
            ("title", "销售过期食品"),
            ("legal_basis", "《中华人民共和国食品安全法》第三十四条"),
            ("facts", "当事人销售超过保质期的食品。"),
            ("party_kind", "organisation"),
            ("party_name", "杭州某某食品有限公司"),
            ("party_number", company["number"].as_str().unwrap()),
            ("violation_on", today.as_str()),
            ("on", today.as_str()),
            ("handler", h1.as_str()),
        ];
        // A wrong party number is shown again with its message, nothing saved.
        let mut bad = fields.clone();
        bad[6] = ("party_number", "91330106MA2H0K1X60");
        let r = officer.post(&page, "/console/cases", &bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        assert!(r.text().contains("统一社会信用代码") && r.text().contains("销售过期食品"), "{}", r.text());
        assert_eq!(app.service.store().case_count().await.unwrap(), 0);

        let r = officer.post(&page, "/console/cases", &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let alone = r.headers[header::LOCATION].to_str().unwrap().to_owned();
        let html = officer.get(&alone).await.text();
        assert!(html.contains("当前阶段：<strong>立案</strong>"), "{html}");
        assert!(html.contains("批准立案") && html.contains("不得少于两人") && html.contains("第四十二条"), "{html}");
        assert!(!html.contains("value=\"file\""), "an officer has no form to file: only a head files");
        // The head's form is refused by the engine, with rule and article shown.
        let html = head.get(&alone).await.text();
        assert!(html.contains("value=\"file\""), "{html}");
        let version = html.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let r = head
            .post(&html, &format!("{alone}/steps"), &[("action", "file"), ("version", &version), ("on", &today)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("第四十二条") && r.text().contains("不能进行此步"), "{}", r.text());

        // With two certified officers the head files it.
        fields.push(("handler", h2.as_str()));
        let r = officer.post(&page, "/console/cases", &fields).await;
        let filed = r.headers[header::LOCATION].to_str().unwrap().to_owned();
        let html = head.get(&filed).await.text();
        let version = html.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let r = head
            .post(&html, &format!("{filed}/steps"), &[("action", "file"), ("version", &version), ("on", &today)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let html = officer.get(&filed).await.text();
        assert!(html.contains("当前阶段：<strong>调查取证</strong>"), "{html}");
        assert!(html.contains("作出处理决定") || html.contains("九十日"), "the decision limit is shown: {html}");
        assert!(html.contains("立案审批表") && html.contains("flowchart.svg"), "{html}");

        // The list, its filters, one party's page and the flowcharts.
        let list = officer.get("/console/cases?state=open").await.text();
        assert_eq!(list.matches("/console/cases/").count() - list.matches("/console/cases/new").count(), 2, "{list}");
        let number = html.split("<h1>").nth(1).unwrap().split("</h1>").next().unwrap().to_owned();
        let found =
            officer.get(&format!("/console/cases?q={}", form_body(&[("", &number)]).trim_start_matches('='))).await;
        assert_eq!(
            found.text().matches("<tr>").count() + found.text().matches("<tr class").count(),
            2,
            "{}",
            found.text()
        );
        let party = officer.get(&format!("/console/parties/{}", company["number"].as_str().unwrap())).await.text();
        assert!(party.contains("全部案件共 2 件"), "{party}");
        let charts = officer.get("/console/procedures").await.text();
        for p in app.service.procedures().all() {
            assert!(charts.contains(&p.name) && charts.contains(&format!("/api/v1/procedures/{}/flowchart.svg", p.id)));
        }
    })
    .await;
}

/// A supervisor of the city's justice bureau (司法局), with a token.
pub(super) async fn city_supervisor(app: &App) -> String {
    use zhifa_domain::people::UserForm;
    let sys = Actor::System("test");
    let bureau = zhifa_store::testing::build::agency("hz-sfj", "330100", 9);
    let bureau = app.service.create_agency(&sys, &zhifa_domain::agency::AgencyForm::from(&bureau)).await.unwrap();
    let form = UserForm {
        username: "jiandu".into(),
        name: "测试监督".into(),
        role: "supervisor".into(),
        ..Default::default()
    };
    let id = app.service.create_user(&sys, bureau, &form, Some(PASSWORD)).await.unwrap();
    app.service.create_token(&sys, id, "测试").await.unwrap().1
}

/// REC-8 and issue 23: reading never writes. Every GET and HEAD route of the
/// router, asked by a supervisor (with a `reason` in the query, as a link on
/// another site could carry), the case's officer and its head, leaves the
/// ledger as it was; a retrieval is a POST that opens the case for hours.
#[tokio::test]
async fn rec_8_no_get_or_head_writes_and_a_retrieval_is_a_post() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let supervisor = city_supervisor(&app).await;
        let (id, number) =
            open(&app, &o.officer, "penalty-general", person(), vec![o.o1.clone(), o.o2.clone()], "2025-03-01").await;
        assert_eq!(id, 1, "the routes are asked with id 1");
        let metadata =
            super::tus_metadata_for(&number, "立案", &jiff::Timestamp::now().to_string(), "a.mp4", "video/mp4");
        let r = app
            .send(
                tus("POST", "/api/v1/uploads", &o.officer)
                    .header("Upload-Length", "10")
                    .header("Upload-Metadata", metadata)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

        let records = app.service.store().record_count().await.unwrap();
        let routes: Vec<String> =
            super::every_route().into_iter().filter(|(m, _)| *m == "get").map(|(_, p)| p).collect();
        assert!(routes.len() > 60, "{routes:?}");
        for path in &routes {
            for token in [&supervisor, &o.officer, &o.head] {
                for method in ["GET", "HEAD"] {
                    let uri = format!("{path}?reason=%E6%A1%88%E5%8D%B7%E8%AF%84%E6%9F%A5");
                    let req = axum::http::Request::builder()
                        .method(method)
                        .uri(uri)
                        .header(header::AUTHORIZATION, format!("Bearer {token}"))
                        .body(Body::empty())
                        .unwrap();
                    app.send(req).await;
                }
            }
            let now = app.service.store().record_count().await.unwrap();
            assert_eq!(now, records, "GET {path} wrote a record");
        }

        // The supervisor states why, by POST: recorded once; the case, its
        // documents and its responsibility are then open to them.
        let r = app.get("/api/v1/cases/1", &supervisor).await;
        assert_eq!((r.status, r.json()["code"].as_str()), (StatusCode::FORBIDDEN, Some("retrieval_required")));
        let r = app.post_json("/api/v1/cases/1/retrieval", &supervisor, json!({ "reason": "执法监督检查" })).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        for path in ["/api/v1/cases/1", "/api/v1/cases/1/responsibility", "/api/v1/evidence/1"] {
            let r = app.get(path, &supervisor).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        }
        assert_eq!(app.service.store().record_count().await.unwrap(), records + 1);
        let last = app.service.store().records_after(records, 10).await.unwrap();
        assert_eq!((last[0].kind.as_str(), last[0].reason.as_str()), ("retrieval.read", "执法监督检查"));

        // In the console: the case page asks for the reason with a form that
        // posts, with the form's token; only then is the case shown.
        let (id2, _) =
            open(&app, &o.officer, "penalty-general", company(), vec![o.o1.clone(), o.o2.clone()], "2025-03-02").await;
        let signed = app.sign_in("jiandu", PASSWORD).await;
        let session = signed.headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
        let page =
            |path: String| axum::http::Request::get(path).header(header::COOKIE, &session).body(Body::empty()).unwrap();
        let html = app.send(page(format!("/console/cases/{id2}?reason=x"))).await.text();
        assert!(html.contains(&format!("method=\"post\" action=\"/console/cases/{id2}/retrieval\"")), "{html}");
        let csrf = html.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let post = |body: String| {
            axum::http::Request::post(format!("/console/cases/{id2}/retrieval"))
                .header(header::COOKIE, &session)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap()
        };
        let reason = "reason=%E6%A1%88%E5%8D%B7%E8%AF%84%E6%9F%A5";
        assert_eq!(app.send(post(reason.to_owned())).await.status, StatusCode::FORBIDDEN, "no token");
        let r = app.send(post(format!("csrf_token={csrf}&reason=+"))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "an empty reason: {}", r.text());
        assert!(r.text().contains("调阅理由"));
        assert_eq!(
            app.service.store().record_count().await.unwrap(),
            records + 3,
            "the retrieval, the case, the sign-in"
        );
        let r = app.send(post(format!("csrf_token={csrf}&{reason}"))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let html = app.send(page(format!("/console/cases/{id2}"))).await.text();
        assert!(html.contains("杭州某某食品有限公司"), "the case is shown: {html}");

        // Hours later it is closed again.
        let ahead = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
        let later = App::with_clock_ahead(&db, ahead.clone());
        ahead.store((zhifa_service::RETRIEVAL_HOURS * 3600) + 60, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(later.get("/api/v1/cases/1", &supervisor).await.status, StatusCode::FORBIDDEN);
    })
    .await;
}

/// REC-2 (文字记录及时准确): a step stated to have happened before the day it
/// is recorded needs a reason and is late by at most the agency's bound of
/// working days; a refused one leaves the case and the ledger as they were;
/// an accepted one shows both days on the case, its page and its documents.
#[tokio::test]
async fn rec_2_late_entries_need_a_reason_and_stay_within_the_agencys_bound() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let records = |id: i64| {
            let store = app.service.store().clone();
            async move { store.records_of("case", id).await.unwrap().len() }
        };
        // Opening a case dated a week ago, recorded today, without a reason.
        let body = json!({
            "procedure": "penalty-general", "title": "销售过期食品", "facts": "当事人销售超过保质期的食品。",
            "legal_basis": "《中华人民共和国食品安全法》第三十四条", "party": person(),
            "handlers": [o.o1.clone(), o.o2.clone()], "on": "2025-03-03"
        });
        let r = app.on_day("2025-03-10", app.post_json("/api/v1/cases", &o.officer, body)).await;
        let m = refused(&r, "late_entry", "国办发〔2018〕118号");
        assert!(m.contains("补录原因"), "{m}");

        let (id, _) =
            open(&app, &o.officer, "penalty-general", person(), vec![o.o1.clone(), o.o2.clone()], "2025-03-03").await;
        let before = (case(&app, &o.head, id).await["version"].clone(), records(id).await);
        // Filed on Tuesday the 4th, recorded on Monday the 10th (4 working days later).
        let late = |reason: &'static str| {
            app.on_day(
                "2025-03-10",
                step_recorded_later(&app, &o.head, id, "file", "2025-03-04", json!({ "late_reason": reason })),
            )
        };
        let m = refused(&late("").await, "late_entry", "文字记录及时准确");
        assert!(m.contains("补录原因"), "{m}");
        let m = refused(&late("现场无网络，返回后补录").await, "late_entry", "国办发〔2018〕118号");
        assert!(m.contains("超过本机关补录时限（3 个工作日）"), "{m}");
        let after = (case(&app, &o.head, id).await["version"].clone(), records(id).await);
        assert_eq!(before, after, "a refused late entry changes nothing");

        // The agency allows 5 working days: now it is recorded, with both days.
        let sys = Actor::System("test");
        let agency = app.service.agency(&sys, zhifa_domain::ids::AgencyId(o.agency)).await.unwrap();
        let mut form = zhifa_domain::agency::AgencyForm::from(&agency.data);
        form.late_entry_days = "5".into();
        app.service.update_agency(&sys, agency.id, agency.version, &form).await.unwrap();
        let r = late("现场无网络，返回后补录").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let v = case(&app, &o.head, id).await;
        let filed = &v["data"]["steps"][1];
        assert_eq!((filed["on"].as_str(), filed["recorded_on"].as_str()), (Some("2025-03-04"), Some("2025-03-10")));
        assert_eq!(filed["late_reason"], "现场无网络，返回后补录");
        let opened = &v["data"]["steps"][0];
        assert_eq!(opened["recorded_on"], opened["on"], "recorded the day it happened");
        assert!(opened.get("late_reason").is_none(), "{opened}");
        let page = app.get(&format!("/console/cases/{id}"), &o.head).await.text();
        assert!(page.contains("2025-03-10 补录：现场无网络，返回后补录"), "the case page shows both days");
        let doc = app.get(&format!("/api/v1/cases/{id}/documents/filing_approval"), &o.head).await.text();
        assert!(doc.contains("2025年03月04日（2025年03月10日补录，原因：现场无网络，返回后补录）"), "{doc}");
        // A date in the future is no late entry but an error.
        let r = app
            .on_day("2025-03-10", step_recorded_later(&app, &o.officer, id, "notify", "2025-03-11", fine(500)))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);
    })
    .await;
}

/// Art. 42 and PUB-2: a step is recorded by an officer of the case holding a
/// certificate valid that day; a reviewer never handles a case (法制审核人员
/// 不得承办具体行政执法事务). Each refused attempt leaves the case as it was.
#[tokio::test]
async fn art_42_only_certified_officers_of_the_case_take_its_steps_and_no_reviewer_handles_one() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let (id, _) =
            open(&app, &o.officer, "penalty-general", person(), vec![o.o1.clone(), o.o2.clone()], "2025-03-03").await;
        ok(&app, &o.head, id, "file", "2025-03-04", json!({})).await;
        let version = case(&app, &o.head, id).await["version"].clone();
        // The officer whose certificate expired at the end of 2024 is no officer of this case.
        let m = refused(
            &step(&app, &o.expired_officer, id, "notify", "2025-03-10", fine(500)).await,
            "step_by_certified_officer",
            "第四十二条",
        );
        assert!(m.contains("不是本案的执法人员"), "{m}");
        // One of the case's officers, whose certificate runs out on 5 March.
        let third = zhifa_domain::ids::UserId(o.expired["user"].as_i64().unwrap());
        let short = zhifa_domain::people::CertificateForm {
            number: "33010600009".into(),
            categories: "penalty".into(),
            region: "330106".into(),
            valid_from: "2025-01-01".into(),
            valid_to: "2025-03-05".into(),
        };
        app.service.create_certificate(&Actor::System("test"), third, &short).await.unwrap();
        let handlers = vec![o.o1.clone(), json!({ "user": third.0, "certificate": "33010600009" })];
        let (theirs, _) = open(&app, &o.officer, "penalty-general", person(), handlers, "2025-03-03").await;
        ok(&app, &o.head, theirs, "file", "2025-03-04", json!({})).await;
        let m = refused(
            &step(&app, &o.expired_officer, theirs, "notify", "2025-03-10", fine(500)).await,
            "step_by_certified_officer",
            "第四十二条",
        );
        assert!(m.contains("没有 2025-03-10 有效"), "{m}");
        // A reviewer named as a handler.
        let body = json!({
            "procedure": "penalty-general", "title": "销售过期食品", "facts": "当事人销售超过保质期的食品。",
            "legal_basis": "《中华人民共和国食品安全法》第三十四条", "party": person(),
            "handlers": [o.o1.clone(), o.reviewer_as_handler.clone()], "on": "2025-03-03"
        });
        let r = app.on_day("2025-03-03", app.post_json("/api/v1/cases", &o.officer, body)).await;
        let m = refused(&r, "reviewers_handle_no_case", "泉建法〔2023〕12号");
        assert!(m.contains("不得承办具体行政执法事务"), "{m}");
        assert_eq!(case(&app, &o.head, id).await["version"], version, "refused steps change nothing");
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);
    })
    .await;
}

/// A person's case filed and notified of a 5,000-yuan fine.
async fn notified(app: &App, o: &Office) -> i64 {
    let (id, _) =
        open(app, &o.officer, "penalty-general", person(), vec![o.o1.clone(), o.o2.clone()], "2025-03-03").await;
    ok(app, &o.head, id, "file", "2025-03-04", json!({})).await;
    ok(app, &o.officer, id, "notify", "2025-03-10", fine(5_000)).await;
    id
}

/// Art. 63: whether a fine may be heard depends on the province's 较大数额,
/// read from its amounts file: 5,000 yuan to a person is below Zhejiang's
/// 10,000 (no hearing), and above a file that sets 5,000.
#[tokio::test]
async fn art_63_the_hearing_threshold_is_the_provinces_data() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let id = notified(&app, &o).await;
        refused(&step(&app, &o.officer, id, "request_hearing", "2025-03-11", json!({})).await, "hearing_right", "第六十三条");
        let notice = app.get(&format!("/api/v1/cases/{id}/documents/penalty_notice"), &o.officer).await.text();
        assert!(!notice.contains("有权要求举行听证"), "below Zhejiang's 较大数额");
        let lower = "province = \"330000\"\nname = \"浙江省\"\n[hearing]\nsource = \"测试\"\nperson = 5000\norganisation = 50000\n";
        let amounts = zhifa_domain::amounts::Amounts::load(&[("330000.toml".into(), lower.into())]).unwrap();
        let app = app.with_amounts(amounts);
        let id = notified(&app, &o).await;
        ok(&app, &o.officer, id, "request_hearing", "2025-03-11", json!({})).await;
        let notice = app.get(&format!("/api/v1/cases/{id}/documents/penalty_notice"), &o.officer).await.text();
        assert!(notice.contains("有权要求举行听证"), "the notice tells of the hearing right");
    })
    .await;
}

/// PUB-3: a seizure and an inspection's result are decisions too: each
/// queues for publication within 20 working days, with what was decided.
#[tokio::test]
async fn pub_3_seizures_and_inspection_results_queue_for_publication_within_20_working_days() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let handlers = vec![o.o1.clone(), o.o2.clone()];
        let (seizure, number) =
            open(&app, &o.officer, "coercive-seizure", company(), handlers.clone(), "2025-04-01").await;
        ok(&app, &o.head, seizure, "approve", "2025-04-01", json!({})).await;
        record(&app, &o.officer, &number, "实施查封扣押").await;
        ok(&app, &o.officer, seizure, "seize", "2025-04-01", json!({})).await;
        let (inspection, _) = open(&app, &o.officer, "inspection", company(), handlers.clone(), "2025-04-01").await;
        ok(&app, &o.officer, inspection, "start", "2025-04-02", json!({ "handlers": handlers })).await;
        ok(&app, &o.officer, inspection, "inspect", "2025-04-02", json!({})).await;

        let sys = Actor::System("test");
        let queue = app.service.publication_queue(&sys, zhifa_domain::ids::AgencyId(o.agency)).await.unwrap();
        let due = |id: i64| {
            let line = queue.iter().find(|l| l.case.id.0 == id).unwrap_or_else(|| panic!("case {id} is not queued"));
            (line.decided_on.to_string(), line.due.due.to_string())
        };
        // 20 working days after 1 April 2025: 2, 3, 7–11, 14–18, 21–25 April
        // (4–6 April 清明), Sunday 27 April (worked for 劳动节), 28, 29 April.
        assert_eq!(due(seizure), ("2025-04-01".into(), "2025-04-29".into()));
        assert_eq!(due(inspection), ("2025-04-02".into(), "2025-04-30".into()));
        let row = app.service.store().case(zhifa_domain::ids::CaseId(seizure)).await.unwrap().unwrap();
        let info = zhifa_domain::publication::decision_info("某局", &row.number, &row.data).unwrap();
        assert!(info.conclusion.starts_with("查封、扣押，期限自 2025-04-01 至"), "{}", info.conclusion);
    })
    .await;
}

/// Art. 61: a decision served after its 7 working days says why; art. 66/67:
/// the fine is paid within 15 days of service, or by the day a head approved
/// on the party's application, without the art. 72 surcharge.
#[tokio::test]
async fn art_61_late_service_needs_a_reason_and_art_67_payment_may_be_deferred() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let (id, _) =
            open(&app, &o.officer, "penalty-general", company(), vec![o.o1.clone(), o.o2.clone()], "2025-03-03").await;
        ok(&app, &o.head, id, "file", "2025-03-04", json!({})).await;
        ok(&app, &o.officer, id, "notify", "2025-03-10", fine(3_000)).await;
        ok(&app, &o.officer, id, "defend", "2025-03-11", json!({})).await;
        ok(&app, &o.officer, id, "prepare_decision", "2025-03-12", json!({})).await;
        ok(&app, &o.head, id, "decide", "2025-03-14", fine(3_000)).await;
        // Due 25 March (7 working days after Friday 14 March).
        let m = refused(
            &step(&app, &o.officer, id, "serve", "2025-04-01", json!({})).await,
            "service_time_limit",
            "第六十一条",
        );
        assert!(m.contains("2025-03-25"), "{m}");
        ok(&app, &o.officer, id, "serve", "2025-04-01", json!({ "note": "当事人外出，邮寄送达被退回后再次直接送达" }))
            .await;
        let v = case(&app, &o.officer, id).await;
        assert!(
            v["data"]["steps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["note"] == "当事人外出，邮寄送达被退回后再次直接送达")
        );
        // Deferred by 30 days on the party's application: paid on 10 May (due 16 May), no surcharge.
        let r = step(&app, &o.head, id, "defer_payment", "2025-04-07", json!({ "days": 30 })).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a deferral says why: {}", r.text());
        ok(
            &app,
            &o.head,
            id,
            "defer_payment",
            "2025-04-07",
            json!({ "days": 30, "reason": "当事人经营困难，申请延期缴纳" }),
        )
        .await;
        ok(&app, &o.officer, id, "pay", "2025-05-10", json!({ "amount": "3000" })).await;
        let v = case(&app, &o.officer, id).await;
        assert_eq!(v["data"]["surcharge"], 0, "{}", v["data"]);
        ok(&app, &o.head, id, "close", "2025-05-12", json!({})).await;
    })
    .await;
}

/// REC-3: in a December before next year's holidays are published, a
/// limit that ends in the next year never stops a step: the step is taken
/// and says it was checked against an estimate. When the year's file is
/// added, the service checks it again: a request the real holidays make
/// late, and a seizure end they move, are told on the case; nothing is
/// estimated any more, and the ledger verifies.
#[tokio::test]
async fn rec_3_limits_in_a_year_without_holidays_are_estimated_then_checked_again() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let handlers = vec![o.o1.clone(), o.o2.clone()];
        let last = app.service.calendar().years().last().unwrap().year;
        let next = last + 1;
        let day = |y: i16, m: i8, d: i8| jiff::civil::date(y, m, d).to_string();

        // Notified on 28 December: five working days to ask for a hearing.
        let (penalty, _) =
            open(&app, &o.officer, "penalty-general", company(), handlers.clone(), &day(last, 12, 1)).await;
        ok(&app, &o.head, penalty, "file", &day(last, 12, 1), json!({})).await;
        ok(&app, &o.officer, penalty, "notify", &day(last, 12, 28), fine(150_000)).await;
        // The estimate's fifth working day (weekends only).
        let fifth = zhifa_domain::case::engine::provisional_working_days(jiff::civil::date(last, 12, 28), 5).unwrap();
        ok(&app, &o.officer, penalty, "request_hearing", &fifth.to_string(), json!({})).await;
        let v = case(&app, &o.officer, penalty).await;
        let estimated = &v["data"]["steps"].as_array().unwrap().last().unwrap()["estimated"];
        assert_eq!(estimated[0]["rule"], "hearing_request_window", "{v}");

        // A seizure whose 30 days end in the next year: an estimated end.
        let (seizure, number) =
            open(&app, &o.officer, "coercive-seizure", company(), handlers, &day(last, 12, 20)).await;
        ok(&app, &o.head, seizure, "approve", &day(last, 12, 20), json!({})).await;
        record(&app, &o.officer, &number, "实施查封扣押").await;
        ok(&app, &o.officer, seizure, "seize", &day(last, 12, 20), json!({})).await;
        let v = case(&app, &o.officer, seizure).await;
        assert_eq!(v["data"]["seizure_until_provisional"], true, "{v}");
        let until: jiff::civil::Date = v["data"]["seizure_until"].as_str().unwrap().parse().unwrap();
        let store = app.service.store();
        let provisional: Vec<i64> = store.provisional_cases(0, 10).await.unwrap().iter().map(|c| c.id.0).collect();
        assert_eq!(provisional, vec![penalty, seizure]);
        assert_eq!(app.service.recheck_estimates().await.unwrap(), 0, "nothing to say while the year is missing");

        // The year's file, as the State Council might publish it: the first
        // Saturday a working day (the five days end on it), the seizure's
        // last day a holiday (it ends the day after).
        let saturday = (1..=7)
            .map(|d| jiff::civil::date(next, 1, d))
            .find(|d| d.weekday() == jiff::civil::Weekday::Saturday)
            .unwrap();
        assert!(saturday < fifth, "the real fifth working day comes earlier");
        let mut builder = zhifa_calendar::Calendar::builder();
        let text =
            format!("year {next}\nsource 测试用通知\nworkday {saturday} 调休\nholiday {until}..{until} 测试假日\n");
        builder.add_file(&format!("{next}.txt"), &text).unwrap();
        let loaded =
            zhifa_service::Service::new(store.clone(), builder.build().unwrap(), zhifa_store::testing::test_signer());
        let records = store.record_count().await.unwrap();
        assert_eq!(loaded.recheck_estimates().await.unwrap(), 2);
        assert_eq!(store.record_count().await.unwrap(), records + 2, "one command per case");
        assert!(store.provisional_cases(0, 10).await.unwrap().is_empty());

        let v = case(&app, &o.officer, penalty).await;
        let step = v["data"]["steps"].as_array().unwrap().last().unwrap().clone();
        assert!(step.get("estimated").is_none(), "{step}");
        let found = step["rechecked"][0]["found"].as_str().unwrap();
        assert!(found.contains(&saturday.to_string()), "{found}");
        assert!(v["data"]["notices"][0]["text"].as_str().unwrap().contains("当事人要求听证"), "{v}");
        let v = case(&app, &o.officer, seizure).await;
        assert_eq!(v["data"]["seizure_until"], until.tomorrow().unwrap().to_string());
        assert_eq!(v["data"]["seizure_until_provisional"], Value::Null, "{v}");
        assert!(v["data"]["notices"][0]["text"].as_str().unwrap().contains("延至"), "{v}");
        // Said on the case page, once.
        let page = Browser::open(&app, "officer-1").await.get(&format!("/console/cases/{penalty}")).await.text();
        assert!(page.contains("期限复核提示") && page.contains(&saturday.to_string()), "{page}");
        assert_eq!(loaded.recheck_estimates().await.unwrap(), 0);
        assert_eq!(loaded.verify(|_| {}).await.unwrap().problems, vec![]);
    })
    .await;
}

/// Issue 25's attacker: every hole tried through the API. Each refused
/// attempt leaves the ledger as it was; what cannot be refused (a decision
/// nobody publishes, a withdrawal made late, a permit decided without the
/// review the catalogue asks for) is refused or flagged; `verify` is clean.
#[tokio::test]
async fn rec_2_an_attacker_tries_every_hole_and_each_is_refused_or_flagged() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let other = other_agency_officer(&app).await;
        let store = app.service.store().clone();
        let unchanged = |before: i64| {
            let store = store.clone();
            async move { assert_eq!(store.record_count().await.unwrap(), before, "a refused attempt recorded something") }
        };
        let handlers = vec![o.o1.clone(), o.o2.clone()];
        let (seizure, number) = open(&app, &o.officer, "coercive-seizure", company(), handlers.clone(), "2025-04-01").await;
        ok(&app, &o.head, seizure, "approve", "2025-04-01", json!({})).await;

        // Backdate past the agency's bound (3 working days), even with a reason.
        let before = store.record_count().await.unwrap();
        let backdated = app
            .on_day(
                "2025-04-10",
                step_recorded_later(&app, &o.officer, seizure, "seize", "2025-04-01", json!({ "late_reason": "补录" })),
            )
            .await;
        refused(&backdated, "late_entry", "国办发〔2018〕118号");
        unchanged(before).await;
        // Take a step as an officer whose certificate has expired.
        refused(
            &step(&app, &o.expired_officer, seizure, "seize", "2025-04-01", json!({})).await,
            "step_by_certified_officer",
            "第四十二条",
        );
        unchanged(before).await;
        // Upload evidence for another agency's case.
        assert!(upload(&app, &other, (&number, "实施查封扣押"), VIDEO).await.is_err());
        unchanged(before).await;
        // Satisfy the seizure's video gate with a text file called a video.
        upload(&app, &o.officer, (&number, "实施查封扣押"), "不是视频".as_bytes()).await.unwrap();
        let before = store.record_count().await.unwrap();
        refused(&step(&app, &o.officer, seizure, "seize", "2025-04-01", json!({})).await, "mandatory_recordings", "118号");
        unchanged(before).await;

        // Publish nothing for a seizure: it is queued, and overdue is counted.
        record(&app, &o.officer, &number, "实施查封扣押").await;
        ok(&app, &o.officer, seizure, "seize", "2025-04-01", json!({})).await;
        let sys = Actor::System("test");
        let agency = zhifa_domain::ids::AgencyId(o.agency);
        let queue = app.service.publication_queue(&sys, agency).await.unwrap();
        assert!(queue.iter().any(|l| l.case.id.0 == seizure && l.overdue), "an unpublished seizure is flagged");
        assert!(app.service.on_time(agency).await.unwrap().overdue >= 1);

        // Withdraw late: published, set aside, withdrawn after its 3 working days.
        let pid = app.on_day("2025-04-03", app.service.publish(&sys, zhifa_domain::ids::CaseId(seizure))).await.unwrap();
        let annul = json!({ "annulled_by": "court", "reason": "人民法院判决撤销查封决定" });
        ok(&app, &o.head, seizure, "annul", "2025-04-07", annul).await;
        let row = store.publication(pid).await.unwrap().unwrap();
        app.on_day(
            "2025-04-30",
            app.service.withdraw_publication(&sys, pid, row.version, "查封决定已被撤销", Some(jiff::civil::date(2025, 4, 29))),
        )
        .await
        .unwrap();
        let row = store.publication(pid).await.unwrap().unwrap();
        assert!(row.data.withdrawn_late(), "due 3 working days after 7 April, whatever day is typed: {:?}", row.data);

        // Decide a permit the catalogue has reviewed, without the review.
        let r = app
            .put_json(
                &format!("/api/v1/agencies/{}/review-catalogue", o.agency),
                &o.head,
                json!({ "version": 0, "review_all_general": false, "time_limit_days": 7, "entries": [
                    { "name": "行政许可决定", "category": "permit", "trigger": "always", "basis": "目录清单" }
                ]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        let (permit, _) = open(&app, &o.officer, "permit", company(), handlers, "2025-04-01").await;
        ok(&app, &o.officer, permit, "accept", "2025-04-01", json!({})).await;
        let before = store.record_count().await.unwrap();
        refused(&step(&app, &o.head, permit, "grant", "2025-04-02", json!({})).await, "catalogue_review", "118号");
        unchanged(before).await;
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);
    })
    .await;
}

/// Issue 24, item 4: 销案 cannot be undone: it needs its reason and a
/// confirmation, and the console asks for both; refused, it records nothing.
#[tokio::test]
async fn revoking_a_case_needs_its_reason_and_a_confirmation() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let handlers = vec![o.o1.clone(), o.o2.clone()];
        let (id, _) = open(&app, &o.officer, "penalty-general", company(), handlers, "2026-11-02").await;
        let page = Browser::open(&app, "head").await.get(&format!("/console/cases/{id}")).await.text();
        assert!(page.contains(r#"<input type="checkbox" name="confirmed" required> 确认销案"#), "{page}");
        let records = app.service.store().record_count().await.unwrap();
        for (fields, says) in
            [(json!({}), "应写明理由"), (json!({ "reason": "经核查，违法事实不能成立" }), "请确认后再提交")]
        {
            let r = step(&app, &o.head, id, "revoke", "2026-11-03", fields).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
            assert!(r.json()["message"].as_str().unwrap().contains(says), "{says}: {}", r.text());
        }
        assert_eq!(app.service.store().record_count().await.unwrap(), records);
        let fields = json!({ "reason": "经核查，违法事实不能成立", "confirmed": true });
        ok(&app, &o.head, id, "revoke", "2026-11-03", fields).await;
    })
    .await;
}
