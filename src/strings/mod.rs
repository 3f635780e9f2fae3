//! The Redis string keyspace over raw internal keys.
//!
//! - [`encoding`]: the three ways a string can be stored (current prefixed
//!   format with inline TTL, legacy prefixed payload, bare legacy key) and the
//!   legacy TTL index.
//! - [`chain`]: the read chain, written once over a raw getter, so the same
//!   code serves a fenced read, an MVCC snapshot or a script's write buffer.
//! - [`keyspace`]: the read/write views commands use, and the writes that keep
//!   every encoding in step (SET writes the current format and the TTL index;
//!   DEL tombstones every form).

pub mod chain;
pub mod encoding;
pub mod keyspace;

pub use crate::raw::{ApplyAt, RawGet, RawWrite};
pub use chain::{read_string, ChainRead, Source, StrValue};
pub use keyspace::{KeyInfo, KeyType, KeyspaceRead, KeyspaceWrite, Stored};
