//! Cases: opening one, taking its steps through the engine, reading it with
//! its deadlines, recordings, timeline and what is missing to move on.

use crate::{Actor, Result, Service, ServiceError, authz};
use jiff::civil::Date;
use std::collections::HashMap;
use zhifa_domain::Invalid;
use zhifa_domain::case::engine::{self, CaseDeadline, Facts, RecordingRef, StepInput};
use zhifa_domain::case::procedure::{Procedure, Transition};
use zhifa_domain::case::recheck;
use zhifa_domain::case::rules::{self, Refusal};
use zhifa_domain::case::{CaseData, Handler, Opening, PartyForm, PenaltyForm, case_text};
use zhifa_domain::change::Change;
use zhifa_domain::ids::{CaseId, ItemId, UserId};
use zhifa_domain::money::Money;
use zhifa_domain::people::{CertificateData, Role, parse_date};
use zhifa_domain::registry::Items;
use zhifa_domain::review::{DeliberationForm, ReviewContext, ReviewFlags, ReviewForm, ReviewerInfo};
use zhifa_store::{CaseFilter, CaseRow, RecordRow, UploadRow};

/// An officer at a step, and the certificate they showed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandlerForm {
    pub user: i64,
    pub certificate: String,
}

/// Opening a case.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct CaseForm {
    pub procedure: String,
    pub item: Option<i64>,
    pub title: String,
    pub legal_basis: String,
    pub facts: String,
    pub party: PartyForm,
    pub handlers: Vec<HandlerForm>,
    /// YYYY-MM-DD: when the violation happened or ended.
    pub violation_on: String,
    pub health_or_finance: bool,
    pub serious: bool,
    /// The catalogue flags of art. 58 (重大公共利益, 多个法律关系, 疑难复杂, 法定审核).
    pub flags: ReviewFlags,
    /// YYYY-MM-DD; today if empty.
    pub on: String,
    /// 补录原因: why a case opened on an earlier day than today is recorded only now.
    pub late_reason: String,
}

/// A step's input as typed; only what the action needs is read.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct StepForm {
    /// YYYY-MM-DD; today if empty.
    pub on: String,
    /// 补录原因: why a step that happened on an earlier day is recorded only now.
    pub late_reason: String,
    pub note: String,
    pub handlers: Option<Vec<HandlerForm>>,
    pub penalty: Option<PenaltyForm>,
    pub reason: String,
    /// A step that cannot be undone (销案) is taken only when confirmed.
    pub confirmed: bool,
    /// `decide_no_penalty`: the ground in law (`first_minor`, `minor_corrected`,
    /// `no_fault`, `under_fourteen`, `mental_illness`, `time_barred`, `not_established`).
    pub no_penalty_ground: String,
    /// 首违不罚: first violation, minor harm, corrected in time.
    pub first_violation: bool,
    pub minor_harm: bool,
    pub corrected: bool,
    pub limit: String,
    pub days: u16,
    /// Yuan.
    pub amount: String,
    /// `assign_reviewer`: the reviewer's user id.
    pub reviewer: Option<i64>,
    /// `review`, `review_problems`: the seven points and the opinion.
    pub review: Option<ReviewForm>,
    /// `resubmit`: the answer to each problem, in order.
    pub answers: Vec<String>,
    /// `deliberate`, `deliberate_revise`.
    pub deliberation: Option<DeliberationForm>,
    /// `coordinate`, `refer_deliberation`: who took part, one per line.
    pub participants: String,
    /// `amend`: the new facts, legal basis or flags.
    pub facts: Option<String>,
    pub legal_basis: Option<String>,
    pub flags: Option<ReviewFlags>,
    /// `submit_review` of a decision other than a penalty: the action that
    /// would make it (`grant`, `deny`, `approve`, `decide_no_penalty`).
    pub decides: String,
    /// `annul`: how the decision was set aside (`reconsideration`, `court`,
    /// `agency`); the document and its conclusion go in `reason`.
    pub annulled_by: String,
}

