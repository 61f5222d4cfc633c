//! The demo's publicity officers: decisions published a few working days
//! after they were made.

use crate::SYSTEM;
use jiff::civil::Date;
use std::collections::HashMap;
use zhifa_domain::ids::CaseId;
use zhifa_service::{Actor, AgencyId, Result, Service, ServiceError};

/// Publish these decided cases, each a few working days after its decision.
pub(crate) async fn cases(service: &Service, cases: Vec<CaseId>) -> Result<()> {
    let mut names = HashMap::new();
    let mut changes = Vec::with_capacity(cases.len());
    let today = service.today();
    for id in cases {
        let Some(row) = service.store().case(id).await? else { continue };
        let name = match names.get(&row.agency_id) {
            Some(n) => n,
            None => {
                let a = service.store().agency(row.agency_id).await?.ok_or(ServiceError::NotFound)?;
                names.entry(row.agency_id).or_insert(a.data.name)
            }
        };
        let Some(decided_on) = row.data.decided_on else { continue };
        changes.extend(service.decision_publication(&row, name, published_on(service, decided_on).min(today)));
    }
    if !changes.is_empty() {
        service.commit_as_system(SYSTEM, "演示数据：公示行政执法决定", changes).await?;
    }
    Ok(())
}

/// Every decision of `agency` published a few working days after it was
/// made, except the oldest (left overdue) and the newest (still due), for
/// the console to show.
pub(crate) async fn decisions_of(service: &Service, agency: AgencyId) -> Result<usize> {
    let queue = service.publication_queue(&Actor::System(SYSTEM), agency).await?;
    let name = service.store().agency(agency).await?.ok_or(ServiceError::NotFound)?.data.name;
    let today = service.today();
    let changes: Vec<_> = queue
        .iter()
        .skip(1)
        .take(queue.len().saturating_sub(2))
        .filter_map(|line| {
            service.decision_publication(&line.case, &name, published_on(service, line.decided_on).min(today))
        })
        .collect();
    let n = changes.len();
    if n > 0 {
        service.commit_as_system(SYSTEM, "演示数据：公示行政执法决定", changes).await?;
        service.index_now().await;
    }
    Ok(n)
}

/// Three working days after `decided_on`.
fn published_on(service: &Service, decided_on: Date) -> Date {
    zhifa_calendar::Period::working_days(3)
        .ok()
        .and_then(|p| service.calendar().due_date(decided_on, p).ok())
        .unwrap_or(decided_on)
}
