//! Publicity (PUB-3 to PUB-5): due dates, the console's queue and preview,
//! publishing, correcting and withdrawing, the portal and its verification.

use super::cases::{Browser, fine, office, ok, open, person};
use super::{App, Resp, get_public};
use axum::http::StatusCode;
use serde_json::{Value, json};
use zhifa_service::Actor;
use zhifa_store::testing::each_backend;

/// The link to a publication's console page on `page`.
fn publication_link(page: &str) -> String {
    let at = page.find("/console/publications/").unwrap();
    let rest = &page[at..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Every page and JSON response of the portal, with its path.
async fn portal_pages(app: &App) -> Vec<(String, Resp)> {
    let mut out = Vec::new();
    let mut paths = vec!["/".to_owned(), "/agencies".to_owned()];
    // The public lists' search: every kind, officers by name among them.
    for (kind, _) in zhifa_service::search::LIST_KINDS {
        paths.push(format!("/search?kind={kind}"));
        paths.push(format!("/api/v1/public/lists?kind={kind}"));
    }
    for a in app.service.public_agencies().await.unwrap() {
        paths.push(format!("/agencies/{}", a.id));
        paths.push(format!("/agencies/{}/history/agency/{}", a.id, a.id));
    }
    let mut page = 1;
    loop {
        let r = get_public(app, &format!("/api/v1/public/decisions?page={page}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let ids: Vec<i64> =
            r.json()["decisions"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect();
        out.push((format!("/api/v1/public/decisions?page={page}"), r));
        if ids.is_empty() {
            break;
        }
        paths.push(format!("/decisions?page={page}"));
        for id in ids {
            for p in [
                "/decisions/{id}",
                "/decisions/{id}/verify",
                "/api/v1/public/decisions/{id}",
                "/api/v1/public/decisions/{id}/verification",
            ] {
                paths.push(p.replace("{id}", &id.to_string()));
            }
        }
        page += 1;
    }
    for p in paths {
        let r = get_public(app, &p).await;
        assert_eq!(r.status, StatusCode::OK, "{p}: {}", r.text());
        out.push((p, r));
    }
    out
}

/// Digit runs of `len` in `text` that stand alone: not part of a longer run
/// nor of a word or hex string (as the redaction's detectors read text).
fn digit_runs(text: &str, len: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut run = String::new();
    let mut before = ' ';
    let mut previous = ' ';
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() || (c == 'X' && run.len() == 17) {
            if run.is_empty() {
                before = previous;
            }
            run.push(c);
        } else {
            if run.len() == len && !before.is_ascii_alphabetic() && !c.is_ascii_alphabetic() {
                out.push(run.clone());
            }
            run.clear();
        }
        previous = c;
    }
    out
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    sum.is_multiple_of(10)
}

#[tokio::test]
async fn pub_5_every_demo_decision_published_and_no_personal_data_on_the_portal() {
    each_backend(|db| async move {
        let app = App::new(&db);
        zhifa_demo::create(&app.service).await.unwrap();
        let sys = Actor::System("test");
        let demo = app.service.store().agency_by_code("hzxh-scjg").await.unwrap().unwrap();
        let queue = app.service.publication_queue(&sys, demo.id).await.unwrap();
        assert!(queue.iter().any(|l| l.overdue), "the demo leaves a decision overdue");
        assert!(!app.service.agency_publications(&sys, demo.id).await.unwrap().is_empty(), "and publishes the rest");
        assert!(app.service.on_time(demo.id).await.unwrap().rate().is_some());
        // Search by a word of the facts finds the demo's published penalties.
        let found = get_public(&app, "/api/v1/public/decisions?q=保质期").await.json();
        assert!(found["total"].as_i64().unwrap() > 0, "{found}");
        let mut decided = Vec::new();
        for agency in app.service.public_agencies().await.unwrap() {
            for line in app.service.publication_queue(&sys, agency.id).await.unwrap() {
                app.service.publish(&sys, line.case.id).await.unwrap();
            }
            assert!(app.service.publication_queue(&sys, agency.id).await.unwrap().is_empty());
            for p in app.service.agency_publications(&sys, agency.id).await.unwrap() {
                decided.push(app.service.store().case(p.case_id).await.unwrap().unwrap());
            }
        }
        assert!(decided.len() >= 10, "the demo has decisions: {}", decided.len());
        // PUB-6: what the report reads of each case straight from the
        // database is what the case says.
        let mut kinds = std::collections::HashSet::new();
        let mut every = Vec::new();
        for agency in app.service.public_agencies().await.unwrap() {
            let store = app.service.store();
            let filter = zhifa_store::CaseFilter { agency: Some(agency.id), limit: 100_000, ..Default::default() };
            let cases = store.cases(&filter).await.unwrap();
            let facts = store.case_facts_after(agency.id, 0, 100_000).await.unwrap();
            assert_eq!(facts.len(), cases.len(), "every case of {}", agency.data.name);
            if let [first, second, ..] = facts.as_slice() {
                let page = store.case_facts_after(agency.id, first.0, 1).await.unwrap();
                assert_eq!(page, vec![second.clone()], "paged by id");
            }
            every.extend(facts.iter().cloned());
            for (id, a, number, f) in facts {
                assert_eq!(a, agency.id);
                let case = cases.iter().find(|c| c.id.0 == id).unwrap();
                assert_eq!((&number, &f), (&case.number, &zhifa_domain::report::CaseFacts::of(&case.data)));
                kinds.insert((
                    f.category,
                    f.penalty.is_some(),
                    !f.review_rounds.is_empty(),
                    !f.deliberations.is_empty(),
                ));
            }
        }
        assert!(kinds.len() >= 5, "the demo's cases differ enough to tell: {kinds:?}");
        // The province's report reads every case in one pass, in id order,
        // and counts what each agency's own report counts.
        every.sort_by_key(|(id, ..)| *id);
        assert_eq!(app.service.store().all_case_facts_after(0, 10_000_000).await.unwrap(), every);
        let year = app.service.today().year() - 1;
        let reports = app.service.publish_annual_reports(&sys, year, |_, _| {}).await.unwrap();
        assert!(reports.iter().any(|(_, f)| f.penalties > 0 && f.permits_granted > 0), "last year's demo cases");
        for (a, f) in &reports {
            assert_eq!(f, &app.service.annual_figures(a.id, year).await.unwrap(), "{}", a.data.name);
        }
        // PUB-1: an agency's page lists its officers with certificates, its
        // lists with their last change, and links to each entry's history.
        let page = get_public(&app, &format!("/agencies/{}", demo.id)).await.text();
        let certificates = app.service.store().certificates(demo.id).await.unwrap();
        assert!(page.contains(&certificates[0].cert.data.number), "{page}");
        assert!(page.contains("最近更新："));
        let item = &app.service.store().entries::<zhifa_domain::registry::Items>(demo.id).await.unwrap()[0];
        assert!(page.contains(&item.data.name));
        let history = get_public(&app, &format!("/agencies/{}/history/item/{}", demo.id, item.id)).await;
        assert_eq!(history.status, StatusCode::OK);
        assert!(history.text().contains(&item.data.basis_law), "{}", history.text());
        // The discretion benchmarks, each degree with its range and history.
        let benchmarks =
            app.service.store().entries::<zhifa_domain::registry::DiscretionBenchmarks>(demo.id).await.unwrap();
        assert_eq!(benchmarks.len(), 3, "the demo's three degrees");
        for b in &benchmarks {
            assert!(page.contains(&b.data.range) && page.contains(&b.data.criteria), "{page}");
        }
        assert!(page.contains("自由裁量基准（3 项）"), "{page}");
        let b = &benchmarks[1];
        let mut form = b.data.clone();
        form.range = "在法定罚款幅度的中间值以下处以罚款（修订）".into();
        app.service
            .update_entry::<zhifa_domain::registry::DiscretionBenchmarks>(&sys, b.id, b.version, &form)
            .await
            .unwrap();
        let history = get_public(&app, &format!("/agencies/{}/history/discretion_benchmark/{}", demo.id, b.id)).await;
        assert_eq!(history.status, StatusCode::OK);
        let text = history.text();
        assert!(text.contains("裁量幅度") && text.contains("（修订）") && text.contains(&b.data.range), "{text}");
        let not_public = get_public(&app, &format!("/agencies/{}/history/user/1", demo.id)).await;
        assert_eq!(not_public.status, StatusCode::NOT_FOUND, "accounts have no public history");
        let pages = portal_pages(&app).await;
        let all: String = pages.iter().map(|(_, r)| r.text()).collect::<Vec<_>>().join("\n");
        for (path, r) in &pages {
            let text = r.text();
            for id in digit_runs(&text, 18) {
                assert!(zhifa_domain::idcard::IdCardNumber::parse(&id).is_err(), "{path}: an ID number {id} is shown");
            }
            // Card numbers start 3–6 (UnionPay 62); the leaves' microsecond
            // times (17…) are not cards, though some pass the Luhn check.
            for n in (16..=19).flat_map(|len| digit_runs(&text, len)) {
                assert!(!(luhn(&n) && (b'3'..=b'6').contains(&n.as_bytes()[0])), "{path}: a bank card number {n}");
            }
            for n in digit_runs(&text, 11) {
                assert!(!(n.starts_with('1') && matches!(n.as_bytes()[1], b'3'..=b'9')), "{path}: a mobile number {n}");
            }
        }
        let mut persons = 0;
        for case in &decided {
            let data = &case.data;
            if let zhifa_domain::case::Party::Person { name, .. } = &data.matter.party {
                persons += 1;
                let given: String = name.chars().skip(1).collect();
                // (Agency pages and the officers' search list officers,
                // whose names may be any.)
                let officers = |p: &str| p.starts_with("/agencies") || p.contains("kind=officer");
                for (path, r) in pages.iter().filter(|(p, _)| !officers(p)) {
                    let text = r.text();
                    assert!(!text.contains(name.as_str()), "{name} appears on {path}");
                    assert!(given.chars().count() < 2 || !text.contains(&given), "{given} appears on {path}");
                }
            }
            // Document numbers, dates and amounts survive.
            assert!(all.contains(&case.number), "{} is missing", case.number);
            assert!(all.contains(&data.decided_on.unwrap().to_string()));
            if let Some(p) = &data.decision
                && p.kinds.contains(&zhifa_domain::case::PenaltyKind::Fine)
            {
                let amount = format!("{}", p.fine);
                assert!(all.contains(&amount), "{amount} of {} is missing", case.number);
            }
        }
        assert!(persons > 0, "the demo has natural persons among its parties");
        assert!(!all.contains("6222021001123456789"), "the card in the demo's facts is redacted");
        assert!(all.contains("收款银行卡号***"), "the facts are published, redacted");
        // Every verification checks out, here as for anyone.
        for (path, r) in &pages {
            if path.ends_with("/verification") {
                assert_eq!(r.json()["verified"], json!(true), "{path}");
            }
        }
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);
        // A discretion benchmark changed behind the program's back is named.
        zhifa_store::testing::tamper(
            app.service.store(),
            &[format!("UPDATE discretion_benchmarks SET data = replace(data, '（修订）', '') WHERE id = {}", b.id)],
        )
        .await;
        let report = app.service.verify(|_| {}).await.unwrap();
        let named = format!("discretion_benchmarks id={}", b.id);
        assert!(report.problems.iter().any(|p| p.to_string().contains(&named)), "{:?}", report.problems);
    })
    .await;
}

#[tokio::test]
async fn pub_3_pub_4_console_deadline_publish_correct_withdraw_and_the_ledger_keeps_it() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let handlers = vec![o.o1.clone(), o.o2.clone()];
        // Decided on Tuesday 30 September 2025, before the National Day holiday.
        let (id, number) = open(&app, &o.officer, "penalty-simple", person(), handlers, "2025-09-30").await;
        ok(&app, &o.officer, id, "notify", "2025-09-30", fine(200)).await;
        ok(&app, &o.officer, id, "decide_on_site", "2025-09-30", fine(200)).await;

        let head = Browser::open(&app, "head").await;
        let desk = head.get("/console/publications").await;
        assert_eq!(desk.status, StatusCode::OK, "{}", desk.text());
        let desk = desk.text();
        assert!(desk.contains(&number), "{desk}");
        assert!(desk.contains("2025-10-16"), "7 working days after 30 September 2025: {desk}");
        assert!(desk.contains("已超期"), "overdue today: {desk}");

        let preview = head.get(&format!("/console/publications/preview/{id}")).await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.text());
        let preview = preview.text();
        assert!(preview.contains("张三丰") && preview.contains("张某"), "original and redacted side by side");
        let done = head.post(&preview, &format!("/console/publications/preview/{id}"), &[]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
        let manage_path = done.headers[axum::http::header::LOCATION].to_str().unwrap().to_owned();
        let pid: i64 = manage_path.rsplit('/').next().unwrap().parse().unwrap();
        // Published once only.
        let again = head.post(&preview, &format!("/console/publications/preview/{id}"), &[]).await;
        assert!(again.text().contains("已存在"), "{}", again.text());
        let desk = head.get("/console/publications").await.text();
        assert_eq!(publication_link(&desk), manage_path);
        assert!(desk.contains("逾期公示"), "published after its due date");

        let public = get_public(&app, &format!("/decisions/{pid}")).await;
        assert_eq!(public.status, StatusCode::OK);
        assert!(public.text().contains("张某") && !public.text().contains("张三丰"));
        assert!(public.text().contains("销售过期食品"));
        assert!(public.text().contains("/verify"), "the ledger index and the verify link");

        // A correction is a new version, redacted again, with its reason.
        let page = head.get(&manage_path).await.text();
        let fields = [
            ("op", "correct"),
            ("version", "1"),
            ("party", "张三丰"),
            ("title", "销售超过保质期的食品"),
            ("conclusion", "给予行政处罚：罚款人民币 200.00 元"),
            ("legal_basis", "《中华人民共和国食品安全法》第三十四条第（十）项"),
            ("reason", "案由表述更正"),
        ];
        let corrected = head.post(&page, &manage_path, &fields).await;
        assert!(corrected.text().contains("已更正"), "{}", corrected.text());
        let v: Value = get_public(&app, &format!("/api/v1/public/decisions/{pid}")).await.json();
        assert_eq!(v["version"], 2);
        assert_eq!(v["party"], "张某", "the correction was redacted again");
        assert_eq!(v["title"], "销售超过保质期的食品");
        assert_eq!(v["corrections"][0]["reason"], "案由表述更正");
        assert!(get_public(&app, &format!("/decisions/{pid}")).await.text().contains("案由表述更正"));

        // Search finds the current version, in Chinese words.
        let found = get_public(&app, "/api/v1/public/decisions?q=保质期+食品").await.json();
        assert_eq!(found["total"], 1, "{found}");
        assert_eq!(found["decisions"][0]["id"], pid);
        assert!(get_public(&app, "/decisions?q=%E4%BF%9D%E8%B4%A8%E6%9C%9F").await.text().contains(&number));

        // Withdrawal: the reason shows, the content is gone from every public answer.
        let page = head.get(&manage_path).await.text();
        let withdrawal = [
            ("op", "withdraw"),
            ("version", "2"),
            ("reason", "原处罚决定已被依法撤销"),
            ("revoked_on", "2025-09-30"),
            ("confirmed", "on"),
        ];
        // Not without the box "confirm" ticked: nothing recorded.
        let records = app.service.store().record_count().await.unwrap();
        let unconfirmed = head.post(&page, &manage_path, &withdrawal[..4]).await;
        assert!(unconfirmed.status.is_client_error(), "{}", unconfirmed.status);
        assert!(unconfirmed.text().contains("请勾选确认后再提交"), "{}", unconfirmed.text());
        assert_eq!(app.service.store().record_count().await.unwrap(), records);
        assert!(page.contains(r#"<input type="checkbox" name="confirmed" required>"#), "{page}");
        let withdrawn = head.post(&page, &manage_path, &withdrawal).await;
        assert!(withdrawn.text().contains("已撤下"), "{}", withdrawn.text());
        // Revoked on 30 September 2025: due within 3 working days (9, 10 and
        // Saturday 11 October, after the holiday); withdrawn only now.
        assert!(withdrawn.text().contains("应于 2025-10-11 前撤下") && withdrawn.text().contains("逾期撤下"));
        let page = get_public(&app, &format!("/decisions/{pid}")).await.text();
        assert!(page.contains("原处罚决定已被依法撤销"));
        let api = get_public(&app, &format!("/api/v1/public/decisions/{pid}")).await.text();
        assert!(api.contains("原处罚决定已被依法撤销"));
        let list = get_public(&app, "/api/v1/public/decisions").await.text();
        let list_page = get_public(&app, "/decisions").await.text();
        let home = get_public(&app, "/").await.text();
        let verification = get_public(&app, &format!("/api/v1/public/decisions/{pid}/verification")).await;
        let search = get_public(&app, "/api/v1/public/decisions?q=保质期").await;
        assert_eq!(search.json()["total"], 0, "gone from the search index in the same request cycle");
        let search_page = get_public(&app, "/decisions?q=%E4%BF%9D%E8%B4%A8%E6%9C%9F").await.text();
        assert!(!search_page.contains(&number));
        assert_eq!(verification.json()["verified"], json!(true));
        for text in [&page, &api, &list, &list_page, &home, &verification.text(), &search.text(), &search_page] {
            for gone in ["销售超过保质期的食品", "销售过期食品", "罚款人民币 200.00 元", "张某"]
            {
                assert!(!text.contains(gone), "{gone} still shown: {text}");
            }
        }
        // The old versions are still in the ledger, and verify is clean.
        let records = app.service.store().records_of("publication", pid).await.unwrap();
        assert_eq!(records.len(), 3, "published, corrected, withdrawn");
        assert!(String::from_utf8_lossy(&records[0].body).contains("销售过期食品"));
        assert!(String::from_utf8_lossy(&records[1].body).contains("销售超过保质期的食品"));
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);

        // A publication changed behind the program's back is named by verify.
        zhifa_store::testing::tamper(
            app.service.store(),
            &[format!("UPDATE publications SET data = replace(data, '依法撤销', '自行撤回') WHERE id = {pid}")],
        )
        .await;
        let report = app.service.verify(|_| {}).await.unwrap();
        let named = format!("publications id={pid}");
        assert!(report.problems.iter().any(|p| p.to_string().contains(&named)), "{:?}", report.problems);
    })
    .await;
}

#[tokio::test]
async fn pub_3_only_the_agencys_publicity_officers_and_heads_publish() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let (id, _) =
            open(&app, &o.officer, "penalty-simple", person(), vec![o.o1.clone(), o.o2.clone()], "2025-05-06").await;
        // Before the decision there is nothing to publish.
        let head = Browser::open(&app, "head").await;
        let r = head.get(&format!("/console/publications/preview/{id}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        assert!(r.text().contains("尚未作出决定"));
        ok(&app, &o.officer, id, "notify", "2025-05-06", fine(100)).await;
        ok(&app, &o.officer, id, "decide_on_site", "2025-05-06", fine(100)).await;
        let officer = Browser::open(&app, "officer-1").await;
        let r = officer.get(&format!("/console/publications/preview/{id}")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
        // Nothing of an unpublished decision is public.
        let r = get_public(&app, "/api/v1/public/decisions").await;
        assert_eq!(r.json()["total"], 0);
        assert_eq!(get_public(&app, "/decisions/1").await.status, StatusCode::NOT_FOUND);
    })
    .await;
}

/// The hidden token and the answer to the question of a complaint form.
fn solve(page: &str) -> (String, String) {
    let token = page.split("name=\"token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let question = page.split("验证问题：").nth(1).unwrap().split('？').next().unwrap();
    let (a, b) = question.trim_end_matches("等于几").split_once(" 加 ").unwrap();
    let sum: u32 = a.trim().parse::<u32>().unwrap() + b.trim().parse::<u32>().unwrap();
    (token, sum.to_string())
}

async fn post_form(app: &App, path: &str, fields: &[(&str, &str)]) -> Resp {
    let req = axum::http::Request::post(path)
        .header(axum::http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(super::cases::form_body(fields)))
        .unwrap();
    app.send(req).await
}

#[tokio::test]
async fn sup_6_a_complaint_reaches_its_agency_and_its_answer_the_complainant() {
    each_backend(|db| async move {
        let ahead = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
        let app = App::with_clock_ahead(&db, ahead.clone());
        let o = office(&app).await;
        let agency = o.agency.to_string();
        let form = get_public(&app, &format!("/complaints?agency={agency}")).await;
        assert_eq!(form.status, StatusCode::OK);
        let (token, answer) = solve(&form.text());
        let fields = |answer: &str, trap: &str| {
            vec![
                ("agency", agency.clone()),
                ("subject", "杭西市监罚〔2025〕1号".to_owned()),
                ("content", "执法人员检查时未出示执法证件。".to_owned()),
                ("contact", "13900001111".to_owned()),
                ("token", token.clone()),
                ("answer", answer.to_owned()),
                ("website", trap.to_owned()),
            ]
        };
        let send = |f: Vec<(&'static str, String)>| {
            let app = &app;
            async move {
                let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
                post_form(app, "/complaints", &pairs).await
            }
        };
        // At once: too fast for a person; what was typed comes back.
        let r = send(fields(&answer, "")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.text().contains("提交过快") && r.text().contains("未出示执法证件"), "{}", r.text());
        ahead.store(10, std::sync::atomic::Ordering::SeqCst);
        let wrong = if answer == "2" { "3" } else { "2" };
        assert!(send(fields(wrong, "")).await.text().contains("答案不正确"));
        assert!(send(fields(&answer, "http://spam.example")).await.text().contains("提交被拒绝"));
        ahead.store(3 * 3600, std::sync::atomic::Ordering::SeqCst);
        assert!(send(fields(&answer, "")).await.text().contains("超过两小时"));
        ahead.store(10, std::sync::atomic::Ordering::SeqCst);
        let sent = send(fields(&answer, "")).await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.text());
        let tracking = sent.text().split("class=\"tracking\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
        assert!(zhifa_domain::complaint::sup_6_is_tracking_number(&tracking), "{tracking}");
        // A form is good for one complaint: sent again, it is refused.
        let again = send(fields(&answer, "")).await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST);
        assert!(again.text().contains("此表单已提交过"), "{}", again.text());
        assert_eq!(app.service.store().complaints(zhifa_domain::ids::AgencyId(o.agency)).await.unwrap().len(), 1);

        let status = get_public(&app, &format!("/complaints/status?number={tracking}")).await.text();
        assert!(status.contains("办理中") && status.contains("未出示执法证件"));
        assert!(!status.contains("13900001111"), "the contact is not shown back");
        let unknown = get_public(&app, "/complaints/status?number=TS20261202-0000000000").await.text();
        assert!(unknown.contains("没有找到"));

        // The agency answers in the console; the complainant reads it.
        let head = Browser::open(&app, "head").await;
        let desk = head.get("/console/complaints").await;
        assert_eq!(desk.status, StatusCode::OK, "{}", desk.text());
        assert!(desk.text().contains(&tracking) && desk.text().contains("待答复"));
        let id = desk.text().split("/console/complaints/").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let done = head
            .post(
                &desk.text(),
                &format!("/console/complaints/{id}"),
                &[("version", "1"), ("text", "经核查，已对相关人员批评教育。")],
            )
            .await;
        assert!(done.text().contains("已答复"), "{}", done.text());
        let status = get_public(&app, &format!("/complaints/status?number={tracking}")).await.text();
        assert!(status.contains("经核查，已对相关人员批评教育。"));
        assert_eq!(app.service.complaint_counts(zhifa_domain::ids::AgencyId(o.agency)).await.unwrap(), (1, 1));
        // Officers do not answer complaints.
        let officer = Browser::open(&app, "officer-1").await;
        assert_eq!(officer.get("/console/complaints").await.status, StatusCode::FORBIDDEN);
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);
    })
    .await;
}

