//! One file per stored entity: its row type and the queries on it. Writes take a
//! [`WriteTx`](super::WriteTx) and record their audit entry themselves.

pub mod actor;
pub mod challenge;
pub mod ecosystem;
pub mod hybrid;
pub mod impact;
pub mod indicator;
pub mod measurement;
pub mod objective;
pub mod setting;
pub mod user;
pub mod variable;
