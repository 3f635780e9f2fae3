//! What one row of the command [`table`](super::table) holds: a command's
//! Redis metadata (arity, flags, key positions, `COMMAND DOCS` fields), its
//! parser and its executor.
//!
//! Everything that asks "what is this command?" reads the row: dispatch,
//! `COMMAND INFO/DOCS/COUNT`, read/write routing ([`Kind`]), the scripts'
//! "not allowed" check and key extraction.

use bytes::Bytes;

use super::error::ParseError;
use super::{Kind, Op, ParseCtx, ReadView, WriteView};
use crate::resp::Reply;

/// Redis 7.0's command flags, one bit each, in the order `COMMAND INFO`
/// lists them (`addReplyCommandFlags`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags(pub u32);

/// The flag bits, to combine with `|` in a row: `Flags(WRITE | DENYOOM)`.
pub mod flag {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const MODULE: u32 = 1 << 3;
    pub const ADMIN: u32 = 1 << 4;
    pub const PUBSUB: u32 = 1 << 5;
    /// Refused inside a script.
    pub const NOSCRIPT: u32 = 1 << 6;
    pub const BLOCKING: u32 = 1 << 7;
    pub const LOADING: u32 = 1 << 8;
    pub const STALE: u32 = 1 << 9;
    pub const SKIP_MONITOR: u32 = 1 << 10;
    pub const SKIP_SLOWLOG: u32 = 1 << 11;
    pub const ASKING: u32 = 1 << 12;
    pub const FAST: u32 = 1 << 13;
    pub const NO_AUTH: u32 = 1 << 14;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 15;
    pub const NO_ASYNC_LOADING: u32 = 1 << 16;
    pub const NO_MULTI: u32 = 1 << 17;
    pub const MOVABLEKEYS: u32 = 1 << 18;
    pub const ALLOW_BUSY: u32 = 1 << 19;

    /// Each bit's name, in bit order.
    pub(super) const NAMES: [&str; 20] = [
        "write",
        "readonly",
        "denyoom",
        "module",
        "admin",
        "pubsub",
        "noscript",
        "blocking",
        "loading",
        "stale",
        "skip_monitor",
        "skip_slowlog",
        "asking",
        "fast",
        "no_auth",
        "no_mandatory_keys",
        "no_async_loading",
        "no_multi",
        "movablekeys",
        "allow_busy",
    ];
}

impl Flags {
    pub fn has(self, bits: u32) -> bool {
        self.0 & bits == bits
    }

    /// The set flags' names, in `COMMAND INFO` order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        flag::NAMES
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, n)| *n)
    }
}

/// A row's parser: the request (`args[0]` the name, the arity already
/// checked) into the command's arguments.
pub type Parser = fn(&[Bytes], &ParseCtx) -> Result<Op, ParseError>;
/// Runs a read against a snapshot view.
pub type ReadFn = fn(&Op, &ReadView<'_>) -> Reply;
/// Applies a write at its commit timestamp.
pub type WriteFn = fn(&Op, &mut WriteView<'_>) -> Reply;

/// The keys of a `movablekeys` command, from its request.
pub type KeysFn = fn(&[Bytes]) -> &[Bytes];

/// Who runs a command, and so how it is routed.
#[derive(Clone, Copy)]
pub enum Exec {
    /// Served from a snapshot after a fence.
    Read(ReadFn),
    /// Goes through the log and applies at its commit timestamp.
    Write(WriteFn),
    /// A read or a write depending on its arguments (GETEX without an
    /// option reads; SCRIPT EXISTS reads, LOAD and FLUSH write): `kind`
    /// decides which of the two runs.
    ReadOrWrite {
        kind: fn(&Op) -> Kind,
        read: ReadFn,
        write: WriteFn,
    },
    /// A script: the node fences, runs it over a snapshot and commits.
    Script,
    /// Answered by the server itself (PING, HELLO, CLIENT, CONFIG, COMMAND,
    /// INFO, …): never parsed into a [`Command`](super::Command).
    Connection,
}

/// One command: everything fencekv knows about it.
#[derive(Clone, Copy)]
pub struct CommandDef {
    /// Lowercase name, as `COMMAND INFO` replies it.
    pub name: &'static str,
    /// Redis arity: `n` exactly n arguments (name included), `-n` at least n.
    pub arity: i64,
    pub flags: Flags,
    /// Flags the subcommands of a container carry in Redis 7.0 where they
    /// matter to fencekv (SCRIPT's and CLIENT's subcommands are `noscript`,
    /// OBJECT's `readonly`); not reported by `COMMAND INFO`, which lists the
    /// container's own.
    pub subcommand_flags: Flags,
    pub first_key: i64,
    pub last_key: i64,
    pub step: i64,
    /// The keys of a `movablekeys` command (EVAL's `numkeys`), from the request.
    pub movable_keys: Option<KeysFn>,
    pub acl_categories: &'static [&'static str],
    pub tips: &'static [&'static str],
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    /// A `FENCEKV.*` debug command: known only with debug commands enabled.
    pub debug: bool,
    pub parse: Parser,
    pub exec: Exec,
}

