#![expect(clippy::unwrap_used, reason = "test helpers outside #[test] functions unwrap freely")]
//! The router driven in-process on SQLite and PostgreSQL: scopes, CSRF,
//! throttling, tokens, records and the Excel round trip.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zhifa_service::{Actor, Service};
use zhifa_store::testing::{TestDb, each_backend};
use zhifa_web::{AppState, router};

#[path = "web/cases.rs"]
mod cases;
#[path = "web/dashboard.rs"]
mod dashboard;
#[path = "web/inspections.rs"]
mod inspections;
#[path = "web/integrity.rs"]
mod integrity;
#[path = "web/publicity.rs"]
mod publicity;
#[path = "web/registries.rs"]
mod registries;
#[path = "web/review.rs"]
mod review;
#[path = "web/warnings.rs"]
mod warnings;

const PASSWORD: &str = "correct horse battery";

struct App {
    router: Router,
    service: Service,
    /// While not 0: the service's clock stands at this second
    /// (`App::on_day`), as when officers record a step on its day.
    day: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl std::fmt::Debug for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.text())
    }
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl App {
    fn new(db: &TestDb) -> App {
        Self::with_clock_ahead(db, std::sync::Arc::default())
    }

    /// The same, with the service's clock `ahead` seconds in the future.
    fn with_clock_ahead(db: &TestDb, ahead: std::sync::Arc<std::sync::atomic::AtomicI64>) -> App {
        use std::sync::atomic::Ordering::SeqCst;
        let day = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
        let set = day.clone();
        let clock: zhifa_service::Clock = std::sync::Arc::new(move || match set.load(SeqCst) {
            0 => jiff::Timestamp::now() + jiff::SignedDuration::from_secs(ahead.load(SeqCst)),
            at => jiff::Timestamp::from_second(at).unwrap(),
        });
        let service = Service::new(
            db.store.clone(),
            zhifa_calendar::Calendar::embedded().unwrap(),
            zhifa_store::testing::test_signer(),
        )
        .with_blobs(zhifa_service::Blobs::new(db.dir.join("evidence")))
        .with_search(zhifa_search::SearchIndex::in_memory().unwrap(), zhifa_search::ListIndex::in_memory().unwrap())
        .with_clock(clock);
        App { router: router(AppState::new(service.clone(), false)), service, day }
    }

    /// Run `f` with the clock at 15:00 (Beijing) of `on` (`YYYY-MM-DD`; empty:
    /// now): a step recorded on the day it happened.
    async fn on_day<T>(&self, on: &str, f: impl std::future::Future<Output = T>) -> T {
        use std::sync::atomic::Ordering::SeqCst;
        if let Ok(date) = on.parse::<jiff::civil::Date>() {
            let at = date.at(15, 0, 0, 0).in_tz("Asia/Shanghai").unwrap().timestamp();
            self.day.store(at.as_second(), SeqCst);
        }
        let out = f.await;
        self.day.store(0, SeqCst);
        out
    }

    /// The same, looking for the PDFs' fonts in `dirs` only.
    fn with_font_dirs(&self, dirs: Vec<std::path::PathBuf>) -> App {
        let service = self.service.clone().with_font_dirs(dirs);
        App { router: router(AppState::new(service.clone(), false)), service, day: self.day.clone() }
    }

    /// The same, serving `registry` too.
    /// The same, with these provinces' amounts.
    fn with_amounts(&self, amounts: zhifa_domain::amounts::Amounts) -> App {
        let service = self.service.clone().with_amounts(amounts);
        App { router: router(AppState::new(service.clone(), false)), service, day: self.day.clone() }
    }

    fn with_registry(&self, registry: &'static zhifa_domain::registry::RegistryInfo) -> App {
        let service = self.service.clone().with_registry(registry);
        App { router: router(AppState::new(service.clone(), false)), service, day: self.day.clone() }
    }

    async fn send(&self, req: Request<Body>) -> Resp {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        Resp { status, headers, body }
    }

    async fn get(&self, path: &str, token: &str) -> Resp {
        self.send(
            Request::get(path).header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).unwrap(),
        )
        .await
    }

    async fn post_json(&self, path: &str, token: &str, body: Value) -> Resp {
        self.send(
            Request::post(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    async fn put_json(&self, path: &str, token: &str, body: Value) -> Resp {
        self.send(
            Request::put(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    /// Sign in through the console form; returns the session cookie and the
    /// CSRF token of the console's forms.
    async fn sign_in(&self, username: &str, password: &str) -> Resp {
        self.send(login_post(&self.router, username, password).await).await
    }
}

/// The sign-in form of `router`, filled in and ready to post (with the
/// form's double-submit cookie).
async fn login_post(router: &Router, username: &str, password: &str) -> Request<Body> {
    let form = router.clone().oneshot(Request::get("/console/login").body(Body::empty()).unwrap()).await.unwrap();
    let cookie = form.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let csrf = cookie.split_once('=').unwrap().1.to_owned();
    let body = format!("csrf_token={csrf}&username={username}&password={}", password.replace(' ', "+"));
    Request::post("/console/login")
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

/// The fixture world: agencies A and B in city 3301 (Hangzhou), C in city 3302
/// (Ningbo), a supervisor of city 3301, an officer and a head of A; returns
/// (agency ids, tokens by username).
struct World {
    a: i64,
    b: i64,
    c: i64,
    officer_a: String,
    head_a: String,
    supervisor_x: String,
    /// The number of an inspection case of agency a, opened today at its
    /// first stage (检查准备): what evidence uploads name.
    case_a: String,
}

async fn world(app: &App) -> World {
    use zhifa_domain::agency::AgencyForm;
    use zhifa_domain::people::UserForm;
    let sys = Actor::System("test");
    let s = &app.service;
    let mk = |code: &str, region: &str, n: u32| {
        let d = zhifa_store::testing::build::agency(code, region, n);
        AgencyForm::from(&d)
    };
    let a = s.create_agency(&sys, &mk("agency-a", "330106", 1)).await.unwrap();
    let b = s.create_agency(&sys, &mk("agency-b", "330102", 2)).await.unwrap();
    let c = s.create_agency(&sys, &mk("agency-c", "330203", 3)).await.unwrap();
    let x = s.create_agency(&sys, &mk("city-x-justice", "330100", 4)).await.unwrap();
    let user = |username: &str, role: &str| UserForm {
        username: username.into(),
        name: username.into(),
        role: role.into(),
        ..Default::default()
    };
    let mut tokens = Vec::new();
    for (agency, username, role) in
        [(a, "officer-a", "officer"), (a, "head-a", "head"), (x, "super-x", "supervisor"), (b, "head-b", "head")]
    {
        let id = s.create_user(&sys, agency, &user(username, role), Some(PASSWORD)).await.unwrap();
        tokens.push(s.create_token(&sys, id, "测试").await.unwrap().1);
    }
    let opening = json!({
        "procedure": "inspection", "title": "食品经营日常检查", "facts": "对经营场所开展日常检查。",
        "legal_basis": "《中华人民共和国食品安全法》第一百一十条", "handlers": [],
        "party": { "kind": "person", "name": "张三丰", "number": "11010519491231002X" }
    });
    let r = app.post_json("/api/v1/cases", &tokens[0], opening).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    World {
        a: a.0,
        b: b.0,
        c: c.0,
        officer_a: tokens[0].clone(),
        head_a: tokens[1].clone(),
        supervisor_x: tokens[2].clone(),
        case_a: r.json()["number"].as_str().unwrap().to_owned(),
    }
}

fn item_json(name: &str) -> Value {
    json!({
        "name": name, "category": "penalty", "basis_law": "《中华人民共和国食品安全法》",
        "basis_article": "第一百二十四条", "level": "county"
    })
}

#[tokio::test]
async fn other_agencies_resources_are_404() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let w = world(&app).await;
        let head_b = app.service.store().user_by_username("head-b").await.unwrap().unwrap();
        let (_, head_b_token) = app.service.create_token(&Actor::System("t"), head_b.user.id, "b").await.unwrap();
        let r = app.post_json(&format!("/api/v1/agencies/{}/items", w.b), &head_b_token, item_json("乙的事项")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let b_item = r.json()["id"].as_i64().unwrap();
        let b_officer = head_b.user.id.0;
        let b_cert = app
            .post_json(
                &format!("/api/v1/users/{b_officer}/certificates"),
                &head_b_token,
                json!({"number": "B0001", "categories": "penalty", "region": "330102", "valid_from": "2025-01-01", "valid_to": "2027-12-31"}),
            )
            .await;
        assert_eq!(b_cert.status, StatusCode::CREATED, "{}", b_cert.text());
        let b_cert = b_cert.json()["id"].as_i64().unwrap();

        // Officer of A: B's agency, officer, certificate, item and history are 404 —
        // the same answer as for ids that do not exist.
        for path in [
            format!("/api/v1/agencies/{}", w.b),
            format!("/api/v1/users/{b_officer}"),
            format!("/api/v1/certificates/{b_cert}"),
            format!("/api/v1/items/{b_item}"),
            format!("/api/v1/agencies/{}/items", w.b),
            format!("/api/v1/history/item/{b_item}"),
            "/api/v1/items/999999".to_owned(),
        ] {
            let r = app.get(&path, &w.officer_a).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text());
            assert_eq!(r.json()["code"], "not_found");
        }
        // Writing into B is 404 too, and leaves nothing.
        let r = app.post_json(&format!("/api/v1/agencies/{}/items", w.b), &w.head_a, item_json("越权")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // Their own agency is readable; an officer may not edit lists.
        assert_eq!(app.get(&format!("/api/v1/agencies/{}", w.a), &w.officer_a).await.status, StatusCode::OK);
        let r = app.post_json(&format!("/api/v1/agencies/{}/items", w.a), &w.officer_a, item_json("甲")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let listed = app.get("/api/v1/agencies", &w.officer_a).await.json();
        assert_eq!(listed.as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_supervisor_reads_its_city_only() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let w = world(&app).await;
        assert_eq!(app.get(&format!("/api/v1/agencies/{}", w.a), &w.supervisor_x).await.status, StatusCode::OK);
        assert_eq!(app.get(&format!("/api/v1/agencies/{}", w.b), &w.supervisor_x).await.status, StatusCode::OK);
        let r = app.get(&format!("/api/v1/agencies/{}", w.c), &w.supervisor_x).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = app.get(&format!("/api/v1/agencies/{}/users", w.c), &w.supervisor_x).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let listed = app.get("/api/v1/agencies", &w.supervisor_x).await.json();
        let codes: Vec<&str> = listed.as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
        assert!(
            codes.contains(&"agency-a") && codes.contains(&"agency-b") && !codes.contains(&"agency-c"),
            "{codes:?}"
        );
        // Reading is all a supervisor does here.
        let r = app.post_json(&format!("/api/v1/agencies/{}/items", w.a), &w.supervisor_x, item_json("x")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn forms_without_their_csrf_token_are_refused() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let w = world(&app).await;
        let signed = app.sign_in("head-a", PASSWORD).await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.text());
        let session = signed.headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
        let set_cookie = signed.headers[header::SET_COOKIE].to_str().unwrap();
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");

        let page = app
            .send(
                Request::get(format!("/console/agencies/{}/items/new", w.a))
                    .header(header::COOKIE, &session)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        assert!(html.contains("新增 · 执法事项清单"), "the console is in Chinese");
        let csrf = html.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();

        let post = |body: String| {
            Request::post(format!("/console/agencies/{}/items", w.a))
                .header(header::COOKIE, &session)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap()
        };
        let fields = "name=%E7%94%B2&category=penalty&basis_law=x&basis_article=y&level=county";
        let r = app.send(post(fields.to_owned())).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "no token");
        let r = app.send(post(format!("csrf_token=wrong&{fields}"))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "wrong token");
        assert!(
            app.service
                .store()
                .entries::<zhifa_domain::registry::Items>(zhifa_domain::ids::AgencyId(w.a))
                .await
                .unwrap()
                .is_empty()
        );
        let r = app.send(post(format!("csrf_token={csrf}&{fields}"))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        assert_eq!(
            app.service
                .store()
                .entries::<zhifa_domain::registry::Items>(zhifa_domain::ids::AgencyId(w.a))
                .await
                .unwrap()
                .len(),
            1
        );

        // An API write with the session cookie needs the token as a header.
        let api = |csrf: Option<&str>| {
            let mut b = Request::post(format!("/api/v1/agencies/{}/items", w.a))
                .header(header::COOKIE, &session)
                .header(header::CONTENT_TYPE, "application/json");
            if let Some(c) = csrf {
                b = b.header("x-csrf-token", c);
            }
            b.body(Body::from(item_json("乙").to_string())).unwrap()
        };
        assert_eq!(app.send(api(None)).await.status, StatusCode::FORBIDDEN);
        assert_eq!(app.send(api(Some(&csrf))).await.status, StatusCode::CREATED);

        // The login form itself carries a token.
        let r = app
            .send(
                Request::post("/console/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!("username=head-a&password={}", PASSWORD.replace(' ', "+"))))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    })
    .await;
}

/// Sign in through the console form from the client address `from`.
async fn sign_in_from(router: &Router, username: &str, password: &str, from: &str) -> (StatusCode, String) {
    let mut req = login_post(router, username, password).await;
    let addr: std::net::SocketAddr = format!("{from}:40000").parse().unwrap();
    req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
    let r = router.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let body = r.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// ASVS 6.3 (issue 23): wrong passwords slow down the address they come
/// from — per user, and over all users for a sprayed password — by a delay
/// that doubles; nobody can lock a user out from elsewhere.
#[tokio::test]
async fn asvs_6_3_wrong_passwords_slow_their_address_and_never_lock_the_user_out() {
    each_backend(|db| async move {
        let ahead = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
        let app = App::with_clock_ahead(&db, ahead.clone());
        world(&app).await;
        let later = |seconds: i64| ahead.fetch_add(seconds, std::sync::atomic::Ordering::SeqCst);
        let r = &app.router;
        let wrong = "wrong password!";

        // Three wrong passwords from one address cost nothing; the fourth
        // attempt waits a second, even with the right password.
        for i in 1..=3 {
            let (status, text) = sign_in_from(r, "officer-a", wrong, "10.0.0.1").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
            assert!(text.contains("用户名或密码错误"));
        }
        let (status, text) = sign_in_from(r, "officer-a", PASSWORD, "10.0.0.1").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(text.contains("请 1 秒后再试"), "{text}");
        // The user, from their own desk, is not held up.
        assert_eq!(sign_in_from(r, "officer-a", PASSWORD, "10.0.0.2").await.0, StatusCode::SEE_OTHER);
        // The delay waited out, the right password works from there too.
        later(2);
        assert_eq!(sign_in_from(r, "officer-a", PASSWORD, "10.0.0.1").await.0, StatusCode::SEE_OTHER);

        // The delay doubles with each further failure.
        for _ in 0..3 {
            sign_in_from(r, "head-a", wrong, "10.0.0.3").await;
        }
        for expected in [1, 2, 4, 8] {
            let (status, text) = sign_in_from(r, "head-a", wrong, "10.0.0.3").await;
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{text}");
            assert!(text.contains(&format!("请 {expected} 秒后再试")), "{expected}: {text}");
            later(expected);
            assert_eq!(sign_in_from(r, "head-a", wrong, "10.0.0.3").await.0, StatusCode::UNAUTHORIZED);
        }

        // One password sprayed over many users from one address is slowed too.
        for n in 0..10 {
            let (status, _) = sign_in_from(r, &format!("user-{n}"), wrong, "10.0.0.9").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "user-{n}");
        }
        assert_eq!(sign_in_from(r, "super-x", wrong, "10.0.0.9").await.0, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(sign_in_from(r, "super-x", PASSWORD, "10.0.0.8").await.0, StatusCode::SEE_OTHER);

        // Every failure is recorded with its address.
        let failed: Vec<_> = app
            .service
            .store()
            .records_after(0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.kind == "session.sign_in_failed")
            .collect();
        assert_eq!(failed.len(), 3 + 3 + 4 + 10);
        assert!(String::from_utf8_lossy(&failed[0].body).contains(r#""client":"10.0.0.1""#));

        // Behind a trusted proxy, the address it appended counts; otherwise
        // the header is the client's own words and is ignored.
        let proxied = router(AppState::behind_proxy(app.service.clone(), false, true));
        for (router, expected) in [(&proxied, "192.0.2.7"), (&app.router, "10.0.0.5")] {
            let mut req = login_post(router, "nobody", "x").await;
            req.headers_mut().insert("x-forwarded-for", "203.0.113.1, 192.0.2.7".parse().unwrap());
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo("10.0.0.5:1".parse::<std::net::SocketAddr>().unwrap()));
            assert_eq!(router.clone().oneshot(req).await.unwrap().status(), StatusCode::UNAUTHORIZED);
            let last = app.service.store().records_after(0, 10_000).await.unwrap().pop().unwrap();
            assert!(String::from_utf8_lossy(&last.body).contains(&format!(r#""client":"{expected}""#)), "{expected}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_token_works_until_revoked() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let w = world(&app).await;
        let me = app.get("/api/v1/me", &w.head_a).await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.json()["username"], "head-a");
        let user_id = me.json()["user_id"].as_i64().unwrap();
        let created =
            app.post_json(&format!("/api/v1/users/{user_id}/tokens"), &w.head_a, json!({"name": "脚本"})).await;
        assert_eq!(created.status, StatusCode::CREATED);
        let (id, token) =
            (created.json()["id"].as_i64().unwrap(), created.json()["token"].as_str().unwrap().to_owned());
        assert_eq!(app.get("/api/v1/me", &token).await.status, StatusCode::OK);
        let r = app
            .send(
                Request::delete(format!("/api/v1/tokens/{id}"))
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r = app.get("/api/v1/me", &token).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.json()["code"], "invalid_token");
        assert_eq!(app.get("/api/v1/me", "zft_made-up").await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.get("/api/v1/me", &w.head_a).await.status, StatusCode::OK, "other tokens live on");
    })
    .await;
}

#[tokio::test]
async fn each_registry_change_leaves_one_record_with_its_actor() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let w = world(&app).await;
        let store = app.service.store().clone();
        let head = app.get("/api/v1/me", &w.head_a).await.json();
        let head_id = head["user_id"].as_i64().unwrap();
        let a = w.a;
        let cases: Vec<(&str, String, Value, &str)> = vec![
            ("item", format!("/api/v1/agencies/{a}/items"), item_json("甲"), "item.create"),
            (
                "inspection_item",
                format!("/api/v1/agencies/{a}/inspection-items"),
                json!({"name":"抽查","basis":"依据","object":"对象","content":"内容","ratio":"5%","method":"现场","frequency":"每年"}),
                "inspection_item.create",
            ),
            (
                "service_guide",
                format!("/api/v1/agencies/{a}/service-guides"),
                json!({"item":"事项","basis":"依据","accepting_body":"受理","approving_body":"决定","conditions":"条件","materials":"材料","flow":"流程","time_limit":"20日","supervision":"渠道"}),
                "service_guide.create",
            ),
            (
                "discretion_benchmark",
                format!("/api/v1/agencies/{a}/discretion-benchmarks"),
                json!({"violation":"销售超过保质期的食品","basis":"《食品安全法》第三十四条","penalty_basis":"《食品安全法》第一百二十四条","circumstances":"一般","criteria":"货值金额一万元以下","range":"处五万元以上十万元以下罚款"}),
                "discretion_benchmark.create",
            ),
            ("user", format!("/api/v1/agencies/{a}/users"), json!({"username":"new-officer","name":"新人","role":"officer"}), "user.create"),
        ];
        for (entity, path, body, kind) in cases {
            let before = store.record_count().await.unwrap();
            let r = app.post_json(&path, &w.head_a, body.clone()).await;
            assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text());
            assert_eq!(store.record_count().await.unwrap(), before + 1, "{kind}");
            let id = r.json()["id"].as_i64().unwrap();
            let records = store.records_of(entity, id).await.unwrap();
            assert_eq!(records.len(), 1, "{kind}");
            assert_eq!((records[0].kind.as_str(), records[0].actor_id.map(|u| u.0)), (kind, Some(head_id)));
            assert_eq!(records[0].actor_name, "head-a");

            // An update: one more record, same actor, and the history shows both.
            let path_one = format!("/api/v1/{}/{id}", match entity {
                "item" => "items",
                "inspection_item" => "inspection-items",
                "service_guide" => "service-guides",
                "discretion_benchmark" => "discretion-benchmarks",
                _ => "users",
            });
            let mut update = body.clone();
            update["version"] = json!(1);
            let r = app
                .send(
                    Request::put(&path_one)
                        .header(header::AUTHORIZATION, format!("Bearer {}", w.head_a))
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(update.to_string()))
                        .unwrap(),
                )
                .await;
            assert_eq!(r.status, StatusCode::NO_CONTENT, "{path_one}: {}", r.text());
            let records = store.records_of(entity, id).await.unwrap();
            assert_eq!(records.len(), 2);
            assert_eq!(records[1].actor_name, "head-a");
            let history = app.get(&format!("/api/v1/history/{entity}/{id}"), &w.head_a).await.json();
            assert_eq!(history.as_array().unwrap().len(), 2);
            // A stale version is refused and recorded nowhere.
            let r = app
                .send(
                    Request::put(&path_one)
                        .header(header::AUTHORIZATION, format!("Bearer {}", w.head_a))
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(update.to_string()))
                        .unwrap(),
                )
                .await;
            assert_eq!(r.status, StatusCode::CONFLICT);
            assert_eq!(store.records_of(entity, id).await.unwrap().len(), 2);
        }
        // A bad value is refused with a Chinese message naming the field.
        let mut bad = item_json("x");
        bad["category"] = json!("胡乱");
        let r = app.post_json(&format!("/api/v1/agencies/{a}/items"), &w.head_a, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.json()["message"].as_str().unwrap().starts_with("执法类别："), "{}", r.text());
    })
    .await;
}

#[tokio::test]
async fn excel_round_trip_of_the_demo_item_list() {
    each_backend(|db| async move {
        let app = App::new(&db);
        zhifa_demo::create(&app.service).await.unwrap();
        let sys = Actor::System("test");
        let admin = app.service.store().user_by_username("admin").await.unwrap().unwrap();
        let (_, token) = app.service.create_token(&sys, admin.user.id, "t").await.unwrap();
        let source = app.service.agency_by_code(&sys, "hzxh-scjg").await.unwrap();
        let first = app.get(&format!("/api/v1/agencies/{}/items.xlsx", source.id), &token).await;
        assert_eq!(first.status, StatusCode::OK);
        assert!(first.headers[header::CONTENT_TYPE].to_str().unwrap().contains("spreadsheetml"));

        let fresh = zhifa_domain::agency::AgencyForm::from(&zhifa_store::testing::build::agency("fresh", "330106", 77));
        let fresh = app.service.create_agency(&sys, &fresh).await.unwrap();
        let import = |bytes: Vec<u8>| {
            Request::post(format!("/api/v1/agencies/{fresh}/items.xlsx"))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from(bytes))
                .unwrap()
        };
        let r = app.send(import(first.body.clone())).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let second = app.get(&format!("/api/v1/agencies/{fresh}/items.xlsx"), &token).await;
        let t1 = zhifa_docs::excel::read_table(&first.body).unwrap();
        let t2 = zhifa_docs::excel::read_table(&second.body).unwrap();
        assert!(t1.rows.len() >= 3, "the demo has items");
        assert_eq!(t1, t2, "export → import → export holds the same rows");

        // A malformed row: reported with its number, nothing imported.
        let mut rows: Vec<Vec<String>> = t1.rows.iter().map(|(_, r)| r.clone()).collect();
        rows[1][2] = "不存在的类别".into();
        let headers: Vec<&str> = t1.headers.iter().map(String::as_str).collect();
        let bad = zhifa_docs::excel::write_table("x", &headers, &rows).unwrap();
        let before = app.service.store().record_count().await.unwrap();
        let r = app.send(import(bad)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.json()["message"].as_str().unwrap().contains("第 3 行"), "{}", r.text());
        assert_eq!(app.service.store().record_count().await.unwrap(), before);
        assert_eq!(
            app.service.store().entries::<zhifa_domain::registry::Items>(fresh).await.unwrap().len(),
            t1.rows.len()
        );

        // The personnel list round-trips too.
        let people = app.get(&format!("/api/v1/agencies/{}/personnel.xlsx", source.id), &token).await;
        let other =
            zhifa_domain::agency::AgencyForm::from(&zhifa_store::testing::build::agency("fresh-two", "330106", 78));
        let other = app.service.create_agency(&sys, &other).await.unwrap();
        let mut t = zhifa_docs::excel::read_table(&people.body).unwrap();
        for (_, row) in &mut t.rows {
            row[0] = format!("copy-{}", row[0]);
            if !row[6].is_empty() {
                row[6] = format!("X{}", row[6]);
            }
        }
        let headers: Vec<&str> = t.headers.iter().map(String::as_str).collect();
        let rows: Vec<Vec<String>> = t.rows.iter().map(|(_, r)| r.clone()).collect();
        let copy = zhifa_docs::excel::write_table("x", &headers, &rows).unwrap();
        let r = app
            .send(
                Request::post(format!("/api/v1/agencies/{other}/personnel.xlsx"))
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .body(Body::from(copy))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let again = app.get(&format!("/api/v1/agencies/{other}/personnel.xlsx"), &token).await;
        assert_eq!(zhifa_docs::excel::read_table(&again.body).unwrap().rows, t.rows);
    })
    .await;
}

#[tokio::test]
async fn health_openapi_and_console_in_chinese() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let r = app.send(Request::get("/healthz").body(Body::empty()).unwrap()).await;
        assert_eq!(r.status, StatusCode::OK);
        let doc = app.send(Request::get("/api/v1/openapi.json").body(Body::empty()).unwrap()).await.json();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert!(doc["paths"]["/api/v1/items/{id}"]["put"].is_object());
        let login = app.send(Request::get("/console/login").body(Body::empty()).unwrap()).await;
        assert!(login.text().contains("<html lang=\"zh-CN\">") && login.text().contains("登录"));
        let r = app.send(Request::get("/console").body(Body::empty()).unwrap()).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "unsigned users go to the sign-in page");
        let r = app.send(Request::get("/api/v1/agencies").body(Body::empty()).unwrap()).await;
        assert_eq!((r.status, r.json()["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    })
    .await;
}

async fn get_public(app: &App, path: &str) -> Resp {
    app.send(Request::get(path).body(Body::empty()).unwrap()).await
}

/// Issue 24, item 7: the portal's errors in its own dress, leading to its
/// home page, not to the console's sign-in; a favicon.
#[tokio::test]
async fn portal_errors_are_portal_pages_and_there_is_a_favicon() {
    each_backend(|db| async move {
        let app = App::new(&db);
        for path in ["/no-such-page", "/decisions/999999", "/reports/abc"] {
            let r = get_public(&app, path).await;
            assert!(r.status.is_client_error(), "{path}: {}", r.status);
            let page = r.text();
            assert!(
                page.contains(r#"<body class="portal">"#) && page.contains(r#"<a href="/">返回公示首页</a>"#),
                "{path}: {page}"
            );
            assert!(!page.contains(r#"href="/console"#), "{path}: no way into the console: {page}");
        }
        let missing = get_public(&app, "/no-such-page").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(missing.text().contains("<h1>页面不存在</h1>"), "{}", missing.text());
        // A method the portal lacks keeps its Allow.
        let r = app.send(Request::post("/decisions").body(Body::empty()).unwrap()).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(r.headers.contains_key("allow") && r.text().contains("返回公示首页"), "{}", r.text());
        let api = get_public(&app, "/api/v1/no-such").await;
        assert_eq!(api.json()["code"], "not_found", "the API answers JSON");
        // The icon, at its own address and where browsers look.
        for path in ["/favicon.ico", "/static/favicon.svg"] {
            let r = get_public(&app, path).await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            assert_eq!(r.headers["content-type"], "image/svg+xml", "{path}");
            assert!(r.text().starts_with("<svg"), "{path}");
        }
        let home = get_public(&app, "/").await.text();
        assert!(home.contains(r#"<link rel="icon" type="image/svg+xml" href="/static/favicon.svg?v="#), "{home}");
    })
    .await;
}

#[tokio::test]
async fn a_request_that_cannot_be_read_is_answered_in_chinese() {
    each_backend(|db| async move {
        let app = App::new(&db);
        // Under /api/: the error as JSON, with its stable code.
        let r = get_public(&app, "/api/v1/public/decisions?page=abc").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json()["code"], "invalid_input");
        assert!(r.json()["message"].as_str().unwrap().contains("查询参数有误"), "{}", r.text());
        let r = get_public(&app, "/api/v1/public/decisions/abc").await;
        assert_eq!((r.status, r.json()["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
        // Elsewhere: a page in Chinese, not axum's English text.
        for (path, status, words) in [
            ("/decisions?page=abc", StatusCode::BAD_REQUEST, "查询参数有误"),
            ("/search?q=a&q=b", StatusCode::BAD_REQUEST, "查询参数有误"),
            ("/decisions/abc", StatusCode::NOT_FOUND, "页面不存在"),
        ] {
            let r = get_public(&app, path).await;
            assert_eq!(r.status, status, "{path}");
            let text = r.text();
            assert!(text.contains("<html") && text.contains(words), "{path}: {text}");
            assert!(!text.contains("Failed to deserialize") && !text.contains("Invalid URL"), "{path}: {text}");
        }
        // A page number past every result (schemathesis found these panicking
        // on the offset's overflow): an empty page, never a dropped connection.
        let huge = i64::MAX - 1;
        for path in [
            format!("/api/v1/public/decisions?page={huge}"),
            format!("/api/v1/public/decisions?q=%E9%A3%9F%E5%93%81&page={huge}"),
            format!("/api/v1/public/lists?page={huge}"),
            format!("/decisions?page={huge}"),
            format!("/search?q=x&page={huge}"),
            format!("/decisions?page={}", i64::MIN),
        ] {
            let r = get_public(&app, &path).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        }
    })
    .await;
}

/// Issue 23: axum's own rejections (a body it cannot read, a method a route
/// lacks, a body over the limit) are ours: `{code, message}` in Chinese
/// under `/api/`, a page elsewhere; a refused console write answers a 4xx.
#[tokio::test]
async fn every_rejection_is_answered_in_chinese_with_its_code() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let w = world(&app).await;
        let items = format!("/api/v1/agencies/{}/items", w.a);
        let send = |method: &str, path: &str, content_type: Option<&str>, body: Vec<u8>| {
            let mut b = Request::builder()
                .method(method)
                .uri(path)
                .header(header::AUTHORIZATION, format!("Bearer {}", w.head_a));
            if let Some(t) = content_type {
                b = b.header(header::CONTENT_TYPE, t);
            }
            b.body(Body::from(body)).unwrap()
        };
        let json = Some("application/json");
        for (req, status, code, words) in [
            (send("POST", &items, json, b"{not json".to_vec()), 400, "bad_request", "请求无法读取"),
            (
                send("POST", &items, None, item_json("甲").to_string().into_bytes()),
                415,
                "unsupported_media_type",
                "JSON",
            ),
            (send("POST", "/api/v1/cases/1/retrieval", json, b"{}".to_vec()), 422, "invalid_input", "缺少字段 reason"),
            (
                send("POST", "/api/v1/cases/1/retrieval", json, br#"{"reason":1}"#.to_vec()),
                422,
                "invalid_input",
                "类型",
            ),
            (send("DELETE", &items, None, Vec::new()), 405, "method_not_allowed", "请求方法"),
            (send("POST", &format!("{items}.xlsx"), None, vec![0; 3 << 20]), 413, "too_large", "2 MB"),
        ] {
            let what = format!("{} {}", req.method(), req.uri());
            let r = app.send(req).await;
            assert_eq!(r.status.as_u16(), status, "{what}: {}", r.text());
            assert_eq!(r.json()["code"], code, "{what}: {}", r.text());
            assert!(r.json()["message"].as_str().unwrap().contains(words), "{what}: {}", r.text());
        }

        // The console: a form it cannot read is a Chinese page; a refused
        // write (an answer to a complaint that is not there) is a 404.
        let signed = app.sign_in("head-a", PASSWORD).await;
        let session = signed.headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
        let page = app
            .send(Request::get("/console/complaints").header(header::COOKIE, &session).body(Body::empty()).unwrap())
            .await
            .text();
        let csrf = page.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let post = |body: String| {
            Request::post("/console/complaints/999999")
                .header(header::COOKIE, &session)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap()
        };
        let r = app.send(post(format!("csrf_token={csrf}&version=abc&text=x"))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert!(r.text().contains("<html") && r.text().contains("无法读取"), "{}", r.text());
        let r = app.send(post(format!("csrf_token={csrf}&version=1&text=%E5%B7%B2%E5%A4%84%E7%90%86"))).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    })
    .await;
}

/// tus: `Upload-Length: 0` is an empty upload, complete at once; a number
/// written `+10` is not a tus number.
#[tokio::test]
async fn tus_takes_an_empty_upload_and_refuses_signed_numbers() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let w = world(&app).await;
        let create = |length: &str| {
            tus("POST", "/api/v1/uploads", &w.officer_a)
                .header("Upload-Length", length)
                .header("Upload-Metadata", tus_metadata(&w.case_a, &jiff::Timestamp::now().to_string()))
                .body(Body::empty())
                .unwrap()
        };
        for bad in ["+10", "-1", "1e3", " 10", ""] {
            let r = app.send(create(bad)).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad:?}: {}", r.text());
        }
        let r = app.send(create("0")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let location = r.headers[header::LOCATION].to_str().unwrap().to_owned();
        let r = app.send(tus("HEAD", &location, &w.officer_a).body(Body::empty()).unwrap()).await;
        assert_eq!(
            (r.headers["Upload-Offset"].to_str().unwrap(), r.headers["Upload-Length"].to_str().unwrap()),
            ("0", "0")
        );
        let id = location.rsplit('/').next().unwrap();
        let e = app.get(&format!("/api/v1/evidence/{id}"), &w.officer_a).await.json();
        assert_eq!(e["state"], "complete");
        assert_eq!(e["content_hash"], zhifa_ledger::hex(&zhifa_ledger::HashAlg::Sm3.digest(&[b""])));
        let r = app.send(patch(&location, &w.officer_a, 0, Body::from(vec![1u8]))).await;
        assert!(r.status.is_client_error(), "nothing more goes into a complete upload: {}", r.status);
    })
    .await;
}

#[tokio::test]
async fn the_calendar_api_is_public() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let r = get_public(&app, "/api/v1/calendar/days?from=2025-09-27&to=2025-10-12").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let days = r.json()["days"].as_array().unwrap().clone();
        assert_eq!(days.len(), 16);
        assert_eq!(days[1], json!({"date": "2025-09-28", "kind": "swapped-workday", "name": "国庆节、中秋节"}));
        assert_eq!(days[4]["kind"], "holiday");
        assert_eq!(days[15], json!({"date": "2025-10-12", "kind": "weekend", "name": null}));

        let r = get_public(&app, "/api/v1/calendar/deadline?from=2025-09-30&working_days=7").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        insta::assert_json_snapshot!("deadline_2025_09_30_7_working_days", r.json());

        let r = get_public(&app, "/api/v1/calendar/deadline?from=2025-07-03&days=90").await.json();
        assert_eq!((r["due"].as_str(), r["nominal_end"].as_str()), (Some("2025-10-09"), Some("2025-10-01")));
        let r =
            get_public(&app, "/api/v1/calendar/deadline?from=2024-02-08&period=penalty.publication_withdrawal").await;
        let r = r.json();
        assert_eq!(r["due"], "2024-02-19");
        assert_eq!(r["legal_period"]["basis"], "《行政处罚法》第四十八条、第八十五条");

        let periods = get_public(&app, "/api/v1/calendar/periods").await.json();
        assert!(periods.as_array().unwrap().iter().any(|p| p["id"] == "penalty.service"));
        let years = get_public(&app, "/api/v1/calendar/years").await.json();
        assert_eq!(years.as_array().unwrap().len(), 8);

        // Errors: a stable code and a Chinese message.
        for (path, status, code, words) in [
            ("/api/v1/calendar/deadline?from=2026-12-24&working_days=7", 422, "calendar_year_missing", "2027年"),
            ("/api/v1/calendar/days?from=2026-12-30&to=2027-01-02", 422, "calendar_year_missing", "尚未载入"),
            ("/api/v1/calendar/deadline?from=2025-09-30&working_days=7&days=7", 400, "invalid_input", "之一"),
            ("/api/v1/calendar/deadline?from=2025-09-30", 400, "invalid_input", "之一"),
            ("/api/v1/calendar/deadline?from=2025-02-30&days=7", 400, "invalid_input", "不是有效的日期"),
            ("/api/v1/calendar/deadline?from=2025-09-30&working_days=0", 422, "invalid_input", "期限应为"),
            ("/api/v1/calendar/deadline?from=2025-09-30&period=nonsense", 400, "invalid_input", "nonsense"),
            ("/api/v1/calendar/days?from=2019-01-01&to=2026-12-31", 400, "invalid_input", "最多"),
            ("/api/v1/calendar/days?from=2025-02-01&to=2025-01-01", 422, "invalid_input", "晚于"),
        ] {
            let r = get_public(&app, path).await;
            assert_eq!(r.status.as_u16(), status, "{path}: {}", r.text());
            assert_eq!(r.json()["code"], code, "{path}");
            assert!(r.json()["message"].as_str().unwrap().contains(words), "{path}: {}", r.text());
        }

        let doc = get_public(&app, "/api/v1/openapi.json").await.json();
        assert!(
            doc["paths"]["/api/v1/calendar/deadline"]["get"]["security"] == json!([{}]),
            "public in the OpenAPI document"
        );
    })
    .await;
}

#[tokio::test]
async fn the_console_shows_a_month_and_which_years_have_data() {
    each_backend(|db| async move {
        let app = App::new(&db);
        world(&app).await;
        let unsigned = get_public(&app, "/console/calendar").await;
        assert_eq!(unsigned.status, StatusCode::SEE_OTHER);

        let signed = app.sign_in("head-a", PASSWORD).await;
        let session = signed.headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
        let page = |path: &str| Request::get(path).header(header::COOKIE, &session).body(Body::empty()).unwrap();
        let r = app.send(page("/console/calendar?month=2025-10&from=2025-09-30&length=7&unit=working")).await;
        assert_eq!(r.status, StatusCode::OK);
        let html = r.text();
        assert!(html.contains("2025年10月"), "{html}");
        assert_eq!(html.matches("<td class=\"day holiday").count(), 8, "1–8 October are holidays");
        assert_eq!(html.matches("<td class=\"day swapped-workday").count(), 1, "11 October is swapped");
        assert!(html.contains("国庆节、中秋节"));
        assert!(html.contains("href=\"/console/calendar?month=2025-09\"") && html.contains("month=2025-11"));
        assert!(html.contains("<strong class=\"due\">2025-10-16</strong>"), "the calculator answered");
        assert!(html.contains("国办发明电〔2025〕7号"), "the years table names the notices");

        let html = app.send(page("/console/calendar?month=2030-01")).await.text();
        assert!(html.contains("2030年的节假日安排尚未载入"), "{html}");
    })
    .await;
}

#[tokio::test]
async fn the_ledger_is_public_and_its_checkpoint_verifies_with_openssl() {
    use base64::Engine;
    use zhifa_ledger::{HashAlg, verify_consistency, verify_inclusion};
    fn b64(s: &Value) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.decode(s.as_str().unwrap()).unwrap()
    }
    fn hash(s: &Value) -> [u8; 32] {
        b64(s).try_into().unwrap()
    }
    each_backend(|db| async move {
        let app = App::new(&db);
        world(&app).await;
        let key = get_public(&app, "/api/v1/ledger/public-key").await.json();
        assert_eq!((key["algorithm"].as_str(), key["hash"].as_str()), (Some("sm2"), Some("sm3")));
        assert_eq!(key["distid"], "1234567812345678");
        let r = get_public(&app, "/api/v1/ledger/checkpoint").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
        let note = r.text();
        let (body, signatures) = note.split_once("\n\n").unwrap();
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines[0], key["origin"]);
        let size: u64 = lines[1].parse().unwrap();
        assert!(size >= 8, "agencies, users and tokens are all in the log");
        let root: [u8; 32] = base64::engine::general_purpose::STANDARD.decode(lines[2]).unwrap().try_into().unwrap();

        // OpenSSL verifies the server's signature with the published key.
        let dir = db.dir.join("openssl");
        std::fs::create_dir_all(&dir).unwrap();
        let signature = signatures.trim_end().rsplit(' ').next().unwrap();
        let blob = base64::engine::general_purpose::STANDARD.decode(signature).unwrap();
        std::fs::write(dir.join("body"), format!("{body}\n")).unwrap();
        std::fs::write(dir.join("sig"), &blob[4..]).unwrap();
        std::fs::write(dir.join("pub.pem"), key["public_key"].as_str().unwrap()).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "body", "-sigfile", "sig"])
            .args(["-digest", "sm3", "-pkeyopt", "distid:1234567812345678"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

        // Leaves, inclusion and consistency proofs check out against the checkpoint.
        let leaves = get_public(&app, &format!("/api/v1/ledger/leaves?start=0&end={size}")).await.json();
        let leaves: Vec<Vec<u8>> = leaves["leaves"].as_array().unwrap().iter().map(b64).collect();
        assert_eq!(leaves.len() as u64, size);
        assert!(leaves.iter().all(|l| !String::from_utf8_lossy(l).contains("argon2")), "no content, no secrets");
        for index in [0, size / 2, size - 1] {
            let p = get_public(&app, &format!("/api/v1/ledger/proof/inclusion?index={index}&size={size}")).await.json();
            assert_eq!(hash(&p["root"]), root);
            let proof: Vec<[u8; 32]> = p["proof"].as_array().unwrap().iter().map(hash).collect();
            let leaf = HashAlg::Sm3.leaf(&leaves[index as usize]);
            assert!(verify_inclusion(HashAlg::Sm3, index, size, &leaf, &proof, &root));
        }
        let p = get_public(&app, &format!("/api/v1/ledger/proof/consistency?first=3&second={size}")).await.json();
        let proof: Vec<[u8; 32]> = p["proof"].as_array().unwrap().iter().map(hash).collect();
        assert!(verify_consistency(HashAlg::Sm3, 3, size, &hash(&p["first_root"]), &root, &proof));

        for path in [
            "/api/v1/ledger/leaves?start=0&end=1001".to_owned(),
            format!("/api/v1/ledger/leaves?start=0&end={}", size + 1),
            format!("/api/v1/ledger/proof/inclusion?index={size}&size={size}"),
            format!("/api/v1/ledger/proof/consistency?first=0&second={size}"),
            format!("/api/v1/ledger/proof/consistency?first=1&second={}", size + 5),
        ] {
            let r = get_public(&app, &path).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.text());
        }
    })
    .await;
}

fn tus(method: &str, path: &str, token: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header("Tus-Resumable", "1.0.0")
}

fn patch(path: &str, token: &str, offset: u64, body: Body) -> Request<Body> {
    tus("PATCH", path, token)
        .header("Upload-Offset", offset.to_string())
        .header(header::CONTENT_TYPE, "application/offset+octet-stream")
        .body(body)
        .unwrap()
}

fn tus_metadata(case_number: &str, captured_at: &str) -> String {
    tus_metadata_of(case_number, captured_at, "VID_0001.mp4", "video/mp4")
}

/// The metadata of a file named `filename` that its client calls `filetype`,
/// of the first stage (检查准备) of the inspection case numbered `case_number`.
fn tus_metadata_of(case_number: &str, captured_at: &str, filename: &str, filetype: &str) -> String {
    tus_metadata_for(case_number, "检查准备", captured_at, filename, filetype)
}

/// The same, of stage `step` of the case numbered `case_number`.
fn tus_metadata_for(case_number: &str, step: &str, captured_at: &str, filename: &str, filetype: &str) -> String {
    use base64::Engine;
    let b = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    [
        ("case_number", case_number),
        ("step", step),
        ("captured_at", captured_at),
        ("place", "杭州市西湖区文三路 1 号"),
        ("collector", "王五"),
        ("proves", "现场存放过期食品"),
        ("filename", filename),
        ("filetype", filetype),
    ]
    .iter()
    .map(|(k, v)| format!("{k} {}", b(v)))
    .collect::<Vec<_>>()
    .join(",")
}

#[tokio::test]
async fn evidence_uploads_resume_after_a_broken_connection_and_verify() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let w = world(&app).await;
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();

        let r = app.send(Request::options("/api/v1/uploads").body(Body::empty()).unwrap()).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        assert_eq!(r.headers["Tus-Version"], "1.0.0");
        assert_eq!(r.headers["Tus-Extension"], "creation,termination");

        // Captured 30 hours ago: accepted, and flagged late.
        let captured = jiff::Timestamp::now().checked_sub(jiff::SignedDuration::from_hours(30)).unwrap().to_string();
        let create = |token: &str| {
            tus("POST", "/api/v1/uploads", token)
                .header("Upload-Length", bytes.len().to_string())
                .header("Upload-Metadata", tus_metadata(&w.case_a, &captured))
                .body(Body::empty())
                .unwrap()
        };
        let r = app
            .send(
                Request::post("/api/v1/uploads")
                    .header(header::AUTHORIZATION, format!("Bearer {}", w.officer_a))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "Tus-Resumable is required");
        assert_eq!(app.send(create(&w.supervisor_x)).await.status, StatusCode::FORBIDDEN, "supervisors do not upload");
        let r = app.send(create(&w.officer_a)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(r.headers["Tus-Resumable"], "1.0.0");
        let location = r.headers[header::LOCATION].to_str().unwrap().to_owned();
        let id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();

        let head = |token: &str| tus("HEAD", &location, token).body(Body::empty()).unwrap();
        let r = app.send(head(&w.officer_a)).await;
        assert_eq!(
            (r.headers["Upload-Offset"].to_str().unwrap(), r.headers["Upload-Length"].to_str().unwrap()),
            ("0", "300000")
        );

        let r = app.send(patch(&location, &w.officer_a, 0, Body::from(bytes[..100_000].to_vec()))).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        assert_eq!(r.headers["Upload-Offset"], "100000");
        let r = app.send(patch(&location, &w.officer_a, 0, Body::from(bytes[..10].to_vec()))).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "a stale offset is refused");
        assert_eq!(
            app.send(patch(&location, &w.head_a, 100_000, Body::from(vec![0u8; 10]))).await.status,
            StatusCode::FORBIDDEN
        );

        // The connection breaks after 50,000 more bytes: they are kept.
        let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = vec![
            Ok(axum::body::Bytes::copy_from_slice(&bytes[100_000..150_000])),
            Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cable pulled")),
        ];
        let broken = Body::from_stream(futures_util::stream::iter(chunks));
        let r = app.send(patch(&location, &w.officer_a, 100_000, broken)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let r = app.send(head(&w.officer_a)).await;
        assert_eq!(r.headers["Upload-Offset"], "150000");

        let r = app.send(patch(&location, &w.officer_a, 150_000, Body::from(bytes[150_000..].to_vec()))).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        assert_eq!(r.headers["Upload-Offset"], "300000");

        let e = app.get(&format!("/api/v1/evidence/{id}"), &w.officer_a).await.json();
        assert_eq!(e["state"], "complete");
        assert_eq!(e["content_hash"], zhifa_ledger::hex(&zhifa_ledger::HashAlg::Sm3.digest(&[&bytes])));
        assert_eq!(e["late"], true);
        assert_eq!(e["proves"], "现场存放过期食品");
        // Reading it from the city's justice bureau is a retrieval (调阅): a
        // reason is stated first, by POST, and recorded with it; reading writes nothing.
        let r = app.get(&format!("/api/v1/evidence/{id}?reason=x"), &w.supervisor_x).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
        assert_eq!(r.json()["code"], "retrieval_required");
        assert!(r.json()["message"].as_str().unwrap().contains("调阅理由"));
        let retrieve = format!("/api/v1/evidence/{id}/retrieval");
        let r = app.post_json(&retrieve, &w.supervisor_x, json!({ "reason": " " })).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        assert!(r.json()["message"].as_str().unwrap().contains("调阅理由"));
        let r = app.post_json(&retrieve, &w.supervisor_x, json!({ "reason": "案卷评查" })).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        let r = app.get(&format!("/api/v1/evidence/{id}"), &w.supervisor_x).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let r = app.get(&format!("/api/v1/evidence/{id}/file"), &w.supervisor_x).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, bytes, "the file comes back whole");
        // The uploader's own agency states nothing and records nothing.
        let r = app.post_json(&retrieve, &w.officer_a, json!({ "reason": "" })).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        let retrievals: Vec<_> = app
            .service
            .store()
            .records_after(0, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.kind == "retrieval.read")
            .collect();
        assert_eq!(retrievals.len(), 1, "one for the stated reason; reads and the uploader's own are not retrievals");
        assert!(retrievals.iter().all(|r| r.reason == "案卷评查" && r.actor_name == "super-x"));
        let head_b = app.service.store().user_by_username("head-b").await.unwrap().unwrap();
        let (_, head_b) = app.service.create_token(&Actor::System("t"), head_b.user.id, "b").await.unwrap();
        assert_eq!(app.get(&format!("/api/v1/evidence/{id}"), &head_b).await.status, StatusCode::NOT_FOUND);

        // Termination.
        let r = app.send(create(&w.officer_a)).await;
        let other = r.headers[header::LOCATION].to_str().unwrap().to_owned();
        app.send(patch(&other, &w.officer_a, 0, Body::from(bytes[..1000].to_vec()))).await;
        let r = app.send(tus("DELETE", &other, &w.officer_a).body(Body::empty()).unwrap()).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        assert_eq!(
            app.send(tus("HEAD", &other, &w.officer_a).body(Body::empty()).unwrap()).await.status,
            StatusCode::GONE
        );

        // Every step is in the log, and the file verifies; one byte changed does not.
        let kinds: Vec<String> =
            app.service.store().records_after(0, 1000).await.unwrap().into_iter().map(|r| r.kind).collect();
        for kind in ["upload.create", "upload.complete", "upload.terminate"] {
            assert!(kinds.iter().any(|k| k == kind), "{kind} recorded");
        }
        let report = app.service.verify(|_| {}).await.unwrap();
        assert_eq!((report.files, report.problems.len()), (1, 0), "{:?}", report.problems);
        let hex = e["content_hash"].as_str().unwrap();
        let file = db.dir.join("evidence").join("sm3").join(&hex[..2]).join(hex);
        let mut perms = std::fs::metadata(&file).unwrap().permissions();
        assert!(perms.readonly(), "stored read-only");
        #[expect(clippy::permissions_set_readonly_false, reason = "the test plays an intruder")]
        perms.set_readonly(false);
        std::fs::set_permissions(&file, perms).unwrap();
        let mut content = std::fs::read(&file).unwrap();
        content[12_345] ^= 1;
        std::fs::write(&file, content).unwrap();
        let report = app.service.verify(|_| {}).await.unwrap();
        assert!(
            report.problems.iter().any(|p| p.to_string().contains(&format!("uploads id={id}"))),
            "{:?}",
            report.problems
        );
    })
    .await;
}

/// Announce an upload of `length` bytes captured now, by agency a's officer
/// for its case; its address.
async fn create_upload(app: &App, w: &World, length: u64) -> String {
    let token = &w.officer_a;
    let r = app
        .send(
            tus("POST", "/api/v1/uploads", token)
                .header("Upload-Length", length.to_string())
                .header("Upload-Metadata", tus_metadata(&w.case_a, &jiff::Timestamp::now().to_string()))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.headers[header::LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_resuming_client_waits_for_the_patch_that_broke() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let w = world(&app).await;
        let location = create_upload(&app, &w, 300000).await;

        // A PATCH whose body arrives slowly, then breaks.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<axum::body::Bytes, std::io::Error>>(1);
        let body = Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
        let router = app.router.clone();
        let request = patch(&location, &w.officer_a, 0, body);
        let patching = tokio::spawn(async move { router.oneshot(request).await.unwrap().status() });
        // With room for one chunk, the second send returns only once the server
        // took the first: by then the PATCH holds the upload's lock.
        tx.send(Ok(axum::body::Bytes::from(vec![7u8; 50_000]))).await.unwrap();
        tx.send(Ok(axum::body::Bytes::from(vec![7u8; 50_000]))).await.unwrap();

        // The client resumes at once: its HEAD waits for the broken PATCH ...
        let router = app.router.clone();
        let head = tus("HEAD", &location, &w.officer_a).body(Body::empty()).unwrap();
        let mut heading = tokio::spawn(async move { router.oneshot(head).await.unwrap() });
        let waited = tokio::time::timeout(std::time::Duration::from_millis(300), &mut heading).await;
        assert!(waited.is_err(), "HEAD must not answer while a PATCH of the upload is under way");

        // ... and then sees every byte that PATCH wrote.
        tx.send(Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "gone"))).await.unwrap();
        assert_eq!(patching.await.unwrap(), StatusCode::BAD_REQUEST);
        let head = heading.await.unwrap();
        assert_eq!(head.headers()["Upload-Offset"], "100000");
    })
    .await;
}

#[tokio::test]
async fn an_upload_whose_bytes_all_arrived_is_completed_when_its_uploader_asks() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let w = world(&app).await;
        let bytes = vec![42u8; 5_000];
        let location = create_upload(&app, &w, 5000).await;
        let id = location.rsplit('/').next().unwrap();
        // The server stopped after the last byte reached the disk, before the completion was recorded.
        std::fs::create_dir_all(db.dir.join("evidence/uploads")).unwrap();
        std::fs::write(db.dir.join(format!("evidence/uploads/{id}.part")), &bytes).unwrap();
        let r = app.send(tus("HEAD", &location, &w.officer_a).body(Body::empty()).unwrap()).await;
        assert_eq!(r.headers["Upload-Offset"], "5000");
        let e = app.get(&format!("/api/v1/evidence/{id}"), &w.officer_a).await.json();
        assert_eq!(e["state"], "complete");
        assert_eq!(e["content_hash"], zhifa_ledger::hex(&zhifa_ledger::HashAlg::Sm3.digest(&[&bytes])));
    })
    .await;
}