/// A case as its page shows it.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub case: CaseRow,
    pub procedure: Procedure,
    pub agency_name: String,
    pub deadlines: Vec<CaseDeadline>,
    /// The actions of the current stage, each with what still stands in its way.
    pub actions: Vec<(Transition, Vec<Refusal>)>,
    pub recordings: Vec<UploadRow>,
    pub timeline: Vec<RecordRow>,
    /// When the current round of legal review is due.
    pub review_due: Option<crate::review::RoundDue>,
    /// Why the draft at hand needs legal review (empty: it does not).
    pub review_required: Vec<zhifa_domain::review::ReviewTrigger>,
}

impl CaseView {
    pub fn stage_name(&self) -> &str {
        self.procedure.stage(&self.case.stage).map_or(self.case.stage.as_str(), |s| s.name.as_str())
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(Invalid::new(field, message))
}

impl Service {
    pub fn procedures(&self) -> &zhifa_domain::case::procedure::Procedures {
        &self.procedures
    }

    pub fn procedure(&self, id: &str) -> Result<&Procedure> {
        self.procedures.get(id).ok_or(ServiceError::NotFound)
    }

    /// Today in Asia/Shanghai, by the service's clock.
    pub fn today(&self) -> Date {
        let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC);
        self.now().to_zoned(tz).date()
    }

    fn step_date(&self, s: &str) -> Result<Date> {
        if s.trim().is_empty() {
            return Ok(self.today());
        }
        let on = parse_date("日期", s)?;
        if on > self.today() {
            return Err(invalid("日期", "不能晚于今天"));
        }
        Ok(on)
    }

    /// The handlers of `forms`: people of the agency, by name, with the
    /// certificate each showed.
    pub(crate) async fn handlers(
        &self,
        agency: zhifa_domain::ids::AgencyId,
        forms: &[HandlerForm],
    ) -> Result<Vec<Handler>> {
        let mut out = Vec::new();
        let mut roles = Vec::new();
        for f in forms {
            let row = self.store.user(UserId(f.user)).await?.ok_or_else(|| invalid("执法人员", "不存在"))?;
            if row.user.agency_id != agency {
                return Err(invalid("执法人员", format!("{}不是本机关人员", row.user.data.name)));
            }
            roles.push(row.user.data.role);
            out.push(Handler {
                user: UserId(f.user),
                name: row.user.data.name.clone(),
                certificate: f.certificate.trim().to_owned(),
            });
        }
        let named: Vec<(&str, Role)> = out.iter().map(|h| h.name.as_str()).zip(roles).collect();
        zhifa_domain::review::guideline_reviewers_handle_no_case(&named).map_err(|message| {
            ServiceError::Refused(vec![Refusal {
                rule: "reviewers_handle_no_case",
                article: zhifa_domain::review::REVIEWERS_HANDLE_NOTHING,
                message,
            }])
        })?;
        Ok(out)
    }

    /// Open a case at the start of its procedure. Officers and heads of the
    /// agency do.
    pub async fn open_case(&self, actor: &Actor, form: &CaseForm) -> Result<CaseId> {
        let Actor::User(p) = actor else { return Err(ServiceError::Forbidden) };
        if !authz::can_handle_cases(actor) {
            return Err(ServiceError::Forbidden);
        }
        let procedure = self.procedures.get(&form.procedure).ok_or_else(|| invalid("程序", "不存在"))?.clone();
        let agency = self.store.agency(p.agency_id).await?.ok_or(ServiceError::NotFound)?;
        let (title, facts, legal_basis) = case_text(&form.title, &form.facts, &form.legal_basis)?;
        let violation_on = if form.violation_on.trim().is_empty() {
            None
        } else {
            Some(parse_date("违法行为日期", &form.violation_on)?)
        };
        let item = match form.item {
            Some(id) => {
                let item = self.store.entry::<Items>(ItemId(id)).await?.ok_or_else(|| invalid("执法事项", "不存在"))?;
                if item.agency_id != p.agency_id {
                    return Err(invalid("执法事项", "不是本机关的事项"));
                }
                Some(item.id)
            }
            None => None,
        };
        let on = self.step_date(&form.on)?;
        let today = self.today();
        // Where the calendar cannot tell (a year without data), the estimate decides.
        let bound =
            |calendar| rules::rec_2_late_entry(on, today, &form.late_reason, agency.data.late_entry_days(), calendar);
        bound(&self.calendar).or_else(|_| bound(&self.estimate)).map_err(late_entry)?;
        let opening = Opening {
            matter: zhifa_domain::case::Matter {
                item,
                title,
                legal_basis,
                party: form.party.validate()?,
                handlers: self.handlers(p.agency_id, &form.handlers).await?,
                facts,
                violation_on,
                health_or_finance: form.health_or_finance,
                serious: form.serious,
            },
            flags: form.flags,
            on,
        };
        let data = opened(&procedure, opening, (p.user_id, &p.name), (today, &form.late_reason));
        let due_on = self.nearest_due(&procedure, &data);
        let change = Change::CreateCase {
            agency: p.agency_id,
            prefix: agency.data.number_prefix().to_owned(),
            word: procedure.number_word.clone(),
            year: on.year(),
            stage: procedure.start.clone(),
            due_on,
            closed: procedure.stage(&procedure.start).is_some_and(|s| s.terminal),
            data: Box::new(data),
        };
        Ok(CaseId(self.commit_one(actor, &format!("{}：立案登记", procedure.name), change).await?))
    }

