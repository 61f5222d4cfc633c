//! Demo cases. `zhifa demo` walks cases of every shipped procedure through
//! the service, one step at a time, and leaves one at every stage (some of
//! them overdue), with recordings where a stage must or should be recorded.
//! `zhifa demo --cases N` generates N more: each case is walked by the
//! engine in memory and committed as one command, a batch at a time, so
//! memory stays flat for a million of them.

use crate::SYSTEM;
use jiff::ToSpan;
use jiff::civil::Date;
use std::collections::{HashMap, HashSet};
use zhifa_domain::case::engine::{self, Facts};
use zhifa_domain::case::procedure::{Procedure, Recording};
use zhifa_domain::case::{CaseData, Handler, Opening, PartyForm, PenaltyForm};
use zhifa_domain::change::Change;
use zhifa_domain::evidence::EvidenceMeta;
use zhifa_domain::ids::{CaseId, UserId};
use zhifa_domain::people::CertificateData;
use zhifa_domain::review::{DeliberationForm, ReviewContext, ReviewForm, ReviewPoint, ReviewerInfo};
use zhifa_service::cases::{CaseForm, HandlerForm, StepForm, opened, step_input};
use zhifa_service::{Actor, Principal, Result, Service, ServiceError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Officer,
    Head,
    Reviewer,
}

/// A path through a procedure: each step's action, who takes it and on
/// which day counted from the opening.
struct Walk {
    procedure: &'static str,
    person: bool,
    /// Yuan, where the walk fines.
    fine: u32,
    steps: &'static [(&'static str, Who, u16)],
    /// Also leave a case after this many steps, that many days ago: overdue.
    overdue: Option<(usize, i64)>,
    /// A serious case (collective deliberation, art. 57).
    serious: bool,
}

use Who::{Head, Officer, Reviewer};

