//! Every change of state the platform can make, as data.
//!
//! A service decides that a change is allowed and builds a `Change`; the store
//! applies it in one transaction together with its record and outbox event
//! (`zhifa_store::Store::commit`). There is no other way to write: adding a kind
//! of change means adding a variant here.

use crate::agency::AgencyData;
use crate::case::CaseData;
use crate::complaint::ComplaintData;
use crate::evidence::EvidenceMeta;
use crate::ids::{
    AgencyId, AnnualReportId, CaseId, CertificateId, ComplaintId, InspectionId, PublicationId, ReviewCatalogueId,
    TokenId, UploadId, UserId, WarningId,
};
use crate::people::{CertificateData, UserData};
use crate::publication::PublicationData;
use crate::records::secret_fingerprint;
use crate::region::RegionCode;
use crate::registry::{Registry, RegistryInfo, Validated, validated};
use crate::report::AnnualFigures;
use crate::review::ReviewCatalogue;
use crate::warning::WarningData;
use crate::warning::inspection::InspectionData;
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// An audio/video record announced by its uploader: its size and what it
    /// proves; the bytes follow (tus).
    CreateUpload {
        agency: AgencyId,
        user: UserId,
        length: u64,
        meta: EvidenceMeta,
    },
    /// All bytes arrived and were stored under their hash.
    CompleteUpload {
        id: UploadId,
        /// Lower-case hex of the file's hash (the ledger's algorithm).
        content_hash: String,
        /// More than 24 hours after capture (REC-5).
        late: bool,
        /// The MIME type read from its first bytes; `None`: no known kind.
        content_type: Option<String>,
    },
    /// A case opened at the start of its procedure; the store gives it the
    /// next number of its agency, year and `word` (the record holds it).
    CreateCase {
        agency: AgencyId,
        /// `prefix` and `word` of the number: 杭西市监 + 罚.
        prefix: String,
        word: String,
        year: i16,
        stage: String,
        /// The nearest time limit, for the lists.
        due_on: Option<Date>,
        /// It opens at the end of its procedure (a case entered whole).
        closed: bool,
        data: Box<CaseData>,
    },
    /// A step of a case, decided by the engine.
    UpdateCase {
        id: CaseId,
        version: i64,
        action: String,
        stage: String,
        due_on: Option<Date>,
        closed: bool,
        data: Box<CaseData>,
    },
    /// The uploader gave up (tus termination); nothing was kept.
    TerminateUpload {
        id: UploadId,
    },
    /// A supervisor read something of another agency (调阅, REC-8); the
    /// command's reason is the stated reason.
    Retrieve {
        agency: AgencyId,
        /// What was read: `upload` (an evidence record), `upload.file`, …
        what: String,
        id: i64,
    },
    PutRegion {
        code: RegionCode,
        name: String,
    },
    CreateAgency {
        data: AgencyData,
    },
    UpdateAgency {
        id: AgencyId,
        version: i64,
        data: AgencyData,
    },
    /// A person joins an agency, with the certificates they hold and, if they
    /// are to sign in, an argon2id password hash (never recorded).
    CreateUser {
        agency: AgencyId,
        data: UserData,
        certificates: Vec<CertificateData>,
        password_hash: Option<String>,
    },
    UpdateUser {
        id: UserId,
        version: i64,
        data: UserData,
    },
    /// `password_hash` is a PHC string (argon2id); it never enters a record.
    SetPassword {
        user: UserId,
        password_hash: String,
    },
    CreateCertificate {
        user: UserId,
        data: CertificateData,
    },
    UpdateCertificate {
        id: CertificateId,
        version: i64,
        data: CertificateData,
    },
    /// A new entry of a registry (an item, a service guide …).
    CreateEntry {
        registry: &'static RegistryInfo,
        agency: AgencyId,
        entry: Validated,
    },
    /// A registry's entry replaced by its new version.
    UpdateEntry {
        registry: &'static RegistryInfo,
        id: i64,
        version: i64,
        entry: Validated,
    },
    /// An agency's first legal-review catalogue (one per agency).
    CreateReviewCatalogue {
        agency: AgencyId,
        data: ReviewCatalogue,
    },
    /// The catalogue as a whole, replaced (an edited line, an import, new settings).
    UpdateReviewCatalogue {
        id: ReviewCatalogueId,
        version: i64,
        data: ReviewCatalogue,
    },
    /// A decision published (PUB-3): its redacted information, due date and period.
    CreatePublication {
        agency: AgencyId,
        case: CaseId,
        data: PublicationData,
    },
    /// A publication corrected or withdrawn (PUB-4), replaced as a whole;
    /// `action` is `correct` or `withdraw`.
    UpdatePublication {
        id: PublicationId,
        version: i64,
        action: &'static str,
        data: PublicationData,
    },
    /// A complaint from the public, routed to its agency (SUP-6).
    CreateComplaint {
        agency: AgencyId,
        data: ComplaintData,
    },
    /// The agency's answer.
    UpdateComplaint {
        id: ComplaintId,
        version: i64,
        data: ComplaintData,
    },
    /// An agency's annual report of a year, published (PUB-6).
    CreateAnnualReport {
        agency: AgencyId,
        data: AnnualFigures,
    },
    /// The report of that year generated again and republished.
    UpdateAnnualReport {
        id: AnnualReportId,
        version: i64,
        data: AnnualFigures,
    },
    /// An early warning opened on an agency's subject (SUP-1).
    CreateWarning {
        agency: AgencyId,
        data: WarningData,
    },
    /// A warning escalated, updated, resolved or handled; `action` says which
    /// (`escalate`, `update`, `resolve`, `cause_gone`, or a handling step).
    UpdateWarning {
        id: WarningId,
        version: i64,
        action: &'static str,
        data: WarningData,
    },
    /// An agency's report of a quarter's online inspection (SUP-2).
    CreateInspection {
        agency: AgencyId,
        data: InspectionData,
    },
    /// The report run again, a finding added by hand, or a handling step
    /// (`rerun`, `add_finding`, `send`, `answer`, `accept`, `return`).
    UpdateInspection {
        id: InspectionId,
        version: i64,
        action: &'static str,
        data: InspectionData,
    },
    /// The warnings were evaluated for every event of the outbox up to
    /// `through` (SUP-1): where their evaluation goes on after a restart,
    /// and, in the ledger, how current supervision was. A record only.
    WarningsEvaluated {
        through: i64,
    },
    /// `token_hash` is the SHA-256 of the token; the token itself is shown once.
    CreateToken {
        user: UserId,
        name: String,
        token_hash: String,
    },
    RevokeToken {
        id: TokenId,
    },
    /// A session starts; `session_hash` is the SHA-256 of the cookie value.
    SignIn {
        user: UserId,
        session_hash: String,
        csrf_token: String,
        expires_at: Timestamp,
    },
    SignOut {
        session_hash: String,
    },
    /// A wrong password: counted for sign-in delays, per user and client
    /// address ([`crate::sign_in`]).
    SignInFailed {
        username: String,
        /// The client's address, as the server saw it.
        client: String,
    },
}

