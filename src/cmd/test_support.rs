//! The scaffolding the per-type command tests (bits, list, hash, set, zset)
//! share: a plain `BTreeMap` raw store, parse → execute of one request at a
//! fixed clock, and builders for the replies they assert. One copy, so a
//! change to how a request runs (a new `ParseCtx` field, a new `Kind`)
//! reaches every type's tests at once.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::cmd::{parse, run_read, run_write, Kind, ParseCtx};
use crate::modes::ChainModes;
use crate::resp::Reply;
use crate::strings::{KeyspaceRead, KeyspaceWrite};

pub(super) type Raw = BTreeMap<Vec<u8>, Bytes>;

/// 2023-11-14, in unix ms: the clock every request runs at.
pub(super) const NOW: u64 = 1_700_000_000_000;

pub(super) const NOT_INT: &str = "ERR value is not an integer or out of range";
pub(super) const SYNTAX: &str = "ERR syntax error";
pub(super) const WRONGTYPE: &str =
    "WRONGTYPE Operation against a key holding the wrong kind of value";

/// Parse and run one request at `NOW`, with the random seed `seed`.
pub(super) fn run_seeded(raw: &mut Raw, args: &[Vec<u8>], seed: u64) -> Reply {
    let args: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.clone())).collect();
    let ctx = ParseCtx {
        now_ms: NOW,
        debug_commands: false,
        seed,
    };
    let cmd = match parse(&args, &ctx) {
        Ok(cmd) => cmd,
        Err(e) => return e,
    };
    match cmd.kind() {
        Kind::Read => run_read(&cmd, &KeyspaceRead::new(&*raw, NOW, ChainModes::default())),
        Kind::Write => run_write(
            &cmd,
            &mut KeyspaceWrite::new(raw, NOW, ChainModes::default()),
        ),
        Kind::Script => Reply::err("not here"),
    }
}

/// Parse and run one request at `NOW` with the fixed seed 7.
pub(super) fn run(raw: &mut Raw, args: &[Vec<u8>]) -> Reply {
    run_seeded(raw, args, 7)
}

/// A whitespace-separated line as arguments.
pub(super) fn words(line: &str) -> Vec<Vec<u8>> {
    line.split_whitespace()
        .map(|w| w.as_bytes().to_vec())
        .collect()
}

/// Run a whitespace-separated line.
pub(super) fn r(raw: &mut Raw, line: &str) -> Reply {
    run(raw, &words(line))
}

pub(super) fn int(n: i64) -> Reply {
    Reply::Integer(n)
}

pub(super) fn bulk(s: &str) -> Reply {
    Reply::bulk(s.as_bytes().to_vec())
}

pub(super) fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| bulk(s)).collect())
}

pub(super) fn err(s: &str) -> Reply {
    Reply::err(s)
}

/// Redis's arity error for the lowercase command `name`.
pub(super) fn wrong_arity(name: &str) -> Reply {
    err(&format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}