/// The parser of a row the server answers itself.
fn parse_connection(_: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Err(ParseError::Unknown)
}

impl CommandDef {
    /// The fields most rows share; a row names the rest and ends with
    /// `..CommandDef::DEFAULT`.
    pub const DEFAULT: CommandDef = CommandDef {
        name: "",
        arity: 0,
        flags: Flags(0),
        subcommand_flags: Flags(0),
        first_key: 0,
        last_key: 0,
        step: 0,
        movable_keys: None,
        acl_categories: &[],
        tips: &[],
        group: "",
        since: "",
        summary: "",
        debug: false,
        parse: parse_connection,
        exec: Exec::Connection,
    };

    /// Whether `argc` arguments (the name included) fit the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = i64::try_from(argc).unwrap_or(i64::MAX);
        if self.arity >= 0 {
            argc == self.arity
        } else {
            argc >= -self.arity
        }
    }

    /// Whether the server answers this command itself.
    pub fn is_connection(&self) -> bool {
        matches!(self.exec, Exec::Connection)
    }

    /// Whether a script may not call it (`noscript`, on the command or on
    /// its subcommands).
    pub fn refused_in_script(&self) -> bool {
        self.flags.has(flag::NOSCRIPT) || self.subcommand_flags.has(flag::NOSCRIPT)
    }

    /// How a command of this row with arguments `op` is routed. A connection
    /// row never becomes a command; it counts as a read.
    pub fn kind(&self, op: &Op) -> Kind {
        match self.exec {
            Exec::Read(_) | Exec::Connection => Kind::Read,
            Exec::Write(_) => Kind::Write,
            Exec::ReadOrWrite { kind, .. } => kind(op),
            Exec::Script => Kind::Script,
        }
    }

    /// The keys a request for this row names, from its key positions
    /// (`first_key`, `last_key` (negative: from the end), `step`), or from
    /// the movable-keys hook.
    pub fn keys<'a>(&self, args: &'a [Bytes]) -> Vec<&'a Bytes> {
        if let Some(f) = self.movable_keys {
            return f(args).iter().collect();
        }
        let (Ok(first), Ok(step)) = (usize::try_from(self.first_key), usize::try_from(self.step))
        else {
            return vec![];
        };
        if first == 0 || step == 0 {
            return vec![];
        }
        let last = if self.last_key < 0 {
            let from_end = usize::try_from(-self.last_key).unwrap_or(usize::MAX);
            match args.len().checked_sub(from_end) {
                Some(l) => l,
                None => return vec![],
            }
        } else {
            usize::try_from(self.last_key).unwrap_or(0)
        };
        (first..=last.min(args.len().saturating_sub(1)))
            .step_by(step)
            .filter_map(|i| args.get(i))
            .collect()
    }

    /// This command's `COMMAND INFO` entry (Redis 7.0 layout: name, arity,
    /// flags, first key, last key, step, ACL categories, tips, key specs,
    /// subcommands). Key specs and subcommands are empty: fencekv has no
    /// cluster slots to route by.
    pub fn info(&self) -> Reply {
        let statuses = |v: &mut dyn Iterator<Item = &'static str>| {
            Reply::Set(v.map(|s| Reply::Status(s.into())).collect())
        };
        Reply::Array(vec![
            Reply::bulk(self.name),
            Reply::Integer(self.arity),
            statuses(&mut self.flags.names()),
            Reply::Integer(self.first_key),
            Reply::Integer(self.last_key),
            Reply::Integer(self.step),
            statuses(&mut self.acl_categories.iter().copied()),
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