/// A walk through `procedure`'s `steps`, for a person or an organisation,
/// fining `fine` yuan where it fines.
const fn walk(procedure: &'static str, person: bool, fine: u32, steps: &'static [(&'static str, Who, u16)]) -> Walk {
    Walk { procedure, person, fine, steps, overdue: None, serious: false }
}

impl Walk {
    /// Also left after `steps` steps, `days` days ago: overdue.
    const fn overdue(self, steps: usize, days: i64) -> Walk {
        Walk { overdue: Some((steps, days)), ..self }
    }

    /// A serious case (collective deliberation, art. 57).
    const fn serious(self) -> Walk {
        Walk { serious: true, ..self }
    }
}

#[rustfmt::skip]
const WALKS: &[Walk] = &[
    walk("penalty-general", false, 5_000, &[("file", Head, 2), ("notify", Officer, 9), ("defend", Officer, 10),
        ("prepare_decision", Officer, 11), ("decide", Head, 13), ("serve", Officer, 15), ("pay", Officer, 20),
        ("close", Head, 22), ("archive", Officer, 23)]).overdue(1, 95),
    walk("penalty-general", true, 20_000, &[("file", Head, 1), ("notify", Officer, 5), ("request_hearing", Officer, 6),
        ("hold_hearing", Officer, 12), ("review", Reviewer, 13), ("skip_deliberation", Head, 14),
        ("decide", Head, 15)]),
    walk("penalty-general", true, 0, &[("file", Head, 1), ("decide_no_penalty", Head, 4), ("close", Head, 6)]),
    // Filed 88 days ago: the decision is due within days (a yellow warning).
    walk("penalty-general", false, 3_000, &[("file", Head, 0)]).overdue(1, 88),
    walk("penalty-general", false, 0, &[("file", Head, 1), ("transfer", Head, 5)]),
    walk("penalty-general", true, 0, &[("revoke", Head, 2)]),
    // Legal review above the catalogue's threshold: materials sent back,
    // completed, approved.
    walk("penalty-general", false, 60_000, &[("file", Head, 1), ("notify", Officer, 5), ("defend", Officer, 6),
        ("submit_review", Officer, 8), ("assign_reviewer", Head, 8), ("return_materials", Reviewer, 9),
        ("resubmit", Officer, 10), ("review", Reviewer, 12), ("skip_deliberation", Head, 13),
        ("decide", Head, 14)]).overdue(5, 20),
    // A serious case: problems found twice, coordination fails, the heads
    // deliberate and decide.
    walk("penalty-general", false, 80_000, &[("file", Head, 1), ("notify", Officer, 5), ("submit_review", Officer, 8),
        ("assign_reviewer", Head, 8), ("review_problems", Reviewer, 10), ("resubmit", Officer, 13),
        ("review_problems", Reviewer, 15), ("request_coordination", Officer, 16), ("refer_deliberation", Head, 17),
        ("deliberate", Head, 19), ("decide", Head, 20), ("serve", Officer, 21)]).serious(),
    walk("penalty-simple", true, 200, &[("notify", Officer, 0), ("decide_on_site", Officer, 0), ("pay", Officer, 0), ("close", Officer, 1),
        ("archive", Officer, 1)]),
    walk("penalty-simple", false, 0, &[("decide_no_penalty", Officer, 0)]),
    walk("permit", false, 0, &[("accept", Officer, 0), ("grant", Head, 10), ("issue", Officer, 11),
        ("serve", Officer, 12), ("archive", Officer, 13)]).overdue(1, 40),
    walk("permit", false, 0, &[("refuse", Officer, 1)]),
    walk("permit", false, 0, &[("accept", Officer, 0), ("deny", Head, 8)]),
    walk("inspection", false, 0, &[("start", Officer, 1), ("inspect", Officer, 1), ("close", Officer, 2),
        ("archive", Officer, 2)]),
    // The demo's catalogues review every seizure (and a permit when its
    // handling unit asks): problems found, answered, approved.
    walk("coercive-seizure", false, 0, &[("submit_review", Officer, 0), ("assign_reviewer", Head, 0),
        ("review_problems", Reviewer, 1), ("resubmit", Officer, 1), ("review", Reviewer, 2), ("approve", Head, 2),
        ("seize", Officer, 2), ("release", Officer, 27), ("close", Head, 28), ("archive", Officer, 29)]).overdue(7, 40),
    walk("permit", false, 0, &[("accept", Officer, 0), ("submit_review", Officer, 5), ("assign_reviewer", Head, 5),
        ("review_problems", Reviewer, 6), ("resubmit", Officer, 7), ("review", Reviewer, 8), ("grant", Head, 9)]),
];

/// What a demo step brings.
fn form_for(walk: &Walk, action: &str, on: Date, cast: &Cast) -> StepForm {
    let mut f = StepForm { on: on.to_string(), ..Default::default() };
    let penalty = || Some(PenaltyForm { kinds: "fine".into(), fine: walk.fine.to_string(), ..Default::default() });
    match action {
        "notify" | "decide" | "decide_on_site" => f.penalty = penalty(),
        "pay" => f.amount = walk.fine.to_string(),
        "start" => f.handlers = Some(cast.handlers.clone()),
        "defend" => f.note = "当事人陈述：系初次经营，对违法事实无异议，请求从轻处理。".into(),
        "decide_no_penalty" => {
            f.reason = "初次违法且危害后果轻微并及时改正（首违不罚）".into();
            f.no_penalty_ground = "first_minor".into();
            (f.first_violation, f.minor_harm, f.corrected) = (true, true, true);
        }
        "revoke" => {
            f.reason = "经核查，违法事实不能成立".into();
            f.confirmed = true;
        }
        "transfer" => f.reason = "涉嫌犯罪，依法移送公安机关".into(),
        "refuse" => f.reason = "申请事项依法不属于本机关职权范围".into(),
        "deny" => f.reason = "申请人不具备法定的经营场所条件".into(),
        "assign_reviewer" => f.reviewer = Some(cast.reviewer.user_id.0),
        "submit_review" => match walk.procedure {
            "permit" => f.decides = "grant".into(),
            "coercive-seizure" => f.decides = "approve".into(),
            _ => {}
        },
        "return_materials" => f.reason = "送审材料缺少现场检查笔录的当事人签字页及抽样检验报告原件".into(),
        "review" => f.review = Some(demo_review(false)),
        "review_problems" => f.review = Some(demo_review(true)),
        "resubmit" => {
            f.answers = vec![
                "已补充当事人进货台账及供货商证明，违法所得计算有据".into(),
                "已对照裁量基准说明从重处罚的理由".into(),
            ];
        }
        "request_coordination" => {
            f.reason = "承办机构认为当事人违法行为持续时间长、涉及面广，应适用从重情节，罚款数额适当".into();
        }
        "refer_deliberation" => {
            f.reason = "经协调，承办机构与法制审核机构对裁量情节仍有分歧".into();
            f.participants = format!(
                "{}（局长）\n{}（法制审核人员）\n{}（承办人）",
                cast.head.name, cast.reviewer.name, cast.officer.name
            );
        }
        "deliberate" => {
            f.deliberation = Some(DeliberationForm {
                participants: format!("{}（局长）\n陈副局长\n周副局长", cast.head.name),
                views: format!(
                    "{}：违法情节严重，同意承办机构意见\n陈副局长：同意承办机构意见\n周副局长：同意，建议加强普法宣传",
                    cast.head.name
                ),
                outcome: "维持承办机构拟作出的处罚决定".into(),
            });
        }
        _ => {}
    }
    f
}

/// A demo reviewer's seven findings: all conform, or problems with the facts and the law.
fn demo_review(problems: bool) -> ReviewForm {
    let mut r = ReviewForm::default();
    for p in ReviewPoint::ALL {
        let problem = problems && matches!(p, ReviewPoint::Facts | ReviewPoint::Law);
        r.findings.insert(p.code().into(), if problem { "problem" } else { "conforms" }.into());
        if problem {
            r.comments.insert(p.code().into(), "违法所得计算依据不足；裁量情节说明不充分".into());
        }
    }
    if problems {
        r.opinion = "problems".into();
        r.problems = "补充违法所得计算的证据\n说明适用从重处罚裁量情节的理由".into();
        r.comment = "存在问题，退回承办机构补充完善后再次报送审核。".into();
    } else {
        r.opinion = "approve".into();
        r.comment = "主体合法，程序合法，事实清楚，证据确凿，适用法律正确，同意。".into();
    }
    r
}

/// The people of one demo agency who take the steps.
struct Cast {
    head: Principal,
    officer: Principal,
    reviewer: Principal,
    /// The two officers of every case, as forms and as the engine sees them.
    handlers: Vec<HandlerForm>,
    handler_people: Vec<Handler>,
    certificates: HashMap<UserId, Vec<CertificateData>>,
    /// The agency's case-number prefix.
    prefix: String,
    /// The agency's catalogue, for the engine.
    review: ReviewContext,
    /// The amounts of its province.
    amounts: Option<zhifa_domain::amounts::ProvinceAmounts>,
}

impl Cast {
    fn who(&self, who: Who) -> &Principal {
        match who {
            Officer => &self.officer,
            Head => &self.head,
            Reviewer => &self.reviewer,
        }
    }

    fn handlers(&self) -> Vec<Handler> {
        self.handler_people.clone()
    }

    /// The agency's reviewer as the engine sees them (qualified).
    fn reviewer_info(&self) -> ReviewerInfo {
        ReviewerInfo {
            user: self.reviewer.user_id,
            name: self.reviewer.name.clone(),
            is_reviewer: true,
            legal_qualification: true,
            prior_penalty_reviews: 0,
        }
    }
}

/// A party of the demo, numbered `n`: a person (valid GB 11643 number) or a company (valid USCC).
fn party_form(person: bool, n: u64) -> Result<PartyForm> {
    let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"];
    let givens = ["小明", "秀英", "伟", "芳", "建华", "丽", "强", "静"];
    let form = if person {
        let born = jiff::civil::date(1960, 1, 1) + i64::try_from(n % 15_000).unwrap_or(0).days();
        let first17 = format!("330106{}{:03}", born.strftime("%Y%m%d"), n % 1000);
        let check = zhifa_domain::idcard::check_character(first17.as_bytes()).map(char::from).unwrap_or('0');
        PartyForm {
            kind: "person".into(),
            name: format!("{}{}", surnames[(n % 8) as usize], givens[(n / 8 % 8) as usize]),
            number: format!("{first17}{check}"),
            address: format!("杭州市西湖区文三路{}号", n % 500 + 1),
            phone: format!("138{:08}", n % 100_000_000),
            ..Default::default()
        }
    } else {
        let uscc = zhifa_domain::uscc::with_check_character(&format!("91330106MA{:07X}", n % 0x0FFF_FFFF))
            .map_err(|e| ServiceError::caused("demo party", e))?;
        PartyForm {
            kind: "organisation".into(),
            name: format!(
                "杭州{}商贸有限公司",
                ["东方", "西子", "钱塘", "之江", "武林", "湖滨", "运河", "良渚"][(n % 8) as usize]
            ),
            number: uscc.as_str().to_owned(),
            representative: format!("{}{}", surnames[(n / 3 % 8) as usize], givens[(n / 5 % 8) as usize]),
            address: format!("杭州市西湖区古墩路{}号", n % 800 + 1),
            ..Default::default()
        }
    };
    Ok(form)
}

const TITLES: &[(&str, &str, &str)] = &[
    (
        "penalty",
        "销售超过保质期的食品",
        "《中华人民共和国食品安全法》第三十四条第（十）项、第一百二十四条第一款第（五）项",
    ),
    ("permit", "食品经营许可申请", "《中华人民共和国食品安全法》第三十五条"),
    ("inspection", "食品经营者日常监督检查", "《中华人民共和国食品安全法》第八十七条"),
    ("coercion", "查封、扣押不符合食品安全标准的食品", "《中华人民共和国食品安全法》第一百一十条"),
];

/// A bank card number (its Luhn check digit holds) in the demo's facts.
const DEMO_CARD: &str = "6222021001123456789";

fn case_text(procedure: &Procedure) -> (&'static str, &'static str, &'static str) {
    let category = procedure.category.code();
    let (_, title, basis) = TITLES.iter().find(|(c, _, _)| *c == category).copied().unwrap_or(TITLES[0]);
    let facts = match category {
        "penalty" => "执法人员在当事人经营场所检查时发现，当事人货架上陈列销售的饮料已超过标注的保质期。",
        "permit" => "申请人提交了食品经营许可申请及相关材料。",
        "inspection" => "按照年度双随机抽查计划，对当事人开展日常监督检查。",
        _ => "当事人存放的食品经快速检测不符合食品安全标准，可能造成危害。",
    };
    (title, facts, basis)
}

/// The people who take the steps of a demo agency's cases.
async fn cast(service: &Service, code: &str) -> Result<Cast> {
    let missing = || ServiceError::internal(format!("demo agency {code} lacks its people"));
    let principal = |suffix: &'static str| {
        let username = format!("{code}-{suffix}");
        async move {
            let row = service.store().user_by_username(&username).await?.ok_or_else(missing)?;
            service.principal_of(&row).await?.ok_or_else(missing)
        }
    };
    let head = principal("fzr").await?;
    let officer = principal("zf1").await?;
    let second = principal("zf2").await?;
    let reviewer = principal("fs").await?;
    let certificates = service.certificates_of(officer.agency_id).await?;
    let number = |p: &Principal| {
        certificates.get(&p.user_id).and_then(|c| c.first()).map(|c| c.number.clone()).unwrap_or_default()
    };
    let handlers = vec![
        HandlerForm { user: officer.user_id.0, certificate: number(&officer) },
        HandlerForm { user: second.user_id.0, certificate: number(&second) },
    ];
    let handler_people = [&officer, &second]
        .iter()
        .map(|p| Handler { user: p.user_id, name: p.name.clone(), certificate: number(p) })
        .collect();
    let agency = service.store().agency(officer.agency_id).await?.ok_or_else(missing)?;
    let prefix = agency.data.number_prefix().to_owned();
    let review = ReviewContext {
        catalogue: service.review_catalogue(&Actor::System(SYSTEM), agency.id).await?.catalogue,
        domain: Some(agency.data.domain),
        level: Some(zhifa_domain::registry::Level::from(agency.data.region.level())),
        item_code: None,
    };
    let amounts = service.amounts_of(&agency.data.region).cloned();
    Ok(Cast { head, officer, reviewer, handlers, handler_people, certificates, prefix, review, amounts })
}

fn opening(service: &Service, cast: &Cast, walk: &Walk, n: u64, on: Date, handlers: Vec<Handler>) -> Result<Opening> {
    let procedure = service.procedure(walk.procedure)?;
    let (title, facts, legal_basis) = case_text(procedure);
    let party = party_form(walk.person, n)?;
    // Penalty facts name a person the way officers write them, so that
    // what is published shows the redaction at work (PUB-5).
    let facts = match (walk.person, procedure.category) {
        (true, zhifa_domain::people::Category::Penalty) => format!(
            "当事人{}（公民身份号码{}，联系电话{}，收款银行卡号{DEMO_CARD}）。{facts}",
            party.name, party.number, party.phone
        ),
        _ => facts.to_owned(),
    };
    Ok(Opening {
        matter: zhifa_domain::case::Matter {
            item: None,
            title: title.into(),
            legal_basis: legal_basis.into(),
            party: party.validate()?,
            handlers: if handlers.is_empty() { cast.handlers() } else { handlers },
            facts,
            violation_on: Some(on - 10.days()),
            health_or_finance: false,
            serious: walk.serious,
        },
        flags: Default::default(),
        on,
    })
}

/// The demo's media (see `media/README.md`): what a stage's recording is,
/// its file name and type.
fn demo_media(stage: &str, recording: Recording) -> (&'static [u8], &'static str, &'static str) {
    const PHOTO: &[u8] = include_bytes!("../media/photo.png");
    const VOICE: &[u8] = include_bytes!("../media/voice.wav");
    const VIDEO: &[u8] = include_bytes!("../media/video.webm");
    match (recording, stage) {
        (Recording::Mandatory, _) => (VIDEO, "webm", "video/webm"),
        (_, "hearing") => (VOICE, "wav", "audio/wav"),
        _ => (PHOTO, "png", "image/png"),
    }
}

/// Record the stage a case is at: a video where it must be recorded, a
/// sound recording of a hearing, a photo otherwise.
async fn demo_recording(
    service: &Service,
    actor: &Actor,
    number: &str,
    (stage, recording): (&str, Recording),
    collector: &str,
) -> Result<()> {
    let (bytes, extension, media_type) = demo_media(stage, recording);
    let meta = EvidenceMeta {
        case_number: number.to_owned(),
        step: stage.to_owned(),
        captured_at: service.now() - 1.hour(),
        place: "当事人经营场所".into(),
        collector: collector.to_owned(),
        proves: "执法过程".into(),
        filename: format!("演示-{stage}.{extension}"),
        media_type: media_type.into(),
    };
    let id = service.create_upload(actor, bytes.len() as u64, meta).await?;
    let mut patch = service.begin_patch(actor, id, 0).await?;
    patch.write(bytes::Bytes::from_static(bytes)).await?;
    patch.finish().await?;
    Ok(())
}

/// Cases at every stage of every procedure for the agency `code`, some
/// of them overdue. Returns how many were opened.
pub async fn create_cases_for(service: &Service, code: &str) -> Result<usize> {
    let cast = cast(service, code).await?;
    let today = service.today();
    let mut reached: HashSet<(&str, String)> = HashSet::new();
    let mut opened = 0;
    for (w, walk) in WALKS.iter().enumerate() {
        let procedure = service.procedure(walk.procedure)?.clone();
        let mut stops: Vec<(usize, i64)> = (0..=walk.steps.len()).map(|k| (k, 1)).collect();
        stops.extend(walk.overdue);
        let mut stage = procedure.start.clone();
        let mut path = vec![stage.clone()];
        for (action, _, _) in walk.steps {
            let to = procedure.transition(action).and_then(|t| t.to.clone()).unwrap_or_else(|| stage.clone());
            path.push(to.clone());
            stage = to;
        }
        for (k, age) in stops {
            let overdue = age > 1;
            // A serious case is also kept walked to its end: a decision
            // with every part of REV-5 (review rounds, deliberation).
            let complete = walk.serious && k == walk.steps.len();
            if !overdue && !reached.insert((walk.procedure, path[k].clone())) && !complete {
                continue;
            }
            let last = if k == 0 { 0 } else { i64::from(walk.steps[k - 1].2) };
            let base = today - (last + age).days();
            walk_case(service, &cast, Plan { walk, procedure: &procedure, k, base, n: (w * 100 + k) as u64 }).await?;
            opened += 1;
        }
    }
    Ok(opened)
}

/// One demo case to make: the `n`th, opened on `base`, `walk`ed `k` steps
/// through `procedure`.
struct Plan<'a> {
    walk: &'a Walk,
    procedure: &'a Procedure,
    k: usize,
    base: Date,
    n: u64,
}

