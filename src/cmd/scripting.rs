//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD/EXISTS/FLUSH: parsing
//! with Redis 7.0's errors, and the cache commands' semantics over the
//! keyspace view. The cache is ordinary replicated data under
//! `!redis|script|<sha>` ([`crate::strings::encoding::SCRIPT_PREFIX`]), so it
//! survives failover. Running a script is the node's business
//! ([`crate::node`]): fence, `start_ts`, engine, commit.
//!
//! SCRIPT KILL is not here: it acts on the running process, not on data, so
//! the server answers it.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::args::{int_arg, is, numkeys_keys};
use super::def::Exec;
use super::error::ParseError;
use super::{mismatch, Kind, Op, ParseCtx};
use crate::resp::Reply;
use crate::strings::encoding::{script_key, sha1_hex, SCRIPT_PREFIX};
use crate::strings::{KeyspaceRead, KeyspaceWrite, RawGet, RawWrite};

pub const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";

/// Which script a call names.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ScriptRef {
    /// EVAL: the body itself.
    Body(Bytes),
    /// EVALSHA: a SHA-1 (lowercased), looked up in the replicated cache.
    Sha(String),
}

fn parse_call(args: &[Bytes], sha: bool, read_only: bool) -> Result<Op, ParseError> {
    let numkeys = int_arg(&args[2])?;
    if numkeys < 0 {
        return Err(ParseError::NegativeKeys);
    }
    let rest = &args[3..];
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > rest.len() {
        return Err(ParseError::TooManyKeys);
    }
    let script = if sha {
        ScriptRef::Sha(String::from_utf8_lossy(&args[1]).to_ascii_lowercase())
    } else {
        ScriptRef::Body(args[1].clone())
    };
    Ok(Op::Eval {
        script,
        keys: rest[..numkeys].to_vec(),
        argv: rest[numkeys..].to_vec(),
        read_only,
    })
}

pub(super) fn parse_eval(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_call(args, false, false)
}
pub(super) fn parse_evalsha(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_call(args, true, false)
}
pub(super) fn parse_eval_ro(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_call(args, false, true)
}
pub(super) fn parse_evalsha_ro(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_call(args, true, true)
}

/// `SCRIPT LOAD|EXISTS|FLUSH` (KILL and HELP are the server's).
pub(super) fn parse_script(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let sub = &args[1];
    let arity = |ok: bool, name: &'static str| {
        if ok {
            Ok(())
        } else {
            Err(ParseError::WrongArity(name))
        }
    };
    if is(sub, "load") {
        arity(args.len() == 3, "script|load")?;
        Ok(Op::ScriptLoad {
            body: args[2].clone(),
        })
    } else if is(sub, "exists") {
        arity(args.len() >= 3, "script|exists")?;
        Ok(Op::ScriptExists {
            shas: args[2..].to_vec(),
        })
    } else if is(sub, "flush") {
        // Redis's arity for script|flush is -2: extra arguments get the
        // option error, not the arity one.
        let mode_ok = match &args[2..] {
            [] => true,
            [mode] => is(mode, "sync") || is(mode, "async"),
            _ => false,
        };
        if !mode_ok {
            return Err(ParseError::ScriptFlushMode);
        }
        Ok(Op::ScriptFlush)
    } else {
        Err(ParseError::UnknownSubcommand {
            container: "SCRIPT",
            sub: sub.clone(),
        })
    }
}

/// EVAL's keys: the `numkeys` arguments after it (none when `numkeys` is
/// not a count the arguments hold).
pub(super) fn eval_keys(args: &[Bytes]) -> &[Bytes] {
    numkeys_keys(args, 2)
}

/// SCRIPT EXISTS reads; LOAD and FLUSH write.
pub(super) const EXEC_SCRIPT: Exec = Exec::ReadOrWrite {
    kind: |op| match op {
        Op::ScriptExists { .. } => Kind::Read,
        _ => Kind::Write,
    },
    read: |op, ks| match op {
        Op::ScriptExists { shas } => exists(ks, shas),
        _ => mismatch(),
    },
    write: |op, ks| match op {
        Op::ScriptLoad { body } => load(ks, body),
        Op::ScriptFlush => flush(ks),
        _ => mismatch(),
    },
};

/// SCRIPT LOAD: cache the body (the server checked that it compiles).
pub fn load<W: RawWrite + ?Sized>(ks: &mut KeyspaceWrite<'_, W>, body: &Bytes) -> Reply {
    let sha = sha1_hex(body);
    ks.raw.raw_put(script_key(&sha), body.clone());
    Reply::bulk(sha)
}

/// SCRIPT EXISTS sha...: 1 or 0 for each.
pub fn exists<G: RawGet + ?Sized>(ks: &KeyspaceRead<'_, G>, shas: &[Bytes]) -> Reply {
    Reply::Array(
        shas.iter()
            .map(|s| {
                let sha = String::from_utf8_lossy(s).to_ascii_lowercase();
                Reply::Integer(ks.raw.raw_get(&script_key(&sha)).is_some() as i64)
            })
            .collect(),
    )
}

/// SCRIPT FLUSH: empty the cache.
pub fn flush<W: RawWrite + ?Sized>(ks: &mut KeyspaceWrite<'_, W>) -> Reply {
    let mut keys = Vec::new();
    ks.raw.raw_scan(SCRIPT_PREFIX, &mut |k, _| {
        if !k.starts_with(SCRIPT_PREFIX) {
            return false;
        }
        keys.push(k.clone());
        true
    });
    for k in keys {
        ks.raw.raw_delete(k);
    }
    Reply::ok()
}
