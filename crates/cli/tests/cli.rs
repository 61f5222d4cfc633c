#![expect(clippy::unwrap_used, reason = "tests fail loudly")]
//! The `zhifa` binary's calendar commands, run as a user would run them.

use std::process::{Command, Output};

fn zhifa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhifa")).args(args).env_remove("ZHIFA_CALENDAR_DIR").output().unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn calendar_days_prints_one_line_per_day() {
    let out = stdout(&zhifa(&["calendar", "days", "--from", "2024-02-08", "--to", "2024-02-19"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 12);
    assert_eq!(lines[0], "2024-02-08 workday");
    assert_eq!(lines[1], "2024-02-09 workday");
    assert_eq!(lines[2], "2024-02-10 holiday");
    assert_eq!(lines[10], "2024-02-18 swapped-workday");
    assert_eq!(lines[11], "2024-02-19 workday");
}

#[test]
fn calendar_deadline_prints_the_due_date_first_then_the_trace() {
    let out = stdout(&zhifa(&["calendar", "deadline", "--from", "2025-09-30", "--working-days", "7"]));
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("2025-10-16"));
    let rest: Vec<&str> = lines.collect();
    assert!(rest[0].starts_with("规则："), "{out}");
    assert!(rest.contains(&"2025-10-11 计入 调休上班（国庆节、中秋节）"), "{out}");

    let out = stdout(&zhifa(&["calendar", "deadline", "--from", "2025-07-03", "--days", "90"]));
    assert_eq!(out.lines().next(), Some("2025-10-09"));
    let out = stdout(&zhifa(&["calendar", "deadline", "--from", "2026-04-29", "--period", "penalty.service"]));
    assert_eq!(out.lines().next(), Some("2026-05-12"));
}