/// Open the case of `plan` and take its steps through the service, one
/// command each, with recordings where a stage wants them.
async fn walk_case(service: &Service, cast: &Cast, plan: Plan<'_>) -> Result<()> {
    let Plan { walk, procedure, k, base, n } = plan;
    let officer = Actor::User(cast.officer.clone());
    let opening = opening(service, cast, walk, n, base, Vec::new())?;
    let form = CaseForm {
        procedure: walk.procedure.into(),
        title: opening.matter.title.clone(),
        legal_basis: opening.matter.legal_basis.clone(),
        facts: opening.matter.facts.clone(),
        party: party_form(walk.person, n)?,
        handlers: cast.handlers.clone(),
        violation_on: opening.matter.violation_on.map(|d| d.to_string()).unwrap_or_default(),
        serious: walk.serious,
        on: base.to_string(),
        ..Default::default()
    };
    let id = as_of(service, base).open_case(&officer, &form).await?;
    let mut recorded = HashSet::new();
    for (action, who, day) in &walk.steps[..k] {
        let on = base + i64::from(*day).days();
        let service = as_of(service, on);
        let case = service.store().case(id).await?.ok_or(ServiceError::NotFound)?;
        let recording = procedure.stage(&case.stage).map_or(Recording::None, |s| s.recording);
        if matches!(recording, Recording::Mandatory | Recording::Recommended) && recorded.insert(case.stage.clone()) {
            demo_recording(&service, &officer, &case.number, (&case.stage, recording), &cast.officer.name).await?;
        }
        let actor = Actor::User(cast.who(*who).clone());
        service.take_step(&actor, id, case.version, action, &form_for(walk, action, on, cast)).await?;
    }
    Ok(())
}