/// Upload `bytes` whole as agency a's officer for its case, naming them
/// `filename` of `filetype`; the upload's id.
async fn upload_whole(app: &App, w: &World, bytes: &[u8], filename: &str, filetype: &str) -> i64 {
    let token = &w.officer_a;
    let r = app
        .send(
            tus("POST", "/api/v1/uploads", token)
                .header("Upload-Length", bytes.len().to_string())
                .header(
                    "Upload-Metadata",
                    tus_metadata_of(&w.case_a, &jiff::Timestamp::now().to_string(), filename, filetype),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let location = r.headers[header::LOCATION].to_str().unwrap().to_owned();
    let r = app.send(patch(&location, token, 0, Body::from(bytes.to_vec()))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    location.rsplit('/').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn evidence_is_served_as_its_bytes_show_never_as_its_uploader_says() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let w = world(&app).await;
        let page = b"<!DOCTYPE html><script>fetch('/api/v1/me').then(r => r.text()).then(alert)</script>";
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
        png.extend_from_slice(page);
        let cases: [(&[u8], &str, &str, &str, &str); 4] = [
            // A page with a script, called a page or called a video: a download.
            (page, "x.html", "text/html", "application/octet-stream", "attachment"),
            (page, "现场.mp4", "video/mp4", "application/octet-stream", "attachment"),
            (
                b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
                "a.svg",
                "image/svg+xml",
                "application/octet-stream",
                "attachment",
            ),
            // A picture, whatever its uploader called it, is a picture.
            (&png, "x.html", "text/html", "image/png", "inline"),
        ];
        for (bytes, filename, filetype, served, disposition) in cases {
            let id = upload_whole(&app, &w, bytes, filename, filetype).await;
            let retrieve = format!("/api/v1/evidence/{id}/retrieval");
            let r = app.post_json(&retrieve, &w.supervisor_x, json!({ "reason": "案卷评查" })).await;
            assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
            for token in [&w.officer_a, &w.supervisor_x] {
                let r = app.get(&format!("/api/v1/evidence/{id}/file"), token).await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.text());
                assert_eq!(r.body, bytes, "the file comes back whole");
                let h = |name: header::HeaderName| r.headers.get(&name).map(|v| v.to_str().unwrap().to_owned());
                assert_eq!(h(header::CONTENT_TYPE).as_deref(), Some(served), "{filename} sent as {filetype}");
                let d = h(header::CONTENT_DISPOSITION).unwrap_or_default();
                assert!(d.starts_with(&format!("{disposition};")), "{filename}: {d}");
                assert_eq!(h(header::X_CONTENT_TYPE_OPTIONS).as_deref(), Some("nosniff"));
                assert_eq!(h(header::CONTENT_SECURITY_POLICY).as_deref(), Some("sandbox"));
            }
        }
    })
    .await;
}

