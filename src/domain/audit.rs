//! The audit chain's pure part: the canonical form of an entry, its hash, and the split of
//! every recorded state into a public part and a committed private part.
//!
//! `hash = SHA-256(prev_hash ‖ canonical entry)`, both as lowercase hex / UTF-8 bytes. The
//! canonical entry is JSON with object keys sorted at every level and no insignificant
//! whitespace, so anyone can recompute it from the published entries.
//!
//! Record format 2: the `before` and `after` states of an entry are the entity's *public*
//! state. What must not be public (e-mails, the content of values not approved, digests of
//! secrets) is the state's *private* part: it is kept by the operator and published only as
//! `private_commitment = SHA-256(salt ‖ canonical private JSON)` inside the public state, with
//! a fresh random 32-byte salt (as 64 hex characters) per committed state. Revealing the salt
//! and the private text later proves what was committed, to anyone with `sha256sum`.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The record format written now (format 1 serialised whole rows; it is sealed, see the
/// storage layer's `seal_v1`).
pub const FORMAT: u64 = 2;

/// The key of a public state that holds the commitment to its private part.
pub const PRIVATE_COMMITMENT: &str = "private_commitment";

/// The key of a public state that names its record format.
pub const FORMAT_KEY: &str = "v";

/// One entity's state as an audit entry records it: what anyone may read, and what only the
/// operator keeps (committed to in the public part).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditState {
    pub public: Map<String, Value>,
    /// `None` when the entity has nothing private in this state.
    pub private: Option<Map<String, Value>>,
}

impl AuditState {
    /// A state from its two parts, each an explicit serialisable type (never a whole row).
    pub fn new<P: serde::Serialize, Q: serde::Serialize>(
        public: &P,
        private: Option<&Q>,
    ) -> Result<AuditState, String> {
        let object = |v: Value| match v {
            Value::Object(m) => Ok(m),
            other => Err(format!("an audit state must be a JSON object, not {other}")),
        };
        let mut public = object(serde_json::to_value(public).map_err(|e| e.to_string())?)?;
        if public.contains_key(PRIVATE_COMMITMENT) || public.contains_key(FORMAT_KEY) {
            return Err(format!(
                "'{PRIVATE_COMMITMENT}' and '{FORMAT_KEY}' are reserved in public states"
            ));
        }
        public.insert(FORMAT_KEY.into(), Value::from(FORMAT));
        let private = private
            .map(|p| {
                serde_json::to_value(p)
                    .map_err(|e| e.to_string())
                    .and_then(object)
            })
            .transpose()?
            .filter(|m| !m.is_empty());
        Ok(AuditState { public, private })
    }

    /// The canonical text of the private part, if any.
    pub fn private_canonical(&self) -> Option<String> {
        self.private
            .as_ref()
            .map(|m| canonical_json(&Value::Object(m.clone())))
    }

    /// The public state as published: the public part plus the commitment to the private
    /// part made with `salt` (when there is one).
    pub fn sealed(&self, salt: &str) -> Value {
        let mut public = self.public.clone();
        if let Some(private) = self.private_canonical() {
            public.insert(
                PRIVATE_COMMITMENT.into(),
                Value::String(commitment(salt, &private)),
            );
        }
        Value::Object(public)
    }
}

/// `SHA-256(salt ‖ private)` as lowercase hex, both taken as UTF-8 text.
pub fn commitment(salt: &str, private_canonical: &str) -> String {
    chain_hash(salt, private_canonical)
}

/// Whether a published state's commitment matches a revealed private part: both absent, or
/// `SHA-256(salt ‖ private)` equal to the commitment.
pub fn commitment_holds(sealed: &Value, revealed: Option<(&str, &str)>) -> bool {
    let committed = sealed.get(PRIVATE_COMMITMENT).and_then(Value::as_str);
    match (committed, revealed) {
        (None, None) => true,
        (Some(c), Some((salt, private))) => commitment(salt, private) == c,
        _ => false,
    }
}

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

/// An entry whose states are already canonical texts ([`canonical_json`] of their public
/// parts): what writers hold when they store those texts too.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EntryTexts<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub user_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

