//! The command table: every command fencekv knows, with the metadata Redis
//! 7.0's `COMMAND` reports (arity, flags, key positions, ACL categories, tips)
//! and the bits of `COMMAND DOCS` clients ask for (summary, since, group).
//!
//! The entries for Redis commands were read off a real redis-server 7.0.15
//! (`COMMAND INFO` and `COMMAND DOCS`), so arities and flags are Redis's own;
//! the `FENCEKV.*` debug commands are fencekv's and only exist when the node
//! runs with debug commands enabled. Key specs and subcommands are replied as
//! empty arrays: fencekv has no cluster slots to route by.

use bytes::Bytes;

use crate::resp::Reply;

/// One command's metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandSpec {
    /// Lowercase name, as `COMMAND INFO` replies it.
    pub name: &'static str,
    /// Redis arity: `n` exactly n arguments (name included), `-n` at least n.
    pub arity: i64,
    pub flags: &'static [&'static str],
    pub first_key: i64,
    pub last_key: i64,
    pub step: i64,
    pub acl_categories: &'static [&'static str],
    pub tips: &'static [&'static str],
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    /// A `FENCEKV.*` debug command: known only with debug commands enabled.
    pub debug: bool,
}

impl CommandSpec {
    /// Whether `argc` arguments (the name included) fit the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = i64::try_from(argc).unwrap_or(i64::MAX);
        if self.arity >= 0 {
            argc == self.arity
        } else {
            argc >= -self.arity
        }
    }

    /// This command's `COMMAND INFO` entry (Redis 7.0 layout: name, arity,
    /// flags, first key, last key, step, ACL categories, tips, key specs,
    /// subcommands).
    pub fn info(&self) -> Reply {
        let statuses =
            |v: &[&str]| Reply::Set(v.iter().map(|s| Reply::Status((*s).into())).collect());
        Reply::Array(vec![
            Reply::bulk(self.name),
            Reply::Integer(self.arity),
            statuses(self.flags),
            Reply::Integer(self.first_key),
            Reply::Integer(self.last_key),
            Reply::Integer(self.step),
            statuses(self.acl_categories),
            Reply::Set(self.tips.iter().map(|s| Reply::bulk(*s)).collect()),
            Reply::Array(vec![]),
            Reply::Array(vec![]),
        ])
    }

    /// This command's `COMMAND DOCS` map.
    pub fn docs(&self) -> Reply {
        Reply::Map(vec![
            (Reply::bulk("summary"), Reply::bulk(self.summary)),
            (Reply::bulk("since"), Reply::bulk(self.since)),
            (Reply::bulk("group"), Reply::bulk(self.group)),
        ])
    }
}

/// The command named `name` (any case), debug commands excluded.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    lookup_with(name, false)
}

/// The command named `name` (any case); debug commands only if enabled.
pub fn lookup_with(name: &[u8], debug_commands: bool) -> Option<&'static CommandSpec> {
    all(debug_commands).find(|c| name.eq_ignore_ascii_case(c.name.as_bytes()))
}

/// Every known command, in table order.
pub fn all(debug_commands: bool) -> impl Iterator<Item = &'static CommandSpec> {
    COMMANDS.iter().filter(move |c| debug_commands || !c.debug)
}

/// `COMMAND COUNT`.
pub fn command_count(debug_commands: bool) -> Reply {
    Reply::Integer(all(debug_commands).count() as i64)
}

/// `COMMAND` with no arguments: the info of every command.
pub fn command_all(debug_commands: bool) -> Reply {
    Reply::Array(all(debug_commands).map(CommandSpec::info).collect())
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
            .map(|n| lookup_with(n, debug_commands).map_or(Reply::Nil, CommandSpec::info))
            .collect(),
    )
}