/// Every route written in `router()`: (method, path with its parameters filled in).
fn every_route() -> Vec<(&'static str, String)> {
    let filled = |template: String| {
        template
            .replace("{id}", "1")
            .replace("{eid}", "1")
            .replace("{case}", "1")
            .replace("{kind}", "items")
            .replace("{entity}", "item")
            .replace("{year}", "2025")
            .replace("{key}", "x")
    };
    route_templates().into_iter().map(|(method, template)| (method, filled(template))).collect()
}

/// Every route written in `router()`: (method, path as the router writes it, `{id}` and all).
fn route_templates() -> Vec<(&'static str, String)> {
    let src = include_str!("../src/lib.rs");
    let src = &src[src.find("pub fn router(").unwrap()..];
    let src = &src[..src.find("\n}\n").unwrap()];
    // Each section of the function and where its routes are nested.
    let sections = [
        ("let api = Router::new()", "/api/v1"),
        ("let uploads", "/api/v1"),
        ("let console", "/console"),
        ("\n    Router::new()", ""),
    ];
    let prefix_at = |at: usize| {
        sections
            .iter()
            .filter_map(|(mark, prefix)| src.find(mark).filter(|&m| m < at).map(|m| (m, *prefix)))
            .max()
            .unwrap()
            .1
    };
    let mut routes = Vec::new();
    for (at, _) in src.match_indices(".route(") {
        let rest = src[at + 7..].trim_start();
        let end = rest.find([')']).unwrap();
        let (path, after) = if let Some(literal) = rest.strip_prefix('"') {
            let close = literal.find('"').unwrap();
            (literal[..close].to_owned(), &literal[close..])
        } else {
            // `assets::NAME.path()`
            let name = rest[..end].trim_start_matches("assets::").trim_end_matches(".path(");
            let asset = match name {
                "CONSOLE_CSS" => &zhifa_web::assets::CONSOLE_CSS,
                "UPLOAD_JS" => &zhifa_web::assets::UPLOAD_JS,
                "FAVICON" => &zhifa_web::assets::FAVICON,
                other => panic!("a route the test does not know: {other}"),
            };
            (asset.path().to_owned(), &rest[end..])
        };
        let methods = &after[..after
            .find(".route(")
            .or_else(|| after.find(".layer("))
            .or_else(|| after.find(".nest("))
            .unwrap_or(after.len())];
        let prefix = prefix_at(at);
        let path = if path == "/" && !prefix.is_empty() { prefix.to_owned() } else { format!("{prefix}{path}") };
        // A registry's route stands for each registry's (and its workbook's).
        let paths: Vec<String> = if path.contains("{registry}") {
            let slugs = zhifa_domain::registry::BUILT_IN.iter().map(|r| r.names.slug);
            let workbooks = path.starts_with("/api/v1/agencies/").then(|| slugs.clone().map(|s| format!("{s}.xlsx")));
            slugs
                .map(str::to_owned)
                .chain(workbooks.into_iter().flatten())
                .map(|s| path.replace("{registry}", &s))
                .collect()
        } else {
            vec![path]
        };
        for method in ["get", "post", "put", "delete", "head", "patch", "options"] {
            if methods.contains(&format!("{method}(")) || methods.contains(&format!(".{method}(")) {
                routes.extend(paths.iter().map(|p| (method, p.clone())));
            }
        }
    }
    routes
}

