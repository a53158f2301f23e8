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

/// Why the chain breaks at an entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Break {
    /// An entry is missing (or the sequence jumps): the entry found has this number.
    Gap { expected: i64, found: i64 },
    /// The entry does not point to the previous entry's hash.
    PrevHash,
    /// The entry's content does not hash to its stored hash: it was edited.
    Hash,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Gap { expected, found } => write!(
                f,
                "entry {expected} is missing (found {found} after {})",
                expected - 1
            ),
            Break::PrevHash => f.write_str("does not link to the previous entry's hash"),
            Break::Hash => f.write_str("its content does not match its hash (edited)"),
        }
    }
}

/// Recomputes a chain entry by entry, from a trusted starting point (the genesis, or a
/// checkpoint `{seq, hash}` someone saved).
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: i64,
    last_hash: String,
}

impl ChainVerifier {
    /// Starts after entry `seq` whose hash is `hash` (`0` and [`GENESIS_HASH`] for the start).
    pub fn after(seq: i64, hash: &str) -> ChainVerifier {
        ChainVerifier {
            next_seq: seq + 1,
            last_hash: hash.to_string(),
        }
    }

    /// Checks the next entry; on success it becomes the new head.
    pub fn push(
        &mut self,
        facts: &AuditFacts<'_>,
        prev_hash: &str,
        hash: &str,
    ) -> Result<(), Break> {
        if facts.seq != self.next_seq {
            return Err(Break::Gap {
                expected: self.next_seq,
                found: facts.seq,
            });
        }
        if prev_hash != self.last_hash {
            return Err(Break::PrevHash);
        }
        if chain_hash(prev_hash, &canonical_entry(facts)) != hash {
            return Err(Break::Hash);
        }
        self.next_seq += 1;
        self.last_hash = hash.to_string();
        Ok(())
    }

    /// The sequence number of the last entry accepted.
    pub fn head_seq(&self) -> i64 {
        self.next_seq - 1
    }

    pub fn head_hash(&self) -> &str {
        &self.last_hash
    }
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

    fn facts<'a>(seq: i64, after: &'a Value) -> AuditFacts<'a> {
        AuditFacts {
            seq,
            at: "2026-01-02T03:04:05.000006Z",
            user_id: Some(1),
            actor_id: None,
            action: "update",
            entity_type: "measurement",
            entity_id: "7",
            before: None,
            after: Some(after),
        }
    }

    #[test]
    fn the_verifier_finds_gaps_bad_links_and_edits() {
        let (a, b, c) = (
            json!({"value": 1}),
            json!({"value": 2}),
            json!({"value": 3}),
        );
        let h1 = chain_hash(GENESIS_HASH, &canonical_entry(&facts(1, &a)));
        let h2 = chain_hash(&h1, &canonical_entry(&facts(2, &b)));
        let h3 = chain_hash(&h2, &canonical_entry(&facts(3, &c)));
        let mut v = ChainVerifier::after(0, GENESIS_HASH);
        v.push(&facts(1, &a), GENESIS_HASH, &h1).unwrap();
        v.push(&facts(2, &b), &h1, &h2).unwrap();
        assert_eq!((v.head_seq(), v.head_hash()), (2, h2.as_str()));

        // Entry 2 deleted: 3 arrives after 1.
        let mut gap = ChainVerifier::after(1, &h1);
        assert_eq!(
            gap.push(&facts(3, &c), &h2, &h3),
            Err(Break::Gap {
                expected: 2,
                found: 3
            })
        );
        // Entry 2's value edited in place.
        let edited = json!({"value": 20});
        let mut edit = ChainVerifier::after(1, &h1);
        assert_eq!(edit.push(&facts(2, &edited), &h1, &h2), Err(Break::Hash));
        // Entry 2 rewritten with a fresh hash: entry 3 no longer links to it.
        let forged = chain_hash(&h1, &canonical_entry(&facts(2, &edited)));
        let mut rewrite = ChainVerifier::after(1, &h1);
        rewrite.push(&facts(2, &edited), &h1, &forged).unwrap();
        assert_eq!(rewrite.push(&facts(3, &c), &h2, &h3), Err(Break::PrevHash));
        // From a saved checkpoint.
        let mut from_checkpoint = ChainVerifier::after(2, &h2);
        from_checkpoint.push(&facts(3, &c), &h2, &h3).unwrap();
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
