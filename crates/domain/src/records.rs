//! The audit record of a change: who, when, why and what, as canonical bytes.
//!
//! Canonical means: JSON with object keys sorted by their UTF-8 bytes, no
//! insignificant white space, strings escaped as `serde_json` escapes them. The
//! same record always has the same bytes, so its hash can be a ledger leaf.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who made a change: a user, or the system itself (`id` absent, e.g. `demo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorRef {
    pub id: Option<i64>,
    pub username: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordBody {
    /// Format version of the record body.
    pub v: u32,
    pub kind: String,
    pub entity: String,
    pub entity_id: i64,
    pub agency_id: Option<i64>,
    pub actor: ActorRef,
    /// RFC 3339, UTC.
    pub at: String,
    pub reason: String,
    pub data: Value,
}

impl RecordBody {
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        let mut out = Vec::new();
        write_canonical(&value, &mut out);
        out
    }
}

/// `value` in canonical form (as it appears inside a record's bytes).
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    // Only JSON text was written, which is UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_scalar(k, out);
                out.push(b':');
                write_canonical(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        other => write_scalar(other, out),
    }
}

/// A string, number, boolean or null as `serde_json` writes it.
fn write_scalar<T: Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail, and these values always serialize.
    serde_json::to_writer(out, v).ok();
}

/// How a column kept beside a row's `data` follows from that data (as
/// `verify` checks it). Paths are dotted: `party.name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derived {
    /// The string at the path; NULL if absent or null.
    Text(&'static str),
    /// The string at the first of the paths present (`party.id_card` or `party.uscc`).
    FirstText(&'static [&'static str]),
    /// 1 if the value at the path is `true`, else 0.
    Flag(&'static str),
    /// 1 if the path holds a value other than null, else 0.
    Present(&'static str),
    /// The whole number at the path.
    Number(&'static str),
}

impl Derived {
    /// The column's value as text (as `CAST(… AS TEXT)` gives it) that the
    /// canonical JSON object `data` implies; `None` for NULL.
    pub fn expected(self, data: &[u8]) -> Option<String> {
        let at = |path: &str| raw_path(data, path).filter(|v| *v != b"null");
        match self {
            Derived::Text(path) => at(path).and_then(|v| serde_json::from_slice::<String>(v).ok()),
            Derived::FirstText(paths) => {
                paths.iter().find_map(|p| at(p)).and_then(|v| serde_json::from_slice::<String>(v).ok())
            }
            Derived::Flag(path) => Some(if at(path) == Some(b"true") { "1" } else { "0" }.to_owned()),
            Derived::Present(path) => Some(if at(path).is_some() { "1" } else { "0" }.to_owned()),
            Derived::Number(path) => at(path).map(|v| String::from_utf8_lossy(v).into_owned()),
        }
    }
}

impl Derived {
    /// Whether a column holding `found` (as text) agrees with `data`: as
    /// [`Derived::expected`], without copying a string that needs no unescaping.
    pub fn matches(self, data: &[u8], found: Option<&str>) -> bool {
        if let Derived::Text(path) = self {
            let raw = raw_path(data, path).filter(|v| *v != b"null");
            if let (Some(raw), Some(found)) = (raw, found)
                && raw.len() >= 2
                && raw[0] == b'"'
                && !raw.contains(&b'\\')
            {
                return &raw[1..raw.len() - 1] == found.as_bytes();
            }
        }
        self.expected(data).as_deref() == found
    }
}

/// The raw value at a dotted `path` of compact JSON (as canonical JSON is).
pub fn raw_path<'a>(json: &'a [u8], path: &str) -> Option<&'a [u8]> {
    path.split('.').try_fold(json, |obj, key| raw_field(obj, key))
}

/// The raw value of `key` at the top level of the compact JSON object `obj`,
/// found without parsing the other values (keys with escapes never match).
pub fn raw_field<'a>(obj: &'a [u8], key: &str) -> Option<&'a [u8]> {
    if obj.first() != Some(&b'{') {
        return None;
    }
    let mut i = 1;
    while obj.get(i)? != &b'}' {
        let key_end = skip_string(obj, i)?;
        let found = obj.get(i + 1..key_end - 1)? == key.as_bytes();
        if obj.get(key_end)? != &b':' {
            return None;
        }
        let value_end = skip_value(obj, key_end + 1)?;
        if found {
            return obj.get(key_end + 1..value_end);
        }
        match obj.get(value_end)? {
            b',' => i = value_end + 1,
            _ => return None,
        }
    }
    None
}