#[tokio::test]
async fn every_route_answers_with_the_security_headers() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let w = world(&app).await;
        let routes = every_route();
        assert!(routes.len() > 100, "the router's routes were not found: {routes:?}");
        let mut checked = 0;
        for (method, path) in &routes {
            for token in [None, Some(&w.officer_a)] {
                let mut req = Request::builder().method(method.to_uppercase().as_str()).uri(path.as_str());
                if let Some(t) = token {
                    req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
                }
                let r = app.send(req.body(Body::empty()).unwrap()).await;
                let h = |name: header::HeaderName| r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
                let what = format!("{method} {path} ({})", r.status);
                assert!(h(header::CONTENT_SECURITY_POLICY).contains("default-src"), "{what}: no CSP");
                assert!(
                    !h(header::CONTENT_SECURITY_POLICY).contains("'unsafe-inline'") || path.contains("/documents/"),
                    "{what}"
                );
                assert!(h(header::CONTENT_SECURITY_POLICY).contains("frame-ancestors 'none'"), "{what}");
                assert_eq!(h(header::X_FRAME_OPTIONS), "DENY", "{what}");
                assert_eq!(h(header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{what}");
                assert_eq!(h(header::REFERRER_POLICY), "same-origin", "{what}");
                assert_eq!(h(header::STRICT_TRANSPORT_SECURITY), "", "{what}: HSTS only over HTTPS");
                if path.starts_with("/console") || path.starts_with("/api/v1") {
                    assert!(h(header::CACHE_CONTROL).contains("no-store"), "{what}: {}", h(header::CACHE_CONTROL));
                }
                checked += 1;
            }
        }
        assert_eq!(checked, routes.len() * 2);

        // Behind HTTPS (`--secure-cookies`): HSTS on every answer.
        let secure = router(AppState::new(app.service.clone(), true));
        for path in ["/", "/console/login", "/api/v1/openapi.json", "/nowhere"] {
            let r = secure.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
            assert_eq!(r.headers()[header::STRICT_TRANSPORT_SECURITY], "max-age=31536000", "{path}");
        }

        // The stylesheet a page names is kept a year and gzipped.
        let page = app.send(Request::get("/console/login").body(Body::empty()).unwrap()).await.text();
        let css = page
            .split("href=\"")
            .find_map(|s| s.split('"').next().filter(|u| u.starts_with("/static/console.css?v=")))
            .unwrap()
            .to_owned();
        let r = app
            .send(Request::get(css.as_str()).header(header::ACCEPT_ENCODING, "gzip").body(Body::empty()).unwrap())
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
        assert_eq!(r.headers[header::CONTENT_ENCODING], "gzip");
    })
    .await;
}

