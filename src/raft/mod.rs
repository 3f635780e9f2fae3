//! Raft's data types: terms, indexes, log entries and what they carry, and
//! the log. The decisions — elections, replication and commit, the
//! ReadIndex fence — live in [`crate::node`], which drives these types.

pub mod log;

pub use log::{ClientSeq, Entry, Index, Log, Payload, ReqId, Term};
