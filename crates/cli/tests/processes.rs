#![expect(clippy::unwrap_used, reason = "tests fail loudly")]
//! Real `zhifa serve` processes: two on one PostgreSQL database extend one
//! log; one killed with SIGKILL in the middle of appends loses nothing it
//! acknowledged and leaves a log that verifies.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use zhifa_store::testing::{Backend, TestDb, backends, test_signer};

/// The arguments that point a `zhifa` process at the test database and key.
fn db_args(db: &TestDb) -> Vec<String> {
    let key = db.dir.join("ledger-key.pem");
    if !key.exists() {
        std::fs::write(&key, test_signer().to_pkcs8_pem().unwrap()).unwrap();
    }
    let mut args =
        vec!["--data".into(), db.dir.display().to_string(), "--signing-key".into(), key.display().to_string()];
    if db.backend == Backend::Postgres {
        args.extend(["--database-url".into(), db.url()]);
    }
    args
}

fn zhifa(db: &TestDb, args: &[&str]) -> std::process::Output {
    zhifa_with(db, &[], args)
}

/// `zhifa` with extra environment variables.
fn zhifa_with(db: &TestDb, envs: &[(&str, String)], args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zhifa"))
        .args(db_args(db))
        .args(args)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

struct Server {
    child: Child,
    addr: String,
    _stdout: BufReader<ChildStdout>,
}

impl Server {
    /// Start `zhifa serve` on a free port; returns once it listens (it says so).
    fn start(db: &TestDb) -> Server {
        Self::start_with(db, &[])
    }

    fn start_with(db: &TestDb, envs: &[(&str, String)]) -> Server {
        Self::start_logging(db, envs, Stdio::null())
    }

    /// The same, its log (warnings and worse) written to `log`.
    fn start_logging(db: &TestDb, envs: &[(&str, String)], log: impl Into<Stdio>) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_zhifa"))
            .args(db_args(db))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line.split("http://").nth(1).and_then(|r| r.split('/').next()).unwrap_or_else(|| panic!("{line}"));
        Server { addr: addr.to_owned(), child, _stdout: stdout }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// One HTTP/1.1 request; `None` if the connection failed (a killed server).
fn http(addr: &str, method: &str, path: &str, token: &str, body: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Some((status, body))
}

/// One tus request: the status and the response's head (status line and headers).
fn tus_request(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    Some((status, response.split("\r\n\r\n").next().unwrap_or("").to_owned()))
}

fn response_header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| l.split_once(": ").filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()))
}

/// tus `Upload-Metadata`: `key base64(value)` pairs, comma-separated.
fn tus_metadata(pairs: &[(&str, &str)]) -> String {
    use base64::Engine;
    let b = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    pairs.iter().map(|(k, v)| format!("{k} {}", b(v))).collect::<Vec<_>>().join(",")
}

/// A case of the officer's agency (the first its list gives) and the stage it
/// stands at: what an evidence file names.
fn demo_case(addr: &str, officer: &str) -> (String, String) {
    let (status, body) = http(addr, "GET", "/api/v1/cases?limit=1", officer, "").unwrap();
    assert_eq!(status, 200, "{body}");
    let cases: serde_json::Value = serde_json::from_str(&body).unwrap();
    let case = &cases[0];
    (case["number"].as_str().unwrap().to_owned(), case["stage_name"].as_str().unwrap().to_owned())
}

