//! A realistic demo province: one province, two cities, four counties,
//! agencies in six domains, their people with valid and expired certificates,
//! lists citing real laws, and cases at every stage ([`cases`]). Everything
//! goes through the service's command path as the system `demo`, one command
//! per agency, so memory stays flat however large the demo grows.

mod cases;
mod publish;
mod supervision;

pub use cases::{create_bulk_cases, create_cases_for};

use zhifa_domain::Invalid;
use zhifa_domain::agency::{AgencyCode, AgencyData, AgencyKind, Domain};
use zhifa_domain::change::Change;
use zhifa_domain::people::{Category, CertificateData, Role, UserData, Username};
use zhifa_domain::region::RegionCode;
use zhifa_domain::registry::{
    DiscretionBenchmarkData, DiscretionBenchmarks, InspectionItemData, InspectionItems, ItemData, Items, Level,
    ServiceGuideData, ServiceGuides,
};
use zhifa_domain::review::{CatalogueEntryForm, ReviewCatalogue};
use zhifa_domain::uscc::with_check_character;
use zhifa_service::{Actor, AgencyId, Result, Service, ServiceError};

/// The system name the demo's records carry (`system:demo`).
const SYSTEM: &str = "demo";

/// The password of every demo user (printed by `zhifa demo`).
pub const DEMO_PASSWORD: &str = "zhifa-demo-2026";

/// A demo user to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    pub username: String,
    pub role: Role,
    pub agency: String,
}

/// The demo agencies' discretion benchmarks: degree, what counts as it, range.
const DEMO_DISCRETION: &[(&str, &str, &str)] = &[
    (
        "轻微",
        "初次违法、危害后果轻微并及时改正",
        "不予行政处罚（《中华人民共和国行政处罚法》第三十三条第一款），责令改正",
    ),
    ("一般", "违法行为未造成严重后果，或者有从轻情节", "在法定罚款幅度的中间值以下处以罚款"),
    ("严重", "多次违法、造成严重后果或者拒不改正", "在法定罚款幅度的中间值以上至上限处以罚款"),
];

const REGIONS: &[(&str, &str)] = &[
    ("330000", "浙江省"),
    ("330100", "杭州市"),
    ("330102", "上城区"),
    ("330106", "西湖区"),
    ("330200", "宁波市"),
    ("330203", "海曙区"),
    ("330212", "鄞州区"),
];

/// (law, article, item name, category) per domain.
fn items_for(domain: Domain) -> Vec<(&'static str, &'static str, &'static str, Category)> {
    match domain {
        Domain::Market => vec![
            (
                "《中华人民共和国食品安全法》",
                "第一百二十四条",
                "对生产经营不符合食品安全标准的食品的行政处罚",
                Category::Penalty,
            ),
            ("《中华人民共和国广告法》", "第五十五条", "对发布虚假广告的行政处罚", Category::Penalty),
            ("《中华人民共和国食品安全法》", "第三十五条", "食品经营许可", Category::Permit),
            ("《中华人民共和国行政强制法》", "第九条", "查封、扣押不符合食品安全标准的食品", Category::Coercion),
        ],
        Domain::Ecology => vec![
            (
                "《中华人民共和国大气污染防治法》",
                "第九十九条",
                "对超过大气污染物排放标准排放污染物的行政处罚",
                Category::Penalty,
            ),
            ("《中华人民共和国水污染防治法》", "第八十三条", "对超标排放水污染物的行政处罚", Category::Penalty),
            ("《中华人民共和国环境保护法》", "第二十五条", "查封、扣押造成污染物排放的设施、设备", Category::Coercion),
        ],
        Domain::Urban => vec![
            ("《城市市容和环境卫生管理条例》", "第三十四条", "对随意倾倒垃圾、污水的行政处罚", Category::Penalty),
            (
                "《中华人民共和国城乡规划法》",
                "第六十四条",
                "对未取得建设工程规划许可证进行建设的行政处罚",
                Category::Penalty,
            ),
        ],
        Domain::Agriculture => vec![
            ("《中华人民共和国农药管理条例》", "第五十五条", "对经营劣质农药的行政处罚", Category::Penalty),
            ("《中华人民共和国种子法》", "第七十五条", "对生产经营假种子的行政处罚", Category::Penalty),
        ],
        Domain::Transport => vec![
            (
                "《中华人民共和国道路运输条例》",
                "第六十三条",
                "对未取得道路运输经营许可擅自从事道路运输经营的行政处罚",
                Category::Penalty,
            ),
            ("《中华人民共和国公路法》", "第七十六条", "对擅自占用、挖掘公路的行政处罚", Category::Penalty),
        ],
        _ => vec![("《中华人民共和国行政处罚法》", "第七十六条", "对行政执法工作的监督检查", Category::Inspection)],
    }
}