    /// The nearest limit not yet met.
    pub(crate) fn nearest_due(&self, procedure: &Procedure, data: &CaseData) -> Option<Date> {
        self.nearest_due_with(procedure, data, &self.legal_periods())
    }

    pub fn nearest_due_with(
        &self,
        procedure: &Procedure,
        data: &CaseData,
        periods: &[zhifa_calendar::LegalPeriod],
    ) -> Option<Date> {
        engine::deadlines(procedure, data, &self.calendar, periods, self.today())
            .into_iter()
            .filter(|d| d.met_on.is_none())
            .map(|d| d.due)
            .min()
    }

    pub(crate) fn legal_periods(&self) -> Vec<zhifa_calendar::LegalPeriod> {
        zhifa_calendar::legal_periods().unwrap_or_default()
    }

    /// A case, if the actor may read it now: another agency's case only once
    /// a stated reason opened it (调阅, [`Service::retrieve`]).
    pub async fn case(&self, actor: &Actor, id: CaseId) -> Result<CaseRow> {
        let case = self.readable_case(actor, id).await?;
        self.require_retrieval(actor, case.agency_id, crate::Retrieval::Case(id)).await?;
        Ok(case)
    }

    /// A case within the actor's scope, retrieved or not.
    pub(crate) async fn readable_case(&self, actor: &Actor, id: CaseId) -> Result<CaseRow> {
        let case = self.store.case(id).await?.ok_or(ServiceError::NotFound)?;
        let agency = self.store.agency(case.agency_id).await?.ok_or(ServiceError::NotFound)?;
        if !authz::can_read(actor, authz::Scope { agency: case.agency_id, region: &agency.data.region }) {
            return Err(ServiceError::NotFound);
        }
        Ok(case)
    }

    /// A case by its number, if the actor may read it.
    pub async fn case_by_number(&self, actor: &Actor, number: &str) -> Result<CaseRow> {
        let case = self.store.case_by_number(number.trim()).await?.ok_or(ServiceError::NotFound)?;
        self.case(actor, case.id).await
    }

