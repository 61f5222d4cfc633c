//! Registries: the versioned entries an agency keeps (enforcement items,
//! random-inspection items, service guides, discretion benchmarks …).
//!
//! A registry is a type implementing [`Registry`] once: its names, id and data
//! types, its form and validation. Everything that serves every registry alike
//! (the store's insert, versioned update and history, `verify`, the API, the
//! console's pages, Excel in and out) works from its [`RegistryInfo`], so a new
//! registry needs no code in those places. Cases, publications, the ledger and
//! sign-in are not registries: they keep their own modules.

mod lists;

pub use lists::*;

use crate::Invalid;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;

/// How a field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    /// Several lines of text.
    Long,
    /// One of `(code, label)`.
    Choice(&'static [(&'static str, &'static str)]),
    /// Yes or no.
    Flag,
    Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    /// The Chinese label: on forms and as the Excel column heading.
    pub label: &'static str,
    pub kind: FieldKind,
    pub required: bool,
}

impl Field {
    /// A value of this field as a person reads it: a choice by its label, a
    /// flag as 是 or 否, the rest as it is.
    pub fn shown(&self, value: &str) -> String {
        match self.kind {
            FieldKind::Choice(choices) => {
                choices.iter().find(|(c, _)| *c == value).map_or(value, |(_, l)| l).to_owned()
            }
            FieldKind::Flag => if crate::people::parse_flag(value) { "是" } else { "否" }.to_owned(),
            FieldKind::Text | FieldKind::Long | FieldKind::Date => value.to_owned(),
        }
    }
}

/// A form of string fields that a generic page, API or spreadsheet can fill.
pub trait Form: Default {
    const FIELDS: &'static [Field];
    fn get(&self, name: &str) -> &str;
    fn set(&mut self, name: &str, value: String);
}

macro_rules! form_fields {
    ($form:ty { $($name:ident : $label:literal, $kind:expr, $req:literal;)* }) => {
        impl $crate::registry::Form for $form {
            const FIELDS: &'static [$crate::registry::Field] = &[
                $($crate::registry::Field { name: stringify!($name), label: $label, kind: $kind, required: $req },)*
            ];
            fn get(&self, name: &str) -> &str {
                match name { $(stringify!($name) => &self.$name,)* _ => "" }
            }
            fn set(&mut self, name: &str, value: String) {
                match name { $(stringify!($name) => self.$name = value,)* _ => {} }
            }
        }
    };
}

pub(crate) use form_fields;

/// A form's values by field name, as typed, posted or imported; a name that
/// is not a field of the registry is ignored.
pub type Values = BTreeMap<String, String>;

/// An entry validated by its registry: its data as JSON (as kept and
/// recorded) and the name the store indexes it by.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    pub name: String,
    pub data: Value,
}

/// Who may change a registry's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Editors {
    /// The agency's list editors (heads, legal staff, publicity officers).
    Lists,
}

/// The names of a registry, as data (see [`RegistryInfo::of`]).
#[derive(Debug, Clone, Copy)]
pub struct Names {
    /// The entity of its records, e.g. `item`; also its history's name.
    pub entity: &'static str,
    /// Record kinds, e.g. `item.create` and `item.update`: never change them,
    /// existing ledgers hold them.
    pub create_kind: &'static str,
    pub update_kind: &'static str,
    /// The field of the data that the table's `name` column copies.
    pub name_field: &'static str,
    /// The table: `id`, `agency_id`, `name`, `data`, `version`, `created_us`,
    /// `updated_us` (the migration that adds a registry creates it).
    pub table: &'static str,
    /// In addresses: `/api/v1/agencies/{id}/{slug}`, `/api/v1/{slug}/{id}`,
    /// `/console/agencies/{id}/{slug}`.
    pub slug: &'static str,
    /// One entry, in Chinese: `执法事项`.
    pub noun: &'static str,
    /// The list as a whole: `执法事项清单` (page title, sheet and file name).
    pub title: &'static str,
    pub editors: Editors,
}

