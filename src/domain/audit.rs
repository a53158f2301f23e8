//! The audit chain's pure part: the canonical form of an entry and its hash.
//!
//! `hash = SHA-256(prev_hash ‖ canonical entry)`, both as lowercase hex / UTF-8 bytes. The
//! canonical entry is JSON with object keys sorted at every level and no insignificant
//! whitespace, so anyone can recompute it from the published entries.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Timestamps in audit entries: UTC, microsecond precision (what both backends store).
pub const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// What one write did, as the chain records it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditFacts<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub user_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub before: Option<&'a Value>,
    pub after: Option<&'a Value>,
}

/// Canonical JSON text of a value (sorted keys, compact).
pub fn canonical_json(value: &Value) -> String {
    write_canonical(value)
}

/// Sorted keys are written here rather than relying on serde_json's map type, which a
/// dependency could switch to insertion order with the `preserve_order` feature.
fn write_canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), write_canonical(&map[k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(write_canonical).collect();
            format!("[{}]", parts.join(","))
        }
        other => other.to_string(),
    }
}

/// The canonical text of an entry: every field but the hashes.
pub fn canonical_entry(f: &AuditFacts<'_>) -> String {
    let entry = serde_json::json!({
        "seq": f.seq,
        "at": f.at,
        "user_id": f.user_id,
        "actor_id": f.actor_id,
        "action": f.action,
        "entity_type": f.entity_type,
        "entity_id": f.entity_id,
        "before": f.before,
        "after": f.after,
    });
    write_canonical(&entry)
}

/// `SHA-256(prev_hash ‖ canonical)` as lowercase hex.
pub fn chain_hash(prev_hash: &str, canonical: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = json!({"b": 1, "a": {"z": [ {"y": 2, "x": 1} ], "c": null}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":null,"z":[{"x":1,"y":2}]},"b":1}"#
        );
    }

    #[test]
    fn the_hash_matches_sha256_of_prev_hash_and_entry() {
        let after = json!({"name": "GORE Moquegua", "id": 1});
        let facts = AuditFacts {
            seq: 1,
            at: "2026-01-02T03:04:05.000006Z",
            user_id: None,
            actor_id: None,
            action: "create",
            entity_type: "actor",
            entity_id: "1",
            before: None,
            after: Some(&after),
        };
        let canonical = canonical_entry(&facts);
        assert_eq!(
            canonical,
            r#"{"action":"create","actor_id":null,"after":{"id":1,"name":"GORE Moquegua"},"at":"2026-01-02T03:04:05.000006Z","before":null,"entity_id":"1","entity_type":"actor","seq":1,"user_id":null}"#
        );
        // Known SHA-256 of the empty string, to pin the hashing itself.
        assert_eq!(
            chain_hash("", ""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let h = chain_hash(GENESIS_HASH, &canonical);
        assert_eq!(h.len(), 64);
        assert_ne!(
            h,
            chain_hash(GENESIS_HASH, &canonical.replace("GORE", "GOBIERNO"))
        );
    }
}
