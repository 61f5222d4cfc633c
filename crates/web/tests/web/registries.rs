//! A registry defined here, in the test, and nowhere else: implementing the
//! trait, creating its table (what its migration would do) and naming it to
//! the service give it the API and its OpenAPI schemas, the console's pages,
//! Excel out and in, its history and `verify`.

use super::{App, PASSWORD, Resp, world};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde::{Deserialize, Serialize};
use serde_json::json;
use zhifa_domain::Invalid;
use zhifa_domain::error::{optional_text, required_text};
use zhifa_domain::registry::{Editors, Field, FieldKind, Form, Names, Registry, RegistryInfo};
use zhifa_store::testing::{create_registry_table, each_backend, tamper};

/// 巡查路线: a registry no crate of the platform knows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct PatrolRoute {
    name: String,
    area: String,
    frequency: String,
}

const FREQUENCIES: &[(&str, &str)] = &[("daily", "每日"), ("weekly", "每周")];

impl Form for PatrolRoute {
    const FIELDS: &'static [Field] = &[
        Field { name: "name", label: "路线名称", kind: FieldKind::Text, required: true },
        Field { name: "area", label: "巡查区域", kind: FieldKind::Long, required: false },
        Field { name: "frequency", label: "巡查频次", kind: FieldKind::Choice(FREQUENCIES), required: true },
    ];

    fn get(&self, name: &str) -> &str {
        match name {
            "name" => &self.name,
            "area" => &self.area,
            "frequency" => &self.frequency,
            _ => "",
        }
    }

    fn set(&mut self, name: &str, value: String) {
        match name {
            "name" => self.name = value,
            "area" => self.area = value,
            "frequency" => self.frequency = value,
            _ => {}
        }
    }
}

impl From<&PatrolRoute> for PatrolRoute {
    fn from(d: &PatrolRoute) -> Self {
        d.clone()
    }
}

struct PatrolRoutes;

impl Registry for PatrolRoutes {
    type Id = i64;
    type Data = PatrolRoute;
    type Form = PatrolRoute;
    const INFO: RegistryInfo = RegistryInfo::of::<Self>(Names {
        entity: "patrol_route",
        create_kind: "patrol_route.create",
        update_kind: "patrol_route.update",
        name_field: "name",
        table: "patrol_routes",
        slug: "patrol-routes",
        noun: "巡查路线",
        title: "巡查路线表",
        editors: Editors::Lists,
    });

    fn validate(form: &PatrolRoute) -> Result<PatrolRoute, Invalid> {
        let frequency = form.frequency.trim();
        let code = FREQUENCIES.iter().find(|(c, l)| *c == frequency || *l == frequency).map(|(c, _)| *c);
        Ok(PatrolRoute {
            name: required_text("路线名称", &form.name, 50)?,
            area: optional_text("巡查区域", &form.area, 500)?,
            frequency: code.ok_or_else(|| Invalid::new("巡查频次", "应为每日或每周"))?.to_owned(),
        })
    }

    fn name(data: &PatrolRoute) -> &str {
        &data.name
    }
}

fn console_get(app: &App, path: &str, session: &str) -> impl Future<Output = Resp> {
    app.send(Request::get(path).header(header::COOKIE, session).body(Body::empty()).unwrap())
}

