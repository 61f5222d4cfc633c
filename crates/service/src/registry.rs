//! Agencies, people and certificates: reads in scope, changes through the
//! command path, history from the records, the personnel list in Excel. The
//! registries' entries are in [`crate::entries`].

use crate::authz::{self, Scope};
use crate::{Actor, Result, Service, ServiceError};
use serde_json::Value;
use std::collections::HashMap;
use zhifa_docs::excel::{self, ExcelError};
use zhifa_domain::Invalid;
use zhifa_domain::agency::{AgencyData, AgencyForm};
use zhifa_domain::change::Change;
use zhifa_domain::ids::{AgencyId, CertificateId, UserId};
use zhifa_domain::people::{CertificateData, CertificateForm, Role, UserForm, check_password_strength};
use zhifa_domain::records::RecordBody;
use zhifa_domain::region::RegionCode;
use zhifa_store::{CertificateRow, Entry, UserRow};

pub type Agency = Entry<AgencyId, AgencyData>;

/// One version of a thing, from its record.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub record_id: i64,
    pub at: jiff::Timestamp,
    pub actor: String,
    pub kind: String,
    pub reason: String,
    pub data: Value,
}

pub type History = Vec<HistoryEntry>;

/// The part of the agencies a list covers ([`Service::listing_scope`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListingScope {
    /// Agencies whose region code starts with this.
    pub region_prefix: Option<String>,
    /// This agency alone.
    pub agency: Option<AgencyId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
}

/// A row of the personnel list: a person and one certificate (if any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonnelRow {
    pub user: UserForm,
    pub certificate: Option<CertificateForm>,
}

pub(crate) fn excel_error(e: ExcelError) -> ServiceError {
    ServiceError::Import(e.to_string())
}

/// A workbook's first sheet, read on a blocking thread within the limits of
/// [`excel`], its header row checked by `check` before the rows are read.
pub(crate) async fn read_workbook(
    bytes: &[u8],
    check: impl Fn(&excel::Table) -> Result<(), ExcelError> + Send + 'static,
) -> Result<excel::Table> {
    let bytes = bytes.to_vec();
    tokio::task::spawn_blocking(move || excel::read_table_checked(&bytes, check))
        .await
        .map_err(|e| ServiceError::caused("reading a workbook", e))?
        .map_err(excel_error)
}

pub(crate) fn row_error(row: usize, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Import(format!("第 {row} 行：{e}"))
}

/// Only administrators hand out the roles that reach beyond one agency.
fn check_assign_role(actor: &Actor, role: Role) -> Result<()> {
    let wide = matches!(role, Role::Administrator | Role::Supervisor);
    match actor {
        Actor::User(p) if wide && p.role != Role::Administrator => Err(ServiceError::Forbidden),
        _ => Ok(()),
    }
}

impl Service {
    /// The agency, if the actor may read it; otherwise `NotFound`.
    pub(crate) async fn readable_agency(&self, actor: &Actor, id: AgencyId) -> Result<Agency> {
        let agency = self.store.agency(id).await?.ok_or(ServiceError::NotFound)?;
        if !authz::can_read(actor, Scope { agency: agency.id, region: &agency.data.region }) {
            return Err(ServiceError::NotFound);
        }
        Ok(agency)
    }

    /// What a list of the actor's scope may cover, given the `region` (a
    /// region code: its subtree) and `agency` asked for: a supervisor's or
    /// administrator's region subtree, anyone else's own agency. A region
    /// or an agency outside it is not found.
    pub(crate) async fn listing_scope(
        &self,
        actor: &Actor,
        region: Option<&str>,
        agency: Option<AgencyId>,
    ) -> Result<ListingScope> {
        let agency = match agency {
            Some(a) => Some(self.readable_agency(actor, a).await?.id),
            None => None,
        };
        match (authz::listing_region(actor), actor) {
            (Some(mine), _) => {
                let prefix = match region {
                    Some(r) => {
                        let asked = RegionCode::parse(r).map_err(|_| ServiceError::NotFound)?;
                        let asked = asked.subtree_prefix().to_owned();
                        if !asked.starts_with(&mine) {
                            return Err(ServiceError::NotFound);
                        }
                        asked
                    }
                    None => mine,
                };
                Ok(ListingScope { region_prefix: Some(prefix), agency })
            }
            (None, Actor::User(p)) if region.is_none() => {
                Ok(ListingScope { region_prefix: None, agency: Some(p.agency_id) })
            }
            (None, Actor::User(_)) => Err(ServiceError::NotFound),
            (None, Actor::System(_)) => Ok(ListingScope { region_prefix: None, agency }),
        }
    }

