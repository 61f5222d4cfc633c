//! Complaints from the public (SUP-6): a form anyone may send, guarded by a
//! question a person answers and a field only robots fill (no JavaScript, no
//! outside service); routed to the agency; its status and answer shown to
//! whoever holds the tracking number.

use crate::authz::{self, Scope};
use crate::{Actor, Result, Service, ServiceError};
use hmac::{KeyInit, Mac};
use zhifa_domain::Invalid;
use zhifa_domain::change::Change;
use zhifa_domain::complaint::{ComplaintForm, sup_6_answer, sup_6_is_tracking_number, sup_6_tracking_number};
use zhifa_domain::ids::{AgencyId, ComplaintId};
use zhifa_store::ComplaintRow;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// A form's question and the signed token that checks its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub question: String,
    pub token: String,
}

/// Seconds a person needs at least to fill the form, and at most may take.
const MIN_SECONDS: i64 = 3;
const MAX_SECONDS: i64 = 2 * 3600;

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| ServiceError::caused("random", e))?;
    Ok(bytes)
}

impl Service {
    fn challenge_mac(&self, issued: i64, nonce: &str, answer: &str) -> Result<String> {
        let mut mac = HmacSha256::new_from_slice(&*self.form_key).map_err(|e| ServiceError::internal(e.to_string()))?;
        mac.update(format!("zhifa/complaint/v2\n{issued}\n{nonce}\n{}", answer.trim()).as_bytes());
        Ok(zhifa_ledger::hex(&mac.finalize().into_bytes()))
    }

    /// A sender's address as a keyed hash (the deployment's form key): enough
    /// to count their complaints, not to learn the address back.
    fn client_tag(&self, client: &str) -> Result<String> {
        let mut mac = HmacSha256::new_from_slice(&*self.form_key).map_err(|e| ServiceError::internal(e.to_string()))?;
        mac.update(format!("zhifa/complaint-sender/v1\n{client}").as_bytes());
        Ok(zhifa_ledger::hex(&mac.finalize().into_bytes()[..12]))
    }

    /// A new question for the complaint form: the sum of two small numbers.
    /// Its token (time, nonce, signature) is good for one complaint.
    pub fn complaint_challenge(&self) -> Result<Challenge> {
        let [a, b] = random::<2>()?;
        let (a, b) = (u32::from(a % 9) + 1, u32::from(b % 9) + 1);
        let issued = self.now().as_second();
        let nonce = zhifa_ledger::hex(&random::<12>()?);
        let mac = self.challenge_mac(issued, &nonce, &(a + b).to_string())?;
        Ok(Challenge { question: format!("{a} 加 {b} 等于几？"), token: format!("{issued}.{nonce}.{mac}") })
    }

    /// The answer to the form's question, against its token; and the field
    /// that people never see must be empty. Returns the form's nonce.
    fn check_challenge(&self, token: &str, answer: &str, trap: &str) -> Result<String> {
        let refuse = |m: &str| ServiceError::Invalid(Invalid::new("验证问题", m));
        if !trap.is_empty() {
            return Err(refuse("提交被拒绝"));
        }
        let mut parts = token.splitn(3, '.');
        let (Some(issued), Some(nonce), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(refuse("表单已失效，请重新打开"));
        };
        let issued: i64 = issued.parse().map_err(|_| refuse("表单已失效，请重新打开"))?;
        let age = self.now().as_second() - issued;
        if age < MIN_SECONDS {
            return Err(refuse("提交过快，请稍后再试"));
        }
        if age > MAX_SECONDS {
            return Err(refuse("表单已超过两小时，请重新打开"));
        }
        let expected = self.challenge_mac(issued, nonce, answer)?;
        let same =
            expected.len() == mac.len() && expected.bytes().zip(mac.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0;
        if !same {
            return Err(refuse("答案不正确"));
        }
        Ok(nonce.to_owned())
    }

    /// SUP-6: a complaint to `agency`; returns its tracking number.
    pub async fn submit_complaint(
        &self,
        agency: AgencyId,
        form: &ComplaintForm,
        token: &str,
        answer: &str,
        trap: &str,
        client: &str,
    ) -> Result<String> {
        let nonce = self.check_challenge(token, answer, trap)?;
        let client_tag = self.client_tag(client)?;
        let now = self.now();
        let recent = self.store.complaints_from(&client_tag, now - jiff::SignedDuration::from_mins(10)).await?;
        let today = self.store.complaints_from(&client_tag, now - jiff::SignedDuration::from_hours(24)).await?;
        if let Err(e) = zhifa_domain::complaint::sup_6_sender_may_send(recent, today) {
            tracing::warn!(%client_tag, recent, today, "complaint refused: too many from one sender");
            return Err(e.into());
        }
        // Once: a form sent again (or by a robot replaying it) is refused;
        // the database's unique index settles two sent at the same moment.
        if self.store.complaint_form_used(&nonce).await? {
            return Err(Invalid::new("验证问题", "此表单已提交过；如需再次投诉，请重新打开投诉页面").into());
        }
        let target = self.store.agency(agency).await?.ok_or_else(|| Invalid::new("投诉对象", "请选择执法机关"))?;
        let tracking = sup_6_tracking_number(random::<8>()?, self.today());
        let mut data = form.validate(tracking.clone(), self.today())?;
        data.form_nonce = nonce;
        data.client_tag = client_tag;
        let change = Change::CreateComplaint { agency: target.id, data };
        self.commit_one(&Actor::System("portal"), "公众投诉举报", change).await?;
        Ok(tracking)
    }

    /// A complaint found by its tracking number (whoever holds it may read it).
    pub async fn complaint_status(&self, tracking: &str) -> Result<ComplaintRow> {
        let tracking = tracking.trim().to_uppercase();
        if !sup_6_is_tracking_number(&tracking) {
            return Err(ServiceError::NotFound);
        }
        self.store.complaint_by_tracking_number(&tracking).await?.ok_or(ServiceError::NotFound)
    }

    async fn complaint_desk(&self, actor: &Actor, agency: AgencyId) -> Result<()> {
        let a = self.readable_agency(actor, agency).await?;
        if !authz::can_publish(actor, Scope { agency: a.id, region: &a.data.region }) {
            return Err(ServiceError::Forbidden);
        }
        Ok(())
    }

    /// The agency's complaints, unanswered first.
    pub async fn complaints(&self, actor: &Actor, agency: AgencyId) -> Result<Vec<ComplaintRow>> {
        self.complaint_desk(actor, agency).await?;
        Ok(self.store.complaints(agency).await?)
    }

    /// SUP-6: the agency answers (once).
    pub async fn answer_complaint(&self, actor: &Actor, id: ComplaintId, version: i64, text: &str) -> Result<()> {
        let row = self.store.complaint(id).await?.ok_or(ServiceError::NotFound)?;
        self.complaint_desk(actor, row.agency_id).await?;
        let by = match actor {
            Actor::User(p) => p.name.clone(),
            Actor::System(name) => (*name).to_owned(),
        };
        let data = sup_6_answer(&row.data, text, &by, self.today())?;
        self.commit_one(actor, "答复投诉举报", Change::UpdateComplaint { id, version, data }).await?;
        Ok(())
    }

    /// SUP-6: complaints received and answered, for the statistics.
    pub async fn complaint_counts(&self, agency: AgencyId) -> Result<(u32, u32)> {
        let all = self.store.complaints(agency).await?;
        let answered = all.iter().filter(|c| c.data.answer.is_some()).count();
        Ok((u32::try_from(all.len()).unwrap_or(u32::MAX), u32::try_from(answered).unwrap_or(u32::MAX)))
    }
}