#[tokio::test]
async fn a_registry_defined_in_a_test_gets_api_console_excel_history_and_verify() {
    each_backend(|db| async move {
        create_registry_table(&db.store, "patrol_routes").await;
        let app = App::new(&db).with_registry(&PatrolRoutes::INFO);
        let w = world(&app).await;
        let (a, head) = (w.a, w.head_a.as_str());
        let list = format!("/api/v1/agencies/{a}/patrol-routes");

        // The API: create, refuse what is invalid or not the caller's, update at a version.
        let route = json!({ "name": "西湖沿线", "area": "西湖街道", "frequency": "daily" });
        let r = app.post_json(&list, head, route.clone()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let id = r.json()["id"].as_i64().unwrap();
        let r = app.post_json(&list, head, json!({ "area": "无名", "frequency": "daily" })).await;
        assert_eq!((r.status, r.json()["message"].as_str().unwrap()), (StatusCode::BAD_REQUEST, "路线名称：不能为空"));
        let r = app.post_json(&list, &w.officer_a, route.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "an officer does not edit the agency's lists");
        let r = app.post_json(&format!("/api/v1/agencies/{}/patrol-routes", w.b), head, route.clone()).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "another agency's list");
        let one = format!("/api/v1/patrol-routes/{id}");
        let weekly = json!({ "version": 1, "name": "西湖沿线", "area": "西湖街道、北山街道", "frequency": "weekly" });
        let r = app.put_json(&one, head, weekly.clone()).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        assert_eq!(app.put_json(&one, head, weekly).await.status, StatusCode::CONFLICT, "a stale version");
        let entry = app.get(&one, head).await.json();
        assert_eq!((entry["version"].as_i64(), entry["frequency"].as_str()), (Some(2), Some("weekly")));
        assert_eq!(app.get(&list, head).await.json().as_array().unwrap().len(), 1);
        assert_eq!(app.get(&one, &w.supervisor_x).await.status, StatusCode::OK, "the city's supervisor reads it");

        // Its OpenAPI paths and schemas.
        let doc = app.get("/api/v1/openapi.json", head).await.json();
        assert!(doc["paths"]["/api/v1/agencies/{id}/patrol-routes"]["post"].is_object(), "{}", doc["paths"]);
        assert!(doc["paths"]["/api/v1/patrol-routes/{id}"]["put"].is_object());
        assert!(doc["paths"]["/api/v1/agencies/{id}/patrol-routes.xlsx"]["get"].is_object());
        let form = &doc["components"]["schemas"]["PatrolRouteForm"];
        assert_eq!(form["properties"]["frequency"]["enum"], json!(["daily", "weekly"]));
        assert_eq!(form["required"], json!(["name", "frequency"]));

        // Its history, from the records.
        let history = app.get(&format!("/api/v1/history/patrol_route/{id}"), head).await.json();
        let kinds: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["patrol_route.create", "patrol_route.update"]);
        assert_eq!(history[1]["data"]["data"]["area"], "西湖街道、北山街道");

        // Excel: exported, imported again (as new entries), exported the same.
        let workbook = app.get(&format!("{list}.xlsx"), head).await;
        assert_eq!(workbook.status, StatusCode::OK);
        let first = zhifa_docs::excel::read_table(&workbook.body).unwrap();
        assert_eq!(first.headers, ["路线名称", "巡查区域", "巡查频次"]);
        assert_eq!(first.rows[0].1, ["西湖沿线", "西湖街道、北山街道", "每周"], "choices by their label");
        let imported = app
            .send(
                Request::post(format!("{list}.xlsx"))
                    .header(header::AUTHORIZATION, format!("Bearer {head}"))
                    .body(Body::from(workbook.body.clone()))
                    .unwrap(),
            )
            .await;
        assert_eq!((imported.status, imported.json()["created"].as_i64()), (StatusCode::OK, Some(1)));
        let again = zhifa_docs::excel::read_table(&app.get(&format!("{list}.xlsx"), head).await.body).unwrap();
        assert_eq!(again.rows.iter().map(|r| &r.1).collect::<Vec<_>>(), [&first.rows[0].1, &first.rows[0].1]);

        // The console: the agency's page, the table, the forms, a save.
        let signed = app.sign_in("head-a", PASSWORD).await;
        let session = signed.headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
        let page = console_get(&app, &format!("/console/agencies/{a}"), &session).await.text();
        assert!(page.contains(&format!("/console/agencies/{a}/patrol-routes\">巡查路线表</a>（2）")), "{page}");
        let table = console_get(&app, &format!("/console/agencies/{a}/patrol-routes"), &session).await.text();
        assert!(table.contains("西湖沿线") && table.contains("每周") && table.contains("导入"), "{table}");
        let form = console_get(&app, &format!("/console/agencies/{a}/patrol-routes/new"), &session).await.text();
        assert!(form.contains("新增 · 巡查路线表") && form.contains("巡查频次") && form.contains("每日"), "{form}");
        let csrf = form.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let r = app
            .send(
                Request::post(format!("/console/agencies/{a}/patrol-routes"))
                    .header(header::COOKIE, &session)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!("csrf_token={csrf}&name=%E5%AD%A4%E5%B1%B1&frequency=daily")))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let edit = console_get(&app, &format!("/console/patrol-routes/{id}/edit"), &session).await.text();
        assert!(edit.contains("编辑 · 巡查路线表") && edit.contains("西湖街道、北山街道"), "{edit}");
        let entries = app.service.store().entries::<PatrolRoutes>(zhifa_domain::ids::AgencyId(a)).await.unwrap();
        assert_eq!(entries.iter().map(|e| e.data.name.as_str()).collect::<Vec<_>>(), ["西湖沿线", "西湖沿线", "孤山"]);

        // verify compares its rows with their records, and finds a changed one.
        let report = app.service.verify(|_| {}).await.unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert!(app.service.verified_tables().iter().any(|t| t.table == "patrol_routes"));
        tamper(
            &db.store,
            &["UPDATE patrol_routes SET data = REPLACE(data, '孤山', '断桥') WHERE name = '孤山'".into()],
        )
        .await;
        let report = app.service.verify(|_| {}).await.unwrap();
        let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
        assert!(problems.len() == 1 && problems[0].contains("patrol_routes"), "{problems:?}");
    })
    .await;
}