struct Plan {
    code: String,
    name: String,
    region: &'static str,
    domain: Domain,
    /// 案号前缀: 杭西市监罚〔2025〕1号.
    number_prefix: String,
}

fn plans() -> Vec<Plan> {
    let mut out = vec![Plan {
        code: "zj-sft".into(),
        name: "浙江省司法厅".into(),
        region: "330000",
        domain: Domain::Justice,
        number_prefix: "浙司".into(),
    }];
    for (city, cname, slug, short) in [("330100", "杭州市", "hz", "杭"), ("330200", "宁波市", "nb", "甬")] {
        out.push(Plan {
            code: format!("{slug}-sfj"),
            name: format!("{cname}司法局"),
            region: city,
            domain: Domain::Justice,
            number_prefix: format!("{short}司"),
        });
        out.push(Plan {
            code: format!("{slug}-scjg"),
            name: format!("{cname}市场监督管理局"),
            region: city,
            domain: Domain::Market,
            number_prefix: format!("{short}市监"),
        });
        out.push(Plan {
            code: format!("{slug}-sthj"),
            name: format!("{cname}生态环境局"),
            region: city,
            domain: Domain::Ecology,
            number_prefix: format!("{short}环"),
        });
    }
    let counties = [
        ("330102", "杭州市上城区", "hzsc", "杭上"),
        ("330106", "杭州市西湖区", "hzxh", "杭西"),
        ("330203", "宁波市海曙区", "nbhs", "甬海"),
        ("330212", "宁波市鄞州区", "nbyz", "甬鄞"),
    ];
    for (i, (county, kname, slug, short)) in counties.into_iter().enumerate() {
        out.push(Plan {
            code: format!("{slug}-scjg"),
            name: format!("{kname}市场监督管理局"),
            region: county,
            domain: Domain::Market,
            number_prefix: format!("{short}市监"),
        });
        out.push(Plan {
            code: format!("{slug}-zhzf"),
            name: format!("{kname}综合行政执法局"),
            region: county,
            domain: Domain::Urban,
            number_prefix: format!("{short}综执"),
        });
        let (domain, suffix, label, word) = if i % 2 == 0 {
            (Domain::Agriculture, "nync", "农业农村局", "农")
        } else {
            (Domain::Transport, "jtys", "交通运输局", "交")
        };
        out.push(Plan {
            code: format!("{slug}-{suffix}"),
            name: format!("{kname}{label}"),
            region: county,
            domain,
            number_prefix: format!("{short}{word}"),
        });
    }
    out
}

/// The agencies that `zhifa demo` gives a case at every stage of every procedure.
pub const CASE_AGENCIES: &[&str] = &["hzxh-scjg", "hz-scjg"];

/// The demo agencies whose cases the demo makes: every one that enforces.
fn case_agencies() -> Vec<String> {
    plans().into_iter().filter(|p| p.domain != Domain::Justice).map(|p| p.code).collect()
}

/// Officers beyond the usual three: 杭州市市场监督管理局 has 20 certified
/// officers and one reviewer (5%, enough); 上城区综合行政执法局 21 and
/// 宁波市生态环境局 33 (below 5%, reported to their supervisors).
fn extra_officers(code: &str) -> u32 {
    match code {
        "hz-scjg" => 17,
        "hzsc-zhzf" => 18,
        "nb-sthj" => 30,
        _ => 0,
    }
}

