//! Early warnings (预警, SUP-1): kept current from the outbox as things
//! change ([`Service::catch_up_warnings`]) and by a pass once a day for the
//! limits that pass while nobody writes ([`Service::warnings_daily_pass`]);
//! read in the reader's scope; handled by supervisors and agencies through
//! the command path. No request evaluates them: a page reads the table.

use crate::{Actor, Result, Service, ServiceError};
use jiff::civil::Date;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::Ordering;
use zhifa_domain::case::engine;
use zhifa_domain::change::Change;
use zhifa_domain::ids::{AgencyId, CaseId, CertificateId, ComplaintId, PublicationId, UploadId, UserId, WarningId};
use zhifa_domain::people::Role;
use zhifa_domain::warning::handling::{HandlingAction, HandlingStep, sup_1_handle, sup_1_may_handle};
use zhifa_domain::warning::rules::{CaseFacts, Facts, SubjectFacts};
use zhifa_domain::warning::{Finding, Reconciled, RuleBook, Subject, SubjectKind, reconcile};
use zhifa_store::{FigureSource, WarningFilter, WarningRow};

/// Who commits what the rules find.
const SYSTEM: &str = "warnings";
/// The procedure whose cases are inspections of a market entity.
const INSPECTION: &str = "inspection";
/// Events read at a time.
const EVENTS: i64 = 1_000;
/// Cases read at a time.
const AHEAD: usize = 400;
/// Subjects' commands sent before waiting for them.
const COMMANDS: usize = 256;
/// Sources of the dashboard's sums (and clocks) written at a time.
const FIGURES: usize = 1_000;
/// The way clocks are counted: a new number makes the next day's pass
/// count every clock again.
const CLOCKS: u32 = 1;

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Outbox events read.
    pub events: usize,
    /// Subjects evaluated.
    pub subjects: usize,
    pub opened: usize,
    /// Escalated, updated or closed.
    pub changed: usize,
}

/// Which warnings a reader asks for (each within the reader's scope).
#[derive(Debug, Clone, Default)]
pub struct WarningQuery {
    /// A region code: its subtree.
    pub region: Option<String>,
    pub agency: Option<AgencyId>,
    pub rule: Option<String>,
    pub severity: Option<String>,
    /// A status, or `open` for those not ended.
    pub status: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// A handling step as asked for.
#[derive(Debug, Clone, Default)]
pub struct HandlingForm {
    /// The warning's version the asker saw.
    pub version: i64,
    pub text: String,
    /// A request's time to answer, in working days.
    pub due_working_days: Option<u16>,
    /// Evidence files of the agency an answer points to.
    pub attachments: Vec<i64>,
}

type Key = (SubjectKind, i64);

impl Service {
    /// The warning rules in force.
    pub fn warning_rules(&self) -> &RuleBook {
        &self.warning_rules
    }

