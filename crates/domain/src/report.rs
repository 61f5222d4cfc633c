//! The annual report of administrative enforcement (统计年报, SPEC PUB-6):
//! the figures of one agency's year, counted from its cases and the rest,
//! and rolled up per region by adding agencies' figures. Pure.

use crate::case::{CaseData, PenaltyKind};
use crate::money::Money;
use crate::people::Category;
use jiff::civil::{Date, date};
use serde::{Deserialize, Serialize};

/// One year's figures of an agency, or of every agency of a region.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnualFigures {
    pub year: i16,
    /// Agencies added up (1 for an agency's own report).
    pub agencies: u32,
    pub permits_accepted: u32,
    pub permits_granted: u32,
    pub permits_refused: u32,
    /// Penalty decisions made in the year.
    pub penalties: u32,
    /// Penalty decisions by kind, in the order of `PenaltyKind::ALL` (a
    /// decision with two kinds counts under each).
    pub penalties_by_kind: Vec<u32>,
    pub fines_fen: i64,
    pub confiscations_fen: i64,
    /// 不予处罚 decisions.
    pub no_penalty: u32,
    pub coercive_measures: u32,
    pub inspections: u32,
    pub hearings: u32,
    /// Rounds of legal review submitted in the year.
    pub legal_reviews: u32,
    pub deliberations: u32,
    /// Decisions of every category made in the year, and how many of those
    /// cases have an audio/video record.
    pub decisions: u32,
    pub decisions_recorded: u32,
    /// Publications of the year's decisions, and how many within their period.
    pub published: u32,
    pub published_on_time: u32,
    /// Officers with a certificate valid on 31 December, and reviewers.
    pub officers: u32,
    pub reviewers: u32,
    pub complaints: u32,
    pub complaints_answered: u32,
}

/// What one case contributes to the annual report: the few fields counted,
/// read without the rest of the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub category: Category,
    pub accepted_on: Option<Date>,
    pub decided_on: Option<Date>,
    pub granted: Option<bool>,
    /// The penalty decided: its kinds, fine and confiscation.
    pub penalty: Option<(Vec<PenaltyKind>, Money, Money)>,
    /// A 不予处罚 decision was made.
    pub no_penalty: bool,
    pub seized_on: Option<Date>,
    pub closed_on: Option<Date>,
    pub hearing_held_on: Option<Date>,
    /// When each round of legal review was submitted.
    pub review_rounds: Vec<Date>,
    /// When each collective deliberation was held.
    pub deliberations: Vec<Date>,
}

impl CaseFacts {
    pub fn of(case: &CaseData) -> Self {
        Self {
            category: case.category,
            accepted_on: case.accepted_on,
            decided_on: case.decided_on,
            granted: case.granted,
            penalty: case.decision.as_ref().map(|p| (p.kinds.clone(), p.fine, p.confiscation)),
            no_penalty: case.no_penalty_reason.is_some(),
            seized_on: case.seized_on,
            closed_on: case.closed_on,
            hearing_held_on: case.hearing_held_on,
            review_rounds: case.review.rounds.iter().map(|r| r.submitted_on).collect(),
            deliberations: case.deliberations.iter().map(|d| d.on).collect(),
        }
    }
}

/// PUB-6: the report of `year` is published by 31 January of the next year.
pub fn pub_6_due(year: i16) -> Date {
    date(year.saturating_add(1), 1, 31)
}

fn in_year(d: Option<Date>, year: i16) -> bool {
    d.is_some_and(|d| d.year() == year)
}

fn percent(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| (f64::from(part) * 1000.0 / f64::from(whole)).round() / 10.0)
}

impl AnnualFigures {
    pub fn new(year: i16) -> Self {
        Self { year, agencies: 1, penalties_by_kind: vec![0; PenaltyKind::ALL.len()], ..Default::default() }
    }