/// Issue 19: every console POST route of the router, posted to by a
/// signed-in head without the form's token (or with a wrong one), is refused
/// before anything is read or written.
#[tokio::test]
async fn every_console_post_without_its_token_is_refused() {
    each_backend(|db| async move {
        let app = App::new(&db);
        world(&app).await;
        let signed = app.sign_in("head-a", PASSWORD).await;
        let session = signed.headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
        let records = app.service.store().record_count().await.unwrap();
        let posts: Vec<String> = every_route()
            .into_iter()
            .filter(|(m, p)| *m == "post" && p.starts_with("/console"))
            .map(|(_, p)| p)
            .collect();
        assert!(posts.len() >= 12, "{posts:?}");
        for path in &posts {
            for (body, header_token) in [("name=x&version=1", None), ("csrf_token=wrong&name=x", Some("wrong"))] {
                let mut req = Request::post(path.as_str()).header(header::COOKIE, &session);
                if let Some(t) = header_token {
                    req = req.header("x-csrf-token", t);
                }
                // The forms with a file are multipart, the token among their fields.
                let multipart = path.ends_with("/import") || path.starts_with("/console/review-catalogue");
                let body = if multipart {
                    const BOUNDARY: &str = "zhifa-boundary";
                    req = req.header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"));
                    let part = |k: &str, v: &str| {
                        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                    };
                    let fields: Vec<(&str, &str)> = serde_urlencoded::from_str(body).unwrap();
                    let mut text: String = fields.iter().map(|(k, v)| part(k, v)).collect();
                    text.push_str(&part("op", "import"));
                    text + &format!("--{BOUNDARY}--\r\n")
                } else {
                    req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                    body.to_owned()
                };
                let r = app.send(req.body(Body::from(body)).unwrap()).await;
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.text());
                assert!(r.text().contains("表单已失效"), "{path}: {}", r.text());
            }
        }
        assert_eq!(app.service.store().record_count().await.unwrap(), records, "nothing was written");
    })
    .await;
}

