//! The command table: one row per command fencekv knows, with the metadata
//! Redis 7.0's `COMMAND` reports (arity, flags, key positions, ACL
//! categories, tips), the bits of `COMMAND DOCS` clients ask for (summary,
//! since, group), its parser and its executor ([`CommandDef`]); the name
//! lookup and [`CommandRef`], the row a parsed [`Command`] carries; and the
//! `COMMAND` replies, which walk the same rows.
//!
//! The metadata of Redis commands was read off a real redis-server 7.0.15
//! (`COMMAND INFO` and `COMMAND DOCS`), so arities and flags are Redis's own;
//! the `FENCEKV.*` debug commands are fencekv's and only exist when the node
//! runs with debug commands enabled.
//!
//! Adding a command: a variant of [`Op`](super::Op) for its parsed
//! arguments (for a collection type, of its own enum: `HashOp`, `ListOp`,
//! `SetOp`, `ZSetOp`), a row, and its `parse_*` and `exec_*` functions
//! beside its semantics (in `strings.rs`, `keys.rs`, …). The string, key,
//! expiry, script and debug rows are [`COMMANDS`] here; each collection
//! type's rows are its own file's `COMMANDS`, and [`rows`] walks them all.
//! Nothing else names a command: dispatch, routing, `COMMAND` and the script
//! checks read the row, and the tests below walk every row.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::def::flag::*;
use super::def::{CommandDef, Exec, Flags};
use super::error::ParseError;
use super::{
    bits, blocking, debug, expire, functions, hash, keys, list, multi, scripting, set, strings,
    zset, Command, ParseCtx,
};
use crate::resp::Reply;

/// A row of the table, as a parsed command carries it. Compared, hashed and
/// serialized by name (names are unique); deserializing looks the name up
/// among the rows that parse into commands, debug ones included.
#[derive(Clone, Copy)]
pub struct CommandRef(pub &'static CommandDef);

impl std::ops::Deref for CommandRef {
    type Target = CommandDef;
    fn deref(&self) -> &CommandDef {
        self.0
    }
}

impl CommandRef {
    /// Parse a request for this row: a connection row is unknown here, then
    /// the arity, then the row's own parser.
    pub fn parse_args(self, args: &[Bytes], ctx: &ParseCtx) -> Result<Command, ParseError> {
        if self.is_connection() {
            return Err(ParseError::Unknown);
        }
        if !self.arity_ok(args.len()) {
            return Err(ParseError::WrongArity(self.name));
        }
        let op = (self.parse)(args, ctx)?;
        Ok(Command { def: self, op })
    }
}

impl std::fmt::Debug for CommandRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name)
    }
}

impl PartialEq for CommandRef {
    fn eq(&self, other: &Self) -> bool {
        self.0.name == other.0.name
    }
}

impl Eq for CommandRef {}

impl PartialOrd for CommandRef {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CommandRef {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.name.cmp(other.0.name)
    }
}

impl Hash for CommandRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.name.hash(state);
    }
}

impl Serialize for CommandRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name)
    }
}

impl<'de> Deserialize<'de> for CommandRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        lookup_with(name.as_bytes(), true)
            .filter(|def| !def.is_connection())
            .ok_or_else(|| serde::de::Error::custom(format!("unknown command {name:?}")))
    }
}

/// The command named `name` (any case), debug commands excluded.
pub fn lookup(name: &[u8]) -> Option<CommandRef> {
    lookup_with(name, false)
}

/// The command named `name` (any case); debug commands only if enabled.
/// A binary search over the names, compared lowercased byte by byte: no
/// allocation on the request path.
pub fn lookup_with(name: &[u8], debug_commands: bool) -> Option<CommandRef> {
    let index = by_name();
    let cmp = |def: &&'static CommandDef| -> Ordering {
        def.name
            .bytes()
            .cmp(name.iter().map(u8::to_ascii_lowercase))
    };
    let i = index.binary_search_by(cmp).ok()?;
    let def = index[i];
    (debug_commands || !def.debug).then_some(CommandRef(def))
}

/// The rows sorted by name, built once.
fn by_name() -> &'static [&'static CommandDef] {
    static INDEX: OnceLock<Vec<&'static CommandDef>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut v: Vec<&'static CommandDef> = rows().collect();
        v.sort_by_key(|d| d.name);
        v
    })
}

/// The row of a command fencekv's own code builds (the model's clients,
/// tests); `name` is a row of the table, which a test checks for each.
pub(super) fn row(name: &'static str) -> CommandRef {
    match lookup_with(name.as_bytes(), true) {
        Some(def) => def,
        None => unreachable!("{name} is a row of the command table"),
    }
}

/// Every row, debug ones included: this file's, then each collection
/// type's.
pub fn rows() -> impl Iterator<Item = &'static CommandDef> {
    [
        COMMANDS,
        hash::COMMANDS,
        list::COMMANDS,
        set::COMMANDS,
        zset::COMMANDS,
        blocking::COMMANDS,
    ]
    .into_iter()
    .flatten()
}

