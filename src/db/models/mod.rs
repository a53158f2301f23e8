//! One file per stored entity: its row type and the queries on it. Writes take a
//! [`WriteTx`](super::WriteTx) and record their audit entry themselves.

pub mod actor;
pub mod adjustment;
pub mod challenge;
pub mod commitment;
pub mod ecosystem;
pub mod evidence_file;
pub mod hybrid;
pub mod impact;
pub mod indicator;
pub mod investment;
pub mod measurement;
pub mod notification;
pub mod objective;
pub mod period_lock;
pub mod setting;
pub mod user;
pub mod variable;
pub mod web_session;

/// `(owner, item)` pairs grouped by owner, items in the order given.
fn group_pairs(pairs: Vec<(i64, i64)>) -> std::collections::HashMap<i64, Vec<i64>> {
    let mut grouped: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    for (owner, item) in pairs {
        grouped.entry(owner).or_default().push(item);
    }
    grouped
}