impl Change {
    /// A new entry of registry `R` from its data.
    pub fn create_entry<R: Registry>(agency: AgencyId, data: &R::Data) -> Result<Self, crate::Invalid> {
        Ok(Change::CreateEntry { registry: &R::INFO, agency, entry: validated::<R>(data)? })
    }

    /// The stable name of this kind of change, as in records and outbox topics.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::PutRegion { .. } => "region.put",
            Change::CreateUpload { .. } => "upload.create",
            Change::CompleteUpload { .. } => "upload.complete",
            Change::TerminateUpload { .. } => "upload.terminate",
            Change::CreateCase { .. } => "case.create",
            Change::UpdateCase { .. } => "case.update",
            Change::Retrieve { .. } => "retrieval.read",
            Change::CreateAgency { .. } => "agency.create",
            Change::UpdateAgency { .. } => "agency.update",
            Change::CreateUser { .. } => "user.create",
            Change::UpdateUser { .. } => "user.update",
            Change::SetPassword { .. } => "user.set_password",
            Change::CreateCertificate { .. } => "certificate.create",
            Change::UpdateCertificate { .. } => "certificate.update",
            Change::CreateEntry { registry, .. } => registry.names.create_kind,
            Change::UpdateEntry { registry, .. } => registry.names.update_kind,
            Change::CreateReviewCatalogue { .. } => "review_catalogue.create",
            Change::UpdateReviewCatalogue { .. } => "review_catalogue.update",
            Change::CreatePublication { .. } => "publication.create",
            Change::UpdatePublication { .. } => "publication.update",
            Change::CreateComplaint { .. } => "complaint.create",
            Change::UpdateComplaint { .. } => "complaint.update",
            Change::CreateAnnualReport { .. } => "annual_report.create",
            Change::UpdateAnnualReport { .. } => "annual_report.update",
            Change::CreateWarning { .. } => "warning.create",
            Change::UpdateWarning { .. } => "warning.update",
            Change::WarningsEvaluated { .. } => "warning_cursor.advance",
            Change::CreateInspection { .. } => "inspection.create",
            Change::UpdateInspection { .. } => "inspection.update",
            Change::CreateToken { .. } => "token.create",
            Change::RevokeToken { .. } => "token.revoke",
            Change::SignIn { .. } => "session.sign_in",
            Change::SignOut { .. } => "session.sign_out",
            Change::SignInFailed { .. } => "session.sign_in_failed",
        }
    }

    /// The entity (table) this change touches: the part of `kind` before the dot.
    pub fn entity(&self) -> &'static str {
        let kind = self.kind();
        kind.split_once('.').map_or(kind, |(e, _)| e)
    }

    /// What changed, for the record: the new state, never a secret (password
    /// hashes, token and session hashes stay out).
    pub fn record_data(&self) -> Value {
        match self {
            Change::PutRegion { code, name } => json!({ "code": code, "name": name }),
            Change::CreateUpload { agency, user, length, meta } => {
                json!({ "agency": agency, "user": user, "length": length, "meta": meta })
            }
            Change::CompleteUpload { content_hash, late, content_type, .. } => {
                json!({ "content_hash": content_hash, "late": late, "content_type": content_type })
            }
            Change::TerminateUpload { .. } => json!({}),
            // The store adds the number it gives (`case_number`).
            // `current_due_on`: the nearest limit the lists sort by, kept so
            // that verify can check the column (absent in records before
            // 2026-12-05); named to stand before `data` in canonical order.
            Change::CreateCase { agency, stage, data, due_on, .. } => {
                json!({ "agency": agency, "current_due_on": due_on, "current_stage": stage, "data": data })
            }
            Change::UpdateCase { version, action, stage, data, due_on, .. } => {
                json!({
                    "action": action, "current_due_on": due_on, "current_stage": stage, "data": data, "version": version
                })
            }
            Change::Retrieve { what, id, .. } => json!({ "what": what, "id": id }),
            Change::CreateAgency { data } => json!({ "data": data }),
            Change::UpdateAgency { version, data, .. } => json!({ "version": version, "data": data }),
            Change::CreateUser { agency, data, certificates, password_hash } => {
                // `credential_sha256`: named to stand before `data` in canonical order.
                let password = password_hash.as_deref().map(secret_fingerprint);
                json!({ "agency": agency, "data": data, "certificates": certificates, "credential_sha256": password })
            }
            Change::UpdateUser { version, data, .. } => json!({ "version": version, "data": data }),
            Change::SetPassword { password_hash, .. } => {
                json!({ "credential_sha256": secret_fingerprint(password_hash) })
            }
            Change::CreateCertificate { user, data } => json!({ "user": user, "data": data }),
            Change::UpdateCertificate { version, data, .. } => json!({ "version": version, "data": data }),
            Change::CreateEntry { agency, entry, .. } => json!({ "agency": agency, "data": entry.data }),
            Change::UpdateEntry { version, entry, .. } => json!({ "version": version, "data": entry.data }),
            Change::CreateReviewCatalogue { agency, data } => json!({ "agency": agency, "data": data }),
            Change::UpdateReviewCatalogue { version, data, .. } => json!({ "version": version, "data": data }),
            Change::CreatePublication { agency, case, data } => json!({ "agency": agency, "case": case, "data": data }),
            Change::UpdatePublication { version, action, data, .. } => {
                json!({ "action": action, "data": data, "version": version })
            }
            Change::CreateComplaint { agency, data } => json!({ "agency": agency, "data": data }),
            Change::UpdateComplaint { version, data, .. } => json!({ "data": data, "version": version }),
            Change::CreateAnnualReport { agency, data } => json!({ "agency": agency, "data": data }),
            Change::UpdateAnnualReport { version, data, .. } => json!({ "data": data, "version": version }),
            Change::CreateWarning { agency, data } => json!({ "agency": agency, "data": data }),
            Change::UpdateWarning { version, action, data, .. } => {
                json!({ "action": action, "data": data, "version": version })
            }
            Change::WarningsEvaluated { through } => json!({ "through": through }),
            Change::CreateInspection { agency, data } => json!({ "agency": agency, "data": data }),
            Change::UpdateInspection { version, action, data, .. } => {
                json!({ "action": action, "data": data, "version": version })
            }
            Change::CreateToken { user, name, token_hash } => {
                json!({ "user": user, "name": name, "token_sha256": secret_fingerprint(token_hash) })
            }
            Change::RevokeToken { .. } => json!({}),
            Change::SignIn { user, expires_at, session_hash, csrf_token } => json!({
                "user": user,
                "expires_at": expires_at,
                "session_sha256": secret_fingerprint(session_hash),
                "csrf_sha256": secret_fingerprint(csrf_token),
            }),
            Change::SignOut { .. } => json!({}),
            Change::SignInFailed { username, client } => json!({ "username": username, "client": client }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_reach_the_record() {
        let changes = [
            Change::SetPassword { user: UserId(1), password_hash: "$argon2id$secret".into() },
            Change::CreateToken { user: UserId(1), name: "t".into(), token_hash: "secret".into() },
            Change::SignIn {
                user: UserId(1),
                session_hash: "secret".into(),
                csrf_token: "secret".into(),
                expires_at: Timestamp::UNIX_EPOCH,
            },
            Change::SignOut { session_hash: "secret".into() },
            Change::CreateUser {
                agency: AgencyId(1),
                data: crate::people::UserForm {
                    username: "zhang".into(),
                    name: "张三".into(),
                    role: "officer".into(),
                    ..Default::default()
                }
                .validate()
                .unwrap(),
                certificates: vec![],
                password_hash: Some("$argon2id$secret".into()),
            },
        ];
        for c in changes {
            let text = c.record_data().to_string();
            assert!(!text.contains("secret"), "{}: {text}", c.kind());
        }
    }

    #[test]
    fn entity_is_the_kind_prefix() {
        assert_eq!(Change::RevokeToken { id: TokenId(3) }.entity(), "token");
    }
}
