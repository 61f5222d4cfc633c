//! `zhifa import` and `zhifa export`: a list by its name.

use crate::CLI;
use crate::args::ListArgs;
use anyhow::{Context, Result};
use zhifa_service::Service;

/// The agency and the registry of a list (`None`: the personnel list).
pub(crate) async fn list_target(
    service: &Service,
    list: &ListArgs,
) -> Result<(zhifa_service::Agency, Option<&'static zhifa_domain::registry::RegistryInfo>)> {
    let registry = match list.list.as_str() {
        "personnel" => None,
        slug => Some(service.registry(slug).with_context(|| {
            let known: Vec<&str> = service.registries().iter().map(|r| r.names.slug).collect();
            format!("没有名为 {slug} 的清单（可用：personnel、{}）", known.join("、"))
        })?),
    };
    let code = &list.agency;
    let agency = service.agency_by_code(&CLI, code).await.with_context(|| format!("找不到执法主体 {code}"))?;
    Ok((agency, registry))
}