    /// Everything the case page shows.
    pub async fn case_view(&self, actor: &Actor, id: CaseId) -> Result<CaseView> {
        let case = self.case(actor, id).await?;
        let procedure = self.procedure(&case.data.procedure)?.clone();
        let agency = self.store.agency(case.agency_id).await?.ok_or(ServiceError::NotFound)?;
        let around = self.circumstances(&case).await?;
        // A reviewer of the agency sees what stands in the way of their own review.
        let reviewer = match actor {
            Actor::User(p) if p.role == Role::Reviewer && p.agency_id == case.agency_id => {
                Some(self.reviewer_info(case.agency_id, p.user_id).await?)
            }
            _ => None,
        };
        let actions = {
            let (by, name) = match actor {
                Actor::User(p) => (p.user_id, p.name.as_str()),
                Actor::System(_) => (UserId(0), ""),
            };
            let mut step = StepInput::new(self.today().max(last_day(&case.data)), by, name);
            step.reviewer = reviewer;
            let facts = around.facts(&procedure, &case, &step, (&self.calendar, &self.estimate));
            engine::available(&facts, &procedure).into_iter().map(|(t, refusals)| (t.clone(), refusals)).collect()
        };
        let deadlines = engine::deadlines(&procedure, &case.data, &self.calendar, &self.legal_periods(), self.today());
        let timeline = self.store.records_of("case", id.0).await?;
        let review = &around.review;
        let review_due = case.data.review.current().map(|r| self.round_due(r, review.catalogue.time_limit_days));
        // A penalty needs review by its draft; other decisions by the catalogue.
        let draft = zhifa_domain::case::reviewed::draft_at_hand(&case.data);
        let review_required = match (&draft, case.data.category) {
            (None, zhifa_domain::people::Category::Penalty) => Vec::new(),
            _ => zhifa_domain::case::reviewed::review_triggers(
                review,
                &case.data,
                draft.as_ref().and_then(|d| d.penalty()),
            ),
        };
        Ok(CaseView {
            case,
            procedure,
            agency_name: agency.data.name.clone(),
            review_due,
            review_required,
            deadlines,
            actions,
            recordings: around.uploads,
            timeline,
        })
    }

    /// What the engine weighs a step of `case` against besides the case.
    async fn circumstances(&self, case: &CaseRow) -> Result<Circumstances> {
        let certificates = self.certificates_of(case.agency_id).await?;
        let uploads = self.store.case_recordings(case.agency_id, &case.number).await?;
        let agency = self.store.agency(case.agency_id).await?.ok_or(ServiceError::NotFound)?;
        Ok(Circumstances {
            amounts: self.amounts_of(&agency.data.region).cloned(),
            late_entry_days: agency.data.late_entry_days(),
            certificates: Box::new(move |u| certificates.get(&u).cloned().unwrap_or_default()),
            recordings: recording_refs(&uploads),
            uploads,
            review: self.review_context(case).await?,
        })
    }

    /// The certificates of each person of an agency.
    pub async fn certificates_of(
        &self,
        agency: zhifa_domain::ids::AgencyId,
    ) -> Result<HashMap<UserId, Vec<CertificateData>>> {
        let mut out: HashMap<UserId, Vec<CertificateData>> = HashMap::new();
        for c in self.store.certificates(agency).await? {
            out.entry(c.user_id).or_default().push(c.cert.data);
        }
        Ok(out)
    }

    /// Take one step of a case: the engine decides; a refusal names each rule
    /// and its article. Officers and heads of the case's agency do.
    pub async fn take_step(
        &self,
        actor: &Actor,
        id: CaseId,
        version: i64,
        action: &str,
        form: &StepForm,
    ) -> Result<CaseRow> {
        let Actor::User(p) = actor else { return Err(ServiceError::Forbidden) };
        let case = self.case(actor, id).await?;
        if case.agency_id != p.agency_id || !authz::can_handle_cases(actor) {
            return Err(ServiceError::Forbidden);
        }
        if case.version != version {
            return Err(ServiceError::Conflict);
        }
        let procedure = self.procedure(&case.data.procedure)?.clone();
        let handlers = match &form.handlers {
            Some(handlers) => Some(self.handlers(case.agency_id, handlers).await?),
            None => None,
        };
        let reviewer = match (action, form.reviewer) {
            ("assign_reviewer", Some(user)) => Some(self.reviewer_info(case.agency_id, UserId(user)).await?),
            ("assign_reviewer", None) => None,
            _ if p.role == Role::Reviewer => Some(self.reviewer_info(case.agency_id, p.user_id).await?),
            _ => None,
        };
        let around = self.circumstances(&case).await?;
        let mut step = step_input(self.step_date(&form.on)?, p, form, handlers, reviewer)?;
        // A step that cannot be undone is confirmed and says why.
        if procedure.transition(action).is_some_and(|t| t.confirm) {
            if step.reason.is_empty() {
                return Err(invalid("理由", "该步骤不可撤回，应写明理由"));
            }
            if !form.confirmed {
                return Err(invalid("确认", "该步骤不可撤回，请确认后再提交"));
            }
        }
        step.recorded_on = self.today();
        step.late_entry_days = around.late_entry_days;
        let (stage, mut data) =
            engine::take(&around.facts(&procedure, &case, &step, (&self.calendar, &self.estimate)), action)
                .map_err(ServiceError::Refused)?;
        let transition = procedure.transition(action).ok_or(ServiceError::NotFound)?;
        if transition.effect == "archive" {
            self.seal_archive(&case, &procedure, &mut data).await?;
        }
        let closed = procedure.stage(&stage).is_some_and(|s| s.terminal);
        let due_on = if closed { None } else { self.nearest_due(&procedure, &data) };
        // PUB-4: a decision set aside is due to be withdrawn from publication.
        let pending = match &data.annulled {
            Some(a) if case.data.annulled.is_none() => self.withdrawal_pending(id, a.on).await?,
            _ => None,
        };
        let change =
            Change::UpdateCase { id, version, action: action.to_owned(), stage, due_on, closed, data: Box::new(data) };
        let changes = std::iter::once(change).chain(pending).collect();
        self.commit(actor, &format!("{}：{}", case.number, transition.name), changes).await?;
        self.store.case(id).await?.ok_or(ServiceError::NotFound)
    }

