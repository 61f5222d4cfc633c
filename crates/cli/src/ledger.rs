//! `zhifa verify` and `zhifa verify-package`.

use anyhow::{Context, Result, bail};
use std::path::Path;
use zhifa_service::Service;

/// Check an archive package with no database.
pub(crate) fn verify_package(file: &Path, public_key: Option<&Path>) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("读取 {} 失败", file.display()))?;
    let key = public_key
        .map(|p| std::fs::read_to_string(p).with_context(|| format!("读取公钥 {} 失败", p.display())))
        .transpose()?;
    let checked = zhifa_docs::archive::verify(&bytes, key.as_deref());
    println!(
        "案件 {}：已核对 {} 个文件、{} 条账本记录；检查点 {}（大小 {}）",
        checked.case_number, checked.files, checked.records, checked.origin, checked.size
    );
    if key.is_none() && !checked.key_fingerprint.is_empty() {
        println!("签名公钥指纹 {}（请与平台公布的公钥核对，或用 --public-key 指定）", checked.key_fingerprint);
    }
    for p in &checked.problems {
        println!("不符：{p}");
    }
    if !checked.problems.is_empty() {
        bail!("归档包校验未通过（{} 处不符）", checked.problems.len());
    }
    println!("归档包完好");
    Ok(())
}

pub(crate) async fn verify(service: Service, against: Option<&Path>) -> Result<()> {
    use std::io::Write;
    let mut last_phase = "";
    let report = service
        .verify(|p| {
            if p.phase != last_phase {
                if !last_phase.is_empty() {
                    eprintln!();
                }
                last_phase = p.phase;
            }
            eprint!("\r校验{}：{}/{}", p.phase, p.done, p.total);
            std::io::stderr().flush().ok();
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!();
    println!(
        "已校验 {} 个叶子、{} 个子树节点、{} 个检查点、{} 行登记信息、{} 个音像文件",
        report.leaves, report.nodes, report.checkpoints, report.rows, report.files
    );
    let mut failed = !report.problems.is_empty();
    for p in &report.problems {
        println!("不符：{p}");
    }
    if let Some(file) = against {
        let note = std::fs::read_to_string(file).with_context(|| format!("读取 {} 失败", file.display()))?;
        match service.verify_against(&note).await.map_err(|e| anyhow::anyhow!("{e}"))? {
            Ok(size) => println!("当前日志（{size} 个叶子）是 {} 中检查点的延续", file.display()),
            Err(why) => {
                println!("不符：{why}");
                failed = true;
            }
        }
    }
    if failed {
        bail!("账本校验未通过（{} 处不符）", report.problems.len().max(1));
    }
    println!("账本完好");
    Ok(())
}
