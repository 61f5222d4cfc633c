//! `verify` of the tables whose rows records make without a `data` column:
//! each row against the newest record of each kind that writes it
//! (issue 25, item 9). A row without its creating record is named too.

use super::verify::{Problem, problem};
use crate::{Result, Service};
use serde_json::Value;
use zhifa_store::{RecordedRow, RecordedTable};

/// The tables, with the columns compared and the record kinds read.
const TABLES: [RecordedTable; 6] = [
    RecordedTable {
        table: "uploads",
        key: "id",
        columns: &[
            "agency_id",
            "user_id",
            "length",
            "meta",
            "case_number",
            "state",
            "content_hash",
            "late",
            "content_type",
            "created_us",
            "completed_us",
        ],
        entity: "upload",
        kinds: &["upload.create", "upload.complete", "upload.terminate"],
    },
    RecordedTable {
        table: "api_tokens",
        key: "id",
        columns: &["user_id", "name", "created_us", "revoked_us", "token_hash"],
        entity: "token",
        kinds: &["token.create", "token.revoke"],
    },
    RecordedTable {
        table: "sessions",
        key: "id",
        columns: &["user_id", "created_us", "expires_us", "session_hash", "csrf_token"],
        entity: "session",
        kinds: &["session.sign_in"],
    },
    // A user's password hash (the rest of the row is the users table's data).
    RecordedTable {
        table: "users",
        key: "id",
        columns: &["password_hash"],
        entity: "user",
        kinds: &["user.create", "user.set_password"],
    },
    RecordedTable {
        table: "login_failures",
        key: "id",
        columns: &["username", "client", "at_us"],
        entity: "session",
        kinds: &["session.sign_in_failed"],
    },
    RecordedTable {
        table: "regions",
        key: "code",
        columns: &["name", "parent_code", "level"],
        entity: "region",
        kinds: &["region.put"],
    },
];

/// Columns that hold a secret: the records keep its SHA-256
/// ([`zhifa_domain::records::secret_fingerprint`]), compared with the
/// column's.
const SECRETS: [&str; 4] = ["password_hash", "token_hash", "session_hash", "csrf_token"];

/// What a record said of a secret column it did not fingerprint (one made
/// before 2026-12-05): the column is left unchecked.
const UNCHECKED: &str = "\u{0}unchecked";

/// The fingerprint of a secret a record names at `key`.
fn secret(record: &Value, key: &str) -> Option<String> {
    match record.get(key) {
        None => Some(UNCHECKED.to_owned()),
        Some(v) => text(Some(v)),
    }
}

/// A record as read: when, and its record data.
type Read = Option<(i64, Value)>;

fn read(record: &Option<(i64, Vec<u8>)>) -> Read {
    let (at, body) = record.as_ref()?;
    let body: Value = serde_json::from_slice(body).ok()?;
    Some((*at, body.get("data").cloned().unwrap_or(Value::Null)))
}

/// A value of the record data as a column holds it, as text.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_owned()),
        other => Some(other.to_string()),
    }
}

/// What the records say each column of `row` of `table` holds; `None` if
/// the creating record is missing.
fn expected(table: &str, key: &str, records: &[Read]) -> Option<Vec<Option<String>>> {
    let (created_at, created) = records.first()?.as_ref()?;
    let us = |at: &i64| Some(at.to_string());
    Some(match table {
        "uploads" => {
            let meta = created.get("meta");
            let (state, ended) = match (&records[1], &records[2]) {
                (_, Some((at, _))) => ("terminated", Some((at, None))),
                (Some((at, data)), None) => ("complete", Some((at, Some(data)))),
                (None, None) => ("open", None),
            };
            let done = ended.and_then(|(_, d)| d);
            vec![
                text(created.get("agency")),
                text(created.get("user")),
                text(created.get("length")),
                meta.map(zhifa_domain::records::canonical_json),
                text(meta.and_then(|m| m.get("case_number"))),
                Some(state.to_owned()),
                text(done.and_then(|d| d.get("content_hash"))),
                Some(text(done.and_then(|d| d.get("late"))).unwrap_or_else(|| "0".into())),
                text(done.and_then(|d| d.get("content_type"))),
                us(created_at),
                ended.and_then(|(at, _)| us(at)),
            ]
        }
        "api_tokens" => vec![
            text(created.get("user")),
            text(created.get("name")),
            us(created_at),
            records[1].as_ref().and_then(|(at, _)| us(at)),
            secret(created, "token_sha256"),
        ],
        "sessions" => {
            let expires = text(created.get("expires_at"))
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .map(|t| t.as_microsecond().to_string());
            let secrets = [secret(created, "session_sha256"), secret(created, "csrf_sha256")];
            [vec![text(created.get("user")), us(created_at), expires], secrets.to_vec()].concat()
        }
        // The newest password: set after the user was made, or made with it.
        "users" => match &records[1] {
            Some((_, set)) => vec![secret(set, "credential_sha256")],
            None => vec![secret(created, "credential_sha256")],
        },
        "login_failures" => {
            vec![text(created.get("username")), Some(text(created.get("client")).unwrap_or_default()), us(created_at)]
        }
        "regions" => {
            let code = zhifa_domain::region::RegionCode::parse(key).ok();
            vec![
                text(created.get("name")),
                code.as_ref().and_then(|c| c.parent()).map(|p| p.to_string()),
                code.map(|c| format!("{:?}", c.level()).to_lowercase()),
            ]
        }
        _ => return None,
    })
}

/// The problems of one row.
fn check(t: &RecordedTable, row: &RecordedRow) -> Vec<Problem> {
    let records: Vec<Read> = row.records.iter().map(read).collect();
    let at = format!("{}={}", t.key, row.key);
    let Some(expected) = expected(t.table, &row.key, &records) else {
        return vec![problem(t.table, at, "没有创建该行的记录")];
    };
    let mut out = Vec::new();
    for ((column, found), want) in t.columns.iter().zip(&row.values).zip(expected) {
        // An older record that did not name a value (a file's type before
        // 2026-12-05) leaves that column unchecked.
        if *column == "content_type"
            && want.is_none()
            && records[1].as_ref().is_some_and(|(_, d)| d.get("content_type").is_none())
        {
            continue;
        }
        let hidden;
        let found = if SECRETS.contains(column) {
            if want.as_deref() == Some(UNCHECKED) {
                continue;
            }
            hidden = found.as_deref().map(zhifa_domain::records::secret_fingerprint);
            &hidden
        } else {
            found
        };
        if *found != want {
            let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "NULL".into());
            out.push(problem(
                t.table,
                at.clone(),
                format!("“{column}”列为 {}，按记录应为 {}", show(found), show(&want)),
            ));
        }
    }
    out
}

impl Service {
    /// Every row of the tables in [`TABLES`] against its records; the rows read.
    pub(crate) async fn verify_recorded_rows(&self, problems: &mut Vec<Problem>) -> Result<u64> {
        let mut rows = 0;
        for t in TABLES {
            let mut after: Option<String> = None;
            loop {
                let batch = self.store.recorded_rows(t, after.as_deref()).await?;
                let Some(last) = batch.last() else { break };
                after = Some(last.key.clone());
                rows += batch.len() as u64;
                for row in &batch {
                    problems.extend(check(&t, row));
                }
            }
        }
        Ok(rows)
    }
}