    /// REC-3: check again what was checked against an estimated calendar,
    /// now that the calendar may hold the year: each case that changes is
    /// one command of the system, its handlers told of what moved or is
    /// late (`CaseData::notices`). Returns how many cases changed.
    pub async fn recheck_estimates(&self) -> Result<usize> {
        let system = Actor::System("calendar");
        let (mut after, mut changed) = (0, 0);
        loop {
            let batch = self.store.provisional_cases(after, 200).await?;
            let Some(last) = batch.last() else { break };
            after = last.id.0;
            for case in batch {
                if let Some(change) = self.rechecked(&case).await? {
                    let reason = format!("{}：按已载入的节假日安排复核暂估的期限", case.number);
                    self.commit(&system, &reason, vec![change]).await?;
                    changed += 1;
                }
            }
        }
        Ok(changed)
    }

    /// The change that records `case` checked again, if anything could be.
    async fn rechecked(&self, case: &CaseRow) -> Result<Option<Change>> {
        let procedure = self.procedure(&case.data.procedure)?;
        // The case as it stood before each step: the data of its records.
        let mut before = HashMap::new();
        for record in self.store.records_of("case", case.id.0).await? {
            let body: serde_json::Value =
                serde_json::from_slice(&record.body).map_err(|e| ServiceError::caused("a case record", e))?;
            if let Ok(data) = serde_json::from_value::<CaseData>(body["data"]["data"].clone()) {
                before.insert(data.steps.len(), data);
            }
        }
        let around = self.circumstances(case).await?;
        let weighed = recheck::Weighed {
            review: &around.review,
            amounts: around.amounts.as_ref(),
            late_entry_days: around.late_entry_days,
        };
        let calendars = (&*self.calendar, &*self.estimate);
        let before = |k: usize| before.get(&k).cloned();
        let Some(data) =
            recheck::rec_3_recheck_estimates(procedure, &case.data, before, calendars, &weighed, self.today())
        else {
            return Ok(None);
        };
        let due_on = if case.closed { case.due_on } else { self.nearest_due(procedure, &data) };
        Ok(Some(Change::UpdateCase {
            id: case.id,
            version: case.version,
            action: "recheck_estimates".into(),
            stage: case.stage.clone(),
            due_on,
            closed: case.closed,
            data: Box::new(data),
        }))
    }

    /// Cases the actor may read, by `filter` (its agency, or a supervisor's region).
    pub async fn cases(&self, actor: &Actor, mut filter: CaseFilter) -> Result<Vec<CaseRow>> {
        let Actor::User(p) = actor else { return Err(ServiceError::Forbidden) };
        match authz::listing_region(actor) {
            // A narrower region asked for stays; an agency outside the
            // subtree finds nothing.
            Some(prefix) => {
                if !filter.region_prefix.as_deref().is_some_and(|r| r.starts_with(&prefix)) {
                    filter.region_prefix = Some(prefix);
                }
            }
            None => filter.agency = Some(p.agency_id),
        }
        Ok(self.store.cases(&filter).await?)
    }

