//! `zhifa serve`, `zhifa reindex` and the demo's cases.

use crate::args::ServeArgs;
use anyhow::{Context, Result};
use zhifa_service::Service;
use zhifa_web::AppState;

pub(crate) async fn serve(service: Service, args: &ServeArgs) -> Result<()> {
    // The search indexes follow the outbox from where they stopped, and
    // keep following it (this server's writes and other servers').
    let follower = service.clone();
    tokio::spawn(async move { follower.follow_search().await });
    // What was checked against estimated holidays is checked again against
    // the years loaded now (REC-3); nothing changes while they are missing.
    // Early warnings (SUP-1) follow the outbox, with a whole pass each day.
    let watcher = service.clone();
    tokio::spawn(async move { watcher.follow_warnings().await });
    let rechecker = service.clone();
    tokio::spawn(async move {
        match rechecker.recheck_estimates().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(cases = n, "rechecked estimated limits against the holidays now loaded"),
            Err(e) => tracing::error!(error = %e, "rechecking estimated limits failed"),
        }
    });
    let state = AppState::behind_proxy(service, args.secure_cookies, args.trust_forwarded_for);
    zhifa_web::serve(state, args.listen, |addr| {
        use std::io::Write;
        println!("Zhifa 正在 http://{addr}/console 提供服务，公示门户 http://{addr}/（Ctrl-C 停止）");
        std::io::stdout().flush().ok();
    })
    .await
    .with_context(|| format!("无法在 {} 上监听", args.listen))
}

/// Rebuild the search index with a progress line.
pub(crate) async fn reindex(service: &Service) -> Result<()> {
    use std::io::Write;
    let started = std::time::Instant::now();
    let n = service
        .reindex(|done, total| {
            eprint!("\r重建检索索引：{done}/{total} 条公示");
            std::io::stderr().flush().ok();
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("重建检索索引失败")?;
    eprintln!();
    println!("检索索引已重建：{n} 条公示及各机关公示清单，用时 {:.1} 秒", started.elapsed().as_secs_f64());
    Ok(())
}

/// Generate `n` demo cases with a progress line.
pub(crate) async fn bulk_cases(service: &Service, n: u64) -> Result<()> {
    use std::io::Write;
    let started = std::time::Instant::now();
    zhifa_demo::create_bulk_cases(service, n, |done| {
        let secs = started.elapsed().as_secs_f64();
        eprint!("\r生成演示案件：{done}/{n}（{:.0} 件/秒）", done as f64 / secs.max(0.001));
        std::io::stderr().flush().ok();
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("生成演示案件失败")?;
    eprintln!();
    println!("已生成 {n} 件演示案件（已作出的决定均已公示），用时 {:.1} 秒", started.elapsed().as_secs_f64());
    reindex(service).await
}
