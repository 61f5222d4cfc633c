//! What the system itself does, with no signed-in user: the CLI run by
//! whoever operates the server, and the demo generator (`zhifa-demo`).
//! Nothing here checks authorization — holding the `Service` over the data
//! directory is the authority — but every change still goes through the
//! command path and is recorded as `system:<name>`.

use crate::{Actor, Applied, Result, Service};
use jiff::civil::Date;
use zhifa_domain::change::Change;
use zhifa_domain::publication::decision_info;
use zhifa_store::CaseRow;

impl Service {
    /// Commit `changes` as the system called `name`, giving `reason`.
    pub async fn commit_as_system(
        &self,
        name: &'static str,
        reason: &str,
        changes: Vec<Change>,
    ) -> Result<Vec<Applied>> {
        self.commit(&Actor::System(name), reason, changes).await
    }

    /// The publication (PUB-3) of the decision of `row`, an agency called
    /// `agency_name`'s case, published on `on`; `None` if it has no decision
    /// to publish.
    pub fn decision_publication(&self, row: &CaseRow, agency_name: &str, on: Date) -> Option<Change> {
        let info = decision_info(agency_name, &row.number, &row.data)?;
        Some(self.publication_change(row, &info, on))
    }
}