/// Every `/api/v1` route of the router is in the OpenAPI document with its
/// method; public operations ask for no credentials, the rest for a bearer token.
#[tokio::test]
async fn every_api_route_is_in_the_openapi_document() {
    each_backend(|db| async move {
        let app = App::new(&db);
        let doc = get_public(&app, "/api/v1/openapi.json").await.json();
        let paths = doc["paths"].as_object().unwrap();
        let (mut missing, mut wrong) = (Vec::new(), Vec::new());
        for (method, documented) in route_templates() {
            let Some(rest) = documented.strip_prefix("/api/v1") else { continue };
            if rest == "/openapi.json" {
                continue;
            }
            let operation = &paths.get(&documented).unwrap_or(&Value::Null)[method];
            if operation.is_null() {
                missing.push(format!("{method} {documented}"));
                continue;
            }
            // The errors every operation may answer are documented.
            let documents = |status: &str| !operation["responses"][status].is_null();
            let mut expected = vec!["400", "500"];
            if documented.contains('{') {
                expected.push("404");
            }
            if operation["security"] != json!([{}]) {
                expected.extend(["401", "403"]);
            }
            if !operation["requestBody"].is_null() {
                expected.extend(["413", "415", "422"]);
            }
            for status in expected.into_iter().filter(|s| !documents(s)) {
                wrong.push(format!("{method} {documented} does not document {status}"));
            }
            // Every `{name}` of the path is a declared path parameter.
            let declared = |p: &Value| p["in"] == "path";
            let params: Vec<&str> = operation["parameters"]
                .as_array()
                .into_iter()
                .chain(paths[&documented]["parameters"].as_array())
                .flatten()
                .filter(|p| declared(p))
                .filter_map(|p| p["name"].as_str())
                .collect();
            for name in documented.split('{').skip(1).filter_map(|s| s.split('}').next()) {
                if !params.contains(&name) {
                    wrong.push(format!("{method} {documented} does not declare its path parameter {name}"));
                }
            }
            let public = method == "options"
                || rest.starts_with("/public/")
                || rest.starts_with("/calendar/")
                || rest.starts_with("/ledger/")
                || rest.starts_with("/procedures");
            let security = &operation["security"];
            if public && security != &json!([{}]) {
                wrong.push(format!("{method} {documented} is public: {security}"));
            } else if !public && !security.is_null() {
                wrong.push(format!("{method} {documented} needs the document's bearer token: {security}"));
            }
        }
        // What the server answers to requests schemathesis sent is documented.
        for (path, status) in [
            ("/api/v1/public/decisions?page=abc", "400"),
            ("/api/v1/public/decisions/abc", "404"),
            ("/api/v1/public/lists?kind=nothing", "400"),
        ] {
            let r = get_public(&app, path).await;
            assert_eq!(r.status.as_str(), status, "{path}: {}", r.text());
            let template = path.split('?').next().unwrap().replace("abc", "{id}");
            assert!(!paths[&template]["get"]["responses"][status].is_null(), "{template} does not document {status}");
        }
        // Every error code is listed with the error body.
        let codes = doc["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"].as_array().unwrap();
        for code in ["not_found", "refused", "retrieval_required", "csrf_failed", "tus_version", "internal"] {
            assert!(codes.contains(&json!(code)), "{code} not in {codes:?}");
        }
        // What a schema says is what comes back: the procedures' parts are lists.
        let procedures = get_public(&app, "/api/v1/procedures").await.json();
        let schema = &doc["components"]["schemas"]["ProcedureOut"]["properties"];
        for part in ["stages", "transitions", "limits"] {
            assert!(procedures[0][part].is_array(), "{part}");
            assert_eq!(schema[part]["type"], "array", "{part}: {}", schema[part]);
        }
        assert!(missing.is_empty(), "not in the OpenAPI document: {missing:#?}");
        assert!(wrong.is_empty(), "{wrong:#?}");
    })
    .await;
}

