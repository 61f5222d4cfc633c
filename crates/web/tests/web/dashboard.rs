//! The supervisors' dashboard (SUP-1) on both databases: its figures for a
//! city equal the same figures counted by SQL of the test's own over the
//! demo's tables; counted again from nothing they are the same; the page,
//! its links and its workbook; another city's supervisor finds nothing.

use super::App;
use super::cases::Browser;
use axum::http::StatusCode;
use serde_json::Value;
use zhifa_service::Actor;
use zhifa_store::testing::{Backend, each_backend, query_text};

const FROM: &str = "2017-01-01";

/// A token of a demo user.
async fn token_of(app: &App, username: &str) -> String {
    let user = app.service.store().user_by_username(username).await.unwrap().unwrap();
    app.service.create_token(&Actor::System("test"), user.user.id, "测试").await.unwrap().1
}

/// An integer the test's own SQL counts.
async fn count(app: &App, sql: &str) -> i64 {
    let text = query_text(app.service.store(), &format!("SELECT CAST(({sql}) AS TEXT)")).await;
    text.map_or(0, |t| t.parse().unwrap_or_else(|e| panic!("{sql}: {t}: {e}")))
}

/// SQL of a case's JSON field (`a.b` paths; `a.0.b` for an array's item) as text.
fn field(backend: Backend, table: &str, path: &str) -> String {
    match backend {
        Backend::Sqlite => {
            let p: Vec<String> = path
                .split('.')
                .map(|s| if s.parse::<u32>().is_ok() { format!("[{s}]") } else { format!(".{s}") })
                .collect();
            format!("json_extract({table}.data, '${}')", p.concat())
        }
        Backend::Postgres => format!("({table}.data::jsonb #>> '{{{}}}')", path.replace('.', ",")),
    }
}

fn figures(v: &Value, key: &str) -> i64 {
    v[key].as_i64().unwrap_or_else(|| panic!("{key} in {v}"))
}