    /// PUB-6: what one case did in the year; `recorded` when it has an
    /// audio/video record.
    pub fn pub_6_count_case(&mut self, case: &CaseFacts, recorded: bool) {
        let y = self.year;
        match case.category {
            Category::Permit => {
                self.permits_accepted += u32::from(in_year(case.accepted_on, y));
                if in_year(case.decided_on, y) {
                    match case.granted {
                        Some(true) => self.permits_granted += 1,
                        Some(false) => self.permits_refused += 1,
                        None => {}
                    }
                }
            }
            Category::Penalty if in_year(case.decided_on, y) => match &case.penalty {
                Some((kinds, fine, confiscation)) => {
                    self.penalties += 1;
                    for (i, kind) in PenaltyKind::ALL.iter().enumerate() {
                        if kinds.contains(kind)
                            && let Some(n) = self.penalties_by_kind.get_mut(i)
                        {
                            *n += 1;
                        }
                    }
                    self.fines_fen = self.fines_fen.saturating_add(fine.fen());
                    self.confiscations_fen = self.confiscations_fen.saturating_add(confiscation.fen());
                }
                None => self.no_penalty += u32::from(case.no_penalty),
            },
            Category::Coercion => self.coercive_measures += u32::from(in_year(case.seized_on, y)),
            Category::Inspection => self.inspections += u32::from(in_year(case.closed_on, y)),
            _ => {}
        }
        self.hearings += u32::from(in_year(case.hearing_held_on, y));
        self.legal_reviews += case.review_rounds.iter().filter(|d| d.year() == y).count() as u32;
        self.deliberations += case.deliberations.iter().filter(|d| d.year() == y).count() as u32;
        if in_year(case.decided_on, y) {
            self.decisions += 1;
            self.decisions_recorded += u32::from(recorded);
        }
    }

    /// Roll up: add another agency's figures of the same year.
    pub fn add(&mut self, o: &AnnualFigures) {
        self.agencies += o.agencies;
        let pairs = [
            (&mut self.permits_accepted, o.permits_accepted),
            (&mut self.permits_granted, o.permits_granted),
            (&mut self.permits_refused, o.permits_refused),
            (&mut self.penalties, o.penalties),
            (&mut self.no_penalty, o.no_penalty),
            (&mut self.coercive_measures, o.coercive_measures),
            (&mut self.inspections, o.inspections),
            (&mut self.hearings, o.hearings),
            (&mut self.legal_reviews, o.legal_reviews),
            (&mut self.deliberations, o.deliberations),
            (&mut self.decisions, o.decisions),
            (&mut self.decisions_recorded, o.decisions_recorded),
            (&mut self.published, o.published),
            (&mut self.published_on_time, o.published_on_time),
            (&mut self.officers, o.officers),
            (&mut self.reviewers, o.reviewers),
            (&mut self.complaints, o.complaints),
            (&mut self.complaints_answered, o.complaints_answered),
        ];
        for (mine, theirs) in pairs {
            *mine += theirs;
        }
        self.penalties_by_kind.resize(PenaltyKind::ALL.len(), 0);
        for (mine, theirs) in self.penalties_by_kind.iter_mut().zip(&o.penalties_by_kind) {
            *mine += theirs;
        }
        self.fines_fen = self.fines_fen.saturating_add(o.fines_fen);
        self.confiscations_fen = self.confiscations_fen.saturating_add(o.confiscations_fen);
    }

    /// Per cent of the year's decisions published within their period.
    pub fn on_time_rate(&self) -> Option<f64> {
        percent(self.published_on_time, self.published)
    }

    /// Per cent of the year's decided cases with an audio/video record.
    pub fn recording_coverage(&self) -> Option<f64> {
        percent(self.decisions_recorded, self.decisions)
    }

    /// Penalty kinds with their counts, those used.
    pub fn kinds(&self) -> Vec<(PenaltyKind, u32)> {
        PenaltyKind::ALL.iter().copied().zip(self.penalties_by_kind.iter().copied()).filter(|(_, n)| *n > 0).collect()
    }

