//! Hash commands: HSET HSETNX HGET HMGET HMSET HGETALL HDEL HEXISTS HLEN
//! HKEYS HVALS HINCRBY HINCRBYFLOAT HSTRLEN HRANDFIELD HSCAN, with Redis
//! 7.0's replies and error texts, over the hash layout
//! (`crate::collections::hash`: a key per field, the count in the meta).
//!
//! | file | what |
//! |---|---|
//! | this one | [`HashOp`] (the parsed arguments) and the rows ([`COMMANDS`]) |
//! | [`parse`] | the `parse_*` functions: arity-independent syntax and integer/float arguments |
//! | [`exec`] | the `exec_*` functions: the commands' semantics over a keyspace view |
//!
//! Fields come back in byte order of the field (the layout's order) where
//! Redis returns its hash table's order; Redis documents that order as
//! unspecified (the `nondeterministic_output_order` tip).

mod exec;
mod parse;
#[cfg(test)]
mod tests;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::def::flag::*;
use super::def::{CommandDef, Exec, Flags};

/// A parsed hash command's arguments. Variants are numbered by position in
/// logged entries (bincode): new ones go at the end.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum HashOp {
    /// HSET key field value [field value ...] (and HMSET, which replies OK).
    Set {
        key: Bytes,
        pairs: Vec<(Bytes, Bytes)>,
    },
    /// HGET key field
    Get { key: Bytes, field: Bytes },
    /// HDEL key field [field ...]
    Del { key: Bytes, fields: Vec<Bytes> },
    /// HLEN key
    Len { key: Bytes },
    /// HGETALL key, HKEYS key, HVALS key (the row picks the reply).
    All { key: Bytes },
}

const HASH_WRITE: &[&str] = &["@write", "@hash", "@fast"];
const HASH_READ_FAST: &[&str] = &["@read", "@hash", "@fast"];
const HASH_READ_SLOW: &[&str] = &["@read", "@hash", "@slow"];

/// This type's rows of the command table (metadata read off redis-server
/// 7.0.15's `COMMAND INFO` and `COMMAND DOCS`).
pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "hset",
        arity: -4,
        flags: Flags(WRITE | DENYOOM | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: HASH_WRITE,
        group: "hash",
        since: "2.0.0",
        summary: "Set the string value of a hash field",
        parse: parse::parse_hset,
        exec: Exec::Write(exec::exec_hset),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "hmset",
        arity: -4,
        flags: Flags(WRITE | DENYOOM | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: HASH_WRITE,
        group: "hash",
        since: "2.0.0",
        summary: "Set multiple hash fields to multiple values",
        parse: parse::parse_hmset,
        exec: Exec::Write(exec::exec_hmset),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "hget",
        arity: 3,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: HASH_READ_FAST,
        group: "hash",
        since: "2.0.0",
        summary: "Get the value of a hash field",
        parse: parse::parse_hget,
        exec: Exec::Read(exec::exec_hget),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "hdel",
        arity: -3,
        flags: Flags(WRITE | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: HASH_WRITE,
        group: "hash",
        since: "2.0.0",
        summary: "Delete one or more hash fields",
        parse: parse::parse_hdel,
        exec: Exec::Write(exec::exec_hdel),
        ..CommandDef::DEFAULT
    },
    // O(1): the count is the meta's.
    CommandDef {
        name: "hlen",
        arity: 2,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: HASH_READ_FAST,
        group: "hash",
        since: "2.0.0",
        summary: "Get the number of fields in a hash",
        parse: parse::parse_hlen,
        exec: Exec::Read(exec::exec_hlen),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "hgetall",
        arity: 2,
        flags: Flags(READONLY),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: HASH_READ_SLOW,
        tips: &["nondeterministic_output_order"],
        group: "hash",
        since: "2.0.0",
        summary: "Get all the fields and values in a hash",
        parse: parse::parse_all,
        exec: Exec::Read(exec::exec_hgetall),
        ..CommandDef::DEFAULT
    },
];
