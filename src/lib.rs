//! fencekv: a Raft-replicated MVCC key-value store that speaks RESP and runs
//! Lua scripts, built around one read protocol — a script (or read) confirms
//! leadership once with a ReadIndex-style fence, takes its `start_ts` after
//! the fence, and reads from an MVCC snapshot at that timestamp.
//!
//! # Layout
//!
//! | module | owns | pure? |
//! |---|---|---|
//! | [`raft`] | Raft's data types: terms, indexes, log entries, the log | yes |
//! | [`node`] | the stateright `Actor`, one file per concern: elections, replication and commit, the fence, scripts, apply, compaction, expiry | yes |
//! | [`mvcc`] | the versioned store: snapshots, OCC timestamps, GC under read pins | yes |
//! | [`raw`] | raw access to internal keys (the traits every keyspace view is written over) | yes |
//! | [`strings`] | Redis string encodings, the legacy read chain, keyspace views | yes |
//! | [`collections`] | hashes, lists, sets, sorted sets: a meta key and a key per element | yes |
//! | [`cmd`] | keyspace commands: parsing with Redis's errors, semantics over a view | yes |
//! | [`resp`] | RESP2/RESP3 request decoding and reply encoding | yes |
//! | [`rng`] | xorshift64*: timer jitter, random walks, fault schedules | yes |
//! | [`lincheck`] | linearizability of recorded histories: WGL search with memoisation, per key | yes |
//! | [`txncheck`] | strict serializability of list-append transaction histories (Elle): anomalies of reads, dependency cycles | yes |
//! | [`modes`] | the safety mechanisms as named modes, each with its gap | yes |
//! | [`server`] | the runtime: sockets, clocks, the durable log, connections | I/O |
//!
//! Everything that decides is pure and deterministic; only [`server`] touches
//! sockets, clocks and disks. The model checker and the server call the same
//! [`node::Node`] actor methods.

pub mod cmd;
pub mod collections;
pub mod lincheck;
pub mod model;
pub mod modes;
pub mod mvcc;
pub mod node;
pub mod raft;
pub mod raw;
pub mod resp;
pub mod rng;
pub mod script;
pub mod server;
pub mod strings;
pub mod txncheck;