/// A registry without its types: what generic code serves it by.
pub struct RegistryInfo {
    pub names: Names,
    pub fields: &'static [Field],
    /// Validates a form's values into the entry.
    pub validate: fn(&Values) -> Result<Validated, Invalid>,
    /// The form's values of stored data (`None` if it is not this registry's data).
    pub values: fn(&Value) -> Option<Values>,
}

impl RegistryInfo {
    /// The info of `R`, its functions instantiated for its types.
    pub const fn of<R: Registry>(names: Names) -> Self {
        Self { names, fields: <R::Form as Form>::FIELDS, validate: validate_values::<R>, values: form_values::<R> }
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

impl std::fmt::Debug for RegistryInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RegistryInfo").field(&self.names.entity).finish()
    }
}

/// Registries are the same when they record the same entity.
impl PartialEq for RegistryInfo {
    fn eq(&self, other: &Self) -> bool {
        self.names.entity == other.names.entity
    }
}

/// A registry, implemented once per kind of entry.
pub trait Registry: 'static {
    type Id: Copy + From<i64> + Into<i64> + Send + Sync + std::fmt::Debug;
    type Data: Serialize + DeserializeOwned + Clone + std::fmt::Debug + PartialEq + Send + Sync;
    type Form: Form + for<'a> From<&'a Self::Data>;
    const INFO: RegistryInfo;

    fn validate(form: &Self::Form) -> Result<Self::Data, Invalid>;
    /// What the store indexes and lists sort by.
    fn name(data: &Self::Data) -> &str;
}

fn validate_values<R: Registry>(values: &Values) -> Result<Validated, Invalid> {
    let mut form = R::Form::default();
    for (name, value) in values {
        form.set(name, value.clone());
    }
    validated::<R>(&R::validate(&form)?)
}

/// The entry of validated data.
pub fn validated<R: Registry>(data: &R::Data) -> Result<Validated, Invalid> {
    let json = serde_json::to_value(data).map_err(|e| Invalid::new("数据", e.to_string()))?;
    Ok(Validated { name: R::name(data).to_owned(), data: json })
}

fn form_values<R: Registry>(data: &Value) -> Option<Values> {
    let data: R::Data = serde_json::from_value(data.clone()).ok()?;
    let form = R::Form::from(&data);
    Some(R::Form::FIELDS.iter().map(|f| (f.name.to_owned(), form.get(f.name).to_owned())).collect())
}

/// The registries every server has.
pub const BUILT_IN: [&RegistryInfo; 4] =
    [&Items::INFO, &InspectionItems::INFO, &ServiceGuides::INFO, &DiscretionBenchmarks::INFO];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_kinds_are_entity_dot_verb() {
        let mut seen = std::collections::HashSet::new();
        for r in BUILT_IN {
            let n = r.names;
            assert!(seen.insert(n.entity) && seen.insert(n.slug), "{}", n.entity);
            assert_eq!(n.create_kind, format!("{}.create", n.entity));
            assert_eq!(n.update_kind, format!("{}.update", n.entity));
        }
    }

    #[test]
    fn values_validate_and_come_back() {
        let mut values = Values::new();
        for f in ServiceGuides::INFO.fields {
            values.insert(f.name.to_owned(), format!(" {} ", f.label));
        }
        values.insert("no_such_field".into(), "x".into());
        let entry = (ServiceGuides::INFO.validate)(&values).unwrap();
        assert_eq!(entry.name, "事项名称");
        let back = (ServiceGuides::INFO.values)(&entry.data).unwrap();
        assert_eq!(back.len(), ServiceGuides::INFO.fields.len());
        assert_eq!(back["item"], "事项名称");
        assert_eq!((Items::INFO.values)(&serde_json::json!({"x": 1})), None);
    }
}