    /// Evaluate the subjects the outbox named since the last catch-up, and
    /// record how far that went. A process starts where the ledger says
    /// the last one stopped; a log never evaluated gets a whole pass first.
    pub async fn catch_up_warnings(&self) -> Result<PassReport> {
        let _one = self.warnings_lock.lock().await;
        let mut report = PassReport::default();
        let mut mark = self.warnings_checked.load(Ordering::Acquire);
        if mark < 0 {
            // The dashboard's sums of a database that had cases before it
            // had sums are counted once from everything.
            if self.store.figure_source_count().await? == 0 && self.store.case_count().await? > 0 {
                let counted = self.rebuild_figures(|_| {}).await?;
                tracing::info!(counted, "the dashboard's sums counted from every case, publication and complaint");
            }
            mark = match self.store.warnings_cursor().await? {
                Some(through) => through,
                None => {
                    let newest = self.store.last_outbox_id().await?;
                    report = self.whole_pass().await?;
                    self.commit(
                        &Actor::System(SYSTEM),
                        "预警规则评估进度",
                        vec![Change::WarningsEvaluated { through: newest }],
                    )
                    .await?;
                    newest
                }
            };
            self.warnings_checked.store(mark, Ordering::Release);
        }
        loop {
            let events = self.store.subject_events_after(mark, EVENTS).await?;
            let Some(last) = events.last().map(|e| e.outbox_id) else { break };
            report.events += events.len();
            let mut subjects = BTreeSet::new();
            for e in &events {
                let agency = e.agency_id.map(AgencyId);
                match e.entity.as_str() {
                    "case" => {
                        subjects.insert((SubjectKind::Case, e.entity_id));
                    }
                    "publication" => {
                        subjects.insert((SubjectKind::Publication, e.entity_id));
                    }
                    "complaint" => {
                        subjects.insert((SubjectKind::Complaint, e.entity_id));
                    }
                    "certificate" => {
                        subjects.insert((SubjectKind::Certificate, e.entity_id));
                        if let Some(a) = agency {
                            subjects.insert((SubjectKind::Agency, a.0));
                            // A step found taken without a valid certificate
                            // may have had one after all.
                            let acting = self.store.open_warning_subjects(a, "certificate_expired_acting").await?;
                            subjects.extend(acting);
                        }
                    }
                    "user" => {
                        subjects.extend(agency.map(|a| (SubjectKind::Agency, a.0)));
                    }
                    "agency" => {
                        subjects.insert((SubjectKind::Agency, e.entity_id));
                        // Its review time limit sets its reviews' due days.
                        let filter = zhifa_store::CaseFilter {
                            agency: Some(AgencyId(e.entity_id)),
                            stage: Some("legal_review".into()),
                            open: Some(true),
                            limit: 1_000_000,
                            ..Default::default()
                        };
                        let reviewed = self.store.cases(&filter).await?;
                        subjects.extend(reviewed.into_iter().map(|c| (SubjectKind::Case, c.id.0)));
                    }
                    "upload" => {
                        if let Some(case) = self.case_of_upload(UploadId(e.entity_id)).await? {
                            subjects.insert((SubjectKind::Case, case.0));
                        }
                    }
                    _ => {}
                }
            }
            self.evaluate_all(subjects, &mut report, true).await?;
            // Only the warnings' own events: nothing to note (noting it
            // would be an event again).
            if events.iter().any(|e| !e.entity.starts_with("warning")) {
                let change = Change::WarningsEvaluated { through: last };
                self.commit(&Actor::System(SYSTEM), "预警规则评估进度", vec![change]).await?;
            }
            mark = last;
            self.warnings_checked.store(mark, Ordering::Release);
        }
        Ok(report)
    }

    /// The pass of a day: every subject whose clock says a rule may find
    /// otherwise today than when it was last evaluated, and every agency;
    /// every subject when the clocks were counted on another calendar,
    /// other procedures or other rules (or never).
    pub async fn warnings_daily_pass(&self) -> Result<PassReport> {
        let _one = self.warnings_lock.lock().await;
        if self.store.warning_clock_basis().await?.as_deref() != Some(self.clock_basis().as_str()) {
            tracing::info!("the warnings' clocks were counted on another basis: evaluating every subject");
            return self.whole_pass().await;
        }
        let mut subjects: BTreeSet<Key> = self.store.warning_clocks_due(self.today()).await?.into_iter().collect();
        subjects.extend(self.store.agency_ids().await?.into_iter().map(|id| (SubjectKind::Agency, id)));
        let mut report = PassReport::default();
        // The day's pass leaves the dashboard's sums alone: no figure
        // depends on the day, and every change is an event.
        self.evaluate_all(subjects, &mut report, false).await?;
        Ok(report)
    }

