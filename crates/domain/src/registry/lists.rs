//! The lists of PUB-1 that each agency keeps: enforcement items, random-inspection
//! items, service guides and discretion benchmarks. Forms are all strings (as
//! typed or imported); each validates into its data.

use crate::agency::AgencyForm;
use crate::error::{optional_text, required_text};
use crate::people::{Category, CertificateForm, UserForm};
use crate::region::RegionLevel;
use crate::{Invalid, coded_enum};
use serde::{Deserialize, Serialize};

use super::{Editors, FieldKind, Names, Registry, RegistryInfo, form_fields};
use FieldKind::{Choice, Date, Flag, Long, Text};

form_fields!(AgencyForm {
    code: "主体编码", Text, true;
    name: "主体名称", Text, true;
    uscc: "统一社会信用代码", Text, true;
    region: "行政区划代码", Text, true;
    domain: "执法领域", Choice(crate::agency::Domain::CHOICES), true;
    kind: "主体类型", Choice(crate::agency::AgencyKind::CHOICES), true;
    legal_basis: "职权依据", Long, true;
    address: "地址", Text, false;
    phone: "电话", Text, false;
    late_entry_days: "补录时限（工作日）", Text, false;
});

form_fields!(UserForm {
    username: "用户名", Text, true;
    name: "姓名", Text, true;
    role: "角色", Choice(crate::people::Role::CHOICES), true;
    post: "职务", Text, false;
    legal_qualification: "法律职业资格", Flag, false;
    active: "在岗", Flag, false;
});

form_fields!(CertificateForm {
    number: "执法证号", Text, true;
    categories: "执法类别", Text, true;
    region: "执法区域", Text, true;
    valid_from: "有效期起", Date, true;
    valid_to: "有效期止", Date, true;
});

coded_enum!(
    /// 行使层级: the level of government that exercises an item.
    Level, "行使层级" {
        Province = "province", "省级";
        City = "city", "市级";
        County = "county", "县级";
        Township = "township", "乡级";
    }
);

impl From<RegionLevel> for Level {
    fn from(l: RegionLevel) -> Self {
        match l {
            RegionLevel::Province => Level::Province,
            RegionLevel::City => Level::City,
            RegionLevel::County => Level::County,
            RegionLevel::Township => Level::Township,
        }
    }
}

/// 执法事项 with its legal basis (法律依据: law, article, text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemData {
    /// 事项编码, as in the province's 权责清单; may be empty.
    pub code: String,
    pub name: String,
    pub category: Category,
    pub basis_law: String,
    pub basis_article: String,
    pub basis_text: String,
    pub level: Level,
    pub remarks: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ItemForm {
    pub code: String,
    pub name: String,
    pub category: String,
    pub basis_law: String,
    pub basis_article: String,
    pub basis_text: String,
    pub level: String,
    pub remarks: String,
}

form_fields!(ItemForm {
    code: "事项编码", Text, false;
    name: "事项名称", Text, true;
    category: "执法类别", Choice(Category::CHOICES), true;
    basis_law: "法律依据", Text, true;
    basis_article: "条款", Text, true;
    basis_text: "依据内容", Long, false;
    level: "行使层级", Choice(Level::CHOICES), true;
    remarks: "备注", Long, false;
});

impl ItemForm {
    pub fn validate(&self) -> Result<ItemData, Invalid> {
        Ok(ItemData {
            code: optional_text("事项编码", &self.code, 50)?,
            name: required_text("事项名称", &self.name, 200)?,
            category: Category::parse(&self.category)?,
            basis_law: required_text("法律依据", &self.basis_law, 200)?,
            basis_article: required_text("条款", &self.basis_article, 100)?,
            basis_text: optional_text("依据内容", &self.basis_text, 5000)?,
            level: Level::parse(&self.level)?,
            remarks: optional_text("备注", &self.remarks, 2000)?,
        })
    }
}

impl From<&ItemData> for ItemForm {
    fn from(d: &ItemData) -> Self {
        Self {
            code: d.code.clone(),
            name: d.name.clone(),
            category: d.category.code().to_owned(),
            basis_law: d.basis_law.clone(),
            basis_article: d.basis_article.clone(),
            basis_text: d.basis_text.clone(),
            level: d.level.code().to_owned(),
            remarks: d.remarks.clone(),
        }
    }
}

