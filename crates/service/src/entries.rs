//! The registries' entries, alike for every registry: reads in scope, creates
//! and versioned updates through the command path, Excel out and in. Typed
//! calls (`entries::<Items>`) for code that knows the registry; calls by
//! [`RegistryInfo`] for code that serves every registry (the API, the console).

use crate::registry::{ImportReport, read_workbook, row_error};
use crate::{Actor, Result, Service, ServiceError};
use serde_json::Value;
use zhifa_docs::excel;
use zhifa_domain::change::Change;
use zhifa_domain::ids::AgencyId;
use zhifa_domain::registry::{Editors, Registry, RegistryInfo, Validated, Values, validated};
use zhifa_store::Entry;

/// An entry of a registry known by its info: its data as JSON.
pub type RawEntry = Entry<i64, Value>;

impl Service {
    /// The registries this server has.
    pub fn registries(&self) -> &[&'static RegistryInfo] {
        &self.registries
    }

    /// The registry at address `slug` (`items`, `service-guides` …).
    pub fn registry(&self, slug: &str) -> Option<&'static RegistryInfo> {
        self.registries.iter().copied().find(|r| r.names.slug == slug)
    }

    /// The registry whose records are about `entity` (`item`, `service_guide` …).
    pub fn registry_of_entity(&self, entity: &str) -> Option<&'static RegistryInfo> {
        self.registries.iter().copied().find(|r| r.names.entity == entity)
    }

    /// An entry of `R`, if the actor may read it.
    pub async fn entry<R: Registry>(&self, actor: &Actor, id: R::Id) -> Result<Entry<R::Id, R::Data>> {
        let entry = self.store.entry::<R>(id).await?.ok_or(ServiceError::NotFound)?;
        self.readable_agency(actor, entry.agency_id).await?;
        Ok(entry)
    }

    /// An agency's entries of `R`, if the actor may read them.
    pub async fn entries<R: Registry>(&self, actor: &Actor, agency: AgencyId) -> Result<Vec<Entry<R::Id, R::Data>>> {
        self.readable_agency(actor, agency).await?;
        Ok(self.store.entries::<R>(agency).await?)
    }

    pub async fn create_entry<R: Registry>(&self, actor: &Actor, agency: AgencyId, form: &R::Form) -> Result<R::Id> {
        self.editor(actor, &R::INFO, agency).await?;
        let entry = validated::<R>(&R::validate(form)?)?;
        Ok(R::Id::from(self.commit_entry(actor, &R::INFO, agency, entry).await?))
    }

    pub async fn update_entry<R: Registry>(
        &self,
        actor: &Actor,
        id: R::Id,
        version: i64,
        form: &R::Form,
    ) -> Result<()> {
        let current = self.store.entry::<R>(id).await?.ok_or(ServiceError::NotFound)?;
        self.editor(actor, &R::INFO, current.agency_id).await?;
        let entry = validated::<R>(&R::validate(form)?)?;
        self.commit_update(actor, &R::INFO, id.into(), version, entry).await
    }

    /// An entry of `registry`, if the actor may read it.
    pub async fn registry_entry(&self, actor: &Actor, registry: &'static RegistryInfo, id: i64) -> Result<RawEntry> {
        let entry = self.store.registry_entry(registry, id).await?.ok_or(ServiceError::NotFound)?;
        self.readable_agency(actor, entry.agency_id).await?;
        Ok(entry)
    }

    /// An agency's entries of `registry`, if the actor may read them.
    pub async fn registry_entries(
        &self,
        actor: &Actor,
        registry: &'static RegistryInfo,
        agency: AgencyId,
    ) -> Result<Vec<RawEntry>> {
        self.readable_agency(actor, agency).await?;
        Ok(self.store.registry_entries(registry, agency).await?)
    }

    /// A new entry of `registry` from a form's values; returns its id.
    pub async fn create_registry_entry(
        &self,
        actor: &Actor,
        registry: &'static RegistryInfo,
        agency: AgencyId,
        values: &Values,
    ) -> Result<i64> {
        self.editor(actor, registry, agency).await?;
        let entry = (registry.validate)(values)?;
        self.commit_entry(actor, registry, agency, entry).await
    }

    /// Entry `id` of `registry` replaced by a form's values, if still at `version`.
    pub async fn update_registry_entry(
        &self,
        actor: &Actor,
        registry: &'static RegistryInfo,
        id: i64,
        version: i64,
        values: &Values,
    ) -> Result<()> {
        let current = self.store.registry_entry(registry, id).await?.ok_or(ServiceError::NotFound)?;
        self.editor(actor, registry, current.agency_id).await?;
        let entry = (registry.validate)(values)?;
        self.commit_update(actor, registry, id, version, entry).await
    }

    /// The form's values of a stored entry.
    pub fn entry_values(registry: &RegistryInfo, entry: &RawEntry) -> Result<Values> {
        (registry.values)(&entry.data).ok_or_else(|| {
            ServiceError::internal(format!(
                "{} {} holds data that is not its registry's",
                registry.names.table, entry.id
            ))
        })
    }

    /// An agency's entries of `registry` as a workbook, one row each.
    pub async fn export_registry(
        &self,
        actor: &Actor,
        registry: &'static RegistryInfo,
        agency: AgencyId,
    ) -> Result<Vec<u8>> {
        let mut rows = Vec::new();
        for entry in self.registry_entries(actor, registry, agency).await? {
            let values = Self::entry_values(registry, &entry)?;
            rows.push(excel::cells_of(registry.fields, |name| values.get(name).map_or("", String::as_str)));
        }
        let headers: Vec<&str> = registry.fields.iter().map(|f| f.label).collect();
        excel::write_table(registry.names.title, &headers, &rows).map_err(crate::registry::excel_error)
    }

    /// New entries of `registry` from a workbook: every row valid, or nothing imported.
    pub async fn import_registry(
        &self,
        actor: &Actor,
        registry: &'static RegistryInfo,
        agency: AgencyId,
        bytes: &[u8],
    ) -> Result<ImportReport> {
        self.editor(actor, registry, agency).await?;
        let fields = registry.fields;
        let table = read_workbook(bytes, move |t| excel::columns(t, fields, &[])).await?;
        let mut changes = Vec::with_capacity(table.rows.len());
        for (row, cells) in &table.rows {
            let values = excel::row_values(&table, fields, cells);
            let entry = (registry.validate)(&values).map_err(|e| row_error(*row, e))?;
            changes.push(Change::CreateEntry { registry, agency, entry });
        }
        let created = changes.len();
        if created > 0 {
            self.commit(actor, &format!("导入{}", registry.names.title), changes).await?;
        }
        Ok(ImportReport { created })
    }

    /// The agency, if the actor may change `registry`'s entries there.
    async fn editor(&self, actor: &Actor, registry: &RegistryInfo, agency: AgencyId) -> Result<()> {
        match registry.names.editors {
            Editors::Lists => self.list_editor(actor, agency).await.map(drop),
        }
    }

    async fn commit_entry(
        &self,
        actor: &Actor,
        registry: &'static RegistryInfo,
        agency: AgencyId,
        entry: Validated,
    ) -> Result<i64> {
        let reason = format!("新增{}", registry.names.noun);
        self.commit_one(actor, &reason, Change::CreateEntry { registry, agency, entry }).await
    }

    async fn commit_update(
        &self,
        actor: &Actor,
        registry: &'static RegistryInfo,
        id: i64,
        version: i64,
        entry: Validated,
    ) -> Result<()> {
        let reason = format!("修改{}", registry.names.noun);
        self.commit_one(actor, &reason, Change::UpdateEntry { registry, id, version, entry }).await.map(drop)
    }
}