/// The index after the string starting at `i`.
fn skip_string(s: &[u8], i: usize) -> Option<usize> {
    if s.get(i)? != &b'"' {
        return None;
    }
    let mut j = i + 1;
    loop {
        match s.get(j)? {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
}

/// The index after the value starting at `i`.
fn skip_value(s: &[u8], i: usize) -> Option<usize> {
    match s.get(i)? {
        b'"' => skip_string(s, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match s.get(j)? {
                    b'"' => {
                        j = skip_string(s, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let len = s.get(i..)?.iter().position(|c| matches!(c, b',' | b'}' | b']')).unwrap_or(s.len() - i);
            Some(i + len)
        }
    }
}

/// What a record keeps of a secret it must not hold (a password's hash, a
/// token's, a session's): the lower-case hex SHA-256 of its text, so that
/// `verify` can tell the column was not changed and nobody learns the secret.
pub fn secret_fingerprint(secret: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rec_9_a_secret_is_kept_as_its_sha_256() {
        assert_eq!(
            secret_fingerprint("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "the FIPS 180-2 test vector"
        );
    }

    #[test]
    fn raw_fields_of_canonical_json() {
        let v = serde_json::json!({
            "name": "甲\"乙", "n": 12, "on": true, "none": null,
            "party": { "kind": "organisation", "name": "某公司", "uscc": "91330106MA2H0K1X6Y" },
            "list": [{"name": "x"}, "}"]
        });
        let data = canonical_json(&v).into_bytes();
        assert_eq!(raw_field(&data, "n"), Some(&b"12"[..]));
        assert_eq!(raw_path(&data, "party.name"), Some("\"某公司\"".as_bytes()));
        assert_eq!(raw_field(&data, "missing"), None);
        assert_eq!(Derived::Text("name").expected(&data).as_deref(), Some("甲\"乙"));
        assert_eq!(Derived::Text("none").expected(&data), None);
        assert_eq!(
            Derived::FirstText(&["party.id_card", "party.uscc"]).expected(&data).as_deref(),
            Some("91330106MA2H0K1X6Y")
        );
        assert_eq!(Derived::Flag("on").expected(&data).as_deref(), Some("1"));
        assert_eq!(Derived::Present("none").expected(&data).as_deref(), Some("0"));
        assert_eq!(Derived::Present("list").expected(&data).as_deref(), Some("1"));
        assert_eq!(Derived::Number("n").expected(&data).as_deref(), Some("12"));
        assert!(Derived::Text("party.name").matches(&data, Some("某公司")));
        assert!(!Derived::Text("party.name").matches(&data, Some("某公司x")));
        assert!(Derived::Text("name").matches(&data, Some("甲\"乙")), "with an escape");
        assert!(Derived::Text("none").matches(&data, None));
        assert!(!Derived::Text("name").matches(&data, None));
        // The name inside the list is not the top-level one.
        assert_eq!(raw_path(&data, "list.name"), None);
    }
    use serde_json::json;

    fn body(data: Value) -> RecordBody {
        RecordBody {
            v: 1,
            kind: "item.create".into(),
            entity: "item".into(),
            entity_id: 7,
            agency_id: Some(2),
            actor: ActorRef { id: Some(3), username: "zhang".into() },
            at: "2026-11-22T00:00:00Z".into(),
            reason: "新增".into(),
            data,
        }
    }

    #[test]
    fn keys_are_sorted_at_every_depth() {
        let a = body(json!({ "b": 1, "a": { "z": [ { "y": 1, "x": 2 } ], "c": "中文\"" } }));
        let text = String::from_utf8(a.canonical_bytes()).unwrap();
        assert_eq!(
            text,
            r#"{"actor":{"id":3,"username":"zhang"},"agency_id":2,"at":"2026-11-22T00:00:00Z","data":{"a":{"c":"中文\"","z":[{"x":2,"y":1}]},"b":1},"entity":"item","entity_id":7,"kind":"item.create","reason":"新增","v":1}"#
        );
    }

    #[test]
    fn same_record_same_bytes() {
        let a = body(json!({ "x": 1, "y": 2 }));
        let b = body(json!({ "y": 2, "x": 1 }));
        assert_eq!(a.canonical_bytes(), b.canonical_bytes());
    }
}