/// REC-3: from 1 November, an administrator's console says that next year's
/// holidays are not loaded and how to add them; before November, and for
/// other roles, it says nothing.
#[tokio::test]
async fn rec_3_the_console_tells_administrators_of_next_years_missing_holidays() {
    each_backend(|db| async move {
        use zhifa_domain::people::UserForm;
        let app = App::new(&db);
        let sys = Actor::System("test");
        let agency = zhifa_store::testing::build::agency("zj-sft", "330000", 1);
        let a = app.service.create_agency(&sys, &zhifa_domain::agency::AgencyForm::from(&agency)).await.unwrap();
        let mut tokens = Vec::new();
        for (username, role) in [("admin", "administrator"), ("jiandu", "supervisor")] {
            let form =
                UserForm { username: username.into(), name: username.into(), role: role.into(), ..Default::default() };
            let id = app.service.create_user(&sys, a, &form, Some(PASSWORD)).await.unwrap();
            tokens.push(app.service.create_token(&sys, id, "t").await.unwrap().1);
        }
        let last = app.service.calendar().years().last().unwrap().year;
        let next = format!("尚未载入 {} 年的节假日安排", last + 1);
        let home = |token: String, day: String| {
            let app = &app;
            async move { app.on_day(&day, app.get("/console", &token)).await.text() }
        };
        let page = home(tokens[0].clone(), format!("{last}-11-02")).await;
        assert!(page.contains(&next) && page.contains(&format!("{}.txt", last + 1)), "{page}");
        assert!(!home(tokens[0].clone(), format!("{last}-10-31")).await.contains("节假日安排"));
        assert!(!home(tokens[1].clone(), format!("{last}-11-02")).await.contains("节假日安排"), "administrators only");
    })
    .await;
}