    pub(crate) async fn list_editor(&self, actor: &Actor, id: AgencyId) -> Result<Agency> {
        let agency = self.readable_agency(actor, id).await?;
        if !authz::can_edit_lists(actor, Scope { agency: agency.id, region: &agency.data.region }) {
            return Err(ServiceError::Forbidden);
        }
        Ok(agency)
    }

    async fn people_manager(&self, actor: &Actor, id: AgencyId) -> Result<Agency> {
        let agency = self.readable_agency(actor, id).await?;
        if !authz::can_manage_people(actor, Scope { agency: agency.id, region: &agency.data.region }) {
            return Err(ServiceError::Forbidden);
        }
        Ok(agency)
    }

    // ---- agencies ----

    /// The agencies the actor may read: its own, or its region's.
    pub async fn agencies(&self, actor: &Actor) -> Result<Vec<Agency>> {
        match (authz::listing_region(actor), actor) {
            (Some(prefix), _) => Ok(self.store.agencies_in(&prefix).await?),
            (None, Actor::User(p)) => Ok(self.store.agency(p.agency_id).await?.into_iter().collect()),
            (None, Actor::System(_)) => Ok(Vec::new()),
        }
    }

    pub async fn agency(&self, actor: &Actor, id: AgencyId) -> Result<Agency> {
        self.readable_agency(actor, id).await
    }

    pub async fn agency_by_code(&self, actor: &Actor, code: &str) -> Result<Agency> {
        let agency = self.store.agency_by_code(code.trim()).await?.ok_or(ServiceError::NotFound)?;
        self.readable_agency(actor, agency.id).await
    }

    pub async fn create_agency(&self, actor: &Actor, form: &AgencyForm) -> Result<AgencyId> {
        let data = form.validate()?;
        if !authz::can_manage_agencies(actor, &data.region) {
            return Err(ServiceError::Forbidden);
        }
        Ok(AgencyId(self.commit_one(actor, "新增执法主体", Change::CreateAgency { data }).await?))
    }

    pub async fn update_agency(&self, actor: &Actor, id: AgencyId, version: i64, form: &AgencyForm) -> Result<()> {
        let agency = self.readable_agency(actor, id).await?;
        let data = form.validate()?;
        if !authz::can_manage_agencies(actor, &agency.data.region) || !authz::can_manage_agencies(actor, &data.region) {
            return Err(ServiceError::Forbidden);
        }
        self.commit_one(actor, "修改执法主体", Change::UpdateAgency { id, version, data }).await?;
        Ok(())
    }

    // ---- people ----

    pub async fn users(&self, actor: &Actor, agency: AgencyId) -> Result<Vec<UserRow>> {
        self.readable_agency(actor, agency).await?;
        Ok(self.store.users(agency).await?)
    }

    /// The names of the people `ids` (for timelines and logs, which keep
    /// who acted by login name and id); a person no longer found is left out.
    pub async fn names_of(&self, ids: Vec<UserId>) -> Result<HashMap<UserId, String>> {
        let mut out = HashMap::new();
        for id in ids {
            if out.contains_key(&id) {
                continue;
            }
            if let Some(u) = self.store.user(id).await? {
                out.insert(id, u.user.data.name);
            }
        }
        Ok(out)
    }

    pub async fn user(&self, actor: &Actor, id: UserId) -> Result<UserRow> {
        let row = self.store.user(id).await?.ok_or(ServiceError::NotFound)?;
        self.readable_agency(actor, row.user.agency_id).await?;
        Ok(row)
    }