    /// Everything about one party (by ID card number or USCC) in the actor's agency.
    pub async fn party_cases(&self, actor: &Actor, key: &str) -> Result<Vec<CaseRow>> {
        let Actor::User(p) = actor else { return Err(ServiceError::Forbidden) };
        Ok(self.store.party_cases(p.agency_id, key.trim()).await?)
    }
}

/// What the engine weighs a step of a case against besides the case itself:
/// its agency's certificates and bound on late entries, the case's
/// recordings, its review context and its province's amounts.
struct Circumstances {
    certificates: Box<dyn Fn(UserId) -> Vec<CertificateData> + Send + Sync>,
    uploads: Vec<UploadRow>,
    recordings: Vec<RecordingRef>,
    review: ReviewContext,
    amounts: Option<zhifa_domain::amounts::ProvinceAmounts>,
    /// The agency's bound on late entries (REC-2).
    late_entry_days: u16,
}

impl Circumstances {
    /// The engine's facts for `step` of `case` under `procedure`.
    fn facts<'a>(
        &'a self,
        procedure: &'a Procedure,
        case: &'a CaseRow,
        step: &'a StepInput,
        (calendar, estimate): (&'a zhifa_calendar::Calendar, &'a zhifa_calendar::Calendar),
    ) -> Facts<'a> {
        Facts {
            procedure,
            action: "",
            case: &case.data,
            stage: &case.stage,
            step,
            certificates: &*self.certificates,
            recordings: &self.recordings,
            calendar,
            estimate,
            review: &self.review,
            amounts: self.amounts.as_ref(),
        }
    }
}

/// A new case's data: opened by `by` (id, name), at the start of its
/// procedure, recorded on `recorded` (day, and why later than it happened).
pub fn opened(procedure: &Procedure, opening: Opening, by: (UserId, &str), recorded: (Date, &str)) -> CaseData {
    let on = opening.on;
    let mut data = CaseData::new(procedure, opening);
    data.steps.push(zhifa_domain::case::Step {
        action: "open".into(),
        from: String::new(),
        to: procedure.start.clone(),
        by: by.0,
        by_name: by.1.to_owned(),
        on,
        note: String::new(),
        recorded_on: Some(recorded.0),
        late_reason: (on < recorded.0).then(|| recorded.1.trim().to_owned()),
        estimated: Vec::new(),
        rechecked: Vec::new(),
    });
    data
}

/// A late entry refused (REC-2), as the engine would refuse it.
fn late_entry(message: String) -> ServiceError {
    ServiceError::Refused(vec![Refusal { rule: rules::LATE_ENTRY_RULE, article: rules::REC_2_TIMELY, message }])
}

/// What a step brings, from its form as typed, taken by `p` on `on`.
pub fn step_input(
    on: Date,
    p: &crate::Principal,
    form: &StepForm,
    handlers: Option<Vec<Handler>>,
    reviewer: Option<ReviewerInfo>,
) -> Result<StepInput> {
    let mut step = StepInput::new(on, p.user_id, &p.name);
    step.late_reason = zhifa_domain::error::optional_text("补录原因", &form.late_reason, 500)?;
    step.role = Some(p.role);
    step.note = zhifa_domain::error::optional_text("备注", &form.note, 2000)?;
    step.reason = zhifa_domain::error::optional_text("理由", &form.reason, 2000)?;
    step.penalty = form.penalty.as_ref().map(PenaltyForm::validate).transpose()?;
    if !form.no_penalty_ground.trim().is_empty() {
        step.no_penalty_ground = Some(zhifa_domain::penalty::NoPenaltyGround::parse(&form.no_penalty_ground)?);
    }
    if form.first_violation || form.minor_harm || form.corrected {
        step.first_minor = Some([form.first_violation, form.minor_harm, form.corrected]);
    }
    step.limit = form.limit.trim().to_owned();
    step.days = form.days;
    if !form.amount.trim().is_empty() {
        step.amount = Money::parse_yuan("缴纳金额", &form.amount)?;
    }
    step.handlers = handlers;
    step.reviewer = reviewer;
    step.review = form.review.as_ref().map(ReviewForm::validate).transpose()?;
    step.answers = form.answers.iter().map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect();
    if step.answers.iter().any(|a| a.chars().count() > 2000) {
        return Err(invalid("答复", "每项不能超过 2000 个字"));
    }
    step.deliberation = form.deliberation.as_ref().map(DeliberationForm::validate).transpose()?;
    step.participants = zhifa_domain::review::lines(&form.participants);
    if let Some(facts) = &form.facts {
        step.facts = Some(zhifa_domain::error::optional_text("案件事实", facts, 5000)?);
    }
    if let Some(basis) = &form.legal_basis {
        step.legal_basis = Some(zhifa_domain::error::optional_text("法律依据", basis, 1000)?);
    }
    step.flags = form.flags;
    step.decides = Some(form.decides.trim().to_owned()).filter(|d| !d.is_empty());
    if !form.annulled_by.trim().is_empty() {
        step.annulled_by = Some(zhifa_domain::case::AnnulledBy::parse(&form.annulled_by)?);
    }
    Ok(step)
}

