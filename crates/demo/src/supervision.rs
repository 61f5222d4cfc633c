//! The demo's supervision (SUP-1): what makes every warning rule true
//! besides the cases themselves — a decision set aside but still shown, a
//! certificate about to expire, one withdrawn early while its holder went
//! on acting, a complaint left unanswered — then the warnings as a server
//! finds them, and two of them handled by Hangzhou's justice bureau: one to
//! the end, one returned to the agency.

use crate::SYSTEM;
use crate::cases::as_of;
use jiff::ToSpan;
use zhifa_domain::change::Change;
use zhifa_domain::people::CertificateForm;
use zhifa_domain::warning::WarningStatus;
use zhifa_service::cases::StepForm;
use zhifa_service::warnings::{HandlingForm, WarningQuery};
use zhifa_service::{Actor, PublicationFilter, Result, Service, ServiceError};

/// The agency whose data the supervisors find fault with.
const AGENCY: &str = "hzxh-scjg";
/// Its city's justice bureau's supervisor, and its head.
const SUPERVISOR: &str = "hz-sfj-jiandu";
const HEAD: &str = "hzxh-scjg-fzr";

async fn user(service: &Service, username: &str) -> Result<Actor> {
    let missing = || ServiceError::internal(format!("demo user {username} is missing"));
    let row = service.store().user_by_username(username).await?.ok_or_else(missing)?;
    Ok(Actor::User(service.principal_of(&row).await?.ok_or_else(missing)?))
}

pub(crate) async fn create(service: &Service) -> Result<()> {
    let today = service.today();
    let agency = service.store().agency_by_code(AGENCY).await?.ok_or(ServiceError::NotFound)?;
    let head = user(service, HEAD).await?;

    // A decision of last year, set aside by a court ten days ago and still
    // shown: its withdrawal was due within 3 working days (PUB-4).
    let filter = PublicationFilter {
        agency: Some(agency.id),
        decided_to: Some(today - 60.days()),
        limit: 1,
        ..Default::default()
    };
    let (published, _) = service.store().publications(&filter).await?;
    if let Some(p) = published.first() {
        let on = today - 10.days();
        let case = service.store().case(p.case_id).await?.ok_or(ServiceError::NotFound)?;
        let form = StepForm {
            on: on.to_string(),
            annulled_by: "court".into(),
            reason: "杭州市西湖区人民法院（2026）浙0106行初88号行政判决：撤销该行政处罚决定".into(),
            ..Default::default()
        };
        as_of(service, on).take_step(&head, case.id, case.version, "annul", &form).await?;
    }

    // Certificates: one expiring in 20 days; one withdrawn three days ago,
    // though its holder took steps since (工作调整后未及时收回办案).
    let certificates = service.store().certificates(agency.id).await?;
    let sys = Actor::System(SYSTEM);
    for (suffix, valid_to) in [("zf3", today + 20.days()), ("zf1", today - 3.days())] {
        let holder = service.store().user_by_username(&format!("{AGENCY}-{suffix}")).await?;
        let Some(holder) = holder else { continue };
        let Some(c) = certificates.iter().find(|c| c.user_id == holder.user.id) else { continue };
        let mut form = CertificateForm::from(&c.cert.data);
        form.valid_to = valid_to.to_string();
        service.update_certificate(&sys, c.cert.id, c.cert.version, &form).await?;
    }

    // A complaint sent a month ago, not answered (SUP-6).
    let submitted = today - 30.days();
    let form = zhifa_domain::complaint::ComplaintForm {
        name: "王先生".into(),
        contact: "13900000000".into(),
        subject: "超市销售过期食品".into(),
        content: "文三路某超市货架上有多件过期饮料，举报后一直无人处理。".into(),
    };
    let tracking = format!("TS{}-DEMO000001", submitted.strftime("%Y%m%d"));
    let data = form.validate(tracking, submitted)?;
    let change = Change::CreateComplaint { agency: agency.id, data };
    as_of(service, submitted).commit_as_system("portal", "公众投诉举报", vec![change]).await?;

    // The warnings all this calls for, and last quarter's online inspection
    // of every agency (SUP-2).
    service.catch_up_warnings().await?;
    let quarter = zhifa_domain::warning::inspection::Quarter::of(today).previous();
    service.run_inspections(&sys, quarter, None).await?;

    // Two red warnings of the agency handled by the city's supervisor.
    let supervisor = user(service, SUPERVISOR).await?;
    let q = WarningQuery {
        agency: Some(agency.id),
        rule: Some("case_past_time_limit".into()),
        status: Some(WarningStatus::Open.code().into()),
        limit: 2,
        ..Default::default()
    };
    let open = service.warnings(&supervisor, &q).await?;
    for (i, w) in open.iter().enumerate() {
        // The supervisor reads the case first, stating why (调阅, REC-8).
        let case = zhifa_domain::ids::CaseId(w.data.subject.id);
        service.retrieve(&supervisor, zhifa_service::Retrieval::Case(case), "核查超期预警：查阅案卷").await?;
        let step = |text: &str, due: Option<u16>, version: i64| HandlingForm {
            version,
            text: text.into(),
            due_working_days: due,
            attachments: Vec::new(),
        };
        let w = service
            .handle_warning(&supervisor, w.id, "send", &step("请说明超期原因，限期整改", Some(5), w.version))
            .await?;
        let w = service
            .handle_warning(&head, w.id, "answer", &step("已督促承办人尽快作出决定，并建立期限提醒", None, w.version))
            .await?;
        if i == 0 {
            service
                .handle_warning(&supervisor, w.id, "accept", &step("整改措施到位，予以办结", None, w.version))
                .await?;
        } else {
            service
                .handle_warning(&supervisor, w.id, "return", &step("请补充案件办结情况及责任追究材料", None, w.version))
                .await?;
        }
    }
    Ok(())
}