    pub async fn user_by_username(&self, actor: &Actor, username: &str) -> Result<UserRow> {
        let row = self.store.user_by_username(username.trim()).await?.ok_or(ServiceError::NotFound)?;
        self.readable_agency(actor, row.user.agency_id).await?;
        Ok(row)
    }

    /// Add a person to an agency, with a password if they are to sign in.
    pub async fn create_user(
        &self,
        actor: &Actor,
        agency: AgencyId,
        form: &UserForm,
        password: Option<&str>,
    ) -> Result<UserId> {
        self.people_manager(actor, agency).await?;
        let data = form.validate()?;
        check_assign_role(actor, data.role)?;
        let password_hash = match password {
            Some(p) => {
                check_password_strength(p)?;
                Some(crate::auth::hash_password(p).await?)
            }
            None => None,
        };
        let change = Change::CreateUser { agency, data, certificates: Vec::new(), password_hash };
        Ok(UserId(self.commit_one(actor, "新增人员", change).await?))
    }

    pub async fn update_user(&self, actor: &Actor, id: UserId, version: i64, form: &UserForm) -> Result<()> {
        let row = self.user(actor, id).await?;
        self.people_manager(actor, row.user.agency_id).await?;
        let data = form.validate()?;
        check_assign_role(actor, data.role)?;
        self.commit_one(actor, "修改人员信息", Change::UpdateUser { id, version, data }).await?;
        Ok(())
    }

    pub async fn certificates(&self, actor: &Actor, agency: AgencyId) -> Result<Vec<CertificateRow>> {
        self.readable_agency(actor, agency).await?;
        Ok(self.store.certificates(agency).await?)
    }

    pub async fn certificate(&self, actor: &Actor, id: CertificateId) -> Result<CertificateRow> {
        let row = self.store.certificate(id).await?.ok_or(ServiceError::NotFound)?;
        self.readable_agency(actor, row.cert.agency_id).await?;
        Ok(row)
    }

    pub async fn create_certificate(
        &self,
        actor: &Actor,
        user: UserId,
        form: &CertificateForm,
    ) -> Result<CertificateId> {
        let row = self.user(actor, user).await?;
        self.people_manager(actor, row.user.agency_id).await?;
        let data = form.validate()?;
        Ok(CertificateId(self.commit_one(actor, "登记执法证", Change::CreateCertificate { user, data }).await?))
    }

    pub async fn update_certificate(
        &self,
        actor: &Actor,
        id: CertificateId,
        version: i64,
        form: &CertificateForm,
    ) -> Result<()> {
        let row = self.certificate(actor, id).await?;
        self.people_manager(actor, row.cert.agency_id).await?;
        let data = form.validate()?;
        self.commit_one(actor, "修改执法证", Change::UpdateCertificate { id, version, data }).await?;
        Ok(())
    }

    // ---- history ----

    /// Every recorded change of a thing, oldest first, if the actor may read it.
    pub async fn history(&self, actor: &Actor, entity: &str, id: i64) -> Result<History> {
        let agency = match entity {
            "agency" => AgencyId(id),
            "user" => self.store.user(UserId(id)).await?.ok_or(ServiceError::NotFound)?.user.agency_id,
            "certificate" => {
                self.store.certificate(CertificateId(id)).await?.ok_or(ServiceError::NotFound)?.cert.agency_id
            }
            "warning" => {
                self.store.warning(zhifa_domain::ids::WarningId(id)).await?.ok_or(ServiceError::NotFound)?.agency_id
            }
            "inspection" => {
                let id = zhifa_domain::ids::InspectionId(id);
                self.store.inspection(id).await?.ok_or(ServiceError::NotFound)?.agency_id
            }
            entity => {
                let registry = self.registry_of_entity(entity).ok_or(ServiceError::NotFound)?;
                self.store.registry_entry(registry, id).await?.ok_or(ServiceError::NotFound)?.agency_id
            }
        };
        self.readable_agency(actor, agency).await?;
        let rows = self.store.records_of(entity, id).await?;
        rows.into_iter()
            .map(|r| {
                let body: RecordBody = serde_json::from_slice(&r.body)
                    .map_err(|e| ServiceError::internal(format!("record {}: {e}", r.id)))?;
                Ok(HistoryEntry {
                    record_id: r.id.0,
                    at: r.at,
                    actor: r.actor_name,
                    kind: r.kind,
                    reason: r.reason,
                    data: body.data,
                })
            })
            .collect()
    }