    /// Keep the warnings following the outbox until the process ends, with
    /// a day's pass when the day changes. For `serve`.
    pub async fn follow_warnings(&self) {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut day = None;
        loop {
            tick.tick().await;
            let today = self.today();
            let result = if day.is_some_and(|d| d != today) {
                self.warnings_daily_pass().await
            } else {
                self.catch_up_warnings().await
            };
            match result {
                Ok(_) => day = Some(today),
                Err(e) => tracing::error!(error = %e, "evaluating warnings"),
            }
        }
    }

    /// Every case, certificate, agency, publication to withdraw, complaint
    /// unanswered and subject with a warning open, with its sums and its
    /// clock; then the clocks' basis noted.
    async fn whole_pass(&self) -> Result<PassReport> {
        let mut subjects: BTreeSet<Key> = BTreeSet::new();
        let mut after = 0;
        loop {
            let page = self.store.case_ids_after(after, 10_000).await?;
            let Some(&last) = page.last() else { break };
            subjects.extend(page.into_iter().map(|id| (SubjectKind::Case, id)));
            after = last;
        }
        subjects.extend(self.store.certificate_ids().await?.into_iter().map(|id| (SubjectKind::Certificate, id)));
        subjects.extend(self.store.withdrawals_pending().await?.into_iter().map(|id| (SubjectKind::Publication, id)));
        subjects.extend(self.store.unanswered_complaints().await?.into_iter().map(|id| (SubjectKind::Complaint, id)));
        subjects.extend(self.store.agency_ids().await?.into_iter().map(|id| (SubjectKind::Agency, id)));
        for kind in SubjectKind::ALL {
            let open = self.store.subjects_with_open_warnings(*kind).await?;
            subjects.extend(open.into_iter().map(|id| (*kind, id)));
        }
        let mut report = PassReport::default();
        self.evaluate_all(subjects, &mut report, true).await?;
        self.store.set_warning_clock_basis(&self.clock_basis()).await?;
        Ok(report)
    }