/// The kinds of the list entries `path` finds.
async fn found_kinds(app: &App, path: &str) -> Vec<(String, i64)> {
    let r = get_public(app, path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
    let body = r.json();
    let entries = body["entries"].as_array().unwrap();
    assert!(body["total"].as_i64().unwrap() as usize >= entries.len());
    entries.iter().map(|e| (e["kind"].as_str().unwrap().to_owned(), e["id"].as_i64().unwrap())).collect()
}

/// The demo; its market agency and that agency's first service guide.
async fn demo_and_its_guide(
    app: &App,
) -> (
    Actor,
    zhifa_service::Agency,
    zhifa_service::Entry<zhifa_domain::ids::ServiceGuideId, zhifa_domain::registry::ServiceGuideData>,
) {
    zhifa_demo::create(&app.service).await.unwrap();
    let sys = Actor::System("test");
    let demo = app.service.store().agency_by_code("hzxh-scjg").await.unwrap().unwrap();
    let guide = app.service.entries::<zhifa_domain::registry::ServiceGuides>(&sys, demo.id).await.unwrap().remove(0);
    (sys, demo, guide)
}

/// Rename the demo's service guide to 冷链食品贮存备案.
async fn rename_guide(
    app: &App,
    sys: &Actor,
    guide: &zhifa_service::Entry<zhifa_domain::ids::ServiceGuideId, zhifa_domain::registry::ServiceGuideData>,
) {
    let mut form = zhifa_domain::registry::ServiceGuideData::from(&guide.data);
    form.item = "冷链食品贮存备案".into();
    app.service
        .update_entry::<zhifa_domain::registry::ServiceGuides>(sys, guide.id, guide.version, &form)
        .await
        .unwrap();
}

#[tokio::test]
async fn pub_7_the_public_lists_are_searchable_and_follow_every_change() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let (sys, demo, guide) = demo_and_its_guide(&app).await;

        // A demo service guide by the words of its name: kind, agency and
        // where it is shown, which the agency page has.
        let path = format!("/api/v1/public/lists?q={}", guide.data.item);
        let body = get_public(&app, &path).await.json();
        let hit = body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "service_guide" && e["id"] == guide.id.0)
            .unwrap_or_else(|| panic!("{path}: {body}"))
            .clone();
        assert_eq!(hit["kind_label"], "服务指南");
        assert_eq!(hit["agency"], demo.data.name.as_str());
        assert_eq!(hit["title"], guide.data.item.as_str());
        let href = hit["href"].as_str().unwrap().to_owned();
        assert_eq!(href, format!("/agencies/{}#service_guide-{}", demo.id, guide.id));
        let page = get_public(&app, &format!("/agencies/{}", demo.id)).await.text();
        assert!(page.contains(&format!("id=\"service_guide-{}\"", guide.id)), "the anchor is on the agency page");

        // Every kind is found, and the kind filter keeps to one.
        for (kind, word) in [
            ("agency", demo.data.name.as_str()),
            ("item", "行政处罚"),
            ("inspection_item", "抽查"),
            ("service_guide", guide.data.item.as_str()),
            ("discretion_benchmark", "一般"),
        ] {
            let found = found_kinds(&app, &format!("/api/v1/public/lists?q={word}&kind={kind}")).await;
            assert!(!found.is_empty(), "{kind}: {word}");
            assert!(found.iter().all(|(k, _)| k == kind), "{kind}: {found:?}");
        }
        let certificates = app.service.certificates(&sys, demo.id).await.unwrap();
        let certificate = certificates.first().unwrap();
        let officer = app.service.user(&sys, certificate.user_id).await.unwrap();
        let by_number = format!("/api/v1/public/lists?q={}", certificate.cert.data.number);
        assert_eq!(found_kinds(&app, &by_number).await, vec![("officer".to_owned(), certificate.cert.id.0)]);

        // Filters by domain and region: the demo's market agency is not in
        // ecology, and is in its own region.
        let market = found_kinds(&app, &format!("{path}&domain=market")).await;
        assert!(market.contains(&("service_guide".to_owned(), guide.id.0)));
        let ecology = found_kinds(&app, &format!("{path}&domain=ecology&kind=service_guide")).await;
        assert!(!ecology.contains(&("service_guide".to_owned(), guide.id.0)), "{ecology:?}");
        let region = demo.data.region.as_str();
        assert!(!found_kinds(&app, &format!("{path}&region={region}")).await.is_empty());
        assert!(found_kinds(&app, &format!("/api/v1/public/lists?agency={}&kind=officer", demo.id)).await.len() > 1);

        // A change is found once the index has caught up (a server does
        // within FRESHNESS; the test waits for the catch-up itself); what it
        // replaced is not.
        rename_guide(&app, &sys, &guide).await;
        app.service.catch_up_search().await.unwrap();
        let renamed = found_kinds(&app, "/api/v1/public/lists?q=冷链&kind=service_guide").await;
        assert_eq!(renamed, vec![("service_guide".to_owned(), guide.id.0)]);
        let old = found_kinds(&app, &format!("{path}&kind=service_guide")).await;
        assert!(!old.contains(&("service_guide".to_owned(), guide.id.0)), "{old:?}");
        // An officer no longer active leaves the list and the search.
        let mut user = zhifa_domain::people::UserForm::from(&officer.user.data);
        user.active = "false".into();
        app.service.update_user(&sys, officer.user.id, officer.user.version, &user).await.unwrap();
        app.service.catch_up_search().await.unwrap();
        assert!(found_kinds(&app, &by_number).await.is_empty());

        // The page: entries with links, a way on to the decisions, filters
        // kept; a kind that does not exist is refused in Chinese.
        let html = get_public(&app, "/search?q=%E5%86%B7%E9%93%BE&domain=market").await;
        assert_eq!(html.status, StatusCode::OK);
        let html = html.text();
        assert!(
            html.contains("冷链食品贮存备案")
                && html.contains(&format!("/agencies/{}#service_guide-{}", demo.id, guide.id))
        );
        let on = &html[html.find("href=\"/decisions?q=%E5%86%B7%E9%93%BE").expect("a link to the decisions")..];
        assert!(on[..on.find("\">").unwrap()].ends_with("domain=market"), "{on}");
        let bad = get_public(&app, "/api/v1/public/lists?q=x&kind=nothing").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.text().contains("公示类别"), "{}", bad.text());

        // A rebuild gives the same answers.
        app.service.reindex(|_, _| {}).await.unwrap();
        assert_eq!(found_kinds(&app, "/api/v1/public/lists?q=冷链&kind=service_guide").await, renamed);
        assert!(found_kinds(&app, &by_number).await.is_empty());

        // Decisions filtered by their agency's domain.
        let all = get_public(&app, "/api/v1/public/decisions").await.json()["total"].as_i64().unwrap();
        let mut sum = 0;
        for domain in zhifa_domain::agency::Domain::ALL {
            let r = get_public(&app, &format!("/api/v1/public/decisions?domain={}", domain.code())).await;
            let n = r.json()["total"].as_i64().unwrap();
            assert!(n < all || all == 0, "{}: {n} of {all}", domain.code());
            sum += n;
        }
        assert_eq!(sum, all, "each decision in its agency's domain");
        let agencies = app.service.public_agencies().await.unwrap();
        let found = get_public(&app, "/api/v1/public/decisions?q=保质期").await.json()["total"].as_i64().unwrap();
        let mut sum = 0;
        for domain in zhifa_domain::agency::Domain::ALL {
            let r = get_public(&app, &format!("/api/v1/public/decisions?q=保质期&domain={}", domain.code())).await;
            let body = r.json();
            for d in body["decisions"].as_array().unwrap() {
                let agency = agencies.iter().find(|a| a.id.0 == d["agency_id"].as_i64().unwrap()).unwrap();
                assert_eq!(agency.data.domain, *domain, "{d}");
            }
            sum += body["total"].as_i64().unwrap();
        }
        assert!(found > 0);
        assert_eq!(sum, found, "searched, each decision in its agency's domain");
    })
    .await;
}