    // ---- Excel ----

    pub async fn personnel(&self, actor: &Actor, agency: AgencyId) -> Result<Vec<PersonnelRow>> {
        let users = self.users(actor, agency).await?;
        let certs = self.store.certificates(agency).await?;
        let mut out = Vec::new();
        for u in &users {
            let user = UserForm::from(&u.user.data);
            let mine: Vec<&CertificateRow> = certs.iter().filter(|c| c.user_id == u.user.id).collect();
            if mine.is_empty() {
                out.push(PersonnelRow { user: user.clone(), certificate: None });
            }
            for c in mine {
                out.push(PersonnelRow { user: user.clone(), certificate: Some(CertificateForm::from(&c.cert.data)) });
            }
        }
        Ok(out)
    }

    pub async fn export_personnel(&self, actor: &Actor, agency: AgencyId) -> Result<Vec<u8>> {
        let rows: Vec<Vec<String>> = self
            .personnel(actor, agency)
            .await?
            .iter()
            .map(|p| {
                let mut cells = excel::cells(&p.user);
                cells.extend(excel::cells(&p.certificate.clone().unwrap_or_default()));
                cells
            })
            .collect();
        let mut headers = excel::labels::<UserForm>();
        headers.extend(excel::labels::<CertificateForm>());
        excel::write_table("执法人员名单", &headers, &rows).map_err(excel_error)
    }

    /// Import a personnel list (one row per person and certificate; a person
    /// with several certificates has several rows). New people only; they sign
    /// in once an administrator sets their password.
    pub async fn import_personnel(&self, actor: &Actor, agency: AgencyId, bytes: &[u8]) -> Result<ImportReport> {
        self.people_manager(actor, agency).await?;
        let table =
            read_workbook(bytes, move |t| excel::columns_of::<UserForm>(t, &excel::labels::<CertificateForm>()))
                .await?;
        let mut people: Vec<(zhifa_domain::people::UserData, Vec<CertificateData>)> = Vec::new();
        let mut numbers = std::collections::HashSet::new();
        for (row, values) in &table.rows {
            let user_form: UserForm = excel::fill(&table, values);
            let user = user_form.validate().map_err(|e| row_error(*row, e))?;
            check_assign_role(actor, user.role)?;
            let cert_form: CertificateForm = excel::fill(&table, values);
            let cert = if cert_form.number.trim().is_empty() {
                None
            } else {
                let c = cert_form.validate().map_err(|e| row_error(*row, e))?;
                if !numbers.insert(c.number.clone()) {
                    return Err(row_error(*row, Invalid::new("执法证号", format!("{} 在文件中重复", c.number))));
                }
                Some(c)
            };
            match people.iter_mut().find(|(u, _)| u.username == user.username) {
                Some((existing, certs)) => {
                    if *existing != user {
                        return Err(row_error(*row, Invalid::new("用户名", "同一用户名的各行人员信息不一致")));
                    }
                    certs.extend(cert);
                }
                None => {
                    if self.store.user_by_username(user.username.as_str()).await?.is_some() {
                        return Err(row_error(*row, Invalid::new("用户名", format!("{} 已存在", user.username))));
                    }
                    people.push((user, cert.into_iter().collect()));
                }
            }
        }
        let created = people.len();
        let changes: Vec<Change> = people
            .into_iter()
            .map(|(data, certificates)| Change::CreateUser { agency, data, certificates, password_hash: None })
            .collect();
        if !changes.is_empty() {
            self.commit(actor, "导入执法人员名单", changes).await?;
        }
        Ok(ImportReport { created })
    }
}