/// The service as on `day` (15:00 in Beijing), so that a walked step is
/// recorded on the day it happens, as officers record theirs.
pub(crate) fn as_of(service: &Service, day: Date) -> Service {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC);
    let at = day.at(15, 0, 0, 0).to_zoned(tz).map(|z| z.timestamp()).unwrap_or_else(|_| service.now());
    service.clone().with_clock(std::sync::Arc::new(move || at))
}

/// `n` more cases, spread over the demo's agencies, each walked by the
/// engine in memory and committed as one command; `progress` hears how
/// many are done after each batch.
pub async fn create_bulk_cases(service: &Service, n: u64, progress: impl FnMut(u64)) -> Result<()> {
    bulk_cases(service, n, false, progress).await
}

/// `n` cases walked to their end (or as far as they go without a
/// recording), spread over last year: what last year's report counts.
pub(crate) async fn create_last_years(service: &Service, n: u64) -> Result<()> {
    bulk_cases(service, n, true, |_| {}).await
}

async fn bulk_cases(service: &Service, n: u64, last_year: bool, mut progress: impl FnMut(u64)) -> Result<()> {
    const BATCH: usize = 500;
    let mut casts = Vec::new();
    for plan in crate::case_agencies() {
        casts.push(cast(service, &plan).await?);
    }
    if casts.is_empty() {
        return Err(ServiceError::internal("no demo agency handles cases"));
    }
    let today = service.today();
    let periods = zhifa_calendar::legal_periods().unwrap_or_default();
    let mut changes = Vec::with_capacity(BATCH);
    for i in 0..n {
        let cast = &casts[(i % casts.len() as u64) as usize];
        let walk = &WALKS[(i / casts.len() as u64 % WALKS.len() as u64) as usize];
        let procedure = service.procedure(walk.procedure)?;
        // The steps that need no recording and do not archive.
        let mut stage = procedure.start.clone();
        let mut usable: usize = 0;
        for (action, _, _) in walk.steps {
            let needs_recording = procedure.stage(&stage).is_some_and(|s| s.recording == Recording::Mandatory);
            let Some(t) = procedure.transition(action) else { break };
            if needs_recording || t.effect == "archive" {
                break;
            }
            usable += 1;
            stage = t.to.clone().unwrap_or(stage);
        }
        let (k, base) = if last_year {
            // Walked to the end and begun on a day of last year, early
            // enough for every step to fall within it.
            let last = walk.steps.get(usable.wrapping_sub(1)).map_or(0, |s| i64::from(s.2));
            let start = jiff::civil::date(today.year() - 1, 1, 2);
            let spread = (360 - last).max(1) as u64;
            (usable, start + ((i * 7 % spread) as i64).days())
        } else {
            let k = (i / (casts.len() * WALKS.len()) as u64 % (usable as u64 + 1)) as usize;
            let last = if k == 0 { 0 } else { i64::from(walk.steps[k - 1].2) };
            let age = if k == usable && usable > 0 { (i % 700) as i64 + 1 } else { (i % 5) as i64 + 1 };
            (k, today - (last + age).days())
        };
        let (stage, data) = walk_in_memory(service, cast, Plan { walk, procedure, k, base, n: i })?;
        let closed = procedure.stage(&stage).is_some_and(|s| s.terminal);
        let due_on = if closed { None } else { service.nearest_due_with(procedure, &data, &periods) };
        changes.push(Change::CreateCase {
            agency: cast.officer.agency_id,
            prefix: cast.prefix.clone(),
            word: procedure.number_word.clone(),
            year: data.opened_on.year(),
            stage,
            due_on,
            closed,
            data: Box::new(data),
        });
        if changes.len() == BATCH || i + 1 == n {
            let batch = std::mem::replace(&mut changes, Vec::with_capacity(BATCH));
            let decided: Vec<bool> = batch
                .iter()
                .map(|c| matches!(c, Change::CreateCase { data, .. } if data.decided_on.is_some()))
                .collect();
            let applied = service.commit_as_system(SYSTEM, "演示案件（批量生成）", batch).await?;
            // Their decisions published, as the publicity officers would.
            let ids = applied.iter().zip(decided).filter(|(_, d)| *d).map(|(a, _)| CaseId(a.entity_id));
            crate::publish::cases(service, ids.collect()).await?;
            progress(i + 1);
        }
    }
    Ok(())
}