#[tokio::test]
async fn sup_1_the_dashboard_of_a_city_equals_the_tables_counted_by_sql() {
    each_backend(|db| async move {
        let app = App::new(&db);
        zhifa_demo::create(&app.service).await.unwrap();
        app.service.catch_up_warnings().await.unwrap();
        let supervisor = token_of(&app, "hz-sfj-jiandu").await;
        let to = app.service.today().to_string();
        let r = app.get(&format!("/api/v1/dashboard?from={FROM}&to={to}"), &supervisor).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let d = r.json();
        assert_eq!(d["region"], "3301", "a city supervisor's dashboard is of its city");
        let total = &d["total"];
        let b = db.backend;
        let region = "a.region_code LIKE '3301%'";
        let cases = format!("FROM cases c JOIN agencies a ON a.id = c.agency_id WHERE {region}");
        let within = |col: String| format!("{col} >= '{FROM}' AND {col} <= '{to}'");
        let closed_on = field(b, "c", "closed_on");
        let decided = within("c.decided_on".into());
        let recorded = "EXISTS (SELECT 1 FROM uploads u WHERE u.agency_id = c.agency_id \
                        AND u.case_number = c.number AND u.state = 'complete')";
        let penalty = format!(
            "{decided} AND {} = 'penalty' AND {} IS NOT NULL",
            field(b, "c", "category"),
            field(b, "c", "decision")
        );
        let expected = [
            ("opened", count(&app, &format!("SELECT COUNT(*) {cases} AND {}", within("c.opened_on".into()))).await),
            ("closed", count(&app, &format!("SELECT COUNT(*) {cases} AND {}", within(closed_on.clone()))).await),
            ("decided", count(&app, &format!("SELECT COUNT(*) {cases} AND {decided}")).await),
            ("penalties", count(&app, &format!("SELECT COUNT(*) {cases} AND {penalty}")).await),
            (
                "fines_fen",
                count(
                    &app,
                    &format!(
                        "SELECT COALESCE(SUM(CAST({} AS BIGINT)), 0) {cases} AND {penalty}",
                        field(b, "c", "decision.fine")
                    ),
                )
                .await,
            ),
            (
                "published",
                count(
                    &app,
                    &format!(
                        "SELECT COUNT(*) FROM publications p JOIN agencies a ON a.id = p.agency_id WHERE {region} AND {}",
                        within("p.decided_on".into())
                    ),
                )
                .await,
            ),
            (
                "published_on_time",
                count(
                    &app,
                    &format!(
                        "SELECT COUNT(*) FROM publications p JOIN agencies a ON a.id = p.agency_id WHERE {region} AND {} \
                         AND p.published_on <= p.due_on",
                        within("p.decided_on".into())
                    ),
                )
                .await,
            ),
            (
                "reviewed_cases",
                count(&app, &format!("SELECT COUNT(*) {cases} AND {}", within(field(b, "c", "review.rounds.0.submitted_on"))))
                    .await,
            ),
        ];
        for (key, n) in expected {
            assert_eq!(figures(total, key), n, "{key}: the dashboard against SQL");
        }
        let coverage = count(&app, &format!("SELECT COUNT(*) {cases} AND {decided} AND {recorded}")).await;
        let decided_n = figures(total, "decided");
        assert!(decided_n > 0 && coverage > 0, "the demo decides cases and records some");
        let rate = (coverage as f64 * 1000.0 / decided_n as f64).round() / 10.0;
        assert_eq!(total["recording_coverage"].as_f64(), Some(rate));
        // Review rounds, each by its own day.
        let (answered, approved) = match b {
            Backend::Sqlite => {
                ("json_extract(r.value, '$.outcome') IS NOT NULL", "json_extract(r.value, '$.outcome.result') = 'approved'")
            }
            Backend::Postgres => ("(r #>> '{outcome}') IS NOT NULL", "(r #>> '{outcome,result}') = 'approved'"),
        };
        let each_round = match b {
            Backend::Sqlite => "FROM cases c JOIN agencies a ON a.id = c.agency_id, json_each(c.data, '$.review.rounds') r",
            Backend::Postgres => {
                "FROM cases c JOIN agencies a ON a.id = c.agency_id, jsonb_array_elements(c.data::jsonb -> 'review' -> 'rounds') r"
            }
        };
        let round_day = match b {
            Backend::Sqlite => "json_extract(r.value, '$.submitted_on')",
            Backend::Postgres => "(r #>> '{submitted_on}')",
        };
        let round_sql = |extra: &str| {
            format!("SELECT COUNT(*) {each_round} WHERE {region} AND {}{extra}", within(round_day.to_owned()))
        };
        assert_eq!(figures(total, "review_rounds"), count(&app, &round_sql("")).await);
        let answered_n = count(&app, &round_sql(&format!(" AND {answered}"))).await;
        let approved_n = count(&app, &round_sql(&format!(" AND {approved}"))).await;
        assert!(answered_n > 0, "the demo's reviews are answered");
        let pass = (approved_n as f64 * 1000.0 / answered_n as f64).round() / 10.0;
        assert_eq!(total["review_pass_rate"].as_f64(), Some(pass));
        // Complaints, by the day they came.
        let submitted = within(field(b, "k", "submitted_on"));
        let complaints = format!("FROM complaints k JOIN agencies a ON a.id = k.agency_id WHERE {region} AND {submitted}");
        assert_eq!(figures(total, "complaints"), count(&app, &format!("SELECT COUNT(*) {complaints}")).await);
        assert_eq!(
            figures(total, "complaints_answered"),
            count(&app, &format!("SELECT COUNT(*) {complaints} AND k.answered = 1")).await
        );
        // Each procedure, each month and each agency: cases opened.
        for line in d["by_procedure"].as_array().unwrap() {
            let sql = format!(
                "SELECT COUNT(*) {cases} AND c.procedure = '{}' AND {}",
                line["key"].as_str().unwrap(),
                within("c.opened_on".into())
            );
            assert_eq!(figures(line, "opened"), count(&app, &sql).await, "{}", line["label"]);
        }
        let months = d["by_month"].as_array().unwrap();
        assert_eq!(months.first().unwrap()["key"], "2017-01");
        let mut opened_by_month = 0;
        for line in months {
            let sql = format!(
                "SELECT COUNT(*) {cases} AND substr(c.opened_on, 1, 7) = '{}' AND c.opened_on <= '{to}'",
                line["key"].as_str().unwrap()
            );
            assert_eq!(figures(line, "opened"), count(&app, &sql).await, "{}", line["key"]);
            opened_by_month += figures(line, "opened");
        }
        assert_eq!(opened_by_month, figures(total, "opened"));
        let ranking = d["ranking"].as_array().unwrap();
        assert_eq!(
            ranking.len() as i64,
            count(&app, &format!("SELECT COUNT(*) FROM agencies a WHERE {region}")).await,
            "every agency of the city is ranked"
        );
        for line in ranking {
            let sql = format!("SELECT COUNT(*) {cases} AND c.agency_id = {} AND {}", line["agency"], within("c.opened_on".into()));
            assert_eq!(figures(line, "opened"), count(&app, &sql).await, "{}", line["agency_name"]);
        }
        // Handling time in working days, counted here from the cases' days.
        let pairs_sql = match b {
            Backend::Sqlite => format!(
                "SELECT group_concat(c.opened_on || '/' || {closed_on}, ',') {cases} AND {}",
                within(closed_on.clone())
            ),
            Backend::Postgres => format!(
                "SELECT string_agg(c.opened_on || '/' || {closed_on}, ',') {cases} AND {}",
                within(closed_on.clone())
            ),
        };
        let pairs = query_text(app.service.store(), &pairs_sql).await.unwrap_or_default();
        let calendar = app.service.estimate();
        let mut days: Vec<u32> = pairs
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (a, b) = p.split_once('/').unwrap();
                calendar.working_days_between(a.parse().unwrap(), b.parse().unwrap()).unwrap()
            })
            .collect();
        assert!(!days.is_empty(), "the demo closes cases");
        days.sort_unstable();
        let p90 = days[(days.len() * 9).div_ceil(10) - 1];
        let mean = f64::from(days.iter().sum::<u32>()) / days.len() as f64;
        assert_eq!(total["p90_handling_days"].as_u64(), Some(u64::from(p90)));
        assert!((total["average_handling_days"].as_f64().unwrap() - mean).abs() <= 0.050_001);
        // Open warnings by severity.
        for severity in ["red", "yellow"] {
            let sql = format!(
                "SELECT COUNT(*) FROM warnings w JOIN agencies a ON a.id = w.agency_id WHERE {region} \
                 AND w.severity = '{severity}' AND w.status NOT IN ('accepted', 'resolved')"
            );
            let shown: i64 = d["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|w| w["severity"] == severity)
                .map(|w| w["open"].as_i64().unwrap())
                .sum();
            assert_eq!(shown, count(&app, &sql).await, "{severity} warnings open");
        }

        // Counted again from nothing: the same figures.
        let counted = app.service.rebuild_figures(|_| {}).await.unwrap();
        assert!(counted > 0);
        let again = app.get(&format!("/api/v1/dashboard?from={FROM}&to={to}"), &supervisor).await.json();
        assert_eq!(again, d, "the sums kept from the outbox are the sums counted from nothing");

        // The page (a supervisor's home), its links and its workbook.
        let browser = Browser::open_with(&app, "hz-sfj-jiandu", zhifa_demo::DEMO_PASSWORD).await;
        let home = browser.get("/console").await;
        assert_eq!(home.status, StatusCode::SEE_OTHER);
        assert_eq!(home.headers[axum::http::header::LOCATION], "/console/dashboard");
        let page = browser.get(&format!("/console/dashboard?from={FROM}&to={to}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let html = page.text();
        for text in ["执法监督数据中心", "按月趋势", "<svg", "执法机关排名", "下载 Excel"] {
            assert!(html.contains(text), "{text} missing");
        }
        let link = format!("/console/cases?by=opened&#38;from={FROM}&#38;to={to}&#38;procedure=&#38;region=3301");
        assert!(html.contains(&link), "the cases opened are a link: {link}");
        let list = browser.get(&link.replace("&#38;", "&")).await;
        assert_eq!(list.status, StatusCode::OK);
        // The list behind the figure: a page of 50 at most.
        let listed = list.text().matches("<td><a href=\"/console/cases/").count() as i64;
        assert_eq!(listed, figures(total, "opened").min(50));
        let xlsx = browser.get(&format!("/console/dashboard.xlsx?from={FROM}&to={to}")).await;
        assert_eq!(xlsx.status, StatusCode::OK);
        let sheet = zhifa_docs::excel::read_table(&xlsx.body).unwrap();
        let opened_row = sheet.rows.iter().find(|(_, r)| r.first().map(String::as_str) == Some("立案数")).unwrap();
        assert_eq!(opened_row.1[1], total["opened"].to_string());

        // An agency's head finds its own open warnings counted on its home.
        let head = Browser::open_with(&app, "hzxh-scjg-fzr", zhifa_demo::DEMO_PASSWORD).await;
        let open = count(
            &app,
            "SELECT COUNT(*) FROM warnings w JOIN agencies a ON a.id = w.agency_id \
             WHERE a.code = 'hzxh-scjg' AND w.status NOT IN ('accepted', 'resolved')",
        )
        .await;
        let home = head.get("/console").await.text();
        assert!(home.contains(&format!("未办结的预警共 {open} 条")), "{open} open warnings: {home}");

        // Another city's supervisor finds nothing of Hangzhou's.
        let ningbo = token_of(&app, "nb-sfj-jiandu").await;
        assert_eq!(app.get("/api/v1/dashboard?region=330100", &ningbo).await.status, StatusCode::NOT_FOUND);
        let agency = ranking[0]["agency"].as_i64().unwrap();
        assert_eq!(app.get(&format!("/api/v1/dashboard?agency={agency}"), &ningbo).await.status, StatusCode::NOT_FOUND);
        let own = app.get("/api/v1/dashboard", &ningbo).await.json();
        assert_eq!(own["region"], "3302");
        let bad = app.get("/api/v1/dashboard?from=2026-13-01", &supervisor).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.text().contains("起始日期应为日期"), "{}", bad.text());
    })
    .await;
}
