//! Keyspace commands: parsing (arity, options, Redis's error texts) and their
//! semantics as pure functions of a keyspace view.
//!
//! A command is parsed once, when the node accepts it; relative TTLs become
//! absolute expiry times then, so the logged command replays identically on
//! every replica. Reads run against a [`KeyspaceRead`] (a snapshot at
//! `start_ts` after the fence); writes run when their log entry applies,
//! against a [`KeyspaceWrite`] at the entry's commit timestamp.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::resp::reply::errors;
use crate::resp::Reply;
use crate::strings::{KeyspaceRead, KeyspaceWrite, RawGet, RawWrite};

/// Whether a command reads (served after a fence from a snapshot) or writes
/// (goes through the log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

/// What parsing needs from the accepting node.
#[derive(Clone, Copy, Debug, Default)]
pub struct ParseCtx {
    /// The accepting node's clock, unix ms: relative TTLs are resolved against it.
    pub now_ms: u64,
    /// `--enable-debug-commands`: allow the `FENCEKV.RAW*` family.
    pub debug_commands: bool,
}

/// A parsed keyspace command. (Stub: the command work fills in the rest.)
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Command {
    Get { key: Bytes },
    Set { key: Bytes, value: Bytes },
    Del { keys: Vec<Bytes> },
}

impl Command {
    pub fn kind(&self) -> Kind {
        match self {
            Command::Get { .. } => Kind::Read,
            Command::Set { .. } | Command::Del { .. } => Kind::Write,
        }
    }
}

/// Parse a request (`args[0]` is the command name, any case).
pub fn parse(args: &[Bytes], ctx: &ParseCtx) -> Result<Command, Reply> {
    let _ = ctx;
    let name = args
        .first()
        .map(|a| a.to_ascii_lowercase())
        .unwrap_or_default();
    match (&name[..], args.len()) {
        (b"get", 2) => Ok(Command::Get {
            key: args[1].clone(),
        }),
        (b"set", 3) => Ok(Command::Set {
            key: args[1].clone(),
            value: args[2].clone(),
        }),
        (b"del", n) if n >= 2 => Ok(Command::Del {
            keys: args[1..].to_vec(),
        }),
        (b"get" | b"set" | b"del", _) => Err(Reply::err(errors::wrong_arity(
            &String::from_utf8_lossy(&name),
        ))),
        _ => Err(Reply::err(errors::unknown_command(
            args.first().map(|a| &a[..]).unwrap_or(b""),
            args.get(1..).unwrap_or(&[]),
        ))),
    }
}

/// Run a read command against a snapshot view.
pub fn run_read<G: RawGet + ?Sized>(cmd: &Command, ks: &KeyspaceRead<'_, G>) -> Reply {
    match cmd {
        Command::Get { key } => match ks.get(key) {
            Some(v) => Reply::Bulk(v.value),
            None => Reply::Nil,
        },
        _ => Reply::err("ERR not a read command"),
    }
}

/// Apply a write command at its commit timestamp.
pub fn run_write<W: RawWrite + ?Sized>(cmd: &Command, ks: &mut KeyspaceWrite<'_, W>) -> Reply {
    match cmd {
        Command::Set { key, value } => {
            ks.set(key, value, None);
            Reply::ok()
        }
        Command::Del { keys } => {
            let n = keys.iter().filter(|k| ks.delete(k)).count();
            Reply::Integer(n as i64)
        }
        _ => Reply::err("ERR not a write command"),
    }
}