/// `COMMAND DOCS [name...]`: a map of name to its docs; unknown names are
/// left out, as Redis does. With no names, every command.
pub fn command_docs(names: &[Bytes], debug_commands: bool) -> Reply {
    let entry = |c: &CommandSpec| (Reply::bulk(c.name), c.docs());
    if names.is_empty() {
        return Reply::Map(all(debug_commands).map(entry).collect());
    }
    Reply::Map(
        names
            .iter()
            .filter_map(|n| lookup_with(n, debug_commands))
            .map(entry)
            .collect(),
    )
}

/// The table. Redis entries: from redis-server 7.0.15.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "get",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@string", "@fast"],
        tips: &[],
        group: "string",
        since: "1.0.0",
        summary: "Get the value of a key",
        debug: false,
    },
    CommandSpec {
        name: "set",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@slow"],
        tips: &[],
        group: "string",
        since: "1.0.0",
        summary: "Set the string value of a key",
        debug: false,
    },
    CommandSpec {
        name: "setnx",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        tips: &[],
        group: "string",
        since: "1.0.0",
        summary: "Set the value of a key, only if the key does not exist",
        debug: false,
    },
    CommandSpec {
        name: "setex",
        arity: 4,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@slow"],
        tips: &[],
        group: "string",
        since: "2.0.0",
        summary: "Set the value and expiration of a key",
        debug: false,
    },
    CommandSpec {
        name: "psetex",
        arity: 4,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@slow"],
        tips: &[],
        group: "string",
        since: "2.6.0",
        summary: "Set the value and expiration in milliseconds of a key",
        debug: false,
    },
    CommandSpec {
        name: "getset",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        tips: &[],
        group: "string",
        since: "1.0.0",
        summary: "Set the string value of a key and return its old value",
        debug: false,
    },
    CommandSpec {
        name: "getdel",
        arity: 2,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        tips: &[],
        group: "string",
        since: "6.2.0",
        summary: "Get the value of a key and delete the key",
        debug: false,
    },
    CommandSpec {
        name: "getex",
        arity: -2,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        tips: &[],
        group: "string",
        since: "6.2.0",
        summary: "Get the value of a key and optionally set its expiration",
        debug: false,
    },
    CommandSpec {
        name: "mget",
        arity: -2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@read", "@string", "@fast"],
        tips: &["request_policy:multi_shard"],
        group: "string",
        since: "1.0.0",
        summary: "Get the values of all the given keys",
        debug: false,
    },
    CommandSpec {
        name: "mset",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: -1,
        step: 2,
        acl_categories: &["@write", "@string", "@slow"],
        tips: &["request_policy:multi_shard", "response_policy:all_succeeded"],
        group: "string",
        since: "1.0.1",
        summary: "Set multiple keys to multiple values",
        debug: false,
    },
    CommandSpec {
        name: "msetnx",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: -1,
        step: 2,
        acl_categories: &["@write", "@string", "@slow"],
        tips: &["request_policy:multi_shard", "response_policy:agg_min"],
        group: "string",
        since: "1.0.1",
        summary: "Set multiple keys to multiple values, only if none of the keys exist",
        debug: false,
    },
    CommandSpec {
        name: "incr",
        arity: 2,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        tips: &[],
        group: "string",
        since: "1.0.0",
        summary: "Increment the integer value of a key by one",
        debug: false,
    },
    CommandSpec {
        name: "decr",
        arity: 2,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        tips: &[],
        group: "string",
        since: "1.0.0",
        summary: "Decrement the integer value of a key by one",
        debug: false,
    },
    CommandSpec {
        name: "incrby",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        tips: &[],
        group: "string",
        since: "1.0.0",
        summary: "Increment the integer value of a key by the given amount",
        debug: false,
    },
    CommandSpec {
        name: "decrby",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        tips: &[],
        group: "string",
        since: "1.0.0",
        summary: "Decrement the integer value of a key by the given number",
        debug: false,
    },
    CommandSpec {
        name: "incrbyfloat",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        tips: &[],
        group: "string",
        since: "2.6.0",
        summary: "Increment the float value of a key by the given amount",
        debug: false,
    },
    CommandSpec {
        name: "append",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        tips: &[],
        group: "string",
        since: "2.0.0",
        summary: "Append a value to a key",
        debug: false,
    },
    CommandSpec {
        name: "strlen",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@string", "@fast"],
        tips: &[],
        group: "string",
        since: "2.2.0",
        summary: "Get the length of the value stored in a key",
        debug: false,
    },
    CommandSpec {
        name: "getrange",
        arity: 4,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@string", "@slow"],
        tips: &[],
        group: "string",
        since: "2.4.0",
        summary: "Get a substring of the string stored at a key",
        debug: false,
    },
    CommandSpec {
        name: "substr",
        arity: 4,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@string", "@slow"],
        tips: &[],
        group: "string",
        since: "1.0.0",
        summary: "Get a substring of the string stored at a key",
        debug: false,
    },
    CommandSpec {
        name: "setrange",
        arity: 4,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@slow"],
        tips: &[],
        group: "string",
        since: "2.2.0",
        summary: "Overwrite part of a string at key starting at the specified offset",
        debug: false,
    },
    CommandSpec {
        name: "del",
        arity: -2,
        flags: &["write"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@slow"],
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        group: "generic",
        since: "1.0.0",
        summary: "Delete a key",
        debug: false,
    },
    CommandSpec {
        name: "unlink",
        arity: -2,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        group: "generic",
        since: "4.0.0",
        summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        debug: false,
    },
    CommandSpec {
        name: "exists",
        arity: -2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        group: "generic",
        since: "1.0.0",
        summary: "Determine if a key exists",
        debug: false,
    },
    CommandSpec {
        name: "type",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &[],
        group: "generic",
        since: "1.0.0",
        summary: "Determine the type stored at key",
        debug: false,
    },
    CommandSpec {
        name: "rename",
        arity: 3,
        flags: &["write"],
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@slow"],
        tips: &[],
        group: "generic",
        since: "1.0.0",
        summary: "Rename a key",
        debug: false,
    },
    CommandSpec {
        name: "renamenx",
        arity: 3,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        tips: &[],
        group: "generic",
        since: "1.0.0",
        summary: "Rename a key, only if the new key does not exist",
        debug: false,
    },
    CommandSpec {
        name: "expire",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        tips: &[],
        group: "generic",
        since: "1.0.0",
        summary: "Set a key's time to live in seconds",
        debug: false,
    },
    CommandSpec {
        name: "pexpire",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        tips: &[],
        group: "generic",
        since: "2.6.0",
        summary: "Set a key's time to live in milliseconds",
        debug: false,
    },
    CommandSpec {
        name: "expireat",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        tips: &[],
        group: "generic",
        since: "1.2.0",
        summary: "Set the expiration for a key as a UNIX timestamp",
        debug: false,
    },
    CommandSpec {
        name: "pexpireat",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        tips: &[],
        group: "generic",
        since: "2.6.0",
        summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        debug: false,
    },
    CommandSpec {
        name: "ttl",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &["nondeterministic_output"],
        group: "generic",
        since: "1.0.0",
        summary: "Get the time to live for a key in seconds",
        debug: false,
    },
    CommandSpec {
        name: "pttl",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &["nondeterministic_output"],
        group: "generic",
        since: "2.6.0",
        summary: "Get the time to live for a key in milliseconds",
        debug: false,
    },
    CommandSpec {
        name: "expiretime",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &[],
        group: "generic",
        since: "7.0.0",
        summary: "Get the expiration Unix timestamp for a key",
        debug: false,
    },
    CommandSpec {
        name: "pexpiretime",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &[],
        group: "generic",
        since: "7.0.0",
        summary: "Get the expiration Unix timestamp for a key in milliseconds",
        debug: false,
    },
    CommandSpec {
        name: "persist",
        arity: 2,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        tips: &[],
        group: "generic",
        since: "2.2.0",
        summary: "Remove the expiration from a key",
        debug: false,
    },
    CommandSpec {
        name: "dbsize",
        arity: 1,
        flags: &["readonly", "fast"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &["request_policy:all_shards", "response_policy:agg_sum"],
        group: "server",
        since: "1.0.0",
        summary: "Return the number of keys in the selected database",
        debug: false,
    },
    CommandSpec {
        name: "flushdb",
        arity: -1,
        flags: &["write"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@keyspace", "@write", "@slow", "@dangerous"],
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        group: "server",
        since: "1.0.0",
        summary: "Remove all keys from the current database",
        debug: false,
    },
    CommandSpec {
        name: "flushall",
        arity: -1,
        flags: &["write"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@keyspace", "@write", "@slow", "@dangerous"],
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        group: "server",
        since: "1.0.0",
        summary: "Remove all keys from all databases",
        debug: false,
    },
    CommandSpec {
        name: "keys",
        arity: 2,
        flags: &["readonly"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@keyspace", "@read", "@slow", "@dangerous"],
        tips: &["request_policy:all_shards", "nondeterministic_output_order"],
        group: "generic",
        since: "1.0.0",
        summary: "Find all keys matching the given pattern",
        debug: false,
    },
    CommandSpec {
        name: "scan",
        arity: -2,
        flags: &["readonly"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@keyspace", "@read", "@slow"],
        tips: &["nondeterministic_output", "request_policy:special"],
        group: "generic",
        since: "2.8.0",
        summary: "Incrementally iterate the keys space",
        debug: false,
    },
    CommandSpec {
        name: "randomkey",
        arity: 1,
        flags: &["readonly"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@keyspace", "@read", "@slow"],
        tips: &["request_policy:all_shards", "nondeterministic_output"],
        group: "generic",
        since: "1.0.0",
        summary: "Return a random key from the keyspace",
        debug: false,
    },
    CommandSpec {
        name: "ping",
        arity: -1,
        flags: &["fast"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@fast", "@connection"],
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        group: "connection",
        since: "1.0.0",
        summary: "Ping the server",
        debug: false,
    },
    CommandSpec {
        name: "echo",
        arity: 2,
        flags: &["loading", "stale", "fast"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@fast", "@connection"],
        tips: &[],
        group: "connection",
        since: "1.0.0",
        summary: "Echo the given string",
        debug: false,
    },
    CommandSpec {
        name: "quit",
        arity: -1,
        flags: &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@fast", "@connection"],
        tips: &[],
        group: "connection",
        since: "1.0.0",
        summary: "Close the connection",
        debug: false,
    },
    CommandSpec {
        name: "hello",
        arity: -1,
        flags: &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@fast", "@connection"],
        tips: &[],
        group: "connection",
        since: "6.0.0",
        summary: "Handshake with Redis",
        debug: false,
    },
    CommandSpec {
        name: "select",
        arity: 2,
        flags: &["loading", "stale", "fast"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@fast", "@connection"],
        tips: &[],
        group: "connection",
        since: "1.0.0",
        summary: "Change the selected database for the current connection",
        debug: false,
    },
    CommandSpec {
        name: "client",
        arity: -2,
        flags: &[],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow"],
        tips: &[],
        group: "connection",
        since: "2.4.0",
        summary: "A container for client connection commands",
        debug: false,
    },
    CommandSpec {
        name: "command",
        arity: -1,
        flags: &["loading", "stale"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow", "@connection"],
        tips: &["nondeterministic_output_order"],
        group: "server",
        since: "2.8.13",
        summary: "Get array of Redis command details",
        debug: false,
    },
    CommandSpec {
        name: "config",
        arity: -2,
        flags: &[],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow"],
        tips: &[],
        group: "server",
        since: "2.0.0",
        summary: "A container for server configuration commands",
        debug: false,
    },
    CommandSpec {
        name: "info",
        arity: -1,
        flags: &["loading", "stale"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow", "@dangerous"],
        tips: &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
        group: "server",
        since: "1.0.0",
        summary: "Get information and statistics about the server",
        debug: false,
    },
    CommandSpec {
        name: "eval",
        arity: -3,
        flags: &["noscript", "stale", "skip_monitor", "no_mandatory_keys", "movablekeys"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow", "@scripting"],
        tips: &[],
        group: "scripting",
        since: "2.6.0",
        summary: "Execute a Lua script server side",
        debug: false,
    },
    CommandSpec {
        name: "evalsha",
        arity: -3,
        flags: &["noscript", "stale", "skip_monitor", "no_mandatory_keys", "movablekeys"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow", "@scripting"],
        tips: &[],
        group: "scripting",
        since: "2.6.0",
        summary: "Execute a Lua script server side",
        debug: false,
    },
    CommandSpec {
        name: "eval_ro",
        arity: -3,
        flags: &["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys", "movablekeys"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow", "@scripting"],
        tips: &[],
        group: "scripting",
        since: "7.0.0",
        summary: "Execute a read-only Lua script server side",
        debug: false,
    },
    CommandSpec {
        name: "evalsha_ro",
        arity: -3,
        flags: &["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys", "movablekeys"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow", "@scripting"],
        tips: &[],
        group: "scripting",
        since: "7.0.0",
        summary: "Execute a read-only Lua script server side",
        debug: false,
    },
    CommandSpec {
        name: "script",
        arity: -2,
        flags: &[],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow"],
        tips: &[],
        group: "scripting",
        since: "2.6.0",
        summary: "A container for Lua scripts management commands",
        debug: false,
    },
    CommandSpec {
        name: "fencekv.rawset",
        arity: 3,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@slow", "@dangerous"],
        tips: &[],
        group: "server",
        since: "0.1.0",
        summary: "Put a raw internal key (debug)",
        debug: true,
    },
    CommandSpec {
        name: "fencekv.rawget",
        arity: 2,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@slow", "@dangerous"],
        tips: &[],
        group: "server",
        since: "0.1.0",
        summary: "Get a raw internal key (debug)",
        debug: true,
    },
    CommandSpec {
        name: "fencekv.rawdel",
        arity: -2,
        flags: &["write"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@write", "@slow", "@dangerous"],
        tips: &[],
        group: "server",
        since: "0.1.0",
        summary: "Delete raw internal keys (debug)",
        debug: true,
    },
    CommandSpec {
        name: "fencekv.encoding",
        arity: 2,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@slow", "@dangerous"],
        tips: &[],
        group: "server",
        since: "0.1.0",
        summary: "Which string encoding answers a key (debug)",
        debug: true,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_case_insensitive_and_hides_debug_commands() {
        assert_eq!(lookup(b"GeT").map(|c| c.arity), Some(2));
        assert!(lookup(b"fencekv.rawget").is_none());
        assert!(lookup_with(b"FENCEKV.RAWGET", true).is_some());
        assert!(lookup(b"nosuch").is_none());
    }

    #[test]
    fn arities() {
        let set = lookup(b"set").map(|c| (c.arity_ok(2), c.arity_ok(3), c.arity_ok(9)));
        assert_eq!(set, Some((false, true, true)));
        let get = lookup(b"get").map(|c| (c.arity_ok(1), c.arity_ok(2), c.arity_ok(3)));
        assert_eq!(get, Some((false, true, false)));
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = COMMANDS.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), COMMANDS.len());
    }

    #[test]
    fn command_replies() {
        assert_eq!(
            command_count(false),
            Reply::Integer(COMMANDS.len() as i64 - 4)
        );
        assert_eq!(command_count(true), Reply::Integer(COMMANDS.len() as i64));
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
        assert_eq!(all.len(), COMMANDS.len() - 4);
    }
}