    /// Every figure as a labelled line, in the report's order (for the page,
    /// the workbook and the PDF alike).
    pub fn lines(&self) -> Vec<(String, String)> {
        let rate = |r: Option<f64>| r.map_or_else(|| "—".to_owned(), |r| format!("{r:.1}%"));
        let money = |fen: i64| format!("{} 元", Money::from_fen(fen).unwrap_or(Money::ZERO));
        let mut out = vec![
            ("行政许可：受理".to_owned(), self.permits_accepted.to_string()),
            ("行政许可：准予".to_owned(), self.permits_granted.to_string()),
            ("行政许可：不予许可".to_owned(), self.permits_refused.to_string()),
            ("行政处罚决定".to_owned(), self.penalties.to_string()),
        ];
        for (kind, n) in self.kinds() {
            out.push((format!("行政处罚：{}", kind.label()), n.to_string()));
        }
        out.extend([
            ("罚款金额".to_owned(), money(self.fines_fen)),
            ("没收违法所得、非法财物金额".to_owned(), money(self.confiscations_fen)),
            ("不予行政处罚".to_owned(), self.no_penalty.to_string()),
            ("行政强制措施（查封、扣押）".to_owned(), self.coercive_measures.to_string()),
            ("行政检查".to_owned(), self.inspections.to_string()),
            ("听证".to_owned(), self.hearings.to_string()),
            ("法制审核（轮次）".to_owned(), self.legal_reviews.to_string()),
            ("集体讨论".to_owned(), self.deliberations.to_string()),
            ("行政复议、行政诉讼".to_owned(), "本平台未记录，以复议机关和人民法院统计为准".to_owned()),
            ("执法决定公示".to_owned(), self.published.to_string()),
            ("公示按时率".to_owned(), rate(self.on_time_rate())),
            ("音像记录覆盖率（作出决定的案件）".to_owned(), rate(self.recording_coverage())),
            ("持证执法人员".to_owned(), self.officers.to_string()),
            ("法制审核人员".to_owned(), self.reviewers.to_string()),
            ("投诉举报：收到".to_owned(), self.complaints.to_string()),
            ("投诉举报：已答复".to_owned(), self.complaints_answered.to_string()),
        ]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(category: Category) -> CaseData {
        let procedure = crate::case::procedure::Procedures::embedded().unwrap();
        let id = match category {
            Category::Permit => "permit",
            Category::Coercion => "coercive-seizure",
            Category::Inspection => "inspection",
            _ => "penalty-general",
        };
        let party = crate::case::PartyForm {
            kind: "person".into(),
            name: "李秀英".into(),
            number: "11010519491231002X".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let opening = crate::case::Opening {
            matter: crate::case::Matter {
                item: None,
                title: "t".into(),
                legal_basis: "b".into(),
                party,
                handlers: vec![],
                facts: "f".into(),
                violation_on: None,
                health_or_finance: false,
                serious: false,
            },
            flags: Default::default(),
            on: date(2025, 1, 2),
        };
        CaseData::new(procedure.get(id).unwrap(), opening)
    }

    #[test]
    fn pub_6_counts_the_years_decisions_by_category_and_kind() {
        let mut f = AnnualFigures::new(2025);
        let mut fine = case(Category::Penalty);
        fine.decision = Some(crate::case::Penalty {
            kinds: vec![PenaltyKind::Warning, PenaltyKind::Fine],
            fine: Money::yuan(3_000),
            ..Default::default()
        });
        fine.decided_on = Some(date(2025, 6, 1));
        fine.hearing_held_on = Some(date(2025, 5, 20));
        f.pub_6_count_case(&CaseFacts::of(&fine), true);
        let mut last_year = fine.clone();
        last_year.decided_on = Some(date(2024, 12, 31));
        last_year.hearing_held_on = None;
        f.pub_6_count_case(&CaseFacts::of(&last_year), false);
        let mut permit = case(Category::Permit);
        permit.accepted_on = Some(date(2025, 2, 1));
        permit.granted = Some(false);
        permit.decided_on = Some(date(2025, 2, 20));
        f.pub_6_count_case(&CaseFacts::of(&permit), false);
        assert_eq!((f.penalties, f.fines_fen, f.hearings), (1, 300_000, 1));
        assert_eq!(f.kinds(), vec![(PenaltyKind::Warning, 1), (PenaltyKind::Fine, 1)]);
        assert_eq!((f.permits_accepted, f.permits_granted, f.permits_refused), (1, 0, 1));
        assert_eq!((f.decisions, f.decisions_recorded), (2, 1));
        assert_eq!(f.recording_coverage(), Some(50.0));
        assert_eq!(f.on_time_rate(), None, "nothing published: no rate, not 0%");
        let lines = f.lines();
        assert!(lines.contains(&("罚款金额".to_owned(), "3,000.00 元".to_owned())), "{lines:?}");
    }

    #[test]
    fn pub_6_a_region_adds_up_its_agencies() {
        let mut a = AnnualFigures::new(2025);
        a.penalties = 2;
        a.penalties_by_kind[2] = 2;
        a.fines_fen = 100;
        a.published = 4;
        a.published_on_time = 3;
        let mut b = AnnualFigures::new(2025);
        b.penalties = 1;
        b.penalties_by_kind[2] = 1;
        b.fines_fen = 50;
        b.published = 4;
        b.published_on_time = 4;
        let mut region = AnnualFigures::new(2025);
        region.agencies = 0;
        region.add(&a);
        region.add(&b);
        assert_eq!((region.agencies, region.penalties, region.fines_fen), (2, 3, 150));
        assert_eq!(region.penalties_by_kind[2], 3);
        assert_eq!(region.on_time_rate(), Some(87.5));
    }

    #[test]
    fn pub_6_published_by_31_january() {
        assert_eq!(pub_6_due(2025), date(2026, 1, 31));
    }
}
