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
    /// HSETNX key field value
    SetNx {
        key: Bytes,
        field: Bytes,
        value: Bytes,
    },
    /// HMGET key field [field ...]
    MGet { key: Bytes, fields: Vec<Bytes> },
    /// HEXISTS key field
    Exists { key: Bytes, field: Bytes },
    /// HSTRLEN key field
    StrLen { key: Bytes, field: Bytes },
    /// HINCRBY key field increment
    IncrBy { key: Bytes, field: Bytes, by: i64 },
    /// HINCRBYFLOAT key field increment; the increment as `f64::to_bits`
    /// (an infinite one is refused when the command runs).
    IncrByFloat {
        key: Bytes,
        field: Bytes,
        by_bits: u64,
    },
    /// HRANDFIELD key [count [WITHVALUES]] (the count's range is checked
    /// when the command runs); `seed` is the accepting node's
    /// draw ([`crate::cmd::ParseCtx::seed`]), so the choice is the same
    /// wherever the command runs.
    RandField {
        key: Bytes,
        count: Option<i64>,
        with_values: bool,
        seed: u64,
    },
    /// HSCAN key cursor [MATCH pattern] [COUNT count]. The options' error,
    /// if any, is kept: Redis reports it only after finding the key.
    Scan {
        key: Bytes,
        cursor: u64,
        options: Result<ScanOptions, ScanOptionError>,
    },
}

/// HSCAN's MATCH and COUNT.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScanOptions {
    /// `None`: no MATCH, or MATCH `*`.
    pub pattern: Option<Bytes>,
    pub count: u64,
}

/// Why HSCAN's options do not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ScanOptionError {
    /// An unknown or unpaired option, or COUNT below 1.
    Syntax,
    /// COUNT is not an integer.
    NotInteger,
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
    CommandDef {
        name: "hsetnx",
        arity: 4,
        flags: Flags(WRITE | DENYOOM | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: HASH_WRITE,
        group: "hash",
        since: "2.0.0",
        summary: "Set the value of a hash field, only if the field does not exist",
        parse: parse::parse_hsetnx,
        exec: Exec::Write(exec::exec_hsetnx),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "hmget",
        arity: -3,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: HASH_READ_FAST,
        group: "hash",
        since: "2.0.0",
        summary: "Get the values of all the given hash fields",
        parse: parse::parse_hmget,
        exec: Exec::Read(exec::exec_hmget),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "hexists",
        arity: 3,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: HASH_READ_FAST,
        group: "hash",
        since: "2.0.0",
        summary: "Determine if a hash field exists",
        parse: parse::parse_hexists,
        exec: Exec::Read(exec::exec_hexists),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "hkeys",
        arity: 2,
        flags: Flags(READONLY),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: HASH_READ_SLOW,
        tips: &["nondeterministic_output_order"],
        group: "hash",
        since: "2.0.0",
        summary: "Get all the fields in a hash",
        parse: parse::parse_all,
        exec: Exec::Read(exec::exec_hkeys),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "hvals",
        arity: 2,
        flags: Flags(READONLY),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: HASH_READ_SLOW,
        tips: &["nondeterministic_output_order"],
        group: "hash",
        since: "2.0.0",
        summary: "Get all the values in a hash",
        parse: parse::parse_all,
        exec: Exec::Read(exec::exec_hvals),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "hincrby",
        arity: 4,
        flags: Flags(WRITE | DENYOOM | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: HASH_WRITE,
        group: "hash",
        since: "2.0.0",
        summary: "Increment the integer value of a hash field by the given number",
        parse: parse::parse_hincrby,
        exec: Exec::Write(exec::exec_hincrby),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "hincrbyfloat",
        arity: 4,
        flags: Flags(WRITE | DENYOOM | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: HASH_WRITE,
        group: "hash",
        since: "2.6.0",
        summary: "Increment the float value of a hash field by the given amount",
        parse: parse::parse_hincrbyfloat,
        exec: Exec::Write(exec::exec_hincrbyfloat),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "hstrlen",
        arity: 3,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: HASH_READ_FAST,
        group: "hash",
        since: "3.2.0",
        summary: "Get the length of the value of a hash field",
        parse: parse::parse_hstrlen,
        exec: Exec::Read(exec::exec_hstrlen),
        ..CommandDef::DEFAULT
    },
    // O(size of the hash) here, for every count: a field is found by its
    // position in one ordered scan (Redis: O(count)).
    CommandDef {
        name: "hrandfield",
        arity: -2,
        flags: Flags(READONLY),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: HASH_READ_SLOW,
        tips: &["nondeterministic_output"],
        group: "hash",
        since: "6.2.0",
        summary: "Get one or multiple random fields from a hash",
        parse: parse::parse_hrandfield,
        exec: Exec::Read(exec::exec_hrandfield),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "hscan",
        arity: -3,
        flags: Flags(READONLY),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: HASH_READ_SLOW,
        tips: &["nondeterministic_output"],
        group: "hash",
        since: "2.8.0",
        summary: "Incrementally iterate hash fields and associated values",
        parse: parse::parse_hscan,
        exec: Exec::Read(exec::exec_hscan),
        ..CommandDef::DEFAULT
    },
];