/// [`canonical_entry`] written from the states' canonical texts, without building the entry
/// as JSON again: the same text (the keys in their sorted order; a test compares the two).
pub fn canonical_entry_text(e: &EntryTexts<'_>) -> String {
    use std::fmt::Write;
    fn text(s: &str) -> String {
        Value::String(s.to_string()).to_string()
    }
    fn opt_num(n: Option<i64>) -> String {
        n.map_or_else(|| "null".to_string(), |n| n.to_string())
    }
    let mut out = String::with_capacity(
        160 + e.before.map_or(4, str::len)
            + e.after.map_or(4, str::len)
            + e.entity_type.len()
            + e.entity_id.len(),
    );
    // Keys in sorted order: action, actor_id, after, at, before, entity_id, entity_type,
    // seq, user_id.
    let _ = write!(
        out,
        "{{\"action\":{},\"actor_id\":{},\"after\":{},\"at\":{},\"before\":{},\"entity_id\":{},\"entity_type\":{},\"seq\":{},\"user_id\":{}}}",
        text(e.action),
        opt_num(e.actor_id),
        e.after.unwrap_or("null"),
        text(e.at),
        e.before.unwrap_or("null"),
        text(e.entity_id),
        text(e.entity_type),
        e.seq,
        opt_num(e.user_id),
    );
    out
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
    /// A private part kept by the operator does not match the commitment the entry published.
    Commitment,
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
            Break::Commitment => {
                f.write_str("its private part does not match the commitment it published")
            }
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
    fn entry_text_from_canonical_states_is_the_canonical_entry() {
        let before = json!({"b": "x\"y", "a": [1, {"d": null, "c": 2.5}], "v": 2});
        let after = json!({"z": "ñ\u{7}", "a": true});
        for (b, a, user, actor) in [
            (Some(&before), Some(&after), Some(3), None),
            (None, Some(&after), None, Some(-4)),
            (Some(&before), None, Some(i64::MAX), Some(0)),
            (None, None, None, None),
        ] {
            let facts = AuditFacts {
                seq: 42,
                at: "2026-12-03T10:00:00.123456Z",
                user_id: user,
                actor_id: actor,
                action: "update",
                entity_type: "measurement",
                entity_id: "7\"\\",
                before: b,
                after: a,
            };
            let b_text = b.map(canonical_json);
            let a_text = a.map(canonical_json);
            let texts = EntryTexts {
                seq: facts.seq,
                at: facts.at,
                user_id: facts.user_id,
                actor_id: facts.actor_id,
                action: facts.action,
                entity_type: facts.entity_type,
                entity_id: facts.entity_id,
                before: b_text.as_deref(),
                after: a_text.as_deref(),
            };
            assert_eq!(canonical_entry_text(&texts), canonical_entry(&facts));
        }
    }

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

    #[derive(serde::Serialize)]
    struct Public {
        id: i64,
        status: &'static str,
    }
    #[derive(serde::Serialize)]
    struct Private {
        value: f64,
        evidence: &'static str,
    }

    #[test]
    fn a_private_part_is_published_only_as_its_salted_commitment() {
        let state = AuditState::new(
            &Public {
                id: 7,
                status: "submitted",
            },
            Some(&Private {
                value: 17.25,
                evidence: "informe interno",
            }),
        )
        .unwrap();
        let salt = "ab".repeat(32);
        let sealed = state.sealed(&salt);
        let text = canonical_json(&sealed);
        assert!(
            !text.contains("17.25") && !text.contains("informe"),
            "{text}"
        );
        let private = state.private_canonical().unwrap();
        assert_eq!(private, r#"{"evidence":"informe interno","value":17.25}"#);
        // What `sha256sum` computes over the salt followed by the private text.
        let mut h = Sha256::new();
        h.update(format!("{salt}{private}").as_bytes());
        assert_eq!(sealed[PRIVATE_COMMITMENT], hex::encode(h.finalize()));
        assert_eq!(sealed[FORMAT_KEY], 2);
        assert!(commitment_holds(&sealed, Some((&salt, &private))));
        assert!(!commitment_holds(
            &sealed,
            Some((&salt, &private.replace("17.25", "17.5")))
        ));
        assert!(!commitment_holds(
            &sealed,
            Some((&"cd".repeat(32), &private))
        ));
        assert!(!commitment_holds(&sealed, None));
        // Another salt, another commitment: equal private parts cannot be matched up.
        assert_ne!(state.sealed(&"cd".repeat(32)), sealed);
    }

    #[test]
    fn a_state_without_private_content_has_no_commitment() {
        let empty: Map<String, Value> = Map::new();
        let state = AuditState::new(
            &Public {
                id: 1,
                status: "approved",
            },
            Some(&empty),
        )
        .unwrap();
        assert_eq!(state.private, None);
        let sealed = state.sealed("00");
        assert_eq!(sealed.get(PRIVATE_COMMITMENT), None);
        assert!(commitment_holds(&sealed, None));
        // Reserved keys cannot be smuggled into a public part.
        #[derive(serde::Serialize)]
        struct Sneaky {
            private_commitment: &'static str,
        }
        assert!(
            AuditState::new(
                &Sneaky {
                    private_commitment: "x"
                },
                None::<&Private>
            )
            .is_err()
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