#[tokio::test]
async fn pub_6_annual_report_of_last_year_counted_published_and_rolled_up() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let year = app.service.today().year() - 1;
        let sys = Actor::System("test");
        let agency = zhifa_domain::ids::AgencyId(o.agency);
        // Last year: two fines on the spot, and one this year that does not count.
        let handlers = vec![o.o1.clone(), o.o2.clone()];
        for (on, yuan) in
            [(format!("{year}-03-02"), 100), (format!("{year}-11-20"), 150), (format!("{}-01-05", year + 1), 200)]
        {
            let (id, _) = open(&app, &o.officer, "penalty-simple", person(), handlers.clone(), &on).await;
            ok(&app, &o.officer, id, "notify", &on, fine(yuan)).await;
            ok(&app, &o.officer, id, "decide_on_site", &on, fine(yuan)).await;
        }

        // The console shows the due date, overdue once 31 January has passed.
        let head = Browser::open(&app, "head").await;
        let desk = head.get("/console/publications").await.text();
        assert!(desk.contains(&format!("{year} 年度行政执法统计年报")), "{desk}");
        assert!(desk.contains(&format!("{}-01-31", year + 1)));
        assert!(desk.contains("已超期未公布"), "{desk}");
        assert_eq!(
            get_public(&app, &format!("/reports/{year}/agencies/{}", o.agency)).await.status,
            StatusCode::NOT_FOUND
        );
        let done = head
            .post(&desk, "/console/reports", &[("agency", &o.agency.to_string()), ("year", &year.to_string())])
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
        let report = app.service.published_annual_report(agency, year).await.unwrap().data;
        assert_eq!((report.penalties, report.fines_fen), (2, 25_000), "only last year's two fines");
        assert_eq!(report.officers, 2, "the expired certificate does not count");
        assert_eq!(report.reviewers, 2);

        let page = get_public(&app, &format!("/reports/{year}/agencies/{}", o.agency)).await;
        assert_eq!(page.status, StatusCode::OK);
        let page = page.text();
        assert!(page.contains("<svg") && page.contains("class=\"bar\""), "charts drawn on the server");
        assert!(page.contains("250.00 元"), "{page}");

        // The PDF, typeset with the system's CJK font (CI installs
        // fonts-noto-cjk); its text, read back by poppler, is the report's.
        let pdf_path = format!("/reports/{year}/agencies/{}/report.pdf", o.agency);
        assert!(page.contains(&pdf_path), "the page links its PDF");
        let pdf = get_public(&app, &pdf_path).await;
        if pdf.status == StatusCode::SERVICE_UNAVAILABLE && std::env::var_os("CI").is_none() {
            eprintln!("no CJK font on this machine: the PDF's text not checked");
        } else {
            assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.text());
            assert_eq!(pdf.headers[axum::http::header::CONTENT_TYPE], "application/pdf");
            assert!(pdf.body.starts_with(b"%PDF-"));
            if let Some(text) = pdf_text(&pdf.body) {
                for expected in ["年度行政执法统计年报", "罚款金额", "250.00 元", "行政处罚决定"] {
                    assert!(text.contains(expected), "{expected} in the PDF: {text}");
                }
            }
        }
        // Without a CJK font the PDF says what to install; the rest works.
        let bare = app.with_font_dirs(vec![db.dir.join("no-fonts-here")]);
        let refused = get_public(&bare, &pdf_path).await;
        assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(refused.text().contains("apt-get install fonts-noto-cjk"), "{}", refused.text());
        let xlsx_path = format!("/reports/{year}/agencies/{}/report.xlsx", o.agency);
        assert_eq!(get_public(&bare, &xlsx_path).await.status, StatusCode::OK);

        // A second agency, then the region rolled up.
        let other = zhifa_domain::agency::AgencyForm::from(&zhifa_store::testing::build::agency("other", "330106", 9));
        let other = app.service.create_agency(&sys, &other).await.unwrap();
        app.service.publish_annual_report(&sys, other, year).await.unwrap();
        let rollup = app.service.annual_rollup(year, "3301").await.unwrap();
        assert_eq!((rollup.total.agencies, rollup.total.penalties), (2, 2));
        let city = get_public(&app, &format!("/reports/{year}?region=330100")).await.text();
        assert!(city.contains("汇总 2 个执法机关"), "{city}");
        // The whole is named after the one province its regions are in
        // (issue 24, item 8), not 全部地区.
        let put = |code: &str, name: &str| zhifa_domain::change::Change::PutRegion {
            code: zhifa_domain::region::RegionCode::parse(code).unwrap(),
            name: name.into(),
        };
        let regions = vec![put("330000", "浙江省"), put("330100", "杭州市"), put("330106", "西湖区")];
        app.service.commit_as_system("test", "地区", regions).await.unwrap();
        let whole = get_public(&app, &format!("/reports/{year}")).await.text();
        assert!(whole.contains(&format!("<h1>浙江省 {year} 年度行政执法统计年报</h1>")), "{whole}");
        assert!(!whole.contains("全部地区"), "{whole}");
        let xlsx = get_public(&app, &format!("/reports/{year}/report.xlsx?region=330100")).await;
        assert_eq!(xlsx.status, StatusCode::OK);
        let table = zhifa_docs::excel::read_table(&xlsx.body).unwrap();
        let row = table.rows.iter().find(|(_, r)| r[0] == "行政处罚决定").unwrap();
        assert_eq!(row.1[1], "2");
        // This year is not over: no report yet.
        assert!(app.service.publish_annual_report(&sys, agency, year + 1).await.is_err());
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);
    })
    .await;
}