/// The last day anything happened on the case (a dry run must not be earlier).
fn last_day(case: &CaseData) -> Date {
    case.steps.last().map_or(case.opened_on, |s| s.on)
}

pub(crate) fn recording_refs(recordings: &[UploadRow]) -> Vec<RecordingRef> {
    let kind = |u: &UploadRow| zhifa_domain::evidence::MediaKind::of(u.content_type.as_deref());
    recordings.iter().map(|u| RecordingRef { step: u.meta.step.clone(), kind: kind(u) }).collect()
}

/// What is kept of a recording in an archive package.
#[derive(serde::Serialize)]
struct RecordingEntry<'a> {
    id: i64,
    step: &'a str,
    filename: &'a str,
    captured_at: String,
    place: &'a str,
    collector: &'a str,
    proves: &'a str,
    content_hash: Option<&'a str>,
    late: bool,
    length: u64,
}

impl Service {
    /// The flowchart of a procedure (public: it is published).
    pub fn flowchart(&self, procedure: &str) -> Result<String> {
        let p = self.procedure(procedure)?;
        zhifa_docs::flowchart::svg(p).map_err(|e| ServiceError::internal(e.to_string()))
    }

    /// A document of a case, as HTML.
    pub async fn case_document(&self, actor: &Actor, id: CaseId, kind: &str) -> Result<String> {
        let case = self.case(actor, id).await?;
        let procedure = self.procedure(&case.data.procedure)?.clone();
        if !procedure.stages.iter().any(|s| s.documents.iter().any(|d| d == kind)) {
            return Err(ServiceError::NotFound);
        }
        let agency = self.store.agency(case.agency_id).await?.ok_or(ServiceError::NotFound)?;
        let recordings = self.store.case_recordings(case.agency_id, &case.number).await?.len();
        let view = zhifa_docs::documents::DocumentView::new(
            &procedure,
            &agency.data.name,
            &case.number,
            &case.data,
            recordings,
            self.amounts_of(&agency.data.region),
        );
        zhifa_docs::documents::render(kind, &view).map_err(|e| ServiceError::internal(e.to_string()))
    }