/// Upload 1 MiB files in 256 KiB PATCHes until the server is gone; reports
/// each acknowledged offset `(upload id, offset)` on `acked`.
fn keep_uploading(addr: &str, token: &str, (number, stage): (&str, &str), acked: &mpsc::Sender<(i64, u64)>) {
    let now = jiff::Timestamp::now().to_string();
    let meta = tus_metadata(&[
        ("case_number", number),
        ("step", stage),
        ("captured_at", &now),
        ("place", "测试"),
        ("collector", "王五"),
        ("proves", "崩溃后不丢失"),
    ]);
    let data: Vec<u8> = (0..1u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
    loop {
        let headers = [("Upload-Length", data.len().to_string()), ("Upload-Metadata", meta.clone())];
        let Some((201, head)) = tus_request(addr, "POST", "/api/v1/uploads", token, &headers, b"") else { return };
        let location = response_header(&head, "Location").unwrap().to_owned();
        let id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();
        for offset in (0..data.len()).step_by(256 << 10) {
            let headers =
                [("Upload-Offset", offset.to_string()), ("Content-Type", "application/offset+octet-stream".to_owned())];
            match tus_request(addr, "PATCH", &location, token, &headers, &data[offset..offset + (256 << 10)]) {
                Some((204, head)) => {
                    let at: u64 = response_header(&head, "Upload-Offset").unwrap().parse().unwrap();
                    if acked.send((id, at)).is_err() {
                        return;
                    }
                }
                Some((status, head)) => panic!("{status} {head}"),
                None => return,
            }
        }
    }
}

/// The demo province, and a bearer token of its administrator and an agency of theirs.
fn demo(db: &TestDb) -> (String, i64) {
    let out = zhifa(db, &["demo", "--no-serve"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = zhifa(db, &["token", "create", "--user", "admin"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let server = Server::start(db);
    let (status, body) = http(&server.addr, "GET", "/api/v1/agencies", &token, "").unwrap();
    assert_eq!(status, 200, "{body}");
    let agencies: serde_json::Value = serde_json::from_str(&body).unwrap();
    let agency =
        agencies.as_array().unwrap().iter().find(|a| a["code"] == "hzxh-scjg").unwrap()["id"].as_i64().unwrap();
    (token, agency)
}

fn item(n: usize) -> String {
    format!(
        r#"{{"name":"并发事项{n}","category":"penalty","basis_law":"《中华人民共和国食品安全法》","basis_article":"第一百二十四条","level":"county"}}"#
    )
}

fn verify_is_clean(db: &TestDb) -> String {
    let out = zhifa(db, &["verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "verify failed:\n{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("账本完好"), "{stdout}");
    stdout
}

fn postgres_or_skip() -> bool {
    if backends().contains(&Backend::Postgres) {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "CI must run this test on PostgreSQL");
    eprintln!("skipped: ZHIFA_TEST_DATABASE_URL is not set");
    false
}

#[tokio::test(flavor = "multi_thread")]
async fn two_servers_on_one_postgres_extend_one_log() {
    if !postgres_or_skip() {
        return;
    }
    let db = TestDb::new(Backend::Postgres).await;
    let (token, agency) = demo(&db);
    let before: u64 = db.store.ledger_size().await.unwrap();
    let servers = [Server::start(&db), Server::start(&db)];
    let path = format!("/api/v1/agencies/{agency}/items");
    let created = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let (addr, token, path) = (&servers[t % 2].addr, &token, &path);
                scope.spawn(move || {
                    (0..25)
                        .filter(|n| http(addr, "POST", path, token, &item(t * 100 + n)).is_some_and(|(s, _)| s == 201))
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum::<usize>()
    });
    assert_eq!(created, 200, "every request was acknowledged");
    drop(servers);
    // Besides the requests' commands, each server's warnings evaluation
    // records how far it got (and whatever it found).
    let sql =
        format!("SELECT CAST(COUNT(*) AS TEXT) FROM records WHERE id > {before} AND actor_name = 'system:warnings'");
    let warnings: u64 = zhifa_store::testing::query_text(&db.store, &sql).await.unwrap().parse().unwrap();
    let items = format!("SELECT CAST(COUNT(*) AS TEXT) FROM records WHERE id > {before} AND kind = 'item.create'");
    let after = db.store.ledger_size().await.unwrap();
    assert_eq!(after, before + 200 + warnings, "one leaf per command, no fork");
    assert_eq!(zhifa_store::testing::query_text(&db.store, &items).await.as_deref(), Some("200"));
    let report = verify_is_clean(&db);
    assert!(report.contains(&format!("已校验 {after} 个叶子")), "{report}");
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_appends_loses_nothing_acknowledged() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (token, agency) = demo(&db);
        let server = Server::start(&db);
        let path = format!("/api/v1/agencies/{agency}/items");
        let (acked, acks) = mpsc::channel::<i64>();
        let workers: Vec<_> = (0..4)
            .map(|t| {
                let (addr, token, path, acked) = (server.addr.clone(), token.clone(), path.clone(), acked.clone());
                std::thread::spawn(move || {
                    for n in 0.. {
                        match http(&addr, "POST", &path, &token, &item(t * 100_000 + n)) {
                            Some((201, body)) => {
                                let id =
                                    serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"].as_i64().unwrap();
                                if acked.send(id).is_err() {
                                    return;
                                }
                            }
                            Some((status, body)) => panic!("{status} {body}"),
                            None => return, // the server is gone
                        }
                    }
                })
            })
            .collect();
        drop(acked);
        // An officer uploads evidence meanwhile.
        let officer = String::from_utf8(zhifa(&db, &["token", "create", "--user", "hzxh-scjg-zf1"]).stdout)
            .unwrap()
            .trim()
            .to_owned();
        let (uploaded, uploads) = mpsc::channel::<(i64, u64)>();
        let uploader = {
            let (addr, officer) = (server.addr.clone(), officer.clone());
            let (number, stage) = demo_case(&addr, &officer);
            std::thread::spawn(move || keep_uploading(&addr, &officer, (&number, &stage), &uploaded))
        };
        // Kill the server in the middle of the stream of appends and uploads.
        let first_upload = uploads.recv().unwrap();
        let mut ids: Vec<i64> = acks.iter().take(60).collect();
        let mut server = server;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        ids.extend(acks.iter());
        for w in workers {
            w.join().unwrap();
        }
        uploader.join().unwrap();
        assert!(ids.len() >= 60);
        let mut acked_offsets = std::collections::BTreeMap::new();
        for (id, at) in std::iter::once(first_upload).chain(uploads.iter()) {
            acked_offsets.insert(id, at);
        }

        verify_is_clean(&db);
        let server = Server::start(&db);
        for id in &ids {
            let (status, _) = http(&server.addr, "GET", &format!("/api/v1/items/{id}"), &token, "").unwrap();
            assert_eq!(status, 200, "{backend:?}: acknowledged item {id} is gone");
        }
        // Every acknowledged byte of every upload is still there; complete ones are evidence.
        for (id, at) in &acked_offsets {
            let (status, head) =
                tus_request(&server.addr, "HEAD", &format!("/api/v1/uploads/{id}"), &officer, &[], b"").unwrap();
            assert_eq!(status, 200, "{head}");
            let offset: u64 = response_header(&head, "Upload-Offset").unwrap().parse().unwrap();
            assert!(offset >= *at, "{backend:?}: upload {id} acknowledged {at} bytes, has {offset}");
            if *at == 1 << 20 {
                let (_, body) = http(&server.addr, "GET", &format!("/api/v1/evidence/{id}"), &officer, "").unwrap();
                assert!(body.contains("\"state\":\"complete\""), "{body}");
            }
        }
        drop(server);
        db.remove().await;
    }
}

/// `node_modules` with tus-js-client: `ZHIFA_TUS_NODE_PATH`, or the CI cache.
fn tus_client() -> Option<String> {
    let dir = std::env::var("ZHIFA_TUS_NODE_PATH")
        .ok()
        .or_else(|| std::env::var("HOME").ok().map(|h| format!("{h}/.cache/zhifa-node/node_modules")))?;
    std::path::Path::new(&dir).join("tus-js-client").exists().then_some(dir)
}

/// A file of `size` bytes that are not all alike.
fn write_file(path: &std::path::Path, size: usize) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..size / block.len() {
        for b in block.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b.copy_from_slice(&x.to_le_bytes());
        }
        file.write_all(&block).unwrap();
    }
    file.flush().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gigabyte_uploads_with_a_real_tus_client_interrupted_and_resumed() {
    let Some(node_path) = tus_client() else {
        assert!(std::env::var_os("CI").is_none(), "CI must install tus-js-client (see .ci/run)");
        eprintln!("skipped: tus-js-client is not installed");
        return;
    };
    let db = TestDb::new(Backend::Sqlite).await;
    let (_, _) = demo(&db);
    let out = zhifa(&db, &["token", "create", "--user", "hzxh-scjg-zf1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let file = db.dir.join("video.bin");
    write_file(&file, 1 << 30);
    let server = Server::start(&db);
    let (number, stage) = demo_case(&server.addr, &token);
    let metadata = serde_json::json!({
        "case_number": number, "step": stage, "captured_at": jiff::Timestamp::now().to_string(),
        "place": "杭州市西湖区", "collector": "王五", "proves": "查封扣押全过程", "filename": "video.bin",
        "filetype": "application/octet-stream"
    });
    let out = Command::new("node")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/tus-upload.cjs"))
        .args([format!("http://{}/api/v1/uploads", server.addr), token.clone(), file.display().to_string()])
        .args([metadata.to_string(), "0.4".into()])
        .env("NODE_PATH", &node_path)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{log}");
    assert!(log.contains("interrupted after"), "the upload was interrupted once: {log}");
    let url = String::from_utf8(out.stdout).unwrap();
    let id = url.trim().rsplit('/').next().unwrap();
    let (status, body) = http(&server.addr, "GET", &format!("/api/v1/evidence/{id}"), &token, "").unwrap();
    assert_eq!(status, 200, "{body}");
    let evidence: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(evidence["state"], "complete");
    assert_eq!(evidence["length"], 1u64 << 30);
    // The stored hash is OpenSSL's SM3 of the file.
    let sm3 = Command::new("openssl").args(["dgst", "-sm3", "-r"]).arg(&file).output().unwrap();
    let sm3 = String::from_utf8(sm3.stdout).unwrap();
    assert_eq!(evidence["content_hash"].as_str().unwrap(), sm3.split(' ').next().unwrap());
    drop(server);
    std::fs::remove_file(&file).unwrap();
    verify_is_clean(&db);
    db.remove().await;
}

/// The `NODE_PATH` of playwright-core, with Debian's chromium there; `None`
/// (a skip, refused under `CI`) without them.
fn browser() -> Option<String> {
    let chromium = std::path::Path::new("/usr/bin/chromium").exists();
    let found = tus_client().filter(|p| chromium && std::path::Path::new(p).join("playwright-core").exists());
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI must install chromium and playwright-core (see .ci/run)");
        eprintln!("skipped: chromium or playwright-core is not installed");
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_upload_widget_resumes_in_a_real_browser() {
    let Some(node_path) = browser() else { return };
    let db = TestDb::new(Backend::Sqlite).await;
    let (_, _) = demo(&db);
    let out = zhifa(&db, &["token", "create", "--user", "hzxh-scjg-zf1"]);
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let file = db.dir.join("clip.mp4");
    write_file(&file, 20 << 20);
    let server = Server::start(&db);
    let (number, _) = demo_case(&server.addr, &token);
    let out = Command::new("node")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/upload-widget.cjs"))
        .args([format!("http://{}", server.addr), "hzxh-scjg-zf1".into(), "zhifa-demo-2026".into()])
        .arg(&file)
        .arg(&number)
        .env("NODE_PATH", &node_path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let (status, body) = http(&server.addr, "GET", &format!("/api/v1/evidence/{id}"), &token, "").unwrap();
    assert_eq!(status, 200, "{body}");
    let evidence: serde_json::Value = serde_json::from_str(&body).unwrap();
    let sm3 = Command::new("openssl").args(["dgst", "-sm3", "-r"]).arg(&file).output().unwrap();
    let sm3 = String::from_utf8(sm3.stdout).unwrap();
    assert_eq!(evidence["content_hash"].as_str().unwrap(), sm3.split(' ').next().unwrap());
    assert_eq!(evidence["proves"], "现场存放过期食品");
    drop(server);
    db.remove().await;
}

/// Upload `bytes` whole as evidence through tus, with the client's own `filetype`; the upload's id.
fn upload_as(addr: &str, token: &str, bytes: &[u8], filename: &str, filetype: &str) -> i64 {
    let now = jiff::Timestamp::now().to_string();
    let (number, stage) = demo_case(addr, token);
    let meta = tus_metadata(&[
        ("case_number", &number),
        ("step", &stage),
        ("captured_at", &now),
        ("place", "杭州市西湖区文三路 1 号"),
        ("collector", "王五"),
        ("proves", "现场情况"),
        ("filename", filename),
        ("filetype", filetype),
    ]);
    let headers = [("Upload-Length", bytes.len().to_string()), ("Upload-Metadata", meta)];
    let (status, head) = tus_request(addr, "POST", "/api/v1/uploads", token, &headers, b"").unwrap();
    assert_eq!(status, 201, "{head}");
    let location = response_header(&head, "Location").unwrap().to_owned();
    let headers = [("Upload-Offset", "0".to_owned()), ("Content-Type", "application/offset+octet-stream".to_owned())];
    let (status, head) = tus_request(addr, "PATCH", &location, token, &headers, bytes).unwrap();
    assert_eq!(status, 204, "{head}");
    location.rsplit('/').next().unwrap().parse().unwrap()
}

/// An officer uploads a page with a script and calls it `text/html`; the
/// province's supervisor opens it from a link, framed, and as a PNG polyglot:
/// the script never runs on the platform's origin.
#[tokio::test(flavor = "multi_thread")]
async fn a_script_uploaded_as_evidence_never_runs_in_a_supervisors_browser() {
    let Some(node_path) = browser() else { return };
    let db = TestDb::new(Backend::Sqlite).await;
    let (_, _) = demo(&db);
    let out = zhifa(&db, &["token", "create", "--user", "hzxh-scjg-zf1"]);
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let server = Server::start(&db);
    let base = format!("http://{}", server.addr);
    let page = format!(
        "<!DOCTYPE html><html><body><script>new Image().src = '{base}/pwned-img?' + document.cookie; \
         fetch('{base}/api/v1/me').then(r => r.text()).then(t => fetch('{base}/pwned-fetch?' + encodeURIComponent(t)));\
         </script></body></html>"
    );
    let page_id = upload_as(&server.addr, &token, page.as_bytes(), "证据.html", "text/html");
    let mut polyglot = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    polyglot.extend_from_slice(page.as_bytes());
    let polyglot_id = upload_as(&server.addr, &token, &polyglot, "照片.html", "text/html");
    let video = include_bytes!("../../demo/media/video.webm");
    let video_id = upload_as(&server.addr, &token, video, "录像.webm", "video/webm");
    let audio_id =
        upload_as(&server.addr, &token, include_bytes!("../../demo/media/voice.wav"), "录音.wav", "audio/wav");
    let out = zhifa(&db, &["token", "create", "--user", "zj-jiandu"]);
    let supervisor = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    for id in [page_id, polyglot_id, video_id, audio_id] {
        let path = format!("/api/v1/evidence/{id}/retrieval");
        let (status, body) = http(&server.addr, "POST", &path, &supervisor, r#"{"reason":"案卷评查"}"#).unwrap();
        assert_eq!(status, 204, "{body}");
    }
    let out = Command::new("node")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/evidence-sandbox.cjs"))
        .args([base, "zj-jiandu".into(), "zhifa-demo-2026".into(), page_id.to_string(), polyglot_id.to_string()])
        .args([video_id.to_string(), audio_id.to_string()])
        .env("NODE_PATH", &node_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("no script from evidence ran"), "{stdout}");
    assert!(stdout.contains("video: plays") && stdout.contains("audio: plays"), "{stdout}");
    drop(server);
    db.remove().await;
}

/// `moto_server` (PyPI `moto[server]`, an S3 implementation for tests):
/// `ZHIFA_MOTO_SERVER`, or the CI virtualenv's.
fn moto_server() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("ZHIFA_MOTO_SERVER").map(std::path::PathBuf::from).or_else(|| {
        std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cache/zhifa-py/bin/moto_server"))
    })?;
    path.exists().then_some(path)
}

/// An S3 server of its own, on a free port, with one bucket.
struct S3 {
    child: Child,
    addr: String,
}

impl S3 {
    fn start(program: &std::path::Path, bucket: &str) -> S3 {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // It says when it listens.
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        while !line.contains("Running on") {
            line.clear();
            assert!(stderr.read_line(&mut line).unwrap() > 0, "moto_server stopped");
        }
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        let s3 = S3 { child, addr: format!("127.0.0.1:{port}") };
        assert_eq!(s3.request("PUT", &format!("/{bucket}"), b"").0, 200);
        s3
    }

    /// The environment that points `zhifa` at this server.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT", format!("http://{}", self.addr)),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", "us-east-1".into()),
        ]
    }

    /// An unsigned request (moto does not check signatures): status and body.
    fn request(&self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        raw_request(&self.addr, method, path, &[], body)
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// One HTTP/1.1 request with a binary body; status and body.
fn raw_request(addr: &str, method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = response[split + 4..].to_vec();
    if response_header(&head, "Transfer-Encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 2 + size + 2..];
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn evidence_kept_in_s3_compatible_storage_streams_back_and_verifies() {
    let Some(moto) = moto_server() else {
        assert!(std::env::var_os("CI").is_none(), "CI must install moto[server] (see .ci/run)");
        eprintln!("skipped: moto_server is not installed");
        return;
    };
    let s3 = S3::start(&moto, "zhifa-test");
    let mut env = s3.env();
    env.push(("ZHIFA_EVIDENCE_STORE", "s3://zhifa-test/evidence".into()));
    let db = TestDb::new(Backend::Sqlite).await;
    // The demo's recordings and archive packages go to the object store too.
    let out = zhifa_with(&db, &env, &["demo", "--no-serve"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = zhifa(&db, &["token", "create", "--user", "hzxh-scjg-zf1"]);
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let files = |out: &std::process::Output| -> usize {
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
        let before = stdout.split(" 个音像文件").next().unwrap_or_default();
        before
            .rsplit(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{stdout}"))
    };
    let demo_files = files(&zhifa_with(&db, &env, &["verify"]));
    assert!(demo_files > 0, "the demo's recordings are in the bucket");
    let server = Server::start_with(&db, &env);

    // 20 MiB (three parts of the multipart upload) in two PATCHes.
    let file = db.dir.join("clip.bin");
    write_file(&file, 20 << 20);
    let data = std::fs::read(&file).unwrap();
    use base64::Engine;
    let b = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let (number, stage) = demo_case(&server.addr, &token);
    let meta = format!(
        "case_number {},step {},captured_at {},place {},collector {},proves {}",
        b(&number),
        b(&stage),
        b(&jiff::Timestamp::now().to_string()),
        b("杭州市西湖区"),
        b("王五"),
        b("对象存储")
    );
    let headers = [("Upload-Length", data.len().to_string()), ("Upload-Metadata", meta)];
    let (status, head) = tus_request(&server.addr, "POST", "/api/v1/uploads", &token, &headers, b"").unwrap();
    assert_eq!(status, 201, "{head}");
    let location = response_header(&head, "Location").unwrap().to_owned();
    let id = location.rsplit('/').next().unwrap().to_owned();
    for (offset, part) in [(0, &data[..12 << 20]), (12 << 20, &data[12 << 20..])] {
        let headers =
            [("Upload-Offset", offset.to_string()), ("Content-Type", "application/offset+octet-stream".to_owned())];
        let (status, head) = tus_request(&server.addr, "PATCH", &location, &token, &headers, part).unwrap();
        assert_eq!(status, 204, "{head}");
    }
    let (_, body) = http(&server.addr, "GET", &format!("/api/v1/evidence/{id}"), &token, "").unwrap();
    let evidence: serde_json::Value = serde_json::from_str(&body).unwrap();
    let hex = evidence["content_hash"].as_str().unwrap().to_owned();
    assert_eq!(hex, zhifa_ledger::hex(&zhifa_ledger::HashAlg::Sm3.digest(&[&data])));

    // The object holds the file; nothing of it stays on the local disk.
    let key = format!("/zhifa-test/evidence/sm3/{}/{hex}", &hex[..2]);
    let (status, object) = s3.request("GET", &key, b"");
    assert_eq!(status, 200);
    assert!(object == data, "the object is the file");
    assert!(!db.dir.join(format!("evidence/uploads/{id}.part")).exists());
    assert!(!db.dir.join("evidence/sm3").exists());
    // And it streams back through zhifa.
    let auth = [("Authorization", format!("Bearer {token}"))];
    let (status, streamed) = raw_request(&server.addr, "GET", &format!("/api/v1/evidence/{id}/file"), &auth, b"");
    assert_eq!(status, 200);
    assert!(streamed == data, "the streamed file is the file");
    drop(server);

    assert_eq!(
        files(&zhifa_with(&db, &env, &["verify"])),
        demo_files + 1,
        "the upload is hashed again from the bucket"
    );

    // One byte changed in the bucket, behind the program's back.
    let mut changed = data.clone();
    changed[5 << 20] ^= 1;
    assert_eq!(s3.request("PUT", &key, &changed).0, 200);
    let out = zhifa_with(&db, &env, &["verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("uploads id={id}")) && stdout.contains("s3://zhifa-test/evidence/sm3/"),
        "{stdout}"
    );
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_portal_in_a_real_browser_with_screenshots() {
    let Some(node_path) = browser() else { return };
    let db = TestDb::new(Backend::Sqlite).await;
    let (_, _) = demo(&db);
    let server = Server::start(&db);
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("portal-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/portal-screenshots.cjs"))
        .arg(format!("http://{}", server.addr))
        .arg(&shots)
        .env("NODE_PATH", &node_path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "no request left the server: {}", String::from_utf8_lossy(&out.stderr));
    let listed = String::from_utf8(out.stdout).unwrap();
    for name in ["home", "agency", "search", "decision", "annual-report", "search-lists", "home-phone"] {
        let file = shots.join(format!("{name}.png"));
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{name}: {e}; {listed}"));
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000, "{name}: {} bytes", bytes.len());
    }
    eprintln!("screenshots in {}", shots.display());
    drop(server);
    db.remove().await;
}

/// The supervisors' pages in Chromium (SUP-1, REC-8): the demo's city
/// supervisor sees the open warnings on the console home, the list, a
/// warning returned to its agency with every handling step, the retrieval
/// log and last quarter's online inspection (SUP-2) with a report of
/// findings; screenshots at 1280 and 390 px.
#[tokio::test(flavor = "multi_thread")]
async fn the_supervisors_pages_in_a_real_browser_with_screenshots() {
    let Some(node_path) = browser() else { return };
    let db = TestDb::new(Backend::Sqlite).await;
    let (_, _) = demo(&db);
    let server = Server::start(&db);
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("supervision-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/supervision-screenshots.cjs"))
        .args([format!("http://{}", server.addr), "hz-sfj-jiandu".into(), "zhifa-demo-2026".into()])
        .arg(&shots)
        .env("NODE_PATH", &node_path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    for name in
        ["supervisor-home", "dashboard-agency", "warnings", "warning", "retrievals", "inspections", "inspection"]
    {
        for file in [format!("{name}.png"), format!("{name}-phone.png")] {
            let bytes = std::fs::read(shots.join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000, "{file}: {} bytes", bytes.len());
        }
    }
    eprintln!("screenshots in {}", shots.display());
    drop(server);
    db.remove().await;
}

/// The console's lists in Chromium: every list of an agency opens from its
/// page; one exported with the page's link and imported with its form comes
/// back doubled; screenshots at 1280 and 390 px.
#[tokio::test(flavor = "multi_thread")]
async fn the_console_lists_in_a_real_browser_export_and_import() {
    let Some(node_path) = browser() else { return };
    let db = TestDb::new(Backend::Sqlite).await;
    let (_, _) = demo(&db);
    let server = Server::start(&db);
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-lists");
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/console-lists.cjs"))
        .args([format!("http://{}", server.addr), "hzxh-scjg-fzr".into(), "zhifa-demo-2026".into()])
        .arg("discretion-benchmarks")
        .arg(&shots)
        .env("NODE_PATH", &node_path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let notice = String::from_utf8(out.stdout).unwrap();
    assert!(notice.starts_with("已导入 "), "{notice}");
    for name in ["discretion-benchmarks", "discretion-benchmarks-phone"] {
        let bytes = std::fs::read(shots.join(format!("{name}.png"))).unwrap();
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000, "{name}: {} bytes", bytes.len());
    }
    eprintln!("screenshots in {}", shots.display());
    drop(server);
    db.remove().await;
}

/// An .xlsx of the minimal parts whose first sheet's `<sheetData>` is the
/// header row, then `body` written `times` times (deflated as it streams).
fn workbook_bomb(body: &[u8], times: usize) -> Vec<u8> {
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rels = "http://schemas.openxmlformats.org/package/2006/relationships";
    let office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned(),
        ),
        (
            "_rels/.rels",
            format!(r#"<Relationships xmlns="{rels}"><Relationship Id="rId1" Type="{office}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
        ),
        (
            "xl/workbook.xml",
            format!(r#"<workbook xmlns="{main}" xmlns:r="{office}"><sheets><sheet name="清单" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(r#"<Relationships xmlns="{rels}"><Relationship Id="rId1" Type="{office}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#),
        ),
    ];
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .large_file(true);
    for (name, text) in parts {
        z.start_file(name, options).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    // The item list's header, so that reading goes on past it.
    let header: String = ["事项名称", "执法类别", "法律依据", "条款", "行使层级"]
        .iter()
        .zip('A'..)
        .map(|(label, column)| format!(r#"<c r="{column}1" t="inlineStr"><is><t>{label}</t></is></c>"#))
        .collect();
    z.write_all(format!(r#"<worksheet xmlns="{main}"><sheetData><row r="1">{header}</row>"#).as_bytes()).unwrap();
    for _ in 0..times {
        z.write_all(body).unwrap();
    }
    z.write_all(b"</sheetData></worksheet>").unwrap();
    z.finish().unwrap().into_inner()
}

/// The peak resident memory of process `pid`, in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// Issue 23: a workbook that unpacks to hundreds of MiB, one whose used
/// range is a whole sheet, and one of too many rows are each refused in
/// under a second with a Chinese 400 naming the limit; two at once leave
/// `/healthz` answering; the server's peak memory grows by at most 64 MiB.
#[tokio::test(flavor = "multi_thread")]
async fn workbook_bombs_are_refused_quickly_within_bounded_memory() {
    let db = TestDb::new(Backend::Sqlite).await;
    let (token, agency) = demo(&db);
    let server = Server::start(&db);
    let addr = server.addr.clone();
    let path = format!("/api/v1/agencies/{agency}/items.xlsx");
    let headers = [("Authorization", format!("Bearer {token}"))];
    let post = |bytes: &[u8]| {
        let started = std::time::Instant::now();
        let (status, body) = raw_request(&addr, "POST", &path, &headers, bytes);
        (status, String::from_utf8_lossy(&body).into_owned(), started.elapsed())
    };
    // Warm up: the route and a workbook read (a header alone: nothing to import).
    let (status, body, _) = post(&workbook_bomb(b"", 0));
    assert_eq!((status, body.as_str()), (200, r#"{"created":0}"#));

    let spaces = workbook_bomb(&[b' '; 1 << 20], 600);
    assert!(spaces.len() < 2 << 20, "a bomb of {} bytes", spaces.len());
    let far = workbook_bomb(br#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>"#, 1);
    let rows: Vec<u8> = (2..200_000)
        .flat_map(|r| format!(r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>x</t></is></c></row>"#).into_bytes())
        .collect();
    let many = workbook_bomb(&rows, 1);
    let before = peak_rss(server.child.id());
    for (name, bomb, limit) in [("spaces", &spaces, "16 MiB"), ("far", &far, "20000 行"), ("rows", &many, "20000 行")]
    {
        let (status, body, took) = post(bomb);
        assert_eq!(status, 400, "{name}: {body}");
        assert!(body.contains("import_failed") && body.contains(limit), "{name}: {body}");
        assert!(took < std::time::Duration::from_secs(1), "{name} took {took:?}");
        eprintln!("{name} ({} bytes): {status} in {took:?}", bomb.len());
    }
    // Two at once, while a health check is asked.
    std::thread::scope(|s| {
        let bombs: Vec<_> = (0..2).map(|_| s.spawn(|| post(&spaces))).collect();
        let started = std::time::Instant::now();
        let (status, _) = http(&addr, "GET", "/healthz", "", "").unwrap();
        assert_eq!(status, 200);
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "/healthz took {:?}", started.elapsed());
        eprintln!("/healthz meanwhile: {:?}", started.elapsed());
        for b in bombs {
            let (status, body, took) = b.join().unwrap();
            assert_eq!(status, 400, "{body}");
            assert!(took < std::time::Duration::from_secs(2), "two at once took {took:?}");
            eprintln!("spaces, two at once: {status} in {took:?}");
        }
    });
    let grown = peak_rss(server.child.id()).saturating_sub(before);
    eprintln!("peak RSS grew by {} KiB", grown >> 10);
    assert!(grown <= 64 << 20, "peak RSS grew by {} MiB", grown >> 20);
    drop(server);
    db.remove().await;
}

/// ASVS 16.3: a real server, logging warnings only, writes every failed
/// sign-in and every refused authorization with the request's id, which the
/// answer carries as `x-request-id`.
#[tokio::test(flavor = "multi_thread")]
async fn failed_sign_ins_and_refusals_are_logged_with_the_request_id() {
    let db = TestDb::new(Backend::Sqlite).await;
    let (_, agency) = demo(&db);
    let out = zhifa(&db, &["token", "create", "--user", "hzxh-scjg-zf1"]);
    let officer = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let log_path = db.dir.join("server.log");
    let server = Server::start_logging(&db, &[], std::fs::File::create(&log_path).unwrap());
    let id_of = |head: &str| response_header(head, "x-request-id").unwrap().to_owned();
    let exchange = |request: String| {
        let mut stream = TcpStream::connect(&server.addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response.split("\r\n\r\n").next().unwrap().to_owned()
    };
    let host = &server.addr;
    // A wrong password through the console's form (with its double-submit token).
    let form = exchange(format!("GET /console/login HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"));
    let cookie = response_header(&form, "set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let csrf = cookie.split_once('=').unwrap().1;
    let body = format!("csrf_token={csrf}&username=hzxh-scjg-zf1&password=wrong+password");
    let failed = exchange(format!(
        "POST /console/login HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    assert!(failed.starts_with("HTTP/1.1 401"), "{failed}");
    // An officer may not edit the agency's lists.
    let body = item(1);
    let refused = exchange(format!(
        "POST /api/v1/agencies/{agency}/items HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {officer}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    drop(server);
    let log = std::fs::read_to_string(&log_path).unwrap();
    let line_of = |id: &str, words: &str| log.lines().any(|l| l.contains(id) && l.contains(words));
    let (failed, refused) = (id_of(&failed), id_of(&refused));
    assert_ne!(failed, refused);
    assert!(line_of(&failed, "sign-in failed") && line_of(&failed, "hzxh-scjg-zf1"), "{failed}: {log}");
    assert!(line_of(&refused, "authorization refused"), "{refused}: {log}");
    db.remove().await;
}

/// Issue 23: a backup taken while a server writes restores into an empty
/// data directory that verifies whole and holds every write acknowledged
/// before the backup began.
#[tokio::test(flavor = "multi_thread")]
async fn a_backup_taken_while_writing_restores_and_verifies() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let db = TestDb::new(Backend::Sqlite).await;
    let (token, agency) = demo(&db);
    let server = Server::start(&db);
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (addr, acked, stop, token) = (server.addr.clone(), acked.clone(), stop.clone(), token.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let path = format!("/api/v1/agencies/{agency}/items");
                match http(&addr, "POST", &path, &token, &item(n)) {
                    Some((201, _)) => acked.lock().unwrap().push(format!("并发事项{n}")),
                    other => panic!("{other:?}"),
                }
            }
        })
    };
    let wait_for = |count: usize| {
        while acked.lock().unwrap().len() < count {
            std::thread::yield_now();
        }
    };
    wait_for(20);
    let before: Vec<String> = acked.lock().unwrap().clone();
    let to = db.dir.join("backup");
    let out = zhifa(&db, &["backup", "--to", to.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("备份完成"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("私钥"), "the key in the backup is warned about");
    let during = acked.lock().unwrap().len();
    wait_for(during + 5);
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    drop(server);
    let again = zhifa(&db, &["backup", "--to", to.to_str().unwrap()]);
    assert!(!again.status.success(), "a backup never writes over another");

    // Restore into an empty data directory: it verifies, and holds every
    // write acknowledged before the backup began.
    let restored = db.dir.join("restored");
    let restore = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_zhifa")).arg("--data").arg(&restored).args(args).output().unwrap()
    };
    let out = restore(&["restore", "--from", to.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = restore(&["restore", "--from", to.to_str().unwrap()]);
    assert!(!out.status.success(), "only into an empty data directory");
    let out = restore(&["verify"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && report.contains("账本完好"), "{report}{}", String::from_utf8_lossy(&out.stderr));
    let store = zhifa_store::Store::open_data_dir(&restored).await.unwrap();
    let items: std::collections::HashSet<String> = store
        .entries::<zhifa_domain::registry::Items>(zhifa_domain::ids::AgencyId(agency))
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.data.name.to_string())
        .collect();
    let lost: Vec<&String> = before.iter().filter(|n| !items.contains(*n)).collect();
    assert!(lost.is_empty(), "acknowledged before the backup, missing after restoring: {lost:?}");
    eprintln!("{} writes acknowledged before the backup, {} in it", before.len(), items.len());
    store.close().await;
    db.remove().await;
}