/// The text of a PDF as poppler's `pdftotext` reads it (Debian's
/// poppler-utils, which CI installs; elsewhere its absence skips the check).
fn pdf_text(pdf: &[u8]) -> Option<String> {
    use std::io::Write;
    let spawned = std::process::Command::new("pdftotext")
        .args(["-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("pdftotext not found ({e}): the PDF's text not checked");
            return None;
        }
        Err(e) => panic!("pdftotext (apt-get install poppler-utils): {e}"),
    };
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    Some(String::from_utf8(out.stdout).unwrap())
}

/// Issue 23: one sender (address) sends a few complaints, not hundreds:
/// three in ten minutes, ten a day; others are not held up; the sender is
/// kept as a keyed hash, never their address.
#[tokio::test]
async fn sup_6_one_sender_sends_a_few_complaints_not_hundreds() {
    each_backend(|db| async move {
        let ahead = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
        let app = App::with_clock_ahead(&db, ahead.clone());
        let o = office(&app).await;
        let agency = o.agency.to_string();
        let later = |seconds: i64| ahead.fetch_add(seconds, std::sync::atomic::Ordering::SeqCst);
        let send = |from: &'static str| {
            let (app, agency, later) = (&app, agency.clone(), &later);
            async move {
                let form = get_public(app, &format!("/complaints?agency={agency}")).await;
                let (token, answer) = solve(&form.text());
                later(10);
                let fields = [
                    ("agency", agency.as_str()),
                    ("subject", "执法人员态度"),
                    ("content", "执法人员检查时未出示执法证件。"),
                    ("contact", "13900001111"),
                    ("token", token.as_str()),
                    ("answer", answer.as_str()),
                    ("website", ""),
                ];
                let mut req = axum::http::Request::post("/complaints")
                    .header(axum::http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(axum::body::Body::from(super::cases::form_body(&fields)))
                    .unwrap();
                let addr: std::net::SocketAddr = format!("{from}:50000").parse().unwrap();
                req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
                app.send(req).await
            }
        };
        for i in 1..=3 {
            let r = send("10.1.1.1").await;
            assert_eq!(r.status, StatusCode::OK, "complaint {i}: {}", r.text());
        }
        let r = send("10.1.1.1").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.text().contains("十分钟内最多提交 3 件"), "{}", r.text());
        assert_eq!(send("10.1.1.2").await.status, StatusCode::OK, "another sender is not held up");
        later(11 * 60);
        for i in 4..=10 {
            let r = send("10.1.1.1").await;
            assert_eq!(r.status, StatusCode::OK, "complaint {i}: {}", r.text());
            if i % 3 == 0 {
                later(11 * 60);
            }
        }
        later(11 * 60);
        let r = send("10.1.1.1").await;
        assert!(r.text().contains("每天最多提交 10 件"), "{}", r.text());
        later(24 * 3600);
        assert_eq!(send("10.1.1.1").await.status, StatusCode::OK, "a new day");

        let records = app.service.store().records_after(0, 10_000).await.unwrap();
        let complaints: Vec<_> = records.iter().filter(|r| r.kind == "complaint.create").collect();
        assert_eq!(complaints.len(), 3 + 1 + 7 + 1);
        for r in complaints {
            let body = String::from_utf8_lossy(&r.body);
            assert!(body.contains("\"client_tag\":") && !body.contains("10.1.1."), "{body}");
        }
    })
    .await;
}