/// Every known command, in table order.
pub fn all(debug_commands: bool) -> impl Iterator<Item = &'static CommandDef> {
    rows().filter(move |c| debug_commands || !c.debug)
}

/// `COMMAND COUNT`.
pub fn command_count(debug_commands: bool) -> Reply {
    Reply::Integer(all(debug_commands).count() as i64)
}

/// `COMMAND` with no arguments: the info of every command.
pub fn command_all(debug_commands: bool) -> Reply {
    Reply::Array(all(debug_commands).map(CommandDef::info).collect())
}

/// `COMMAND INFO name...`: one entry per name, nil for an unknown name
/// (Redis replies a nil bulk there). With no names, every command.
pub fn command_info(names: &[Bytes], debug_commands: bool) -> Reply {
    if names.is_empty() {
        return command_all(debug_commands);
    }
    Reply::Array(
        names
            .iter()
            .map(|n| lookup_with(n, debug_commands).map_or(Reply::Nil, |c| c.info()))
            .collect(),
    )
}

/// `COMMAND DOCS [name...]`: a map of name to its docs; unknown names are
/// left out, as Redis does. With no names, every command.
pub fn command_docs(names: &[Bytes], debug_commands: bool) -> Reply {
    let entry = |c: &CommandDef| (Reply::bulk(c.name), c.docs());
    if names.is_empty() {
        return Reply::Map(all(debug_commands).map(entry).collect());
    }
    Reply::Map(
        names
            .iter()
            .filter_map(|n| lookup_with(n, debug_commands))
            .map(|c| entry(&c))
            .collect(),
    )
}

/// Commands Redis 7.0 marks `noscript` that fencekv does not implement: a
/// script naming one is told "not allowed", as by Redis, not "unknown".
/// A command that becomes a row leaves this list (a test checks).
pub static NOSCRIPT_NOT_IMPLEMENTED: &[&str] = &[
    "subscribe",
    "psubscribe",
    "ssubscribe",
    "unsubscribe",
    "punsubscribe",
    "sunsubscribe",
    "monitor",
    "sync",
    "psync",
    "bgsave",
];