    /// What the clocks are counted with: the calendar (with its estimated
    /// years), the procedures' limits and stages, and the rules' data, as
    /// a digest. [`CLOCKS`] changes when the counting itself does.
    fn clock_basis(&self) -> String {
        use sha2::Digest;
        let text = format!("{CLOCKS}\n{:?}\n{:?}\n{:?}", self.estimate, self.procedures, self.warning_rules);
        sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Evaluate `subjects`, and what their evaluation names (a
    /// publication's case). Each subject's changes are one command; the
    /// commands of many subjects are sent together, for the writer to
    /// commit in groups. The clocks are written only after the commands
    /// they follow from are committed.
    async fn evaluate_all(&self, mut subjects: BTreeSet<Key>, report: &mut PassReport, sums: bool) -> Result<()> {
        let mut done = BTreeSet::new();
        let mut figures = Vec::new();
        let mut clocks = Vec::new();
        let mut commands = tokio::task::JoinSet::new();
        let mut shared = Shared::default();
        while let Some(key) = subjects.pop_first() {
            if !done.insert(key) {
                continue;
            }
            if key.0 == SubjectKind::Case && !shared.ahead.contains_key(&key.1) {
                let next = subjects.range(key..).take_while(|k| k.0 == SubjectKind::Case).take(AHEAD - 1);
                let ids: Vec<i64> = std::iter::once(key.1).chain(next.map(|k| k.1)).collect();
                shared.read_ahead(self, &ids).await?;
            }
            let e = self.evaluate(key, &mut shared).await?;
            report.subjects += 1;
            report.opened += e.opened;
            report.changed += e.changed;
            subjects.extend(e.also.into_iter().filter(|k| !done.contains(k)));
            figures.extend(e.figures.filter(|_| sums));
            // An agency is in every day's pass: it keeps no clock.
            if key.0 != SubjectKind::Agency {
                clocks.push((key, e.next));
            }
            if !e.changes.is_empty() {
                let service = self.clone();
                commands.spawn(async move {
                    service.commit(&Actor::System(SYSTEM), "预警规则评估", e.changes).await.map(|_| ())
                });
            }
            if commands.len() >= COMMANDS || figures.len() >= FIGURES || clocks.len() >= FIGURES {
                self.flush(&mut commands, &mut figures, &mut clocks).await?;
            }
        }
        self.flush(&mut commands, &mut figures, &mut clocks).await
    }

    /// Wait for the commands sent, then write the sums and the clocks.
    async fn flush(
        &self,
        commands: &mut tokio::task::JoinSet<Result<()>>,
        figures: &mut Vec<FigureSource>,
        clocks: &mut Vec<zhifa_store::Clock>,
    ) -> Result<()> {
        let mut failed = None;
        while let Some(done) = commands.join_next().await {
            let outcome = done.map_err(|e| ServiceError::internal(format!("evaluating warnings: {e}"))).and_then(|r| r);
            if let Err(e) = outcome {
                failed.get_or_insert(e);
            }
        }
        // A command refused leaves its subject's clock where it was: the
        // batch is evaluated again.
        if let Some(e) = failed {
            return Err(e);
        }
        self.store.apply_figures(&std::mem::take(figures)).await?;
        self.store.set_warning_clocks(&std::mem::take(clocks)).await?;
        Ok(())
    }

    /// Run the rules over one subject: what changes is its command.
    async fn evaluate(&self, (kind, id): Key, shared: &mut Shared) -> Result<Evaluated> {
        let today = self.today();
        let found = match kind {
            SubjectKind::Case => self.case_findings(CaseId(id), today, shared).await?,
            SubjectKind::Publication => self.publication_findings(PublicationId(id), today).await?,
            SubjectKind::Complaint => self.complaint_findings(ComplaintId(id), today).await?,
            SubjectKind::Certificate => self.certificate_findings(CertificateId(id), today).await?,
            SubjectKind::Agency => self.agency_findings(AgencyId(id), today).await?,
        };
        let open = match shared.open.remove(&(kind, id)) {
            Some(open) => open,
            None => self.store.open_warnings_of(kind, id).await?,
        };
        let Found { agency, subject, findings, also, figures, next } = match found {
            Some(f) => f,
            // Gone: whatever is open on it has lost its cause, and it adds
            // nothing to the dashboard.
            None => {
                let gone = match kind {
                    SubjectKind::Case => Some("case"),
                    SubjectKind::Publication => Some("publication"),
                    SubjectKind::Complaint => Some("complaint"),
                    _ => None,
                };
                let figures =
                    gone.map(|kind| FigureSource { kind, id, agency: AgencyId(0), contribution: Default::default() });
                match open.first() {
                    Some(w) => Found {
                        agency: w.agency_id,
                        subject: w.data.subject.clone(),
                        findings: Vec::new(),
                        also: Vec::new(),
                        figures,
                        next: None,
                    },
                    None => return Ok(Evaluated { figures, ..Default::default() }),
                }
            }
        };
        let pairs: Vec<(i64, _)> = open.iter().map(|w| (w.id.0, w.data.clone())).collect();
        let mut changes = Vec::new();
        let (mut opened, mut changed) = (0, 0);
        for r in reconcile(&pairs, &findings, &subject, today) {
            match r {
                Reconciled::Open(data) => {
                    opened += 1;
                    changes.push(Change::CreateWarning { agency, data });
                }
                Reconciled::Change { id, action, data } => {
                    changed += 1;
                    let version = open.iter().find(|w| w.id.0 == id).map_or(0, |w| w.version);
                    changes.push(Change::UpdateWarning { id: WarningId(id), version, action, data });
                }
            }
        }
        Ok(Evaluated { opened, changed, also, figures, next, changes })
    }

    /// What the rules find on `subject` today, and the first day they may
    /// find otherwise.
    fn run_rules(&self, today: Date, subject: SubjectFacts<'_>) -> (Vec<Finding>, Option<Date>) {
        let facts = Facts { today, calendar: &self.estimate, subject };
        (self.warning_rules.evaluate(&facts), self.warning_rules.next_change(&facts))
    }

    async fn case_findings(&self, id: CaseId, today: Date, shared: &mut Shared) -> Result<Option<Found>> {
        // Read with its publication, uploads and open warnings as the
        // batch's other cases are, if it was not.
        if !shared.ahead.contains_key(&id.0) {
            shared.read_ahead(self, &[id.0]).await?;
        }
        let Some(Ahead { case, published, uploads }) = shared.ahead.remove(&id.0) else { return Ok(None) };
        let Some(case) = case else { return Ok(None) };
        let procedure = self.procedure(&case.data.procedure)?;
        let agency = shared.agency(self, case.agency_id).await?;
        let deadlines = engine::deadlines(procedure, &case.data, &self.calendar, &shared.periods, today);
        let publication_due = match case.data.decided_on {
            Some(decided_on)
                if case.data.annulled.is_none()
                    && zhifa_domain::publication::decision_info(&agency.data.name, &case.number, &case.data)
                        .is_some()
                    && !published =>
            {
                Some(self.publication_due(case.data.category, decided_on).due)
            }
            _ => None,
        };
        let review_due = match case.data.review.current() {
            Some(round) if round.outcome.is_none() && !case.closed => {
                let limit = shared.review_limit(self, case.agency_id).await?;
                Some(self.round_due(round, limit).due)
            }
            _ => None,
        };
        let recordings = crate::cases::recording_refs(&uploads);
        let certificates = shared.certificates(self, case.agency_id).await?;
        let facts = CaseFacts {
            case: &case.data,
            procedure,
            stage: &case.stage,
            closed: case.closed,
            deadlines: &deadlines,
            publication_due,
            review_due,
            recordings: &recordings,
            certificates: certificates.as_slice(),
        };
        let (mut findings, mut next) = self.run_rules(today, SubjectFacts::Case(facts));
        let mut also = Vec::new();
        // An inspection: the entity's inspections, asked of its newest.
        if procedure.id == INSPECTION {
            let party = &case.data.matter.party;
            let all = self.store.inspections_of(party.key(), INSPECTION).await?;
            let mut inspections = Vec::with_capacity(all.len());
            for (agency, on, _) in &all {
                inspections.push((*agency, on.parse::<Date>().map_err(|e| ServiceError::caused("opened_on", e))?));
            }
            if all.last().is_some_and(|(_, _, newest)| *newest == id.0) {
                let facts = SubjectFacts::Party { name: party.name(), inspections: &inspections };
                let (party_findings, party_next) = self.run_rules(today, facts);
                findings.extend(party_findings);
                next = next.into_iter().chain(party_next).min();
                // What was asked of the newest before is asked of this one now.
                also.extend(all.iter().filter(|(.., c)| *c != id.0).map(|(.., c)| (SubjectKind::Case, *c)));
            }
        }
        let figures = self.case_figures(&case, &deadlines, !uploads.is_empty());
        let subject = Subject { kind: SubjectKind::Case, id: id.0, label: case.number.clone() };
        Ok(Some(Found { agency: case.agency_id, subject, findings, also, figures: Some(figures), next }))
    }

    async fn publication_findings(&self, id: PublicationId, today: Date) -> Result<Option<Found>> {
        let Some(p) = self.store.publication(id).await? else { return Ok(None) };
        let (findings, next) = self.run_rules(today, SubjectFacts::Publication(&p.data));
        let subject = Subject { kind: SubjectKind::Publication, id: id.0, label: p.data.document_number.clone() };
        let figures = Some(Self::publication_figures(&p));
        let also = vec![(SubjectKind::Case, p.case_id.0)];
        Ok(Some(Found { agency: p.agency_id, subject, findings, also, figures, next }))
    }

    async fn complaint_findings(&self, id: ComplaintId, today: Date) -> Result<Option<Found>> {
        let Some(c) = self.store.complaint(id).await? else { return Ok(None) };
        let facts = SubjectFacts::Complaint { submitted_on: c.data.submitted_on, answered: c.data.answer.is_some() };
        let (findings, next) = self.run_rules(today, facts);
        let subject = Subject { kind: SubjectKind::Complaint, id: id.0, label: c.data.tracking_number.clone() };
        let figures = Some(self.complaint_figures(&c));
        Ok(Some(Found { agency: c.agency_id, subject, findings, also: Vec::new(), figures, next }))
    }

    async fn certificate_findings(&self, id: CertificateId, today: Date) -> Result<Option<Found>> {
        let Some(c) = self.store.certificate(id).await? else { return Ok(None) };
        let holder = self.store.user(c.user_id).await?;
        let (name, active) = holder.map_or((String::new(), false), |u| (u.user.data.name, u.user.data.active));
        let facts = SubjectFacts::Certificate {
            number: &c.cert.data.number,
            holder: &name,
            valid_to: c.cert.data.valid_to,
            holder_active: active,
        };
        let (findings, next) = self.run_rules(today, facts);
        let subject = Subject { kind: SubjectKind::Certificate, id: id.0, label: c.cert.data.number.clone() };
        Ok(Some(Found { agency: c.cert.agency_id, subject, findings, also: Vec::new(), figures: None, next }))
    }

    async fn agency_findings(&self, id: AgencyId, today: Date) -> Result<Option<Found>> {
        let Some(a) = self.store.agency(id).await? else { return Ok(None) };
        let (reviewers, certified_officers) = self.staff_counts(id, today).await?;
        // Its facts are counted as of today: it is in every day's pass.
        let (findings, _) = self.run_rules(today, SubjectFacts::Agency { reviewers, certified_officers });
        let subject = Subject { kind: SubjectKind::Agency, id: id.0, label: a.data.name.clone() };
        Ok(Some(Found { agency: id, subject, findings, also: Vec::new(), figures: None, next: None }))
    }

    /// The case an evidence file names, if it is one of its agency's.
    async fn case_of_upload(&self, id: UploadId) -> Result<Option<CaseId>> {
        let Some(upload) = self.store.upload(id).await? else { return Ok(None) };
        let case = self.store.case_by_number(&upload.meta.case_number).await?;
        Ok(case.filter(|c| c.agency_id == upload.agency_id).map(|c| c.id))
    }

    /// Warnings `q` asks for, within the reader's scope: a supervisor's
    /// region subtree, or the reader's own agency. A region or agency
    /// outside it is not found.
    pub async fn warnings(&self, actor: &Actor, q: &WarningQuery) -> Result<Vec<WarningRow>> {
        let mut filter = WarningFilter {
            rule: q.rule.clone(),
            severity: q.severity.clone(),
            status: q.status.clone(),
            limit: q.limit.clamp(1, 1_000),
            offset: q.offset.max(0),
            ..Default::default()
        };
        let scope = self.listing_scope(actor, q.region.as_deref(), q.agency).await?;
        filter.region_prefix = scope.region_prefix;
        filter.agency = scope.agency;
        Ok(self.store.warnings(&filter).await?)
    }

    /// How many warnings of the reader's scope are open: `(red, yellow)`.
    pub async fn open_warning_counts(&self, actor: &Actor) -> Result<(i64, i64)> {
        let scope = self.listing_scope(actor, None, None).await?;
        let counts = self.store.open_warnings_by_rule(scope.region_prefix.as_deref(), scope.agency).await?;
        let of = |s: &str| counts.iter().filter(|(_, _, k, _)| k == s).map(|(.., n)| n).sum();
        Ok((of("red"), of("yellow")))
    }

    /// A warning, if the reader may see it.
    pub async fn warning(&self, actor: &Actor, id: WarningId) -> Result<WarningRow> {
        let w = self.store.warning(id).await?.ok_or(ServiceError::NotFound)?;
        self.readable_agency(actor, w.agency_id).await?;
        Ok(w)
    }

    /// Take a handling step of a warning (SUP-1): a supervisor of the
    /// agency's region sends, returns and accepts; the agency's head answers.
    pub async fn handle_warning(
        &self,
        actor: &Actor,
        id: WarningId,
        action: &str,
        form: &HandlingForm,
    ) -> Result<WarningRow> {
        let w = self.warning(actor, id).await?;
        let action = HandlingAction::parse(action).map_err(|_| ServiceError::NotFound)?;
        let step = self.handling_step(actor, w.agency_id, action, form).await?;
        if form.version != w.version {
            return Err(ServiceError::Conflict);
        }
        let mut data = w.data.clone();
        data.handled = sup_1_handle(&w.data.handled, step).map_err(|r| ServiceError::Refused(vec![r]))?;
        let reason = format!("预警{}：{}", action.label(), form.text.trim());
        let change = Change::UpdateWarning { id, version: w.version, action: action.code(), data };
        self.commit(actor, &reason, vec![change]).await?;
        self.store.warning(id).await?.ok_or(ServiceError::NotFound)
    }

    /// A handling step of something of `agency` (a warning, an inspection
    /// report) as `form` asks: whether `actor` may take it (a supervisor of
    /// the agency's region sends, returns and accepts; its head answers),
    /// the request's due day, the answer's attachments.
    pub(crate) async fn handling_step(
        &self,
        actor: &Actor,
        agency: AgencyId,
        action: HandlingAction,
        form: &HandlingForm,
    ) -> Result<HandlingStep> {
        let Actor::User(p) = actor else { return Err(ServiceError::Forbidden) };
        let region = self.store.agency(agency).await?.ok_or(ServiceError::NotFound)?.data.region;
        let supervisor = p.role == Role::Supervisor && p.agency_region.contains(&region);
        let head = p.role == Role::Head && p.agency_id == agency;
        sup_1_may_handle(action, supervisor, head).map_err(|r| ServiceError::Refused(vec![r]))?;
        let today = self.today();
        let due_on = match form.due_working_days {
            Some(n) if (1..=60).contains(&n) => {
                let period = zhifa_calendar::Period::working_days(n)?;
                Some(self.estimate.due_date(today, period)?)
            }
            Some(_) => return Err(zhifa_domain::Invalid::new("反馈期限", "应为 1 至 60 个工作日").into()),
            None => None,
        };
        let mut attachments = Vec::with_capacity(form.attachments.len());
        for a in &form.attachments {
            match self.store.upload(UploadId(*a)).await? {
                Some(u) if u.agency_id == agency && u.state == zhifa_store::UploadState::Complete => {
                    attachments.push(u.id);
                }
                _ => {
                    let message = format!("第 {a} 号材料不是本机关已上传的材料");
                    return Err(zhifa_domain::Invalid::new("附件", message).into());
                }
            }
        }
        Ok(HandlingStep {
            action,
            by: p.user_id,
            by_name: p.name.clone(),
            on: today,
            text: form.text.clone(),
            due_on,
            attachments,
        })
    }
}

/// An agency's certificates: holder, valid from, valid to.
type Certificates = std::sync::Arc<Vec<(UserId, Date, Date)>>;

/// What the evaluations of one batch read once per agency: its data, its
/// certificates and its review time limit. A change to any of them is an
/// event of its own, which the next batch reads afresh. And the cases to
/// be evaluated next, read a few hundred at a time with what their
/// evaluation reads.
struct Shared {
    periods: Vec<zhifa_calendar::LegalPeriod>,
    agencies: HashMap<AgencyId, crate::Agency>,
    certificates: HashMap<AgencyId, Certificates>,
    review_limits: HashMap<AgencyId, u16>,
    ahead: HashMap<i64, Ahead>,
    /// Subjects' warnings not ended, read ahead.
    open: HashMap<Key, Vec<WarningRow>>,
}

/// A case read ahead (`None`: gone), whether it has a publication, and its
/// complete uploads.
struct Ahead {
    case: Option<zhifa_store::CaseRow>,
    published: bool,
    uploads: Vec<zhifa_store::UploadRow>,
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            periods: zhifa_calendar::legal_periods().unwrap_or_default(),
            agencies: Default::default(),
            certificates: Default::default(),
            review_limits: Default::default(),
            ahead: Default::default(),
            open: Default::default(),
        }
    }
}

impl Shared {
    /// Read the cases `ids` with their publications, uploads and open
    /// warnings: four queries for all of them.
    async fn read_ahead(&mut self, service: &Service, ids: &[i64]) -> Result<()> {
        let store = &service.store;
        let cases = store.cases_by_ids(ids).await?;
        let published: std::collections::HashSet<i64> = store.published_cases(ids).await?.into_iter().collect();
        let numbers: Vec<&str> = cases.iter().map(|c| c.number.as_str()).collect();
        let mut uploads: HashMap<(AgencyId, String), Vec<zhifa_store::UploadRow>> = HashMap::new();
        for u in store.recordings_of_cases(&numbers).await? {
            uploads.entry((u.agency_id, u.meta.case_number.clone())).or_default().push(u);
        }
        let mut open: HashMap<i64, Vec<WarningRow>> = HashMap::new();
        for w in store.open_warnings_of_many(SubjectKind::Case, ids).await? {
            open.entry(w.data.subject.id).or_default().push(w);
        }
        let mut cases: HashMap<i64, zhifa_store::CaseRow> = cases.into_iter().map(|c| (c.id.0, c)).collect();
        for id in ids {
            let case = cases.remove(id);
            let uploads = case.as_ref().and_then(|c| uploads.remove(&(c.agency_id, c.number.clone())));
            let ahead = Ahead { published: published.contains(id), uploads: uploads.unwrap_or_default(), case };
            self.ahead.insert(*id, ahead);
            self.open.insert((SubjectKind::Case, *id), open.remove(id).unwrap_or_default());
        }
        Ok(())
    }

