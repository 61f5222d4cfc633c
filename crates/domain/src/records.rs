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

#[cfg(test)]
mod tests {
    use super::*;
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