    /// The files of an archive package (before the ledger's part): every
    /// document of the stages the case went through, its recordings, its
    /// data, and their manifest last.
    async fn archive_files(&self, case: &CaseRow, procedure: &Procedure) -> Result<Vec<(String, Vec<u8>)>> {
        let agency = self.store.agency(case.agency_id).await?.ok_or(ServiceError::NotFound)?;
        let recordings = self.store.case_recordings(case.agency_id, &case.number).await?;
        let view = zhifa_docs::documents::DocumentView::new(
            procedure,
            &agency.data.name,
            &case.number,
            &case.data,
            recordings.len(),
            self.amounts_of(&agency.data.region),
        );
        let mut files = Vec::new();
        let mut done = Vec::new();
        for stage in procedure.stages.iter().filter(|s| case.data.entered(&s.id).is_some()) {
            for kind in &stage.documents {
                if done.contains(kind) {
                    continue;
                }
                let html =
                    zhifa_docs::documents::render(kind, &view).map_err(|e| ServiceError::internal(e.to_string()))?;
                let name = zhifa_domain::case::document_name(kind).unwrap_or("文书");
                files.push((format!("documents/{kind}-{name}.html"), html.into_bytes()));
                done.push(kind.clone());
            }
        }
        let entries: Vec<RecordingEntry<'_>> = recordings
            .iter()
            .map(|u| RecordingEntry {
                id: u.id.0,
                step: &u.meta.step,
                filename: &u.meta.filename,
                captured_at: u.meta.captured_at.to_string(),
                place: &u.meta.place,
                collector: &u.meta.collector,
                proves: &u.meta.proves,
                content_hash: u.content_hash.as_deref(),
                late: u.late,
                length: u.length,
            })
            .collect();
        files.push(("recordings.json".into(), serde_json::to_vec_pretty(&entries).unwrap_or_default()));
        files.push(("case.json".into(), serde_json::to_vec_pretty(&case.data).unwrap_or_default()));
        let alg = self.store.ledger_meta_cached().await?.hash;
        let manifest = zhifa_docs::archive::manifest(&case.number, &agency.data.name, alg, &files);
        files.push((zhifa_docs::archive::MANIFEST.into(), manifest));
        Ok(files)
    }

    /// Archive the case: the package's files are made and stored, and their
    /// manifest's hash goes into the archiving record.
    async fn seal_archive(&self, case: &CaseRow, procedure: &Procedure, data: &mut CaseData) -> Result<()> {
        let files = self.archive_files(case, procedure).await?;
        let alg = self.store.ledger_meta_cached().await?.hash;
        let manifest = files.last().map(|(_, m)| zhifa_ledger::hex(&alg.digest(&[m]))).unwrap_or_default();
        let core = zhifa_docs::archive::zip(&files).map_err(|e| ServiceError::internal(e.to_string()))?;
        let blob = self.blobs()?.put_bytes(alg, core).await.map_err(|e| ServiceError::internal(e.to_string()))?;
        data.archive_manifest = Some(manifest);
        data.archive_blob = Some(blob);
        Ok(())
    }

    /// The archive package of an archived case: its stored files with the
    /// case's records, their inclusion proofs, the checkpoint and the key.
    pub async fn archive_package(&self, actor: &Actor, id: CaseId) -> Result<Vec<u8>> {
        let case = self.case(actor, id).await?;
        let Some(blob) = &case.data.archive_blob else { return Err(ServiceError::NotFound) };
        let meta = self.store.ledger_meta_cached().await?;
        let core =
            self.blobs()?.read_bytes(meta.hash, blob).await.map_err(|e| ServiceError::internal(e.to_string()))?;
        let files = zhifa_docs::archive::unzip(&core).map_err(|p| ServiceError::internal(p.join("；")))?;
        let checkpoint = self.checkpoint().await?;
        let mut records = self.store.records_of("case", id.0).await?;
        for u in self.store.case_recordings(case.agency_id, &case.number).await? {
            records.extend(self.store.records_of("upload", u.id.0).await?);
        }
        let mut proofs = Vec::new();
        for r in records {
            let Some(leaf) = self.store.leaf_of_record(r.id.0).await? else { continue };
            if leaf.index >= checkpoint.size {
                continue;
            }
            let proof = self.inclusion_proof(leaf.index, checkpoint.size).await?;
            proofs.push(zhifa_docs::archive::RecordProof {
                record_id: r.id.0,
                kind: r.kind.clone(),
                index: leaf.index,
                salt: zhifa_ledger::hex(&leaf.salt),
                body: String::from_utf8_lossy(&r.body).into_owned(),
                leaf: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &leaf.leaf),
                proof: proof.proof.iter().map(|h| zhifa_ledger::hex(h)).collect(),
            });
        }
        let ledger = zhifa_docs::archive::LedgerInfo {
            origin: meta.origin.clone(),
            hash: meta.hash.code().to_owned(),
            signer: meta.signer.code().to_owned(),
        };
        let package = zhifa_docs::archive::package(
            &files,
            &zhifa_docs::archive::Proofs {
                records: &proofs,
                ledger: &ledger,
                checkpoint: &checkpoint.note,
                public_key: &meta.public_key,
            },
        );
        package.map_err(|e| ServiceError::internal(e.to_string()))
    }
}