/// Defines a list entry that is text only: its data is its validated form.
macro_rules! text_entry {
    ($(#[$m:meta])* $name:ident { $($field:ident : $label:literal, $kind:expr, $req:literal, $max:literal;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(default)]
        pub struct $name {
            $(pub $field: String,)*
        }

        form_fields!($name { $($field: $label, $kind, $req;)* });

        /// The form of text-only data is the data itself.
        impl From<&$name> for $name {
            fn from(d: &$name) -> Self {
                d.clone()
            }
        }

        impl $name {
            /// Trims every field and checks required ones and lengths.
            pub fn validate(&self) -> Result<$name, Invalid> {
                Ok($name {
                    $($field: if $req {
                        required_text($label, &self.$field, $max)?
                    } else {
                        optional_text($label, &self.$field, $max)?
                    },)*
                })
            }
        }
    };
}

text_entry!(
    /// 随机抽查事项.
    InspectionItemData {
        name: "抽查事项", Text, true, 200;
        basis: "抽查依据", Long, true, 2000;
        object: "抽查对象", Text, true, 200;
        content: "抽查内容", Long, true, 2000;
        ratio: "抽查比例", Text, true, 50;
        method: "抽查方式", Text, true, 100;
        frequency: "抽查频次", Text, true, 100;
    }
);

text_entry!(
    /// 服务指南.
    ServiceGuideData {
        item: "事项名称", Text, true, 200;
        basis: "设定依据", Long, true, 2000;
        accepting_body: "受理机构", Text, true, 200;
        approving_body: "决定机构", Text, true, 200;
        conditions: "申请条件", Long, true, 4000;
        materials: "申请材料", Long, true, 4000;
        flow: "办理流程", Long, true, 4000;
        time_limit: "办理时限", Text, true, 100;
        fees: "收费标准", Text, false, 500;
        supervision: "监督投诉渠道", Text, true, 500;
        office_hours: "办公时间", Text, false, 200;
        address: "办公地址", Text, false, 200;
        phone: "联系电话", Text, false, 50;
    }
);

text_entry!(
    /// 自由裁量基准: for one violation and one degree of circumstances, what
    /// counts as that degree and the range of penalty it calls for.
    DiscretionBenchmarkData {
        violation: "违法行为", Text, true, 200;
        basis: "违法依据", Long, true, 2000;
        penalty_basis: "处罚依据", Long, true, 2000;
        circumstances: "违法情节", Text, true, 100;
        criteria: "情节认定标准", Long, true, 2000;
        range: "裁量幅度", Long, true, 1000;
        remarks: "备注", Long, false, 2000;
    }
);

/// Implements [`Registry`] for a list of the agency's list editors whose form
/// validates itself; its record kinds are `{entity}.create` and `{entity}.update`.
macro_rules! list_registry {
    ($(#[$m:meta])* $name:ident: $Id:ty, $Data:ty, $Form:ty, name = $field:ident,
     $entity:literal, $table:literal, $slug:literal, $noun:literal, $title:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl Registry for $name {
            type Id = $Id;
            type Data = $Data;
            type Form = $Form;
            const INFO: RegistryInfo = RegistryInfo::of::<Self>(Names {
                entity: $entity,
                create_kind: concat!($entity, ".create"),
                update_kind: concat!($entity, ".update"),
                name_field: stringify!($field),
                table: $table,
                slug: $slug,
                noun: $noun,
                title: $title,
                editors: Editors::Lists,
            });

            fn validate(form: &$Form) -> Result<$Data, Invalid> {
                form.validate()
            }

            fn name(data: &$Data) -> &str {
                &data.$field
            }
        }
    };
}

list_registry!(
    /// 执法事项清单.
    Items: crate::ids::ItemId, ItemData, ItemForm, name = name,
    "item", "items", "items", "执法事项", "执法事项清单"
);

list_registry!(
    /// 随机抽查事项清单.
    InspectionItems: crate::ids::InspectionItemId, InspectionItemData, InspectionItemData, name = name,
    "inspection_item", "inspection_items", "inspection-items", "随机抽查事项", "随机抽查事项清单"
);

list_registry!(
    /// 服务指南.
    ServiceGuides: crate::ids::ServiceGuideId, ServiceGuideData, ServiceGuideData, name = item,
    "service_guide", "service_guides", "service-guides", "服务指南", "服务指南"
);

list_registry!(
    /// 自由裁量基准.
    DiscretionBenchmarks: crate::ids::DiscretionBenchmarkId, DiscretionBenchmarkData, DiscretionBenchmarkData,
    name = violation, "discretion_benchmark", "discretion_benchmarks", "discretion-benchmarks", "自由裁量基准",
    "自由裁量基准"
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Form;

    #[test]
    fn item_form_round_trips_through_data() {
        let form = ItemForm {
            code: "330217001000".into(),
            name: "对生产经营不符合食品安全标准的食品的处罚".into(),
            category: "行政处罚".into(),
            basis_law: "《中华人民共和国食品安全法》".into(),
            basis_article: "第一百二十四条第一款".into(),
            basis_text: String::new(),
            level: "县级".into(),
            remarks: String::new(),
        };
        let data = form.validate().unwrap();
        assert_eq!(data.category, Category::Penalty);
        assert_eq!(ItemForm::from(&data).validate().unwrap(), data);
    }

    #[test]
    fn generic_fields_reach_every_form_field() {
        let mut f = ServiceGuideData::default();
        for field in ServiceGuideData::FIELDS {
            f.set(field.name, format!("  {}  ", field.label));
        }
        let v = f.validate().unwrap();
        for field in ServiceGuideData::FIELDS {
            assert_eq!(v.get(field.name), field.label);
        }
    }

    #[test]
    fn required_fields_are_named_in_the_error() {
        let err = InspectionItemData::default().validate().unwrap_err();
        assert_eq!(err.field, "抽查事项");
        assert_eq!(err.to_string(), "抽查事项：不能为空");
    }
}