/// A search never waits for the indexes' catch-up: with the catch-up held (as
/// a long re-index holds it), searches of the lists and of the decisions
/// answer at once from the newest committed searcher; once it is let go, a
/// server following the outbox has the change searchable within a second.
#[tokio::test(flavor = "multi_thread")]
async fn pub_7_a_search_never_waits_for_the_index_writer() {
    use std::time::{Duration, Instant};
    each_backend(|db| async move {
        let app = App::new(&db);
        let (sys, _, guide) = demo_and_its_guide(&app).await;
        let renamed = "/api/v1/public/lists?q=冷链&kind=service_guide";

        let held = app.service.hold_search_catch_up().await;
        rename_guide(&app, &sys, &guide).await;
        for path in [renamed, "/api/v1/public/decisions?q=食品", "/search?q=%E5%86%B7%E9%93%BE"] {
            let answered = tokio::time::timeout(Duration::from_secs(2), get_public(&app, path)).await;
            let r = answered.unwrap_or_else(|_| panic!("{path} waited for the index's catch-up"));
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        }
        assert!(found_kinds(&app, renamed).await.is_empty(), "the index is behind while its catch-up is held");
        drop(held);

        let written = app.service.store().last_outbox_id().await.unwrap();
        let following = app.service.clone();
        let follower = tokio::spawn(async move { following.follow_search().await });
        let let_go = Instant::now();
        tokio::time::timeout(Duration::from_secs(1), app.service.searchable_at(written))
            .await
            .expect("not searchable within 1 s of the change");
        let found = let_go.elapsed();
        assert_eq!(found_kinds(&app, renamed).await, vec![("service_guide".to_owned(), guide.id.0)]);
        follower.abort();
        eprintln!("searchable {} ms after the catch-up was let go", found.as_millis());
    })
    .await;
}