/// Open the case of `plan` and take its steps in memory, through the
/// engine, up to a step the engine refuses.
fn walk_in_memory(service: &Service, cast: &Cast, plan: Plan<'_>) -> Result<(String, CaseData)> {
    let Plan { walk, procedure, k, base, n } = plan;
    let opening = opening(service, cast, walk, n, base, cast.handlers())?;
    let mut data = opened(procedure, opening, (cast.officer.user_id, &cast.officer.name), (base, ""));
    let mut stage = procedure.start.clone();
    let lookup = |u: UserId| cast.certificates.get(&u).cloned().unwrap_or_default();
    for (action, who, day) in &walk.steps[..k] {
        let on = base + i64::from(*day).days();
        let form = form_for(walk, action, on, cast);
        let handlers = form.handlers.as_ref().map(|_| cast.handlers());
        let reviewer = (*who == Reviewer || *action == "assign_reviewer").then(|| cast.reviewer_info());
        let step = step_input(on, cast.who(*who), &form, handlers, reviewer)?;
        let facts = Facts {
            procedure,
            action: "",
            case: &data,
            stage: &stage,
            step: &step,
            certificates: &lookup,
            recordings: &[],
            calendar: service.calendar(),
            estimate: service.estimate(),
            review: &cast.review,
            amounts: cast.amounts.as_ref(),
        };
        // Where the law stops the walk (an agency that reviews every
        // general-procedure penalty, say), the case stays at that stage.
        match engine::take(&facts, action) {
            Ok(next) => (stage, data) = next,
            Err(_) => break,
        }
    }
    Ok((stage, data))
}
