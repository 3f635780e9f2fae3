//! Raft: terms, votes, the log, replication and commit, and the ReadIndex
//! fence. The decisions live in [`crate::node`], which drives these types.

pub mod log;

pub use log::{Entry, Index, Log, Payload, Session, Term};