/// PUB-4: a decision set aside (revoked, confirmed illegal, changed) is
/// recorded on its case; in the same commit its publication becomes due to
/// be withdrawn within 3 working days, and a decision not yet published is
/// never published. A withdrawal after that day is flagged late.
#[tokio::test]
async fn pub_4_a_decision_set_aside_is_due_to_be_withdrawn_within_3_working_days() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let o = office(&app).await;
        let sys = Actor::System("test");
        let handlers = vec![o.o1.clone(), o.o2.clone()];
        let mut decided = Vec::new();
        for _ in 0..2 {
            let (id, number) = open(&app, &o.officer, "penalty-simple", person(), handlers.clone(), "2025-09-30").await;
            ok(&app, &o.officer, id, "notify", "2025-09-30", fine(200)).await;
            ok(&app, &o.officer, id, "decide_on_site", "2025-09-30", fine(200)).await;
            decided.push((id, number));
        }
        let [(published, number), (unpublished, other)] = decided.try_into().unwrap();
        let pid = app
            .on_day("2025-10-09", app.service.publish(&sys, zhifa_domain::ids::CaseId(published)))
            .await
            .unwrap();

        let annul = json!({ "annulled_by": "reconsideration", "reason": "杭州市西湖区人民政府行政复议决定书（西政复〔2025〕9号）撤销原处罚决定" });
        let records = app.service.store().record_count().await.unwrap();
        // Only the head records it, and only with how and by which document.
        let r = super::cases::step(&app, &o.officer, published, "annul", "2025-10-10", annul.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        let r = super::cases::step(&app, &o.head, published, "annul", "2025-10-10", json!({ "reason": "撤销" })).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(app.service.store().record_count().await.unwrap(), records, "refused: nothing recorded");
        // Set aside on Friday 10 October 2025: withdrawn by Tuesday 14th
        // (Saturday 11th was a working day after the National Day holiday).
        ok(&app, &o.head, published, "annul", "2025-10-10", annul.clone()).await;
        assert_eq!(app.service.store().record_count().await.unwrap(), records + 2, "the case and its publication");
        let row = app.service.store().publication(zhifa_domain::ids::PublicationId(pid.0)).await.unwrap().unwrap();
        assert_eq!(row.data.withdrawal_pending(), Some(jiff::civil::date(2025, 10, 14)));
        assert!(row.data.withdrawal.is_none(), "shown until the publicity officer withdraws it");
        let case: Value = super::cases::case(&app, &o.head, published).await;
        assert_eq!(case["data"]["annulled"]["by"], "reconsideration", "{case}");

        // Not yet published: it leaves the queue and is never published.
        ok(&app, &o.head, unpublished, "annul", "2025-10-10", annul).await;
        let queue = app.service.publication_queue(&sys, zhifa_domain::ids::AgencyId(o.agency)).await.unwrap();
        assert!(queue.is_empty(), "{:?}", queue.iter().map(|l| &l.case.number).collect::<Vec<_>>());
        let refused = app.service.publish(&sys, zhifa_domain::ids::CaseId(unpublished)).await.unwrap_err();
        assert!(refused.to_string().contains("不再公示"), "{refused}");
        assert!(app.service.store().publication_of_case(zhifa_domain::ids::CaseId(unpublished)).await.unwrap().is_none());

        // The desk and the publication's page say by when; withdrawn on the
        // 16th, later than due, it is flagged (a later day typed does not move it).
        let head = Browser::open(&app, "head").await;
        let desk = app.on_day("2025-10-15", head.get("/console/publications")).await.text();
        assert!(desk.contains("应于 2025-10-14 前撤下，已超期") && !desk.contains(&other), "{desk}");
        let manage_path = format!("/console/publications/{}", pid.0);
        let page = head.get(&manage_path).await.text();
        assert!(page.contains("应于 <strong>2025-10-14</strong> 前撤下"), "{page}");
        let withdrawal = [("op", "withdraw"), ("version", "2"), ("reason", "原处罚决定已被行政复议撤销"), ("revoked_on", "2025-10-20"), ("confirmed", "on")];
        let withdrawn = app.on_day("2025-10-16", head.post(&page, &manage_path, &withdrawal)).await;
        assert!(withdrawn.text().contains("应于 2025-10-14 前撤下") && withdrawn.text().contains("逾期撤下"), "{}", withdrawn.text());
        assert!(!get_public(&app, &format!("/decisions/{}", pid.0)).await.text().contains("罚款人民币 200.00 元"));
        let _ = number;
        assert_eq!(app.service.verify(|_| {}).await.unwrap().problems, vec![]);
    })
    .await;
}