/// Cases of last year that the demo adds to its walks.
const DEMO_BULK_CASES: u64 = 320;

/// The demo agencies whose reviewers are fewer than 5% of their certified officers.
pub const BELOW_FIVE_PERCENT: &[&str] = &["hzsc-zhzf", "nb-sthj"];

/// A catalogue in the manner of the provinces' model catalogues; 海曙区
/// 市场监督管理局 also reviews every general-procedure penalty.
fn demo_catalogue(code: &str) -> Result<ReviewCatalogue> {
    let of = |category: &str, name: &str, trigger: &str, basis: &str| CatalogueEntryForm {
        name: name.into(),
        category: category.into(),
        trigger: trigger.into(),
        basis: basis.into(),
        ..Default::default()
    };
    let line = |name: &str, trigger: &str, amount: &str, kinds: &str| CatalogueEntryForm {
        name: name.into(),
        category: "penalty".into(),
        trigger: trigger.into(),
        amount: amount.into(),
        kinds: kinds.into(),
        basis: "《中华人民共和国行政处罚法》第五十八条".into(),
        ..Default::default()
    };
    let forms = [
        line("较大数额罚款", "fine_at_least", "50000", ""),
        line("没收较大数额违法所得、非法财物", "confiscation_at_least", "50000", ""),
        line(
            "吊销许可证件、责令停产停业、责令关闭、降低资质等级",
            "penalty_kinds",
            "",
            "revoke_permit,suspend_business,order_closure,lower_qualification",
        ),
        line("经过听证程序作出的行政处罚决定", "hearing_held", "", ""),
        line("涉及重大公共利益的行政处罚决定", "major_public_interest", "", ""),
        of(
            "coercion",
            "查封、扣押场所、设施或者财物",
            "always",
            "《中华人民共和国行政强制法》第二十二条；国办发〔2018〕118号",
        ),
        of("permit", "涉及重大公共利益的行政许可决定", "major_public_interest", "国办发〔2018〕118号"),
    ];
    let entries = forms.iter().map(CatalogueEntryForm::validate).collect::<std::result::Result<Vec<_>, _>>();
    Ok(ReviewCatalogue {
        entries: entries.map_err(invalid)?,
        review_all_general: code == "nbhs-scjg",
        time_limit_days: zhifa_domain::review::DEFAULT_TIME_LIMIT,
    })
}

fn invalid(e: Invalid) -> ServiceError {
    ServiceError::caused("demo data", e)
}

fn person(username: &str, name: &str, role: Role, post: &str, legal: bool) -> Result<UserData> {
    Ok(UserData {
        username: Username::parse(username).map_err(invalid)?,
        name: name.into(),
        role,
        post: post.into(),
        legal_qualification: legal,
        active: true,
    })
}