#[test]
fn a_year_without_data_fails_with_a_chinese_message() {
    let o = zhifa(&["calendar", "deadline", "--from", "2026-12-24", "--working-days", "7"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("2027年的节假日安排尚未载入"));
    let o = zhifa(&["calendar", "deadline", "--from", "2025-01-01"]);
    assert!(!o.status.success(), "a period is required");
}

#[test]
fn calendar_dir_adds_a_year() {
    let dir = std::env::temp_dir().join(format!("zhifa-calendar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("2027.txt"), "year 2027\nsource 测试用通知\nholiday 2027-01-01..2027-01-03 元旦\n")
        .unwrap();
    let dir_arg = dir.to_str().unwrap();
    let out = stdout(&zhifa(&[
        "--calendar-dir",
        dir_arg,
        "calendar",
        "deadline",
        "--from",
        "2026-12-24",
        "--working-days",
        "7",
    ]));
    assert_eq!(out.lines().next(), Some("2027-01-05"));
    let years = stdout(&zhifa(&["--calendar-dir", dir_arg, "calendar", "years"]));
    assert!(years.lines().last().unwrap().starts_with("2027 管理员添加"), "{years}");

    std::fs::write(dir.join("2028.txt"), "year 2028\nsource s\nworkday 2028-01-03 元旦\n").unwrap();
    let o = zhifa(&["--calendar-dir", dir_arg, "calendar", "years"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("2028.txt 第3行") && err.contains("不是周末"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The signature blob of a checkpoint's signature line: key id (4 bytes) and signature.
fn signature_len(note: &str) -> usize {
    let b64 = note.trim_end().rsplit(' ').next().unwrap();
    // Standard base64 with padding: 3 bytes per 4 characters.
    b64.len() / 4 * 3 - b64.matches('=').count()
}

#[test]
fn a_new_ledger_is_sm3_sm2_or_as_asked_and_verifies() {
    for (flags, signature) in
        [(&[][..], "sm2"), (&["--ledger-hash", "sha256", "--ledger-signer", "ed25519"][..], "ed25519")]
    {
        let dir = std::env::temp_dir().join(format!("zhifa-ledger-{}-{signature}", std::process::id()));
        let data = dir.to_str().unwrap();
        let mut args = vec!["--data", data];
        args.extend_from_slice(flags);
        args.extend(["demo", "--no-serve"]);
        stdout(&zhifa(&args));
        let key = std::fs::read_to_string(dir.join("ledger-key.pem")).unwrap();
        assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("ledger-key.pem")).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the key is readable by its owner only");
        }
        let note = stdout(&zhifa(&["--data", data, "ledger", "checkpoint"]));
        let len = signature_len(&note);
        match signature {
            "ed25519" => assert_eq!(len, 4 + 64, "{note}"),
            _ => assert!((4 + 68..=4 + 72).contains(&len), "an SM2 DER signature: {note}"),
        }
        let out = stdout(&zhifa(&["--data", data, "verify"]));
        assert!(out.contains("账本完好"), "{out}");
        // The demo's published decisions, indexed again from the database.
        let out = stdout(&zhifa(&["--data", data, "reindex"]));
        let n: u64 = out.split("检索索引已重建：").nth(1).and_then(|r| r.split(' ').next()).unwrap().parse().unwrap();
        assert!(n > 0, "{out}");
        // A checkpoint kept earlier is extended by the log; a forged one is not.
        std::fs::write(dir.join("kept.txt"), &note).unwrap();
        let out = stdout(&zhifa(&["--data", data, "verify", "--against", dir.join("kept.txt").to_str().unwrap()]));
        assert!(out.contains("是") && out.contains("延续"), "{out}");
        std::fs::write(dir.join("forged.txt"), note.replacen('\n', "\n1", 1)).unwrap();
        let o = zhifa(&["--data", data, "verify", "--against", dir.join("forged.txt").to_str().unwrap()]);
        assert!(!o.status.success(), "a forged checkpoint fails");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn rec_7_an_archive_package_verifies_offline_and_a_changed_byte_is_named() {
    let dir = std::env::temp_dir().join(format!("zhifa-package-{}", std::process::id()));
    let data = dir.to_str().unwrap();
    stdout(&zhifa(&["--data", data, "demo", "--no-serve"]));
    let list = stdout(&zhifa(&["--data", data, "case", "list", "--agency", "hzxh-scjg", "--stage", "archived"]));
    let numbers: Vec<&str> = list.lines().filter_map(|l| l.split('\t').next()).collect();
    assert!(numbers.len() >= 4, "an archived case of every procedure that archives: {list}");
    let package = dir.join("package.zip");
    let out = stdout(&zhifa(&["--data", data, "case", "package", numbers[0], "--out", package.to_str().unwrap()]));
    assert!(out.contains(numbers[0]), "{out}");

    // Offline: no data directory, no database.
    let offline = dir.join("offline");
    std::fs::create_dir_all(&offline).unwrap();
    let key = offline.join("public-key.pem");
    let pem = zhifa_ledger::Signer::from_pkcs8_pem("x", &std::fs::read_to_string(dir.join("ledger-key.pem")).unwrap())
        .unwrap()
        .verifier()
        .public_key_pem()
        .unwrap();
    std::fs::write(&key, pem).unwrap();
    let verify = |file: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_zhifa"))
            .current_dir(&offline)
            .args(["verify-package", file.to_str().unwrap(), "--public-key", key.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let out = stdout(&verify(&package));
    assert!(out.contains("归档包完好") && out.contains(numbers[0]), "{out}");
    assert!(!offline.join("zhifa-data").exists(), "verify-package opened no data directory");

    // One byte of a document changed: the check fails and names the entry.
    let bytes = std::fs::read(&package).unwrap();
    let entries = zhifa_docs::archive::unzip(&bytes).unwrap();
    let (name, body) = entries.iter().find(|(n, _)| n.starts_with("documents/")).unwrap();
    let at = bytes.windows(body.len()).position(|w| w == body.as_slice()).unwrap() + body.len() / 2;
    let mut changed = bytes.clone();
    changed[at] ^= 0x01;
    let tampered = offline.join("tampered.zip");
    std::fs::write(&tampered, changed).unwrap();
    let o = verify(&tampered);
    assert!(!o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(name.as_str()) && out.contains("不符"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rec_1_a_broken_procedure_file_stops_the_program_naming_file_and_line() {
    let dir = std::env::temp_dir().join(format!("zhifa-procedures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = "id = \"custom\"\nname = \"自定义程序\"\ncategory = \"penalty\"\nnumber_word = \"自\"\nstart = \"a\"\n\n\
                [[stage]]\nid = \"a\"\nname = \"甲\"\n\n[[stage]]\nid = \"b\"\nname = \"乙\"\nterminal = true\n\n\
                [[transition]]\naction = \"go\"\nname = \"前进\"\nfrom = \"a\"\nto = \"b\"\nroles = [\"head\"]\n\
                gates = [\"no_such_rule\"]\n";
    std::fs::write(dir.join("custom.toml"), text).unwrap();
    let data = dir.join("data");
    let o = zhifa(&["--data", data.to_str().unwrap(), "--procedures-dir", dir.to_str().unwrap(), "migrate"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("custom.toml") && err.contains("第22行") && err.contains("no_such_rule"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every record kind a data directory of 2026-12-04 holds (`scripts/make-data-fixture.py`).
const FIXTURE_KINDS: &str = "agency.create agency.update annual_report.create case.create case.update \
certificate.create certificate.update discretion_benchmark.create discretion_benchmark.update \
inspection_item.create inspection_item.update item.create item.update publication.create region.put \
retrieval.read review_catalogue.create review_catalogue.update service_guide.create service_guide.update \
session.sign_in session.sign_in_failed token.create token.revoke upload.complete upload.create user.create \
user.update";

/// A data directory made by main on 2026-12-04, before the registries became
/// one type (issue 19): later versions migrate it, and it verifies whole —
/// every leaf, signature, evidence file and registry row, with its record
/// kinds unchanged.
#[test]
fn a_data_directory_of_2026_12_04_opens_and_verifies() {
    let dir = std::env::temp_dir().join(format!("zhifa-fixture-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let zip = std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/data-2026-12-04.zip")).unwrap();
    zip::ZipArchive::new(zip).unwrap().extract(&dir).unwrap();
    let data = dir.to_str().unwrap();

    stdout(&zhifa(&["--data", data, "migrate"]));
    let report = stdout(&zhifa(&["--data", data, "verify"]));
    assert!(report.contains("账本完好"), "{report}");

    let kinds = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let store = zhifa_store::Store::open_data_dir(&dir).await.unwrap();
        let mut kinds = std::collections::BTreeSet::new();
        let mut after = 0;
        loop {
            let batch = store.records_after(after, 5000).await.unwrap();
            let Some(last) = batch.last() else { break };
            after = last.id.0;
            kinds.extend(batch.into_iter().map(|r| r.kind));
        }
        kinds.into_iter().collect::<Vec<_>>().join(" ")
    });
    assert_eq!(kinds, FIXTURE_KINDS);

    // It had cases before the dashboard had sums: its warnings' reader
    // counts them from everything, then goes on from there.
    let caught_up = stdout(&zhifa(&["--data", data, "supervise"]));
    assert!(caught_up.starts_with("预警跟进记录："), "{caught_up}");
    let daily = stdout(&zhifa(&["--data", data, "supervise", "--daily", "--rebuild-figures"]));
    assert!(daily.starts_with("统计汇总：重算 ") && daily.contains("预警每日评估："), "{daily}");
    let sources = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let store = zhifa_store::Store::open_data_dir(&dir).await.unwrap();
        (store.figure_source_count().await.unwrap(), store.case_count().await.unwrap())
    });
    assert!(sources.0 >= sources.1 && sources.1 > 0, "{sources:?}");
    let report = stdout(&zhifa(&["--data", data, "verify"]));
    assert!(report.contains("账本完好"), "{report}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The modules of each crate, read as a newcomer would: no two modules of a
/// crate use each other, directly or around a circle, so each crate reads
/// top to bottom. A module's use of its own ancestors (`super::`, the types
/// of `case` in `case::engine`) does not count; comments and tests do not.
#[test]
fn no_import_circle_inside_a_crate() {
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut circles = Vec::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let src = entry.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        let modules = crate_modules(&src, &src);
        let edges: Vec<(String, Vec<String>)> =
            modules.iter().map(|(name, text)| (name.clone(), module_uses(name, text, &modules))).collect();
        circles.extend(circle(&edges).map(|c| format!("{}: {}", src.display(), c.join(" → "))));
    }
    assert!(circles.is_empty(), "modules that use each other: {circles:#?}");
}

/// `(module path, source without comments and tests)` of every file under `dir`.
fn crate_modules(root: &std::path::Path, dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(crate_modules(root, &path));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(root).unwrap().with_extension("");
        let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
            parts.pop();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        let code: Vec<&str> = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect();
        out.push((parts.join("::"), code.join("\n")));
    }
    out
}

/// The modules `name` refers to by `crate::…` or `super::…`, each as the
/// longest module path the reference starts with; its ancestors left out.
fn module_uses(name: &str, text: &str, modules: &[(String, String)]) -> Vec<String> {
    let parent = name.rsplit_once("::").map_or("", |(p, _)| p);
    let is_module = |m: &str| modules.iter().any(|(n, _)| n == m);
    let mut uses = Vec::new();
    for (prefix, base) in [("crate::", String::new()), ("super::", parent.to_owned())] {
        for (at, _) in text.match_indices(prefix) {
            if text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &text[at + prefix.len()..];
            let path: Vec<&str> = rest
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .next()
                .unwrap_or("")
                .split("::")
                .take_while(|p| p.starts_with(|c: char| c.is_ascii_lowercase()))
                .collect();
            let target = (1..=path.len()).rev().map(|k| {
                let tail = path[..k].join("::");
                if base.is_empty() { tail } else { format!("{base}::{tail}") }
            });
            if let Some(t) = target.into_iter().find(|t| is_module(t))
                && t != name
                && !name.starts_with(&format!("{t}::"))
                && !uses.contains(&t)
            {
                uses.push(t);
            }
        }
    }
    uses
}

/// A circle of `edges` (module → modules it uses), if there is one.
fn circle(edges: &[(String, Vec<String>)]) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &[(String, Vec<String>)],
        path: &mut Vec<String>,
        done: &mut std::collections::HashSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut c = path[at..].to_vec();
            c.push(node.to_owned());
            return Some(c);
        }
        if !done.insert(node.to_owned()) {
            return None;
        }
        path.push(node.to_owned());
        let next = edges.iter().find(|(n, _)| n == node).map(|(_, e)| e.as_slice()).unwrap_or(&[]);
        for n in next {
            if let Some(c) = visit(n, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = std::collections::HashSet::new();
    edges.iter().find_map(|(n, _)| visit(n, edges, &mut Vec::new(), &mut done))
}

/// Issue 24, item 11: `zhifa --help` and every subcommand's help are in
/// Chinese, clap's own words too (its headings, flags and notes).
#[test]
fn the_help_of_every_command_is_in_chinese() {
    let commands: &[&[&str]] = &[
        &[],
        &["serve"],
        &["demo"],
        &["supervise"],
        &["inspect"],
        &["verify-package"],
        &["calendar"],
        &["calendar", "deadline"],
        &["case", "package"],
        &["user", "add"],
        &["token", "revoke"],
        &["import"],
        &["report", "annual"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let out = zhifa(&args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let help = String::from_utf8(out.stdout).unwrap();
        for english in [
            "Usage",
            "Options",
            "Commands",
            "Arguments",
            "Print help",
            "Print version",
            "[default",
            "[env",
            "[possible",
        ] {
            assert!(!help.contains(english), "{args:?} says {english}: {help}");
        }
        assert!(help.contains("用法：") && help.contains("选项：") && help.contains("显示帮助"), "{args:?}: {help}");
        // Every option, argument and command says what it is in Chinese, on
        // its line or the next.
        let chinese = |l: &str| l.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        let lines: Vec<&str> = help.lines().collect();
        for (i, line) in lines.iter().enumerate().filter(|(_, l)| l.starts_with("  ") && !l.starts_with("         ")) {
            let next = lines.get(i + 1).copied().unwrap_or("");
            assert!(chinese(line) || chinese(next), "{args:?}: {line}");
        }
    }
    let root = String::from_utf8(zhifa(&["--help"]).stdout).unwrap();
    assert!(root.contains("命令：") && root.contains("显示版本") && root.contains("（默认：./zhifa-data）"), "{root}");
    assert!(root.contains("（可选：sm3、sha256）") && root.contains("（环境变量 ZHIFA_DATABASE_URL）"), "{root}");
}
