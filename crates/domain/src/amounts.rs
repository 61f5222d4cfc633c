//! Amounts the law leaves to each province, as data: the 较大数额 of art. 63
//! (a hearing on request) first. One TOML file per province
//! (`amounts/330000.toml`), embedded; a deployment adds or replaces
//! provinces from a directory (`--amounts-dir`), as it does procedures.

use crate::money::Money;
use crate::region::RegionCode;
use serde::Deserialize;

/// A province's amounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvinceAmounts {
    /// The province's code, e.g. `330000`.
    pub province: String,
    pub name: String,
    /// Art. 63: the fine or value from which a person may ask a hearing.
    pub hearing_person: Money,
    /// … an organisation.
    pub hearing_organisation: Money,
    /// Where the province sets them.
    pub hearing_source: String,
}

/// The provinces' amounts in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Amounts {
    provinces: Vec<ProvinceAmounts>,
}

/// A file that cannot be read as a province's amounts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}：{message}")]
pub struct AmountsError {
    pub file: String,
    pub message: String,
}

/// The files shipped in the binary.
pub const EMBEDDED: &[(&str, &str)] = &[("330000.toml", include_str!("../amounts/330000.toml"))];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    province: String,
    name: String,
    hearing: RawHearing,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHearing {
    source: String,
    /// Yuan.
    person: u32,
    organisation: u32,
}

impl Amounts {
    /// The embedded files, then `files` (`(name, text)`): a later file of
    /// the same province replaces an earlier one.
    pub fn load(files: &[(String, String)]) -> Result<Self, AmountsError> {
        let embedded = EMBEDDED.iter().map(|(f, t)| ((*f).to_owned(), (*t).to_owned()));
        let mut provinces: Vec<ProvinceAmounts> = Vec::new();
        for (file, text) in embedded.chain(files.iter().cloned()) {
            let error = |message: String| AmountsError { file: file.clone(), message };
            let raw: RawFile = toml::from_str(&text).map_err(|e| error(e.to_string()))?;
            let code = RegionCode::parse(&raw.province).map_err(|e| error(e.to_string()))?;
            if code.parent().is_some() {
                return Err(error(format!("{} 不是省级行政区划代码", raw.province)));
            }
            let amounts = ProvinceAmounts {
                province: raw.province,
                name: raw.name,
                hearing_person: Money::yuan(i64::from(raw.hearing.person)),
                hearing_organisation: Money::yuan(i64::from(raw.hearing.organisation)),
                hearing_source: raw.hearing.source,
            };
            provinces.retain(|p| p.province != amounts.province);
            provinces.push(amounts);
        }
        Ok(Self { provinces })
    }

    pub fn embedded() -> Result<Self, AmountsError> {
        Self::load(&[])
    }

    /// The amounts of the province `region` lies in, if loaded.
    pub fn of(&self, region: &RegionCode) -> Option<&ProvinceAmounts> {
        self.provinces.iter().find(|p| region.as_str().starts_with(&p.province[..2]))
    }

    pub fn provinces(&self) -> &[ProvinceAmounts] {
        &self.provinces
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn art_63_large_amounts_come_from_the_provinces_file() {
        let amounts = Amounts::embedded().unwrap();
        let xihu = RegionCode::parse("330106").unwrap();
        let zj = amounts.of(&xihu).unwrap();
        assert_eq!((zj.hearing_person, zj.hearing_organisation), (Money::yuan(10_000), Money::yuan(100_000)));
        assert!(amounts.of(&RegionCode::parse("110105").unwrap()).is_none(), "Beijing's is not shipped");
        let beijing = "province = \"110000\"\nname = \"北京市\"\n[hearing]\nsource = \"某规定\"\nperson = 5000\norganisation = 50000\n";
        let amounts = Amounts::load(&[("110000.toml".into(), beijing.into())]).unwrap();
        let bj = amounts.of(&RegionCode::parse("110105").unwrap()).unwrap();
        assert_eq!(bj.hearing_person, Money::yuan(5_000));
        let city = beijing.replace("110000", "110100");
        let e = Amounts::load(&[("bad.toml".into(), city)]).unwrap_err();
        assert!(e.to_string().starts_with("bad.toml：") && e.message.contains("省级"), "{e}");
    }
}