/// The table, in `COMMAND`'s reply order. Redis entries: from redis-server 7.0.15.
pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "get",
        arity: 2,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@string", "@fast"],
        group: "string",
        since: "1.0.0",
        summary: "Get the value of a key",
        parse: strings::parse_get,
        exec: Exec::Read(strings::exec_get),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "set",
        arity: -3,
        flags: Flags(WRITE | DENYOOM),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@slow"],
        group: "string",
        since: "1.0.0",
        summary: "Set the string value of a key",
        parse: strings::parse_set,
        exec: Exec::Write(strings::exec_set),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "setnx",
        arity: 3,
        flags: Flags(WRITE | DENYOOM | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "1.0.0",
        summary: "Set the value of a key, only if the key does not exist",
        parse: strings::parse_setnx,
        exec: Exec::Write(strings::exec_setnx),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "setex",
        arity: 4,
        flags: Flags(WRITE | DENYOOM),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@slow"],
        group: "string",
        since: "2.0.0",
        summary: "Set the value and expiration of a key",
        parse: strings::parse_setex,
        exec: Exec::Write(strings::exec_set),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "psetex",
        arity: 4,
        flags: Flags(WRITE | DENYOOM),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@slow"],
        group: "string",
        since: "2.6.0",
        summary: "Set the value and expiration in milliseconds of a key",
        parse: strings::parse_psetex,
        exec: Exec::Write(strings::exec_set),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "getset",
        arity: 3,
        flags: Flags(WRITE | DENYOOM | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "1.0.0",
        summary: "Set the string value of a key and return its old value",
        parse: strings::parse_getset,
        exec: Exec::Write(strings::exec_set),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "getdel",
        arity: 2,
        flags: Flags(WRITE | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "6.2.0",
        summary: "Get the value of a key and delete the key",
        parse: strings::parse_getdel,
        exec: Exec::Write(strings::exec_getdel),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "getex",
        arity: -2,
        flags: Flags(WRITE | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "6.2.0",
        summary: "Get the value of a key and optionally set its expiration",
        parse: strings::parse_getex,
        exec: strings::EXEC_GETEX,
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "mget",
        arity: -2,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@read", "@string", "@fast"],
        tips: &["request_policy:multi_shard"],
        group: "string",
        since: "1.0.0",
        summary: "Get the values of all the given keys",
        parse: strings::parse_mget,
        exec: Exec::Read(strings::exec_mget),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "mset",
        arity: -3,
        flags: Flags(WRITE | DENYOOM),
        first_key: 1,
        last_key: -1,
        step: 2,
        acl_categories: &["@write", "@string", "@slow"],
        tips: &["request_policy:multi_shard", "response_policy:all_succeeded"],
        group: "string",
        since: "1.0.1",
        summary: "Set multiple keys to multiple values",
        parse: strings::parse_mset,
        exec: Exec::Write(strings::exec_mset),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "msetnx",
        arity: -3,
        flags: Flags(WRITE | DENYOOM),
        first_key: 1,
        last_key: -1,
        step: 2,
        acl_categories: &["@write", "@string", "@slow"],
        tips: &["request_policy:multi_shard", "response_policy:agg_min"],
        group: "string",
        since: "1.0.1",
        summary: "Set multiple keys to multiple values, only if none of the keys exist",
        parse: strings::parse_msetnx,
        exec: Exec::Write(strings::exec_msetnx),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "incr",
        arity: 2,
        flags: Flags(WRITE | DENYOOM | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "1.0.0",
        summary: "Increment the integer value of a key by one",
        parse: strings::parse_incr,
        exec: Exec::Write(strings::exec_incrby),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "decr",
        arity: 2,
        flags: Flags(WRITE | DENYOOM | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "1.0.0",
        summary: "Decrement the integer value of a key by one",
        parse: strings::parse_decr,
        exec: Exec::Write(strings::exec_incrby),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "incrby",
        arity: 3,
        flags: Flags(WRITE | DENYOOM | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "1.0.0",
        summary: "Increment the integer value of a key by the given amount",
        parse: strings::parse_incrby,
        exec: Exec::Write(strings::exec_incrby),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "decrby",
        arity: 3,
        flags: Flags(WRITE | DENYOOM | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "1.0.0",
        summary: "Decrement the integer value of a key by the given number",
        parse: strings::parse_decrby,
        exec: Exec::Write(strings::exec_incrby),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "incrbyfloat",
        arity: 3,
        flags: Flags(WRITE | DENYOOM | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "2.6.0",
        summary: "Increment the float value of a key by the given amount",
        parse: strings::parse_incrbyfloat,
        exec: Exec::Write(strings::exec_incrbyfloat),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "append",
        arity: 3,
        flags: Flags(WRITE | DENYOOM | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "2.0.0",
        summary: "Append a value to a key",
        parse: strings::parse_append,
        exec: Exec::Write(strings::exec_append),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "strlen",
        arity: 2,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@string", "@fast"],
        group: "string",
        since: "2.2.0",
        summary: "Get the length of the value stored in a key",
        parse: strings::parse_strlen,
        exec: Exec::Read(strings::exec_strlen),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "getrange",
        arity: 4,
        flags: Flags(READONLY),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@string", "@slow"],
        group: "string",
        since: "2.4.0",
        summary: "Get a substring of the string stored at a key",
        parse: strings::parse_getrange,
        exec: Exec::Read(strings::exec_getrange),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "substr",
        arity: 4,
        flags: Flags(READONLY),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@string", "@slow"],
        group: "string",
        since: "1.0.0",
        summary: "Get a substring of the string stored at a key",
        parse: strings::parse_getrange,
        exec: Exec::Read(strings::exec_getrange),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "setrange",
        arity: 4,
        flags: Flags(WRITE | DENYOOM),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@slow"],
        group: "string",
        since: "2.2.0",
        summary: "Overwrite part of a string at key starting at the specified offset",
        parse: strings::parse_setrange,
        exec: Exec::Write(strings::exec_setrange),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "lcs",
        arity: -3,
        flags: Flags(READONLY),
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@read", "@string", "@slow"],
        group: "string",
        since: "7.0.0",
        summary: "Find longest common substring",
        parse: strings::parse_lcs,
        exec: Exec::Read(strings::exec_lcs),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "setbit",
        arity: 4,
        flags: Flags(WRITE | DENYOOM),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@bitmap", "@slow"],
        group: "bitmap",
        since: "2.2.0",
        summary: "Sets or clears the bit at offset in the string value stored at key",
        parse: bits::parse_setbit,
        exec: Exec::Write(bits::exec_setbit),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "getbit",
        arity: 3,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@bitmap", "@fast"],
        group: "bitmap",
        since: "2.2.0",
        summary: "Returns the bit value at offset in the string value stored at key",
        parse: bits::parse_getbit,
        exec: Exec::Read(bits::exec_getbit),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "bitcount",
        arity: -2,
        flags: Flags(READONLY),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@bitmap", "@slow"],
        group: "bitmap",
        since: "2.6.0",
        summary: "Count set bits in a string",
        parse: bits::parse_bitcount,
        exec: Exec::Read(bits::exec_bitcount),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "bitpos",
        arity: -3,
        flags: Flags(READONLY),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@bitmap", "@slow"],
        group: "bitmap",
        since: "2.8.7",
        summary: "Find first bit set or clear in a string",
        parse: bits::parse_bitpos,
        exec: Exec::Read(bits::exec_bitpos),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "bitop",
        arity: -4,
        flags: Flags(WRITE | DENYOOM),
        first_key: 2,
        last_key: -1,
        step: 1,
        acl_categories: &["@write", "@bitmap", "@slow"],
        group: "bitmap",
        since: "2.6.0",
        summary: "Perform bitwise operations between strings",
        parse: bits::parse_bitop,
        exec: Exec::Write(bits::exec_bitop),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "bitfield",
        arity: -2,
        flags: Flags(WRITE | DENYOOM),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@bitmap", "@slow"],
        group: "bitmap",
        since: "3.2.0",
        summary: "Perform arbitrary bitfield integer operations on strings",
        parse: bits::parse_bitfield,
        exec: bits::EXEC_BITFIELD,
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "bitfield_ro",
        arity: -2,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@bitmap", "@fast"],
        group: "bitmap",
        since: "6.0.0",
        summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
        parse: bits::parse_bitfield_ro,
        exec: Exec::Read(bits::exec_bitfield_read),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "del",
        arity: -2,
        flags: Flags(WRITE),
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@slow"],
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        group: "generic",
        since: "1.0.0",
        summary: "Delete a key",
        parse: keys::parse_del,
        exec: Exec::Write(keys::exec_del),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "unlink",
        arity: -2,
        flags: Flags(WRITE | FAST),
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        group: "generic",
        since: "4.0.0",
        summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        parse: keys::parse_del,
        exec: Exec::Write(keys::exec_del),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "exists",
        arity: -2,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        group: "generic",
        since: "1.0.0",
        summary: "Determine if a key exists",
        parse: keys::parse_exists,
        exec: Exec::Read(keys::exec_exists),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "touch",
        arity: -2,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        group: "generic",
        since: "3.2.1",
        summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.",
        parse: keys::parse_exists,
        exec: Exec::Read(keys::exec_exists),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "type",
        arity: 2,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        group: "generic",
        since: "1.0.0",
        summary: "Determine the type stored at key",
        parse: keys::parse_type,
        exec: Exec::Read(keys::exec_type),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "rename",
        arity: 3,
        flags: Flags(WRITE),
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@slow"],
        group: "generic",
        since: "1.0.0",
        summary: "Rename a key",
        parse: keys::parse_rename,
        exec: Exec::Write(keys::exec_rename),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "renamenx",
        arity: 3,
        flags: Flags(WRITE | FAST),
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        group: "generic",
        since: "1.0.0",
        summary: "Rename a key, only if the new key does not exist",
        parse: keys::parse_renamenx,
        exec: Exec::Write(keys::exec_rename),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "copy",
        arity: -3,
        flags: Flags(WRITE | DENYOOM),
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@slow"],
        group: "generic",
        since: "6.2.0",
        summary: "Copy a key",
        parse: keys::parse_copy,
        exec: Exec::Write(keys::exec_copy),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "object",
        arity: -2,
        flags: Flags(0),
        subcommand_flags: Flags(READONLY),
        acl_categories: &["@slow"],
        group: "generic",
        since: "2.2.3",
        summary: "A container for object introspection commands",
        parse: keys::parse_object,
        exec: Exec::Read(keys::exec_object),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "memory",
        arity: -2,
        subcommand_flags: Flags(READONLY),
        acl_categories: &["@slow"],
        group: "server",
        since: "4.0.0",
        summary: "A container for memory diagnostics commands",
        parse: keys::parse_memory,
        exec: Exec::Read(keys::exec_memory),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "expire",
        arity: -3,
        flags: Flags(WRITE | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        group: "generic",
        since: "1.0.0",
        summary: "Set a key's time to live in seconds",
        parse: expire::parse_expire,
        exec: Exec::Write(expire::exec_expire),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "pexpire",
        arity: -3,
        flags: Flags(WRITE | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        group: "generic",
        since: "2.6.0",
        summary: "Set a key's time to live in milliseconds",
        parse: expire::parse_pexpire,
        exec: Exec::Write(expire::exec_expire),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "expireat",
        arity: -3,
        flags: Flags(WRITE | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        group: "generic",
        since: "1.2.0",
        summary: "Set the expiration for a key as a UNIX timestamp",
        parse: expire::parse_expireat,
        exec: Exec::Write(expire::exec_expire),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "pexpireat",
        arity: -3,
        flags: Flags(WRITE | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        group: "generic",
        since: "2.6.0",
        summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        parse: expire::parse_pexpireat,
        exec: Exec::Write(expire::exec_expire),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "ttl",
        arity: 2,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &["nondeterministic_output"],
        group: "generic",
        since: "1.0.0",
        summary: "Get the time to live for a key in seconds",
        parse: expire::parse_ttl,
        exec: Exec::Read(expire::exec_ttl),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "pttl",
        arity: 2,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &["nondeterministic_output"],
        group: "generic",
        since: "2.6.0",
        summary: "Get the time to live for a key in milliseconds",
        parse: expire::parse_pttl,
        exec: Exec::Read(expire::exec_ttl),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "expiretime",
        arity: 2,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        group: "generic",
        since: "7.0.0",
        summary: "Get the expiration Unix timestamp for a key",
        parse: expire::parse_expiretime,
        exec: Exec::Read(expire::exec_ttl),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "pexpiretime",
        arity: 2,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        group: "generic",
        since: "7.0.0",
        summary: "Get the expiration Unix timestamp for a key in milliseconds",
        parse: expire::parse_pexpiretime,
        exec: Exec::Read(expire::exec_ttl),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "persist",
        arity: 2,
        flags: Flags(WRITE | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        group: "generic",
        since: "2.2.0",
        summary: "Remove the expiration from a key",
        parse: expire::parse_persist,
        exec: Exec::Write(expire::exec_persist),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "dbsize",
        arity: 1,
        flags: Flags(READONLY | FAST),
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &["request_policy:all_shards", "response_policy:agg_sum"],
        group: "server",
        since: "1.0.0",
        summary: "Return the number of keys in the selected database",
        parse: keys::parse_dbsize,
        exec: Exec::Read(keys::exec_dbsize),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "flushdb",
        arity: -1,
        flags: Flags(WRITE),
        acl_categories: &["@keyspace", "@write", "@slow", "@dangerous"],
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        group: "server",
        since: "1.0.0",
        summary: "Remove all keys from the current database",
        parse: keys::parse_flush,
        exec: Exec::Write(keys::exec_flush),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "flushall",
        arity: -1,
        flags: Flags(WRITE),
        acl_categories: &["@keyspace", "@write", "@slow", "@dangerous"],
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        group: "server",
        since: "1.0.0",
        summary: "Remove all keys from all databases",
        parse: keys::parse_flush,
        exec: Exec::Write(keys::exec_flush),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "keys",
        arity: 2,
        flags: Flags(READONLY),
        acl_categories: &["@keyspace", "@read", "@slow", "@dangerous"],
        tips: &["request_policy:all_shards", "nondeterministic_output_order"],
        group: "generic",
        since: "1.0.0",
        summary: "Find all keys matching the given pattern",
        parse: keys::parse_keys,
        exec: Exec::Read(keys::exec_keys),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "scan",
        arity: -2,
        flags: Flags(READONLY),
        acl_categories: &["@keyspace", "@read", "@slow"],
        tips: &["nondeterministic_output", "request_policy:special"],
        group: "generic",
        since: "2.8.0",
        summary: "Incrementally iterate the keys space",
        parse: keys::parse_scan,
        exec: Exec::Read(keys::exec_scan),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "randomkey",
        arity: 1,
        flags: Flags(READONLY),
        acl_categories: &["@keyspace", "@read", "@slow"],
        tips: &["request_policy:all_shards", "nondeterministic_output"],
        group: "generic",
        since: "1.0.0",
        summary: "Return a random key from the keyspace",
        parse: keys::parse_randomkey,
        exec: Exec::Read(keys::exec_randomkey),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "ping",
        arity: -1,
        flags: Flags(FAST),
        acl_categories: &["@fast", "@connection"],
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        group: "connection",
        since: "1.0.0",
        summary: "Ping the server",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "echo",
        arity: 2,
        flags: Flags(LOADING | STALE | FAST),
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "1.0.0",
        summary: "Echo the given string",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "quit",
        arity: -1,
        flags: Flags(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY),
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "1.0.0",
        summary: "Close the connection",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "auth",
        arity: -2,
        flags: Flags(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY),
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "1.0.0",
        summary: "Authenticate to the server",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "reset",
        arity: 1,
        flags: Flags(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY),
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "6.2.0",
        summary: "Reset the connection",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "hello",
        arity: -1,
        flags: Flags(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY),
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "6.0.0",
        summary: "Handshake with Redis",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "select",
        arity: 2,
        flags: Flags(LOADING | STALE | FAST),
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "1.0.0",
        summary: "Change the selected database for the current connection",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "client",
        arity: -2,
        flags: Flags(0),
        subcommand_flags: Flags(NOSCRIPT),
        acl_categories: &["@slow"],
        group: "connection",
        since: "2.4.0",
        summary: "A container for client connection commands",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "command",
        arity: -1,
        flags: Flags(LOADING | STALE),
        acl_categories: &["@slow", "@connection"],
        tips: &["nondeterministic_output_order"],
        group: "server",
        since: "2.8.13",
        summary: "Get array of Redis command details",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "config",
        arity: -2,
        flags: Flags(0),
        acl_categories: &["@slow"],
        group: "server",
        since: "2.0.0",
        summary: "A container for server configuration commands",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "info",
        arity: -1,
        flags: Flags(LOADING | STALE),
        acl_categories: &["@slow", "@dangerous"],
        tips: &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
        group: "server",
        since: "1.0.0",
        summary: "Get information and statistics about the server",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "time",
        arity: 1,
        flags: Flags(LOADING | STALE | FAST),
        acl_categories: &["@fast"],
        tips: &["nondeterministic_output"],
        group: "server",
        since: "2.6.0",
        summary: "Return the current server time",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "multi",
        arity: 1,
        flags: Flags(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY),
        acl_categories: &["@fast", "@transaction"],
        group: "transactions",
        since: "1.2.0",
        summary: "Mark the start of a transaction block",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "exec",
        arity: 1,
        flags: Flags(NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG),
        acl_categories: &["@slow", "@transaction"],
        group: "transactions",
        since: "1.2.0",
        summary: "Execute all commands issued after MULTI",
        parse: multi::parse_exec,
        exec: Exec::Script,
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "discard",
        arity: 1,
        flags: Flags(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY),
        acl_categories: &["@fast", "@transaction"],
        group: "transactions",
        since: "2.0.0",
        summary: "Discard all commands issued after MULTI",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "watch",
        arity: -2,
        flags: Flags(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY),
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@fast", "@transaction"],
        group: "transactions",
        since: "2.2.0",
        summary: "Watch the given keys to determine execution of the MULTI/EXEC block",
        parse: multi::parse_watch,
        exec: Exec::Read(multi::exec_watch),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "unwatch",
        arity: 1,
        flags: Flags(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY),
        acl_categories: &["@fast", "@transaction"],
        group: "transactions",
        since: "2.2.0",
        summary: "Forget about all watched keys",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "save",
        arity: 1,
        flags: Flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI),
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "1.0.0",
        summary: "Synchronously save the dataset to disk",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "shutdown",
        arity: -1,
        flags: Flags(ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY),
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "1.0.0",
        summary: "Synchronously save the dataset to disk and then shut down the server",
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "eval",
        arity: -3,
        flags: Flags(NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLEKEYS),
        movable_keys: Some(scripting::eval_keys),
        acl_categories: &["@slow", "@scripting"],
        group: "scripting",
        since: "2.6.0",
        summary: "Execute a Lua script server side",
        parse: scripting::parse_eval,
        exec: Exec::Script,
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "evalsha",
        arity: -3,
        flags: Flags(NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLEKEYS),
        movable_keys: Some(scripting::eval_keys),
        acl_categories: &["@slow", "@scripting"],
        group: "scripting",
        since: "2.6.0",
        summary: "Execute a Lua script server side",
        parse: scripting::parse_evalsha,
        exec: Exec::Script,
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "eval_ro",
        arity: -3,
        flags: Flags(READONLY | NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLEKEYS),
        movable_keys: Some(scripting::eval_keys),
        acl_categories: &["@slow", "@scripting"],
        group: "scripting",
        since: "7.0.0",
        summary: "Execute a read-only Lua script server side",
        parse: scripting::parse_eval_ro,
        exec: Exec::Script,
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "evalsha_ro",
        arity: -3,
        flags: Flags(READONLY | NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLEKEYS),
        movable_keys: Some(scripting::eval_keys),
        acl_categories: &["@slow", "@scripting"],
        group: "scripting",
        since: "7.0.0",
        summary: "Execute a read-only Lua script server side",
        parse: scripting::parse_evalsha_ro,
        exec: Exec::Script,
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "script",
        arity: -2,
        flags: Flags(0),
        subcommand_flags: Flags(NOSCRIPT),
        acl_categories: &["@slow"],
        group: "scripting",
        since: "2.6.0",
        summary: "A container for Lua scripts management commands",
        parse: scripting::parse_script,
        exec: scripting::EXEC_SCRIPT,
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "fcall",
        arity: -3,
        flags: Flags(NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLEKEYS),
        movable_keys: Some(functions::fcall_keys),
        acl_categories: &["@slow", "@scripting"],
        group: "scripting",
        since: "7.0.0",
        summary: "Invoke a function",
        parse: functions::parse_fcall_rw,
        exec: Exec::Script,
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "fcall_ro",
        arity: -3,
        flags: Flags(READONLY | NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLEKEYS),
        movable_keys: Some(functions::fcall_keys),
        acl_categories: &["@slow", "@scripting"],
        group: "scripting",
        since: "7.0.0",
        summary: "Invoke a read-only function",
        parse: functions::parse_fcall_ro,
        exec: Exec::Script,
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "function",
        arity: -2,
        flags: Flags(0),
        subcommand_flags: Flags(NOSCRIPT),
        acl_categories: &["@slow"],
        group: "scripting",
        since: "7.0.0",
        summary: "A container for function commands",
        parse: functions::parse_function,
        exec: functions::EXEC_FUNCTION,
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "fencekv.rawset",
        arity: 3,
        flags: Flags(WRITE | DENYOOM),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@slow", "@dangerous"],
        group: "server",
        since: "0.1.0",
        summary: "Put a raw internal key (debug)",
        debug: true,
        parse: debug::parse_rawset,
        exec: Exec::Write(debug::exec_rawset),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "fencekv.rawget",
        arity: 2,
        flags: Flags(READONLY),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@slow", "@dangerous"],
        group: "server",
        since: "0.1.0",
        summary: "Get a raw internal key (debug)",
        debug: true,
        parse: debug::parse_rawget,
        exec: Exec::Read(debug::exec_rawget),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "fencekv.rawdel",
        arity: -2,
        flags: Flags(WRITE),
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@write", "@slow", "@dangerous"],
        group: "server",
        since: "0.1.0",
        summary: "Delete raw internal keys (debug)",
        debug: true,
        parse: debug::parse_rawdel,
        exec: Exec::Write(debug::exec_rawdel),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "fencekv.encoding",
        arity: 2,
        flags: Flags(READONLY),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@slow", "@dangerous"],
        group: "server",
        since: "0.1.0",
        summary: "Which string encoding answers a key (debug)",
        debug: true,
        parse: debug::parse_encoding,
        exec: Exec::Read(debug::exec_encoding),
        ..CommandDef::DEFAULT
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::parse;

    fn args(words: &[&str]) -> Vec<Bytes> {
        words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect()
    }

    /// `name` with every other letter upper-cased: lookups ignore case.
    fn mixed_case(name: &str) -> String {
        name.chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect()
    }

    /// A request for `def` with `argc` arguments (the name included).
    fn request(def: &CommandDef, argc: usize) -> Vec<Bytes> {
        let mut a = vec![Bytes::from(mixed_case(def.name))];
        a.resize(argc, Bytes::from_static(b"1"));
        a
    }

    fn min_argc(def: &CommandDef) -> usize {
        usize::try_from(def.arity.unsigned_abs()).unwrap_or(usize::MAX)
    }

    const DEBUG: ParseCtx = ParseCtx {
        now_ms: 1_700_000_000_000,
        debug_commands: true,
        seed: 7,
    };

    #[test]
    fn lookup_is_case_insensitive_and_hides_debug_commands() {
        assert_eq!(lookup(b"GeT").map(|c| c.arity), Some(2));
        assert!(lookup(b"fencekv.rawget").is_none());
        assert!(lookup_with(b"FENCEKV.RAWGET", true).is_some());
        assert!(lookup(b"nosuch").is_none());
        assert!(lookup(b"").is_none());
        assert!(lookup(b"getx").is_none());
    }

    #[test]
    fn arities() {
        let set = lookup(b"set").map(|c| (c.arity_ok(2), c.arity_ok(3), c.arity_ok(9)));
        assert_eq!(set, Some((false, true, true)));
        let get = lookup(b"get").map(|c| (c.arity_ok(1), c.arity_ok(2), c.arity_ok(3)));
        assert_eq!(get, Some((false, true, false)));
    }

    #[test]
    fn names_are_unique_and_lowercase() {
        let mut names: Vec<_> = rows().map(|c| c.name).collect();
        assert!(names.iter().all(|n| n.to_ascii_lowercase() == *n));
        names.sort();
        names.dedup();
        assert_eq!(names.len(), rows().count());
    }

    #[test]
    fn command_replies() {
        assert_eq!(
            command_count(false),
            Reply::Integer(rows().count() as i64 - 4)
        );
        assert_eq!(command_count(true), Reply::Integer(rows().count() as i64));
        let info = command_info(
            &[Bytes::from_static(b"nosuch"), Bytes::from_static(b"GET")],
            false,
        );
        let Reply::Array(items) = info else {
            panic!("not an array: {info:?}")
        };
        assert_eq!(items[0], Reply::Nil);
        let Reply::Array(get) = &items[1] else {
            panic!("not an array: {:?}", items[1])
        };
        assert_eq!(get.len(), 10);
        assert_eq!(get[0], Reply::bulk("get"));
        assert_eq!(get[1], Reply::Integer(2));
        assert_eq!(
            get[2],
            Reply::Set(vec![
                Reply::Status("readonly".into()),
                Reply::Status("fast".into())
            ])
        );
        let docs = command_docs(
            &[Bytes::from_static(b"get"), Bytes::from_static(b"nosuch")],
            false,
        );
        let Reply::Map(entries) = docs else {
            panic!("not a map: {docs:?}")
        };
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].0, Reply::bulk("get"));
        let Reply::Array(all) = command_all(false) else {
            panic!("not an array")
        };
        assert_eq!(all.len(), rows().count() - 4);
    }

    /// The registry walk: COMMAND COUNT, COMMAND INFO and dispatch agree
    /// with the rows by construction.
    #[test]
    fn every_row_is_reported_and_dispatched() {
        for debug_commands in [false, true] {
            let visible: Vec<_> = all(debug_commands).collect();
            assert_eq!(
                command_count(debug_commands),
                Reply::Integer(visible.len() as i64)
            );
            let Reply::Array(everything) = command_all(debug_commands) else {
                panic!("not an array")
            };
            assert_eq!(everything.len(), visible.len());
            for (def, entry) in visible.iter().zip(&everything) {
                // COMMAND INFO of the name, in any case, is the row's entry.
                let by_name = command_info(&[Bytes::from(mixed_case(def.name))], debug_commands);
                assert_eq!(by_name, Reply::Array(vec![def.info()]), "{}", def.name);
                assert_eq!(*entry, def.info());
                let Reply::Array(fields) = def.info() else {
                    panic!("not an array")
                };
                assert_eq!(fields[0], Reply::bulk(def.name));
                assert_eq!(fields[1], Reply::Integer(def.arity));
                let Reply::Map(docs) = command_docs(&[Bytes::from(def.name)], debug_commands)
                else {
                    panic!("not a map")
                };
                assert_eq!(docs, vec![(Reply::bulk(def.name), def.docs())]);
            }
        }
        // Debug rows are unknown without debug commands, everywhere.
        for def in rows().filter(|d| d.debug) {
            assert!(lookup(def.name.as_bytes()).is_none());
            let req = request(def, min_argc(def));
            assert_eq!(
                parse(&req, &ParseCtx::default()).map(|c| c.def),
                Err(ParseError::Unknown.reply(&req))
            );
        }
    }

    #[test]
    fn every_command_row_parses_by_its_name_in_any_case() {
        for def in rows() {
            let req = request(def, min_argc(def));
            let parsed = crate::cmd::parse_request(&req, &DEBUG);
            if def.is_connection() {
                assert_eq!(parsed.map(|c| c.def), Err(ParseError::Unknown));
                continue;
            }
            match parsed {
                Ok(cmd) => assert_eq!(cmd.def.name, def.name),
                // The row's own parser refused the filler arguments.
                Err(e) => assert!(
                    !matches!(e, ParseError::Unknown | ParseError::WrongArity(_)),
                    "{}: {e:?}",
                    def.name
                ),
            }
        }
    }

    #[test]
    fn arity_is_enforced_for_every_row() {
        for def in rows().filter(|d| !d.is_connection()) {
            let n = min_argc(def);
            let mut wrong = vec![n - 1];
            if def.arity > 0 {
                wrong.push(n + 1);
            }
            for argc in wrong.into_iter().filter(|&a| a > 0) {
                assert!(!def.arity_ok(argc));
                let req = request(def, argc);
                assert_eq!(
                    crate::cmd::parse_request(&req, &DEBUG).map(|c| c.def),
                    Err(ParseError::WrongArity(def.name)),
                    "{} with {argc} arguments",
                    def.name
                );
            }
        }
    }

    /// Read and write routing agrees with the flags Redis reports.
    #[test]
    fn executors_agree_with_flags() {
        for def in rows() {
            match def.exec {
                // A container (OBJECT) whose subcommands are all readonly;
                // WATCH, which Redis does not flag (it reads no data).
                Exec::Read(_) => assert!(
                    def.flags.has(READONLY)
                        || def.subcommand_flags.has(READONLY)
                        || def.name == "watch",
                    "{}",
                    def.name
                ),
                Exec::Write(_) | Exec::ReadOrWrite { .. } => {
                    assert!(!def.flags.has(READONLY), "{}", def.name)
                }
                Exec::Script => assert!(
                    def.flags.has(NOSCRIPT | MOVABLEKEYS) || def.name == "exec",
                    "{}",
                    def.name
                ),
                Exec::Connection => {}
            }
            if let Exec::Write(_) = def.exec {
                assert!(def.flags.has(WRITE), "{}", def.name);
            }
            assert_eq!(def.flags.has(MOVABLEKEYS), def.movable_keys.is_some());
        }
    }

    /// The rows fencekv's own code builds commands of.
    #[test]
    fn constructors_name_their_rows() {
        assert_eq!(Command::get("k").def.name, "get");
        assert_eq!(Command::set("k", "v").def.name, "set");
        assert_eq!(Command::del(vec![]).def.name, "del");
        assert_eq!(Command::eval("return 1").def.name, "eval");
    }

    #[test]
    fn unimplemented_noscript_commands_are_not_rows() {
        for name in NOSCRIPT_NOT_IMPLEMENTED {
            assert!(lookup_with(name.as_bytes(), true).is_none(), "{name}");
        }
    }

    #[test]
    fn key_positions() {
        let keys = |words: &[&str]| {
            let a = args(words);
            lookup(a[0].as_ref())
                .map(|d| d.keys(&a).into_iter().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        assert_eq!(keys(&["MSET", "a", "1", "b", "2"]), args(&["a", "b"]));
        assert_eq!(keys(&["RENAME", "a", "b"]), args(&["a", "b"]));
        assert_eq!(keys(&["DEL", "a", "b", "c"]), args(&["a", "b", "c"]));
        assert_eq!(keys(&["SET", "k", "v", "EX", "1"]), args(&["k"]));
        assert_eq!(keys(&["EVAL", "s", "2", "a", "b", "c"]), args(&["a", "b"]));
        assert_eq!(keys(&["EVAL", "s", "9", "a"]), args(&[]));
        assert!(keys(&["DBSIZE"]).is_empty());
        assert!(keys(&["PING"]).is_empty());
    }

    #[test]
    fn rows_serialize_by_name_and_unknown_names_do_not_deserialize() {
        let get = row("get");
        let bytes =
            bincode::serde::encode_to_vec(get, bincode::config::standard()).expect("encodes");
        let (back, _): (CommandRef, usize) =
            bincode::serde::decode_from_slice(&bytes, bincode::config::standard())
                .expect("decodes");
        assert_eq!(back, get);
        for bad in ["nosuch", "ping", "GET"] {
            let bytes =
                bincode::serde::encode_to_vec(bad, bincode::config::standard()).expect("encodes");
            let r: Result<(CommandRef, usize), _> =
                bincode::serde::decode_from_slice(&bytes, bincode::config::standard());
            if bad == "GET" {
                assert!(r.is_ok(), "names are looked up in any case");
            } else {
                assert!(r.is_err(), "{bad}");
            }
        }
    }
}