/// Create the demo province. Refuses if it exists already.
pub async fn create(service: &Service) -> Result<Vec<DemoUser>> {
    if service.store().agency_by_code("zj-sft").await?.is_some() {
        return Err(ServiceError::Duplicate("演示数据".into()));
    }
    let actor = Actor::System(SYSTEM);
    let mut changes = Vec::new();
    for (code, name) in REGIONS {
        changes.push(Change::PutRegion { code: RegionCode::parse(code).map_err(invalid)?, name: (*name).into() });
    }
    service.commit_as_system(SYSTEM, "创建演示行政区划", changes).await?;

    let hash = zhifa_service::auth::hash_password(DEMO_PASSWORD).await?;
    let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙"];
    let givens = ["建国", "丽华", "志强", "晓燕", "海峰", "文静", "国栋", "雪梅"];
    let mut printed = Vec::new();
    for (n, plan) in plans().into_iter().enumerate() {
        let n = u32::try_from(n).unwrap_or_default();
        let region = RegionCode::parse(plan.region).map_err(invalid)?;
        let data = AgencyData {
            code: AgencyCode::parse(&plan.code).map_err(invalid)?,
            name: plan.name.clone(),
            uscc: with_check_character(&format!("11{}MB{:07}", plan.region, 1000 + n)).map_err(invalid)?,
            region: region.clone(),
            domain: plan.domain,
            kind: AgencyKind::Statutory,
            legal_basis:
                "《中华人民共和国行政处罚法》第十七条、《中华人民共和国地方各级人民代表大会和地方各级人民政府组织法》"
                    .into(),
            address: format!("{}人民路{}号", plan.name.trim_end_matches("局").trim_end_matches("厅"), 10 + n),
            phone: format!("0571-8{:07}", 1_000_000 + n * 37),
            number_prefix: plan.number_prefix.clone(),
            late_entry_days: None,
        };
        let applied = service.commit_as_system(SYSTEM, "创建演示执法主体", vec![Change::CreateAgency { data }]).await?;
        let agency = AgencyId(applied.first().map(|a| a.entity_id).ok_or_else(|| ServiceError::internal("no agency"))?);

        let name = |i: usize| {
            format!("{}{}", surnames[(n as usize + i) % surnames.len()], givens[(n as usize * 3 + i) % givens.len()])
        };
        let cert = |i: u32, from: jiff::civil::Date, to: jiff::civil::Date| CertificateData {
            number: format!("ZJ{}{:04}", plan.region, n * 10 + i),
            categories: vec![Category::Penalty, Category::Inspection, Category::Coercion],
            region: region.clone(),
            valid_from: from,
            valid_to: to,
        };
        let valid = (jiff::civil::date(2024, 1, 1), jiff::civil::date(2029, 12, 31));
        let expired = (jiff::civil::date(2019, 1, 1), jiff::civil::date(2024, 6, 30));
        let mut people: Vec<(UserData, Vec<CertificateData>)> = Vec::new();
        let code = &plan.code;
        match plan.domain {
            Domain::Justice if plan.region == "330000" => {
                people.push((person("admin", &name(0), Role::Administrator, "系统管理员", false)?, vec![]));
                people.push((person("zj-jiandu", &name(1), Role::Supervisor, "执法监督处处长", true)?, vec![]));
            }
            Domain::Justice => {
                people.push((
                    person(&format!("{code}-jiandu"), &name(0), Role::Supervisor, "执法监督科科长", true)?,
                    vec![],
                ));
            }
            _ => {
                people.push((
                    person(&format!("{code}-fzr"), &name(0), Role::Head, "局长", false)?,
                    vec![cert(0, valid.0, valid.1)],
                ));
                people.push((
                    person(&format!("{code}-zf1"), &name(1), Role::Officer, "执法队员", false)?,
                    vec![cert(1, valid.0, valid.1)],
                ));
                people.push((
                    person(&format!("{code}-zf2"), &name(2), Role::Officer, "执法队员", false)?,
                    vec![cert(2, valid.0, valid.1)],
                ));
                people.push((
                    person(&format!("{code}-zf3"), &name(3), Role::Officer, "执法队员", false)?,
                    vec![cert(3, expired.0, expired.1)],
                ));
                people.push((person(&format!("{code}-fs"), &name(4), Role::Reviewer, "法制审核员", true)?, vec![]));
                people.push((
                    person(&format!("{code}-gs"), &name(5), Role::PublicityOfficer, "公示管理员", false)?,
                    vec![],
                ));
                // Larger teams with one reviewer: at 5% exactly, and below it (REV-6).
                for i in 0..extra_officers(code) {
                    let mut c = cert(0, valid.0, valid.1);
                    c.number = format!("ZJ{}{:02}{:03}", plan.region, n, i);
                    people.push((
                        person(&format!("{code}-zd{i:02}"), &name(6 + i as usize), Role::Officer, "执法队员", false)?,
                        vec![c],
                    ));
                }
            }
        }
        let mut changes = Vec::new();
        for (data, certificates) in people {
            if matches!(data.role, Role::Administrator | Role::Supervisor | Role::Head)
                || (data.role == Role::Officer && data.username.as_str().ends_with("-zf1") && n % 4 == 1)
            {
                printed.push(DemoUser {
                    username: data.username.to_string(),
                    role: data.role,
                    agency: plan.name.clone(),
                });
            }
            changes.push(Change::CreateUser { agency, data, certificates, password_hash: Some(hash.clone()) });
        }
        let level = Level::from(region.level());
        for (i, (law, article, item, category)) in items_for(plan.domain).into_iter().enumerate() {
            changes.push(Change::create_entry::<Items>(
                agency,
                &ItemData {
                    code: format!("{}{:03}", plan.region, i + 1),
                    name: item.into(),
                    category,
                    basis_law: law.into(),
                    basis_article: article.into(),
                    basis_text: String::new(),
                    level,
                    remarks: String::new(),
                },
            )?);
        }
        if plan.domain != Domain::Justice {
            changes.push(Change::CreateReviewCatalogue { agency, data: demo_catalogue(code)? });
            changes.push(Change::create_entry::<InspectionItems>(
                agency,
                &InspectionItemData {
                    name: format!("{}日常监督抽查", plan.domain.label()),
                    basis: "《国务院关于在市场监管领域全面推行部门联合“双随机、一公开”监管的意见》".into(),
                    object: "辖区内从事相关生产经营活动的市场主体".into(),
                    content: "经营资质、经营行为、安全管理制度落实情况".into(),
                    ratio: "5%".into(),
                    method: "现场检查、书面检查".into(),
                    frequency: "每年不少于1次".into(),
                },
            )?);
            changes.push(Change::create_entry::<ServiceGuides>(
                agency,
                &ServiceGuideData {
                    item: format!("{}行政处罚案件办理", plan.domain.label()),
                    basis: "《中华人民共和国行政处罚法》".into(),
                    accepting_body: plan.name.clone(),
                    approving_body: plan.name.clone(),
                    conditions: "依法应当给予行政处罚的违法行为".into(),
                    materials: "当事人身份证明、陈述申辩材料".into(),
                    flow: "立案—调查取证—告知—（听证）—法制审核—决定—送达—执行—结案".into(),
                    time_limit: "自立案之日起九十日内作出决定".into(),
                    fees: "不收费".into(),
                    supervision: "本级司法行政部门执法监督机构".into(),
                    office_hours: "工作日 9:00-12:00，13:30-17:00".into(),
                    address: String::new(),
                    phone: String::new(),
                },
            )?);
            for (circumstances, criteria, range) in DEMO_DISCRETION {
                changes.push(Change::create_entry::<DiscretionBenchmarks>(
                    agency,
                    &DiscretionBenchmarkData {
                        violation: format!("{}领域违反经营管理规范的行为", plan.domain.label()),
                        basis: "相关法律、法规、规章的禁止性规定".into(),
                        penalty_basis: "《中华人民共和国行政处罚法》第三十二条、第三十三条及相关法律的罚则".into(),
                        circumstances: (*circumstances).into(),
                        criteria: (*criteria).into(),
                        range: (*range).into(),
                        remarks: String::new(),
                    },
                )?);
            }
        }
        service.commit_as_system(SYSTEM, "创建演示数据", changes).await?;
    }
    for code in CASE_AGENCIES {
        create_cases_for(service, code).await?;
        let agency = service.store().agency_by_code(code).await?.ok_or(ServiceError::NotFound)?;
        publish::decisions_of(service, agency.id).await?;
    }
    // Cases of the past two years (decided ones published), so that last
    // year's report has something to count.
    cases::create_last_years(service, DEMO_BULK_CASES).await?;
    service.index_now().await;
    // Last year's annual reports, as the agencies publish them in January.
    let year = service.today().year() - 1;
    for agency in service.store().agencies_in("").await? {
        service.publish_annual_report(&actor, agency.id, year).await?;
    }
    // The warnings the demo's data call for (SUP-1), and their handling.
    supervision::create(service).await?;
    Ok(printed)
}