    async fn agency(&mut self, service: &Service, id: AgencyId) -> Result<crate::Agency> {
        if let Some(a) = self.agencies.get(&id) {
            return Ok(a.clone());
        }
        let a = service.store.agency(id).await?.ok_or(ServiceError::NotFound)?;
        self.agencies.insert(id, a.clone());
        Ok(a)
    }

    async fn certificates(&mut self, service: &Service, id: AgencyId) -> Result<Certificates> {
        if let Some(c) = self.certificates.get(&id) {
            return Ok(c.clone());
        }
        let all = service.store.certificates(id).await?;
        let c: std::sync::Arc<Vec<_>> = std::sync::Arc::new(
            all.into_iter().map(|c| (c.user_id, c.cert.data.valid_from, c.cert.data.valid_to)).collect(),
        );
        self.certificates.insert(id, c.clone());
        Ok(c)
    }

    async fn review_limit(&mut self, service: &Service, id: AgencyId) -> Result<u16> {
        if let Some(l) = self.review_limits.get(&id) {
            return Ok(*l);
        }
        let l = service.review_time_limit(id).await?;
        self.review_limits.insert(id, l);
        Ok(l)
    }
}

/// What a subject's evaluation found.
struct Found {
    agency: AgencyId,
    subject: Subject,
    findings: Vec<Finding>,
    /// Subjects to evaluate as well.
    also: Vec<Key>,
    /// What it adds to the dashboard.
    figures: Option<FigureSource>,
    /// The first day the rules may find otherwise.
    next: Option<Date>,
}

/// What evaluating a subject did.
#[derive(Default)]
struct Evaluated {
    opened: usize,
    changed: usize,
    also: Vec<Key>,
    figures: Option<FigureSource>,
    next: Option<Date>,
    /// Its warnings' changes: one command.
    changes: Vec<Change>,
}
